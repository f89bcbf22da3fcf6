/**
 * `npm run ops -- redrive events` against `npm start`'s runtime and the Lever fake: an ATS that refuses the
 * note (403, a permanent failure) gets the event parked and dead-lettered; once the ATS is fixed, the redrive
 * moves it back to the events queue without its failure attributes, forgets its parked copy, and the event
 * syncs (one note). `--max` moves exactly that many; progress goes out as plain lines when not on a terminal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeLever, startFakeLever } from '../../../local/fakes/lever.js';
import { silentLog } from '../../../local/log.js';
import { runOpsCommand } from '../../../local/ops.js';
import { queueDepth } from '../../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import {
  asRealRound0Event,
  type Fixture,
  fixtureNamed,
  loadFixtures,
  opportunity,
  sendFixture,
  setIntegrationSecrets,
  settled,
} from '../../e2e/helpers.js';
import { eventually } from '../local/factories.js';

let pipeline: LocalPipeline;
let lever: FakeLever;
let tempDir: string;
let fixtures: Fixture[];
/** While true, Lever answers every note with 403 (a key without the notes endpoint). */
let refusingNotes = false;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'ops-redrive-'));
  fixtures = await loadFixtures();
  lever = await startFakeLever({
    seed: {
      users: ['recruiter-1'],
      stages: ['stage-applied', 'stage-screened'],
      opportunities: [
        opportunity('opp-jane', 'jane@example.com'),
        opportunity('opp-test', 'test@example.com'),
      ],
    },
  });
  lever.failNext({
    status: 403,
    body: { code: 'Forbidden', message: 'API key lacks access to this endpoint' },
    times: Number.MAX_SAFE_INTEGER,
    match: (request) => refusingNotes && request.method === 'POST' && request.path.endsWith('/notes'),
  });
  pipeline = await startLocalPipeline({
    dataDir: tempDir,
    secretsFile: join(tempDir, 'secrets.local.json'),
    workerVisibilityTimeoutSeconds: 1,
    worker: { maxBatchingWindowSeconds: 0 },
    // The vendor samples' audio URLs are refused by the archive (not a media host): keep it out of this test.
    startArchive: false,
    log: silentLog,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ATS_ADAPTER: 'lever',
      ATS_CONFIG: JSON.stringify({
        baseUrl: `${lever.url}/v1`,
        performAs: 'recruiter-1',
        http: { maxAttempts: 1, timeoutMs: 2000 },
      }),
    },
  });
  await setIntegrationSecrets(join(tempDir, 'secrets.local.json'), { ats: { apiKey: 'lever-key' } });
  await writeRuntimeInfo(tempDir, runtimeInfoFor(pipeline));
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await lever?.close();
  await rm(tempDir, { recursive: true, force: true });
});

const notesOf = (id: string) => lever.state.notes.filter((note) => note.opportunityId === id);
const deadLetters = () => queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter);

/** A stream that records what the progress display writes, as a pipe would receive it. */
const recorder = (isTTY: boolean) => {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
};

describe('npm run ops -- redrive', () => {
  it('moves a dead-lettered event back once the ATS is fixed: it syncs, the DLQ and its parked copy are gone', async () => {
    // Prepare: the ATS refuses notes; Jane's completed interview fails permanently
    refusingNotes = true;
    await sendFixture(pipeline, fixtureNamed(fixtures, 'round0', 'interview_ended'));
    await eventually(async () => expect(await deadLetters()).toBe(1), 30_000);
    await settled(pipeline);
    const parked = await runOpsCommand(['parked', 'failed'], tempDir);
    expect(parked.lines.join('\n')).toContain('round0:evt_660f9511f30c52e5b827557766551111');
    expect(notesOf('opp-jane')).toHaveLength(0);

    // Act: the key gets the notes endpoint; the operator redrives
    refusingNotes = false;
    const progress = recorder(false);
    const redrive = await runOpsCommand(['redrive', 'events'], tempDir, { progress });

    // Assess: moved with its reason counted, parked copy forgotten, synced once, DLQ empty
    expect(redrive.exitCode).toBe(0);
    expect(redrive.lines[0]).toBe('moved 1 of 1 message(s) from the events DLQ to the events queue');
    expect(redrive.lines).toContain('  1 × lever: forbidden');
    expect(redrive.lines).toContain("forgot 1 parked 'failed' copy(ies) of the moved messages");
    expect(progress.writes.join('')).toMatch(/^redrive events: 1\/1, [\d.]+\/s, done in \d+ s\n$/m);
    expect(progress.writes.join('')).not.toContain('\r');
    await eventually(() => expect(notesOf('opp-jane')).toHaveLength(1), 30_000);
    await settled(pipeline);
    expect(await deadLetters()).toBe(0);
    expect((await runOpsCommand(['parked', 'failed'], tempDir)).lines).toEqual([
      'no failed events parked',
      `on: the local npm start (${tempDir})`,
    ]);
  });

  it('moves at most --max messages, and says when the DLQ is empty', async () => {
    // Prepare: two completed interviews dead-lettered
    refusingNotes = true;
    await sendFixture(pipeline, fixtureNamed(fixtures, 'round0', 'test_interview_ended'), asRealRound0Event);
    await sendFixture(pipeline, fixtureNamed(fixtures, 'round0', 'interview_ended'), (json) => {
      json.id = 'evt_second_jane';
      json.data.interview.id = 'interview-second-jane';
    });
    await eventually(async () => expect(await deadLetters()).toBe(2), 30_000);
    await settled(pipeline);
    refusingNotes = false;

    // Act
    const first = await runOpsCommand(['redrive', 'events', '--max', '1'], tempDir);
    const afterFirst = await deadLetters();
    const rest = await runOpsCommand(['redrive', 'events'], tempDir);
    await settled(pipeline);
    const none = await runOpsCommand(['redrive', 'events'], tempDir);

    // Assess
    expect(first.lines[0]).toBe('moved 1 of 2 message(s) from the events DLQ to the events queue');
    expect(afterFirst).toBe(1);
    expect(rest.lines[0]).toBe('moved 1 of 1 message(s) from the events DLQ to the events queue');
    await eventually(() => {
      expect(notesOf('opp-test')).toHaveLength(1);
      expect(notesOf('opp-jane')).toHaveLength(2);
    }, 30_000);
    // Which stage it read: an engineer paged for prod must not take the laptop's empty DLQ for prod's
    expect(none.lines).toEqual([
      'the events dead-letter queue is empty',
      `on: the local npm start (${tempDir})`,
    ]);
    expect(await deadLetters()).toBe(0);
  });

  it('refuses what it cannot do', async () => {
    await expect(runOpsCommand(['redrive', 'everything'], tempDir)).rejects.toThrow(
      'redrive events or redrive archive',
    );
    await expect(runOpsCommand(['redrive', 'events', '--max', '0'], tempDir)).rejects.toThrow('--max');
  });
});
