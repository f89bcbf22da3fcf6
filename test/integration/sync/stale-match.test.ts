/**
 * A stored ATS match made stale by a recruiter: the interview's first event matched candidate 11's
 * application, then a recruiter merged candidate 11 into candidate 12 (Greenhouse keeps the application and
 * moves it to the surviving candidate). The interview's later writes name candidate 11, which the ATS refuses:
 * the sync looks the record up again once and writes on the candidate found now. A record deleted since
 * (nothing found again) parks the event as unmatched.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AtsPermanentError } from '../../../functions/ats/errors.js';
import { createAtsAdapter } from '../../../functions/ats/index.js';
import type { AtsAdapter } from '../../../functions/ats/types.js';
import { classifyFailure } from '../../../functions/sync/failures.js';
import { syncInterviewEvent } from '../../../functions/sync/sync-event.js';
import { type FakeGreenhouse, startFakeGreenhouse } from '../../../local/fakes/greenhouse.js';
import { envelope, round0, type SyncWorld, startSyncWorld } from './world.js';

const jane = [{ value: 'jane@example.com', type: 'personal' }];

let world: SyncWorld;
let greenhouse: FakeGreenhouse;
let ats: AtsAdapter;

beforeEach(async () => {
  world = await startSyncWorld();
  greenhouse = await startFakeGreenhouse({
    seed: {
      candidates: [{ id: 11, email_addresses: jane }],
      applications: [{ id: 101, candidate_id: 11, job_id: 7, stage_id: 500, status: 'active' }],
      candidateTags: [
        { id: 70, name: 'AI screening in progress' },
        { id: 71, name: 'AI screening completed' },
      ],
      jobInterviewStages: [
        { id: 500, name: 'Application Review', job_id: 7, priority: 0 },
        { id: 501, name: 'AI Screen Done', job_id: 7, priority: 1 },
        { id: 502, name: 'Onsite', job_id: 7, priority: 2 },
      ],
    },
  });
  ats = createAtsAdapter(
    'greenhouse',
    {
      baseUrl: `${greenhouse.url}/v3`,
      authUrl: `${greenhouse.url}/token`,
      userId: '42',
      statusTagIds: { in_progress: '70', completed: '71' },
      http: { timeoutMs: 2000, maxAttempts: 2, baseDelayMs: 1 },
    },
    { clientId: 'gh-client', clientSecret: 'gh-secret' },
  );
});

afterEach(async () => {
  await greenhouse.close();
  await world.close();
});

/** What Greenhouse's merge leaves: candidate 11 gone, its application and tags on candidate 12. */
const mergeCandidate11Into12 = () => {
  const { state } = greenhouse;
  state.candidates = [{ id: 12, email_addresses: jane }];
  for (const application of state.applications)
    if (application.candidate_id === 11) application.candidate_id = 12;
  for (const tag of state.appliedTags) if (tag.candidate_id === 11) tag.candidate_id = 12;
};

const tagsOf = (candidateId: number) =>
  greenhouse.state.appliedTags
    .filter((tag) => tag.candidate_id === candidateId)
    .map((tag) => tag.candidate_tag_id);

describe('syncInterviewEvent: a stored match made stale by a merge (Greenhouse fake)', () => {
  it('writes the later events on the candidate the application belongs to now, once each', async () => {
    // Prepare: "in progress" written on candidate 11, the match stored; then the merge
    const deps = world.deps({ ats });
    await syncInterviewEvent(round0('interview_started'), deps);
    expect(tagsOf(11)).toEqual([70]);
    mergeCandidate11Into12();

    // Act
    const ended = round0('interview_ended');
    const result = await syncInterviewEvent(ended, deps);

    // Assess: "completed" (replacing "in progress") and the note, on candidate 12; the stored match follows
    expect(result.effects).toMatchObject({ 'status:completed': 'ran', note: 'ran' });
    expect(tagsOf(12)).toEqual([71]);
    expect(greenhouse.state.notes.map((note) => [note.candidate_id, note.application_id])).toEqual([
      [12, 101],
    ]);
    const item = await world.ledger.read('round0', result.interviewKey as string);
    expect(item?.atsMatch).toMatchObject({ candidateId: '12', applicationId: '101' });

    // Act: the vendor sends interview_ended again, under another event id
    const again = await syncInterviewEvent(round0('interview_ended', { eventId: 'evt_resent' }), deps);

    // Assess: nothing written twice, and no second look-up for a match that holds
    expect(Object.values(again.effects).filter((outcome) => outcome === 'ran')).toEqual([]);
    expect(greenhouse.state.notes).toHaveLength(1);
  });

  it('never undoes a stage a recruiter moved the merged application to since the interview started', async () => {
    // Prepare: a stage move to "AI Screen Done" is configured; the interview starts at "Application Review";
    // then the recruiter merges the candidate and moves the application on to "Onsite" by hand
    const deps = world.deps({ ats, options: { completedStageId: '501' } });
    await syncInterviewEvent(round0('interview_started'), deps);
    mergeCandidate11Into12();
    const { state } = greenhouse;
    for (const row of state.applicationStages) if (row.application_id === 101) row.current = false;
    state.applicationStages.push({
      id: 9001,
      application_id: 101,
      job_interview_stage_id: 502,
      entered_at: new Date().toISOString(),
      exited_at: null,
      current: true,
    });

    // Act
    const result = await syncInterviewEvent(round0('interview_ended'), deps);

    // Assess: written on candidate 12, the application left at "Onsite", the stage the interview started at
    // still the one a move starts from
    expect(result.effects).toMatchObject({ 'status:completed': 'ran', note: 'ran', 'stage:501': 'moved-on' });
    expect(greenhouse.currentStageOf(101)).toBe(502);
    expect(state.moves).toEqual([]);
    const item = await world.ledger.read('round0', result.interviewKey as string);
    expect(item?.atsMatch).toEqual({ candidateId: '12', applicationId: '101', stageAtStart: '500' });
  });

  it('retries the event when the look-up after a refusal fails transiently, then writes on the merged record', async () => {
    // Prepare: the match stored; the merge; the look-up the refusal calls for answers 503 (both attempts)
    const deps = world.deps({ ats });
    await syncInterviewEvent(round0('interview_started'), deps);
    mergeCandidate11Into12();
    greenhouse.failNext({ status: 503, times: 2, match: (request) => request.path === '/v3/applications' });

    // Act
    const failed = await syncInterviewEvent(round0('interview_ended'), deps).catch((error: unknown) => error);
    const retried = await syncInterviewEvent(round0('interview_ended'), deps);

    // Assess: a transient failure (the queue retries it), not the refusal (which would dead-letter it); the
    // retry writes "completed" and the note on candidate 12
    expect(failed).toMatchObject({ name: 'AtsTransientError' });
    expect(classifyFailure(failed)).toMatchObject({ kind: 'transient' });
    expect(retried.effects).toMatchObject({ 'status:completed': 'ran', note: 'ran' });
    expect(tagsOf(12)).toEqual([71]);
    expect(greenhouse.state.notes.map((note) => note.candidate_id)).toEqual([12]);
  });

  it('lets a refusal stand when the record looked up again is the same one', async () => {
    // Prepare: the match stored; then candidate 11's "completed" tag is removed from the organisation
    const deps = world.deps({ ats });
    await syncInterviewEvent(round0('interview_started'), deps);
    greenhouse.state.candidateTags = greenhouse.state.candidateTags.filter((tag) => tag.id !== 71);
    const lookupsBefore = greenhouse.state.requests.filter((r) => r.path === '/v3/applications').length;

    // Act
    const sync = syncInterviewEvent(round0('interview_ended'), deps);

    // Assess: the ATS's refusal, after one look-up that found the same record; nothing else written
    await expect(sync).rejects.toMatchObject({ name: 'AtsPermanentError', reason: 'invalid_request' });
    expect(greenhouse.state.requests.filter((r) => r.path === '/v3/applications').length).toBe(
      lookupsBefore + 1,
    );
    expect(greenhouse.state.notes).toEqual([]);
  });

  it('parks the event as unmatched when the record is gone from the ATS and a new look-up finds none', async () => {
    // Prepare: the match stored; then the recruiter deletes the candidate (and the application with it)
    const deps = world.deps({ ats });
    await syncInterviewEvent(round0('interview_started'), deps);
    const { state } = greenhouse;
    state.candidates = [];
    state.applications = [];
    state.appliedTags = [];

    // Act
    const error = await syncInterviewEvent(round0('interview_ended'), deps).catch(
      (thrown: unknown) => thrown,
    );

    // Assess: unmatched (the worker parks it for `ops replay`), not a refusal to dead-letter; nothing written
    expect(error).toMatchObject({ name: 'UnmatchedCandidateError' });
    expect(classifyFailure(error)).toMatchObject({ kind: 'unmatched' });
    expect(greenhouse.state.notes).toEqual([]);
  });

  it('lets a refusal stand, not parks the event, when the event and its item carry nothing to look the record up by', async () => {
    // Prepare: a micro1 report of Jane's (no ATS application id) synced; then its proctoring score changes,
    // an event that carries no e-mail, and the ATS refuses the follow-up note
    let refuseNotes = false;
    const refusing: AtsAdapter = {
      ...ats,
      addNote: async (match, note, ctx) => {
        if (refuseNotes)
          throw new AtsPermanentError('greenhouse: note refused', {
            adapter: 'greenhouse',
            status: 422,
            reason: 'invalid_request',
          });
        return ats.addNote(match, note, ctx);
      },
    };
    const deps = world.deps({ ats: refusing });
    const report = envelope('micro1', 'interview_report.created', {
      set: { 'data.candidate_email_id': 'jane@example.com' },
      remove: ['data.ats_job_application_id'],
    });
    await syncInterviewEvent(report, deps);
    refuseNotes = true;
    const proctoring = envelope('micro1', 'proctoring_score.completed', {
      set: { 'data.report_id': 'h0gqkAcaDJ', 'data.proctoring_score': 62 },
    });

    // Act
    const error = await syncInterviewEvent(proctoring, deps).catch((thrown: unknown) => thrown);

    // Assess: the ATS's own refusal (dead-lettered with its reason), not "the record is gone"
    expect(proctoring.candidate.email).toBeUndefined();
    expect(error).toMatchObject({ name: 'AtsPermanentError', reason: 'invalid_request' });
  });
});
