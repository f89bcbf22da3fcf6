/**
 * The real worker handler (functions/worker.ts) invoked with SQS events shaped like Lambda's, against
 * dynalite, local-aws-sqs (the dead-letter queue), the Lever fake and the ROUND0 API fake (which knows only
 * the interviews a test gives it): which records it reports failed,
 * dead-letters, parks or acknowledges, and the metrics it publishes for each (the EMF lines on stdout).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { vendorApiMaxResponseBytes } from '../../../functions/enrichment/vendor-http.js';
import { InterviewLedger } from '../../../functions/ledger/interview-ledger.js';
import { interviewKeyOf } from '../../../functions/ledger/lifecycle.js';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import { atsWriteActionOf } from '../../../functions/platform/metrics.js';
import { redrivenAtAttribute } from '../../../functions/queue/event-queue.js';
import {
  type RawEvent,
  rawBatchesPrefix,
  rawDeliveryOf,
  rawEventKey,
} from '../../../functions/queue/raw-events.js';
import type { RawDelivery } from '../../../functions/vendors/envelope.js';
import type { InterviewEvent } from '../../../functions/vendors/index.js';
import { countSqsRequests } from '../../../local/dynamo-request-counter.js';
import { startFakeLever } from '../../../local/fakes/lever.js';
import { startFakeMicro1Api } from '../../../local/fakes/micro1-api.js';
import { round0InterviewFromWebhook, startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { listRawEvents, readRawEvents } from '../../../local/ops/raw-store.js';
import { type OutputCapture, startCapturingOutput } from '../../helpers/captured-output.js';
import { startDynalite } from '../../helpers/dynalite.js';
import { whileParksAreRefused as refusingParks } from '../../helpers/refused-parks.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { type EmittedMetric, emittedMetrics, seriesOf, valuesOf } from '../../unit/platform/emf.js';
import { anOpportunity, envelope, ledgerTable, round0 } from './world.js';

const region = 'us-east-1';
const accountId = '000000000000';
// s3rver accepts only this key pair; dynalite and local-aws-sqs accept any.
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

// Prepare (once): emulators, the ATS fake and the environment the worker reads at import time.
const dynamo = await startDynalite();
const s3Dir = mkdtempSync(join(tmpdir(), 'worker-handler-s3-'));
const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: s3Dir,
  configureBuckets: [{ name: 'worker-test-bucket' }],
});
const { port: s3Port } = await s3rver.run();
const s3Endpoint = `http://127.0.0.1:${s3Port}`;
const sqsServer: Server = await createSqsServer({ port: 0, hostname: '127.0.0.1', region, accountId });
const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
const sqs = new SQSClient({ region, endpoint: sqsEndpoint, credentials });
const { QueueUrl: deadLetterQueueUrl = '' } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'worker-test-dlq' }),
);
const { QueueUrl: eventsQueueUrl = '' } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'worker-test-events', Attributes: { VisibilityTimeout: '1' } }),
);
const { QueueUrl: archiveQueueUrl = '' } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'worker-test-archive' }),
);
const people = ['ada', 'bob', 'cyd', 'dan', 'eve'] as const;
const lever = await startFakeLever({
  seed: {
    users: ['user-1'],
    opportunities: [
      ...people.map((name) =>
        anOpportunity({ id: `opp-${name}`, contact: `contact-${name}`, emails: [`${name}@example.com`] }),
      ),
      // micro1's sample report names its ATS application (`ats_job_application_id`).
      anOpportunity({ id: 'ABCD1234', contact: 'contact-john', emails: ['john.doe@micro1.ai'] }),
    ],
  },
});
const round0ApiKey = 'round0-worker-test-key';
const round0Api = await startFakeRound0Api({ apiKey: round0ApiKey });
const micro1ApiKey = 'micro1-worker-test-key';
const micro1Api = await startFakeMicro1Api({ apiKey: micro1ApiKey });
const secretsDir = mkdtempSync(join(tmpdir(), 'worker-handler-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
writeFileSync(
  secretsFile,
  JSON.stringify({
    webhook: { round0SigningSecrets: ['worker-test-secret'], micro1Tokens: ['x'.repeat(32)] },
    // The vendor API keys where a stage set up before the vendor API secret existed keeps them, with no
    // `vendorApi` section: the worker reads them there until `ops setup` moves them (the local runtime's
    // and the faults' tests use the vendor API secret).
    integration: { ats: { apiKey: 'lever-key' }, round0ApiKey, micro1ApiKey },
  }),
);
Object.assign(process.env, {
  LEDGER_TABLE_NAME: ledgerTable,
  BUCKET_NAME: 'worker-test-bucket',
  DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
  QUEUE_URL: eventsQueueUrl,
  ARCHIVE_QUEUE_URL: archiveQueueUrl,
  // As deployed, the worker knows the queue's visibility timeout; the tests' receives ask for 60 s.
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: '60',
  // As deployed: the events queue's maxReceiveCount, the worker's last receive.
  QUEUE_MAX_RECEIVE_COUNT: '10',
  LOCAL_SECRETS_FILE: secretsFile,
  ATS_ADAPTER: 'lever',
  ROUND0_API_BASE_URL: round0Api.url,
  MICRO1_API_BASE_URL: micro1Api.url,
  ATS_CONFIG: JSON.stringify({
    baseUrl: `${lever.url}/v1`,
    performAs: 'user-1',
    rateLimit: { perSecond: 1000, burst: 1000 },
    // One attempt per request: each scripted fault is one failed delivery.
    http: { timeoutMs: 2000, maxAttempts: 1, baseDelayMs: 1 },
  }),
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  AWS_ENDPOINT_URL_S3: s3Endpoint,
  S3_FORCE_PATH_STYLE: 'true',
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  // On: the tests read the EMF lines (captured from stdout around each test, see `published`).
  POWERTOOLS_METRICS_DISABLED: 'false',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // The fakes listen on 127.0.0.1 over http: relax the SSRF guard as the local runtime does.
  OUTBOUND_ALLOW_LOCAL: 'true',
});
const { handler, createWorkerHandler } = await import('../../../functions/worker.js');
const clients = await import('../../../functions/platform/clients.js');
/** The worker's own SQS requests (its archive tasks, redelivery delays, dead letters), by command. */
const workerSqsRequests = countSqsRequests(clients.sqsClient());
const parking = new ParkingLot({ client: dynamo.client, tableName: ledgerTable });
const ledger = new InterviewLedger({ client: dynamo.client, tableName: ledgerTable });
const service = 'interview-sync-worker';

/** stdout during the current test: the worker's EMF lines (and nothing reaches the test output). */
let output: OutputCapture | undefined;
const stdout = (): string => output?.stdout() ?? '';
/** The metrics the worker published in the current test (since `from`, a `stdout().length` taken earlier). */
const published = (from = 0): EmittedMetric[] => emittedMetrics(stdout().slice(from));

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'interview-sync-worker',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:interview-sync-worker`,
  memoryLimitInMB: '1024',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/interview-sync-worker',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** The record of a queued envelope (`{ kind: 'event', event }`), with the attributes ingest sets. */
const eventRecord = (event: InterviewEvent, receiveCount = 1) =>
  sqsRecord(JSON.stringify({ kind: 'event', event }), receiveCount, {
    vendor: event.vendor,
    eventType: event.type,
    dedupeKey: event.dedupeKey,
  });

/** The record of an envelope with the raw delivery the ingest sends along (`{ kind: 'event', event, raw }`). */
const deliveredRecord = (event: InterviewEvent, raw: RawDelivery, receiveCount = 1) =>
  sqsRecord(JSON.stringify({ kind: 'event', event, raw }), receiveCount, {
    vendor: event.vendor,
    eventType: event.type,
    dedupeKey: event.dedupeKey,
  });

/** A delivery's raw form: bytes that are not the envelope's JSON (a signature covers these exact bytes). */
const rawOf = (event: InterviewEvent): { bytes: Buffer; raw: RawDelivery } => {
  const bytes = Buffer.concat([
    Buffer.from(`${JSON.stringify(event.payload, null, 1)}\n`),
    Buffer.from([0xc3]),
  ]);
  return {
    bytes,
    raw: rawDeliveryOf(
      { 'Content-Type': 'application/json', 'X-Webhook-Signature': 't=1,v1=ab', Cookie: 'x' },
      bytes,
    ),
  };
};

const testBucket = 'worker-test-bucket';

/** Where the raw event stored for `event` is (its object's key) and what it holds, or undefined. */
const storedRawAt = async (event: InterviewEvent): Promise<{ key: string; raw: RawEvent } | undefined> => {
  const s3 = clients.s3Client();
  const { objects } = await listRawEvents(s3, testBucket);
  for (const ref of objects) {
    const raw = (await readRawEvents(s3, testBucket, ref))?.events.find(
      (stored) => stored?.dedupeKey === event.dedupeKey,
    );
    if (raw !== undefined) return { key: ref.key, raw };
  }
  return undefined;
};

/** Empties and deletes the test bucket: S3 failing, as far as the worker can tell (tests create it again). */
const removeTestBucket = async (): Promise<void> => {
  const s3 = clients.s3Client();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: testBucket }));
  const objects = (listed.Contents ?? []).map((object) => ({ Key: object.Key ?? '' }));
  if (objects.length > 0)
    await s3.send(new DeleteObjectsCommand({ Bucket: testBucket, Delete: { Objects: objects } }));
  await s3.send(new DeleteBucketCommand({ Bucket: testBucket }));
};

/** The raw event stored for `event`, or undefined. */
const storedRaw = async (event: InterviewEvent): Promise<RawEvent | undefined> =>
  (await storedRawAt(event))?.raw;

/** A ROUND0 interview_ended of a person's own interview. */
const endedFor = (name: (typeof people)[number] | 'nobody') =>
  round0('interview_ended', {
    eventId: `evt_${name}`,
    interviewId: `int-${name}`,
    email: `${name}@example.com`,
  });

const invoke = async (...records: SQSRecord[]): Promise<SQSBatchResponse> =>
  (await handler({ Records: records } satisfies SQSEvent, context)) as SQSBatchResponse;

const whileParksAreRefused = <T>(act: () => Promise<T>): Promise<T> =>
  refusingParks(clients.dynamoDbClient(), act);

const failedIds = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier);

const notesOf = (name: string) => lever.state.notes.filter((n) => n.opportunityId === `opp-${name}`);

/** Receives (and deletes) up to 10 visible messages of `queueUrl`. */
const takeMessages = async (queueUrl: string): Promise<Message[]> => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
    }),
  );
  if (Messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return Messages;
};

/** Receives (and deletes) everything on the dead-letter queue. */
const drainDeadLetters = (): Promise<Message[]> => takeMessages(deadLetterQueueUrl);

const attribute = (message: Message | undefined, name: string) =>
  message?.MessageAttributes?.[name]?.StringValue;

beforeEach(() => {
  output = startCapturingOutput();
});

afterEach(async () => {
  output?.restore();
  await drainDeadLetters();
});

afterAll(async () => {
  clients.dynamoDbClient().destroy();
  clients.sqsClient().destroy();
  clients.s3Client().destroy();
  clients.smallObjectS3Client().destroy();
  sqs.destroy();
  await lever.close();
  await round0Api.close();
  await micro1Api.close();
  sqsServer.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    sqsServer.close((error) => (error ? reject(error) : resolve())),
  );
  await dynamo.close();
  await s3rver.close();
  rmSync(secretsDir, { recursive: true, force: true });
  rmSync(s3Dir, { recursive: true, force: true });
});

describe('worker handler (dynalite, local-aws-sqs, Lever fake)', () => {
  it('counts an event failing again from its third receive, for the alarm SQS’s age metric cannot give', async () => {
    // Prepare: the ATS answers 500 to every look-up of this candidate
    lever.failNext({ status: 500, times: 2, match: (r) => r.query.email === 'repeat@example.com' });
    const event = round0('interview_ended', {
      eventId: 'evt_repeat',
      interviewId: 'int-repeat',
      email: 'repeat@example.com',
    });

    // Act
    const second = await invoke(eventRecord(event, 2));
    const afterSecond = stdout().length;
    const third = await invoke(eventRecord(event, 3));

    // Assess
    expect(failedIds(second)).toHaveLength(1);
    expect(failedIds(third)).toHaveLength(1);
    expect(valuesOf(published(), 'EventRetried', { service })).toEqual([1, 1]);
    expect(valuesOf(published(), 'EventFailingRepeatedly', { service })).toEqual([1]);
    expect(valuesOf(published(afterSecond), 'EventFailingRepeatedly', { service })).toEqual([1]);
  });

  it('reports only the record whose ATS answered 500, and syncs it on redelivery', async () => {
    // Prepare
    lever.failNext({ status: 500, match: (r) => r.query.email === 'bob@example.com' });
    const [ada, bob, cyd] = [
      eventRecord(endedFor('ada')),
      eventRecord(endedFor('bob')),
      eventRecord(endedFor('cyd')),
    ];

    // Act
    const response = await invoke(ada, bob, cyd);
    const redelivered = await invoke({
      ...bob,
      attributes: { ...bob.attributes, ApproximateReceiveCount: '2' },
    });

    // Assess
    expect(failedIds(response)).toEqual([bob.messageId]);
    expect(failedIds(redelivered)).toEqual([]);
    expect([notesOf('ada'), notesOf('bob'), notesOf('cyd')].map((notes) => notes.length)).toEqual([1, 1, 1]);
    expect(await drainDeadLetters()).toEqual([]);
    expect(await parking.list('failed')).toEqual([]);
    const metrics = published();
    expect(seriesOf(metrics, 'AtsWriteFailed')).toEqual([
      `provider=lever,service=${service}`,
      `service=${service}`,
    ]);
    expect(valuesOf(metrics, 'EventRetried', { service })).toEqual([1]);
    expect(
      valuesOf(metrics, 'EventSynced', { service, vendor: 'round0', eventType: 'interview_ended' }),
    ).toEqual([1, 1, 1]);
  });

  it('counts an event whose interview the ROUND0 API does not know, and syncs it from its webhook', async () => {
    // Prepare
    const ended = (name: 'ada' | 'bob', interviewId: string) =>
      round0('interview_ended', { eventId: `evt_${interviewId}`, interviewId, email: `${name}@example.com` });
    const known = ended('ada', 'int-api-knows');
    const unknown = ended('bob', 'int-api-does-not-know');
    const { body } = round0InterviewFromWebhook(
      known.payload as Parameters<typeof round0InterviewFromWebhook>[0],
      { audioBaseUrl: 'https://unused.invalid' },
    );
    round0Api.state.interviews.set('int-api-knows', body);
    const notesBefore = [notesOf('ada').length, notesOf('bob').length];
    const requestsBefore = round0Api.requests.length;

    // Act
    const response = await invoke(eventRecord(known), eventRecord(unknown));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(
      round0Api.requests
        .slice(requestsBefore)
        .map((request) => request.path)
        .sort(),
    ).toEqual(['/api/v1/interviews/int-api-does-not-know', '/api/v1/interviews/int-api-knows']);
    expect([notesOf('ada').length, notesOf('bob').length]).toEqual(notesBefore.map((count) => count + 1));
    const metrics = published();
    expect(seriesOf(metrics, 'EnrichmentNotFound')).toEqual([
      `service=${service}`,
      `service=${service},vendor=round0`,
    ]);
    expect(valuesOf(metrics, 'EnrichmentNotFound', { service, vendor: 'round0' })).toEqual([1]);
  });

  it('counts such an event once, though an attempt that failed after enriching it enriched it too', async () => {
    // Prepare: an interview the ROUND0 API does not know, the ATS failing its first attempt
    const event = round0('interview_ended', {
      eventId: 'evt_not_found_retried',
      interviewId: 'int-not-found-retried',
      email: 'cyd@example.com',
    });
    lever.failNext({ status: 500, match: (r) => r.query.email === 'cyd@example.com' });
    const before = stdout().length;
    const notesBefore = notesOf('cyd').length;

    // Act
    const failed = await invoke(eventRecord(event, 1));
    const retried = await invoke(eventRecord(event, 2));

    // Assess: enriched (and not found) twice, counted once
    expect(failedIds(failed)).toHaveLength(1);
    expect(failedIds(retried)).toEqual([]);
    expect(notesOf('cyd')).toHaveLength(notesBefore + 1);
    const notFoundRequests = round0Api.requests.filter((request) =>
      request.path.endsWith('/int-not-found-retried'),
    );
    expect(notFoundRequests).toHaveLength(2);
    expect(valuesOf(published(before), 'EnrichmentNotFound', { service, vendor: 'round0' })).toEqual([1]);
  });

  it('publishes an AtsWrite per write with provider, action and outcome, and the end-to-end lag', async () => {
    // Prepare: an event that happened 5 s ago, received 1 s ago (the lag counts from the event)
    const sent = Date.now();
    const event = {
      ...round0('interview_ended', {
        eventId: 'evt_metrics',
        interviewId: 'int-metrics',
        email: 'ada@example.com',
      }),
      occurredAt: new Date(sent - 5000).toISOString(),
      receivedAt: new Date(sent - 1000).toISOString(),
    };
    const occurredMs = Date.parse(event.occurredAt);
    const lagBefore = Date.now() - occurredMs;

    // Act
    const response = await invoke(eventRecord(event));
    const lagAfter = Date.now() - occurredMs;

    // Assess: one AtsWrite line per write the ledger recorded done, of the adapter, its action, `ran`
    expect(failedIds(response)).toEqual([]);
    const metrics = published();
    const written = Object.entries((await ledger.read('round0', interviewKeyOf(event)))?.effects ?? {})
      .filter(([, record]) => record.state === 'done')
      .map(([key]) => `action=${atsWriteActionOf(key)},outcome=ran,provider=lever,service=${service}`);
    expect(written).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^action=status,/),
        expect.stringMatching(/^action=note,/),
      ]),
    );
    expect(seriesOf(metrics, 'AtsWrite').filter((series) => series.includes('action='))).toEqual(
      written.sort(),
    );
    expect(valuesOf(metrics, 'AtsWrite', { service })).toEqual(written.map(() => 1));
    expect(seriesOf(metrics, 'EventSynced')).toEqual([
      `eventType=interview_ended,service=${service},vendor=round0`,
      `service=${service}`,
    ]);
    const [lag, ...moreLags] = valuesOf(metrics, 'EndToEndLag', { service, vendor: 'round0' });
    expect(moreLags).toEqual([]);
    expect(lag).toBeGreaterThanOrEqual(lagBefore);
    expect(lag).toBeLessThanOrEqual(lagAfter);
    expect(valuesOf(metrics, 'EndToEndLag', { service })).toEqual([lag]);
    expect(metrics.find((metric) => metric.name === 'EndToEndLag')?.unit).toBe('Milliseconds');
  });

  it.each([
    // `ops replay` stamps the envelope
    [
      'a replayed',
      'replay',
      (event: InterviewEvent, at: string) => eventRecord({ ...event, replayedAt: at }),
    ],
    // `ops redrive events` stamps the message
    [
      'a redriven',
      'redrive',
      (event: InterviewEvent, at: string) =>
        sqsRecord(JSON.stringify({ kind: 'event', event }), 1, {
          vendor: event.vendor,
          eventType: event.type,
          dedupeKey: event.dedupeKey,
          [redrivenAtAttribute]: at,
        }),
    ],
  ] as const)(
    'measures %s event’s end-to-end lag from its %s, not from the vendor’s event',
    async (_, how, recordOf) => {
      // Prepare: an operator brings home an event that happened a week ago, a second ago
      const now = Date.now();
      const event = {
        ...round0('interview_ended', {
          eventId: `evt_${how}`,
          interviewId: `int-${how}`,
          email: 'bob@example.com',
        }),
        occurredAt: new Date(now - 7 * 24 * 3600_000).toISOString(),
      };

      // Act
      const response = await invoke(recordOf(event, new Date(now - 1000).toISOString()));
      const elapsed = Date.now() - now;

      // Assess: the writes ran, and the lag is the second since the operator's
      expect(failedIds(response)).toEqual([]);
      expect(seriesOf(published(), 'AtsWrite')).toContain(
        `action=status,outcome=ran,provider=lever,service=${service}`,
      );
      const [lag, ...moreLags] = valuesOf(published(), 'EndToEndLag', { service, vendor: 'round0' });
      expect(moreLags).toEqual([]);
      expect(lag).toBeGreaterThanOrEqual(1000);
      expect(lag).toBeLessThanOrEqual(1000 + elapsed);
    },
  );

  it('measures the lag from the receipt when the event’s own time is older than any delivery delay', async () => {
    // Prepare: an event dated three years before the ingest received it a second ago (micro1's sample report
    // carries such a date_modified): not the event's time
    const now = Date.now();
    const event = {
      ...round0('interview_ended', {
        eventId: 'evt_old_date',
        interviewId: 'int-old-date',
        email: 'cyd@example.com',
      }),
      occurredAt: new Date(now - 3 * 365 * 24 * 3600_000).toISOString(),
      receivedAt: new Date(now - 1000).toISOString(),
    };

    // Act
    const response = await invoke(eventRecord(event));
    const elapsed = Date.now() - now;

    // Assess: the writes ran, and the lag is the second since the receipt, not three years
    expect(failedIds(response)).toEqual([]);
    const [lag, ...moreLags] = valuesOf(published(), 'EndToEndLag', { service, vendor: 'round0' });
    expect(moreLags).toEqual([]);
    expect(lag).toBeGreaterThanOrEqual(1000);
    expect(lag).toBeLessThanOrEqual(1000 + elapsed);
  });

  it('keeps each of two concurrent invocations’ batch failures its own', async () => {
    // Prepare: two batches at once in one process (the local runtime runs several); one record of the
    // first batch fails (ATS 500), every record of the second succeeds
    lever.failNext({ status: 500, match: (r) => r.query.email === 'eve@example.com' });
    const failing = eventRecord(
      round0('interview_ended', {
        eventId: 'evt_conc_fail',
        interviewId: 'int-conc-1',
        email: 'eve@example.com',
      }),
    );
    const others = ['ada', 'cyd'].map((name, index) =>
      eventRecord(
        round0('interview_ended', {
          eventId: `evt_conc_${index}`,
          interviewId: `int-conc-${name}`,
          email: `${name}@example.com`,
        }),
      ),
    );

    // Act
    const [first, second] = await Promise.all([invoke(failing), invoke(...others)]);

    // Assess
    expect(failedIds(first)).toEqual([failing.messageId]);
    expect(failedIds(second)).toEqual([]);
  });

  it('acknowledges a duplicate delivery without calling the ATS again', async () => {
    // Prepare
    const event = round0('interview_ended', {
      eventId: 'evt_dup',
      interviewId: 'int-dup',
      email: 'cyd@example.com',
    });
    const notesBefore = notesOf('cyd').length;
    expect(failedIds(await invoke(eventRecord(event)))).toEqual([]);
    const requestsBefore = lever.state.requests.length;
    expect(seriesOf(published(), 'EndToEndLag')).toEqual([
      `service=${service}`,
      `service=${service},vendor=round0`,
    ]);
    const firstDelivery = stdout().length;

    // Act
    const response = await invoke(eventRecord(event));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(lever.state.requests).toHaveLength(requestsBefore);
    expect(notesOf('cyd')).toHaveLength(notesBefore + 1);
    const duplicate = published(firstDelivery);
    expect(seriesOf(duplicate, 'DuplicateEvent')).toEqual([
      `service=${service}`,
      `service=${service},vendor=round0`,
    ]);
    expect(seriesOf(duplicate, 'EndToEndLag')).toEqual([]);
    expect(seriesOf(duplicate, 'AtsWrite')).toEqual([]);
  });

  it('posts one note for two deliveries of one event in the same batch', async () => {
    // Prepare
    const event = round0('interview_ended', {
      eventId: 'evt_twice',
      interviewId: 'int-twice',
      email: 'ada@example.com',
    });
    const notesBefore = notesOf('ada').length;
    const [first, second] = [eventRecord(event), eventRecord(event)];

    // Act
    const response = await invoke(first, second);
    // What Lambda redelivers: the records reported failed (the one that found the event in progress).
    const retried = response.batchItemFailures.map(({ itemIdentifier }) =>
      itemIdentifier === first.messageId ? first : second,
    );
    const redelivered = await invoke(...retried);

    // Assess: the batch is processed in parallel, so the second delivery found the first in progress
    expect(failedIds(response)).toHaveLength(1);
    expect(failedIds(redelivered)).toEqual([]);
    expect(notesOf('ada')).toHaveLength(notesBefore + 1);
    expect(await drainDeadLetters()).toEqual([]);
  });

  it('counts every failed ATS call among the calls too, so the failure rate sees an ATS that fails them all', async () => {
    // Prepare: the look-ups of two candidates fail (an ATS down at the first call of every event), and the
    // first write of a third candidate's new interview fails after its look-up succeeded
    lever.failNext({ status: 500, times: 1000, match: (r) => String(r.query.email).startsWith('down-') });
    lever.failNext({ status: 500, match: (r) => r.method === 'POST' && r.path.includes('opp-eve') });
    const lookupsFail = ['down-1', 'down-2'].map((name) =>
      eventRecord(
        round0('interview_ended', {
          eventId: `evt_${name}`,
          interviewId: `int-${name}`,
          email: `${name}@example.com`,
        }),
      ),
    );
    const writeFails = eventRecord(
      round0('interview_ended', {
        eventId: 'evt_eve_write_fails',
        interviewId: 'int-eve-write-fails',
        email: 'eve@example.com',
      }),
    );

    // Act
    const response = await invoke(...lookupsFail, writeFails);

    // Assess: three calls tried, three failed: the alarm's rate (failed / calls) is 100 %
    expect(failedIds(response)).toHaveLength(3);
    const metrics = published();
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    expect(sum(valuesOf(metrics, 'AtsWrite', { service }))).toBe(3);
    expect(sum(valuesOf(metrics, 'AtsWriteFailed', { service }))).toBe(3);
    expect(
      sum(valuesOf(metrics, 'AtsWrite', { service, provider: 'lever', action: 'lookup', outcome: 'failed' })),
    ).toBe(2);
    expect(
      sum(valuesOf(metrics, 'AtsWrite', { service, provider: 'lever', action: 'status', outcome: 'failed' })),
    ).toBe(1);
  });

  it('dead-letters an event the ATS refuses (403) with the reason, and parks it as failed', async () => {
    // Prepare
    lever.failNext({ status: 403, match: (r) => r.query.email === 'dan@example.com' });
    const event = endedFor('dan');
    const record = eventRecord(event);

    // Act
    const response = await invoke(record);

    // Assess
    expect(failedIds(response)).toEqual([]);
    const [dead, ...more] = await drainDeadLetters();
    expect(more).toEqual([]);
    expect(dead?.Body).toBe(record.body);
    expect(attribute(dead, 'failureReason')).toBe('lever: forbidden');
    expect(attribute(dead, 'failureErrorName')).toBe('AtsPermanentError');
    // The ingest's labels kept, for operators filtering the DLQ
    expect(['vendor', 'eventType', 'dedupeKey'].map((name) => attribute(dead, name))).toEqual([
      'round0',
      'interview_ended',
      event.dedupeKey,
    ]);
    expect(await parking.list('failed')).toEqual([
      expect.objectContaining({ dedupeKey: event.dedupeKey, reason: 'lever: forbidden', event }),
    ]);
    expect(notesOf('dan')).toEqual([]);
    const metrics = published();
    expect(seriesOf(metrics, 'AtsWriteFailed')).toEqual([
      `provider=lever,service=${service}`,
      `service=${service}`,
    ]);
    expect(seriesOf(metrics, 'EventDeadLettered')).toEqual([`service=${service}`]);
  });

  it('retries an event the ATS refuses when its park fails before the last receive: no dead letter without its parked copy', async () => {
    // Prepare: Lever refuses the look-up (403); DynamoDB refuses the worker's park (its PutItem of a PARKED#
    // item) alone, as a fault would
    const event = round0('interview_ended', {
      eventId: 'evt_refused_unparkable',
      interviewId: 'int-refused-unparkable',
      email: 'refused-unparkable@example.com',
    });
    lever.failNext({ status: 403, match: (r) => r.query.email === 'refused-unparkable@example.com' });
    const record = eventRecord(event);

    // Act
    const response = await whileParksAreRefused(() => invoke(record));

    // Assess: left on the queue (the next receive parks it, then dead-letters it), not dead-lettered bare
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(await drainDeadLetters()).toEqual([]);
    expect((await parking.list('failed')).filter((parked) => parked.dedupeKey === event.dedupeKey)).toEqual(
      [],
    );
  });

  it('on the queue’s last receive, parks and dead-letters an event that still fails transiently, with the reason', async () => {
    // Prepare: the 10th receive (the queue's maxReceiveCount) of an event whose ATS look-up answers 500
    lever.failNext({ status: 500, match: (r) => r.query.email === 'eve@example.com' });
    const event = round0('interview_ended', {
      eventId: 'evt_last_receive',
      interviewId: 'int-last-receive',
      email: 'eve@example.com',
    });
    const record = eventRecord(event, 10);

    // Act
    const response = await invoke(record);

    // Assess: acknowledged (SQS would have moved it without a reason), dead-lettered and parked with one
    expect(failedIds(response)).toEqual([]);
    const [dead, ...more] = await drainDeadLetters();
    expect(more).toEqual([]);
    expect(dead?.Body).toBe(record.body);
    expect(attribute(dead, 'failureErrorName')).toBe('AtsTransientError');
    expect(attribute(dead, 'failureReason')).toBe(
      'gave up after 10 attempts; the last failed with AtsTransientError',
    );
    const parked = (await parking.list('failed')).filter((p) => p.dedupeKey === event.dedupeKey);
    expect(parked).toEqual([expect.objectContaining({ reason: attribute(dead, 'failureReason'), event })]);
    for (const entry of parked) await parking.remove(entry);
    expect(seriesOf(published(), 'EventDeadLettered')).toEqual([`service=${service}`]);
  });

  it('syncs a micro1 report from its webhook on the last receive when the API that tops it up is still down', async () => {
    // Prepare: a report without its transcript (worth reading from the API), an API answering 503 to all
    const report = (id: string) =>
      envelope('micro1', 'interview_report.created', {
        set: { 'data.report_id': id },
        remove: ['data.interview_transcript'],
      });
    const early = report('rep-api-down-early');
    const last = report('rep-api-down-last');
    micro1Api.state.failNext(1000, 503);
    const notesBefore = lever.state.notes.filter((n) => n.opportunityId === 'ABCD1234').length;

    // Act
    const retried = await invoke(eventRecord(early, 9));
    const synced = await invoke(eventRecord(last, 10));
    micro1Api.state.failNext(0);

    // Assess: before the last receive the event is retried; on it, written from the webhook and counted
    expect(failedIds(retried)).toHaveLength(1);
    expect(failedIds(synced)).toEqual([]);
    expect(await drainDeadLetters()).toEqual([]);
    expect(lever.state.notes.filter((n) => n.opportunityId === 'ABCD1234')).toHaveLength(notesBefore + 1);
    expect(valuesOf(published(), 'EnrichmentDegraded', { service, vendor: 'micro1' })).toEqual([1]);
  });

  it('still dead-letters a ROUND0 interview on the last receive when its API is down (its webhook may be partial)', async () => {
    // Prepare
    const event = round0('interview_ended', {
      eventId: 'evt_round0_api_down',
      interviewId: 'int-round0-api-down',
      email: 'dan@example.com',
    });
    round0Api.state.failNext(1000, 503);
    const notesBefore = notesOf('dan').length;

    // Act
    const response = await invoke(eventRecord(event, 10));
    round0Api.state.failNext(0);

    // Assess
    expect(failedIds(response)).toEqual([]);
    const [dead, ...more] = await drainDeadLetters();
    expect(more).toEqual([]);
    expect(attribute(dead, 'failureReason')).toMatch(/^gave up after 10 attempts; the last failed with /);
    expect(notesOf('dan')).toHaveLength(notesBefore);
    const parked = (await parking.list('failed')).filter((p) => p.dedupeKey === event.dedupeKey);
    for (const entry of parked) await parking.remove(entry);
    expect(parked).toHaveLength(1);
  });

  it('reads a vendor API answer up to its cap only: a larger one is refused before it is held, and the event dead-lettered with why', async () => {
    // Prepare: the API's copy of the interview with a transcript past the worker's cap (4 MiB)
    const event = round0('interview_ended', {
      eventId: 'evt_round0_api_huge',
      interviewId: 'int-round0-api-huge',
      email: 'fay@example.com',
    });
    const { body } = round0InterviewFromWebhook(
      event.payload as Parameters<typeof round0InterviewFromWebhook>[0],
      { audioBaseUrl: 'https://unused.invalid' },
    );
    const responses = body.responses as Array<Record<string, unknown>>;
    (responses[0] as Record<string, unknown>).transcript = 'x'.repeat(vendorApiMaxResponseBytes);
    round0Api.state.interviews.set('int-round0-api-huge', body);
    const notesBefore = notesOf('fay').length;

    // Act
    const response = await invoke(eventRecord(event));

    // Assess
    expect(failedIds(response)).toEqual([]);
    const [dead, ...more] = await drainDeadLetters();
    expect(more).toEqual([]);
    expect(attribute(dead, 'failureErrorName')).toBe('ResponseTooLargeError');
    expect(notesOf('fay')).toHaveLength(notesBefore);
    const parked = (await parking.list('failed')).filter((p) => p.dedupeKey === event.dedupeKey);
    for (const entry of parked) await parking.remove(entry);
    expect(parked).toHaveLength(1);
  });

  it('retries an event that fails transiently before the queue’s last receive', async () => {
    // Prepare: the 9th receive
    lever.failNext({ status: 500, match: (r) => r.query.email === 'eve@example.com' });
    const record = eventRecord(
      round0('interview_ended', {
        eventId: 'evt_ninth_receive',
        interviewId: 'int-ninth-receive',
        email: 'eve@example.com',
      }),
      9,
    );

    // Act
    const response = await invoke(record);

    // Assess
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(await drainDeadLetters()).toEqual([]);
  });

  it('parks an unmatched candidate for replay without dead-lettering it', async () => {
    // Prepare
    const event = endedFor('nobody');

    // Act
    const response = await invoke(eventRecord(event));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(await parking.list('unmatched')).toEqual([
      expect.objectContaining({ dedupeKey: event.dedupeKey, reason: 'no candidate with this e-mail', event }),
    ]);
    expect(await drainDeadLetters()).toEqual([]);
    expect(seriesOf(published(), 'CandidateUnmatched')).toEqual([
      `service=${service}`,
      `service=${service},vendor=round0`,
    ]);
    expect(seriesOf(published(), 'AtsWriteFailed')).toEqual([]);
  });

  it.each([
    ['before the last receive', 'retried', 1],
    ['on the last receive', 'dead-lettered with the reason', 10],
  ] as const)(
    'when an unmatched candidate cannot be parked %s, the event is %s, never dropped',
    async (_when, outcome, receiveCount) => {
      // Prepare: an interview of nobody the ATS knows, of its own; DynamoDB refuses the worker's park alone
      // (its PutItem of a PARKED# item), as a fault would
      const event = round0('interview_ended', {
        eventId: `evt_unparkable_${receiveCount}`,
        interviewId: `int-unparkable-${receiveCount}`,
        email: 'nobody@example.com',
      });
      const parkedBefore = await parking.list('unmatched');

      const record = eventRecord(event, receiveCount);

      // Act
      const response = await whileParksAreRefused(() => invoke(record));

      // Assess
      expect(await parking.list('unmatched')).toEqual(parkedBefore);
      const dead = await drainDeadLetters();
      if (outcome === 'retried') {
        expect(failedIds(response)).toEqual([record.messageId]);
        expect(dead).toEqual([]);
      } else {
        expect(failedIds(response)).toEqual([]);
        expect(dead).toHaveLength(1);
        expect(attribute(dead[0], 'failureReason')).toBe(
          'no candidate with this e-mail; could not park it for replay (ValidationException)',
        );
        expect(JSON.parse(dead[0]?.Body ?? '{}')).toMatchObject({ event: { dedupeKey: event.dedupeKey } });
      }
    },
  );

  it.each([
    ['a body that is not JSON', 'not json {', 'queue message is not JSON'],
    [
      'an envelope of an unknown schema version',
      JSON.stringify({ kind: 'event', event: { schemaVersion: 2 } }),
      'queue message has an unknown kind or schema version',
    ],
    [
      'a whole envelope but of an unknown schema version (a rollback’s worker meeting a newer message)',
      JSON.stringify({
        kind: 'event',
        event: {
          ...round0('interview_ended', {
            eventId: 'evt_future',
            interviewId: 'int-future',
            email: 'ada@example.com',
          }),
          schemaVersion: 2,
        },
      }),
      'queue message has an unknown kind or schema version',
    ],
  ])('dead-letters %s', async (_name, body, reason) => {
    // Prepare
    const record = sqsRecord(body);

    // Act
    const response = await invoke(record);

    // Assess
    expect(failedIds(response)).toEqual([]);
    const [dead, ...more] = await drainDeadLetters();
    expect(more).toEqual([]);
    expect(dead?.Body).toBe(body);
    expect(attribute(dead, 'failureErrorName')).toBe('UnreadableQueueMessageError');
    expect(attribute(dead, 'failureReason')).toBe(reason);
  });

  it('logs an unreadable message dead-lettered only once the dead letter is sent: a failed send retries it, unlogged', async () => {
    // Prepare: a handler that logs (this file's is silent), and SQS out of reach for the first try
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const logging = createWorkerHandler();
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const record = sqsRecord('not json {');
    // Powertools writes errors to stderr.
    const deadLetteredLines = () =>
      (output?.stderr() ?? '')
        .split('\n')
        .filter((line) => line.includes('unreadable message dead-lettered'));
    // SQS out of reach: its server stops listening (its queues kept in memory) and listens again on its port
    const { port } = sqsServer.address() as AddressInfo;
    sqsServer.closeAllConnections();
    await new Promise<void>((resolve) => sqsServer.close(() => resolve()));
    let whileGone: SQSBatchResponse;
    try {
      // Act
      whileGone = (await logging({ Records: [record] }, context)) as SQSBatchResponse;
    } finally {
      await new Promise<void>((resolve) => sqsServer.listen(port, '127.0.0.1', resolve));
    }

    // Assess: the message comes back, and no line says it was dead-lettered
    expect(failedIds(whileGone)).toEqual([record.messageId]);
    expect(deadLetteredLines()).toEqual([]);

    // Act: its next receive, the queue back
    const onRedelivery = (await logging({ Records: [record] }, context)) as SQSBatchResponse;

    // Assess: dead-lettered once, and said so once
    expect(failedIds(onRedelivery)).toEqual([]);
    expect(await drainDeadLetters()).toHaveLength(1);
    expect(deadLetteredLines()).toHaveLength(1);
    expect(JSON.parse(deadLetteredLines()[0] ?? '{}')).toMatchObject({ messageId: record.messageId });
  });

  it('dead-letters a message whose raw delivery is malformed, alone: its batch-mate is stored and processed', async () => {
    // Prepare: three messages whose `raw` the ingest would never write, and a good delivery beside them
    const good = round0('interview_ended', {
      eventId: 'evt_rawmate',
      interviewId: 'int-rawmate',
      email: 'nobody@example.com',
    });
    const { raw } = rawOf(good);
    const malformed = [{}, null, 'x'].map((bad, n) => {
      const event = round0('interview_ended', {
        eventId: `evt_badraw_${n}`,
        interviewId: `int-badraw-${n}`,
        email: 'nobody@example.com',
      });
      return sqsRecord(JSON.stringify({ kind: 'event', event, raw: bad }));
    });

    // Act
    const response = await invoke(deliveredRecord(good, raw), ...malformed);

    // Assess: no record failed (the bad ones dead-lettered with the reason), the good one's delivery kept
    expect(failedIds(response)).toEqual([]);
    const dead = await drainDeadLetters();
    expect(dead.map((message) => message.Body).sort()).toEqual(malformed.map((record) => record.body).sort());
    for (const message of dead) {
      expect(attribute(message, 'failureErrorName')).toBe('UnreadableQueueMessageError');
      expect(attribute(message, 'failureReason')).toBe(
        'queue message has a raw delivery without headers or body',
      );
    }
    expect(await storedRaw(good)).toBeDefined();
  });

  it('dead-letters an envelope whose time or key is not a string (a damaged message), alone: its batch-mate is stored and processed', async () => {
    // Prepare: `{ toString: 1 }` cannot become a string (a TypeError wherever it is compared or parsed)
    const good = round0('interview_ended', {
      eventId: 'evt_envmate',
      interviewId: 'int-envmate',
      email: 'nobody@example.com',
    });
    const { raw } = rawOf(good);
    const damaged = (['receivedAt', 'dedupeKey'] as const).map((field, n) => {
      const event = round0('interview_ended', {
        eventId: `evt_badenv_${n}`,
        interviewId: `int-badenv-${n}`,
        email: 'nobody@example.com',
      });
      return sqsRecord(JSON.stringify({ kind: 'event', event: { ...event, [field]: { toString: 1 } }, raw }));
    });

    // Act
    const response = await invoke(deliveredRecord(good, raw), ...damaged);

    // Assess
    expect(failedIds(response)).toEqual([]);
    const dead = await drainDeadLetters();
    expect(dead.map((message) => message.Body).sort()).toEqual(damaged.map((record) => record.body).sort());
    for (const message of dead) {
      expect(attribute(message, 'failureErrorName')).toBe('UnreadableQueueMessageError');
    }
    expect(await storedRaw(good)).toBeDefined();
  });

  it('acknowledges an event type it does not know without calling the ATS or writing the ledger (a replay once the type is handled needs no --force)', async () => {
    // Prepare
    const event = envelope('round0', 'interview_started', {
      set: { id: 'evt_paused', type: 'interview_paused' },
    });
    expect(event.known).toBe(false);
    const requestsBefore = lever.state.requests.length;

    // Act
    const response = await invoke(eventRecord(event));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(lever.state.requests).toHaveLength(requestsBefore);
    expect(await drainDeadLetters()).toEqual([]);
    expect(seriesOf(published(), 'EventIgnored')).toEqual([`service=${service}`]);
    expect(seriesOf(published(), 'EventSynced')).toEqual([]);
    expect(await ledger.read('round0', interviewKeyOf(event))).toBeUndefined();
  });

  it('delays the redelivery when the ATS asks for a long Retry-After', async () => {
    // Prepare: a real message on a queue whose visibility timeout is 1 s
    lever.failNext({
      status: 429,
      headers: { 'retry-after': '120' },
      match: (r) => r.query.email === 'eve@example.com',
    });
    const event = endedFor('eve');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: eventsQueueUrl,
        MessageBody: JSON.stringify({ kind: 'event', event }),
      }),
    );
    // No wait: the emulator holds a long poll for its whole wait, which could use up the 1 s visibility.
    const { Messages: [received] = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 0 }),
    );
    const record = { ...eventRecord(event), receiptHandle: received?.ReceiptHandle ?? '' };

    // Act
    const response = await invoke(record);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { Messages: visible = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 0 }),
    );

    // Assess: reported failed, and still invisible after the queue's own 1 s visibility timeout
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(visible).toEqual([]);
    expect(notesOf('eve')).toEqual([]);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: eventsQueueUrl,
        ReceiptHandle: received?.ReceiptHandle ?? '',
        VisibilityTimeout: 0,
      }),
    );
  });

  it('gives a throttled event back for longer than a short Retry-After, so its receives last', async () => {
    // Prepare: the ATS asks for 1 s; the first redelivery of a throttled event waits at least 10 s
    await takeMessages(eventsQueueUrl);
    lever.failNext({
      status: 429,
      headers: { 'retry-after': '1' },
      match: (r) => r.query.email === 'eve@example.com',
    });
    const event = round0('interview_ended', {
      eventId: 'evt_short_retry_after',
      interviewId: 'int-short-retry-after',
      email: 'eve@example.com',
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: eventsQueueUrl,
        MessageBody: JSON.stringify({ kind: 'event', event }),
      }),
    );
    const { Messages: [received] = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 0 }),
    );
    const record = { ...eventRecord(event), receiptHandle: received?.ReceiptHandle ?? '' };

    // Act
    const response = await invoke(record);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const { Messages: visible = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 0 }),
    );

    // Assess: still invisible well after the 1 s asked for
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(visible).toEqual([]);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: eventsQueueUrl,
        ReceiptHandle: received?.ReceiptHandle ?? '',
        VisibilityTimeout: 0,
      }),
    );
    await takeMessages(eventsQueueUrl);
  });

  it('follows a claim check to S3, and dead-letters one whose object is missing', async () => {
    // Prepare: one envelope stored in S3 as the ingest Lambda does for large events, one pointer to nothing
    const event = round0('interview_ended', {
      eventId: 'evt_claim',
      interviewId: 'int-claim',
      email: 'ada@example.com',
    });
    const notesBefore = notesOf('ada').length;
    await clients.s3Client().send(
      new PutObjectCommand({
        Bucket: 'worker-test-bucket',
        Key: 'claim-checks/present.json',
        Body: JSON.stringify(event),
      }),
    );
    const claim = (key: string) =>
      sqsRecord(
        JSON.stringify({
          kind: 'claim-check',
          bucket: 'worker-test-bucket',
          key,
          dedupeKey: 'x',
          vendor: 'round0',
          type: 'interview_ended',
        }),
      );
    const [present, missing] = [claim('claim-checks/present.json'), claim('claim-checks/gone.json')];

    // Act
    const response = await invoke(present, missing);

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(notesOf('ada')).toHaveLength(notesBefore + 1);
    const [dead, ...more] = await drainDeadLetters();
    expect(more).toEqual([]);
    expect(dead?.Body).toBe(missing.body);
    expect(attribute(dead, 'failureReason')).toBe('claim-check object is missing');
  });

  it("keeps the raw deliveries of an invocation's messages in one object (one PUT), exact bytes and kept headers", async () => {
    // Prepare: one message carrying its delivery, one claim check holding the whole message, one without
    // (a replay: `ops replay` publishes the envelope alone)
    const direct = endedFor('bob');
    const claimed = round0('interview_ended', {
      eventId: 'evt_raw_claim',
      interviewId: 'int-raw-claim',
      email: 'cyd@example.com',
    });
    const replayed = round0('interview_started', {
      eventId: 'evt_raw_replay',
      interviewId: 'int-raw-replay',
      email: 'dan@example.com',
    });
    const directRaw = rawOf(direct);
    const claimedRaw = rawOf(claimed);
    await clients.s3Client().send(
      new PutObjectCommand({
        Bucket: testBucket,
        Key: 'claim-checks/with-raw.json',
        Body: JSON.stringify({ kind: 'event', event: claimed, raw: claimedRaw.raw }),
      }),
    );
    const claimRecord = sqsRecord(
      JSON.stringify({
        kind: 'claim-check',
        bucket: testBucket,
        key: 'claim-checks/with-raw.json',
        dedupeKey: claimed.dedupeKey,
        vendor: 'round0',
        type: 'interview_ended',
      }),
    );

    // Act
    const response = await invoke(deliveredRecord(direct, directRaw.raw), claimRecord, eventRecord(replayed));

    // Assess
    expect(failedIds(response)).toEqual([]);
    for (const [event, { bytes }] of [
      [direct, directRaw],
      [claimed, claimedRaw],
    ] as const) {
      const stored = await storedRaw(event);
      expect(stored).toEqual({
        schemaVersion: 1,
        vendor: 'round0',
        type: 'interview_ended',
        dedupeKey: event.dedupeKey,
        receivedAt: event.receivedAt,
        headers: { 'content-type': 'application/json', 'x-webhook-signature': 't=1,v1=ab' },
        bodyBase64: bytes.toString('base64'),
      });
    }
    expect(await storedRaw(replayed)).toBeUndefined();
    // Both deliveries of the invocation in one object (one PUT), the batch's.
    const keys = new Set([(await storedRawAt(direct))?.key, (await storedRawAt(claimed))?.key]);
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(
      new RegExp(`^${rawBatchesPrefix}${direct.receivedAt.slice(0, 10)}/[0-9a-f]{32}\\.json$`),
    );
  });

  it("sends the archive tasks of an invocation's events in one request", async () => {
    // Prepare: three ended interviews with audio answers, in one batch
    const events = (['ada', 'bob', 'cyd'] as const).map((name) =>
      round0('interview_ended', {
        eventId: `evt_archive_${name}`,
        interviewId: `int-archive-${name}`,
        email: `${name}@example.com`,
      }),
    );
    while ((await takeMessages(archiveQueueUrl)).length > 0);
    workerSqsRequests.take();

    // Act
    const response = await invoke(...events.map((event) => eventRecord(event)));

    // Assess: synced; one SendMessageBatch carrying every interview's tasks
    expect(failedIds(response)).toEqual([]);
    expect(workerSqsRequests.take()).toEqual({ SendMessageBatchCommand: 1 });
    const tasks = (await takeMessages(archiveQueueUrl)).map(
      (message) => JSON.parse(message.Body ?? '{}') as { interviewId: string },
    );
    expect([...new Set(tasks.map((task) => task.interviewId))].sort()).toEqual([
      'int-archive-ada',
      'int-archive-bob',
      'int-archive-cyd',
    ]);
  });

  it('keeps a delivery alone in its invocation at its own raw key', async () => {
    // Prepare
    const event = round0('interview_ended', {
      eventId: 'evt_raw_alone',
      interviewId: 'int-raw-alone',
      email: 'ada@example.com',
    });

    // Act
    const response = await invoke(deliveredRecord(event, rawOf(event).raw));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect((await storedRawAt(event))?.key).toBe(
      rawEventKey(event.vendor, new Date(event.receivedAt), event.dedupeKey),
    );
  });

  it("retries an invocation's messages while S3 refuses their raw deliveries, with no ATS write, and stores them on the redelivery", async () => {
    // Prepare: two deliveries (one batch object); the bucket is gone (an S3 outage as far as the worker can tell)
    const event = round0('interview_ended', {
      eventId: 'evt_raw_outage',
      interviewId: 'int-raw-outage',
      email: 'ada@example.com',
    });
    const other = round0('interview_ended', {
      eventId: 'evt_raw_outage_2',
      interviewId: 'int-raw-outage-2',
      email: 'bob@example.com',
    });
    const { raw, bytes } = rawOf(event);
    const notesBefore = [notesOf('ada').length, notesOf('bob').length];
    await removeTestBucket();

    // Act
    let refused: SQSBatchResponse;
    const records = [deliveredRecord(event, raw), deliveredRecord(other, rawOf(other).raw)];
    try {
      refused = await invoke(...records);
    } finally {
      await clients.s3Client().send(new CreateBucketCommand({ Bucket: testBucket }));
    }
    const notesWhileRefused = [notesOf('ada').length, notesOf('bob').length];
    const redelivered = await invoke(...records);

    // Assess: retried (and counted as such), not dead-lettered, and nothing done before the delivery was kept
    expect(failedIds(refused)).toEqual(records.map((record) => record.messageId));
    expect(seriesOf(published(), 'EventRetried')).toEqual([`service=${service}`]);
    expect(await drainDeadLetters()).toEqual([]);
    expect(notesWhileRefused).toEqual(notesBefore);
    expect(failedIds(redelivered)).toEqual([]);
    expect([notesOf('ada').length, notesOf('bob').length]).toEqual(notesBefore.map((count) => count + 1));
    expect((await storedRaw(event))?.bodyBase64).toBe(bytes.toString('base64'));
    expect(await storedRaw(other)).toBeDefined();
  });

  it('on the last receive, parks and dead-letters with the reason a message S3 kept failing for (raw delivery, claim check), doing nothing; acknowledges a vendor’s test delivery', async () => {
    // Prepare: the 10th receive of a delivery whose raw form S3 must keep and of a claim check S3 must give;
    // the bucket is gone (S3 failing as far as the worker can tell)
    const event = round0('interview_ended', {
      eventId: 'evt_raw_last_receive',
      interviewId: 'int-raw-last-receive',
      email: 'ada@example.com',
    });
    const notesBefore = notesOf('ada').length;
    const delivered = deliveredRecord(event, rawOf(event).raw, 10);
    // And a vendor's test delivery: nothing to do, so not worth a DLQ alarm (acknowledged, logged)
    const testEvent: InterviewEvent = {
      ...round0('interview_ended', {
        eventId: 'evt_test_last_receive',
        interviewId: 'int-test-last-receive',
      }),
      test: true,
    };
    const testDelivery = deliveredRecord(testEvent, rawOf(testEvent).raw, 10);
    const claimCheck = sqsRecord(
      JSON.stringify({
        kind: 'claim-check',
        bucket: testBucket,
        key: 'claim-checks/last-receive.json',
        dedupeKey: 'round0:evt_claim_last_receive',
        vendor: 'round0',
        type: 'interview_ended',
      }),
      10,
    );
    await removeTestBucket();

    // Act
    let response: SQSBatchResponse;
    try {
      response = await invoke(delivered, claimCheck, testDelivery);
    } finally {
      await clients.s3Client().send(new CreateBucketCommand({ Bucket: testBucket }));
    }

    // Assess: acknowledged (SQS would have dead-lettered them without a reason), each dead-lettered with
    // why, the known event parked, nothing written to the ATS
    expect(failedIds(response)).toEqual([]);
    const dead = await drainDeadLetters();
    expect(dead.map((message) => message.Body).sort()).toEqual([delivered.body, claimCheck.body].sort());
    for (const message of dead) {
      expect(attribute(message, 'failureReason')).toMatch(
        /^gave up after 10 attempts; the last failed with \S+$/,
      );
    }
    const parked = (await parking.list('failed')).filter((p) =>
      [event.dedupeKey, testEvent.dedupeKey].includes(p.dedupeKey),
    );
    for (const entry of parked) await parking.remove(entry);
    expect(parked).toEqual([expect.objectContaining({ event })]);
    expect(parked[0]?.reason).toMatch(/^gave up after 10 attempts; the last failed with /);
    expect(notesOf('ada')).toHaveLength(notesBefore);
    expect(seriesOf(published(), 'EventDeadLettered')).toEqual([`service=${service}`]);
  });

  it('ends an event’s ATS calls before its invocation’s time runs out, and reports the event failed in time', async () => {
    // Prepare: an invocation with 900 ms left (the worker keeps a sixth of it to record outcomes); the Lever
    // fake never answers the look-up, whose own attempt would last 2 s (ATS_CONFIG.http.timeoutMs)
    const held = lever.faults.hold({ method: 'GET', path: /\/opportunities$/, every: true });
    const record = eventRecord(
      round0('interview_ended', {
        eventId: 'evt_invocation_budget',
        interviewId: 'int-invocation-budget',
        email: 'cyd@example.com',
      }),
    );
    const shortContext = { ...context, getRemainingTimeInMillis: () => 900 } as Context;
    const startedAt = Date.now();

    // Act
    const response = (await handler({ Records: [record] }, shortContext)) as SQSBatchResponse;
    const elapsed = Date.now() - startedAt;
    held.abort();

    // Assess: failed (to be retried) at the invocation's budget, not at the request's 2 s
    expect(held.count).toBe(1);
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(elapsed).toBeLessThan(1_600);
  });

  it('keeps each concurrent invocation’s call budget its own', async () => {
    // Prepare: invocation A has 900 ms left and its note's POST never answers; invocation B starts just
    // after it with 60 s left
    const held = lever.faults.hold({ method: 'POST', path: /opp-dan\/notes$/, every: true });
    const short = eventRecord(
      round0('interview_ended', {
        eventId: 'evt_budget_a',
        interviewId: 'int-budget-a',
        email: 'dan@example.com',
      }),
    );
    const long = eventRecord(
      round0('interview_ended', {
        eventId: 'evt_budget_b',
        interviewId: 'int-budget-b',
        email: 'bob@example.com',
      }),
    );
    const startedAt = Date.now();

    // Act
    const a = handler({ Records: [short] }, { ...context, getRemainingTimeInMillis: () => 900 } as Context);
    const b = invoke(long);
    const [responseA, responseB] = (await Promise.all([a, b])) as SQSBatchResponse[];
    const elapsedA = Date.now() - startedAt;
    held.abort();

    // Assess: A's note ended at A's budget (not B's, nor the request's own 2 s)
    expect(failedIds(responseA as SQSBatchResponse)).toEqual([short.messageId]);
    expect(failedIds(responseB as SQSBatchResponse)).toEqual([]);
    expect(elapsedA).toBeLessThan(1_900);
  });

  it('does not count a third delivery of an event another invocation holds as failing again: it waits', async () => {
    // Prepare: the first delivery holds the event while its note is posted (held at the Lever fake)
    const event = round0('interview_ended', {
      eventId: 'evt_held_third',
      interviewId: 'int-held-third',
      email: 'dan@example.com',
    });
    const held = lever.faults.hold({ method: 'POST', path: /opp-dan\/notes$/ });
    const first = invoke(eventRecord(event));
    await held.reached;
    const from = stdout().length;

    // Act: its third delivery meets the held event
    const third = await invoke(eventRecord(event, 3));
    const thirdMetrics = published(from);
    held.release();
    await first;

    // Assess: retried, but waiting is not failing (the events-failing-repeatedly alarm must not fire on it)
    expect(failedIds(third)).toHaveLength(1);
    expect(seriesOf(thirdMetrics, 'EventFailingRepeatedly')).toEqual([]);
  });

  it('brings a delivery of an event another invocation holds back in seconds, not after the visibility timeout', async () => {
    // Prepare: an empty events queue; the first delivery holds the event while its note is posted (held at
    // the Lever fake); a second delivery of the same event is a real message, received for 60 s
    while ((await takeMessages(eventsQueueUrl)).length > 0);
    const event = round0('interview_ended', {
      eventId: 'evt_held',
      interviewId: 'int-held',
      email: 'ada@example.com',
    });
    const notesBefore = notesOf('ada').length;
    const held = lever.faults.hold({ method: 'POST', path: /\/notes$/ });
    const first = invoke(eventRecord(event));
    await held.reached;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: eventsQueueUrl,
        MessageBody: JSON.stringify({ kind: 'event', event }),
      }),
    );
    const { Messages: [received] = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
    );
    const record = { ...eventRecord(event), receiptHandle: received?.ReceiptHandle ?? '' };

    // Act: the second delivery meets the held event; then the first finishes
    const second = await invoke(record);
    held.release();
    const firstResponse = await first;
    // Within 10 s, though it was received for 60 s: the worker made it visible again 2 s after its failure
    const { Messages: [again] = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 10 }),
    );
    const third =
      again === undefined ? undefined : await invoke({ ...record, receiptHandle: again.ReceiptHandle ?? '' });

    // Assess: retried, back in seconds, then a duplicate acknowledged; one note
    expect(failedIds(second)).toEqual([record.messageId]);
    expect(failedIds(firstResponse)).toEqual([]);
    expect(again?.MessageId).toBe(received?.MessageId);
    expect(third === undefined ? undefined : failedIds(third)).toEqual([]);
    expect(notesOf('ada')).toHaveLength(notesBefore + 1);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: eventsQueueUrl,
        Entries: [{ Id: '0', ReceiptHandle: again?.ReceiptHandle ?? '' }],
      }),
    );
  });
});

/**
 * Runs `act` while the worker's SQS client refuses its `SendMessage` (the dead letter) and records every
 * `ChangeMessageVisibility` it asks for.
 */
const withWorkerSqs = async <T>(
  options: { readonly refuseDeadLetters: boolean },
  act: (visibility: number[]) => Promise<T>,
): Promise<T> => {
  const client = clients.sqsClient();
  const visibility: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { VisibilityTimeout?: number };
      if (context.commandName === 'ChangeMessageVisibilityCommand' && input.VisibilityTimeout !== undefined)
        visibility.push(input.VisibilityTimeout);
      if (options.refuseDeadLetters && context.commandName === 'SendMessageCommand')
        throw Object.assign(new Error('injected SQS failure'), {
          name: 'ServiceUnavailable',
          $fault: 'server',
        });
      return next(args);
    },
    { step: 'initialize', name: 'faultyWorkerSqs' },
  );
  try {
    return await act(visibility);
  } finally {
    client.middlewareStack.remove('faultyWorkerSqs');
  }
};

describe('worker handler: what it keeps when its dead letter fails, and its back-off by receive', () => {
  it('on the last receive, does not acknowledge an unmatched event it could neither park nor dead-letter', async () => {
    // Prepare: nobody the ATS knows; parks refused; the dead letter's send refused
    const event = round0('interview_ended', {
      eventId: 'evt_unparkable_undeliverable',
      interviewId: 'int-unparkable-undeliverable',
      email: 'nobody@example.com',
    });
    const record = eventRecord(event, 10);

    // Act
    const response = await whileParksAreRefused(() =>
      withWorkerSqs({ refuseDeadLetters: true }, () => invoke(record)),
    );

    // Assess: nothing durable holds it, so SQS must keep it (its redrive moves it): never acknowledged
    expect(failedIds(response)).toEqual([record.messageId]);
  });

  it('on the last receive, does not acknowledge a message S3 kept failing for whose dead letter could not be sent', async () => {
    // Prepare: the 10th receive of a delivery whose raw form S3 must keep; the bucket gone; parks refused too
    const event = round0('interview_ended', {
      eventId: 'evt_raw_undeliverable',
      interviewId: 'int-raw-undeliverable',
      email: 'ada@example.com',
    });
    const record = deliveredRecord(event, rawOf(event).raw, 10);
    await removeTestBucket();

    // Act
    let response: SQSBatchResponse;
    try {
      response = await whileParksAreRefused(() =>
        withWorkerSqs({ refuseDeadLetters: true }, () => invoke(record)),
      );
    } finally {
      await clients.s3Client().send(new CreateBucketCommand({ Bucket: testBucket }));
    }

    // Assess
    expect(failedIds(response)).toEqual([record.messageId]);
  });

  it('gives a throttled event back for longer at each receive (its receive count reaches the back-off)', async () => {
    // Prepare: the ATS asks for 1 s on the 3rd receive; the queue's visibility timeout is 60 s here
    lever.failNext({
      status: 429,
      headers: { 'retry-after': '1' },
      match: (r) => r.query.email === 'eve@example.com',
    });
    const event = round0('interview_ended', {
      eventId: 'evt_throttled_third',
      interviewId: 'int-throttled-third',
      email: 'eve@example.com',
    });

    // Act
    const visibility = await withWorkerSqs({ refuseDeadLetters: false }, async (asked) => {
      await invoke(eventRecord(event, 3));
      return asked;
    });

    // Assess: 10 s doubled twice (40 s), not the first receive's 10 s
    expect(visibility).toEqual([40]);
  });

  it('brings a held event back later at each receive, so a dead holder’s lease runs out before the last', async () => {
    // Prepare: the first delivery holds the event while its note is posted
    const event = round0('interview_ended', {
      eventId: 'evt_held_fourth',
      interviewId: 'int-held-fourth',
      email: 'cyd@example.com',
    });
    const held = lever.faults.hold({ method: 'POST', path: /opp-cyd\/notes$/ });
    const first = invoke(eventRecord(event));
    await held.reached;

    // Act: its 4th delivery meets the held event
    const visibility = await withWorkerSqs({ refuseDeadLetters: false }, async (asked) => {
      await invoke(eventRecord(event, 4));
      return asked;
    });
    held.release();
    await first;

    // Assess: 2 s doubled three times
    expect(visibility).toEqual([16]);
  });
});
