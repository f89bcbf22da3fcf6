/**
 * The metrics the real archive handler (functions/archive.ts) publishes, against the local emulators and a
 * media host on 127.0.0.1: objects and bytes archived by vendor, a refused URL counted as SSRF and as a
 * failure, an unreadable task as a failure of vendor `unknown`, an HTML page served for a PDF parked.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import { envNames } from '../../../functions/platform/env.js';
import { resources } from '../../../lib/resources.js';
import { startEmulators } from '../../../local/emulators.js';
import { whileParksAreRefused } from '../../helpers/refused-parks.js';
import { sqsRecord as sqsRecordOf } from '../../helpers/sqs-records.js';
import { captureMetrics, seriesOf, valuesOf } from '../../unit/platform/emf.js';
import { archiveHandlerEnv, destroyHandlerClients, webhookOnlySecretsFile } from './archive-handler.js';

// Prepare (once): emulators, a media host, and the environment the archive handler reads at import time.
const emulators = await startEmulators();
const media = Buffer.from('%PDF-1.4 a tiny report, archived byte for byte\n');
/** What a CDN answers with 200 for an expired link: a page, not the report. */
const expiredPage = Buffer.from('<!doctype html><html><body>This link has expired.</body></html>\n');
/** A path answered only once the test releases it: a download still in flight. */
const held = (path: string) => {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { path, released, release };
};
const slow = held('/slow.pdf');
const slowToo = held('/slow-too.pdf');
const slowTwice = held('/slow-twice.pdf');
const mediaRequests: string[] = [];
const mediaServer = createServer(async (request, response) => {
  mediaRequests.push(request.url ?? '');
  for (const gate of [slow, slowToo, slowTwice]) if (request.url === gate.path) await gate.released;
  if (request.url === '/expired-audio.mp3') {
    // What ROUND0's storage answers for an audio URL past its 24 h.
    response.writeHead(403).end();
    return;
  }
  if (request.url === '/failing.pdf') {
    // A host that keeps failing: a transient failure on every receive.
    response.writeHead(503).end();
    return;
  }
  const body = request.url === '/expired.pdf' ? expiredPage : media;
  const contentType = body === media ? 'application/pdf' : 'text/html; charset=utf-8';
  response.writeHead(200, { 'content-type': contentType, 'content-length': String(body.length) });
  response.end(body);
});
await new Promise<void>((resolve) => mediaServer.listen(0, '127.0.0.1', resolve));
const mediaOrigin = `http://127.0.0.1:${(mediaServer.address() as AddressInfo).port}`;
const { secretsFile, remove: removeSecretsFile } = webhookOnlySecretsFile('archive-metrics-');
Object.assign(
  process.env,
  archiveHandlerEnv(emulators, secretsFile, {
    [envNames.archiveMediaHosts]: JSON.stringify({
      micro1: ['127.0.0.1'],
      round0: ['media.round0.example', '127.0.0.1'],
    }),
    // Never reached: the secrets file holds no ROUND0 API key (no `vendorApi` section at all).
    [envNames.round0ApiBaseUrl]: 'http://127.0.0.1:9/',
    POWERTOOLS_METRICS_DISABLED: 'false',
  }),
);
const { createArchiveHandler } = await import('../../../functions/archive.js');
const clients = await import('../../../functions/platform/clients.js');
const handler = createArchiveHandler();
const ledger = { client: clients.dynamoDbClient(), tableName: resources.ledgerTable.name };

const service = 'interview-sync-archive';
const context = {
  functionName: 'interview-sync-archive',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

const sqsRecord = (body: string, receiveCount = 1): SQSRecord =>
  sqsRecordOf(body, receiveCount, {}, 'interview-sync-archive-tasks');

/** A micro1 report task whose PDF is at `sourceUrl`. */
const reportTask = (id: string, sourceUrl: string): ArchiveTask => ({
  schemaVersion: 1,
  vendor: 'micro1',
  interviewKey: `report-${id}`,
  interviewId: `report-${id}`,
  batchId: `batch-${id}`,
  batchAssets: ['report'],
  asset: {
    kind: 'file',
    name: 'report',
    key: `interviews/report-${id}/report.pdf`,
    sourceUrl,
    contentType: 'application/pdf',
  },
});

/**
 * Up to 10 visible messages of the archive's DLQ, with their attributes (received, not deleted: each test
 * finds its own by body).
 */
const archiveDeadLetters = async (): Promise<Message[]> => {
  const { Messages = [] } = await emulators.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: emulators.queueUrls.archiveDeadLetter,
      MessageAttributeNames: ['All'],
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
    }),
  );
  return Messages;
};

/**
 * Messages on the archive queue: delayed, receivable or received. The handler is invoked directly, so
 * only the tasks it sends to wait land there (the tests delete none but their own): a task sent to wait
 * adds one, and after its 30 s it moves on from delayed to receivable without leaving the count.
 */
const messagesOnArchiveQueue = async (): Promise<number> => {
  const names = [
    'ApproximateNumberOfMessagesDelayed',
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
  ] as const;
  const { Attributes } = await emulators.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: emulators.queueUrls.archive, AttributeNames: [...names] }),
  );
  return names.reduce((sum, name) => sum + Number(Attributes?.[name] ?? 0), 0);
};

const invoke = (...records: SQSRecord[]) =>
  captureMetrics(
    async () => (await handler({ Records: records } satisfies SQSEvent, context)) as SQSBatchResponse,
  );

afterAll(async () => {
  destroyHandlerClients(clients);
  await new Promise<void>((resolve) => mediaServer.close(() => resolve()));
  await emulators.close();
  removeSecretsFile();
});

describe('archive handler metrics', () => {
  it('counts the objects and bytes it archived, by vendor', async () => {
    // Act
    const { result, metrics } = await invoke(
      sqsRecord(JSON.stringify(reportTask('ok', `${mediaOrigin}/report.pdf`))),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    for (const dimensions of [{ service }, { service, vendor: 'micro1' }] as Record<string, string>[]) {
      expect(valuesOf(metrics, 'ArchiveObjects', dimensions)).toEqual([1]);
      expect(valuesOf(metrics, 'ArchiveBytes', dimensions)).toEqual([media.length]);
    }
    expect(metrics.find((metric) => metric.name === 'ArchiveBytes')?.unit).toBe('Bytes');
    expect(seriesOf(metrics, 'ArchiveFailed')).toEqual([]);
  });

  it('archives an asset one task at a time: a second task for it is acknowledged and sent to wait, and finds it archived after', async () => {
    // Prepare: two batches naming the same report (a report's and a recording's, say), the first in flight
    const url = `${mediaOrigin}/slow.pdf`;
    const first = reportTask('lease', url);
    const second = { ...reportTask('lease', url), batchId: 'batch-lease-2' };
    const queuedBefore = await messagesOnArchiveQueue();
    const firstRun = invoke(sqsRecord(JSON.stringify(first)));
    while (!mediaRequests.includes('/slow.pdf')) await new Promise((resolve) => setTimeout(resolve, 10));

    // Act: the second task meets the lease; the first ends; the second comes back (as sent again)
    const busy = await invoke(sqsRecord(JSON.stringify(second)));
    const queued = await messagesOnArchiveQueue();
    slow.release();
    const done = await firstRun;
    const afterWait = await invoke(sqsRecord(JSON.stringify({ ...second, deferrals: 1 })));

    // Assess: acknowledged, neither failed nor counted, one message waiting on the queue; one download in all
    expect(busy.result.batchItemFailures).toEqual([]);
    expect(seriesOf(busy.metrics, 'ArchiveFailed')).toEqual([]);
    expect(seriesOf(busy.metrics, 'ArchiveObjects')).toEqual([]);
    expect(queued).toBe(queuedBefore + 1);
    expect(done.result.batchItemFailures).toEqual([]);
    expect(afterWait.result.batchItemFailures).toEqual([]);
    expect(mediaRequests.filter((path) => path === '/slow.pdf')).toHaveLength(1);
    // Stored once, counted once: the task that found it archived stores and counts nothing
    expect(seriesOf(afterWait.metrics, 'ArchiveObjects')).toEqual([]);
    expect(seriesOf(afterWait.metrics, 'ArchiveBytes')).toEqual([]);
    const manifest = new ArchiveManifest(ledger);
    for (const batchId of [first.batchId, second.batchId]) {
      expect(await manifest.markAssetDone('micro1', first.interviewKey, batchId, 'report', ['report'])).toBe(
        'already-complete',
      );
    }
  });

  it('sends a task for a busy asset again, as it came plus one deferral, to wait 30 s (less than the lease’s minute), and archives it then', async () => {
    // Prepare: a lease another task holds for a minute more; a task with keys this version does not know
    // (at its top and inside `refresh`, which the task schema reads strictly)
    const report = reportTask('lease-short', `${mediaOrigin}/report.pdf`);
    const task = {
      ...report,
      asset: { ...report.asset, refresh: { round0InterviewId: 'r', questionId: 'q', fromALaterVersion: 1 } },
      fromALaterVersion: { kept: true },
    };
    const key = task.asset.kind === 'file' ? task.asset.key : '';
    const manifest = new ArchiveManifest(ledger);
    const leaseEnds = Date.now() + 60_000;
    await manifest.lease('micro1', task.interviewKey, key, 'another-task', leaseEnds);

    // Act: the task waits; the holder ends meanwhile; the task comes back
    const sentAt = Date.now();
    const busy = await invoke(sqsRecord(JSON.stringify(task)));
    let message: Message | undefined;
    while (message === undefined && Date.now() < sentAt + 45_000) {
      // Only this task's message: other tests' tasks sent to wait come back during these 30 s too.
      const { Messages = [] } = await emulators.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: emulators.queueUrls.archive,
          WaitTimeSeconds: 20,
          MaxNumberOfMessages: 10,
        }),
      );
      message = Messages.find((received) => received.Body?.includes(task.interviewKey));
    }
    const receivedAt = Date.now();
    await manifest.release('micro1', task.interviewKey, key, 'another-task');
    const afterWait = await invoke(sqsRecord(message?.Body ?? ''));

    // Assess: receivable after its 30 s, well before the lease's end
    expect(busy.result.batchItemFailures).toEqual([]);
    expect(JSON.parse(message?.Body ?? '{}')).toEqual({ ...task, deferrals: 1 });
    expect(receivedAt - sentAt).toBeGreaterThanOrEqual(30_000);
    expect(receivedAt).toBeLessThan(leaseEnds);
    expect(afterWait.result.batchItemFailures).toEqual([]);
    expect(valuesOf(afterWait.metrics, 'ArchiveObjects', { service, vendor: 'micro1' })).toEqual([1]);
    await emulators.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: emulators.queueUrls.archive,
        ReceiptHandle: message?.ReceiptHandle,
      }),
    );
  }, 60_000);

  it('still sends a task to wait after seven waits, before its queue’s last receive', async () => {
    // Prepare
    const task = { ...reportTask('lease-seven', `${mediaOrigin}/report.pdf`), deferrals: 7 };
    const key = task.asset.kind === 'file' ? task.asset.key : '';
    await new ArchiveManifest(ledger).lease(
      'micro1',
      task.interviewKey,
      key,
      'another-task',
      Date.now() + 600_000,
    );
    const queuedBefore = await messagesOnArchiveQueue();

    // Act
    const busy = await invoke(sqsRecord(JSON.stringify(task), resources.archiveQueue.maxReceiveCount - 1));

    // Assess
    expect(busy.result.batchItemFailures).toEqual([]);
    expect(seriesOf(busy.metrics, 'ArchiveObjects')).toEqual([]);
    expect(await messagesOnArchiveQueue()).toBe(queuedBefore + 1);
  });

  it('holds the lease while it archives regardless, so a third task for the asset still waits', async () => {
    // Prepare: a task past its eighth wait, archiving a download that is still in flight
    const url = `${mediaOrigin}${slowToo.path}`;
    const regardless = { ...reportTask('lease-third', url), deferrals: 8 };
    const third = { ...reportTask('lease-third', url), batchId: 'batch-lease-third' };
    const queuedBefore = await messagesOnArchiveQueue();
    const regardlessRun = invoke(sqsRecord(JSON.stringify(regardless)));
    while (!mediaRequests.includes(slowToo.path)) await new Promise((resolve) => setTimeout(resolve, 10));

    // Act
    const thirdRun = invoke(sqsRecord(JSON.stringify(third)));
    const waited = await Promise.race([
      thirdRun.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
    ]);
    slowToo.release();
    const [done, thirdDone] = await Promise.all([regardlessRun, thirdRun]);

    // Assess: the third task was sent to wait without downloading; one download in all
    expect(waited).toBe('answered');
    expect(thirdDone.result.batchItemFailures).toEqual([]);
    expect(seriesOf(thirdDone.metrics, 'ArchiveObjects')).toEqual([]);
    expect(await messagesOnArchiveQueue()).toBe(queuedBefore + 1);
    expect(done.result.batchItemFailures).toEqual([]);
    expect(mediaRequests.filter((path) => path === slowToo.path)).toHaveLength(1);
  });

  it('lets one of two deliveries of one message at once archive, and sends the other to wait (each attempt owns its lease)', async () => {
    // Prepare: SQS delivers a message at least once: the same message again, while its first delivery downloads
    const task = reportTask('lease-twice', `${mediaOrigin}${slowTwice.path}`);
    const record = sqsRecord(JSON.stringify(task));
    const queuedBefore = await messagesOnArchiveQueue();
    const firstRun = invoke(record);
    while (!mediaRequests.includes(slowTwice.path)) await new Promise((resolve) => setTimeout(resolve, 10));

    // Act
    const again = await invoke({ ...record, receiptHandle: `${record.receiptHandle}-again` });
    slowTwice.release();
    const done = await firstRun;

    // Assess: the second delivery did not download; it waits on the queue; one download in all
    expect(again.result.batchItemFailures).toEqual([]);
    expect(seriesOf(again.metrics, 'ArchiveObjects')).toEqual([]);
    expect(await messagesOnArchiveQueue()).toBe(queuedBefore + 1);
    expect(done.result.batchItemFailures).toEqual([]);
    expect(mediaRequests.filter((path) => path === slowTwice.path)).toHaveLength(1);
    expect(
      await new ArchiveManifest(ledger).markAssetDone('micro1', task.interviewKey, task.batchId, 'report', [
        'report',
      ]),
    ).toBe('already-complete');
  });

  it('asks once more and archives at once when the holder gives the lease up between the refusal and the read', async () => {
    // Prepare: a lease another task holds; it gives the lease up right after this task's request is refused
    // (a middleware on the handler's own client, before the read of the lease that follows the refusal)
    const task = reportTask('lease-released', `${mediaOrigin}/report.pdf`);
    const key = task.asset.kind === 'file' ? task.asset.key : '';
    const manifest = new ArchiveManifest(ledger);
    await manifest.lease('micro1', task.interviewKey, key, 'another-task', Date.now() + 600_000);
    const queuedBefore = await messagesOnArchiveQueue();
    let releasedBetween = 0;
    const stack = clients.dynamoDbClient().middlewareStack;
    stack.add(
      (next, handlerContext) => async (args) => {
        const read = handlerContext.commandName === 'GetItemCommand';
        if (read && releasedBetween === 0 && JSON.stringify(args.input).includes('LEASE#')) {
          releasedBetween += 1;
          await manifest.release('micro1', task.interviewKey, key, 'another-task');
        }
        return next(args);
      },
      { step: 'initialize', name: 'releaseBetweenTheTwoReads' },
    );

    // Act
    const run = await invoke(sqsRecord(JSON.stringify(task))).finally(() =>
      stack.remove('releaseBetweenTheTwoReads'),
    );

    // Assess: archived in this invocation, not sent to wait for a lease nobody holds
    expect(releasedBetween).toBe(1);
    expect(run.result.batchItemFailures).toEqual([]);
    expect(valuesOf(run.metrics, 'ArchiveObjects', { service, vendor: 'micro1' })).toEqual([1]);
    expect(await messagesOnArchiveQueue()).toBe(queuedBefore);
  });

  it.each([
    ['on its queue’s last receive', resources.archiveQueue.maxReceiveCount, 0],
    ['after eight waits', 1, 8],
  ])('archives regardless %s, while another task holds the asset', async (_when, receiveCount, deferrals) => {
    // Prepare: a lease held by a task that is not done (it would hold it for minutes)
    const task = { ...reportTask(`lease-${deferrals}`, `${mediaOrigin}/report.pdf`), deferrals };
    await new ArchiveManifest(ledger).lease(
      'micro1',
      task.interviewKey,
      task.asset.kind === 'file' ? task.asset.key : '',
      'another-task',
      Date.now() + 600_000,
    );

    // Act
    const regardless = await invoke(sqsRecord(JSON.stringify(task), receiveCount));

    // Assess
    expect(regardless.result.batchItemFailures).toEqual([]);
    expect(valuesOf(regardless.metrics, 'ArchiveObjects', { service, vendor: 'micro1' })).toEqual([1]);
  });

  it('counts a media URL the guard refuses as SSRF refused and as failed, by vendor', async () => {
    // Act: a host micro1's media may not come from
    const { result, metrics } = await invoke(
      sqsRecord(JSON.stringify(reportTask('ssrf', 'http://metadata.internal.example/latest/meta-data'))),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(seriesOf(metrics, 'SsrfRefused')).toEqual([
      `service=${service}`,
      `service=${service},vendor=micro1`,
    ]);
    expect(seriesOf(metrics, 'ArchiveFailed')).toEqual([
      `service=${service}`,
      `service=${service},vendor=micro1`,
    ]);
    expect(seriesOf(metrics, 'ArchiveObjects')).toEqual([]);
  });

  it('counts a refused URL once its task is dead-lettered, not while its park fails before the last receive', async () => {
    // Prepare
    const task = reportTask('ssrf-unparked', 'http://metadata.internal.example/latest/meta-data');

    // Act: the first receive with parks refused, then the last receive
    const first = await whileParksAreRefused(clients.dynamoDbClient(), () =>
      invoke(sqsRecord(JSON.stringify(task))),
    );
    const last = await whileParksAreRefused(clients.dynamoDbClient(), () =>
      invoke(sqsRecord(JSON.stringify(task), resources.archiveQueue.maxReceiveCount)),
    );

    // Assess: retried and uncounted while its park may still be made; dead-lettered and counted once
    expect(first.result.batchItemFailures).toHaveLength(1);
    expect(seriesOf(first.metrics, 'SsrfRefused')).toEqual([]);
    expect(seriesOf(first.metrics, 'ArchiveFailed')).toEqual([]);
    expect(last.result.batchItemFailures).toEqual([]);
    expect(valuesOf(last.metrics, 'SsrfRefused', { service, vendor: 'micro1' })).toEqual([1]);
    expect(valuesOf(last.metrics, 'ArchiveFailed', { service, vendor: 'micro1' })).toEqual([1]);
  });

  it('parks an HTML page answered 200 for a report as failed, with its reason, and records nothing', async () => {
    // Prepare
    const task = reportTask('page', `${mediaOrigin}/expired.pdf`);

    // Act
    const { result, metrics } = await invoke(sqsRecord(JSON.stringify(task)));

    // Assess: not retried (the page would come back), counted, parked with why, absent from the manifest
    expect(result.batchItemFailures).toEqual([]);
    expect(seriesOf(metrics, 'ArchiveFailed')).toEqual([
      `service=${service}`,
      `service=${service},vendor=micro1`,
    ]);
    expect(seriesOf(metrics, 'ArchiveObjects')).toEqual([]);
    const parked = (await new ParkingLot(ledger).list('failed')).filter(
      (entry) => (entry.event.payload as ArchiveTask).interviewKey === task.interviewKey,
    );
    expect(parked.map((entry) => entry.reason)).toEqual([
      'archive report: interviews/report-page/report.pdf: expected application/pdf, the source sent other bytes (content type text/html; charset=utf-8)',
    ]);
    const asset = task.asset as Extract<ArchiveTask['asset'], { kind: 'file' }>;
    expect(await new ArchiveManifest(ledger).get('micro1', task.interviewKey, asset.key)).toBeUndefined();
  });

  it('parks an expired ROUND0 audio URL it has no API key to refresh, saying where the key belongs (a stage not yet moved to the vendor API secret)', async () => {
    // Prepare
    const task: ArchiveTask = {
      schemaVersion: 1,
      vendor: 'round0',
      interviewKey: 'r0-no-key',
      interviewId: 'r0-no-key',
      batchId: 'batch-r0-no-key',
      batchAssets: ['question_q1'],
      asset: {
        kind: 'file',
        name: 'question_q1',
        key: 'interviews/r0-no-key/question_q1.mp3',
        sourceUrl: `${mediaOrigin}/expired-audio.mp3`,
        contentType: 'audio/mpeg',
        refresh: { round0InterviewId: 'r0-no-key', questionId: 'q1' },
      },
    };

    // Act
    const { result } = await invoke(sqsRecord(JSON.stringify(task)));

    // Assess: not retried (it cannot succeed until an operator acts), parked with what to do
    expect(result.batchItemFailures).toEqual([]);
    const parked = (await new ParkingLot(ledger).list('failed')).filter(
      (entry) => (entry.event.payload as ArchiveTask).interviewKey === task.interviewKey,
    );
    expect(parked.map((entry) => entry.reason)).toEqual([
      'archive question_q1: interviews/r0-no-key/question_q1.mp3: media URL expired and no ROUND0 API key to ' +
        'refresh it: store one in the vendor API secret (npm run ops -- setup --round0-api-key, which also moves ' +
        'a key left in the integration secret), then redrive',
    ]);
  });

  it('counts a task failing again from its second receive, for the alarm SQS’s age metric cannot give', async () => {
    // Prepare
    const task = reportTask('failing-again', `${mediaOrigin}/failing.pdf`);

    // Act
    const first = await invoke(sqsRecord(JSON.stringify(task), 1));
    const second = await invoke(sqsRecord(JSON.stringify(task), 2));

    // Assess
    expect(first.result.batchItemFailures).toHaveLength(1);
    expect(second.result.batchItemFailures).toHaveLength(1);
    expect(seriesOf(first.metrics, 'ArchiveTaskFailingRepeatedly')).toEqual([]);
    expect(seriesOf(second.metrics, 'ArchiveTaskFailingRepeatedly')).toEqual([`service=${service}`]);
  });

  it('retries a task whose host fails before the queue’s last receive; on the last, parks and dead-letters it with the reason', async () => {
    // Prepare: a host answering 503, on the 4th and then the 5th receive (the archive queue's maxReceiveCount)
    const task = reportTask('failing', `${mediaOrigin}/failing.pdf`);
    const last = resources.archiveQueue.maxReceiveCount;

    // Act
    const before = await invoke(sqsRecord(JSON.stringify(task), last - 1));
    const atLast = await invoke(sqsRecord(JSON.stringify(task), last));

    // Assess: retried, then not (SQS would have moved it with no reason, nothing parked, nothing counted)
    expect(before.result.batchItemFailures).toHaveLength(1);
    expect(atLast.result.batchItemFailures).toEqual([]);
    expect(seriesOf(atLast.metrics, 'ArchiveFailed')).toEqual([
      `service=${service}`,
      `service=${service},vendor=micro1`,
    ]);
    const reason = `gave up after ${last} attempts; the last failed with HttpTransientError`;
    const parked = (await new ParkingLot(ledger).list('failed')).filter(
      (entry) => (entry.event.payload as ArchiveTask).interviewKey === task.interviewKey,
    );
    expect(parked.map((entry) => entry.reason)).toEqual([`archive report: ${reason}`]);
    const dead = await archiveDeadLetters();
    const ours = dead.filter((message) => message.Body === JSON.stringify(task));
    expect(ours.map((message) => message.MessageAttributes?.failureReason?.StringValue)).toEqual([reason]);
  });

  it('sends archive.completed on the retry of a task that crashed after marking its batch complete, before the send', async () => {
    // Prepare: an earlier attempt archived the report and marked the batch complete, then died before it
    // sent archive.completed (the middleware stack of the handler's SQS client is cached: a send cannot be
    // faulted from here once the client was used, so the crash is reproduced by its trace in the manifest)
    const task = reportTask('publish-retry', `${mediaOrigin}/report.pdf`);
    const marked = await new ArchiveManifest(ledger).markAssetDone(
      task.vendor,
      task.interviewKey,
      task.batchId,
      task.asset.name,
      task.batchAssets,
    );
    expect(marked).toBe('complete');

    // Act
    const retry = await invoke(sqsRecord(JSON.stringify(task), 2));

    // Assess: the retry found the batch complete already and sent the event, once
    expect(retry.result.batchItemFailures).toEqual([]);
    const completions: Message[] = [];
    for (let polls = 0; polls < 3; polls += 1) {
      const { Messages = [] } = await emulators.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: emulators.queueUrls.events,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      completions.push(...Messages.filter((message) => message.Body?.includes(task.batchId)));
    }
    expect(completions.map((message) => JSON.parse(message.Body ?? '{}').event?.type)).toEqual([
      'archive.completed',
    ]);
  });

  it.each([
    ['a body that is not JSON', 'unknown', 'not json'],
    [
      'a task of a vendor it knows, missing its asset',
      'round0',
      JSON.stringify({ schemaVersion: 1, vendor: 'round0' }),
    ],
    [
      'a task naming a vendor it does not know',
      'unknown',
      JSON.stringify({ schemaVersion: 1, vendor: 'acme' }),
    ],
  ])('counts %s as failed, of vendor %s', async (_, vendor, body) => {
    const { metrics } = await invoke(sqsRecord(body));
    expect(seriesOf(metrics, 'ArchiveFailed')).toEqual([
      `service=${service}`,
      `service=${service},vendor=${vendor}`,
    ]);
  });

  it('dead-letters an invalid task with the paths that failed and what they expect, never the values', async () => {
    // Prepare: a hand-made task with an e-mail where the pseudonym goes, and no asset
    const body = JSON.stringify({
      schemaVersion: 1,
      vendor: 'round0',
      interviewKey: 'k',
      interviewId: 'i',
      batchId: 'b',
      batchAssets: [],
      candidate: 'jane.doe@example.com',
    });

    // Act
    const { result } = await invoke(sqsRecord(body));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const dead = await archiveDeadLetters();
    const reason = dead.find((message) => message.Body === body)?.MessageAttributes?.failureReason
      ?.StringValue;
    expect(reason).toMatch(
      /^candidate: Invalid regex: expected \/\^email-hmac.*; asset: Invalid type: expected /,
    );
    expect(reason).not.toMatch(/jane/);
  });

  it('logs and counts an unreadable task only once it is dead-lettered: a failed send retries it, unlogged', async () => {
    // Prepare: a handler that logs (this file's is silent); SQS out of reach for the first try
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const logging = createArchiveHandler();
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const record = sqsRecord('not json, never');
    const run = () =>
      captureMetrics(
        async () => (await logging({ Records: [record] } satisfies SQSEvent, context)) as SQSBatchResponse,
      );
    // Powertools writes errors to stderr.
    const deadLetteredLines = (errors: string) =>
      errors.split('\n').filter((line) => line.includes('unreadable archive task dead-lettered'));
    await emulators.sqsServer.stop();
    let whileGone: Awaited<ReturnType<typeof run>>;
    try {
      // Act
      whileGone = await run();
    } finally {
      await emulators.sqsServer.start();
    }

    // Assess: the task comes back, neither logged nor counted as failed
    expect(whileGone.result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(deadLetteredLines(whileGone.errors)).toEqual([]);
    expect(seriesOf(whileGone.metrics, 'ArchiveFailed')).toEqual([]);

    // Act: its next receive, SQS back
    const onRedelivery = await run();

    // Assess: dead-lettered once, said and counted once
    expect(onRedelivery.result.batchItemFailures).toEqual([]);
    expect(deadLetteredLines(onRedelivery.errors)).toHaveLength(1);
    expect(valuesOf(onRedelivery.metrics, 'ArchiveFailed', { service, vendor: 'unknown' })).toEqual([1]);
    const dead = await archiveDeadLetters();
    expect(dead.filter((message) => message.Body === record.body)).toHaveLength(1);
  });
});
