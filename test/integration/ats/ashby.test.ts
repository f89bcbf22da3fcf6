import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createAshbyAdapter } from '../../../functions/ats/ashby/adapter.js';
import {
  AtsNotFoundError,
  AtsPermanentError,
  AtsTransientError,
  mayStillLand,
} from '../../../functions/ats/errors.js';
import { type FakeAshby, startFakeAshby } from '../../../local/fakes/ashby.js';
import { aCandidate, aContext, aScreeningNote, fastHttp, recordingSleep } from './factories.js';

describe('the Ashby fake', () => {
  it('answers a key without the endpoint permission with 403 missing_endpoint_permission, and refuses lower-case objectType', async () => {
    // Prepare
    const fake = await startFakeAshby({
      keyScopes: { 'read-key': ['candidates:read'] },
      seed: { candidates: [aCandidate()], applications: [] },
    });
    const call = (method: string, body: unknown, key: string) =>
      fetch(`${fake.url}/${method}`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });

    // Act
    const read = await call('candidate.search', { email: 'ada@example.com' }, 'read-key');
    const write = await call('candidate.createNote', { candidateId: 'cand-1', note: 'x' }, 'read-key');
    const lowerCase = await call(
      'customField.setValue',
      { objectId: 'cand-1', objectType: 'candidate', fieldId: 'f', fieldValue: 'v' },
      'ashby-key',
    );
    await fake.close();

    // Assess
    expect(read.status).toBe(200);
    expect(write.status).toBe(403);
    expect(await write.json()).toEqual({ success: false, errors: ['missing_endpoint_permission'] });
    expect(await lowerCase.json()).toEqual({ success: false, errors: ['invalid_input'] });
    expect(fake.state.notes).toEqual([]);
  });

  it('sets a custom field only on the object type it belongs to, with a value of its type, and refuses an unknown or archived field', async () => {
    // Prepare
    const field = (id: string, objectType: 'Application' | 'Candidate', isArchived = false) => ({
      id,
      title: id,
      objectType,
      fieldType: 'Number',
      isArchived,
    });
    const fake = await startFakeAshby({
      seed: {
        candidates: [aCandidate()],
        applications: [],
        customFields: [
          field('field-score', 'Candidate'),
          field('field-old', 'Application', true),
          {
            id: 'field-status',
            title: 'AI screen',
            objectType: 'Candidate',
            fieldType: 'ValueSelect',
            isArchived: false,
            selectableValues: [{ label: 'Done', value: 'done' }],
          },
        ],
      },
    });
    const setValue = async (objectType: string, fieldId: string, fieldValue: unknown = 87) =>
      (await fetch(`${fake.url}/customField.setValue`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('ashby-key:').toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          objectId: objectType === 'Candidate' ? 'cand-1' : 'app-1',
          objectType,
          fieldId,
          fieldValue,
        }),
      }).then((response) => response.json())) as { success: boolean };

    // Act
    const answers = [
      await setValue('Candidate', 'field-score'),
      await setValue('Application', 'field-score'),
      await setValue('Application', 'field-old'),
      await setValue('Application', 'field-nobody-made'),
      // Ashby's reference: a Number field takes a number, a ValueSelect field one of its options' values
      await setValue('Candidate', 'field-score', '87'),
      await setValue('Candidate', 'field-status', 'Done'),
      await setValue('Candidate', 'field-status', 'done'),
    ];
    await fake.close();

    // Assess
    expect(answers.map((answer) => answer.success)).toEqual([true, false, false, false, false, false, true]);
    expect(fake.state.customFieldValues.map((value) => [value.fieldId, value.fieldValue])).toEqual([
      ['field-score', 87],
      ['field-status', 'done'],
    ]);
  });

  it('refuses a custom field value for an object that is not one of its type (a candidate id for an Application field)', async () => {
    // Prepare
    const fake = await startFakeAshby({
      seed: {
        candidates: [aCandidate()],
        applications: [{ id: 'app-1', candidateId: 'cand-1', currentInterviewStageId: 'stage-1' }],
        stages: ['stage-1'],
        customFields: [
          {
            id: 'field-score',
            title: 'AI score',
            objectType: 'Application',
            fieldType: 'Number',
            isArchived: false,
          },
          {
            id: 'field-rank',
            title: 'AI rank',
            objectType: 'Candidate',
            fieldType: 'Number',
            isArchived: false,
          },
        ],
      },
    });
    const setValue = async (objectType: string, objectId: string, fieldId: string) =>
      (await fetch(`${fake.url}/customField.setValue`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('ashby-key:').toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ objectId, objectType, fieldId, fieldValue: 87 }),
      }).then((response) => response.json())) as unknown;

    // Act
    const candidateAsApplication = await setValue('Application', 'cand-1', 'field-score');
    const applicationAsCandidate = await setValue('Candidate', 'app-1', 'field-rank');
    const application = await setValue('Application', 'app-1', 'field-score');
    await fake.close();

    // Assess: Ashby's error envelope; only the value for the real application is kept
    expect(candidateAsApplication).toEqual({ success: false, errors: ['application_not_found'] });
    expect(applicationAsCandidate).toEqual({ success: false, errors: ['candidate_not_found'] });
    expect(application).toMatchObject({ success: true });
    expect(fake.state.customFieldValues).toEqual([
      { objectId: 'app-1', objectType: 'Application', fieldId: 'field-score', fieldValue: 87 },
    ]);
  });
});

describe('Ashby adapter against the Ashby fake', () => {
  let fake: FakeAshby;
  const requestsTo = (path: string) => fake.state.requests.filter((r) => r.path === path);
  const adapterFor = (config: Record<string, unknown> = {}, sleep = recordingSleep().sleep) =>
    createAshbyAdapter(
      { baseUrl: fake.url, rateLimit: { minTimeMs: 0 }, http: fastHttp, ...config },
      { apiKey: 'ashby-key' },
      { sleep },
    );

  beforeEach(async () => {
    fake = await startFakeAshby({
      seed: {
        candidates: [
          aCandidate(),
          aCandidate({
            id: 'cand-2',
            emailAddresses: [{ value: 'bob@example.com' }],
            applicationIds: ['app-2', 'app-3'],
          }),
        ],
        applications: [
          { id: 'app-1', candidateId: 'cand-1', currentInterviewStageId: 'stage-1' },
          { id: 'app-2', candidateId: 'cand-2', currentInterviewStageId: 'stage-1' },
          { id: 'app-3', candidateId: 'cand-2', currentInterviewStageId: 'stage-1' },
        ],
        stages: ['stage-1', 'stage-2'],
        tagIds: ['tag-progress', 'tag-done'],
        customFields: [
          {
            id: 'field-score',
            title: 'AI score',
            objectType: 'Candidate',
            fieldType: 'Number',
            isArchived: false,
          },
          {
            id: 'field-notes',
            title: 'AI notes',
            objectType: 'Candidate',
            fieldType: 'String',
            isArchived: false,
          },
          {
            id: 'field-status',
            title: 'AI screen',
            objectType: 'Application',
            fieldType: 'ValueSelect',
            isArchived: false,
            selectableValues: [
              { label: 'Running', value: 'Running' },
              { label: 'Done', value: 'Done' },
            ],
          },
        ],
      },
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('searches candidates by e-mail with a Basic-authenticated POST', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com' });
    const several = await ats.findApplication({ email: 'bob@example.com' });

    // Assess
    expect(match).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
    expect(several).toEqual({ candidateId: 'cand-2' });
    expect(requestsTo('/candidate.search')[0]).toMatchObject({
      method: 'POST',
      auth: { scheme: 'Basic', valid: true },
      headers: expect.objectContaining({ 'content-type': 'application/json' }),
      body: { email: 'ada@example.com' },
    });
  });

  it.each([
    {
      case: 'the application for the ATS job id the vendor sent',
      atsJobId: 'job-2',
      applications: [
        { status: 'Active', jobId: 'job-1' },
        { status: 'Archived', jobId: 'job-2' },
      ],
      expected: 'app-3',
    },
    {
      case: 'the only active application when no job id is sent',
      atsJobId: undefined,
      applications: [
        { status: 'Archived', jobId: 'job-1' },
        { status: 'Active', jobId: 'job-2' },
      ],
      expected: 'app-3',
    },
    {
      case: 'no application when two are active and no job id is sent',
      atsJobId: undefined,
      applications: [
        { status: 'Active', jobId: 'job-1' },
        { status: 'Active', jobId: 'job-2' },
      ],
      expected: undefined,
    },
    {
      case: 'no application when none is for the job id sent',
      atsJobId: 'job-9',
      applications: [
        { status: 'Active', jobId: 'job-1' },
        { status: 'Archived', jobId: 'job-2' },
      ],
      expected: undefined,
    },
  ] as const)(
    'for a candidate with several applications, matches $case',
    async ({ atsJobId, applications, expected }) => {
      // Prepare
      const [first, second] = applications;
      fake.state.applications.splice(
        1,
        2,
        { id: 'app-2', candidateId: 'cand-2', currentInterviewStageId: 'stage-1', ...first },
        { id: 'app-3', candidateId: 'cand-2', currentInterviewStageId: 'stage-1', ...second },
      );
      const ats = adapterFor({
        statusField: { fieldId: 'f-status', values: { in_progress: 'In progress', completed: 'Done' } },
      });

      // Act
      const match = await ats.findApplication({
        email: 'bob@example.com',
        ...(atsJobId === undefined ? {} : { atsJobId }),
      });

      // Assess
      expect(match).toEqual({
        candidateId: 'cand-2',
        ...(expected === undefined ? {} : { applicationId: expected }),
      });
      expect(requestsTo('/application.info').map((r) => r.body)).toEqual([
        { applicationId: 'app-2' },
        { applicationId: 'app-3' },
      ]);
    },
  );

  it('finds by application id, falling back to the e-mail when Ashby answers success:false not found', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const direct = await ats.findApplication({ atsApplicationId: 'app-2', email: 'ada@example.com' });
    const fallback = await ats.findApplication({ atsApplicationId: 'app-404', email: 'ada@example.com' });
    const none = await ats.findApplication({ atsApplicationId: 'app-404', email: 'nobody@example.com' });

    // Assess
    expect(direct).toEqual({ candidateId: 'cand-2', applicationId: 'app-2' });
    expect(fallback).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
    expect(none).toBeUndefined();
    expect(requestsTo('/application.info')[0]?.body).toEqual({ applicationId: 'app-2' });
  });

  it('creates an HTML note within the supported subset, without notifications', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    await ats.addNote(
      { candidateId: 'cand-1' },
      aScreeningNote({ title: 'Score <script>alert(1)</script>' }),
      aContext(),
    );

    // Assess
    const [request] = requestsTo('/candidate.createNote');
    expect(request?.body).toEqual({
      candidateId: 'cand-1',
      note: { type: 'text/html', value: expect.stringContaining('<b>') },
      sendNotifications: false,
    });
    expect(fake.state.notes).toHaveLength(1);
    expect(fake.state.notes[0]?.strippedTags).toEqual([]);
    expect(fake.state.notes[0]?.content).toContain('&lt;script&gt;');
  });

  it('pages through candidate.listNotes with the cursor to find a note by its marker', async () => {
    // Prepare
    for (let i = 0; i < 130; i += 1) {
      fake.state.notes.push({
        id: `n${i}`,
        candidateId: 'cand-1',
        content: i === 120 ? '<b>x</b>\n<i>ref: interview-sync:evt-3</i>' : `<b>note ${i}</b>`,
        strippedTags: [],
        sendNotifications: false,
        createdAt: '2026-01-01T00:00:00Z',
      });
    }
    const ats = adapterFor();

    // Act
    const found = await ats.hasNote?.({ candidateId: 'cand-1' }, 'interview-sync:evt-3');
    const missing = await ats.hasNote?.({ candidateId: 'cand-1' }, 'interview-sync:evt-4');

    // Assess
    expect(found).toBe(true);
    expect(missing).toBe(false);
    const pages = requestsTo('/candidate.listNotes');
    expect(pages.map((p) => p.body)).toEqual([
      { candidateId: 'cand-1', limit: 100 },
      { candidateId: 'cand-1', limit: 100, cursor: expect.any(String) },
      { candidateId: 'cand-1', limit: 100 },
      { candidateId: 'cand-1', limit: 100, cursor: expect.any(String) },
    ]);
  });

  it('reads the current interview stage from application.info', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const stage = await ats.currentStage?.({ candidateId: 'cand-1', applicationId: 'app-1' });

    // Assess
    expect(stage).toBe(fake.state.applications[0]?.currentInterviewStageId);
    expect(requestsTo('/application.info').map((r) => r.body)).toEqual([{ applicationId: 'app-1' }]);
  });

  it('moves with application.changeStage from the recorded stage; a repeat is already-there, a recruiter move moved-on', async () => {
    // Prepare
    const ats = adapterFor();
    const match = { candidateId: 'cand-1', applicationId: 'app-1' };
    const other = { candidateId: 'cand-2', applicationId: 'app-2' };
    const moved = fake.state.applications.find((a) => a.id === 'app-2');
    if (moved) moved.currentInterviewStageId = 'stage-3';

    // Act
    const first = await ats.moveStage?.(match, { fromStageId: 'stage-1', toStageId: 'stage-2' }, aContext());
    const repeat = await ats.moveStage?.(match, { fromStageId: 'stage-1', toStageId: 'stage-2' }, aContext());
    const movedOn = await ats.moveStage?.(
      other,
      { fromStageId: 'stage-1', toStageId: 'stage-2' },
      aContext(),
    );

    // Assess
    expect([first, repeat, movedOn]).toEqual(['moved', 'already-there', 'moved-on']);
    expect(requestsTo('/application.changeStage').map((r) => r.body)).toEqual([
      { applicationId: 'app-1', interviewStageId: 'stage-2' },
    ]);
    expect(fake.state.applications[0]?.currentInterviewStageId).toBe('stage-2');
  });

  it('never re-sends application.changeStage after an answer it did not get (a recruiter may have moved on since)', async () => {
    // Prepare: a 502 stands for the lost answer of a move that may have landed
    const ats = adapterFor();
    const match = { candidateId: 'cand-1', applicationId: 'app-1' };
    fake.failNext({ status: 502, match: (r) => r.path === '/application.changeStage' });

    // Act
    const first = ats.moveStage?.(match, { fromStageId: 'stage-1', toStageId: 'stage-2' }, aContext());

    // Assess: refused as transient after one request; the event's retry will read the stage first
    await expect(first).rejects.toBeInstanceOf(AtsTransientError);
    expect(requestsTo('/application.changeStage')).toHaveLength(1);
  });

  it('leaves an application on another job’s interview plan where it is (other-plan), reading each stage’s plan once', async () => {
    // Prepare: stage-2 (the completed stage) on plan A; app-2 sits in stage-b1 of plan B
    fake.state.stages.push('stage-b1', 'stage-b2');
    fake.state.stageDetails['stage-2'] = { title: 'Screened', interviewPlanId: 'plan-a' };
    fake.state.stageDetails['stage-1'] = { title: 'AI screen', interviewPlanId: 'plan-a' };
    fake.state.stageDetails['stage-b1'] = { title: 'AI screen', interviewPlanId: 'plan-b' };
    fake.state.stageDetails['stage-b2'] = { title: 'Screened', interviewPlanId: 'plan-b' };
    const onPlanB = fake.state.applications.find((a) => a.id === 'app-2');
    if (onPlanB) onPlanB.currentInterviewStageId = 'stage-b1';
    const ats = adapterFor();
    const move = (applicationId: string, fromStageId: string) =>
      ats.moveStage?.(
        { candidateId: 'cand-x', applicationId },
        { fromStageId, toStageId: 'stage-2' },
        aContext(),
      );

    // Act
    const otherPlan = await move('app-2', 'stage-b1');
    const again = await move('app-2', 'stage-b1');
    const samePlan = await move('app-1', 'stage-1');
    const refused = await fetch(`${fake.url}/application.changeStage`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('ashby-key:').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ applicationId: 'app-2', interviewStageId: 'stage-2' }),
    }).then((response) => response.json());

    // Assess: the fake refuses what Ashby refuses; the adapter never sends it
    expect([otherPlan, again, samePlan]).toEqual(['other-plan', 'other-plan', 'moved']);
    expect(refused).toEqual({ success: false, errors: ['interview_stage_not_found'] });
    expect(requestsTo('/application.changeStage').map((r) => r.body)).toEqual([
      { applicationId: 'app-1', interviewStageId: 'stage-2' },
      { applicationId: 'app-2', interviewStageId: 'stage-2' },
    ]);
    expect(
      requestsTo('/interviewStage.info')
        .map((r) => (r.body as { interviewStageId: string }).interviewStageId)
        .sort(),
    ).toEqual(['stage-1', 'stage-2', 'stage-b1']);
    expect(fake.state.applications.find((a) => a.id === 'app-2')?.currentInterviewStageId).toBe('stage-b1');
  });

  it('still moves and sets a field with a key that may not read interview stages or field types', async () => {
    // Prepare: a key with Candidates read + write only
    await fake.close();
    fake = await startFakeAshby({
      keyScopes: { 'writer-key': ['candidates:read', 'candidates:write'] },
      seed: {
        candidates: [aCandidate()],
        applications: [{ id: 'app-1', candidateId: 'cand-1', currentInterviewStageId: 'stage-1' }],
        stages: ['stage-1', 'stage-2'],
      },
    });
    const ats = createAshbyAdapter(
      { baseUrl: fake.url, rateLimit: { minTimeMs: 0 }, http: fastHttp },
      { apiKey: 'writer-key' },
      { sleep: recordingSleep().sleep },
    );

    fake.state.customFields.push({
      id: 'field-notes',
      title: 'AI notes',
      objectType: 'Application',
      fieldType: 'String',
      isArchived: false,
    });

    // Act
    const outcome = await ats.moveStage?.(
      { candidateId: 'cand-1', applicationId: 'app-1' },
      { fromStageId: 'stage-1', toStageId: 'stage-2' },
      aContext(),
    );
    await ats.setField?.({ candidateId: 'cand-1', applicationId: 'app-1' }, 'field-notes', '87', aContext());

    // Assess: neither read it may not make stops the write it may make
    expect(outcome).toBe('moved');
    expect(fake.state.applications[0]?.currentInterviewStageId).toBe('stage-2');
    expect(fake.state.customFieldValues).toEqual([
      { objectId: 'app-1', objectType: 'Application', fieldId: 'field-notes', fieldValue: '87' },
    ]);
  });

  it('removes a status tag the candidate does not carry without error, and reports a wrong tag id as permanent', async () => {
    // Prepare
    const good = adapterFor({ statusTagIds: { in_progress: 'tag-progress', completed: 'tag-done' } });
    const wrong = adapterFor({ statusTagIds: { in_progress: 'tag-typo', completed: 'tag-done' } });
    const match = { candidateId: 'cand-1', applicationId: 'app-1' };

    // Act
    await good.setStatus(match, 'completed', aContext());
    const attempt = wrong.setStatus(match, 'completed', aContext());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AtsPermanentError);
    await expect(attempt).rejects.not.toBeInstanceOf(AtsNotFoundError);
    await expect(attempt).rejects.toMatchObject({ reason: 'invalid_tag_id' });
    expect(requestsTo('/candidate.removeTag').map((r) => r.body)).toEqual([
      { candidateId: 'cand-1', tagId: 'tag-progress' },
      { candidateId: 'cand-1', tagId: 'tag-typo' },
    ]);
    expect(fake.state.candidates[0]?.tags).toEqual(['tag-done']);
  });

  it('keeps the completed tag of an earlier interview when a later one starts (tags belong to the candidate)', async () => {
    // Prepare: the candidate completed a screening for one job and starts another
    fake.state.candidates[0]?.tags.push('tag-done');
    const ats = adapterFor({ statusTagIds: { in_progress: 'tag-progress', completed: 'tag-done' } });

    // Act
    await ats.setStatus({ candidateId: 'cand-1', applicationId: 'app-1' }, 'in_progress', aContext());

    // Assess
    expect([...(fake.state.candidates[0]?.tags ?? [])].sort()).toEqual(['tag-done', 'tag-progress']);
    expect(requestsTo('/candidate.removeTag')).toHaveLength(0);
  });

  it('marks the status with tags, or with a custom field when one is configured', async () => {
    // Prepare
    fake.state.candidates[0]?.tags.push('tag-progress');
    const byTags = adapterFor({ statusTagIds: { in_progress: 'tag-progress', completed: 'tag-done' } });
    const byField = adapterFor({
      statusField: { fieldId: 'field-status', values: { in_progress: 'Running', completed: 'Done' } },
    });
    const match = { candidateId: 'cand-1', applicationId: 'app-1' };

    // Act
    await byTags.setStatus(match, 'completed', aContext());
    await byField.setStatus(match, 'completed', aContext());

    // Assess
    expect(fake.state.candidates[0]?.tags).toEqual(['tag-done']);
    expect(fake.state.customFieldValues).toEqual([
      { objectId: 'app-1', objectType: 'Application', fieldId: 'field-status', fieldValue: 'Done' },
    ]);
  });

  it.each([
    ['a tag', { statusTagIds: { in_progress: 'tag-progress', completed: 'tag-done' } }, '/candidate.addTag'],
    [
      'a custom field',
      { statusField: { fieldId: 'field-status', values: { in_progress: 'Running', completed: 'Done' } } },
      '/customField.setValue',
    ],
  ])(
    'fails a status write by %s that got no answer, without resending it (it could land after the next status)',
    async (_, config, path) => {
      // Prepare: the first request is held past the client's timeout; the client would have 3 attempts
      const held = fake.faults.hold({ method: 'POST', path: new RegExp(`${path.replace('.', '\\.')}$`) });
      const ats = adapterFor({ ...config, http: { timeoutMs: 300, maxAttempts: 3, baseDelayMs: 1 } });

      // Act
      const error = await ats
        .setStatus({ candidateId: 'cand-1', applicationId: 'app-1' }, 'in_progress', aContext())
        .catch((e: unknown) => e);
      const resent = requestsTo(path).length;
      held.release();

      // Assess: failed as a write that may still land (the sync settles it), sent once: no attempt after the
      // held one reached the fake
      expect(error).toBeInstanceOf(AtsTransientError);
      expect(mayStillLand(error)).toBe(true);
      expect(held.count).toBe(1);
      expect(resent).toBe(0);
    },
  );

  it('marks the status with the tags, not an Application field, when no single application was matched', async () => {
    // Prepare: a candidate found by e-mail whose applications nothing told apart (no application id)
    const withTags = adapterFor({
      statusField: { fieldId: 'field-status', values: { in_progress: 'Running', completed: 'Done' } },
      statusTagIds: { in_progress: 'tag-progress', completed: 'tag-done' },
    });
    const fieldOnly = adapterFor({
      statusField: { fieldId: 'field-status', values: { in_progress: 'Running', completed: 'Done' } },
    });

    // Act: neither is refused (the note, written after the status, still goes to the candidate)
    await withTags.setStatus({ candidateId: 'cand-1' }, 'completed', aContext());
    await fieldOnly.setStatus({ candidateId: 'cand-1' }, 'completed', aContext());

    // Assess
    expect(requestsTo('/customField.setValue')).toHaveLength(0);
    expect(fake.state.candidates[0]?.tags).toEqual(['tag-done']);
  });

  it('sets a custom field with customField.setValue, its value of the field’s type (read once)', async () => {
    // Prepare
    const ats = adapterFor({ fieldObjectType: 'Candidate' });

    // Act
    await ats.setField?.({ candidateId: 'cand-1' }, 'field-score', '87', aContext());
    await ats.setField?.({ candidateId: 'cand-1' }, 'field-score', '91', aContext());
    await ats.setField?.({ candidateId: 'cand-1' }, 'field-notes', '87', aContext());

    // Assess: a Number field gets a number (the string was refused, or stored as text), a String one a string
    expect(requestsTo('/customField.setValue').map((request) => request.body)).toEqual([
      { objectId: 'cand-1', objectType: 'Candidate', fieldId: 'field-score', fieldValue: 87 },
      { objectId: 'cand-1', objectType: 'Candidate', fieldId: 'field-score', fieldValue: 91 },
      { objectId: 'cand-1', objectType: 'Candidate', fieldId: 'field-notes', fieldValue: '87' },
    ]);
    expect(requestsTo('/customField.info').map((request) => request.body)).toEqual([
      { customFieldId: 'field-score' },
      { customFieldId: 'field-notes' },
    ]);
    expect(fake.state.customFieldValues.map((value) => value.fieldValue)).toEqual([91, '87']);
  });

  it('refuses, as a setting to correct, a field that does not exist or a value not of its type', async () => {
    // Prepare
    const ats = adapterFor({ fieldObjectType: 'Candidate' });
    const set = (fieldId: string, value: string) =>
      ats.setField?.({ candidateId: 'cand-1' }, fieldId, value, aContext()).catch((error: unknown) => error);

    // Act
    const missing = await set('field-nobody-made', '87');
    const notANumber = await set('field-score', 'high');

    // Assess: permanent (dead-lettered with its reason), never "record missing"
    expect(missing).toBeInstanceOf(AtsPermanentError);
    expect(missing).not.toBeInstanceOf(AtsNotFoundError);
    expect(missing).toMatchObject({ reason: 'custom_field_not_found' });
    expect(notANumber).toMatchObject({ reason: 'field_type' });
    expect(requestsTo('/customField.setValue')).toHaveLength(0);
  });

  it('classifies success:false: not found, permanent invalid input', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const [note, stage] = await Promise.allSettled([
      ats.addNote({ candidateId: 'cand-gone' }, aScreeningNote(), aContext()),
      ats.moveStage?.(
        { candidateId: 'cand-1', applicationId: 'app-1' },
        { fromStageId: 'stage-1', toStageId: 'stage-unknown' },
        aContext(),
      ),
    ]);

    // Assess
    expect(note).toMatchObject({ status: 'rejected', reason: expect.any(AtsNotFoundError) });
    // A completed stage that is not one: a setting to correct, never "record missing"
    expect(stage).toMatchObject({
      status: 'rejected',
      reason: { name: 'AtsPermanentError', reason: 'interview_stage_not_found' },
    });
    expect((stage as PromiseRejectedResult).reason).not.toBeInstanceOf(AtsNotFoundError);
  });

  it('finds the candidate by e-mail when the application id is not an Ashby id (invalid_input) or not found', async () => {
    // Prepare: micro1's ats_job_application_id may hold another ATS's id
    const ats = adapterFor();

    // Act
    const foreign = await ats.findApplication({ atsApplicationId: '12345', email: 'ada@example.com' });
    const gone = await ats.findApplication({
      atsApplicationId: '3ae2b801-19f6-41ef-ad28-214bd731948f',
      email: 'ada@example.com',
    });

    fake.failNext({
      status: 200,
      body: {
        success: false,
        errors: ['invalid_input'],
        errorInfo: { code: 'invalid_input', message: 'bad id' },
      },
    });
    const bothForms = await ats.findApplication({ atsApplicationId: '12345', email: 'ada@example.com' });

    // Assess
    expect(foreign).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
    expect(gone).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
    // (errors and errorInfo both given: the reason is "invalid_input,invalid_input")
    expect(bothForms).toEqual({ candidateId: 'cand-1', applicationId: 'app-1' });
    expect(requestsTo('/application.info').map((request) => request.body)).toEqual([
      { applicationId: '12345' },
      { applicationId: '3ae2b801-19f6-41ef-ad28-214bd731948f' },
      { applicationId: '12345' },
    ]);
  });

  it('treats a rate-limit success:false as transient', async () => {
    // Prepare
    const ats = adapterFor();
    fake.failNext({
      status: 200,
      body: { success: false, errorInfo: { code: 'rate_limit_exceeded', message: 'slow down' } },
    });

    // Act
    const attempt = ats.findApplication({ email: 'ada@example.com' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AtsTransientError);
  });

  it('waits for Retry-After on a 429 and repeats the call', async () => {
    // Prepare
    const { sleep, calls } = recordingSleep();
    const ats = adapterFor({}, sleep);
    fake.failNext({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { success: false, errors: ['rate_limit_exceeded'] },
    });

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com' });

    // Assess
    expect(match?.candidateId).toBe('cand-1');
    expect(calls).toEqual([1000]);
    expect(requestsTo('/candidate.search').map((r) => r.status)).toEqual([429, 200]);
  });

  it('the fake allows POST only, checks the key and rate-limits with Retry-After', async () => {
    // Prepare
    await fake.close();
    fake = await startFakeAshby({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const auth = `Basic ${Buffer.from('ashby-key:').toString('base64')}`;
    const call = (method: string, key?: string) =>
      fetch(`${fake.url}/candidate.search`, {
        method,
        headers: { ...(key ? { authorization: key } : {}), 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ email: 'a@example.com' }) } : {}),
      });

    // Act
    const get = await call('GET', auth);
    const noKey = await call('POST');
    const wrongKey = await call('POST', `Basic ${Buffer.from('other:').toString('base64')}`);
    const notJson = await fetch(`${fake.url}/candidate.search`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'text/plain' },
      body: JSON.stringify({ email: 'a@example.com' }),
    });
    const ok = await call('POST', auth);
    const limited = await call('POST', auth);

    // Assess
    // developers.ashbyhq.com/docs/authentication: missing key 401, wrong key 403; the introduction: the
    // Content-Type must be application/json.
    expect([get.status, noKey.status, wrongKey.status, notJson.status, ok.status, limited.status]).toEqual([
      405, 401, 403, 415, 200, 429,
    ]);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('Ashby adapter with duplicate profiles and old applications', () => {
  let fake: FakeAshby;
  const adapter = () =>
    createAshbyAdapter(
      { baseUrl: fake.url, rateLimit: { minTimeMs: 0 }, http: fastHttp },
      { apiKey: 'ashby-key' },
      { sleep: recordingSleep().sleep },
    );

  beforeEach(async () => {
    // ada was entered twice: an archived application for job j8 on one profile, the active one for j7 on
    // the other. eve's two profiles each have an active application.
    fake = await startFakeAshby({
      seed: {
        candidates: [
          aCandidate({ id: 'cand-1', applicationIds: ['app-1'] }),
          aCandidate({ id: 'cand-3', applicationIds: ['app-4'] }),
          aCandidate({
            id: 'cand-5',
            emailAddresses: [{ value: 'eve@example.com' }],
            applicationIds: ['app-5'],
          }),
          aCandidate({
            id: 'cand-6',
            emailAddresses: [{ value: 'eve@example.com' }],
            applicationIds: ['app-6'],
          }),
        ],
        applications: [
          {
            id: 'app-1',
            candidateId: 'cand-1',
            currentInterviewStageId: 's',
            status: 'Archived',
            jobId: 'j8',
          },
          { id: 'app-4', candidateId: 'cand-3', currentInterviewStageId: 's', jobId: 'j7' },
          { id: 'app-5', candidateId: 'cand-5', currentInterviewStageId: 's', jobId: 'j7' },
          { id: 'app-6', candidateId: 'cand-6', currentInterviewStageId: 's', jobId: 'j8' },
        ],
        stages: ['s'],
        tagIds: [],
      },
    });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('takes the profile whose application is for the event’s job, or the only active one', async () => {
    // Prepare
    const ats = adapter();

    // Act
    const forJob = await ats.findApplication({ email: 'ada@example.com', atsJobId: 'j7' });
    const noJob = await ats.findApplication({ email: 'ada@example.com' });
    const twoActive = await ats.findApplication({ email: 'eve@example.com' });

    // Assess: eve's event is parked as unmatched rather than written onto either profile
    expect(forJob).toEqual({ candidateId: 'cand-3', applicationId: 'app-4' });
    expect(noJob).toEqual({ candidateId: 'cand-3', applicationId: 'app-4' });
    expect(twoActive).toBeUndefined();
  });

  it('ignores a candidate the search returned without the e-mail', async () => {
    // Prepare: a search that matched loosely (Ashby does not document how exact the e-mail search is)
    const ats = adapter();
    const stranger = {
      id: 'cand-9',
      emailAddresses: [{ value: 'ada.l@example.com' }],
      applicationIds: ['app-9'],
    };
    fake.failNext({ status: 200, body: { success: true, results: [stranger] } });

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com' });

    // Assess
    expect(match).toBeUndefined();
  });
});
