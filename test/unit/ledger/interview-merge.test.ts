import fc from 'fast-check';
import { type InterviewState, mergeInterviewUpdate } from '../../../functions/ledger/interview-state.js';
import { stateUpdate } from './factories.js';

const now = '2024-02-01T00:00:00.000Z';

const fold = (updates: Parameters<typeof mergeInterviewUpdate>[1][]): InterviewState | undefined =>
  updates.reduce<InterviewState | undefined>(
    (state, update) => mergeInterviewUpdate(state, update, now).state,
    undefined,
  );

/**
 * The state without what depends on arrival order by design: which event "advanced" the status (the first
 * to raise the rank in that order) and the write time. The set of applied events must still match.
 */
const comparable = (state: InterviewState | undefined) => {
  if (state === undefined) return undefined;
  const { updatedAt: _updatedAt, appliedEvents, ...rest } = state;
  return { ...rest, appliedEvents: Object.keys(appliedEvents).sort() };
};

describe('mergeInterviewUpdate', () => {
  it('advances to a higher rank and reports a late lower rank as stale without regressing', () => {
    // Prepare
    const ended = stateUpdate('i-1', { rank: 3, status: 'completed', minute: 20 });
    const started = stateUpdate('i-1', { rank: 2, status: 'in_progress', minute: 0 });
    const first = mergeInterviewUpdate(undefined, ended, now);

    // Act
    const late = mergeInterviewUpdate(first.state, started, now);

    // Assess
    expect(first).toMatchObject({ advanced: true, stale: false, replayed: false });
    expect(late).toMatchObject({ advanced: false, stale: true, replayed: false });
    expect(late.state).toMatchObject({ status: 'completed', rank: 3, version: 2 });
  });

  it('lets a late older event fill a field it lacks but not overwrite a newer value', () => {
    // Prepare
    const newer = stateUpdate('i-1', { rank: 3, minute: 20, fields: { score: 90 } });
    const older = stateUpdate('i-1', { rank: 2, minute: 0, fields: { score: 50, startedAt: 't0' } });

    // Act
    const { state, changedFields } = mergeInterviewUpdate(
      mergeInterviewUpdate(undefined, newer, now).state,
      older,
      now,
    );

    // Assess
    expect(state.fields).toEqual({ score: 90, startedAt: 't0' });
    expect(changedFields).toEqual(['startedAt']);
    expect(state.fieldStamps.score?.eventKey).toBe(newer.eventKey);
  });

  it('at the same rank, takes the newer event for status and fields whatever the arrival order', () => {
    // Prepare
    const a = stateUpdate('i-1', { rank: 6, status: 'recording_ready', minute: 5, fields: { url: 'a' } });
    const b = stateUpdate('i-1', { rank: 6, status: 'recording_ready', minute: 9, fields: { url: 'b' } });

    // Act
    const ab = fold([a, b]);
    const ba = fold([b, a]);

    // Assess
    expect(ab?.fields).toEqual({ url: 'b' });
    expect(comparable(ba)).toEqual(comparable(ab));
    expect(ab?.statusStamp).toEqual({ at: b.occurredAt, eventKey: b.eventKey });
  });

  it('leaves the status alone for fields-only events', () => {
    // Prepare
    const started = stateUpdate('i-1', { rank: 2, status: 'in_progress', minute: 0 });
    const scored = stateUpdate('i-1', { rank: undefined, minute: 30, fields: { proctoring: 85 } });

    // Act
    const result = mergeInterviewUpdate(mergeInterviewUpdate(undefined, started, now).state, scored, now);

    // Assess
    expect(result).toMatchObject({ advanced: false, stale: false });
    expect(result.state).toMatchObject({ status: 'in_progress', rank: 2, fields: { proctoring: 85 } });
  });

  it('answers a replayed event with its first outcome and leaves the state unchanged', () => {
    // Prepare
    const started = stateUpdate('i-1', { rank: 2, minute: 0, fields: { x: 1 } });
    const first = mergeInterviewUpdate(undefined, started, now);
    const afterMore = mergeInterviewUpdate(first.state, stateUpdate('i-1', { rank: 3, minute: 9 }), now);

    // Act
    const replay = mergeInterviewUpdate(afterMore.state, started, now);

    // Assess
    expect(replay).toMatchObject({ replayed: true, advanced: true, stale: true, changedFields: [] });
    expect(replay.state).toBe(afterMore.state);
  });

  it('converges to the same state for every arrival order (property)', () => {
    // Prepare
    const updateArb = fc.record({
      rank: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      minute: fc.integer({ min: 0, max: 5 }),
      fields: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer()),
    });
    const property = fc.property(
      fc.array(updateArb, { minLength: 1, maxLength: 8 }).chain((specs) => {
        const updates = specs.map((spec) => stateUpdate('i-1', spec));
        return fc.tuple(fc.constant(updates), fc.shuffledSubarray(updates, { minLength: updates.length }));
      }),
      ([inOrder, shuffled]) => {
        // Act
        const expected = fold(inOrder);
        const actual = fold(shuffled);

        // Assess
        expect(comparable(actual)).toEqual(comparable(expected));
        const ranks = inOrder.flatMap((update) => (update.rank === undefined ? [] : [update.rank]));
        expect(actual?.rank).toBe(ranks.length > 0 ? Math.max(...ranks) : undefined);
      },
    );

    fc.assert(property, { numRuns: 200 });
  });
});
