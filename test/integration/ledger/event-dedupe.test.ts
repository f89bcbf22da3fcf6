import { randomUUID } from 'node:crypto';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { jest } from '@jest/globals';
import { EventInProgressError, MissingDedupeKeyError } from '../../../functions/ledger/errors.js';
import { createEventDeduper } from '../../../functions/ledger/event-dedupe.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { round0Event } from '../../unit/ledger/factories.js';

const tableName = resources.idempotencyTable.name;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise the test resolves itself, to hold an invocation "in flight". */
const deferred = () => {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/** A processing function that counts its calls. */
const counting = <T>(body: (event: InterviewEvent, call: number) => Promise<T>) => {
  let calls = 0;
  const fn = async (event: InterviewEvent) => body(event, ++calls);
  return { fn, calls: () => calls };
};

describe('createEventDeduper (Powertools Idempotency on dynalite)', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('runs an event once: a redelivery with the same dedupe key is served the stored result', async () => {
    // Prepare
    const deduper = createEventDeduper({ client: dynamo.client, tableName });
    const work = counting(async (event, call) => ({ type: event.type, call }));
    const processEvent = deduper.processOnce(work.fn);
    const first = round0Event();
    // ROUND0 redelivery: same event id, new delivery time
    const redelivery = { ...first, receivedAt: new Date(Date.now() + 60_000).toISOString() };

    // Act
    const firstOutcome = await processEvent(first);
    const secondOutcome = await processEvent(redelivery);

    // Assess
    expect(work.calls()).toBe(1);
    expect(firstOutcome).toEqual({ result: { type: 'interview_started', call: 1 }, duplicate: false });
    expect(secondOutcome).toEqual({ result: { type: 'interview_started', call: 1 }, duplicate: true });
  });

  it('runs events with different dedupe keys separately', async () => {
    // Prepare
    const deduper = createEventDeduper({ client: dynamo.client, tableName });
    const work = counting(async () => undefined);
    const processEvent = deduper.processOnce(work.fn);

    // Act
    const outcomes = [await processEvent(round0Event()), await processEvent(round0Event())];

    // Assess
    expect(work.calls()).toBe(2);
    expect(outcomes.map((outcome) => outcome.duplicate)).toEqual([false, false]);
  });

  it('lets only one of two concurrent deliveries run; the other is refused as in progress or served', async () => {
    // Prepare
    const deduper = createEventDeduper({ client: dynamo.client, tableName });
    const work = counting(async () => {
      await sleep(50);
      return 'synced';
    });
    const processEvent = deduper.processOnce(work.fn);
    const event = round0Event();

    // Act
    const outcomes = await Promise.allSettled([processEvent(event), processEvent({ ...event })]);

    // Assess
    expect(work.calls()).toBe(1);
    const fulfilled = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const rejected = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(fulfilled).toContainEqual({ result: 'synced', duplicate: false });
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(EventInProgressError);
      expect(reason).toMatchObject({ transient: true, dedupeKey: event.dedupeKey });
      expect((reason as Error).cause).toBeInstanceOf(IdempotencyAlreadyInProgressError);
    }
    for (const outcome of fulfilled.filter((o) => o.duplicate)) expect(outcome.result).toBe('synced');
  });

  it('runs the event again after a failed attempt (the in-progress record is deleted)', async () => {
    // Prepare
    const deduper = createEventDeduper({ client: dynamo.client, tableName });
    const work = counting(async (_event, call) => {
      if (call === 1) throw new Error('ATS unavailable');
      return 'synced';
    });
    const processEvent = deduper.processOnce(work.fn);
    const event = round0Event();

    // Act
    const failed = processEvent(event);
    await expect(failed).rejects.toThrow('ATS unavailable');
    const retried = await processEvent(event);

    // Assess
    expect(work.calls()).toBe(2);
    expect(retried).toEqual({ result: 'synced', duplicate: false });
  });

  it('refuses a delivery while another invocation holds the lease, and runs it once the lease lapsed', async () => {
    // Prepare: a first invocation that claims the event with a 60 s lease and then hangs, as a crashed
    // worker would
    const deduper = createEventDeduper({ client: dynamo.client, tableName });
    const hang = deferred();
    const entered = deferred();
    const work = counting(async (_event, call) => {
      if (call === 1) {
        entered.resolve();
        await hang.promise;
      }
      return `call ${call}`;
    });
    const processEvent = deduper.processOnce(work.fn);
    const event = round0Event();
    deduper.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 });
    const crashed = processEvent(event);
    await entered.promise;

    // Act
    const whileHeld = processEvent(event);
    await expect(whileHeld).rejects.toBeInstanceOf(EventInProgressError);
    // Powertools reads the lease clock from Date.now() (no clock to inject): move it past the lease
    const realNow = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(realNow + 61_000);
    const afterLease = await processEvent(event).finally(() => clock.mockRestore());

    // Assess
    expect(work.calls()).toBe(2);
    expect(afterLease).toEqual({ result: 'call 2', duplicate: false });
    hang.resolve();
    await crashed;
  });

  it.each([
    ['no context was registered', undefined],
    ['the registered context has no time left', { getRemainingTimeInMillis: () => 0 }],
  ])(
    'leases an in-progress record for fallbackLeaseMs (default 2 minutes) when %s',
    async (_case, context) => {
      // Prepare
      const deduper = createEventDeduper({ client: dynamo.client, tableName });
      if (context !== undefined) deduper.registerLambdaContext(context);
      const hang = deferred();
      const entered = deferred();
      const work = counting(async (_event, call) => {
        if (call === 1) {
          entered.resolve();
          await hang.promise;
        }
        return call;
      });
      const processEvent = deduper.processOnce(work.fn);
      const event = round0Event();
      const realNow = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(realNow);
      const crashed = processEvent(event);
      await entered.promise;

      // Act
      clock.mockReturnValue(realNow + 119_000);
      const justBefore = await processEvent(event).catch((error: unknown) => error);
      clock.mockReturnValue(realNow + 121_000);
      const justAfter = await processEvent(event).finally(() => clock.mockRestore());

      // Assess
      expect(justBefore).toBeInstanceOf(EventInProgressError);
      expect(justAfter).toEqual({ result: 2, duplicate: false });
      hang.resolve();
      await crashed;
    },
  );

  it('keeps completed records for the retention (default 7 days) under a fixed key prefix', async () => {
    // Prepare
    const keyPrefix = `test-${randomUUID()}`;
    const deduper = createEventDeduper({ client: dynamo.client, tableName, keyPrefix });
    const processEvent = deduper.processOnce(async () => 'ok');
    const before = Math.floor(Date.now() / 1000);

    // Act
    await processEvent(round0Event());

    // Assess
    const { Items = [] } = await dynamo.client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(id, :prefix)',
        ExpressionAttributeValues: { ':prefix': { S: `${keyPrefix}#` } },
      }),
    );
    expect(Items).toHaveLength(1);
    expect(Items[0]?.status?.S).toBe('COMPLETED');
    const expiration = Number(Items[0]?.expiration?.N);
    expect(expiration).toBeGreaterThanOrEqual(before + 7 * 24 * 3600);
    expect(expiration).toBeLessThanOrEqual(before + 7 * 24 * 3600 + 5);
  });

  it('refuses an event without a dedupe key before running anything', async () => {
    // Prepare
    const deduper = createEventDeduper({ client: dynamo.client, tableName });
    const work = counting(async () => 'ran');
    const processEvent = deduper.processOnce(work.fn);

    // Act
    const result = processEvent(round0Event({ dedupeKey: '' }));

    // Assess
    await expect(result).rejects.toBeInstanceOf(MissingDedupeKeyError);
    await expect(result).rejects.toMatchObject({ transient: false });
    expect(work.calls()).toBe(0);
  });
});
