/**
 * A vendor's test delivery ("send test webhook" in ROUND0's dashboard) end to end through `npm start`'s
 * runtime: answered 202 with `test: true`, counted as `TestDeliveryReceived` (never `WebhookReceived`),
 * queued, and acknowledged by the worker with no effect — no vendor API read, no ATS write, no archive
 * task, nothing parked, no ledger item — and listed by the console as a test. A wrongly signed one is
 * still 401. The same set-up then gives a real event every one of those effects, so the checks can fail.
 *
 * The ROUND0 API fake is seeded with the test interview too (as `npm start` seeds it from the fixtures):
 * a worker that enriched the test event would find it and archive its answers. The archive poller is off,
 * so an archive task would stay on the archive queue to be counted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { ParkingLot } from '../../functions/ledger/parking-lot.js';
import { resources } from '../../lib/resources.js';
import type { ConsoleSnapshot } from '../../local/console/snapshot.js';
import { localAws } from '../../local/emulators.js';
import {
  type FakeRound0Api,
  round0InterviewFromWebhook,
  startFakeRound0Api,
} from '../../local/fakes/round0-api.js';
import { silentLog } from '../../local/log.js';
import { queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { ensureSecretsFile } from '../../local/secrets-file.js';
import { sendEvent } from '../../local/send.js';
import { type OutputCapture, startCapturingOutput } from '../helpers/captured-output.js';
import { eventually } from '../integration/local/factories.js';
import { emittedMetrics, valuesOf } from '../unit/platform/emf.js';
import { type Fixture, fixtureNamed, loadFixtures, settled } from './helpers.js';

const ingestService = 'interview-sync-ingest';
const testEventKey = 'round0:evt_test_123456789';
const testInterviewId = 'test-interview-id';

let tempDir: string;
let pipeline: LocalPipeline;
let round0Api: FakeRound0Api;
let fixtures: Fixture[];
let documents: DynamoDBDocumentClient;
let parking: ParkingLot;

/** The handlers' stdout (Powertools JSON logs and EMF metrics) and stderr (the refusal's warning), captured for the whole file. */
let output: OutputCapture | undefined;
const stdout = (): string => output?.stdout() ?? '';

/** The Powertools log entries written so far with `message`. */
const logEntries = (message: string): Array<Record<string, unknown>> =>
  stdout()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"message"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.message === message);

/** The log adapter's lines (one per ATS write); none when it never wrote. */
const atsWrites = async (): Promise<string[]> =>
  (await readFile(join(tempDir, 'ats-writes.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

/** Every item of the ledger table as text, to find any trace of the test interview. */
const ledgerItems = async (): Promise<string[]> => {
  const items: string[] = [];
  for await (const page of paginateScan(
    { client: documents },
    { TableName: resources.ledgerTable.name, ConsistentRead: true },
  )) {
    for (const item of page.Items ?? []) items.push(JSON.stringify(item));
  }
  return items;
};

const send = (fixture: Fixture, secret = pipeline.secrets.webhook.round0SigningSecrets[0]) =>
  sendEvent({ vendor: fixture.vendor, body: fixture.raw, baseUrl: pipeline.url, secret });

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'test-delivery-e2e-'));
  fixtures = await loadFixtures();
  // The secrets first: the API fake accepts the key the worker will read from them.
  const secretsFile = await ensureSecretsFile(join(tempDir, 'secrets.local.json'));
  round0Api = await startFakeRound0Api({ apiKey: secretsFile.secrets.vendorApi.round0ApiKey ?? '' });
  for (const name of ['interview_ended', 'test_interview_ended']) {
    const seeded = round0InterviewFromWebhook(fixtureNamed(fixtures, 'round0', name).json, {
      audioBaseUrl: round0Api.url,
    });
    round0Api.state.interviews.set(seeded.id, seeded.body);
  }
  output = startCapturingOutput();
  pipeline = await startLocalPipeline({
    dataDir: tempDir,
    secretsFile: secretsFile.path,
    startArchive: false,
    console: true,
    // Long enough for a cold first invocation on a loaded machine: a redelivery would repeat its reads.
    workerVisibilityTimeoutSeconds: 10,
    worker: { maxBatchingWindowSeconds: 0 },
    log: silentLog,
    env: {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'false',
      ROUND0_API_BASE_URL: round0Api.url,
    },
  });
  const dynamodb = new DynamoDBClient({
    region: localAws.region,
    endpoint: pipeline.endpoints.dynamodb,
    credentials: localAws.credentials,
  });
  documents = DynamoDBDocumentClient.from(dynamodb);
  parking = new ParkingLot({ client: dynamodb, tableName: resources.ledgerTable.name });
}, 60_000);

afterAll(async () => {
  output?.restore();
  await pipeline?.stop();
  await round0Api?.close();
  await rm(tempDir, { recursive: true, force: true });
});

describe('a vendor test delivery end to end (local runtime)', () => {
  it('is answered 202 as a test, counted as TestDeliveryReceived, and acknowledged by the worker with no effect', async () => {
    // Act: what `npm run send -- round0 test_interview_ended` sends
    const sent = await send(fixtureNamed(fixtures, 'round0', 'test_interview_ended'));
    await eventually(() => expect(logEntries('test delivery acknowledged')).toHaveLength(1), 30_000);
    await settled(pipeline);

    // Assess: the answer says it was a test
    expect(sent.status).toBe(202);
    expect(JSON.parse(sent.body)).toEqual({ received: true, id: testEventKey, test: true });

    // Assess: the ingest logged and counted it as a test, never as a received webhook
    expect(logEntries('test delivery received')).toEqual([
      expect.objectContaining({ service: ingestService, vendor: 'round0', eventType: 'interview_ended' }),
    ]);
    expect(logEntries('webhook accepted')).toEqual([]);
    const metrics = emittedMetrics(stdout());
    expect(valuesOf(metrics, 'TestDeliveryReceived', { service: ingestService })).toEqual([1]);
    expect(
      valuesOf(metrics, 'TestDeliveryReceived', {
        service: ingestService,
        vendor: 'round0',
        eventType: 'interview_ended',
      }),
    ).toEqual([1]);
    expect(metrics.filter((metric) => metric.name === 'WebhookReceived')).toEqual([]);
    expect(logEntries('test delivery acknowledged')).toEqual([
      expect.objectContaining({ service: 'interview-sync-worker', eventKey: testEventKey }),
    ]);
    for (const pii of ['test@example.com', 'Test Candidate']) expect(stdout()).not.toContain(pii);

    // Assess: no effect anywhere
    expect(round0Api.requests).toEqual([]);
    expect(await atsWrites()).toEqual([]);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
    expect([...(await parking.list('unmatched')), ...(await parking.list('failed'))]).toEqual([]);
    expect(
      (await ledgerItems()).filter((item) => item.includes(testInterviewId) || item.includes('evt_test_')),
    ).toEqual([]);
  });

  it('is listed by the console among recent events as a test, with no interview', async () => {
    // Act
    const response = await fetch(`${pipeline.consoleUrl}/api/snapshot`);
    const snapshot = (await response.json()) as ConsoleSnapshot;

    // Assess
    expect(response.status).toBe(200);
    expect(snapshot.events.find((event) => event.dedupeKey === testEventKey)).toEqual(
      expect.objectContaining({ vendor: 'round0', type: 'interview_ended', outcome: 'test', deliveries: 1 }),
    );
    expect(snapshot.events.find((event) => event.dedupeKey === testEventKey)?.interview).toBeUndefined();
    expect(snapshot.interviews.map((interview) => interview.interviewKey)).not.toContain(testInterviewId);
  });

  it('is refused 401 when wrongly signed, like any delivery', async () => {
    // Act
    const sent = await send(fixtureNamed(fixtures, 'round0', 'test_interview_ended'), 'not-the-secret');

    // Assess
    expect(sent.status).toBe(401);
    expect(JSON.parse(sent.body)).not.toHaveProperty('test');
    expect(logEntries('test delivery received')).toHaveLength(1);
    const metrics = emittedMetrics(stdout());
    expect(valuesOf(metrics, 'WebhookAuthFailed', { service: ingestService, vendor: 'round0' })).toEqual([1]);
  });

  it('leaves a real event of the same set-up every effect the test delivery did not have', async () => {
    // Act
    const sent = await send(fixtureNamed(fixtures, 'round0', 'interview_ended'));
    await eventually(async () => expect((await atsWrites()).length).toBeGreaterThan(0), 30_000);
    await settled(pipeline);

    // Assess: read from the API, written to the ATS, its answers queued for the archive, on the ledger
    expect(sent.status).toBe(202);
    expect(JSON.parse(sent.body)).not.toHaveProperty('test');
    expect(round0Api.requests.map((request) => request.path)).toEqual([
      '/api/v1/interviews/660f9511-f30c-52e5-b827-557766551111',
    ]);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBeGreaterThan(0);
    expect((await ledgerItems()).some((item) => item.includes('660f9511-f30c-52e5-b827-557766551111'))).toBe(
      true,
    );
    const metrics = emittedMetrics(stdout());
    expect(valuesOf(metrics, 'WebhookReceived', { service: ingestService })).toEqual([1]);
    expect(valuesOf(metrics, 'TestDeliveryReceived', { service: ingestService })).toEqual([1]);
  });
});
