import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { silentLog } from '../../../local/log.js';
import { queueCounts } from '../../../local/queue-depth.js';
import { type SqsPollerOptions, startSqsPoller } from '../../../local/sqs-poller.js';
import {
  bodiesSeen,
  createTestQueue,
  eventually,
  receiveAll,
  recordingWorker,
  sendTestMessage,
  type TestQueue,
  testFunction,
} from './factories.js';

let emulators: LocalEmulators;
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await emulators.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poller options for a test queue: short polls and no batching window, so tests run fast. */
const pollerFor = (
  queue: TestQueue,
  handler: ReturnType<SqsPollerOptions['createHandler']>,
  overrides: Partial<SqsPollerOptions> = {},
): SqsPollerOptions => ({
  sqs: emulators.sqs,
  queueUrl: queue.url,
  queueArn: queue.arn,
  createHandler: () => handler,
  function: testFunction(),
  waitTimeSeconds: 0,
  maxBatchingWindowSeconds: 0,
  log: silentLog,
  ...overrides,
});

const failRecordsWithBody =
  (...bodies: string[]) =>
  (event: { Records: { messageId: string; body: string }[] }) => ({
    batchItemFailures: event.Records.filter((record) => bodies.includes(record.body)).map((record) => ({
      itemIdentifier: record.messageId,
    })),
  });

describe('local SQS poller (Lambda event source mapping)', () => {
  it('delivers records shaped like Lambda SQS records, with a counting-down context', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs);
    const messageId = await sendTestMessage(emulators.sqs, queue.url, '{"kind":"event"}', {
      vendor: { DataType: 'String', StringValue: 'round0' },
      attempt: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') },
    });
    const worker = recordingWorker(() => ({ batchItemFailures: [] }));
    const poller = startSqsPoller(
      pollerFor(queue, worker.handler, { function: testFunction({ timeoutSeconds: 7 }) }),
    );

    // Act
    await worker.waitFor((calls) => calls.length === 1);
    await poller.stop();

    // Assess
    const [invocation] = worker.invocations;
    const record = invocation?.event.Records[0];
    expect(invocation?.event.Records).toHaveLength(1);
    expect(record).toEqual({
      messageId,
      receiptHandle: expect.any(String),
      body: '{"kind":"event"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        vendor: { stringValue: 'round0', stringListValues: [], binaryListValues: [], dataType: 'String' },
        attempt: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        blob: {
          binaryValue: Buffer.from('bytes').toString('base64'),
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Binary',
        },
      },
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: localAws.region,
    });
    expect(invocation?.functionName).toBe('test-function');
    expect(invocation?.remainingMs).toBeGreaterThan(6000);
    expect(invocation?.remainingMs).toBeLessThanOrEqual(7000);
  });

  it('deletes the records not listed in batchItemFailures and redelivers only the failed one', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 1 });
    for (const body of ['a', 'b', 'c']) await sendTestMessage(emulators.sqs, queue.url, body);
    const worker = recordingWorker((event, call) =>
      call === 1 ? failRecordsWithBody('b')(event) : undefined,
    );
    const poller = startSqsPoller(pollerFor(queue, worker.handler));

    // Act
    await worker.waitFor((calls) => calls.length === 2);
    await poller.stop();

    // Assess
    expect(worker.invocations[0]?.event.Records.map((record) => record.body).sort()).toEqual(['a', 'b', 'c']);
    expect(worker.invocations[1]?.event.Records.map((record) => record.body)).toEqual(['b']);
    expect(worker.invocations[1]?.event.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(await receiveAll(emulators.sqs, queue.url)).toEqual([]);
  });

  it('moves a record that keeps failing to the DLQ after maxReceiveCount receives', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    await sendTestMessage(emulators.sqs, queue.url, 'poison');
    await sendTestMessage(emulators.sqs, queue.url, 'fine');
    const worker = recordingWorker(failRecordsWithBody('poison'));
    const poller = startSqsPoller(pollerFor(queue, worker.handler));

    // Act
    const dlqBodies = await eventually(async () => {
      const bodies = await receiveAll(emulators.sqs, queue.dlqUrl);
      expect(bodies).toEqual(['poison']);
      return bodies;
    });
    await poller.stop();

    // Assess
    expect(dlqBodies).toEqual(['poison']);
    expect(bodiesSeen(worker.invocations).filter((body) => body === 'poison')).toHaveLength(2);
    expect(bodiesSeen(worker.invocations).filter((body) => body === 'fine')).toHaveLength(1);
    expect(await receiveAll(emulators.sqs, queue.url)).toEqual([]);
  });

  it('retries the whole batch when the handler throws', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 1 });
    for (const body of ['x', 'y']) await sendTestMessage(emulators.sqs, queue.url, body);
    const worker = recordingWorker((_, call) => {
      if (call === 1) throw new Error('ATS down');
      return { batchItemFailures: [] };
    });
    const poller = startSqsPoller(pollerFor(queue, worker.handler));

    // Act
    await worker.waitFor((calls) => bodiesSeen(calls).length === 4);
    await poller.stop();

    // Assess
    expect(bodiesSeen(worker.invocations).sort()).toEqual(['x', 'x', 'y', 'y']);
    expect(await receiveAll(emulators.sqs, queue.url)).toEqual([]);
  });

  it('retries the whole batch when batchItemFailures names a record not in the batch', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 1 });
    await sendTestMessage(emulators.sqs, queue.url, 'only');
    const worker = recordingWorker((_, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] } : undefined,
    );
    const poller = startSqsPoller(pollerFor(queue, worker.handler));

    // Act
    await worker.waitFor((calls) => calls.length === 2);
    await poller.stop();

    // Assess
    expect(bodiesSeen(worker.invocations)).toEqual(['only', 'only']);
    expect(await receiveAll(emulators.sqs, queue.url)).toEqual([]);
  });

  it('waits up to the batching window to fill a batch', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs);
    await sendTestMessage(emulators.sqs, queue.url, 'first');
    const worker = recordingWorker(() => undefined);
    const poller = startSqsPoller(pollerFor(queue, worker.handler, { maxBatchingWindowSeconds: 1 }));

    // Act
    await sleep(300);
    await sendTestMessage(emulators.sqs, queue.url, 'second');
    await worker.waitFor((calls) => calls.length === 1);
    await poller.stop();

    // Assess
    expect(worker.invocations).toHaveLength(1);
    expect(bodiesSeen(worker.invocations).sort()).toEqual(['first', 'second']);
  });

  it('runs at most maxConcurrency batches at once', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 30 });
    for (const body of ['1', '2', '3', '4', '5']) await sendTestMessage(emulators.sqs, queue.url, body);
    let running = 0;
    let mostAtOnce = 0;
    const worker = recordingWorker(async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await sleep(300);
      running -= 1;
      return undefined;
    });
    const poller = startSqsPoller(pollerFor(queue, worker.handler, { batchSize: 1, maxConcurrency: 2 }));

    // Act
    await worker.waitFor((calls) => calls.length === 5);
    await poller.stop();

    // Assess
    expect(mostAtOnce).toBe(2);
    expect(await receiveAll(emulators.sqs, queue.url)).toEqual([]);
  });

  it('stop() waits for batches in flight, deletes them, and receives nothing more', async () => {
    // Prepare
    const queue = await createTestQueue(emulators.sqs);
    await sendTestMessage(emulators.sqs, queue.url, 'slow');
    let finished = false;
    const worker = recordingWorker(async () => {
      await sleep(500);
      finished = true;
      return undefined;
    });
    const poller = startSqsPoller(pollerFor(queue, worker.handler));
    await worker.waitFor((calls) => calls.length === 1);

    // Act
    await poller.stop();
    await sendTestMessage(emulators.sqs, queue.url, 'after stop');
    await sleep(300);

    // Assess
    expect(finished).toBe(true);
    expect(worker.invocations).toHaveLength(1);
    expect(await receiveAll(emulators.sqs, queue.url)).toEqual(['after stop']);
  });

  it('treats a handler that outlives its timeout as a failed batch', async () => {
    // Prepare: the first call returns success at 2 s, past its 1 s timeout and before the message's 3 s
    // visibility ends, so only a poller that took the timeout for a failure (and did not delete the message
    // on the late success) sees the message again
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 3 });
    await sendTestMessage(emulators.sqs, queue.url, 'late');
    const worker = recordingWorker(async (_, call) => {
      if (call === 1) await sleep(2000);
      return undefined;
    });
    const poller = startSqsPoller(
      pollerFor(queue, worker.handler, { function: testFunction({ timeoutSeconds: 1 }) }),
    );

    // Act
    await worker.waitFor((calls) => calls.length === 2);
    await poller.stop();

    // Assess
    expect(bodiesSeen(worker.invocations)).toEqual(['late', 'late']);
  });

  it('runs each batch in an execution environment of its own, as Lambda does', async () => {
    // Prepare: handlers that notice being invoked while already running
    const queue = await createTestQueue(emulators.sqs);
    for (let i = 0; i < 8; i++) await sendTestMessage(emulators.sqs, queue.url, `m${i}`);
    let created = 0;
    let overlaps = 0;
    let handled = 0;
    const createHandler = () => {
      created += 1;
      let busy = false;
      return async () => {
        if (busy) overlaps += 1;
        busy = true;
        await sleep(150);
        busy = false;
        handled += 1;
        return undefined;
      };
    };
    const poller = startSqsPoller({
      ...pollerFor(queue, async () => undefined, { batchSize: 1, maxConcurrency: 3 }),
      createHandler,
    });

    // Act
    await eventually(() => expect(handled).toBe(8), 10_000);
    await poller.stop();

    // Assess: never two invocations in one environment, never more environments than the concurrency
    expect(overlaps).toBe(0);
    expect(created).toBeLessThanOrEqual(3);
    expect(created).toBeGreaterThan(1);
  });

  it('replaces an environment whose invocation timed out instead of invoking it again', async () => {
    // Prepare: visibility 3 s against a 1 s timeout, so the redelivery comes well after the timeout (at 1 s
    // each, it raced the timeout, and a poller reusing the timed-out environment could pass)
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 3 });
    await sendTestMessage(emulators.sqs, queue.url, 'stuck once');
    const environments: number[] = [];
    let created = 0;
    const createHandler = () => {
      created += 1;
      const id = created;
      return async () => {
        environments.push(id);
        // The first environment never returns (a killed process); Lambda would replace it.
        if (id === 1) await new Promise<never>(() => undefined);
        return undefined;
      };
    };
    const poller = startSqsPoller({
      ...pollerFor(queue, async () => undefined, { function: testFunction({ timeoutSeconds: 1 }) }),
      createHandler,
    });

    // Act
    await eventually(() => expect(environments).toHaveLength(2), 10_000);
    await poller.stop();

    // Assess
    expect(environments).toEqual([1, 2]);
  });
});

describe('local SQS poller: partial batch responses as Lambda reads them', () => {
  // Lambda docs (services-sqs-errorhandling): a null or empty itemIdentifier, or one with a bad key name, is a
  // complete batch failure; the whole batch comes back, none of it is deleted.
  it.each([
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['an itemIdentifier under a wrong key', { batchItemFailures: [{ ItemIdentifier: 'x' }] }],
    ['batchItemFailures that is not a list', { batchItemFailures: { itemIdentifier: 'x' } }],
  ])('retries the whole batch for %s', async (_, response) => {
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 1 });
    for (const body of ['p', 'q']) await sendTestMessage(emulators.sqs, queue.url, body);
    const worker = recordingWorker((_event, call) => (call === 1 ? (response as never) : undefined));
    const poller = startSqsPoller(pollerFor(queue, worker.handler));
    await worker.waitFor((calls) => bodiesSeen(calls).length >= 4);
    await poller.stop();
    expect(bodiesSeen(worker.invocations).sort()).toEqual(['p', 'p', 'q', 'q']);
  });

  // A void or empty response is a complete success: every record is deleted, not merely hidden. receiveAll()
  // sees visible messages only, so it cannot tell a deleted message from one in flight: count both.
  it.each([
    ['undefined', undefined],
    ['{}', {}],
  ])('deletes the whole batch when the handler returns %s', async (_, response) => {
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 30 });
    for (const body of ['r', 's']) await sendTestMessage(emulators.sqs, queue.url, body);
    const worker = recordingWorker(() => response as never);
    const poller = startSqsPoller(pollerFor(queue, worker.handler));
    await worker.waitFor((calls) => bodiesSeen(calls).length === 2);
    await poller.stop();
    expect(await queueCounts(emulators.sqs, queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
