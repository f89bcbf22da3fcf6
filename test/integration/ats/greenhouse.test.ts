import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AtsNotFoundError, AtsPermanentError, AtsTransientError } from '../../../functions/ats/errors.js';
import { createGreenhouseAdapter } from '../../../functions/ats/greenhouse/adapter.js';
import {
  type FakeGreenhouse,
  type FakeGreenhouseOptions,
  startFakeGreenhouse,
} from '../../../local/fakes/greenhouse.js';
import {
  aContext,
  aGreenhouseNote,
  aScreeningNote,
  greenhouseCredentials as credentials,
  fastHttp,
  recordingSleep,
} from './factories.js';

const seed: FakeGreenhouseOptions['seed'] = {
  candidates: [
    {
      id: 11,
      first_name: 'Ada',
      last_name: 'L',
      email_addresses: [{ value: 'ada@example.com', type: 'personal' }],
    },
    { id: 12, email_addresses: [{ value: 'bob@example.com', type: 'work' }] },
  ],
  applications: [
    { id: 101, candidate_id: 11, job_id: 7, stage_id: 500, status: 'active' },
    { id: 102, candidate_id: 12, job_id: 7, stage_id: 500, status: 'active' },
    { id: 103, candidate_id: 12, job_id: 8, stage_id: 600, status: 'active' },
  ],
  candidateTags: [
    { id: 70, name: 'AI screening in progress' },
    { id: 71, name: 'AI screening completed' },
  ],
  jobInterviewStages: [
    { id: 500, name: 'Application Review', job_id: 7, priority: 0 },
    { id: 501, name: 'AI Screen Done', job_id: 7, priority: 1 },
    { id: 502, name: 'Onsite', job_id: 7, priority: 2 },
    { id: 600, name: 'Application Review', job_id: 8, priority: 0 },
  ],
};

/** A token from the fake's own `/token`, for requests a test sends by hand. */
const tokenFor = async (origin: string, sub = '42'): Promise<string> => {
  const response = await fetch(`${origin}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('gh-client:gh-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&sub=${sub}`,
  });
  return ((await response.json()) as { access_token: string }).access_token;
};

describe('Greenhouse adapter against the Harvest v3 fake', () => {
  let fake: FakeGreenhouse | undefined;
  const start = async (options: FakeGreenhouseOptions = {}) => {
    const started = await startFakeGreenhouse({ seed, ...options });
    fake = started;
    return started;
  };
  const running = (): FakeGreenhouse => {
    if (!fake) throw new Error('fake not started');
    return fake;
  };
  const adapterFor = (config: Record<string, unknown> = {}, sleep = recordingSleep().sleep) =>
    createGreenhouseAdapter(
      {
        baseUrl: `${running().url}/v3`,
        authUrl: `${running().url}/token`,
        userId: '42',
        http: fastHttp,
        ...config,
      },
      credentials,
      { sleep },
    );
  const requestsTo = (path: string) => running().state.requests.filter((r) => r.path === path);

  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  describe('with the default fake', () => {
    beforeEach(async () => {
      await start();
    });

    it('gets a client-credentials token, then finds the candidate by application id with a plural filter', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const match = await ats.findApplication({ atsApplicationId: '101', email: 'ignored@example.com' });

      // Assess
      expect(match).toEqual({ candidateId: '11', applicationId: '101' });
      const [token] = requestsTo('/token');
      expect(token).toMatchObject({
        method: 'POST',
        auth: { scheme: 'Basic' },
        body: { grant_type: 'client_credentials', sub: '42' },
        status: 200,
      });
      expect(requestsTo('/v3/applications')).toEqual([
        expect.objectContaining({
          method: 'GET',
          query: { ids: '101', per_page: '1' },
          auth: { scheme: 'Bearer', valid: true, sub: '42' },
        }),
      ]);
      expect(requestsTo('/v3/candidates')).toHaveLength(0);
    });

    it('finds a candidate by e-mail and picks the application of the given job', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const match = await ats.findApplication({ email: 'Bob@Example.com', atsJobId: '8' });

      // Assess
      expect(match).toEqual({ candidateId: '12', applicationId: '103' });
      expect(requestsTo('/v3/candidates')[0]?.query).toEqual({ email: 'Bob@Example.com', per_page: '100' });
      expect(requestsTo('/v3/applications')[0]?.query).toEqual({ candidate_ids: '12', per_page: '100' });
    });

    it('leaves the application out when the candidate has several and no job narrows them', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const match = await ats.findApplication({ email: 'bob@example.com' });

      // Assess
      expect(match).toEqual({ candidateId: '12' });
    });

    it('finds the candidate by e-mail when the vendor’s application id is not a Greenhouse id', async () => {
      // Prepare: an id from another ATS, or a typo, in micro1's ats_job_application_id
      const ats = adapterFor();

      // Act
      const match = await ats.findApplication({ atsApplicationId: 'rec_8f3a', email: 'ada@example.com' });

      // Assess
      expect(match).toEqual({ candidateId: '11', applicationId: '101' });
      expect(requestsTo('/v3/applications').map((r) => r.query)).toEqual([
        { candidate_ids: '11', per_page: '100' },
      ]);
    });

    it('reports a status tag id that is not one of the organisation’s tags as permanent', async () => {
      // Prepare
      const ats = adapterFor({ statusTagIds: { in_progress: 999, completed: 71 } });

      // Act
      const attempt = ats.setStatus({ candidateId: '11' }, 'in_progress', aContext());

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(AtsPermanentError);
      expect(running().state.appliedTags).toEqual([]);
    });

    it('returns undefined when neither the application id nor the e-mail exists', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const match = await ats.findApplication({ atsApplicationId: '999', email: 'nobody@example.com' });

      // Assess
      expect(match).toBeUndefined();
    });

    it('posts a plain-text note with the author, visibility and marker', async () => {
      // Prepare
      const ats = adapterFor({ noteVisibility: 'public' });

      // Act
      await ats.addNote({ candidateId: '11', applicationId: '101' }, aScreeningNote(), aContext());

      // Assess
      const [request] = requestsTo('/v3/notes');
      expect(request?.method).toBe('POST');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.body).toEqual({
        candidate_id: 11,
        application_id: 101,
        user_id: 42,
        body: expect.stringContaining('ref: interview-sync:evt-1'),
        visibility: 'public',
        note_type: 'NOTE',
      });
      expect(running().state.notes).toHaveLength(1);
      expect(running().state.notes[0]?.body).not.toMatch(/<[a-z]/i);
    });

    it('follows Link rel="next" exactly, with the cursor as the only parameter, to find an earlier note', async () => {
      // Prepare
      const notes = Array.from({ length: 5 }, (_, i) =>
        aGreenhouseNote(i + 1, {
          body: i === 4 ? 'AI screening\n\nref: interview-sync:evt-9' : `older note ${i}`,
        }),
      );
      running().state.notes.push(...notes);
      const ats = adapterFor({ perPage: 2 });

      // Act
      const found = await ats.hasNote?.({ candidateId: '11' }, 'interview-sync:evt-9');
      const missing = await ats.hasNote?.({ candidateId: '11' }, 'interview-sync:evt-404');

      // Assess
      expect(found).toBe(true);
      expect(missing).toBe(false);
      const pages = requestsTo('/v3/notes');
      expect(pages).toHaveLength(6);
      expect(pages[0]?.query).toEqual({ candidate_ids: '11', per_page: '2' });
      expect(Object.keys(pages[1]?.query ?? {})).toEqual(['cursor']);
      expect(pages.every((p) => p.status === 200)).toBe(true);
    });

    it('refuses to follow a next link to another host with the bearer token', async () => {
      // Prepare
      const ats = adapterFor();
      running().failNext({
        status: 200,
        body: [],
        headers: { link: '<https://elsewhere.example/v3/notes?cursor=abc>; rel="next"' },
        match: (r) => r.path === '/v3/notes',
      });

      // Act
      const attempt = ats.hasNote?.({ candidateId: '11' }, 'interview-sync:evt-1');

      // Assess
      await expect(attempt).rejects.toMatchObject({ name: 'AtsPermanentError', reason: 'invalid_response' });
    });

    it('refreshes the token once after a 401 and repeats the call', async () => {
      // Prepare
      const ats = adapterFor();
      await ats.findApplication({ atsApplicationId: '101' });
      running().expireTokens();

      // Act
      const match = await ats.findApplication({ atsApplicationId: '102' });

      // Assess
      expect(match).toEqual({ candidateId: '12', applicationId: '102' });
      expect(requestsTo('/token')).toHaveLength(2);
      expect(requestsTo('/v3/applications').map((r) => r.status)).toEqual([200, 401, 200]);
    });

    it('waits for Retry-After on a 429 and then succeeds', async () => {
      // Prepare
      const { sleep, calls } = recordingSleep();
      const ats = adapterFor({}, sleep);
      running().failNext({ status: 429, headers: { 'retry-after': '2' }, body: { errors: [] } });

      // Act
      const match = await ats.findApplication({ atsApplicationId: '101' });

      // Assess
      expect(match).toEqual({ candidateId: '11', applicationId: '101' });
      expect(calls).toContain(2000);
      expect(requestsTo('/v3/applications').map((r) => r.status)).toEqual([429, 200]);
    });

    it('does not repeat a note POST after a 500: the caller reconciles with hasNote', async () => {
      // Prepare
      const ats = adapterFor();
      running().failNext({ status: 500, match: (r) => r.path === '/v3/notes' });

      // Act
      const attempt = ats.addNote({ candidateId: '11' }, aScreeningNote(), aContext());

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(AtsTransientError);
      expect(requestsTo('/v3/notes')).toHaveLength(1);
    });

    it('turns a 422 into a permanent error without retrying', async () => {
      // Prepare
      const ats = adapterFor();
      running().failNext({
        status: 422,
        body: { errors: [{ message: 'bad' }] },
        match: (r) => r.path === '/v3/notes',
      });

      // Act
      const attempt = ats.addNote({ candidateId: '11' }, aScreeningNote(), aContext());

      // Assess
      await expect(attempt).rejects.toMatchObject({
        name: 'AtsPermanentError',
        status: 422,
        reason: 'invalid_request',
      });
      expect(requestsTo('/v3/notes')).toHaveLength(1);
    });

    it('reports refused client credentials as a permanent error', async () => {
      // Prepare
      const ats = createGreenhouseAdapter(
        { baseUrl: `${running().url}/v3`, authUrl: `${running().url}/token`, userId: '42', http: fastHttp },
        { clientId: 'gh-client', clientSecret: 'wrong' },
      );

      // Act
      const attempt = ats.findApplication({ atsApplicationId: '101' });

      // Assess
      await expect(attempt).rejects.toMatchObject({ name: 'AtsPermanentError', reason: 'unauthorized' });
      expect(requestsTo('/v3/applications')).toHaveLength(0);
    });

    it('reads the current stage from /v3/application_stages with plural filters', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const stage = await ats.currentStage?.({ candidateId: '11', applicationId: '101' });

      // Assess
      expect(stage).toBe(String(running().currentStageOf(101)));
      expect(requestsTo('/v3/application_stages')).toEqual([
        expect.objectContaining({
          method: 'GET',
          query: { application_ids: '101', current: 'true', per_page: '100' },
          status: 200,
        }),
      ]);
    });

    it('moves from the recorded stage with exactly from_stage_id and to_stage_id, and a repeat is already-there', async () => {
      // Prepare
      const ats = adapterFor();
      const match = { candidateId: '11', applicationId: '101' };
      const move = { fromStageId: '500', toStageId: '501' };

      // Act
      const first = await ats.moveStage?.(match, move, aContext());
      const repeat = await ats.moveStage?.(match, move, aContext());

      // Assess
      expect([first, repeat]).toEqual(['moved', 'already-there']);
      expect(running().state.moves).toEqual([{ application_id: 101, from_stage_id: 500, to_stage_id: 501 }]);
      const posts = requestsTo('/v3/applications/101/move');
      expect(posts.map((r) => [r.body, r.status])).toEqual([[{ from_stage_id: 500, to_stage_id: 501 }, 204]]);
      expect(running().currentStageOf(101)).toBe(501);
    });

    it('leaves an application of another job where it is (other-plan): the stage is one job’s', async () => {
      // Prepare: 501 is a stage of job 7; application 103 (Bob's) is on job 8, in its stage 600
      const ats = adapterFor();
      const move = (applicationId: string, fromStageId: string) =>
        ats.moveStage?.({ candidateId: '12', applicationId }, { fromStageId, toStageId: '501' }, aContext());

      // Act
      const otherJob = await move('103', '600');
      const again = await move('103', '600');
      const sameJob = await move('102', '500');

      // Assess: no move refused (422) and dead-lettered; each stage's job read once
      expect([otherJob, again, sameJob]).toEqual(['other-plan', 'other-plan', 'moved']);
      expect(requestsTo('/v3/applications/103/move')).toHaveLength(0);
      expect(running().currentStageOf(103)).toBe(600);
      expect(requestsTo('/v3/job_interview_stages').map((r) => r.query.ids)).toEqual(['600,501', '500']);
    });

    it.each([
      [403, 'the credential may not read job interview stages (the move does not need them)'],
      [422, 'Greenhouse refuses the `ids` filter there (unconfirmed by its references)'],
      [404, 'the stages route is not there'],
    ])('still moves when the stage read answers %i: %s', async (status) => {
      // Prepare
      const ats = adapterFor();
      running().failNext({
        status,
        match: (request) => request.path === '/v3/job_interview_stages',
        body: { errors: [{ message: 'refused' }] },
      });

      // Act
      const outcome = await ats.moveStage?.(
        { candidateId: '11', applicationId: '101' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess
      expect(outcome).toBe('moved');
      expect(running().currentStageOf(101)).toBe(501);
    });

    it('writes nothing when a recruiter moved the application elsewhere (moved-on)', async () => {
      // Prepare
      const ats = adapterFor();
      const match = { candidateId: '11', applicationId: '101' };
      await ats.moveStage?.(match, { fromStageId: '500', toStageId: '502' }, aContext());
      const postsBefore = requestsTo('/v3/applications/101/move').length;

      // Act
      const outcome = await ats.moveStage?.(match, { fromStageId: '500', toStageId: '501' }, aContext());

      // Assess
      expect(outcome).toBe('moved-on');
      expect(requestsTo('/v3/applications/101/move')).toHaveLength(postsBefore);
      expect(running().currentStageOf(101)).toBe(502);
    });

    it('moves exactly once when a 502 comes after Greenhouse applied the move (the 422 repeat is read back)', async () => {
      // Prepare
      const ats = adapterFor();
      running().faults.add({ method: 'POST', path: /\/move$/, status: 502, when: 'after' });

      // Act
      const outcome = await ats.moveStage?.(
        { candidateId: '11', applicationId: '101' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess
      expect(outcome).toBe('already-there');
      expect(running().state.moves).toHaveLength(1);
      expect(
        running()
          .log.entries.filter((e) => e.path.endsWith('/move'))
          .map((e) => e.status),
      ).toEqual([502, 422]);
    });

    it('moves once with the application-stage row id if that is what Greenhouse means by from_stage_id', async () => {
      // Prepare
      await fake?.close();
      await start({ moveFromStageIdIs: 'application_stage' });
      const ats = adapterFor();
      const rowId = running().state.applicationStages.find(
        (row) => row.application_id === 101 && row.current,
      )?.id;

      // Act
      const moved = await ats.moveStage?.(
        { candidateId: '11', applicationId: '101' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );
      const repeat = await ats.moveStage?.(
        { candidateId: '11', applicationId: '101' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess
      expect([moved, repeat]).toEqual(['moved', 'already-there']);
      expect(requestsTo('/v3/applications/101/move').map((r) => [r.body, r.status])).toEqual([
        [{ from_stage_id: 500, to_stage_id: 501 }, 422],
        [{ from_stage_id: rowId, to_stage_id: 501 }, 204],
      ]);
      expect(running().state.moves).toHaveLength(1);
    });

    it('fails for good, moving nothing, when neither reading of from_stage_id is the current stage', async () => {
      // Prepare: a fake that refuses every move as not from the current stage
      const ats = adapterFor();
      running().failNext({
        times: 2,
        match: (request) => request.path === '/v3/applications/101/move',
        status: 422,
        body: { errors: [{ field: 'from_stage_id', message: 'is not the current stage' }] },
      });

      // Act
      const attempt = ats.moveStage?.(
        { candidateId: '11', applicationId: '101' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess
      await expect(attempt).rejects.toMatchObject({ name: 'AtsPermanentError', status: 422 });
      expect(requestsTo('/v3/applications/101/move')).toHaveLength(2);
      expect(running().state.moves).toEqual([]);
    });

    it('refuses a stage move without a single application', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const attempt = ats.moveStage?.(
        { candidateId: '12' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess
      await expect(attempt).rejects.toMatchObject({ reason: 'ambiguous_application' });
    });

    it('reports an application without a visible current stage as not found', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const attempt = ats.moveStage?.(
        { candidateId: '11', applicationId: '999' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(AtsNotFoundError);
      expect(requestsTo('/v3/applications/999/move')).toHaveLength(0);
    });

    it('marks the status with the configured tag and removes the other one', async () => {
      // Prepare
      running().state.appliedTags.push({ id: 1, candidate_id: 11, candidate_tag_id: 70 });
      const ats = adapterFor({ statusTagIds: { in_progress: 70, completed: '71' } });

      // Act
      await ats.setStatus({ candidateId: '11' }, 'completed', aContext());
      await ats.setStatus({ candidateId: '11' }, 'completed', aContext());

      // Assess
      expect(running().state.appliedTags).toEqual([
        expect.objectContaining({ candidate_id: 11, candidate_tag_id: 71 }),
      ]);
      expect(requestsTo('/v3/applied_candidate_tags').filter((r) => r.method === 'POST')).toHaveLength(1);
    });

    it('takes a removal whose answer was lost (a 502 after it, the repeat 404) as done, not as a permanent failure', async () => {
      // Prepare
      running().state.appliedTags.push({ id: 1, candidate_id: 11, candidate_tag_id: 70 });
      running().faults.add({ method: 'DELETE', path: /applied_candidate_tags/, status: 502, when: 'after' });
      const ats = adapterFor({ statusTagIds: { in_progress: 70, completed: '71' } });

      // Act
      await ats.setStatus({ candidateId: '11' }, 'completed', aContext());

      // Assess
      expect(running().state.appliedTags).toEqual([
        expect.objectContaining({ candidate_id: 11, candidate_tag_id: 71 }),
      ]);
      expect(
        running()
          .log.entries.filter((e) => e.path.startsWith('/v3/applied_candidate_tags/'))
          .map((e) => e.status),
      ).toEqual([502, 404]);
    });

    it.each([
      ['apply answered 409 after it landed', 'POST', 409],
      ['removal answered 422 after it landed', 'DELETE', 422],
    ] as const)(
      'reads the tags back when a tag write is refused with another status (%s): as wanted, it is done',
      async (_what, method, status) => {
        // Prepare: the write lands, and the answer is a refusal whose status greenhouse.md does not document
        running().state.appliedTags.push({ id: 1, candidate_id: 11, candidate_tag_id: 70 });
        running().faults.add({ method, path: /applied_candidate_tags/, status, when: 'after' });
        const ats = adapterFor({ statusTagIds: { in_progress: 70, completed: '71' } });

        // Act
        await ats.setStatus({ candidateId: '11' }, 'completed', aContext());

        // Assess
        expect(running().state.appliedTags).toEqual([
          expect.objectContaining({ candidate_id: 11, candidate_tag_id: 71 }),
        ]);
      },
    );

    it('keeps the refusal of a tag write that did not land, read back', async () => {
      // Prepare
      running().faults.add({ method: 'POST', path: /applied_candidate_tags/, status: 409, when: 'before' });
      const ats = adapterFor({ statusTagIds: { in_progress: 70, completed: '71' } });

      // Act
      const outcome = await ats.setStatus({ candidateId: '11' }, 'completed', aContext()).catch((e) => e);

      // Assess
      expect(outcome).toBeInstanceOf(AtsPermanentError);
      expect(outcome).toMatchObject({ status: 409 });
      expect(running().state.appliedTags).toEqual([]);
    });

    it('completes two interviews of one candidate at once: the second apply (422 "already applied") is read back', async () => {
      // Prepare: two interviews (two applications) of candidate 11 end together; nothing orders their writes
      running().state.appliedTags.push({ id: 1, candidate_id: 11, candidate_tag_id: 70 });
      const ats = adapterFor({ statusTagIds: { in_progress: 70, completed: '71' } });

      // Act
      const outcomes = await Promise.allSettled([
        ats.setStatus({ candidateId: '11', applicationId: '101' }, 'completed', aContext()),
        ats.setStatus({ candidateId: '11', applicationId: '2' }, 'completed', aContext()),
      ]);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(running().state.appliedTags).toEqual([
        expect.objectContaining({ candidate_id: 11, candidate_tag_id: 71 }),
      ]);
      const posts = running().log.entries.filter(
        (e) => e.path === '/v3/applied_candidate_tags' && e.method === 'POST',
      );
      expect(posts.map((e) => e.status).sort()).toEqual([201, 422]);
    });

    it('keeps the completed tag of an earlier interview when a later one starts (tags belong to the candidate)', async () => {
      // Prepare: the candidate completed a screening for one job and starts another for a second job
      running().state.appliedTags.push({ id: 1, candidate_id: 11, candidate_tag_id: 71 });
      const ats = adapterFor({ statusTagIds: { in_progress: 70, completed: '71' } });

      // Act
      await ats.setStatus({ candidateId: '11', applicationId: '2' }, 'in_progress', aContext());

      // Assess
      expect(
        running()
          .state.appliedTags.map((tag) => tag.candidate_tag_id)
          .sort(),
      ).toEqual([70, 71]);
      expect(requestsTo('/v3/applied_candidate_tags').filter((r) => r.method === 'DELETE')).toHaveLength(0);
    });

    it('does nothing for the status when no tag is configured', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      await ats.setStatus({ candidateId: '11' }, 'in_progress', aContext());

      // Assess
      expect(running().state.requests).toHaveLength(0);
    });
  });

  describe('with duplicate profiles and old applications', () => {
    // Two profiles share ada's address (a returning candidate entered twice); cy has an old rejected
    // application beside the active one; di's only application is for job 8; eve and her duplicate both
    // have an active application.
    const profiles = (id: number, email: string) => ({
      id,
      email_addresses: [{ value: email, type: 'work' }],
    });
    const application = (id: number, candidateId: number, jobId: number, status: string) => ({
      id,
      candidate_id: candidateId,
      job_id: jobId,
      stage_id: jobId === 7 ? 500 : 600,
      status,
    });
    beforeEach(async () => {
      await start({
        seed: {
          ...seed,
          candidates: [
            profiles(11, 'ada@example.com'),
            profiles(21, 'ada@example.com'),
            profiles(13, 'cy@example.com'),
            profiles(14, 'di@example.com'),
            profiles(15, 'eve@example.com'),
            profiles(25, 'eve@example.com'),
          ],
          applications: [
            application(201, 11, 8, 'rejected'),
            application(202, 21, 7, 'active'),
            application(203, 13, 7, 'rejected'),
            application(204, 13, 8, 'active'),
            application(205, 14, 8, 'active'),
            application(206, 15, 7, 'active'),
            application(207, 25, 8, 'active'),
          ],
        },
      });
    });

    it('takes the profile whose application is for the event’s job, reading both profiles in one request', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const match = await ats.findApplication({ email: 'ada@example.com', atsJobId: '7' });

      // Assess
      expect(match).toEqual({ candidateId: '21', applicationId: '202' });
      expect(requestsTo('/v3/applications').map((r) => r.query)).toEqual([
        { candidate_ids: '11,21', per_page: '100' },
      ]);
    });

    it('without a job id, takes the only active application among the profiles’ applications', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const ada = await ats.findApplication({ email: 'ada@example.com' });
      const cy = await ats.findApplication({ email: 'cy@example.com' });

      // Assess
      expect(ada).toEqual({ candidateId: '21', applicationId: '202' });
      expect(cy).toEqual({ candidateId: '13', applicationId: '204' });
    });

    it('names no application of another job, and no profile when nothing tells duplicates apart', async () => {
      // Prepare
      const ats = adapterFor();

      // Act
      const otherJob = await ats.findApplication({ email: 'di@example.com', atsJobId: '7' });
      const twoActive = await ats.findApplication({ email: 'eve@example.com' });
      const moveOnOtherJob = ats.moveStage?.(
        otherJob ?? { candidateId: '14' },
        { fromStageId: '500', toStageId: '501' },
        aContext(),
      );

      // Assess: di's note still lands on her profile; eve's event is parked as unmatched for a person
      expect(otherJob).toEqual({ candidateId: '14' });
      expect(twoActive).toBeUndefined();
      await expect(moveOnOtherJob).rejects.toMatchObject({ reason: 'ambiguous_application' });
      expect(requestsTo('/v3/applications/205/move')).toHaveLength(0);
    });

    it('sends the e-mail and the application id without stray spaces, and the fake refuses spaced ids', async () => {
      // Prepare
      const ats = adapterFor();
      const token = await tokenFor(running().url);

      // Act
      const byEmail = await ats.findApplication({ email: ' di@example.com ' });
      const byId = await ats.findApplication({ atsApplicationId: ' 205 ' });
      const spaced = await fetch(`${running().url}/v3/applications?ids=%20205`, {
        headers: { authorization: `Bearer ${token}` },
      });

      // Assess
      expect(byEmail).toEqual({ candidateId: '14', applicationId: '205' });
      expect(byId).toEqual({ candidateId: '14', applicationId: '205' });
      expect(requestsTo('/v3/candidates')[0]?.query).toMatchObject({ email: 'di@example.com' });
      expect(spaced.status).toBe(422);
    });
  });

  it('pauses for a window when X-RateLimit-Remaining reaches 0 instead of running into a 429', async () => {
    // Prepare
    await start({ rateLimit: { limit: 2, windowMs: 150 } });
    running().state.notes.push(...[1, 2, 3, 4].map((id) => aGreenhouseNote(id)));
    const ats = createGreenhouseAdapter(
      {
        baseUrl: `${running().url}/v3`,
        authUrl: `${running().url}/token`,
        userId: 42,
        perPage: 1,
        rateLimit: { windowMs: 150 },
        http: fastHttp,
      },
      credentials,
    );
    const startedAt = Date.now();

    // Act
    const found = await ats.hasNote?.({ candidateId: '11' }, 'interview-sync:none');

    // Assess
    expect(found).toBe(false);
    const statuses = requestsTo('/v3/notes').map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
  });

  it('does not sleep out a spent window longer than the longest in-process wait: the event is retried later', async () => {
    // Prepare: the fake’s window allows one request a minute; the worker’s invocation has 60 s in all
    await start({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const sleeps = recordingSleep();
    const ats = adapterFor({ rateLimit: { windowMs: 60_000 } }, sleeps.sleep);
    await ats.findApplication({ atsApplicationId: '101' });

    // Act
    const startedAt = Date.now();
    const attempt = ats.findApplication({ atsApplicationId: '102' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AtsTransientError);
    await expect(attempt).rejects.toMatchObject({ retryAfterSeconds: 60 });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(requestsTo('/v3/applications').map((r) => r.query.ids)).toEqual(['101']);
  });

  it('pauses until the Retry-After of a 429 rather than a whole window', async () => {
    // Prepare: a 429 with Retry-After: 2 (its X-RateLimit-Remaining: 0 alone would pause a 60 s window)
    await start();
    running().failNext({
      status: 429,
      headers: { 'retry-after': '2', 'x-ratelimit-remaining': '0' },
    });
    const sleeps = recordingSleep();
    const ats = adapterFor({ rateLimit: { windowMs: 60_000 } }, sleeps.sleep);

    // Act
    const match = await ats.findApplication({ atsApplicationId: '101' });

    // Assess
    expect(match).toEqual({ candidateId: '11', applicationId: '101' });
    expect(sleeps.calls).toContain(2_000);
    expect(sleeps.calls.every((ms) => ms <= 2_000)).toBe(true);
  });

  /** `GET /v3/candidates` with a token of the running fake (its client credentials, user 42). */
  const candidatesCall = async (): Promise<() => Promise<Response>> => {
    const token = (await (
      await fetch(`${running().url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('gh-client:gh-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&sub=42',
      })
    ).json()) as { access_token: string };
    return () =>
      fetch(`${running().url}/v3/candidates`, { headers: { authorization: `Bearer ${token.access_token}` } });
  };

  it('the fake answers 429 with Retry-After beyond its window', async () => {
    // Prepare
    await start({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const call = await candidatesCall();

    // Act
    const first = await call();
    const second = await call();

    // Assess
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('the fake counts the window on every answer even with no limit configured, as Greenhouse always has one', async () => {
    // Prepare
    await start();
    const call = await candidatesCall();

    // Act
    const first = await call();
    const second = await call();

    // Assess
    expect(Number(first.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(
      Number(first.headers.get('x-ratelimit-remaining')) - 1,
    );
  });

  it('the fake rejects singular filters and a cursor combined with other parameters', async () => {
    // Prepare
    await start();
    const form = 'grant_type=client_credentials&sub=42';
    const basic = `Basic ${Buffer.from('gh-client:gh-secret').toString('base64')}`;
    const tokenResponse = await fetch(`${running().url}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
    const get = (query: string) =>
      fetch(`${running().url}/v3/applications?${query}`, {
        headers: { authorization: `Bearer ${access_token}` },
      });

    // Act
    const singular = await get('candidate_id=11');
    const notAnId = await get('ids=rec_8f3a');
    const mixed = await get('cursor=abc&per_page=2');
    const noSub = await fetch(`${running().url}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });

    // Assess
    expect(singular.status).toBe(422);
    expect(notAnId.status).toBe(422);
    expect(mixed.status).toBe(422);
    expect(noSub.status).toBe(400);
  });

  it('the fake refuses a move without from_stage_id, with unknown keys or from a stage that is not current', async () => {
    // Prepare
    await start();
    const token = await tokenFor(running().url);
    const move = (body: unknown) =>
      fetch(`${running().url}/v3/applications/101/move`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Act
    const statuses = [
      (await move({ to_stage_id: 501 })).status,
      (await move({ from_stage_id: 500, to_stage_id: 501, job_interview_stage_id: 501 })).status,
      (await move({ from_stage_id: 600, to_stage_id: 501 })).status,
      (await move({ from_stage_id: 500, to_stage_id: 600 })).status,
    ];
    const advance = await move({ from_stage_id: 500 });

    // Assess
    expect(statuses).toEqual([422, 422, 422, 422]);
    expect(advance.status).toBe(204);
    expect(running().currentStageOf(101)).toBe(501);
  });

  it('the fake refuses a move to any stage of a job it was seeded without stages', async () => {
    // Prepare
    await start({ seed: { ...seed, jobInterviewStages: [] } });
    const token = await tokenFor(running().url);

    // Act
    const response = await fetch(`${running().url}/v3/applications/101/move`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from_stage_id: 500, to_stage_id: 501 }),
    });

    // Assess
    expect(response.status).toBe(422);
    expect(running().state.moves).toEqual([]);
  });

  it('the fake refuses a note with unknown keys or another candidate’s application', async () => {
    // Prepare
    await start();
    const token = await tokenFor(running().url);
    const note = (changes: Record<string, unknown>) =>
      fetch(`${running().url}/v3/notes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          candidate_id: 11,
          user_id: 42,
          body: 'AI screening completed',
          visibility: 'admin_only',
          note_type: 'NOTE',
          ...changes,
        }),
      });

    // Act
    const statuses = [
      (await note({ subject: 'x' })).status,
      (await note({ application_id: 102 })).status,
      (await note({ application_id: '101' })).status,
      (await note({ application_id: 101 })).status,
      (await note({})).status,
    ];

    // Assess
    expect(statuses).toEqual([422, 422, 422, 201, 201]);
    expect(running().state.notes.map((n) => n.application_id)).toEqual([101, null]);
  });

  it('the fake refuses a candidate tag with unknown keys', async () => {
    // Prepare
    await start();
    const token = await tokenFor(running().url);
    const tag = (extra: Record<string, unknown>) =>
      fetch(`${running().url}/v3/applied_candidate_tags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ candidate_id: 11, candidate_tag_id: 70, ...extra }),
      });

    // Act
    const statuses = [(await tag({ bogus: true })).status, (await tag({})).status];

    // Assess
    expect(statuses).toEqual([422, 201]);
    expect(running().state.appliedTags).toHaveLength(1);
  });

  it('the fake refuses a v3 write without Content-Type application/json (415), a charset allowed', async () => {
    // Prepare
    await start();
    const token = await tokenFor(running().url);
    const post = (path: string, body: unknown, contentType?: string) =>
      fetch(`${running().url}/v3/${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
        },
        body: JSON.stringify(body),
      });
    const move = { from_stage_id: 500, to_stage_id: 501 };
    const tag = { candidate_id: 11, candidate_tag_id: 70 };

    // Act: a body that parses as JSON, sent without the header or as text/plain (fetch’s default for a string)
    const refused = [
      await post('applications/101/move', move, 'text/plain'),
      await post('applications/101/move', move, 'application/x-www-form-urlencoded'),
      await post('applied_candidate_tags', tag, 'text/plain'),
      await post('applied_candidate_tags', tag),
    ];
    const applied = await post('applied_candidate_tags', tag, 'application/json; charset=utf-8');

    // Assess
    expect(refused.map((response) => response.status)).toEqual([415, 415, 415, 415]);
    expect(await refused[0]?.json()).toEqual({ errors: [{ message: expect.any(String) }] });
    expect(running().state.moves).toEqual([]);
    expect(running().currentStageOf(101)).toBe(500);
    expect(applied.status).toBe(201);
    expect(running().state.appliedTags).toHaveLength(1);
  });

  it('fails a note for good, creating nothing, when the credentials lack the notes scope (403)', async () => {
    // Prepare: credentials granted the list scopes only
    await start({
      tokenScopes: ['harvest:candidates:list', 'harvest:applications:list', 'harvest:notes:list'],
    });
    const ats = adapterFor();

    // Act
    const found = await ats.findApplication({ email: 'ada@example.com' });
    const attempt = ats.addNote({ candidateId: '11' }, aScreeningNote(), aContext());

    // Assess
    expect(found?.candidateId).toBe('11');
    await expect(attempt).rejects.toMatchObject({ name: 'AtsPermanentError', status: 403 });
    expect(running().state.notes).toEqual([]);
  });

  it.each(['applications', 'application_stages', 'job_interview_stages', 'candidate_tags', 'custom_fields'])(
    'the fake refuses GET /v3/%s 403 to a token without its list scope, and serves it with the scope',
    async (collection) => {
      // Prepare: a fake granting every list scope but this collection's, and one granting it alone
      const all = [
        'applications',
        'application_stages',
        'job_interview_stages',
        'candidate_tags',
        'custom_fields',
      ];
      const lacking = await startFakeGreenhouse({
        seed,
        tokenScopes: all.filter((name) => name !== collection).map((name) => `harvest:${name}:list`),
      });
      const granted = await start({ tokenScopes: [`harvest:${collection}:list`] });
      const get = async (greenhouse: FakeGreenhouse) =>
        (
          await fetch(`${greenhouse.url}/v3/${collection}?ids=1`, {
            headers: { authorization: `Bearer ${await tokenFor(greenhouse.url)}` },
          })
        ).status;

      try {
        // Act
        const statuses = [await get(lacking), await get(granted)];

        // Assess
        expect(statuses).toEqual([403, 200]);
      } finally {
        await lacking.close();
      }
    },
  );

  it('fails a lookup by e-mail for good when the credentials lack the applications scope (403)', async () => {
    // Prepare: the candidates found, but not their applications
    await start({ tokenScopes: ['harvest:candidates:list', 'harvest:notes:list', 'harvest:notes:create'] });
    const ats = adapterFor();

    // Act
    const lookup = ats.findApplication({ email: 'ada@example.com' });

    // Assess
    await expect(lookup).rejects.toMatchObject({ name: 'AtsPermanentError', status: 403 });
  });

  it('the fake serves v3 application rows without job_interview_stage_id, and stages as their own rows', async () => {
    // Prepare
    await start();
    const token = await tokenFor(running().url);
    const get = async (query: string) =>
      (
        await fetch(`${running().url}/v3/${query}`, { headers: { authorization: `Bearer ${token}` } })
      ).json() as Promise<Array<Record<string, unknown>>>;

    // Act
    const [application] = await get('applications?ids=101');
    const stages = await get('application_stages?application_ids=101&current=true');
    const badCurrent = await fetch(`${running().url}/v3/application_stages?current=yes`, {
      headers: { authorization: `Bearer ${token}` },
    });

    // Assess
    expect(application).toMatchObject({ id: 101, stage_id: 500, stage_name: 'Application Review' });
    expect(application).not.toHaveProperty('job_interview_stage_id');
    expect(stages).toEqual([
      expect.objectContaining({ application_id: 101, job_interview_stage_id: 500, current: true }),
    ]);
    expect(badCurrent.status).toBe(422);
  });

  it('gives a limited `sub` user empty lists, so an earlier note goes unseen', async () => {
    // Prepare
    await start({ limitedUsers: ['77'] });
    running().state.notes.push(aGreenhouseNote(1, { body: 'x\n\nref: interview-sync:evt-1' }));
    const limited = adapterFor({ userId: '77' });
    const admin = adapterFor();

    // Act
    const seenByLimited = await limited.hasNote?.({ candidateId: '11' }, 'interview-sync:evt-1');
    const seenByAdmin = await admin.hasNote?.({ candidateId: '11' }, 'interview-sync:evt-1');

    // Assess
    expect([seenByLimited, seenByAdmin]).toEqual([false, true]);
  });

  it('accepts a token answer with expires_at instead of expires_in and reuses the token', async () => {
    // Prepare
    await start({ tokenExpiry: 'expires_at' });
    const ats = adapterFor();

    // Act
    await ats.findApplication({ atsApplicationId: '101' });
    await ats.findApplication({ atsApplicationId: '102' });

    // Assess
    expect(requestsTo('/token')).toHaveLength(1);
    expect(requestsTo('/v3/applications').map((r) => r.status)).toEqual([200, 200]);
  });

  it('rejects a config without userId at creation', () => {
    // Act
    const create = () => createGreenhouseAdapter({}, credentials);

    // Assess
    expect(create).toThrow(/ATS_CONFIG for greenhouse is invalid/);
    expect(() => createGreenhouseAdapter({ userId: 1 }, {})).toThrow(/lack: clientId, clientSecret/);
    expect(() => createGreenhouseAdapter({ userId: 1, perPage: 501 }, credentials)).toThrow(/perPage/);
  });
});
