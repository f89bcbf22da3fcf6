/**
 * The worker end to end through `npm start`'s runtime (HTTP → ingest → SQS → event source → worker)
 * against the Lever fake: whatever the vendors do — every sample delivered twice in shuffled order,
 * ROUND0 redeliveries with new signature timestamps or a new `created`, `interview_started` after
 * `interview_ended` — each completed interview gets exactly one note and its final status; and a worker
 * that fails after posting the note (its next effect, the stage move, gets a 500) does not post a second
 * note when SQS redelivers the message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeLever, startFakeLever } from '../../local/fakes/lever.js';
import { silentLog } from '../../local/log.js';
import { runOps } from '../../local/ops.js';
import { queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../local/runtime-info.js';
import { sendEvent } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import { type Fixture, loadFixtures, opportunity, setIntegrationSecrets } from './helpers.js';

const inProgress = 'AI screening in progress';
const completed = 'AI screening completed';

let pipeline: LocalPipeline;
let lever: FakeLever;
let tempDir: string;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'worker-e2e-'));
  lever = await startFakeLever({
    seed: {
      users: ['recruiter-1'],
      stages: ['stage-applied', 'stage-screened'],
      opportunities: [
        opportunity('opp-jane', 'jane@example.com'), // ROUND0 interview 660f9511…
        opportunity('opp-test', 'test@example.com'), // ROUND0 dashboard test event: never written to
        opportunity('ABCD1234', 'report.candidate@example.com'), // micro1 report: ats_job_application_id
        opportunity('opp-john', 'john.doe@micro1.ai'), // micro1 interview.started: e-mail only
      ],
    },
  });
  pipeline = await startLocalPipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    workerVisibilityTimeoutSeconds: 1,
    worker: { maxBatchingWindowSeconds: 0 },
    log: silentLog,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ATS_ADAPTER: 'lever',
      ATS_CONFIG: JSON.stringify({
        baseUrl: `${lever.url}/v1`,
        performAs: 'recruiter-1',
        // One attempt per request, so a scripted 500 fails the message and SQS redelivers it.
        http: { maxAttempts: 1, timeoutMs: 2000 },
      }),
      ATS_COMPLETED_STAGE_ID: 'stage-screened',
    },
  });
  // The worker reads the adapter's credentials from the integration secret (the secrets file).
  await setIntegrationSecrets(join(tempDir, 'secrets.local.json'), { ats: { apiKey: 'lever-key' } });
});

afterAll(async () => {
  await pipeline?.stop();
  await lever?.close();
  await rm(tempDir, { recursive: true, force: true });
});

const send = (fixture: Fixture, body: string | Buffer = fixture.raw, timestamp?: number) =>
  sendEvent({
    vendor: fixture.vendor,
    body,
    baseUrl: pipeline.url,
    secret: pipeline.secrets.webhook.round0SigningSecrets[0],
    token: pipeline.secrets.webhook.micro1Tokens[0],
    timestamp,
  });

const messagesOn = (queueUrl: string) => queueDepth(pipeline.sqs, queueUrl);

const notesOf = (id: string) => lever.state.notes.filter((note) => note.opportunityId === id);
const tagsOf = (id: string) => lever.state.opportunities.find((o) => o.id === id)?.tags ?? [];
const stageOf = (id: string) => lever.state.opportunities.find((o) => o.id === id)?.stage;

/** Fisher–Yates with a seeded generator, so a failing order can be reproduced from the printed seed. */
const shuffle = <T>(items: T[], seed: number): T[] => {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
};

describe('worker end to end (local runtime, Lever fake)', () => {
  it('gives each completed interview one note and its final status, whatever the delivery order', async () => {
    // Prepare: every sample twice, shuffled; ROUND0 also redelivered with a new `created` (same id); the
    // first stage move of Jane's interview fails after her note was posted (worker fails mid-event).
    const fixtures = await loadFixtures();
    const seed = Date.now() % 100_000;
    const deliveries = shuffle([...fixtures, ...fixtures], seed);
    const round0 = fixtures.filter((f) => f.vendor === 'round0');
    lever.failNext({ status: 500, match: (r) => r.method === 'PUT' && r.path.endsWith('/opp-jane/stage') });

    // Act
    for (const fixture of deliveries)
      expect((await send(fixture, fixture.raw, Math.floor(Date.now() / 1000) - 5)).status).toBe(202);
    for (const fixture of round0) {
      const redelivery = { ...fixture.json, created: Number(fixture.json.created) + 3600 };
      expect((await send(fixture, JSON.stringify(redelivery))).status).toBe(202);
    }
    // `interview_started` once more, long after `interview_ended` was processed.
    await eventually(() => expect(notesOf('opp-jane')).toHaveLength(1), 20_000);
    const started = fixtures.find((f) => f.vendor === 'round0' && f.name === 'interview_started') as Fixture;
    expect((await send(started)).status).toBe(202);
    await eventually(async () => {
      expect(await messagesOn(pipeline.queueUrls.events)).toBe(0);
      expect(stageOf('opp-jane')).toBe('stage-screened');
    }, 30_000);

    // Assess (seed printed on failure through the message)
    const context = `shuffle seed ${seed}`;
    expect({ context, notes: notesOf('opp-jane').length }).toEqual({ context, notes: 1 });
    expect(notesOf('ABCD1234')).toHaveLength(1);
    expect(notesOf('opp-john')).toHaveLength(0);
    expect({ context, tags: tagsOf('opp-jane') }).toEqual({ context, tags: [completed] });
    expect(tagsOf('ABCD1234')).toEqual([completed]);
    expect(tagsOf('opp-john')).toEqual([inProgress]);
    // The dashboard's test event is acknowledged without any effect, however often it comes.
    expect(notesOf('opp-test')).toHaveLength(0);
    expect(tagsOf('opp-test')).toEqual([]);
    expect(stageOf('opp-test')).toBe('stage-applied');
    // The note reads as the ROUND0 guide lays it out (Lever keeps a note's text in its `note` field).
    const janeNote = notesOf('opp-jane')[0]?.fields.find((field) => field.type === 'note')?.value;
    expect(janeNote).toContain('Question 1: Describe your experience with React hooks.');
    expect(janeNote).toContain('Score: 85/100');
    // The failed stage move was retried by SQS, and nothing was dead-lettered.
    const stageMoves = lever.state.requests.filter(
      (r) => r.method === 'PUT' && r.path.endsWith('/opp-jane/stage'),
    );
    expect(stageMoves.length).toBeGreaterThanOrEqual(2);
    expect(await messagesOn(pipeline.queueUrls.deadLetter)).toBe(0);
  });

  it('parks an event whose candidate is not in the ATS, and syncs it when replayed after the candidate exists', async () => {
    // Prepare: a completed interview of someone the ATS does not know yet
    const ended = (await loadFixtures()).find(
      (f) => f.vendor === 'round0' && f.name === 'interview_ended',
    ) as Fixture;
    const event = structuredClone(ended.json) as {
      id: string;
      data: { interview: { id: string }; candidate: { email: string } };
    };
    event.id = 'evt_late_candidate';
    event.data.interview.id = 'interview-late-candidate';
    event.data.candidate.email = 'late@example.com';
    await writeRuntimeInfo(tempDir, runtimeInfoFor(pipeline));

    // Act
    expect((await send(ended, JSON.stringify(event))).status).toBe(202);
    const parked = await eventually(async () => {
      const lines = await runOps(['parked', 'unmatched'], tempDir);
      expect(lines.join('\n')).toContain('round0:evt_late_candidate');
      return lines;
    }, 20_000);
    lever.state.opportunities.push(opportunity('opp-late', 'late@example.com'));
    const replayed = await runOps(['replay', 'unmatched', '--key', 'round0:evt_late_candidate'], tempDir);

    // Assess
    expect(parked.join('\n')).toContain('no candidate with this e-mail');
    expect(parked.join('\n')).not.toContain('late@example.com');
    expect(replayed).toEqual([
      'replayed 1 unmatched event(s): round0:evt_late_candidate',
      `on: the local npm start (${tempDir})`,
    ]);
    await eventually(() => expect(notesOf('opp-late')).toHaveLength(1), 20_000);
    expect(tagsOf('opp-late')).toEqual([completed]);
    expect(await runOps(['parked', 'unmatched'], tempDir)).toEqual([
      'no unmatched events parked',
      `on: the local npm start (${tempDir})`,
    ]);
  });
});
