/**
 * `diagnoseAts` against each ATS fake: a healthy credential, a user or key without permissions, wrong ids
 * in the configuration — and never a write.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { type DoctorReport, diagnoseAts } from '../../../functions/ats/doctor.js';
import { createAtsAdapter } from '../../../functions/ats/index.js';
import { startFakeAshby } from '../../../local/fakes/ashby.js';
import { startFakeGreenhouse } from '../../../local/fakes/greenhouse.js';
import { startFakeLever } from '../../../local/fakes/lever.js';
import { aContext, fastHttp } from './factories.js';

const statusOf = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name)?.status;
const idsOf = (report: DoctorReport, kind: string) =>
  report.lists.find((l) => l.kind === kind)?.items.map((item) => item.id);

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('the ATS doctor against Greenhouse', () => {
  const seed = {
    candidates: [{ id: 11, email_addresses: [{ value: 'ada@example.com', type: 'personal' }] }],
    applications: [{ id: 101, candidate_id: 11, job_id: 7, stage_id: 500, status: 'active' }],
    jobInterviewStages: [
      { id: 500, name: 'Application Review', job_id: 7, priority: 0 },
      { id: 501, name: 'AI Screen Done', job_id: 7, priority: 1 },
    ],
    candidateTags: [
      { id: 70, name: 'AI screening in progress' },
      { id: 71, name: 'AI screening completed' },
    ],
    customFields: [{ id: 90, name: 'AI score', field_type: 'application', value_type: 'number' }],
  };
  const start = async (options: Parameters<typeof startFakeGreenhouse>[0] = {}) => {
    const fake = await startFakeGreenhouse({ seed, ...options });
    closers.push(fake.close);
    return fake;
  };
  const configFor = (url: string, config: Record<string, unknown> = {}) => ({
    baseUrl: `${url}/v3`,
    authUrl: `${url}/token`,
    userId: '42',
    http: fastHttp,
    ...config,
  });
  const credentials = { clientId: 'gh-client', clientSecret: 'gh-secret' };

  it('authenticates, sees candidates and notes, checks note creation from the token scopes and lists the ids', async () => {
    // Prepare
    const fake = await start({
      tokenScopes: [
        'harvest:candidates:list',
        'harvest:notes:list',
        'harvest:notes:create',
        'harvest:applied_candidate_tags:list',
        'harvest:applications:list',
        'harvest:application_stages:list',
        'harvest:job_interview_stages:list',
        'harvest:candidate_tags:list',
        'harvest:custom_fields:list',
      ],
    });

    // Act
    const report = await diagnoseAts(
      'greenhouse',
      configFor(fake.url, { statusTagIds: { in_progress: 70, completed: 71 } }),
      credentials,
      {},
      { completedStageId: '501' },
    );

    // Assess
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['authenticate', 'ok'],
      ['list candidates', 'ok'],
      ['list notes', 'ok'],
      ['list applications', 'ok'],
      ['read applied tags', 'ok'],
      ['read current stage', 'ok'],
      ['create a note', 'ok'],
      ['list stages', 'ok'],
      ['list tags', 'ok'],
      ['statusTagIds.in_progress', 'ok'],
      ['statusTagIds.completed', 'ok'],
      ['completed stage', 'ok'],
    ]);
    expect(idsOf(report, 'stages')).toEqual(seed.jobInterviewStages.map((s) => String(s.id)));
    expect(idsOf(report, 'tags')).toEqual(seed.candidateTags.map((t) => String(t.id)));
    expect(idsOf(report, 'customFields')).toEqual(['90']);
    expect(report.advice.join(' ')).toMatch(/e-mails to the candidate/);
    // Private notes (the default): the retry's duplicate check depends on the user reading them
    expect(report.advice.join(' ')).toMatch(/visibility "private".*a retry posts a second note/);
    expect(fake.log.count({ path: /^\/v3\//, method: 'POST' })).toBe(0);
  });

  it("fails a read the configuration's writes make first when the token lacks its scope, as the adapter is refused", async () => {
    // Prepare: status tags configured, but no scope to read a candidate's applied tags
    const fake = await start({
      tokenScopes: ['harvest:candidates:list', 'harvest:notes:list', 'harvest:notes:create'],
    });
    const config = configFor(fake.url, { statusTagIds: { in_progress: 70, completed: 71 } });

    // Act
    const report = await diagnoseAts('greenhouse', config, credentials);
    const write = await createAtsAdapter('greenhouse', config, credentials)
      .setStatus({ candidateId: '11' }, 'completed', aContext())
      .catch((error: unknown) => error);

    // Assess: the doctor says what every status write would meet
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'read applied tags')).toEqual(
      expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/403/) }),
    );
    expect(write).toEqual(expect.objectContaining({ status: 403 }));
    expect(fake.log.count({ path: /^\/v3\//, method: 'POST' })).toBe(0);
  });

  it('fails a refused read of applications (every lookup makes it) and of the current stage a move reads', async () => {
    // Prepare
    const fake = await start();
    const diagnose = () =>
      diagnoseAts('greenhouse', configFor(fake.url), credentials, {}, { completedStageId: '501' });

    // Act
    fake.failNext({ status: 403, match: (r) => r.path === '/v3/applications' });
    const noApplications = await diagnose();
    fake.failNext({ status: 403, match: (r) => r.path === '/v3/application_stages' });
    const noStage = await diagnose();

    // Assess: without an application read there is no application to read the stage of
    const statuses = (report: DoctorReport) =>
      ['list applications', 'read current stage'].map((name) => statusOf(report, name));
    expect(statuses(noApplications)).toEqual(['fail', 'skipped']);
    expect(statuses(noStage)).toEqual(['ok', 'fail']);
    expect([noApplications.ok, noStage.ok]).toEqual([false, false]);
  });

  it('warns, not fails, on a refused stage or tag list the configuration does not need', async () => {
    // Prepare: the worker never lists stages or tags; only configured ids are looked up in them
    const fake = await start();
    const refuseLists = () => {
      fake.failNext({ status: 403, match: (r) => r.path === '/v3/job_interview_stages' });
      fake.failNext({ status: 403, match: (r) => r.path === '/v3/candidate_tags' });
    };

    // Act
    refuseLists();
    const unneeded = await diagnoseAts('greenhouse', configFor(fake.url), credentials);
    refuseLists();
    const needed = await diagnoseAts(
      'greenhouse',
      configFor(fake.url, { statusTagIds: { completed: 71 } }),
      credentials,
      {},
      { completedStageId: '501' },
    );

    // Assess
    expect([statusOf(unneeded, 'list stages'), statusOf(unneeded, 'list tags')]).toEqual(['warn', 'warn']);
    expect(unneeded.ok).toBe(true);
    expect([statusOf(needed, 'list stages'), statusOf(needed, 'list tags')]).toEqual(['fail', 'fail']);
    expect(needed.ok).toBe(false);
  });

  it('says a list longer than the adapter reads is too long, not refused, and which settings to raise', async () => {
    // Prepare: two stages, read one per page, one page at most
    const fake = await start();

    // Act
    const report = await diagnoseAts(
      'greenhouse',
      configFor(fake.url, { perPage: 1, maxPages: 1 }),
      credentials,
      {},
      { completedStageId: '501' },
    );

    // Assess
    const stages = report.checks.find((check) => check.name === 'list stages');
    expect(stages?.status).toBe('fail');
    expect(stages?.detail).toMatch(/^not listed whole: .*raise ATS_CONFIG\.maxPages, or perPage/);
    expect(stages?.detail).not.toMatch(/refused/);
  });

  it('says note creation was not checked when the token answer lists no scopes', async () => {
    // Prepare
    const fake = await start();

    // Act
    const report = await diagnoseAts('greenhouse', configFor(fake.url), credentials);

    // Assess
    expect(statusOf(report, 'create a note')).toBe('skipped');
    expect(report.checks.find((c) => c.name === 'create a note')?.detail).toMatch(/never writes a real note/);
  });

  it('detects a `sub` user without permissions from the empty lists and says which user to use', async () => {
    // Prepare
    const fake = await start({ limitedUsers: ['77'] });

    // Act
    const report = await diagnoseAts('greenhouse', configFor(fake.url, { userId: 77 }), credentials);

    // Assess
    expect(report.ok).toBe(false);
    expect(statusOf(report, 'list candidates')).toBe('warn');
    expect(statusOf(report, 'list stages')).toBe('fail');
    expect(report.advice.join(' ')).toMatch(/Site Admin.*read\/write on candidates, applications and notes/);
  });

  it('fails configured ids that Greenhouse does not have, and refused credentials', async () => {
    // Prepare
    const fake = await start();

    // Act
    const wrongIds = await diagnoseAts(
      'greenhouse',
      configFor(fake.url, { statusTagIds: { completed: 999 } }),
      credentials,
      {},
      { completedStageId: '600' },
    );
    const refused = await diagnoseAts('greenhouse', configFor(fake.url), {
      clientId: 'gh-client',
      clientSecret: 'no',
    });

    // Assess
    expect([statusOf(wrongIds, 'statusTagIds.completed'), statusOf(wrongIds, 'completed stage')]).toEqual([
      'fail',
      'fail',
    ]);
    expect(refused.checks).toEqual([expect.objectContaining({ name: 'authenticate', status: 'fail' })]);
    expect(JSON.stringify(refused)).not.toContain('gh-secret');
  });
});

describe('the ATS doctor against Lever', () => {
  const start = async (options: Parameters<typeof startFakeLever>[0] = {}) => {
    const fake = await startFakeLever({
      keyPermissions: { 'no-endpoints': 'none' },
      seed: {
        users: ['user-1'],
        userProfiles: { 'user-1': { name: 'Integration User', accessRole: 'super admin' } },
        stages: ['stage-applied', 'stage-screened'],
        stageTexts: { 'stage-applied': 'New applicant', 'stage-screened': 'AI screened' },
        opportunities: [
          {
            id: 'opp-1',
            contact: 'contact-1',
            emails: ['ada@example.com'],
            stage: 'stage-applied',
            tags: ['AI screening completed'],
            links: [],
            archived: null,
            createdAt: 1,
          },
        ],
      },
      ...options,
    });
    closers.push(fake.close);
    return fake;
  };

  it('checks the key, the perform_as user and the lists, and lists the stage ids — reading only', async () => {
    // Prepare
    const fake = await start();

    // Act
    const report = await diagnoseAts(
      'lever',
      { baseUrl: `${fake.url}/v1`, performAs: 'user-1', http: fastHttp },
      { apiKey: 'lever-key' },
      {},
      { completedStageId: 'stage-screened' },
    );

    // Assess
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['authenticate', 'ok'],
      ['list opportunities', 'ok'],
      ['list notes', 'ok'],
      ['perform_as user', 'ok'],
      ['create a note', 'skipped'],
      ['list stages', 'ok'],
      ['completed stage', 'ok'],
    ]);
    expect(report.lists.find((l) => l.kind === 'stages')?.items).toEqual([
      { id: 'stage-applied', name: 'New applicant' },
      { id: 'stage-screened', name: 'AI screened' },
    ]);
    expect(fake.log.entries.every((e) => e.method === 'GET')).toBe(true);
  });

  it('warns on a key that cannot list stages unless a completed stage is configured (the adapter never lists them)', async () => {
    // Prepare
    const fake = await start();
    const config = { baseUrl: `${fake.url}/v1`, performAs: 'user-1', http: fastHttp };

    // Act
    fake.failNext({ status: 403, match: (r) => r.path === '/v1/stages' });
    const unneeded = await diagnoseAts('lever', config, { apiKey: 'lever-key' });
    fake.failNext({ status: 403, match: (r) => r.path === '/v1/stages' });
    const needed = await diagnoseAts(
      'lever',
      config,
      { apiKey: 'lever-key' },
      {},
      { completedStageId: 'stage-screened' },
    );

    // Assess
    expect(statusOf(unneeded, 'list stages')).toBe('warn');
    expect(unneeded.ok).toBe(true);
    expect(statusOf(needed, 'list stages')).toBe('fail');
    expect(needed.ok).toBe(false);
  });

  it('fails a key created without endpoints (403) and an unknown perform_as user', async () => {
    // Prepare
    const fake = await start();
    const config = { baseUrl: `${fake.url}/v1`, http: fastHttp };

    // Act
    const noEndpoints = await diagnoseAts(
      'lever',
      { ...config, performAs: 'user-1' },
      { apiKey: 'no-endpoints' },
    );
    const unknownUser = await diagnoseAts(
      'lever',
      { ...config, performAs: 'user-9' },
      { apiKey: 'lever-key' },
    );

    // Assess
    expect(noEndpoints.ok).toBe(false);
    expect(noEndpoints.checks).toEqual([
      expect.objectContaining({
        name: 'authenticate',
        status: 'fail',
        detail: expect.stringMatching(/permission/),
      }),
    ]);
    expect(statusOf(unknownUser, 'perform_as user')).toBe('fail');
  });
});

describe('the ATS doctor against Ashby', () => {
  const start = async () => {
    const fake = await startFakeAshby({
      keyScopes: {
        'no-self-read': [
          'candidates:read',
          'candidates:write',
          'interviews:read',
          'hiringProcessMetadata:read',
        ],
        'read-only': ['candidates:read', 'apiKeys:read', 'interviews:read', 'hiringProcessMetadata:read'],
      },
      seed: {
        candidates: [
          {
            id: 'cand-1',
            emailAddresses: [{ value: 'ada@example.com' }],
            applicationIds: ['app-1'],
            tags: [],
          },
        ],
        applications: [{ id: 'app-1', candidateId: 'cand-1', currentInterviewStageId: 'stage-1' }],
        interviewPlans: [{ id: 'plan-1', title: 'Engineering', isArchived: false }],
        stages: ['stage-1', 'stage-2'],
        stageDetails: {
          'stage-1': { title: 'Application Review', interviewPlanId: 'plan-1' },
          'stage-2': { title: 'AI Screen Done', interviewPlanId: 'plan-1' },
        },
        tagIds: ['tag-progress', 'tag-done'],
        tagTitles: { 'tag-progress': 'AI screening in progress', 'tag-done': 'AI screening completed' },
        customFields: [
          {
            id: 'field-status',
            title: 'AI status',
            objectType: 'Application',
            fieldType: 'String',
            isArchived: false,
          },
        ],
      },
    });
    closers.push(fake.close);
    return fake;
  };
  const config = (url: string, extra: Record<string, unknown> = {}) => ({
    baseUrl: url,
    rateLimit: { minTimeMs: 0 },
    http: fastHttp,
    ...extra,
  });

  it('reads the key scopes to check note creation and lists stages per plan, tags and fields', async () => {
    // Prepare
    const fake = await start();

    // Act
    const report = await diagnoseAts(
      'ashby',
      config(fake.url, {
        statusField: {
          fieldId: 'field-status',
          objectType: 'Application',
          values: { in_progress: 'a', completed: 'b' },
        },
      }),
      { apiKey: 'ashby-key' },
      {},
      { completedStageId: 'stage-2' },
    );

    // Assess
    expect(report.ok).toBe(true);
    expect(statusOf(report, 'create a note')).toBe('ok');
    expect(report.lists.find((l) => l.kind === 'stages')?.items).toEqual([
      { id: 'stage-1', name: 'Application Review', context: 'plan "Engineering"' },
      { id: 'stage-2', name: 'AI Screen Done', context: 'plan "Engineering"' },
    ]);
    expect(idsOf(report, 'tags')).toEqual(['tag-progress', 'tag-done']);
    expect([statusOf(report, 'statusField.fieldId'), statusOf(report, 'completed stage')]).toEqual([
      'ok',
      'ok',
    ]);
    expect(fake.state.notes).toEqual([]);
  });

  it('finds the completed stage in a plan past the first page of interviewPlan.list', async () => {
    // Prepare: 150 plans (Ashby lists 100 a page), the completed stage's plan last
    const fake = await start();
    const extra = Array.from({ length: 149 }, (_, i) => ({
      id: `plan-x${i}`,
      title: `Team ${i}`,
      isArchived: false,
    }));
    const plan1 = fake.state.interviewPlans.splice(0, 1);
    fake.state.interviewPlans.push(...extra, ...plan1);

    // Act
    const report = await diagnoseAts(
      'ashby',
      config(fake.url),
      { apiKey: 'ashby-key' },
      {},
      {
        completedStageId: 'stage-2',
      },
    );

    // Assess
    expect(statusOf(report, 'completed stage')).toBe('ok');
    expect(fake.state.requests.filter((request) => request.path === '/interviewPlan.list')).toHaveLength(2);
  });

  it('fails a score field of another object type than the one the score is written to', async () => {
    // Prepare: a Candidate-level score field; the score is written to the Application (the default)
    const fake = await start();
    fake.state.customFields.push({
      id: 'field-score',
      title: 'AI score',
      objectType: 'Candidate',
      fieldType: 'Number',
      isArchived: false,
    });

    // Act
    const report = await diagnoseAts(
      'ashby',
      config(fake.url),
      { apiKey: 'ashby-key' },
      {},
      {
        scoreFieldId: 'field-score',
      },
    );
    const asCandidate = await diagnoseAts(
      'ashby',
      config(fake.url, { fieldObjectType: 'Candidate' }),
      { apiKey: 'ashby-key' },
      {},
      { scoreFieldId: 'field-score' },
    );

    // Assess
    expect(statusOf(report, 'score field')).toBe('ok');
    expect(statusOf(report, 'score field objectType')).toBe('fail');
    expect(report.ok).toBe(false);
    expect(statusOf(asCandidate, 'score field objectType')).toBeUndefined();
  });

  it('fails a score field whose type cannot take a number (a select), passes a Number one', async () => {
    // Prepare
    const fake = await start();
    fake.state.customFields.push(
      {
        id: 'field-score',
        title: 'AI score',
        objectType: 'Application',
        fieldType: 'Number',
        isArchived: false,
      },
      {
        id: 'field-pick',
        title: 'AI result',
        objectType: 'Application',
        fieldType: 'ValueSelect',
        isArchived: false,
      },
    );
    const diagnose = (scoreFieldId: string) =>
      diagnoseAts('ashby', config(fake.url), { apiKey: 'ashby-key' }, {}, { scoreFieldId });

    // Act
    const number = await diagnose('field-score');
    const select = await diagnose('field-pick');

    // Assess
    expect(statusOf(number, 'score field type')).toBeUndefined();
    expect(statusOf(select, 'score field type')).toBe('fail');
    expect(select.ok).toBe(false);
  });

  it("fails status values the status field's type cannot take, as the adapter's write refuses them", async () => {
    // Prepare: a Number field configured with text values
    const fake = await start();
    fake.state.customFields.push({
      id: 'field-number',
      title: 'AI status code',
      objectType: 'Application',
      fieldType: 'Number',
      isArchived: false,
    });
    const configWith = (fieldId: string, values: { in_progress: string; completed: string }) =>
      config(fake.url, { statusField: { fieldId, values } });
    const text = configWith('field-number', { in_progress: 'In progress', completed: '1' });

    // Act
    const refused = await diagnoseAts('ashby', text, { apiKey: 'ashby-key' });
    const numbers = await diagnoseAts(
      'ashby',
      configWith('field-number', { in_progress: '0', completed: '1' }),
      {
        apiKey: 'ashby-key',
      },
    );
    const onString = await diagnoseAts(
      'ashby',
      configWith('field-status', { in_progress: 'In progress', completed: 'Done' }),
      {
        apiKey: 'ashby-key',
      },
    );
    const write = await createAtsAdapter('ashby', text, { apiKey: 'ashby-key' })
      .setStatus({ candidateId: 'cand-1', applicationId: 'app-1' }, 'in_progress', aContext())
      .catch((error: unknown) => error);

    // Assess
    expect(refused.checks.find((c) => c.name === 'statusField.values')).toEqual(
      expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/Number field.*in_progress/) }),
    );
    expect(refused.ok).toBe(false);
    expect(statusOf(numbers, 'statusField.values')).toBeUndefined();
    expect(statusOf(onString, 'statusField.values')).toBeUndefined();
    expect(write).toEqual(expect.objectContaining({ reason: 'field_type' }));
  });

  it('fails a completed stage of type Archived, which Ashby moves to only with an archive reason', async () => {
    // Prepare
    const fake = await start();
    fake.state.stages.push('stage-archived');
    fake.state.stageDetails['stage-archived'] = {
      title: 'Archived',
      interviewPlanId: 'plan-1',
      type: 'Archived',
    };
    const ats = createAtsAdapter('ashby', config(fake.url), { apiKey: 'ashby-key' });

    // Act
    const report = await diagnoseAts(
      'ashby',
      config(fake.url),
      { apiKey: 'ashby-key' },
      {},
      {
        completedStageId: 'stage-archived',
      },
    );
    const move = await ats
      .moveStage?.(
        { candidateId: 'cand-1', applicationId: 'app-1' },
        { fromStageId: 'stage-1', toStageId: 'stage-archived' },
        aContext(),
      )
      .catch((error: Error) => error.name);

    // Assess
    expect(statusOf(report, 'completed stage')).toBe('ok');
    expect(statusOf(report, 'completed stage type')).toBe('fail');
    expect(report.ok).toBe(false);
    expect(move).toBe('AtsPermanentError');
  });

  it('fails a key without candidatesWrite, skips the check for a key that cannot read its scopes, fails a wrong key', async () => {
    // Prepare
    const fake = await start();

    // Act
    const diagnose = (apiKey: string) => diagnoseAts('ashby', config(fake.url), { apiKey });
    const readOnly = await diagnose('read-only');
    const noSelfRead = await diagnose('no-self-read');
    const wrongKey = await diagnose('not-a-key');

    // Assess
    expect([statusOf(readOnly, 'create a note'), readOnly.ok]).toEqual(['fail', false]);
    expect([statusOf(noSelfRead, 'create a note'), noSelfRead.ok]).toEqual(['skipped', true]);
    expect(wrongKey.checks).toEqual([expect.objectContaining({ name: 'authenticate', status: 'fail' })]);
  });
});

describe('the ATS doctor for adapters without an ATS API and for bad configuration', () => {
  it('has nothing to check for log and generic, and reports configuration errors as failed checks', async () => {
    // Act
    const reports = await Promise.all([
      diagnoseAts('log', {}, undefined),
      diagnoseAts('generic', { url: 'https://hooks.example.com' }, { signingSecret: 'whsec_x' }),
      diagnoseAts('lever', {}, { apiKey: 'k' }),
      diagnoseAts('workday', {}, undefined),
    ]);

    // Assess
    expect(reports.map((r) => [r.checks[0]?.name, r.checks[0]?.status])).toEqual([
      ['ATS API', 'skipped'],
      ['ATS API', 'skipped'],
      ['configuration', 'fail'],
      ['configuration', 'fail'],
    ]);
  });
});
