/**
 * `npm start`'s whole loop on random ports: HTTP → ingest → SQS → local event source mapping → worker →
 * the log adapter (the default ATS). Every sample is delivered twice, and the worker is killed once right
 * after its first note; each ATS write must land exactly once, keyed by its content, none dead-lettered.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../../local/log.js';
import { queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { sendEvent } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import { loadFixtures } from './helpers.js';

let pipeline: LocalPipeline;
let tempDir: string;
/** The first note written is followed by a kill (the invocation never returns; SQS redelivers). */
let killAfterFirstNote = true;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'pipeline-e2e-'));
  pipeline = await startLocalPipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    dataDir: join(tempDir, 'data'),
    // Room for the kill to be the only attempt cut short: with 2 s a batch of ten on a loaded 2-core machine ran
    // out of time after an ATS write and before recording it, and its redelivery rightly made the write again
    // (a second "crash"). 6 s, a claim lease as long (claims are taken after the invocation starts, so a live
    // one never loses them) and a redelivery after 9 s (the kill's claims are free by then).
    workerVisibilityTimeoutSeconds: 9,
    workerTimeoutSeconds: 6,
    worker: { maxBatchingWindowSeconds: 0 },
    workerHandler: {
      crashPoints: {
        afterWrite: (key) => {
          if (key !== 'note' || !killAfterFirstNote) return undefined;
          killAfterFirstNote = false;
          return new Promise<never>(() => undefined);
        },
      },
    },
    log: silentLog,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', CLAIM_LEASE_SECONDS: '6' },
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

/** Messages on a queue, visible or being processed. */
const messagesOn = (queueUrl: string) => queueDepth(pipeline.sqs, queueUrl);

/** The log adapter's lines: one per ATS write. */
const atsWrites = async (): Promise<Array<{ action: string; eventKey: string; candidateId?: string }>> =>
  (await readFile(join(tempDir, 'data', 'ats-writes.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe('local pipeline end to end (worker on)', () => {
  it('delivers every sample twice through the worker, killed once, and writes each ATS effect once', async () => {
    // Prepare
    const fixtures = await loadFixtures();

    // Act
    const deliverTwice = (batch: typeof fixtures) =>
      Promise.all(
        [...batch, ...batch].map((fixture) =>
          sendEvent({
            vendor: fixture.vendor,
            body: fixture.raw,
            baseUrl: pipeline.url,
            secret: pipeline.secrets.webhook.round0SigningSecrets[0],
            token: pipeline.secrets.webhook.micro1Tokens[0],
          }),
        ),
      );
    // The interviews' starts are processed first: a start handled after its interview's end writes nothing (the
    // status only moves forward), and the status keys below name both.
    const isStart = (fixture: (typeof fixtures)[number]) => /^interview[._]started$/.test(fixture.name);
    const startResponses = await deliverTwice(fixtures.filter(isStart));
    await eventually(async () => expect(await messagesOn(pipeline.queueUrls.events)).toBe(0), 30_000);
    const otherResponses = await deliverTwice(fixtures.filter((fixture) => !isStart(fixture)));
    const responses = [...startResponses, ...otherResponses];

    // Assess
    expect(responses.map((response) => response.status)).toEqual([...fixtures, ...fixtures].map(() => 202));
    await eventually(async () => expect(await messagesOn(pipeline.queueUrls.events)).toBe(0), 30_000);
    expect(killAfterFirstNote).toBe(false);
    expect(await messagesOn(pipeline.queueUrls.deadLetter)).toBe(0);
    const writes = await atsWrites();
    const keys = writes.map((write) => write.eventKey);
    // Each write once — the killed attempt's note was found by its marker, not posted again — except the
    // killed interview's status: the kill came before anything was recorded, and setting a status again is
    // idempotent (the one write documented as repeated after a crash).
    const repeated = keys.filter((key, index) => keys.indexOf(key) !== index);
    expect(repeated.length).toBeLessThanOrEqual(1);
    expect(repeated.every((key) => /:status:completed$/.test(key))).toBe(true);
    // … and keyed by what it wrote: one note per completed interview (the dashboard's test event writes
    // nothing), statuses named by their value.
    expect(keys.filter((key) => key.endsWith(':note')).sort()).toEqual([
      'micro1:report:h0gqkAcaDJ:note',
      'round0:660f9511-f30c-52e5-b827-557766551111:note',
    ]);
    expect(keys.filter((key) => key.includes('test-interview-id'))).toEqual([]);
    // Each interview's start and end: ROUND0's both under its interview, micro1's start under its session
    // and its end under the report (which takes the session over)
    expect([...new Set(keys.filter((key) => key.includes(':status:')))].sort()).toEqual([
      'micro1:report:h0gqkAcaDJ:status:completed',
      'micro1:session:123c4567-e89b-12d3-a456-426614174000:123a4567-e89b-12d3-a456-426614174000:status:in_progress',
      'round0:660f9511-f30c-52e5-b827-557766551111:status:completed',
      'round0:660f9511-f30c-52e5-b827-557766551111:status:in_progress',
    ]);
    // No e-mail in the lines: a candidate known by e-mail only is a keyed pseudonym.
    expect(writes.every((write) => !String(write.candidateId ?? '').includes('@'))).toBe(true);
  });
});
