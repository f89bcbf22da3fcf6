import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EffectClaimLostError, LedgerItemTooLargeError } from '../../../functions/ledger/errors.js';
import { InterviewLedger, interviewStatePk } from '../../../functions/ledger/interview-ledger.js';
import {
  claimedEffect,
  doneEffect,
  type EffectRecord,
  emptyInterviewState,
  failedEffect,
  type InterviewState,
  type InterviewUpdate,
  mergeInterviewUpdate,
  stampOf,
  tieOf,
} from '../../../functions/ledger/interview-state.js';
import { classifyFailure } from '../../../functions/sync/failures.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { stateUpdate } from '../../unit/ledger/factories.js';
import { aClaimedState, anInterviewKey, credentials, lease, t0, tableName, vendor } from './ledger-world.js';

const retentionSeconds = 3600;

describe('InterviewLedger (dynalite)', () => {
  let dynamo: LocalDynamo;
  let documents: DynamoDBDocumentClient;
  /** The ledger's clock: tests move it. */
  let clock = t0;
  let ledger: InterviewLedger;

  /** The item as stored, attributes the model does not read included. */
  const rawItem = async (interviewKey: string) =>
    (
      await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: interviewStatePk(vendor, interviewKey), sk: 'STATE' },
        }),
      )
    ).Item;

  /**
   * A ledger whose first UpdateItem reaches dynalite and lands, and whose answer is lost as a reset
   * connection: the SDK's retry strategy resends it, as it would after a timeout.
   */
  /** A ledger whose first update lands and loses its answer; `meanwhile` runs before the SDK resends it. */
  const aLedgerThatLosesTheFirstAnswer = (meanwhile?: () => Promise<void>) => {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    clients.push(client);
    let updates = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        if (context.commandName === 'UpdateItemCommand' && ++updates === 1) {
          await meanwhile?.();
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return output;
      },
      { step: 'deserialize', name: 'loseTheFirstAnswer' },
    );
    return {
      ledger: new InterviewLedger({ client, tableName, retentionSeconds, now: () => clock }),
      updates: () => updates,
    };
  };
  const clients: DynamoDBClient[] = [];

  beforeAll(async () => {
    dynamo = await startDynalite();
    documents = DynamoDBDocumentClient.from(dynamo.client);
    ledger = new InterviewLedger({ client: dynamo.client, tableName, retentionSeconds, now: () => clock });
  });

  beforeEach(() => {
    clock = t0;
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await dynamo.close();
  });

  describe('read and commit', () => {
    it('reads a missing item as undefined', async () => {
      // Act
      const state = await ledger.read(vendor, anInterviewKey());

      // Assess
      expect(state).toBeUndefined();
    });

    it('creates the item when expected to be new and reads back what it wrote, at version 1', async () => {
      // Prepare
      const key = anInterviewKey();
      const update = stateUpdate(key, {
        rank: 3,
        status: 'completed',
        fields: { reportUrl: 'r1', score: 88 },
      });
      const state: InterviewState = {
        ...aClaimedState(update, 'attempt-1', {
          'status:completed': claimedEffect(undefined, 'attempt-1', update.eventKey, t0 + lease),
        }),
        atsMatch: { candidateId: 'cand-1', applicationId: 'app-1', stageAtStart: 'stage-1' },
      };

      // Act
      const created = await ledger.commit(state, undefined);

      // Assess
      expect(created).toBe(true);
      expect(await ledger.read(vendor, key)).toEqual({
        ...state,
        version: 1,
        updatedAt: new Date(t0).toISOString(),
      });
    });

    it('refuses for good, before any ATS write, a commit that would grow the item past 400 KB', async () => {
      // Prepare: an interview whose item holds ~390 KB of event records (thousands of events)
      const key = anInterviewKey();
      const first = stateUpdate(key, { rank: 1, status: 'scheduled' });
      await ledger.commit(aClaimedState(first, 'attempt-1'), undefined);
      const before = (await ledger.read(vendor, key)) as InterviewState;
      const events = Object.fromEntries(
        Array.from({ length: 3_000 }, (_, n) => [
          `round0:evt_${String(n).padStart(6, '0')}_${'x'.repeat(80)}`,
          { advanced: false, done: true },
        ]),
      );
      await ledger.commit({ ...before, events: { ...before.events, ...events } }, before.version);
      const big = (await ledger.read(vendor, key)) as InterviewState;
      const next = stateUpdate(key, { rank: 2, status: 'in_progress', eventKey: 'round0:evt_next' });

      // Act: one more event, with a record large enough to cross the limit
      const refused = await ledger
        .commit(
          {
            ...big,
            events: {
              ...big.events,
              [next.eventKey]: { advanced: true, owner: 'x'.repeat(60_000), leaseUntil: t0 },
            },
          },
          big.version,
        )
        .catch((error: unknown) => error);

      // Assess: a permanent ledger error the worker dead-letters with its name; the item unchanged
      expect(refused).toBeInstanceOf(LedgerItemTooLargeError);
      expect(refused).toMatchObject({ transient: false });
      expect(classifyFailure(refused)).toEqual({ kind: 'permanent', reason: 'LedgerItemTooLargeError' });
      expect((await ledger.read(vendor, key))?.version).toBe(big.version);
    });

    it('stores no copy of its key (the vendor and interview key are the partition key) and drops the copy an older item carries', async () => {
      // Prepare: an item as written before, with the key's parts as attributes
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 1, status: 'scheduled' });
      await ledger.commit(aClaimedState(update, 'attempt-1'), undefined);
      const fresh = await rawItem(key);
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...fresh, vendor, interviewKey: key },
        }),
      );
      const before = await ledger.read(vendor, key);

      // Act
      const committed = await ledger.commit(
        { ...(before as InterviewState), fields: { score: 1 } },
        before?.version,
      );

      // Assess: the model is unchanged (read from the key), the copies are gone, the token is 16 characters
      expect(fresh).not.toHaveProperty('vendor');
      expect(fresh).not.toHaveProperty('interviewKey');
      expect(committed).toBe(true);
      const after = await rawItem(key);
      expect(after).not.toHaveProperty('vendor');
      expect(after).not.toHaveProperty('interviewKey');
      expect(after?.commitToken).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(await ledger.read(vendor, key)).toMatchObject({
        vendor,
        interviewKey: key,
        fields: { score: 1 },
      });
    });

    it('stores each write stamp as one short string, and reads the maps an older item holds as the same stamps', async () => {
      // Prepare: an item as written before, its stamps maps holding the whole event key
      const key = anInterviewKey();
      const older = stateUpdate(key, { rank: 3, status: 'completed', fields: { score: 70 } });
      await ledger.commit(aClaimedState(older, 'attempt-1'), undefined);
      const item = await rawItem(key);
      const oldStamp = { at: older.occurredAt, eventKey: older.eventKey };
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...item, statusStamp: oldStamp, fieldStamps: { score: oldStamp } },
        }),
      );

      // Act: read it, merge an event of the same time (the tie decides), commit
      const before = await ledger.read(vendor, key);
      const sameTime = { ...older, eventKey: `${older.eventKey}-2`, fields: { score: 90 } };
      const merged = mergeInterviewUpdate(before, sameTime, new Date(t0).toISOString());
      await ledger.commit(merged.state, before?.version);
      const after = await rawItem(key);

      // Assess: the old maps read as the stamps this version makes; what is written is `<at> <tie>`
      expect(before?.statusStamp).toEqual(stampOf(older));
      expect(before?.fieldStamps).toEqual({ score: stampOf(older) });
      const winner = tieOf(sameTime.eventKey) > tieOf(older.eventKey) ? sameTime : older;
      expect(merged.state.fields.score).toBe(winner.fields.score);
      expect(after?.fieldStamps).toEqual({ score: `${winner.occurredAt} ${tieOf(winner.eventKey)}` });
      expect(after?.statusStamp).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z [\w-]{12}$/);
      expect(await ledger.read(vendor, key)).toMatchObject({ fieldStamps: { score: stampOf(winner) } });
    });

    it('refuses a second create of the same item and keeps the first', async () => {
      // Prepare
      const key = anInterviewKey();
      const first = aClaimedState(stateUpdate(key, { rank: 2, fields: { by: 'first' } }), 'attempt-1');
      const second = aClaimedState(stateUpdate(key, { rank: 3, fields: { by: 'second' } }), 'attempt-2');
      await ledger.commit(first, undefined);

      // Act
      const created = await ledger.commit(second, undefined);

      // Assess
      expect(created).toBe(false);
      expect(await ledger.read(vendor, key)).toMatchObject({
        version: 1,
        rank: first.rank,
        fields: first.fields,
      });
    });

    it('refuses a commit made from a stale read and writes nothing', async () => {
      // Prepare: version 1 read by two workers, one of which commits first
      const key = anInterviewKey();
      const v1 = aClaimedState(stateUpdate(key, { rank: 2, fields: { by: 'v1' } }), 'attempt-1');
      await ledger.commit(v1, undefined);
      const winner = { ...v1, fields: { by: 'winner' } };
      const loser = { ...v1, rank: 9, fields: { by: 'loser' } };
      await ledger.commit(winner, 1);
      const before = await rawItem(key);

      // Act
      clock = t0 + 1000;
      const committed = await ledger.commit(loser, 1);

      // Assess
      expect(committed).toBe(false);
      expect(await rawItem(key)).toEqual(before);
      expect(await ledger.read(vendor, key)).toMatchObject({
        version: 2,
        rank: v1.rank,
        fields: winner.fields,
      });
    });

    it.each([
      ['creates the item', undefined],
      ['updates the item', 1],
    ] as const)(
      'tells a commit that %s its own when the SDK resent it after a lost answer',
      async (_, expected) => {
        // Prepare: the resend fails the version condition the first send met
        const key = anInterviewKey();
        const first = aClaimedState(stateUpdate(key, { rank: 2, fields: { by: 'first' } }), 'attempt-1');
        if (expected !== undefined) await ledger.commit(first, undefined);
        const resending = aLedgerThatLosesTheFirstAnswer();
        const next = { ...first, fields: { by: 'retried' } };

        // Act
        const committed = await resending.ledger.commit(next, expected);

        // Assess
        expect(resending.updates()).toBe(2);
        expect(committed).toBe(true);
        expect(await ledger.read(vendor, key)).toMatchObject({
          version: (expected ?? 0) + 1,
          fields: { by: 'retried' },
        });
      },
    );

    it('tells a resent commit its own when another event wrote between the first send and the resend', async () => {
      // Prepare: attempt-1 claims event A; its answer is lost, and event B of the interview commits meanwhile
      const key = anInterviewKey();
      const first = aClaimedState(stateUpdate(key, { rank: 2 }), 'attempt-1');
      const [eventA] = Object.keys(first.events) as [string];
      const resending = aLedgerThatLosesTheFirstAnswer(async () => {
        const now = (await ledger.read(vendor, key)) as InterviewState;
        const withB = { ...now, events: { ...now.events, 'event-b': { advanced: false, done: true } } };
        expect(await ledger.commit(withB, now.version)).toBe(true);
      });

      // Act
      const committed = await resending.ledger.commit(first, undefined, eventA);

      // Assess
      expect(resending.updates()).toBe(2);
      expect(committed).toBe(true);
      expect((await ledger.read(vendor, key))?.events).toEqual({
        [eventA]: first.events[eventA],
        'event-b': { advanced: false, done: true },
      });
    });

    it('does not take a claim of another attempt for its own (a real conflict stays false)', async () => {
      // Prepare: attempt-2 claimed the same event first
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 2 });
      await ledger.commit(aClaimedState(update, 'attempt-2'), undefined);

      // Act
      const committed = await ledger.commit(aClaimedState(update, 'attempt-1'), undefined, update.eventKey);

      // Assess
      expect(committed).toBe(false);
      expect((await ledger.read(vendor, key))?.events[update.eventKey]).toMatchObject({ owner: 'attempt-2' });
    });

    it('refuses a commit that expects a version of an item that does not exist', async () => {
      // Prepare
      const key = anInterviewKey();
      const state = aClaimedState(stateUpdate(key, { rank: 2 }), 'attempt-1');

      // Act
      const committed = await ledger.commit(state, 3);

      // Assess
      expect(committed).toBe(false);
      expect(await ledger.read(vendor, key)).toBeUndefined();
    });

    it('converges when two read-merge-commit loops for different events of one interview race', async () => {
      // Prepare: both loops read before either commits, so exactly one commit is refused and redone
      const key = anInterviewKey();
      const updates = [
        stateUpdate(key, { rank: 2, status: 'in_progress', minute: 0, fields: { startedAt: 't0' } }),
        stateUpdate(key, { rank: 3, status: 'completed', minute: 20, fields: { score: 90 } }),
      ];
      let readers = 0;
      let releaseReaders: () => void = () => undefined;
      const bothRead = new Promise<void>((resolve) => {
        releaseReaders = resolve;
      });
      const refusals: string[] = [];
      const readMergeCommit = async (update: InterviewUpdate) => {
        for (let attempt = 0; ; attempt++) {
          const state = await ledger.read(vendor, key);
          if (attempt === 0 && ++readers === updates.length) releaseReaders();
          if (attempt === 0) await bothRead;
          const merged = mergeInterviewUpdate(state, update, new Date(clock).toISOString());
          const next = {
            ...merged.state,
            events: { ...merged.state.events, [update.eventKey]: { advanced: merged.advanced, done: true } },
          };
          if (await ledger.commit(next, state?.version)) return;
          refusals.push(update.eventKey);
          if (attempt > 5) throw new Error('did not converge');
        }
      };

      // Act
      await Promise.all(updates.map(readMergeCommit));

      // Assess
      const state = await ledger.read(vendor, key);
      expect(refusals).toHaveLength(1);
      expect(state).toMatchObject({
        status: 'completed',
        rank: 3,
        fields: { startedAt: 't0', score: 90 },
        version: updates.length,
      });
      expect(Object.keys(state?.events ?? {}).sort()).toEqual(
        updates.map((update) => update.eventKey).sort(),
      );
    });
  });

  describe('settle', () => {
    /** An item whose event and three effects are claimed by `owner`, plus one effect of another attempt. */
    const claimedItem = async (owner: string) => {
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 3, status: 'completed' });
      const claim = () => claimedEffect(undefined, owner, update.eventKey, t0 + lease);
      const state = aClaimedState(update, owner, {
        'status:completed': claim(),
        note: claimedEffect(undefined, owner, update.eventKey, t0 + lease, ['recording:screen']),
        'notify:completed': claim(),
        'recording:webcam': claimedEffect(undefined, 'someone-else', 'other-event', t0 + lease),
      });
      await ledger.commit(state, undefined);
      return { key, eventKey: update.eventKey, state };
    };

    it('records the effects done, removes the never-tried claims, records the event and bumps the version', async () => {
      // Prepare
      const { key, eventKey, state } = await claimedItem('attempt-1');
      const status = doneEffect(state.effects['status:completed'] as EffectRecord);
      const note = doneEffect(state.effects.note as EffectRecord, 'found');

      // Act
      clock = t0 + 5000;
      await ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey,
        event: { advanced: true, done: true },
        effects: { 'status:completed': status, note, 'notify:completed': null },
      });

      // Assess
      const settled = await ledger.read(vendor, key);
      expect(settled?.events[eventKey]).toEqual({ advanced: true, done: true });
      expect(settled?.effects).toEqual({
        'status:completed': status,
        note,
        'recording:webcam': state.effects['recording:webcam'],
      });
      expect(settled?.version).toBe(2);
      expect(settled?.updatedAt).toBe(new Date(clock).toISOString());
      expect(settled?.fields).toEqual(state.fields);
      expect(settled?.status).toBe(state.status);
    });

    it('returns the item it wrote when the SDK resent a settle that landed', async () => {
      // Prepare: the resend finds the claims it settled gone
      const { key, eventKey, state } = await claimedItem('attempt-1');
      const status = doneEffect(state.effects['status:completed'] as EffectRecord);
      const resending = aLedgerThatLosesTheFirstAnswer();

      // Act
      const settled = await resending.ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey,
        event: { advanced: true, done: true },
        effects: { 'status:completed': status },
      });

      // Assess
      expect(resending.updates()).toBe(2);
      expect(settled).toEqual(await ledger.read(vendor, key));
      expect(settled).toMatchObject({
        version: 2,
        events: { [eventKey]: { advanced: true, done: true } },
        effects: { 'status:completed': status },
      });
    });

    // DynamoDB refuses ExpressionAttributeNames an expression does not use: `#effects` must be sent only
    // when the settlement has an effect.
    it.each([
      ['done', { advanced: true, done: true, settledBy: 'attempt-1' }],
      ['released', { advanced: true, owner: 'attempt-1', leaseUntil: 0 }],
    ])(
      'returns the item it wrote (%s) when another event wrote between the first send and the resend',
      async (_name, event) => {
        // Prepare
        const { key, eventKey, state } = await claimedItem('attempt-1');
        const status = doneEffect(state.effects['status:completed'] as EffectRecord);
        const resending = aLedgerThatLosesTheFirstAnswer(async () => {
          const now = (await ledger.read(vendor, key)) as InterviewState;
          const withB = { ...now, events: { ...now.events, 'event-b': { advanced: false, done: true } } };
          expect(await ledger.commit(withB, now.version)).toBe(true);
        });

        // Act
        const settled = await resending.ledger.settle(vendor, key, {
          owner: 'attempt-1',
          eventKey,
          event,
          effects: { 'status:completed': status },
        });

        // Assess
        expect(resending.updates()).toBe(2);
        expect(settled).toEqual(await ledger.read(vendor, key));
        expect(settled.events).toEqual({ [eventKey]: event, 'event-b': { advanced: false, done: true } });
        expect(settled.effects['status:completed']).toEqual(status);
      },
    );

    it('still reports a lost claim when the settled record names no attempt and the claims are gone', async () => {
      // Prepare: a settle of attempt-1 landed; attempt-1 sends another one that names no attempt
      const { key, eventKey, state } = await claimedItem('attempt-1');
      const status = doneEffect(state.effects['status:completed'] as EffectRecord);
      await ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey,
        event: { advanced: true, done: true },
        effects: { 'status:completed': status },
      });

      // Act
      const again = ledger.settle(vendor, key, {
        owner: 'attempt-3',
        eventKey,
        event: { advanced: true, done: true },
        effects: { 'status:completed': status },
      });

      // Assess
      await expect(again).rejects.toBeInstanceOf(EffectClaimLostError);
    });

    describe('replaceMatch', () => {
      const stale = { candidateId: '11', applicationId: '101', stageAtStart: '500' };
      const merged = { candidateId: '12', applicationId: '101', stageAtStart: '500' };

      it('replaces the stored match in the same update, so the item is never without one', async () => {
        // Prepare
        const { key, eventKey, state } = await claimedItem('attempt-1');
        await ledger.commit({ ...state, atsMatch: stale, version: 1 }, 1);

        // Act
        const settled = await ledger.settle(vendor, key, {
          owner: 'attempt-1',
          eventKey,
          event: { advanced: true, owner: 'attempt-1', leaseUntil: 0 },
          effects: {},
          replaceMatch: { from: stale, to: merged },
        });

        // Assess
        expect(settled.atsMatch).toEqual(merged);
        expect((await ledger.read(vendor, key))?.atsMatch).toEqual(merged);
      });

      it('replaces nothing when the stored match is no longer the stale one (another attempt changed it)', async () => {
        // Prepare: another attempt already stored another match
        const { key, eventKey, state } = await claimedItem('attempt-1');
        const other = { candidateId: '13', applicationId: '101' };
        await ledger.commit({ ...state, atsMatch: other, version: 1 }, 1);

        // Act
        const settle = ledger.settle(vendor, key, {
          owner: 'attempt-1',
          eventKey,
          event: { advanced: true, owner: 'attempt-1', leaseUntil: 0 },
          effects: {},
          replaceMatch: { from: stale, to: merged },
        });

        // Assess
        await expect(settle).rejects.toBeInstanceOf(EffectClaimLostError);
        expect((await ledger.read(vendor, key))?.atsMatch).toEqual(other);
      });
    });

    describe('unchangedSince', () => {
      const done = { advanced: true, done: true, settledBy: 'attempt-1' };
      const kept = { advanced: true, owner: 'attempt-1', leaseUntil: t0 + 2 * lease, settledBy: 'attempt-1' };

      it('records the event as given when nobody wrote the item since the claim', async () => {
        // Prepare
        const { key, eventKey, state } = await claimedItem('attempt-1');
        const status = doneEffect(state.effects['status:completed'] as EffectRecord);

        // Act
        const settled = await ledger.settle(vendor, key, {
          owner: 'attempt-1',
          eventKey,
          event: done,
          effects: { 'status:completed': status },
          unchangedSince: { version: 1, otherwise: kept },
        });

        // Assess
        expect(settled.events[eventKey]).toEqual(done);
        expect(settled.effects['status:completed']).toEqual(status);
        expect(settled.version).toBe(2);
      });

      it('records `otherwise` (the event keeps its claim) when another event wrote the item since', async () => {
        // Prepare
        const { key, eventKey, state } = await claimedItem('attempt-1');
        const status = doneEffect(state.effects['status:completed'] as EffectRecord);
        const now = (await ledger.read(vendor, key)) as InterviewState;
        const withB = { ...now, events: { ...now.events, 'event-b': { advanced: false, done: true } } };
        expect(await ledger.commit(withB, now.version)).toBe(true);

        // Act
        const settled = await ledger.settle(vendor, key, {
          owner: 'attempt-1',
          eventKey,
          event: done,
          effects: { 'status:completed': status },
          unchangedSince: { version: 1, otherwise: kept },
        });

        // Assess
        expect(settled.events[eventKey]).toEqual(kept);
        expect(settled.effects['status:completed']).toEqual(status);
        expect(settled.events['event-b']).toEqual({ advanced: false, done: true });
        expect(settled.version).toBe(3);
      });

      it('still reports a lost claim when another attempt holds the claims', async () => {
        // Prepare: attempt-2 holds the event and its effects
        const { key, eventKey, state } = await claimedItem('attempt-2');
        const status = doneEffect(state.effects['status:completed'] as EffectRecord);

        // Act
        const settle = ledger.settle(vendor, key, {
          owner: 'attempt-1',
          eventKey,
          event: done,
          effects: { 'status:completed': status },
          unchangedSince: { version: 1, otherwise: kept },
        });

        // Assess
        await expect(settle).rejects.toBeInstanceOf(EffectClaimLostError);
        expect((await ledger.read(vendor, key))?.events[eventKey]).toEqual(state.events[eventKey]);
      });
    });

    it('settles an event that claimed no effect', async () => {
      // Prepare
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 2 });
      await ledger.commit(aClaimedState(update, 'attempt-1'), undefined);

      // Act
      await ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey: update.eventKey,
        event: { advanced: true, owner: 'attempt-1', leaseUntil: 0 },
        effects: {},
      });

      // Assess
      expect(await ledger.read(vendor, key)).toMatchObject({
        version: 2,
        events: { [update.eventKey]: { advanced: true, owner: 'attempt-1', leaseUntil: 0 } },
      });
    });

    it.each([
      ['an effect another attempt took over', 'recording:webcam', undefined],
      ['the event another attempt took over', undefined, 'attempt-2'],
    ])('throws EffectClaimLostError and writes nothing when %s', async (_name, lostEffect, eventOwner) => {
      // Prepare
      const { key, eventKey, state } = await claimedItem('attempt-1');
      if (eventOwner !== undefined) {
        // The lease ran out and another attempt claimed the event.
        const takenOver = {
          ...state,
          events: { [eventKey]: { advanced: true, owner: eventOwner, leaseUntil: t0 + 2 * lease } },
        };
        await ledger.commit(takenOver, 1);
      }
      const before = await rawItem(key);
      const status = doneEffect(state.effects['status:completed'] as EffectRecord);
      const effects: Record<string, EffectRecord | null> = {
        'status:completed': status,
        ...(lostEffect === undefined
          ? {}
          : { [lostEffect]: doneEffect(state.effects[lostEffect] as EffectRecord) }),
      };

      // Act
      const settle = ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey,
        event: { advanced: true, done: true },
        effects,
      });

      // Assess
      await expect(settle).rejects.toBeInstanceOf(EffectClaimLostError);
      await expect(settle).rejects.toMatchObject({ transient: true, eventKey });
      expect(await rawItem(key)).toEqual(before);
    });

    it('makes a commit decided from a read before the settle fail', async () => {
      // Prepare
      const { key, eventKey, state } = await claimedItem('attempt-1');
      const readBefore = (await ledger.read(vendor, key)) as InterviewState;
      await ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey,
        event: { advanced: true, done: true },
        effects: { 'status:completed': doneEffect(state.effects['status:completed'] as EffectRecord) },
      });

      // Act
      const committed = await ledger.commit({ ...readBefore, fields: { late: true } }, readBefore.version);

      // Assess
      expect(committed).toBe(false);
      expect(await ledger.read(vendor, key)).toMatchObject({ version: 2, fields: state.fields });
    });

    it('throws EffectClaimLostError for an item that does not exist', async () => {
      // Act
      const settle = ledger.settle(vendor, anInterviewKey(), {
        owner: 'attempt-1',
        eventKey: 'round0:evt_1',
        event: { advanced: false, done: true },
        effects: { note: null },
      });

      // Assess
      await expect(settle).rejects.toBeInstanceOf(EffectClaimLostError);
    });
  });

  describe('close', () => {
    const statusEffects = ['status:in_progress', 'status:completed'];

    it('creates a missing item closed, so a later event of it finds it closed', async () => {
      // Prepare
      const key = anInterviewKey();

      // Act
      const outcome = await ledger.close(vendor, key, 'report:rep-1', statusEffects);

      // Assess
      expect(outcome).toEqual({ kind: 'closed', before: undefined });
      expect(await ledger.read(vendor, key)).toEqual({
        ...emptyInterviewState(vendor, key),
        closedBy: 'report:rep-1',
        version: 1,
        updatedAt: new Date(t0).toISOString(),
      });
    });

    it('makes a create from an earlier read of the missing item fail', async () => {
      // Prepare: an event read "no item", then the report closed it
      const key = anInterviewKey();
      const fromEarlierRead = aClaimedState(
        stateUpdate(key, { rank: 2, status: 'in_progress' }),
        'attempt-1',
      );
      await ledger.close(vendor, key, 'report:rep-1', statusEffects);

      // Act
      const committed = await ledger.commit(fromEarlierRead, undefined);

      // Assess
      expect(committed).toBe(false);
      expect((await ledger.read(vendor, key))?.status).toBeUndefined();
    });

    it('makes a commit decided from a read before the close fail', async () => {
      // Prepare: a late interview.started read the open session item, then the report closed it
      const key = anInterviewKey();
      await ledger.commit(
        aClaimedState(stateUpdate(key, { rank: 2, status: 'in_progress' }), 'attempt-1'),
        undefined,
      );
      const readBefore = (await ledger.read(vendor, key)) as InterviewState;
      await ledger.close(vendor, key, 'report:rep-1', statusEffects);

      // Act
      const committed = await ledger.commit({ ...readBefore, fields: { late: true } }, readBefore.version);

      // Assess
      expect(committed).toBe(false);
      expect(await ledger.read(vendor, key)).toMatchObject({
        version: 2,
        closedBy: 'report:rep-1',
        fields: {},
      });
    });

    it('returns the item as it was and keeps the first closedBy', async () => {
      // Prepare
      const key = anInterviewKey();
      const update = stateUpdate(key, {
        rank: 4,
        status: 'completed',
        fields: { atsApplicationId: 'app-1' },
      });
      const session: InterviewState = {
        ...aClaimedState(update, 'attempt-1', {
          'status:completed': doneEffect(claimedEffect(undefined, 'attempt-1', update.eventKey, t0 + lease)),
        }),
        atsMatch: { candidateId: 'cand-1', applicationId: 'app-1', stageAtStart: 'stage-1' },
      };
      await ledger.commit(session, undefined);

      // Act
      clock = t0 + 1000;
      const first = await ledger.close(vendor, key, 'report:rep-1', statusEffects);
      clock = t0 + 2000;
      const second = await ledger.close(vendor, key, 'report:rep-2', statusEffects);

      // Assess
      expect(first).toEqual({
        kind: 'closed',
        before: { ...session, version: 1, updatedAt: new Date(t0).toISOString() },
      });
      expect(second).toEqual({
        kind: 'closed',
        before: {
          ...session,
          closedBy: 'report:rep-1',
          version: 2,
          updatedAt: new Date(t0 + 1000).toISOString(),
        },
      });
      expect(await ledger.read(vendor, key)).toMatchObject({
        closedBy: 'report:rep-1',
        version: 3,
        status: session.status,
        effects: session.effects,
        fields: session.fields,
      });
    });

    it.each<[string, 'busy' | 'closed', (leaseUntil: number, eventKey: string) => EffectRecord]>([
      [
        'failed unanswered, still settling',
        'busy',
        (until, eventKey) => failedEffect(claimedEffect(undefined, 'attempt-1', eventKey, until), until),
      ],
      [
        'failed with an answer',
        'closed',
        (until, eventKey) => failedEffect(claimedEffect(undefined, 'attempt-1', eventKey, until)),
      ],
      [
        'done',
        'closed',
        (until, eventKey) => doneEffect(claimedEffect(undefined, 'attempt-1', eventKey, until)),
      ],
    ])('with a status write %s, is %s until its time has passed', async (_case, expected, record) => {
      // Prepare: the session's in_progress write, recorded as the case says
      const key = anInterviewKey();
      const until = t0 + lease;
      const update = stateUpdate(key, { rank: 2, status: 'in_progress' });
      await ledger.commit(
        aClaimedState(update, 'attempt-1', { 'status:in_progress': record(until, update.eventKey) }),
        undefined,
      );

      // Act
      clock = until;
      const within = await ledger.close(vendor, key, 'report:rep-1', statusEffects);
      clock = until + 1;
      const after = await ledger.close(vendor, key, 'report:rep-1', statusEffects);

      // Assess
      expect(within.kind).toBe(expected);
      expect(after.kind).toBe('closed');
    });

    it.each(['status:in_progress', 'status:completed'])(
      'is busy while %s is claimed with a live lease, and closes once the lease has passed',
      async (statusEffect) => {
        // Prepare
        const key = anInterviewKey();
        const leaseUntil = t0 + lease;
        const update = stateUpdate(key, { rank: 2, status: 'in_progress' });
        await ledger.commit(
          aClaimedState(update, 'attempt-1', {
            [statusEffect]: claimedEffect(undefined, 'attempt-1', update.eventKey, leaseUntil),
          }),
          undefined,
        );
        const before = await rawItem(key);

        // Act
        clock = leaseUntil;
        const whileLive = await ledger.close(vendor, key, 'report:rep-1', statusEffects);
        const untouched = await rawItem(key);
        clock = leaseUntil + 1;
        const afterLease = await ledger.close(vendor, key, 'report:rep-1', statusEffects);

        // Assess
        expect(whileLive).toEqual({ kind: 'busy' });
        expect(untouched).toEqual(before);
        expect(afterLease).toMatchObject({ kind: 'closed', before: { version: 1 } });
        expect(await ledger.read(vendor, key)).toMatchObject({ closedBy: 'report:rep-1', version: 2 });
      },
    );

    it.each<[string, Record<string, EffectRecord>]>([
      [
        'a done status write',
        { 'status:completed': doneEffect(claimedEffect(undefined, 'a', 'e', t0 + lease)) },
      ],
      [
        'a failed status write',
        { 'status:in_progress': { state: 'failed', attempts: 1, eventKey: 'e' } satisfies EffectRecord },
      ],
      [
        'a live claim on a write that is not a status',
        { note: claimedEffect(undefined, 'a', 'e', t0 + lease) },
      ],
      ['no effect at all', {}],
    ])('is not held up by %s', async (_name, effects) => {
      // Prepare
      const key = anInterviewKey();
      await ledger.commit(aClaimedState(stateUpdate(key, { rank: 2 }), 'attempt-1', effects), undefined);

      // Act
      const outcome = await ledger.close(vendor, key, 'report:rep-1', statusEffects);

      // Assess
      expect(outcome).toMatchObject({ kind: 'closed', before: { effects } });
    });

    // With no status effect there is no condition, so its attribute names must not be sent either.
    it('closes with no status effect to wait for', async () => {
      // Prepare
      const key = anInterviewKey();

      // Act
      const outcome = await ledger.close(vendor, key, 'report:rep-1', []);

      // Assess
      expect(outcome).toEqual({ kind: 'closed', before: undefined });
    });
  });

  describe('expiresAt', () => {
    it('is renewed by every write: commit, settle and close', async () => {
      // Prepare
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 2 });
      const claim = claimedEffect(undefined, 'attempt-1', update.eventKey, t0 + lease);
      const expiresAt = (nowMs: number) => Math.floor(nowMs / 1000) + retentionSeconds;
      const seen: unknown[] = [];

      // Act
      await ledger.commit(aClaimedState(update, 'attempt-1', { 'status:in_progress': claim }), undefined);
      seen.push((await rawItem(key))?.expiresAt);
      clock = t0 + 10_000;
      const state = (await ledger.read(vendor, key)) as InterviewState;
      await ledger.commit({ ...state, fields: { more: true } }, state.version);
      seen.push((await rawItem(key))?.expiresAt);
      clock = t0 + 20_000;
      await ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey: update.eventKey,
        event: { advanced: true, done: true },
        effects: { 'status:in_progress': doneEffect(claim) },
      });
      seen.push((await rawItem(key))?.expiresAt);
      clock = t0 + 30_000;
      await ledger.close(vendor, key, 'report:rep-1', ['status:in_progress']);
      seen.push((await rawItem(key))?.expiresAt);

      // Assess
      expect(seen).toEqual([t0, t0 + 10_000, t0 + 20_000, t0 + 30_000].map(expiresAt));
    });

    it('keeps an item 180 days after its last write by default', async () => {
      // Prepare
      const defaultLedger = new InterviewLedger({ client: dynamo.client, tableName, now: () => t0 });
      const key = anInterviewKey();

      // Act
      await defaultLedger.close(vendor, key, 'report:rep-1', ['status:completed']);

      // Assess
      expect((await rawItem(key))?.expiresAt).toBe(Math.floor(t0 / 1000) + 180 * 24 * 3600);
    });
  });
});
