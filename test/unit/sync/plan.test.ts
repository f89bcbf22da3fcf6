import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ScreeningStatus } from '../../../functions/ats/types.js';
import {
  type AtsMatchRecord,
  claimedEffect,
  doneEffect,
  type EffectRecord,
  emptyInterviewState,
  failedEffect,
  type InterviewState,
  mergeInterviewUpdate,
  normaliseUpdate,
  stampOf,
} from '../../../functions/ledger/interview-state.js';
import { lifecycleOf, micro1Lifecycle } from '../../../functions/ledger/lifecycle.js';
import {
  effectKeyForLog,
  notePartsOf,
  type PlanContext,
  type PlannedWrite,
  planFields,
  planWrites,
  recordLinksOf,
  screeningStatusOf,
  statusLevelOf,
} from '../../../functions/sync/plan.js';
import { micro1Event } from '../ledger/factories.js';

// ---------------------------------------------------------------------------------------------------------
// Factories
// ---------------------------------------------------------------------------------------------------------

const now = Date.UTC(2024, 0, 16, 15, 0);
/** A lease that still runs at `now`, and one that ran out just before. */
const liveLease = now + 60_000;
const expiredLease = now - 1;

const thisEvent = 'micro1:interview_report.created:rep-1';
const otherEvent = 'micro1:interview_recording.completed:rep-1';
const me = 'attempt-me';
const other = 'attempt-other';

const urls = {
  report: 'https://micro1.ai/report/rep-1.pdf',
  screen: 'https://zara.micro1.ai/ai-interview-videos/screen-1',
  webcam: 'https://zara.micro1.ai/ai-interview-videos/webcam-1',
};

/** The state fields of the parts and links a test wants present (plan field names). */
const partFields = (parts: {
  score?: number;
  screen?: string;
  webcam?: string;
  reportUrl?: string;
  screeningScore?: number;
}): Record<string, unknown> => ({
  ...(parts.score === undefined ? {} : { [planFields.proctoringScore]: parts.score }),
  ...(parts.screen === undefined ? {} : { [planFields.screenRecordingLink]: parts.screen }),
  ...(parts.webcam === undefined ? {} : { [planFields.webcamRecordingLink]: parts.webcam }),
  ...(parts.reportUrl === undefined ? {} : { [planFields.reportUrl]: parts.reportUrl }),
  ...(parts.screeningScore === undefined ? {} : { [planFields.screeningScore]: parts.screeningScore }),
});

interface StateSpec {
  /** A micro1 lifecycle status; its rank comes from the lifecycle unless `rank` is given. */
  readonly status?: string;
  readonly rank?: number;
  readonly fields?: Record<string, unknown>;
  readonly effects?: Record<string, EffectRecord>;
  readonly closedBy?: string;
  readonly atsMatch?: AtsMatchRecord;
}

/** A micro1 report's state, matched in the ATS unless told otherwise. */
const aState = (spec: StateSpec = {}): InterviewState => {
  const { status, rank, ...rest } = spec;
  return {
    ...emptyInterviewState('micro1', 'report:rep-1'),
    atsMatch: { candidateId: 'cand-1', applicationId: 'app-1' },
    ...(status === undefined
      ? {}
      : {
          status,
          rank: rank ?? micro1Lifecycle[status]?.rank ?? 0,
          statusStamp: stampOf({ occurredAt: new Date(now).toISOString(), eventKey: otherEvent }),
        }),
    ...rest,
  };
};

/** An effect done by `eventKey` (the note with the parts it included). */
const doneBy = (eventKey: string, parts?: readonly string[]): EffectRecord =>
  doneEffect(claimedEffect(undefined, other, eventKey, liveLease, parts));
/** An effect claimed by `owner` until `leaseUntil`. */
const claimedBy = (owner: string, leaseUntil = liveLease, parts?: readonly string[]): EffectRecord =>
  claimedEffect(undefined, owner, otherEvent, leaseUntil, parts);
/** An effect whose call failed (it may have landed). */
const failedBy = (eventKey: string, parts?: readonly string[]): EffectRecord =>
  failedEffect(claimedEffect(undefined, other, eventKey, liveLease, parts));

/** This attempt of `thisEvent`, with no option configured and no adapter capability. */
const aContext = (overrides: Partial<PlanContext> = {}): PlanContext => ({
  eventKey: thisEvent,
  owner: me,
  now,
  carriesNote: false,
  notifications: false,
  can: { moveStage: false, setField: false, addLinks: false },
  ...overrides,
});

/** Everything configured and every capability. */
const fullContext = (overrides: Partial<PlanContext> = {}): PlanContext =>
  aContext({
    carriesNote: true,
    completedStageId: 'stage-screened',
    scoreFieldId: 'field-score',
    notifications: true,
    can: { moveStage: true, setField: true, addLinks: true },
    ...overrides,
  });

const keysOf = (writes: readonly PlannedWrite[]) => writes.map((write) => write.key);
const kindsOf = (writes: readonly PlannedWrite[]) => writes.map((write) => write.kind);
const writeOf = <K extends PlannedWrite['kind']>(writes: readonly PlannedWrite[], kind: K) =>
  writes.find((write): write is Extract<PlannedWrite, { kind: K }> => write.kind === kind);

const allParts = { score: 85, screen: urls.screen, webcam: urls.webcam };
const partKeys = (score: number) => [`proctoring:${score}`, 'recording:screen', 'recording:webcam'];

// ---------------------------------------------------------------------------------------------------------
// The status mapping
// ---------------------------------------------------------------------------------------------------------

describe('screeningStatusOf and statusLevelOf', () => {
  it.each<[string | undefined, ScreeningStatus | undefined, number]>([
    [undefined, undefined, 0],
    ['applied', undefined, 0],
    ['invited', undefined, 0],
    ['proctoring_scored', undefined, 0],
    ['interview_paused', undefined, 0],
    ['in_progress', 'in_progress', 1],
    ['completed', 'completed', 2],
    ['report_ready', 'completed', 2],
    ['recording_ready', 'completed', 2],
  ])('shows state status %s as %s (level %i)', (status, screening, level) => {
    // Act
    const shown = screeningStatusOf(status);
    const shownLevel = statusLevelOf(status);

    // Assess
    expect(shown).toBe(screening);
    expect(shownLevel).toBe(level);
  });

  it('never shows a lower level for a higher lifecycle rank (micro1 lifecycle, every pair)', () => {
    // Prepare
    const ranked = Object.values(micro1Lifecycle).flatMap((step) =>
      step.rank === undefined ? [] : [{ rank: step.rank, level: statusLevelOf(step.status) }],
    );

    // Act
    const inversions = ranked.flatMap((a) => ranked.filter((b) => a.rank < b.rank && a.level > b.level));

    // Assess
    expect(ranked.length).toBeGreaterThan(0);
    expect(inversions).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Parts and links read from the state
// ---------------------------------------------------------------------------------------------------------

describe('notePartsOf', () => {
  it('lists proctoring, screen and webcam recording in that order, whatever order the fields have', () => {
    // Prepare: fields written webcam first
    const state = aState({
      fields: {
        [planFields.webcamRecordingLink]: urls.webcam,
        [planFields.screenRecordingLink]: urls.screen,
        [planFields.proctoringScore]: 85,
      },
    });

    // Act
    const parts = notePartsOf(state);

    // Assess
    expect(parts).toEqual([
      { kind: 'proctoring', key: 'proctoring:85', score: 85 },
      { kind: 'recording', key: 'recording:screen', camera: 'screen', url: urls.screen },
      { kind: 'recording', key: 'recording:webcam', camera: 'webcam', url: urls.webcam },
    ]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['no part', {}, []],
    ['a score of 0 (a score, not a missing one)', partFields({ score: 0 }), ['proctoring:0']],
    ['a score given as text', { [planFields.proctoringScore]: '85' }, []],
    ['a null score', { [planFields.proctoringScore]: null }, []],
    ['an empty recording link', { [planFields.screenRecordingLink]: '' }, []],
    ['a recording link that is not text', { [planFields.webcamRecordingLink]: 42 }, []],
    ['the webcam recording alone', partFields({ webcam: urls.webcam }), ['recording:webcam']],
  ])('reads %s', (_name, fields, keys) => {
    // Act
    const parts = notePartsOf(aState({ fields }));

    // Assess
    expect(parts.map((part) => part.key)).toEqual(keys);
  });
});

describe('recordLinksOf', () => {
  it('lists the report, the screen and the webcam recording, each labelled, in that order', () => {
    // Prepare
    const state = aState({ fields: partFields({ ...allParts, reportUrl: urls.report }) });

    // Act
    const links = recordLinksOf(state);

    // Assess
    expect(links.map((link) => link.url)).toEqual([urls.report, urls.screen, urls.webcam]);
    expect(new Set(links.map((link) => link.label)).size).toBe(3);
    for (const link of links) expect(link.label).toMatch(/\S/);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['nothing', {}, []],
    ['the report alone', partFields({ reportUrl: urls.report }), [urls.report]],
    [
      'the recordings alone',
      partFields({ screen: urls.screen, webcam: urls.webcam }),
      [urls.screen, urls.webcam],
    ],
    ['an empty report link', { [planFields.reportUrl]: '' }, []],
    ['a proctoring score (not a link)', partFields({ score: 85 }), []],
  ])('links %s', (_name, fields, expected) => {
    // Act
    const links = recordLinksOf(aState({ fields }));

    // Assess
    expect(links.map((link) => link.url)).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------------------
// planWrites
// ---------------------------------------------------------------------------------------------------------

describe('planWrites: what the ATS should have received', () => {
  it.each([
    ['no status yet', undefined],
    ['applied', 'applied'],
    ['invited', 'invited'],
  ])(
    'plans nothing while the interview shows nothing (%s), even with everything configured',
    (_n, status) => {
      // Prepare
      const state = aState({
        ...(status === undefined ? {} : { status }),
        fields: partFields({ ...allParts, reportUrl: urls.report, screeningScore: 88 }),
      });

      // Act
      const plan = planWrites(state, fullContext());

      // Assess
      expect(plan).toEqual({ writes: [], heldByOthers: [] });
    },
  );

  it('plans status:in_progress alone for an interview in progress, whatever is configured', () => {
    // Prepare
    const state = aState({
      status: 'in_progress',
      fields: partFields({ ...allParts, reportUrl: urls.report, screeningScore: 88 }),
    });

    // Act
    const plan = planWrites(state, fullContext({ notifications: false }));

    // Assess
    expect(plan.writes).toEqual([{ kind: 'status', key: 'status:in_progress', status: 'in_progress' }]);
    expect(plan.heldByOthers).toEqual([]);
    expect(plan.blockedBy).toBeUndefined();
  });

  it.each(['completed', 'report_ready', 'recording_ready'])(
    'plans status:completed alone for %s when the event carries no note and nothing is configured',
    (status) => {
      // Act
      const plan = planWrites(aState({ status, fields: partFields({ reportUrl: urls.report }) }), aContext());

      // Assess
      expect(plan.writes).toEqual([{ kind: 'status', key: 'status:completed', status: 'completed' }]);
    },
  );

  it('plans status, note with every present part, links, stage and score field for a completed note event', () => {
    // Prepare
    const score = 85;
    const screeningScore = 88;
    const context = fullContext({ notifications: false });
    const state = aState({
      status: 'report_ready',
      fields: partFields({ ...allParts, score, reportUrl: urls.report, screeningScore }),
    });

    // Act
    const { writes } = planWrites(state, context);

    // Assess
    expect(kindsOf(writes)).toEqual(['status', 'note', 'links', 'stage', 'field']);
    expect(writes[0]).toEqual({ kind: 'status', key: 'status:completed', status: 'completed' });
    expect(writeOf(writes, 'note')).toEqual({ kind: 'note', key: 'note', parts: partKeys(score) });
    expect(writeOf(writes, 'links')?.key).toMatch(/^links:[0-9a-f]+$/);
    expect(writeOf(writes, 'links')?.links.map((link) => link.url)).toEqual([
      urls.report,
      urls.screen,
      urls.webcam,
    ]);
    expect(writeOf(writes, 'stage')).toEqual({
      kind: 'stage',
      key: `stage:${context.completedStageId}`,
      toStageId: context.completedStageId,
    });
    expect(writeOf(writes, 'field')).toEqual({
      kind: 'field',
      key: `field:${context.scoreFieldId}:${screeningScore}`,
      fieldId: context.scoreFieldId,
      value: String(screeningScore),
    });
  });

  it.each<[string, { score?: number; screen?: string; webcam?: string }]>([
    ['no part', {}],
    ['the proctoring score', { score: 71 }],
    ['the screen recording', { screen: urls.screen }],
    ['both recordings', { screen: urls.screen, webcam: urls.webcam }],
    ['every part', allParts],
  ])('lists in the note the parts present: %s', (_name, parts) => {
    // Prepare
    const state = aState({ status: 'report_ready', fields: partFields(parts) });

    // Act
    const note = writeOf(planWrites(state, aContext({ carriesNote: true })).writes, 'note');

    // Assess
    expect(note?.parts).toEqual(notePartsOf(state).map((part) => part.key));
    expect(note?.parts).toHaveLength(Object.keys(parts).length);
  });

  it('plans no note for an event that does not carry it', () => {
    // Act
    const plan = planWrites(aState({ status: 'recording_ready', fields: partFields(allParts) }), aContext());

    // Assess
    expect(kindsOf(plan.writes)).not.toContain('note');
  });

  it.each<[string, Partial<PlanContext>, Record<string, unknown>, PlannedWrite['kind'][]]>([
    [
      'links with addLinks and links',
      { can: { addLinks: true, moveStage: false, setField: false } },
      partFields({ reportUrl: urls.report }),
      ['links'],
    ],
    ['no links without addLinks', {}, partFields({ reportUrl: urls.report }), []],
    ['no links when there is none', { can: { addLinks: true, moveStage: false, setField: false } }, {}, []],
    [
      'a stage when configured and movable',
      { completedStageId: 's', can: { addLinks: false, moveStage: true, setField: false } },
      {},
      ['stage'],
    ],
    ['no stage when configured but not movable', { completedStageId: 's' }, {}, []],
    [
      'no stage when movable but not configured',
      { can: { addLinks: false, moveStage: true, setField: false } },
      {},
      [],
    ],
    [
      'a field when configured, settable and scored',
      { scoreFieldId: 'f', can: { addLinks: false, moveStage: false, setField: true } },
      partFields({ screeningScore: 64 }),
      ['field'],
    ],
    [
      'no field without a score',
      { scoreFieldId: 'f', can: { addLinks: false, moveStage: false, setField: true } },
      {},
      [],
    ],
    ['no field when not settable', { scoreFieldId: 'f' }, partFields({ screeningScore: 64 }), []],
    [
      'no field when not configured',
      { can: { addLinks: false, moveStage: false, setField: true } },
      partFields({ screeningScore: 64 }),
      [],
    ],
  ])('plans after the status %s', (_name, context, fields, kinds) => {
    // Act
    const plan = planWrites(aState({ status: 'completed', fields }), aContext(context));

    // Assess
    expect(kindsOf(plan.writes)).toEqual(['status', ...kinds]);
  });

  it('plans no stage, field or links before the interview is completed', () => {
    // Prepare
    const state = aState({
      status: 'in_progress',
      fields: partFields({ reportUrl: urls.report, screeningScore: 64 }),
    });

    // Act
    const plan = planWrites(state, fullContext({ carriesNote: false, notifications: false }));

    // Assess
    expect(kindsOf(plan.writes)).toEqual(['status']);
  });
});

describe('planWrites: parts that arrive after the note', () => {
  it.each<[string, EffectRecord | undefined, { score?: number; screen?: string; webcam?: string }, string[]]>(
    [
      ['a done note without any part', doneBy(otherEvent, []), allParts, partKeys(allParts.score)],
      ['a done note recorded without a parts list', doneBy(otherEvent), allParts, partKeys(allParts.score)],
      [
        'a done note with the score only',
        doneBy(otherEvent, ['proctoring:85']),
        allParts,
        ['recording:screen', 'recording:webcam'],
      ],
      [
        'a done note with the recordings only',
        doneBy(otherEvent, ['recording:screen', 'recording:webcam']),
        allParts,
        ['proctoring:85'],
      ],
      ['a done note with every part', doneBy(otherEvent, partKeys(85)), allParts, []],
      [
        'a done note with an older score',
        doneBy(otherEvent, ['proctoring:80']),
        { score: 85 },
        ['proctoring:85'],
      ],
      ['a done note and no part yet', doneBy(otherEvent, []), {}, []],
      ['no note yet', undefined, allParts, []],
      ['a note claimed by another attempt', claimedBy(other, liveLease, []), allParts, []],
      ['a note whose claim ran out', claimedBy(other, expiredLease, []), allParts, []],
      ['a note claimed by this attempt', claimedBy(me, liveLease, []), allParts, []],
      ['a note whose call failed', failedBy(otherEvent, []), allParts, []],
    ],
  )('after %s, plans the follow-ups %j', (_name, note, parts, expected) => {
    // Prepare
    const state = aState({
      status: 'recording_ready',
      fields: partFields(parts),
      effects: { 'status:completed': doneBy(otherEvent), ...(note === undefined ? {} : { note }) },
    });

    // Act
    const plan = planWrites(state, aContext());

    // Assess
    const followUps = plan.writes.filter((write) => write.kind === 'follow-up');
    expect(keysOf(followUps)).toEqual(expected);
  });

  it('gives each follow-up the part it is about', () => {
    // Prepare
    const state = aState({
      status: 'recording_ready',
      fields: partFields({ screen: urls.screen }),
      effects: { 'status:completed': doneBy(otherEvent), note: doneBy(otherEvent, []) },
    });

    // Act
    const followUp = writeOf(planWrites(state, aContext()).writes, 'follow-up');

    // Assess
    expect(followUp).toEqual({
      kind: 'follow-up',
      key: 'recording:screen',
      part: { kind: 'recording', key: 'recording:screen', camera: 'screen', url: urls.screen },
    });
  });

  it('plans a follow-up for the note event itself when its note is done and a part is missing', () => {
    // Prepare: a second note-carrying event (a resent report) after a recording came in
    const state = aState({
      status: 'recording_ready',
      fields: partFields({ screen: urls.screen }),
      effects: { 'status:completed': doneBy(otherEvent), note: doneBy(otherEvent, []) },
    });

    // Act
    const plan = planWrites(state, aContext({ carriesNote: true }));

    // Assess
    expect(keysOf(plan.writes)).toEqual(['recording:screen']);
  });
});

describe('planWrites: the ledger', () => {
  /** A completed interview with one of every write desired. */
  const everything = () =>
    aState({
      status: 'recording_ready',
      fields: partFields({ ...allParts, reportUrl: urls.report, screeningScore: 88 }),
    });
  const desiredKeys = () => keysOf(planWrites(everything(), fullContext({ notifications: false })).writes);

  it('plans nothing again once every write is done', () => {
    // Prepare
    const keys = desiredKeys();
    const state = {
      ...everything(),
      effects: Object.fromEntries(keys.map((key) => [key, doneBy(otherEvent, partKeys(85))])),
    };

    // Act
    const plan = planWrites(state, fullContext());

    // Assess
    expect(keys.length).toBeGreaterThan(4);
    expect(plan).toEqual({ writes: [], heldByOthers: [] });
  });

  it.each(['status:completed', 'note', 'stage:stage-screened', 'field:field-score:88'])(
    'leaves out a done %s and plans the rest',
    (key) => {
      // Prepare
      const state = { ...everything(), effects: { [key]: doneBy(otherEvent, partKeys(85)) } };

      // Act
      const plan = planWrites(state, fullContext({ notifications: false }));

      // Assess
      expect(keysOf(plan.writes)).toEqual(desiredKeys().filter((desired) => desired !== key));
    },
  );

  it.each<[string, (key: string) => EffectRecord, 'planned' | 'held']>([
    ['claimed by another live attempt', () => claimedBy(other, liveLease), 'held'],
    ['claimed by another attempt whose lease ends now', () => claimedBy(other, now), 'held'],
    ['claimed by another attempt whose lease ran out', () => claimedBy(other, expiredLease), 'planned'],
    ['claimed by this attempt', () => claimedBy(me, liveLease), 'planned'],
    ['failed', () => failedBy(otherEvent), 'planned'],
  ])('treats every write %s as %s', (_name, record, expected) => {
    // Prepare
    const keys = desiredKeys();
    const state = { ...everything(), effects: Object.fromEntries(keys.map((key) => [key, record(key)])) };

    // Act
    const plan = planWrites(state, fullContext({ notifications: false }));

    // Assess
    if (expected === 'held') {
      expect(plan.writes).toEqual([]);
      expect(plan.heldByOthers).toEqual(keys);
    } else {
      expect(keysOf(plan.writes)).toEqual(keys);
      expect(plan.heldByOthers).toEqual([]);
    }
  });

  it.each<[string, number, string | undefined]>([
    ['still settling', liveLease, 'note'],
    ['settling until now', now, 'note'],
    ['done settling', expiredLease, undefined],
  ])('waits for a note whose unanswered call is %s, then plans it', (_name, settlingUntil, blockedBy) => {
    // Prepare: the note's last call timed out (it may still land); the other writes are done
    const state = {
      ...everything(),
      effects: {
        ...Object.fromEntries(desiredKeys().map((key) => [key, doneBy(otherEvent, partKeys(85))])),
        note: failedEffect(claimedEffect(undefined, other, otherEvent, liveLease), settlingUntil),
      },
    };

    // Act
    const plan = planWrites(state, fullContext({ notifications: false }));

    // Assess
    expect(plan.blockedBy).toBe(blockedBy);
    expect(keysOf(plan.writes)).toEqual(['note']);
  });

  /** Every write done but `key`, whose last call timed out and may still land. */
  const withUnansweredWrite = (key: string) => ({
    ...everything(),
    effects: {
      ...Object.fromEntries(desiredKeys().map((desired) => [desired, doneBy(otherEvent, partKeys(85))])),
      [key]: failedEffect(claimedEffect(undefined, other, otherEvent, liveLease), liveLease),
    },
  });

  it('waits for an unanswered score field to have had the time to land: made again and recorded done, a newer score would not wait for the late request', () => {
    // Prepare: that write's last call timed out and may still land; the other writes are done
    const key = 'field:field-score:88';
    const state = withUnansweredWrite(key);

    // Act
    const plan = planWrites(state, fullContext({ notifications: false }));

    // Assess
    expect(plan.blockedBy).toBe(key);
  });

  it('waits for an unanswered stage move to have had the time to land: read now, the stage would not have moved yet', () => {
    // Prepare: the move's last call timed out and may still land; the other writes are done
    const key = 'stage:stage-screened';
    const state = withUnansweredWrite(key);

    // Act
    const plan = planWrites(state, fullContext({ notifications: false }));

    // Assess
    expect(plan.blockedBy).toBe(key);
  });

  it('names the first write in plan order when two unanswered writes hold it up (what an attempt that gives up reports as busy)', () => {
    // Prepare: both the stage move's and the score field's last calls timed out and may still land
    const [first, second] = desiredKeys().filter(
      (key) => key.startsWith('stage:') || key.startsWith('field:'),
    );
    const state = withUnansweredWrite(second as string);
    const both = {
      ...state,
      effects: { ...state.effects, [first as string]: state.effects[second as string] as EffectRecord },
    };

    // Act
    const plan = planWrites(both, fullContext({ notifications: false }));

    // Assess: the stage move, planned before the field
    expect([first, second]).toEqual(['stage:stage-screened', 'field:field-score:88']);
    expect(plan.blockedBy).toBe(first);
  });

  it.each<[string, string | undefined, EffectRecord]>([
    ['another attempt writes an earlier score', 'field:field-score:80', claimedBy(other, liveLease)],
    [
      'an earlier score got no answer and may still land',
      'field:field-score:80',
      failedEffect(claimedBy(other, liveLease), liveLease),
    ],
    ['an earlier score was written', undefined, doneBy(otherEvent)],
    [
      'an earlier score got no answer and has had the time to land',
      undefined,
      failedEffect(claimedBy(other, liveLease), expiredLease),
    ],
    ['the attempt that wrote an earlier score died (lease out)', undefined, claimedBy(other, expiredLease)],
  ])('when %s, a new score waits for: %s', (_name, blockedBy, earlier) => {
    // Prepare: the interview's score is now 90; 80 was written (or is being written) to the same field
    const state = aState({
      status: 'completed',
      fields: partFields({ screeningScore: 90 }),
      effects: {
        'status:completed': doneBy(otherEvent),
        'field:field-score:80': earlier,
        'field:other-field:70': claimedBy(other, liveLease),
      },
    });

    // Act
    const plan = planWrites(
      state,
      aContext({ scoreFieldId: 'field-score', can: { addLinks: false, moveStage: false, setField: true } }),
    );

    // Assess: the new value is planned either way; it waits while the other value of its field may land
    expect(keysOf(plan.writes)).toEqual(['field:field-score:90']);
    expect(plan.blockedBy).toBe(blockedBy);
  });

  it('puts a follow-up another attempt is writing in heldByOthers', () => {
    // Prepare
    const state = aState({
      status: 'recording_ready',
      fields: partFields({ screen: urls.screen, webcam: urls.webcam }),
      effects: {
        'status:completed': doneBy(otherEvent),
        note: doneBy(otherEvent, []),
        'recording:screen': claimedBy(other),
      },
    });

    // Act
    const plan = planWrites(state, aContext());

    // Assess
    expect(plan.heldByOthers).toEqual(['recording:screen']);
    expect(keysOf(plan.writes)).toEqual(['recording:webcam']);
  });

  it.each<[string, string, Record<string, EffectRecord>, string | undefined]>([
    [
      'completing while in_progress is written live',
      'completed',
      { 'status:in_progress': claimedBy(other) },
      'status:in_progress',
    ],
    [
      'completing after in_progress was written',
      'completed',
      { 'status:in_progress': doneBy(otherEvent) },
      undefined,
    ],
    [
      'completing while an in_progress claim ran out',
      'completed',
      { 'status:in_progress': claimedBy(other, expiredLease) },
      undefined,
    ],
    [
      'completing while this attempt claims in_progress',
      'completed',
      { 'status:in_progress': claimedBy(me) },
      undefined,
    ],
    [
      'in progress while completed is written live',
      'in_progress',
      { 'status:completed': claimedBy(other) },
      'status:completed',
    ],
    ['completing with no other status', 'completed', {}, undefined],
    [
      'completing while an unanswered in_progress may still land',
      'completed',
      { 'status:in_progress': failedEffect(claimedBy(other), liveLease) },
      'status:in_progress',
    ],
    [
      'completing once an unanswered in_progress has had the time to land',
      'completed',
      { 'status:in_progress': failedEffect(claimedBy(other), expiredLease) },
      undefined,
    ],
    [
      'completing again while its own unanswered write may still land (done, it would no longer read so)',
      'completed',
      { 'status:completed': failedEffect(claimedBy(other), liveLease) },
      'status:completed',
    ],
  ])('%s: blockedBy %s', (_name, status, effects, blockedBy) => {
    // Act
    const plan = planWrites(aState({ status, effects }), aContext());

    // Assess
    expect(plan.blockedBy).toBe(blockedBy);
  });

  it.each<[string, EffectRecord, boolean, { score?: number; screen?: string }, string | undefined]>([
    [
      'a held note lacks a present part',
      claimedBy(other, liveLease, []),
      false,
      { screen: urls.screen },
      'note',
    ],
    [
      'a held note lacks the new score',
      claimedBy(other, liveLease, ['proctoring:80']),
      false,
      { score: 85 },
      'note',
    ],
    [
      'a held note includes every present part',
      claimedBy(other, liveLease, ['recording:screen']),
      false,
      { screen: urls.screen },
      undefined,
    ],
    ['a held note and no part', claimedBy(other, liveLease, []), false, {}, undefined],
    [
      'the event carries the note itself',
      claimedBy(other, liveLease, []),
      true,
      { screen: urls.screen },
      undefined,
    ],
    ['the note claim ran out', claimedBy(other, expiredLease, []), false, { screen: urls.screen }, undefined],
    [
      'the note is this attempt’s own',
      claimedBy(me, liveLease, []),
      false,
      { screen: urls.screen },
      undefined,
    ],
  ])('when %s: blockedBy %s', (_name, note, carriesNote, parts, blockedBy) => {
    // Prepare
    const state = aState({
      status: 'recording_ready',
      fields: partFields(parts),
      effects: { 'status:completed': doneBy(otherEvent), note },
    });

    // Act
    const plan = planWrites(state, aContext({ carriesNote }));

    // Assess
    expect(plan.blockedBy).toBe(blockedBy);
  });

  it('puts the note in heldByOthers for a note event while another attempt writes it', () => {
    // Prepare
    const state = aState({ status: 'report_ready', effects: { note: claimedBy(other, liveLease, []) } });

    // Act
    const plan = planWrites(state, aContext({ carriesNote: true }));

    // Assess
    expect(plan.heldByOthers).toEqual(['note']);
    expect(keysOf(plan.writes)).toEqual(['status:completed']);
  });

  it('plans nothing at all for an item another item closed, whatever it holds', () => {
    // Prepare
    const state = aState({
      status: 'completed',
      closedBy: 'report:rep-1',
      fields: partFields({ ...allParts, reportUrl: urls.report, screeningScore: 88 }),
      effects: { 'status:in_progress': claimedBy(other), note: claimedBy(other, liveLease, []) },
    });

    // Act
    const plan = planWrites(state, fullContext());

    // Assess
    expect(plan).toEqual({ writes: [], heldByOthers: [] });
  });
});

describe('planWrites: notifications', () => {
  const notifyOf = (writes: readonly PlannedWrite[]) => writes.filter((write) => write.kind === 'notify');

  it('does not notify while a part that arrived after the note is still to be written', () => {
    // Prepare: the status and the note recorded; a proctoring score arrived since (its follow-up to write)
    const state = aState({
      status: 'report_ready',
      fields: { [planFields.proctoringScore]: 85 },
      effects: { 'status:completed': doneBy(thisEvent), note: doneBy(thisEvent, []) },
    });

    // Act
    const plan = planWrites(state, aContext({ notifications: true, carriesNote: true }));

    // Assess: the follow-up alone; the notification waits for a round of its own
    expect(keysOf(plan.writes)).toEqual(['proctoring:85']);
  });

  it.each<[string, string, ScreeningStatus]>([
    ['in progress', 'in_progress', 'in_progress'],
    ['completed', 'report_ready', 'completed'],
  ])('notifies %s alone, once this event’s status write is recorded', (_name, status, screening) => {
    // Act
    const first = planWrites(aState({ status }), fullContext()).writes;
    const afterwards = planWrites(
      aState({
        status,
        effects: Object.fromEntries(first.map((write) => [write.key, doneBy(thisEvent)])),
      }),
      fullContext(),
    ).writes;

    // Assess: not with the writes it announces (a crash among them must not count as "maybe sent")
    expect(keysOf(first)).toContain(`status:${screening}`);
    expect(notifyOf(first)).toEqual([]);
    expect(afterwards).toEqual([{ kind: 'notify', key: `notify:${screening}`, status: screening }]);
  });

  it.each<[string, Partial<PlanContext>, Record<string, EffectRecord>, boolean]>([
    ['notifications are off', { notifications: false }, {}, false],
    [
      'the status was done by this same event (an earlier attempt)',
      {},
      { 'status:completed': doneBy(thisEvent) },
      true,
    ],
    [
      '… and its notification is done too',
      {},
      { 'status:completed': doneBy(thisEvent), 'notify:completed': doneBy(thisEvent) },
      false,
    ],
    [
      '… and its notification failed',
      {},
      { 'status:completed': doneBy(thisEvent), 'notify:completed': failedBy(thisEvent) },
      true,
    ],
    [
      '… and another attempt holds its notification',
      {},
      { 'status:completed': doneBy(thisEvent), 'notify:completed': claimedBy(other) },
      false,
    ],
    ['the status was done by another event', {}, { 'status:completed': doneBy(otherEvent) }, false],
    ['another attempt holds the status', {}, { 'status:completed': claimedBy(other) }, false],
    [
      'the status claim of another attempt ran out (this one writes it first, then notifies)',
      {},
      { 'status:completed': claimedBy(other, expiredLease) },
      false,
    ],
  ])('for a completed interview, when %s: notifies %s', (_name, context, effects, notifies) => {
    // Prepare
    const state = aState({ status: 'completed', effects });

    // Act
    const { writes } = planWrites(state, aContext({ notifications: true, ...context }));

    // Assess
    expect(keysOf(notifyOf(writes))).toEqual(notifies ? ['notify:completed'] : []);
  });

  it('announces nothing for a late ROUND0 interview_started whose completed status another event wrote', () => {
    // Prepare: the state after the stale merge: completed, written and announced by interview_ended
    const ended = 'round0:evt_ended';
    const lateStart = 'round0:evt_started';
    const state: InterviewState = {
      ...aState({
        status: 'completed',
        effects: { 'status:completed': doneBy(ended), 'notify:completed': doneBy(ended) },
      }),
      vendor: 'round0',
      interviewKey: 'int-1',
    };

    // Act
    const plan = planWrites(state, aContext({ eventKey: lateStart, notifications: true }));

    // Assess
    expect(plan).toEqual({ writes: [], heldByOthers: [] });
  });
});

describe('planWrites: keys name their content', () => {
  const keyOf = (state: InterviewState, kind: PlannedWrite['kind'], context = fullContext()) =>
    writeOf(planWrites(state, context).writes, kind)?.key;

  it('gives each status its own key', () => {
    // Act
    const keys = ['in_progress', 'completed'].map((status) => keyOf(aState({ status }), 'status'));

    // Assess
    expect(keys).toEqual(['status:in_progress', 'status:completed']);
  });

  it('names the score field write and the proctoring follow-up by their values (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (a, b) => {
        // Prepare
        const scored = (score: number) =>
          aState({
            status: 'recording_ready',
            fields: partFields({ score, screeningScore: score }),
            effects: { note: doneBy(otherEvent, []) },
          });

        // Act
        const [fieldA, fieldB] = [keyOf(scored(a), 'field'), keyOf(scored(b), 'field')];
        const [partA, partB] = [keyOf(scored(a), 'follow-up'), keyOf(scored(b), 'follow-up')];

        // Assess
        expect(fieldA).toBe(`field:field-score:${a}`);
        expect(partA).toBe(`proctoring:${a}`);
        expect(fieldA === fieldB).toBe(a === b);
        expect(partA === partB).toBe(a === b);
      }),
    );
  });

  it('names the stage move by its target stage', () => {
    // Act
    const keys = ['stage-a', 'stage-b'].map((completedStageId) =>
      keyOf(aState({ status: 'completed' }), 'stage', fullContext({ completedStageId })),
    );

    // Assess
    expect(keys).toEqual(['stage:stage-a', 'stage:stage-b']);
  });

  it.each<[string, string | undefined, EffectRecord | undefined]>([
    ['another attempt adds an earlier set of links', 'links:0123456789ab', claimedBy(other, liveLease)],
    ['an earlier set of links was added', undefined, doneBy(otherEvent)],
    ['the attempt that added an earlier set died (lease out)', undefined, claimedBy(other, expiredLease)],
    ['this attempt holds the earlier set', undefined, claimedBy(me, liveLease)],
    [
      'an earlier set got no answer and may still land',
      'links:0123456789ab',
      failedEffect(claimedBy(other, liveLease), liveLease),
    ],
    [
      'an earlier set got no answer and has had the time to land',
      undefined,
      failedEffect(claimedBy(other, liveLease), expiredLease),
    ],
    ['an earlier set failed with an answer', undefined, failedEffect(claimedBy(other, liveLease))],
  ])('when %s, a new set of links waits for: %s', (_name, blockedBy, earlier) => {
    // Prepare: a completed report with its three links; an earlier write of fewer links
    const state = aState({
      status: 'report_ready',
      fields: partFields({ ...allParts, reportUrl: urls.report }),
      effects: {
        'status:completed': doneBy(otherEvent),
        note: doneBy(otherEvent, partKeys(85)),
        ...(earlier === undefined ? {} : { 'links:0123456789ab': earlier }),
      },
    });

    // Act
    const plan = planWrites(state, fullContext({ carriesNote: false, notifications: false }));

    // Assess: the links are planned either way; the attempt waits while the other set is in flight
    expect(kindsOf(plan.writes)).toContain('links');
    expect(plan.blockedBy).toBe(blockedBy);
  });

  it('names links by the set of URLs: a new link a new key, the same links the same key', () => {
    // Prepare
    const withLinks = (fields: Record<string, unknown>) => aState({ status: 'completed', fields });
    const reportOnly = withLinks(partFields({ reportUrl: urls.report }));
    const reportAndScreen = withLinks(partFields({ reportUrl: urls.report, screen: urls.screen }));
    const otherReport = withLinks(partFields({ reportUrl: `${urls.report}?v=2` }));

    // Act
    const keys = [reportOnly, reportAndScreen, otherReport, withLinks({ ...reportOnly.fields })].map(
      (state) => keyOf(state, 'links'),
    );

    // Assess
    expect(new Set(keys.slice(0, 3)).size).toBe(3);
    expect(keys[3]).toBe(keys[0]);
  });

  it('plans the same writes with the same keys for the same state (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('in_progress', 'completed', 'report_ready', 'recording_ready'),
        fc.record({
          score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          screen: fc.option(fc.webUrl(), { nil: undefined }),
          webcam: fc.option(fc.webUrl(), { nil: undefined }),
          reportUrl: fc.option(fc.webUrl(), { nil: undefined }),
          screeningScore: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        }),
        fc.boolean(),
        (status, parts, carriesNote) => {
          // Prepare
          const state = aState({ status, fields: partFields(parts) });
          const context = fullContext({ carriesNote });

          // Act
          const first = planWrites(state, context);
          const again = planWrites(structuredClone(state), { ...context, owner: 'another-attempt-of-it' });

          // Assess
          expect(again).toEqual(first);
          expect(new Set(keysOf(first.writes)).size).toBe(first.writes.length);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Order independence: a micro1 interview's events in every order, each planned and applied in turn
// ---------------------------------------------------------------------------------------------------------

type Micro1ReportEvent =
  | 'interview_report.created'
  | 'interview_recording.completed'
  | 'interview_webcam_recording.completed'
  | 'proctoring_score.completed';

const micro1ReportEvents: readonly Micro1ReportEvent[] = [
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
];

interface Interview {
  readonly proctoringScore: number;
  readonly screeningScore: number;
  /** micro1's report carries `proctoring_score` too (the vendor sample does). */
  readonly reportCarriesScore: boolean;
  /** Minutes into the day each event happened (the vendor's clock; arrival order is separate). */
  readonly minutes: Readonly<Record<Micro1ReportEvent, number>>;
}

/** The state fields each event contributes (what `sync-event.ts` stores). */
const fieldsOf = (type: Micro1ReportEvent, interview: Interview): Record<string, unknown> => {
  switch (type) {
    case 'interview_report.created':
      return partFields({
        reportUrl: urls.report,
        screeningScore: interview.screeningScore,
        ...(interview.reportCarriesScore ? { score: interview.proctoringScore } : {}),
      });
    case 'interview_recording.completed':
      return partFields({ screen: urls.screen });
    case 'interview_webcam_recording.completed':
      return partFields({ webcam: urls.webcam });
    case 'proctoring_score.completed':
      return partFields({ score: interview.proctoringScore });
  }
};

/**
 * Feeds the events in `order` through merge → plan → "apply": every planned write is recorded done (the
 * note with the parts the plan gave it), as the sync does once the ATS calls returned. Returns every write
 * applied, in order.
 */
const simulate = (order: readonly Micro1ReportEvent[], interview: Interview) => {
  const applied: PlannedWrite[] = [];
  let state: InterviewState | undefined;
  for (const type of order) {
    const event = micro1Event(type, { report_id: 'rep-1', candidate_id: 'cand-1' });
    const step = lifecycleOf(event);
    const update = normaliseUpdate({
      vendor: 'micro1',
      interviewKey: 'report:rep-1',
      rank: step.rank,
      status: step.status,
      occurredAt: new Date(Date.UTC(2024, 0, 16, 14, interview.minutes[type])).toISOString(),
      eventKey: event.dedupeKey,
      fields: fieldsOf(type, interview),
    });
    const merged = mergeInterviewUpdate(state, update, new Date(now).toISOString());
    const context = fullContext({
      eventKey: event.dedupeKey,
      carriesNote: type === 'interview_report.created',
    });
    const owner = `attempt-of-${type}`;
    // Rounds, as the sync plays them: plan, apply, record, plan again from the record until nothing is
    // left (the notification of a status comes in a round of its own).
    let current: InterviewState = { ...merged.state, atsMatch: { candidateId: 'cand-1' } };
    for (let round = 1; ; round++) {
      const plan = planWrites(current, { ...context, owner: `${owner}-${round}` });
      // Sequential arrivals: nobody else holds anything.
      expect(plan.blockedBy).toBeUndefined();
      expect(plan.heldByOthers).toEqual([]);
      if (plan.writes.length === 0) break;
      expect(round).toBeLessThanOrEqual(2);
      const effects: Record<string, EffectRecord> = { ...current.effects };
      for (const write of plan.writes) {
        const claim = claimedEffect(
          effects[write.key],
          `${owner}-${round}`,
          update.eventKey,
          now + 60_000,
          write.kind === 'note' ? write.parts : undefined,
        );
        effects[write.key] = doneEffect(claim);
      }
      current = { ...current, effects };
      applied.push(...plan.writes);
    }
    state = {
      ...current,
      events: { ...current.events, [update.eventKey]: { advanced: merged.advanced, done: true } },
    };

    // Planning the same event again once applied finds nothing left to do.
    expect(planWrites(state, { ...context, owner: `${owner}-again` }).writes).toEqual([]);
  }
  return { applied, state };
};

/** The ATS's view at the end: how often each write happened, and each note part where it was shown. */
const assessExactlyOnce = (applied: readonly PlannedWrite[], interview: Interview) => {
  const count = (key: string) => applied.filter((write) => write.key === key).length;
  const note = applied.filter((write) => write.kind === 'note');
  const shownParts = [
    ...note.flatMap((write) => write.parts),
    ...applied.filter((write) => write.kind === 'follow-up').map((write) => write.key),
  ];
  expect(count('status:completed')).toBe(1);
  expect(count('status:in_progress')).toBe(0);
  expect(note).toHaveLength(1);
  expect(count('notify:completed')).toBe(1);
  expect(count('stage:stage-screened')).toBe(1);
  expect(count(`field:field-score:${interview.screeningScore}`)).toBe(1);
  expect([...shownParts].sort()).toEqual(partKeys(interview.proctoringScore).sort());
  // The record ends up with every link (the last links write names all of them).
  const lastLinks = applied.filter((write) => write.kind === 'links').at(-1);
  expect(lastLinks?.links.map((link) => link.url).sort()).toEqual(
    [urls.report, urls.screen, urls.webcam].sort(),
  );
};

/** Every ordering of `items` (4! = 24 for a micro1 report's events). */
const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((item, index) =>
        permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
      );

describe('planWrites over a micro1 interview’s events in any order', () => {
  const interviewArb = fc.record({
    proctoringScore: fc.integer({ min: 0, max: 100 }),
    screeningScore: fc.integer({ min: 0, max: 100 }),
    reportCarriesScore: fc.boolean(),
    minutes: fc.record({
      'interview_report.created': fc.integer({ min: 0, max: 59 }),
      'interview_recording.completed': fc.integer({ min: 0, max: 59 }),
      'interview_webcam_recording.completed': fc.integer({ min: 0, max: 59 }),
      'proctoring_score.completed': fc.integer({ min: 0, max: 59 }),
    }),
  });

  it('writes the status, the note and the notification once and shows each part exactly once (property)', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...micro1ReportEvents], {
          minLength: micro1ReportEvents.length,
          maxLength: micro1ReportEvents.length,
        }),
        interviewArb,
        (order, interview) => {
          // Act
          const { applied } = simulate(order, interview);

          // Assess
          assessExactlyOnce(applied, interview);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(permutations(micro1ReportEvents).map((order) => [order.join(' → '), order] as const))(
    'ends with every write once for the order %s',
    (_name, order) => {
      // Prepare
      const interview: Interview = {
        proctoringScore: 85,
        screeningScore: 77,
        reportCarriesScore: false,
        minutes: {
          'interview_report.created': 10,
          'interview_recording.completed': 12,
          'interview_webcam_recording.completed': 12,
          'proctoring_score.completed': 11,
        },
      };

      // Act
      const { applied, state } = simulate(order, interview);

      // Assess
      assessExactlyOnce(applied, interview);
      expect(state?.status).toBe(micro1Lifecycle['interview_recording.completed']?.status);
      const arrivedBefore = new Set(order.slice(0, order.indexOf('interview_report.created')));
      expect(state?.effects.note?.parts).toEqual([
        ...(arrivedBefore.has('proctoring_score.completed')
          ? [`proctoring:${interview.proctoringScore}`]
          : []),
        ...(arrivedBefore.has('interview_recording.completed') ? ['recording:screen'] : []),
        ...(arrivedBefore.has('interview_webcam_recording.completed') ? ['recording:webcam'] : []),
      ]);
    },
  );
});

describe('effectKeyForLog', () => {
  it('keeps what a key names and drops the candidate’s scores', () => {
    // Act
    const logged = [
      'status:completed',
      'note',
      'proctoring:85',
      'recording:screen',
      'links:3f2a',
      'stage:501',
      'field:score-field:92.5',
      'notify:completed',
    ].map(effectKeyForLog);

    // Assess
    expect(logged).toEqual([
      'status:completed',
      'note',
      'proctoring',
      'recording:screen',
      'links:3f2a',
      'stage:501',
      'field:score-field',
      'notify:completed',
    ]);
  });
});
