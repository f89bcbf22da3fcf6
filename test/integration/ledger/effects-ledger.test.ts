import { randomUUID } from 'node:crypto';
import { EffectsLedger } from '../../../functions/ledger/effects-ledger.js';
import { EffectClaimLostError, EffectInProgressError } from '../../../functions/ledger/errors.js';
import { resources } from '../../../lib/resources.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';

const tableName = resources.ledgerTable.name;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A clock the test moves by hand (epoch milliseconds). */
const fakeClock = (start = Date.UTC(2024, 0, 16, 14, 0)) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

const deferred = () => {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

const eventKey = () => `round0:evt_${randomUUID()}`;

describe('EffectsLedger (dynalite)', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('runs an effect once and skips it on every later attempt', async () => {
    // Prepare
    const clock = fakeClock();
    const ledger = new EffectsLedger({ client: dynamo.client, tableName, now: clock.now });
    const key = eventKey();
    const attempts: unknown[] = [];
    const effect = async (attempt: unknown) => {
      attempts.push(attempt);
    };

    // Act
    const first = await ledger.runOnce(key, 'ats.note', effect);
    const second = await ledger.runOnce(key, 'ats.note', effect);

    // Assess
    expect([first, second]).toEqual(['ran', 'skipped']);
    expect(attempts).toEqual([{ previousAttemptUnfinished: false, attempt: 1 }]);
    expect(await ledger.get(key, 'ats.note')).toMatchObject({
      status: 'done',
      attempts: 1,
      leaseExpiresAt: undefined,
      // default retention: 30 days after completion
      expiresAt: Math.floor(clock.now() / 1000) + 30 * 24 * 3600,
    });
  });

  it('releases the claim when the effect throws, so a retry runs at once and is told to reconcile', async () => {
    // Prepare
    const ledger = new EffectsLedger({ client: dynamo.client, tableName, now: fakeClock().now });
    const key = eventKey();
    const attempts: unknown[] = [];
    class AtsTimeoutError extends Error {
      override name = 'AtsTimeoutError';
    }

    // Act
    const failed = ledger.runOnce(key, 'ats.stage', async (attempt) => {
      attempts.push(attempt);
      throw new AtsTimeoutError('timed out after the request was sent');
    });
    await expect(failed).rejects.toBeInstanceOf(AtsTimeoutError);
    const released = await ledger.get(key, 'ats.stage');
    const retried = await ledger.runOnce(key, 'ats.stage', async (attempt) => {
      attempts.push(attempt);
    });

    // Assess
    expect(released).toMatchObject({
      status: 'failed',
      lastError: 'AtsTimeoutError',
      leaseExpiresAt: undefined,
    });
    expect(retried).toBe('ran');
    expect(attempts).toEqual([
      { previousAttemptUnfinished: false, attempt: 1 },
      { previousAttemptUnfinished: true, attempt: 2 },
    ]);
  });

  it('refuses an effect held by a live claim and takes it over once the lease expired', async () => {
    // Prepare: a worker claims the effect and hangs (as a crashed one would)
    const clock = fakeClock();
    const ledger = new EffectsLedger({ client: dynamo.client, tableName, now: clock.now });
    const key = eventKey();
    const hang = deferred();
    const entered = deferred();
    const crashed = ledger.runOnce(
      key,
      'archive.recording',
      async () => {
        entered.resolve();
        await hang.promise;
      },
      { leaseMs: 30_000 },
    );
    await entered.promise;
    const retryAttempts: unknown[] = [];
    const retry = () =>
      ledger.runOnce(key, 'archive.recording', async (attempt) => {
        retryAttempts.push(attempt);
      });

    // Act
    clock.advance(29_000);
    const whileHeld = await retry().catch((error: unknown) => error);
    clock.advance(2_000);
    const afterLease = await retry();
    hang.resolve();
    const lateCompletion = await crashed.catch((error: unknown) => error);

    // Assess
    expect(whileHeld).toBeInstanceOf(EffectInProgressError);
    expect(whileHeld).toMatchObject({ transient: true, leaseExpiresAt: clock.now() - 31_000 + 30_000 });
    expect(afterLease).toBe('ran');
    expect(retryAttempts).toEqual([{ previousAttemptUnfinished: true, attempt: 2 }]);
    // the hung worker finishing late must not overwrite the record of the worker that took over
    expect(lateCompletion).toBeInstanceOf(EffectClaimLostError);
    expect(await ledger.get(key, 'archive.recording')).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('uses a default lease of 2 minutes', async () => {
    // Prepare
    const clock = fakeClock();
    const ledger = new EffectsLedger({ client: dynamo.client, tableName, now: clock.now });
    const key = eventKey();
    const hang = deferred();
    const entered = deferred();
    const crashed = ledger.runOnce(key, 'ats.note', async () => {
      entered.resolve();
      await hang.promise;
    });
    await entered.promise;

    // Act
    const record = await ledger.get(key, 'ats.note');

    // Assess
    expect(record).toMatchObject({ status: 'in_progress', leaseExpiresAt: clock.now() + 120_000 });
    hang.resolve();
    await crashed;
  });

  it('runs the effect exactly once when several workers race for it', async () => {
    // Prepare
    const ledger = new EffectsLedger({ client: dynamo.client, tableName });
    const key = eventKey();
    let calls = 0;
    const effect = async () => {
      calls++;
      await sleep(30);
    };

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => ledger.runOnce(key, 'ats.note', effect)),
    );

    // Assess
    expect(calls).toBe(1);
    const values = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const reasons = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(values.filter((value) => value === 'ran')).toHaveLength(1);
    expect(values.filter((value) => value !== 'ran').every((value) => value === 'skipped')).toBe(true);
    for (const reason of reasons) expect(reason).toBeInstanceOf(EffectInProgressError);
  });

  it('lists the done effects of one event only', async () => {
    // Prepare
    const ledger = new EffectsLedger({ client: dynamo.client, tableName });
    const key = eventKey();
    const otherKey = eventKey();
    await ledger.runOnce(key, 'ats.stage', async () => undefined);
    await ledger.runOnce(key, 'ats.note', async () => undefined);
    await ledger
      .runOnce(key, 'archive.audio', async () => Promise.reject(new Error('fetch failed')))
      .catch(() => undefined);
    await ledger.runOnce(otherKey, 'ats.tag', async () => undefined);

    // Act
    const done = await ledger.listDone(key);

    // Assess
    expect(done).toEqual(['ats.note', 'ats.stage']);
  });
});
