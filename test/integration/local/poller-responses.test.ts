/**
 * The local stand-ins read a handler's answers as Lambda does (helper-180's review by mutation): a partial
 * batch response that is not a list, or names an item by anything but a string, fails the whole batch
 * (never deletes it); an empty answer (undefined, {}) deletes it, nothing left in flight; a timed-out
 * environment, the poller's or the gateway's, is never invoked again.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHttpApi } from '../../../local/api-gateway.js';
import { type LocalEmulators, startEmulators } from '../../../local/emulators.js';
import { silentLog } from '../../../local/log.js';
import { queueCounts } from '../../../local/queue-depth.js';
import { type SqsPollerOptions, startSqsPoller } from '../../../local/sqs-poller.js';
import {
  bodiesSeen,
  createTestQueue,
  eventually,
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

  it('never invokes a timed-out environment again (the message comes back well after the timeout)', async () => {
    // The existing test uses visibility 1 s = timeout 1 s: the redelivery races the timeout and a poller that
    // reuses the timed-out environment passes it when the whole file runs.
    const queue = await createTestQueue(emulators.sqs, { visibilityTimeoutSeconds: 3 });
    await sendTestMessage(emulators.sqs, queue.url, 'stuck once');
    const environments: number[] = [];
    let created = 0;
    const createHandler = () => {
      created += 1;
      const id = created;
      return async () => {
        environments.push(id);
        if (id === 1) await new Promise<never>(() => undefined);
        return undefined;
      };
    };
    const poller = startSqsPoller({
      ...pollerFor(queue, async () => undefined, { function: testFunction({ timeoutSeconds: 1 }) }),
      createHandler,
    });
    await eventually(() => expect(environments).toHaveLength(2), 10_000);
    await poller.stop();
    expect(environments).toEqual([1, 2]);
  });
});

describe('local API Gateway: environments', () => {
  it('replaces an environment whose invocation timed out instead of invoking it again', async () => {
    const environments: number[] = [];
    let created = 0;
    const api = await startHttpApi({
      routes: ['POST /webhooks/round0'],
      createHandler: () => {
        created += 1;
        const id = created;
        return async () => {
          environments.push(id);
          if (id === 1) await new Promise<never>(() => undefined);
          return { statusCode: 202 };
        };
      },
      function: testFunction({ timeoutSeconds: 1 }),
      log: silentLog,
    });
    try {
      const first = await post(api.url);
      await sleep(50);
      const second = await post(api.url);
      expect([first, second]).toEqual([500, 202]);
      expect(environments).toEqual([1, 2]);
    } finally {
      await api.close();
    }
  });
});

const post = (base: string) =>
  new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${base}/webhooks/round0`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
