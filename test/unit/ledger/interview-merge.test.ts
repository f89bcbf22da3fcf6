import fc from 'fast-check';
import { InvalidInterviewUpdateError } from '../../../functions/ledger/errors.js';
import {
  checkEvent,
  type EventRecord,
  type InterviewState,
  type InterviewUpdate,
  mergeInterviewUpdate,
  normaliseUpdate,
  stampOf,
  tieOf,
} from '../../../functions/ledger/interview-state.js';
import { stateUpdate } from './factories.js';

const now = '2024-02-01T00:00:00.000Z';

/** The state with `eventKey` recorded as the sync records it (the merge itself never does). */
const withEvent = (state: InterviewState, eventKey: string, record: EventRecord): InterviewState => ({
  ...state,
  events: { ...state.events, [eventKey]: record },
});

/** Merges one update and records its event done, as the sync does once the event's writes are recorded. */
const mergeAndRecord = (state: InterviewState | undefined, update: InterviewUpdate) => {
  const result = mergeInterviewUpdate(state, update, now);
  return {
    ...result,
    state: withEvent(result.state, update.eventKey, { advanced: result.advanced, done: true }),
  };
};

/** Every update in arrival order, each recorded `{ advanced, done: true }` like the sync. */
const fold = (updates: readonly InterviewUpdate[]): InterviewState | undefined =>
  updates.reduce<InterviewState | undefined>(
    (state, update) => mergeAndRecord(state, update).state,
    undefined,
  );

/**
 * The state without what depends on arrival order by design: which event "advanced" the status (the first
 * to raise the rank in that order) and the write time. The set of recorded events must still match.
 */
const comparable = (state: InterviewState | undefined) => {
  if (state === undefined) return undefined;
  const { updatedAt: _updatedAt, events, ...rest } = state;
  return { ...rest, events: Object.keys(events).sort() };
};

describe('mergeInterviewUpdate', () => {
  it('advances to a higher rank and reports a late lower rank as stale without regressing', () => {
    // Prepare
    const ended = stateUpdate('i-1', { rank: 3, status: 'completed', minute: 20 });
    const started = stateUpdate('i-1', { rank: 2, status: 'in_progress', minute: 0 });
    const first = mergeAndRecord(undefined, ended);

    // Act
    const late = mergeInterviewUpdate(first.state, started, now);

    // Assess
    expect(first).toMatchObject({ advanced: true, stale: false, replayed: false });
    expect(late).toMatchObject({ advanced: false, stale: true, replayed: false });
    expect(late.state).toMatchObject({
      status: ended.status,
      rank: ended.rank,
      statusStamp: stampOf(ended),
    });
  });

  it('does not take the status back for a lower rank even when that event happened later', () => {
    // Prepare: the vendor's clock says the lower step came after (a resend); rank still decides
    const ended = stateUpdate('i-1', { rank: 3, status: 'completed', minute: 0 });
    const resentStart = stateUpdate('i-1', { rank: 2, status: 'in_progress', minute: 40 });

    // Act
    const result = mergeInterviewUpdate(mergeAndRecord(undefined, ended).state, resentStart, now);

    // Assess
    expect(result).toMatchObject({ advanced: false, stale: true });
    expect(result.state).toMatchObject({ status: ended.status, rank: ended.rank });
  });

  it('leaves the event records to the sync: a merge adds none and keeps those it found', () => {
    // Prepare
    const recorded = mergeAndRecord(undefined, stateUpdate('i-1', { rank: 2, minute: 0 }));
    const next = stateUpdate('i-1', { rank: 3, minute: 5 });

    // Act
    const result = mergeInterviewUpdate(recorded.state, next, now);

    // Assess
    expect(result.state.events).toEqual(recorded.state.events);
    expect(result.state.events[next.eventKey]).toBeUndefined();
    expect(result.state.updatedAt).toBe(now);
  });

  it('lets a late older event fill a field it lacks but not overwrite a newer value', () => {
    // Prepare
    const newer = stateUpdate('i-1', { rank: 3, minute: 20, fields: { score: 90 } });
    const older = stateUpdate('i-1', { rank: 2, minute: 0, fields: { score: 50, startedAt: 't0' } });

    // Act
    const { state } = mergeInterviewUpdate(mergeAndRecord(undefined, newer).state, older, now);

    // Assess
    expect(state.fields).toEqual({ score: newer.fields.score, startedAt: older.fields.startedAt });
    expect(state.fieldStamps.score).toEqual(stampOf(newer));
    expect(state.fieldStamps.startedAt).toEqual(stampOf(older));
  });

  it('lets a newer event overwrite a field written by an older one', () => {
    // Prepare
    const older = stateUpdate('i-1', { rank: undefined, minute: 0, fields: { stage: 'Screen' } });
    const newer = stateUpdate('i-1', { rank: undefined, minute: 30, fields: { stage: 'Onsite' } });

    // Act
    const { state } = mergeInterviewUpdate(mergeAndRecord(undefined, older).state, newer, now);

    // Assess
    expect(state.fields.stage).toBe(newer.fields.stage);
    expect(state.fieldStamps.stage).toEqual(stampOf(newer));
  });

  it('ignores undefined field values: they neither erase a value nor take a stamp', () => {
    // Prepare
    const first = stateUpdate('i-1', { rank: undefined, minute: 0, fields: { reportUrl: 'r1' } });
    const later = stateUpdate('i-1', { rank: undefined, minute: 9, fields: { reportUrl: undefined } });

    // Act
    const { state } = mergeInterviewUpdate(mergeAndRecord(undefined, first).state, later, now);

    // Assess
    expect(state.fields).toEqual({ reportUrl: first.fields.reportUrl });
    expect(state.fieldStamps.reportUrl?.tie).toBe(tieOf(first.eventKey));
  });

  it('at the same rank, takes the newer event for status and fields whatever the arrival order', () => {
    // Prepare
    const a = stateUpdate('i-1', { rank: 6, status: 'recording_ready', minute: 5, fields: { url: 'a' } });
    const b = stateUpdate('i-1', { rank: 6, status: 'recording_ready', minute: 9, fields: { url: 'b' } });

    // Act
    const ab = fold([a, b]);
    const ba = fold([b, a]);

    // Assess
    expect(ab?.fields).toEqual(b.fields);
    expect(ab?.statusStamp).toEqual(stampOf(b));
    expect(comparable(ba)).toEqual(comparable(ab));
  });

  it('at the same rank and time, breaks the tie by the events’ keys whatever the arrival order', () => {
    // Prepare: the event whose key's tie sorts higher wins
    const [low, high] = ['evt_a', 'evt_b']
      .map((eventKey) =>
        stateUpdate('i-1', { rank: 4, status: 'completed', minute: 7, eventKey, fields: { by: eventKey } }),
      )
      .sort((a, b) => tieOf(a.eventKey).localeCompare(tieOf(b.eventKey))) as [
      InterviewUpdate,
      InterviewUpdate,
    ];
    expect(tieOf(low.eventKey) < tieOf(high.eventKey)).toBe(true);

    // Act
    const states = [fold([low, high]), fold([high, low])];

    // Assess
    for (const state of states) {
      expect(state?.statusStamp?.tie).toBe(tieOf(high.eventKey));
      expect(state?.fields.by).toBe(high.eventKey);
    }
  });

  it('reports the first event of a rank as advancing and a newer one of the same rank as not', () => {
    // Prepare
    const first = stateUpdate('i-1', { rank: 6, minute: 5 });
    const second = stateUpdate('i-1', { rank: 6, minute: 9 });

    // Act
    const a = mergeAndRecord(undefined, first);
    const b = mergeInterviewUpdate(a.state, second, now);

    // Assess
    expect(a).toMatchObject({ advanced: true, stale: false });
    expect(b).toMatchObject({ advanced: false, stale: false });
    expect(b.state.statusStamp?.tie).toBe(tieOf(second.eventKey));
  });

  it('leaves the status alone for fields-only events', () => {
    // Prepare
    const started = stateUpdate('i-1', { rank: 2, status: 'in_progress', minute: 0 });
    const scored = stateUpdate('i-1', { rank: undefined, minute: 30, fields: { proctoring: 85 } });

    // Act
    const result = mergeInterviewUpdate(mergeAndRecord(undefined, started).state, scored, now);

    // Assess
    expect(result).toMatchObject({ advanced: false, stale: false, replayed: false });
    expect(result.state).toMatchObject({
      status: started.status,
      rank: started.rank,
      statusStamp: stampOf(started),
      fields: scored.fields,
    });
  });

  it('creates a state without a status from a fields-only first event', () => {
    // Prepare
    const scored = stateUpdate('i-1', { vendor: 'micro1', rank: undefined, fields: { proctoring: 85 } });

    // Act
    const result = mergeInterviewUpdate(undefined, scored, now);

    // Assess
    expect(result).toMatchObject({ advanced: false, stale: false, replayed: false });
    expect(result.state).toMatchObject({ vendor: 'micro1', interviewKey: 'i-1', fields: scored.fields });
    expect(result.state.status).toBeUndefined();
    expect(result.state.rank).toBeUndefined();
  });

  it('answers a replayed event with its first outcome and leaves the state unchanged', () => {
    // Prepare
    const started = stateUpdate('i-1', { rank: 2, minute: 0, fields: { x: 1 } });
    const first = mergeAndRecord(undefined, started);
    const afterMore = mergeAndRecord(
      first.state,
      stateUpdate('i-1', { rank: 3, minute: 9, fields: { x: 2 } }),
    );

    // Act
    const replay = mergeInterviewUpdate(afterMore.state, started, now);

    // Assess
    expect(first.advanced).toBe(true);
    expect(replay).toMatchObject({ replayed: true, advanced: first.advanced, stale: true });
    expect(replay.state).toBe(afterMore.state);
  });

  it.each<[string, EventRecord]>([
    ['done', { advanced: true, done: true }],
    ['claimed by an attempt that may have died', { advanced: true, owner: 'attempt-1', leaseUntil: 1 }],
    ['parked', { advanced: true, parked: true }],
    ['recorded as not advancing', { advanced: false, done: true }],
  ])('treats an event recorded %s as replayed and answers with the recorded advance', (_name, record) => {
    // Prepare: the state the event's first attempt committed (merge + record in one write)
    const update = stateUpdate('i-1', { rank: 2, minute: 0, fields: { x: 1 } });
    const committed = withEvent(mergeInterviewUpdate(undefined, update, now).state, update.eventKey, record);

    // Act
    const retry = mergeInterviewUpdate(committed, { ...update, fields: { x: 2 } }, now);

    // Assess
    expect(retry).toMatchObject({ replayed: true, advanced: record.advanced, stale: false });
    expect(retry.state).toBe(committed);
  });

  it('converges to the same state for every arrival order, duplicates included (property)', () => {
    // Prepare
    const updateArb = fc.record({
      rank: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      minute: fc.integer({ min: 0, max: 5 }),
      fields: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer()),
    });
    const property = fc.property(
      fc.array(updateArb, { minLength: 1, maxLength: 8 }).chain((specs) => {
        const updates = specs.map((spec) => stateUpdate('i-1', spec));
        return fc.tuple(
          fc.constant(updates),
          fc.shuffledSubarray(updates, { minLength: updates.length }),
          // Redeliveries: some events arrive again, anywhere in the sequence.
          fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
        );
      }),
      ([inOrder, shuffled, redeliveries]) => {
        const arrivals = [...shuffled];
        for (const [which, where] of redeliveries) {
          const again = shuffled[which % shuffled.length] as InterviewUpdate;
          arrivals.splice(where % (arrivals.length + 1), 0, again);
        }

        // Act
        const expected = fold(inOrder);
        const seen = new Set<string>();
        let actual: InterviewState | undefined;
        for (const update of arrivals) {
          const result = mergeAndRecord(actual, update);
          // Assess: exactly the redeliveries are replays
          expect(result.replayed).toBe(seen.has(update.eventKey));
          seen.add(update.eventKey);
          actual = result.replayed ? actual : result.state;
        }

        // Assess
        expect(comparable(actual)).toEqual(comparable(expected));
        const ranks = inOrder.flatMap((update) => (update.rank === undefined ? [] : [update.rank]));
        expect(actual?.rank).toBe(ranks.length > 0 ? Math.max(...ranks) : undefined);
        for (const name of ['a', 'b', 'c']) {
          const writers = inOrder.filter((update) => name in update.fields);
          const newest = writers.reduce<InterviewUpdate | undefined>(
            (best, update) =>
              best === undefined ||
              update.occurredAt > best.occurredAt ||
              (update.occurredAt === best.occurredAt && tieOf(update.eventKey) > tieOf(best.eventKey))
                ? update
                : best,
            undefined,
          );
          expect(actual?.fields[name]).toBe(newest?.fields[name]);
        }
      },
    );

    fc.assert(property, { numRuns: 200 });
  });
});

describe('normaliseUpdate', () => {
  it('writes event times as UTC ISO strings, so the merge compares instants, not spellings', () => {
    // Prepare: 13:00Z written with an offset arrives after 14:00Z; as raw strings it would look newer
    const earlier = stateUpdate('i-1', {
      rank: 6,
      occurredAt: '2024-01-16T15:00:00+02:00',
      fields: { url: 'a' },
    });
    const later = stateUpdate('i-1', { rank: 6, occurredAt: '2024-01-16T14:00:00Z', fields: { url: 'b' } });

    // Act
    const normalised = [later, earlier].map(normaliseUpdate);
    const state = fold(normalised);

    // Assess
    expect(normalised.map((update) => update.occurredAt)).toEqual([
      '2024-01-16T14:00:00.000Z',
      '2024-01-16T13:00:00.000Z',
    ]);
    expect(state?.fields.url).toBe(later.fields.url);
    expect(state?.statusStamp?.tie).toBe(tieOf(later.eventKey));
  });

  it('stores fields as JSON would: undefined members dropped, dates as strings', () => {
    // Prepare
    const update = stateUpdate('i-1', {
      fields: {
        kept: 1,
        dropped: undefined,
        at: new Date(Date.UTC(2024, 0, 1)),
        nested: { a: undefined, b: 2 },
      },
    });

    // Act
    const { fields } = normaliseUpdate(update);

    // Assess
    expect(fields).toStrictEqual({ kept: 1, at: '2024-01-01T00:00:00.000Z', nested: { b: 2 } });
  });

  it.each<[string, Partial<InterviewUpdate>]>([
    ['an empty interview key', { interviewKey: '' }],
    ['an empty event key', { eventKey: '' }],
    ['a rank that is not a finite number', { rank: Number.NaN }],
    ['an infinite rank', { rank: Number.POSITIVE_INFINITY }],
    ['an occurredAt that is not a date', { occurredAt: '2024-01-01 10:00:00 soon' }],
  ])('refuses %s with a permanent InvalidInterviewUpdateError', (_name, overrides) => {
    // Prepare
    const update = { ...stateUpdate('i-1'), ...overrides };

    // Act
    const act = () => normaliseUpdate(update);

    // Assess
    expect(act).toThrow(InvalidInterviewUpdateError);
    expect(act).toThrow(expect.objectContaining({ transient: false }));
  });
});

describe('checkEvent', () => {
  const nowMs = Date.UTC(2024, 1, 1);

  it.each<[string, EventRecord | undefined, ReturnType<typeof checkEvent>]>([
    ['never seen', undefined, { kind: 'free', unfinished: false }],
    ['done', { advanced: true, done: true }, { kind: 'done' }],
    [
      'held by a live attempt',
      { advanced: true, owner: 'a', leaseUntil: nowMs + 1 },
      { kind: 'held', leaseUntil: nowMs + 1 },
    ],
    [
      'held until exactly now',
      { advanced: true, owner: 'a', leaseUntil: nowMs },
      { kind: 'held', leaseUntil: nowMs },
    ],
    [
      'claimed by an attempt whose lease ran out',
      { advanced: true, owner: 'a', leaseUntil: nowMs - 1 },
      { kind: 'free', unfinished: true },
    ],
    [
      'released after a failure (lease 0)',
      { advanced: false, owner: 'a', leaseUntil: 0 },
      { kind: 'free', unfinished: true },
    ],
    ['parked', { advanced: true, parked: true }, { kind: 'free', unfinished: false }],
  ])('answers an event %s', (_name, record, expected) => {
    // Prepare
    const base = mergeInterviewUpdate(undefined, stateUpdate('i-1', { eventKey: 'evt-other' }), now).state;
    const state = record === undefined ? base : withEvent(base, 'evt-1', record);

    // Act
    const check = checkEvent(state, 'evt-1', nowMs);

    // Assess
    expect(check).toEqual(expected);
  });

  it('answers an interview without an item as free', () => {
    // Act
    const check = checkEvent(undefined, 'evt-1', 0);

    // Assess
    expect(check).toEqual({ kind: 'free', unfinished: false });
  });
});
