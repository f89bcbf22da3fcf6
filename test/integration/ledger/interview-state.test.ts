import { randomUUID } from 'node:crypto';
import { InvalidInterviewUpdateError } from '../../../functions/ledger/errors.js';
import {
  type InterviewState,
  InterviewStateStore,
  type InterviewUpdate,
  mergeInterviewUpdate,
} from '../../../functions/ledger/interview-state.js';
import { resources } from '../../../lib/resources.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { stateUpdate } from '../../unit/ledger/factories.js';

const tableName = resources.ledgerTable.name;
const interviewKey = () => randomUUID();

/** Fisher–Yates with Math.random: a different arrival order on every run. */
const shuffle = <T>(items: readonly T[]): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
};

describe('InterviewStateStore (dynalite)', () => {
  let dynamo: LocalDynamo;
  let store: InterviewStateStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new InterviewStateStore({ client: dynamo.client, tableName });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('moves the status forward only: a late interview_started does not undo interview_ended', async () => {
    // Prepare
    const key = interviewKey();
    const ended = stateUpdate(key, {
      rank: 3,
      status: 'completed',
      minute: 22,
      fields: { completedAt: '14:52' },
    });
    const started = stateUpdate(key, {
      rank: 2,
      status: 'in_progress',
      minute: 0,
      fields: { startedAt: '14:30' },
    });

    // Act
    const first = await store.advance(ended);
    const late = await store.advance(started);

    // Assess
    expect(first).toMatchObject({ advanced: true, stale: false, replayed: false });
    expect(late).toMatchObject({
      advanced: false,
      stale: true,
      replayed: false,
      changedFields: ['startedAt'],
    });
    expect(await store.get('round0', key)).toMatchObject({
      status: 'completed',
      rank: 3,
      fields: { completedAt: '14:52', startedAt: '14:30' },
      version: 2,
    });
  });

  it('merges fields by event time: an older value never overwrites a newer one', async () => {
    // Prepare: two fields-only events (micro1 applicant.updated) arriving newest first
    const key = interviewKey();
    const newer = stateUpdate(key, {
      vendor: 'micro1',
      rank: undefined,
      minute: 30,
      fields: { stage: 'Onsite' },
    });
    const older = stateUpdate(key, {
      vendor: 'micro1',
      rank: undefined,
      minute: 10,
      fields: { stage: 'Screen', resumeScore: '99.99' },
    });

    // Act
    await store.advance(newer);
    const result = await store.advance(older);

    // Assess
    expect(result.state.fields).toEqual({ stage: 'Onsite', resumeScore: '99.99' });
    expect(result.state.status).toBeUndefined();
    expect(result.state.fieldStamps.stage).toEqual({ at: newer.occurredAt, eventKey: newer.eventKey });
  });

  it('at the same rank, lets the newer event update the fields', async () => {
    // Prepare
    const key = interviewKey();
    const report = stateUpdate(key, {
      rank: 5,
      status: 'report_ready',
      minute: 5,
      fields: { reportUrl: 'r1' },
    });
    const reportAgain = stateUpdate(key, {
      rank: 5,
      status: 'report_ready',
      minute: 8,
      fields: { reportUrl: 'r2' },
    });

    // Act
    await store.advance(report);
    const result = await store.advance(reportAgain);

    // Assess
    expect(result).toMatchObject({ advanced: false, stale: false, changedFields: ['reportUrl'] });
    expect(result.state).toMatchObject({ status: 'report_ready', fields: { reportUrl: 'r2' } });
  });

  it('recognises a retried event and answers with its first outcome without writing', async () => {
    // Prepare
    const key = interviewKey();
    const started = stateUpdate(key, { rank: 2, minute: 0 });
    await store.advance(started);

    // Act
    const retried = await store.advance({ ...started });

    // Assess
    expect(retried).toMatchObject({ advanced: true, replayed: true, changedFields: [] });
    expect((await store.get('round0', key))?.version).toBe(1);
  });

  it('converges to the highest rank when 10 events are applied concurrently in random order', async () => {
    // Prepare
    const key = interviewKey();
    const updates: InterviewUpdate[] = Array.from({ length: 10 }, (_, i) =>
      stateUpdate(key, {
        vendor: 'micro1',
        rank: i % 4 === 3 ? undefined : 1 + Math.floor(Math.random() * 6),
        minute: Math.floor(Math.random() * 60),
        fields: { lastEvent: i, [`field${i % 3}`]: i },
      }),
    );
    const expected = updates.reduce<InterviewState | undefined>(
      (state, update) => mergeInterviewUpdate(state, update, 'now').state,
      undefined,
    );

    // Act
    const results = await Promise.all(shuffle(updates).map((update) => store.advance(update)));

    // Assess
    const state = await store.get('micro1', key);
    const maxRank = Math.max(
      ...updates.flatMap((update) => (update.rank === undefined ? [] : [update.rank])),
    );
    expect(state?.rank).toBe(maxRank);
    expect(state?.status).toBe(`status_${maxRank}`);
    expect(state?.fields).toEqual(expected?.fields);
    expect(state?.statusStamp).toEqual(expected?.statusStamp);
    expect(state?.version).toBe(10);
    expect(Object.keys(state?.appliedEvents ?? {}).sort()).toEqual(updates.map((u) => u.eventKey).sort());
    expect(results.every((result) => !result.replayed)).toBe(true);
  });

  it('keeps the ATS match across advances, whichever is written first', async () => {
    // Prepare
    const matchedFirst = interviewKey();
    const advancedFirst = interviewKey();
    const match = { ats: 'greenhouse', applicationId: '42' };

    // Act
    const created = await store.setAtsMatch('round0', matchedFirst, match);
    await store.advance(stateUpdate(matchedFirst, { rank: 2, minute: 0 }));
    await store.advance(stateUpdate(advancedFirst, { rank: 2, minute: 0, fields: { a: 1 } }));
    await store.setAtsMatch('round0', advancedFirst, match);
    await store.advance(stateUpdate(advancedFirst, { rank: 3, minute: 9 }));

    // Assess
    expect(created).toMatchObject({ atsMatch: match, version: 1, fields: {} });
    expect(await store.get('round0', matchedFirst)).toMatchObject({ atsMatch: match, rank: 2, version: 2 });
    expect(await store.get('round0', advancedFirst)).toMatchObject({
      atsMatch: match,
      rank: 3,
      fields: { a: 1 },
      version: 3,
    });
  });

  it('refuses an update whose occurredAt is not a date (permanent)', async () => {
    // Prepare
    const update = stateUpdate(interviewKey(), { occurredAt: '2024-01-01 10:00:00 soon' });

    // Act
    const result = store.advance(update);

    // Assess
    await expect(result).rejects.toBeInstanceOf(InvalidInterviewUpdateError);
    await expect(result).rejects.toMatchObject({ transient: false });
  });
});
