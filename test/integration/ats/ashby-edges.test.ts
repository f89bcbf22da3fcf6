/**
 * Behaviours of the Ashby adapter that ashby.test.ts's contract tests left open (helper-182's review by
 * mutation found each change to them passing every test). Each test names the production failure it guards
 * against.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createAshbyAdapter } from '../../../functions/ats/ashby/adapter.js';
import { AtsTransientError } from '../../../functions/ats/errors.js';
import { type FakeAshby, startFakeAshby } from '../../../local/fakes/ashby.js';
import { aCandidate, aContext, aScreeningNote, fastHttp, recordingSleep } from './factories.js';

describe('Ashby adapter: edge cases', () => {
  let fake: FakeAshby;
  const requestsTo = (path: string) => fake.state.requests.filter((r) => r.path === path);
  const adapterFor = (config: Record<string, unknown> = {}) =>
    createAshbyAdapter(
      { baseUrl: fake.url, rateLimit: { minTimeMs: 0 }, http: fastHttp, ...config },
      { apiKey: 'ashby-key' },
      { sleep: recordingSleep().sleep },
    );

  beforeEach(async () => {
    fake = await startFakeAshby({
      seed: {
        candidates: [aCandidate()],
        applications: [{ id: 'app-1', candidateId: 'cand-1', currentInterviewStageId: 'stage-1' }],
        stages: ['stage-1', 'stage-2'],
        customFields: [
          {
            id: 'field-cand-status',
            title: 'AI screen (candidate)',
            objectType: 'Candidate',
            fieldType: 'String',
            isArchived: false,
          },
          {
            id: 'field-labels',
            title: 'AI labels',
            objectType: 'Candidate',
            fieldType: 'MultiValueSelect',
            isArchived: false,
            selectableValues: [
              { label: 'Strong', value: 'Strong' },
              { label: 'Weak', value: 'Weak' },
            ],
          },
        ],
      },
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('posts the note on the candidate when the match also names an application, and finds it there', async () => {
    // Prepare: the usual match of a found interview carries both ids
    const ats = adapterFor();
    const match = { candidateId: 'cand-1', applicationId: 'app-1' };

    // Act
    await ats.addNote(match, aScreeningNote(), aContext());
    const found = await ats.hasNote?.(match, 'interview-sync:evt-1');

    // Assess
    expect(
      requestsTo('/candidate.createNote').map((r) => (r.body as { candidateId: string }).candidateId),
    ).toEqual(['cand-1']);
    expect(fake.state.notes.map((note) => note.candidateId)).toEqual(['cand-1']);
    expect(found).toBe(true);
  });

  it('moves an application whose stage at the interview’s start is unknown (no fromStageId)', async () => {
    // Prepare: the sync passes no fromStageId when it has no stage recorded for the application
    const ats = adapterFor();

    // Act
    const outcome = await ats.moveStage?.(
      { candidateId: 'cand-1', applicationId: 'app-1' },
      { toStageId: 'stage-2' },
      aContext(),
    );

    // Assess
    expect(outcome).toBe('moved');
    expect(fake.state.applications[0]?.currentInterviewStageId).toBe('stage-2');
  });

  it('writes a Candidate field on the candidate even when the match also names an application', async () => {
    // Prepare: the usual match of a found interview carries both ids
    const ats = adapterFor({ fieldObjectType: 'Candidate' });

    // Act
    await ats.setField?.(
      { candidateId: 'cand-1', applicationId: 'app-1' },
      'field-cand-status',
      'Done',
      aContext(),
    );

    // Assess
    expect(fake.state.customFieldValues).toEqual([
      { objectId: 'cand-1', objectType: 'Candidate', fieldId: 'field-cand-status', fieldValue: 'Done' },
    ]);
  });

  it('writes a MultiValueSelect field as an array of option values', async () => {
    // Prepare
    const ats = adapterFor({ fieldObjectType: 'Candidate' });

    // Act
    await ats.setField?.({ candidateId: 'cand-1' }, 'field-labels', 'Strong', aContext());

    // Assess
    expect(fake.state.customFieldValues.map((value) => value.fieldValue)).toEqual([['Strong']]);
  });

  it('writes a status field of the Candidate on the candidate when no single application was matched', async () => {
    // Prepare: a Candidate field needs no application
    const ats = adapterFor({
      statusField: {
        fieldId: 'field-cand-status',
        objectType: 'Candidate',
        values: { in_progress: 'Running', completed: 'Done' },
      },
    });

    // Act
    await ats.setStatus({ candidateId: 'cand-1' }, 'completed', aContext());

    // Assess
    expect(fake.state.customFieldValues).toEqual([
      { objectId: 'cand-1', objectType: 'Candidate', fieldId: 'field-cand-status', fieldValue: 'Done' },
    ]);
  });

  it('names the candidate that owns the one application when two profiles share the e-mail', async () => {
    // Prepare: ada entered twice; only the second profile has an application
    fake.state.candidates.splice(
      0,
      1,
      aCandidate({ id: 'cand-empty', applicationIds: [] }),
      aCandidate({ id: 'cand-1', applicationIds: ['app-1'] }),
    );
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com' });

    // Assess: never the profile without it (the note would go to one profile, the stage move to the other's)
    expect(match).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
  });

  it('keeps the one application of two profiles even when it is for another job than the event names', async () => {
    // Prepare: what micro1 sends as ats_job_id for Ashby is not known to be an Ashby job id
    fake.state.candidates.splice(
      0,
      1,
      aCandidate({ id: 'cand-empty', applicationIds: [] }),
      aCandidate({ id: 'cand-1', applicationIds: ['app-1'] }),
    );
    fake.state.applications.splice(0, 1, {
      id: 'app-1',
      candidateId: 'cand-1',
      currentInterviewStageId: 'stage-1',
      jobId: 'job-1',
    });
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com', atsJobId: 'job-9' });

    // Assess
    expect(match).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
  });

  it('skips an application the candidate lists but Ashby no longer has, and matches the other one', async () => {
    // Prepare: app-gone is listed on the profile but answers application_not_found
    fake.state.candidates.splice(
      0,
      1,
      aCandidate({ applicationIds: ['3ae2b801-19f6-41ef-ad28-214bd731948f', 'app-1'] }),
    );
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com' });

    // Assess
    expect(match).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
  });

  it('keeps free-text error details (which may echo the e-mail) out of the error it throws', async () => {
    // Prepare: a success:false whose errors are sentences, not codes
    const ats = adapterFor();
    fake.failNext({
      status: 200,
      body: { success: false, errors: ['No candidate matches ada@example.com'] },
      match: (r) => r.path === '/candidate.search',
    });

    // Act
    const error = (await ats
      .findApplication({ email: 'ada@example.com' })
      .catch((e: unknown) => e)) as Error & {
      reason?: string;
    };

    // Assess
    expect(error).toMatchObject({ name: 'AtsPermanentError', reason: 'unspecified' });
    expect(`${error.message} ${error.reason}`).not.toContain('ada@example.com');
  });

  it('fails a move transiently, moving nothing, when the target stage’s plan cannot be read for now', async () => {
    // Prepare: interviewStage.info answers 503 (the plan check is what keeps another job's stage out)
    const ats = adapterFor();
    fake.failNext({
      status: 503,
      times: 10,
      body: { success: false, errors: ['unavailable'] },
      match: (r) => r.path === '/interviewStage.info',
    });

    // Act
    const outcome = await ats
      .moveStage?.(
        { candidateId: 'cand-1', applicationId: 'app-1' },
        { fromStageId: 'stage-1', toStageId: 'stage-2' },
        aContext(),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(outcome).toBeInstanceOf(AtsTransientError);
    expect(requestsTo('/application.changeStage')).toHaveLength(0);
  });
});
