import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AtsNotFoundError, AtsTransientError } from '../../../functions/ats/errors.js';
import { createLeverAdapter } from '../../../functions/ats/lever/adapter.js';
import { defaultAtsDeadlineMs } from '../../../functions/ats/transport.js';
import { type FakeLever, startFakeLever } from '../../../local/fakes/lever.js';
import { aContext, anOpportunity, aScreeningNote, fastHttp, recordingSleep } from './factories.js';

const basicFor = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('Lever adapter against the Lever fake', () => {
  let fake: FakeLever;
  const requestsTo = (path: string) => fake.state.requests.filter((r) => r.path === path);
  const adapterFor = (config: Record<string, unknown> = {}, sleep = recordingSleep().sleep) =>
    createLeverAdapter(
      { baseUrl: `${fake.url}/v1`, performAs: 'user-1', http: fastHttp, ...config },
      { apiKey: 'lever-key' },
      { sleep },
    );

  beforeEach(async () => {
    fake = await startFakeLever({
      seed: {
        users: ['user-1'],
        stages: ['stage-applied', 'stage-screened'],
        opportunities: [
          anOpportunity({ id: 'opp-old', createdAt: 1_600_000_000_000 }),
          anOpportunity({
            id: 'opp-archived',
            createdAt: 1_800_000_000_000,
            archived: { archivedAt: 1, reason: 'r' },
          }),
          anOpportunity({ id: 'opp-1' }),
          anOpportunity({ id: 'opp-2', contact: 'contact-2', emails: ['bob@example.com'] }),
        ],
      },
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('ends a request to an ATS that never answers at the default deadline, retries included', async () => {
    // Prepare: attempts of 8 s, 4 of them (32 s without a deadline, more than the worker's 60 s holds in turn)
    const held = fake.faults.hold({ every: true });
    const ats = adapterFor({ http: { timeoutMs: 8000, maxAttempts: 4, baseDelayMs: 1 } });
    const startedAt = Date.now();

    // Act
    const error = await ats.findApplication({ email: 'ada@example.com' }).catch((e: unknown) => e);

    // Assess
    const elapsed = Date.now() - startedAt;
    held.abort();
    expect(error).toBeInstanceOf(AtsTransientError);
    expect(elapsed).toBeGreaterThanOrEqual(defaultAtsDeadlineMs - 500);
    expect(elapsed).toBeLessThan(defaultAtsDeadlineMs + 4000);
  }, 60_000);

  it('finds the newest active opportunity by e-mail with Basic auth', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com' });

    // Assess
    expect(match).toEqual({ candidateId: 'contact-1', applicationId: 'opp-1' });
    expect(requestsTo('/v1/opportunities')).toEqual([
      expect.objectContaining({
        method: 'GET',
        query: { email: 'ada@example.com', limit: '100' },
        auth: { scheme: 'Basic', valid: true },
      }),
    ]);
  });

  it("finds the opportunity for the vendor's ATS job id (a posting), not the contact's newest one", async () => {
    // Prepare: the old opportunity is the one for posting-old; opp-1 (newer, active) is for another posting.
    const old = fake.state.opportunities.find((o) => o.id === 'opp-old');
    if (old === undefined) throw new Error('seed changed');
    old.postingIds = ['posting-old'];
    const ats = adapterFor();

    // Act
    const forJob = await ats.findApplication({ email: 'ada@example.com', atsJobId: 'posting-old' });
    const unknownJob = await ats.findApplication({ email: 'ada@example.com', atsJobId: 'posting-9' });

    // Assess
    expect(forJob).toEqual({ candidateId: 'contact-1', applicationId: 'opp-old' });
    // A job id none of the contact's opportunities is for: the newest unarchived one, as without a job id.
    expect(unknownJob).toEqual({ candidateId: 'contact-1', applicationId: 'opp-1' });
    expect(requestsTo('/v1/opportunities').map((r) => r.query)).toEqual([
      { email: 'ada@example.com', posting_id: 'posting-old', limit: '100' },
      { email: 'ada@example.com', posting_id: 'posting-9', limit: '100' },
      { email: 'ada@example.com', limit: '100' },
    ]);
  });

  it('never takes an opportunity the answer shows is another address’s, whatever the e-mail filter returned', async () => {
    // Prepare: a list answer that matched loosely (a filter ignored or misspelt): the account's newest
    // opportunity is Bob's; Ada's is older. An opportunity that shows no addresses is trusted to the filter.
    const bob = anOpportunity({
      id: 'opp-bob',
      contact: 'contact-2',
      emails: ['Bob@example.com'],
      createdAt: 1_900_000_000_000,
    });
    const ada = anOpportunity({ id: 'opp-ada', emails: [' ADA@example.com '] });
    const { emails: _shown, ...unshown } = anOpportunity({
      id: 'opp-unshown',
      contact: 'contact-3',
      createdAt: 1_000,
    });
    const loose = (data: unknown[]) =>
      fake.failNext({
        status: 200,
        body: { data, hasNext: false },
        match: (r) => r.path === '/v1/opportunities',
      });
    const ats = adapterFor();

    // Act
    loose([bob, ada]);
    const amongOthers = await ats.findApplication({ email: 'ada@example.com' });
    loose([bob]);
    const onlyOthers = await ats.findApplication({ email: 'ada@example.com' });
    loose([bob, unshown]);
    const unshownKept = await ats.findApplication({ email: 'ada@example.com' });

    // Assess
    expect(amongOthers).toEqual({ candidateId: 'contact-1', applicationId: 'opp-ada' });
    expect(onlyOthers).toBeUndefined();
    expect(unshownKept).toEqual({ candidateId: 'contact-3', applicationId: 'opp-unshown' });
  });

  it('looks for the contact by e-mail alone when Lever refuses the job id as a posting id (400)', async () => {
    // Prepare: Lever answers the filtered list 400, as for a malformed posting id (another system's job id)
    fake.failNext({
      status: 400,
      body: { code: 'BadRequestError', message: 'Invalid posting_id' },
      match: (r) => r.path === '/v1/opportunities' && r.query.posting_id !== undefined,
    });
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'ada@example.com', atsJobId: 'JOB-123' });

    // Assess
    expect(match).toEqual({ candidateId: 'contact-1', applicationId: 'opp-1' });
    expect(requestsTo('/v1/opportunities').map((r) => r.query)).toEqual([
      { email: 'ada@example.com', posting_id: 'JOB-123', limit: '100' },
      { email: 'ada@example.com', limit: '100' },
    ]);
  });

  it('keeps an earlier interview’s "completed" tag when another interview on the opportunity starts', async () => {
    // Prepare
    const ats = adapterFor();
    const match = { candidateId: 'contact-1', applicationId: 'opp-1' };
    await ats.setStatus(match, 'completed', aContext());

    // Act
    await ats.setStatus(match, 'in_progress', aContext());

    // Assess: both true at once; only a completion ends "in progress"
    expect(fake.state.opportunities.find((o) => o.id === 'opp-1')?.tags).toEqual(
      expect.arrayContaining(['AI screening completed', 'AI screening in progress']),
    );
    expect(
      requestsTo('/v1/opportunities/opp-1/removeTags').map((r) => (r.body as { tags: string[] }).tags),
    ).toEqual([['AI screening in progress']]);
  });

  it('uses the application id as an opportunity id and falls back to the e-mail when it does not exist', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const direct = await ats.findApplication({ atsApplicationId: 'opp-2' });
    const fallback = await ats.findApplication({ atsApplicationId: 'opp-missing', email: 'bob@example.com' });
    const none = await ats.findApplication({ atsApplicationId: 'opp-missing', email: 'nobody@example.com' });

    // Assess
    expect(direct).toEqual({ candidateId: 'contact-2', applicationId: 'opp-2' });
    expect(fallback).toEqual({ candidateId: 'contact-2', applicationId: 'opp-2' });
    expect(none).toBeUndefined();
  });

  it('falls back to the e-mail when Lever refuses the vendor’s application id as malformed (400)', async () => {
    // Prepare: another system's id (Lever's are UUIDs), refused as a bad request
    const ats = adapterFor();
    fake.failNext({
      status: 400,
      body: { code: 'BadRequestError', message: 'invalid opportunity id' },
      match: (r) => r.path === '/v1/opportunities/12345',
    });

    // Act
    const found = await ats.findApplication({ atsApplicationId: '12345', email: 'bob@example.com' });

    // Assess
    expect(found).toEqual({ candidateId: 'contact-2', applicationId: 'opp-2' });
  });

  it('posts a plain-text note on the opportunity with perform_as', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    await ats.addNote({ candidateId: 'contact-1', applicationId: 'opp-1' }, aScreeningNote(), aContext());

    // Assess
    const [request] = requestsTo('/v1/opportunities/opp-1/notes');
    expect(request).toMatchObject({ method: 'POST', query: { perform_as: 'user-1' }, status: 201 });
    expect(request?.body).toEqual({
      value: expect.stringContaining('ref: interview-sync:evt-1'),
      secret: false,
    });
    expect(fake.state.notes).toHaveLength(1);
    expect(requestsTo('/v1/opportunities/opp-1/addLinks')).toHaveLength(0);
  });

  it('posts a transcript that quotes HTML as it is: Lever shows it literally', async () => {
    // Prepare: a candidate's answer that talks about markup
    const ats = adapterFor();
    const note = aScreeningNote({
      sections: [{ heading: 'Questions', items: [{ label: 'Markup', text: 'I would wrap it in <b> tags' }] }],
    });

    // Act
    await ats.addNote({ candidateId: 'contact-1', applicationId: 'opp-1' }, note, aContext());

    // Assess: the answer's words arrive unchanged, and the adapter adds no markup of its own
    const stored = fake.state.notes[0]?.fields[0]?.value;
    expect(stored).toContain('I would wrap it in <b> tags');
    expect(stored?.replace('<b>', '')).not.toMatch(/<\/?[a-z][a-z0-9]*(\s[^>]*)?>/i);
  });

  it('adds only the links the contact lacks, as their own effect, when addLinks is on', async () => {
    // Prepare
    fake.state.opportunities[2]?.links.push('https://media.example.com/rec/1');
    const ats = adapterFor({ addLinks: true });
    const match = { candidateId: 'contact-1', applicationId: 'opp-1' };
    const links = [
      { label: 'Recording', url: 'https://media.example.com/rec/1' },
      { label: 'Report', url: 'https://reports.example.com/r/9' },
    ];

    // Act
    await ats.addLinks?.(match, links, aContext());
    await ats.addLinks?.(match, links, aContext());

    // Assess
    expect(requestsTo('/v1/opportunities/opp-1/addLinks')).toEqual([
      expect.objectContaining({
        method: 'POST',
        query: { perform_as: 'user-1' },
        body: { links: ['https://reports.example.com/r/9'] },
        status: 200,
      }),
    ]);
    // Contact-level: every opportunity of the person shows the links.
    const ofContact = fake.state.opportunities.filter((o) => o.contact === 'contact-1');
    expect(ofContact.map((o) => o.links)).toEqual(ofContact.map(() => links.map((link) => link.url)));
  });

  it('never re-sends addLinks blindly after an answer it did not get: the retry reads the links first', async () => {
    // Prepare: whether Lever de-duplicates links is not documented (lever.md), so a retry that re-posted after
    // a lost answer could add them twice. A 502 stands for that answer.
    const ats = adapterFor({ addLinks: true });
    const match = { candidateId: 'contact-1', applicationId: 'opp-1' };
    const links = [{ label: 'Report', url: 'https://reports.example.com/r/9' }];
    fake.failNext({ status: 502, match: (r) => r.path === '/v1/opportunities/opp-1/addLinks' });

    // Act
    const first = ats.addLinks?.(match, links, aContext());
    await expect(first).rejects.toBeInstanceOf(AtsTransientError);
    const sentOnce = requestsTo('/v1/opportunities/opp-1/addLinks').length;
    await ats.addLinks?.(match, links, aContext());

    // Assess: one POST per attempt of the effect, and the retry read the opportunity before posting
    expect(sentOnce).toBe(1);
    const calls = fake.state.requests.map((r) => `${r.method} ${r.path}`);
    const retry = calls.slice(calls.indexOf('POST /v1/opportunities/opp-1/addLinks') + 1);
    expect(retry).toEqual(['GET /v1/opportunities/opp-1', 'POST /v1/opportunities/opp-1/addLinks']);
  });

  it('has no addLinks unless the addLinks switch is on, and never adds links with a note', async () => {
    // Prepare
    const off = adapterFor();
    const on = adapterFor({ addLinks: true });

    // Act
    await on.addNote({ candidateId: 'contact-1', applicationId: 'opp-1' }, aScreeningNote(), aContext());

    // Assess
    expect(off.addLinks).toBeUndefined();
    expect(on.addLinks).toBeInstanceOf(Function);
    expect(requestsTo('/v1/opportunities/opp-1/addLinks')).toHaveLength(0);
  });

  it('follows hasNext/next across pages to find a note by its marker', async () => {
    // Prepare
    for (let i = 0; i < 150; i += 1) {
      fake.state.notes.push({
        id: `n${i}`,
        opportunityId: 'opp-1',
        text: '',
        fields: [
          { type: 'note', text: 'Note', value: i === 149 ? 'x\n\nref: interview-sync:evt-7' : `note ${i}` },
        ],
        secret: false,
        user: 'user-1',
        createdAt: i,
      });
    }
    const ats = adapterFor();

    // Act
    const found = await ats.hasNote?.(
      { candidateId: 'contact-1', applicationId: 'opp-1' },
      'interview-sync:evt-7',
    );

    // Assess
    expect(found).toBe(true);
    const pages = requestsTo('/v1/opportunities/opp-1/notes');
    expect(pages).toHaveLength(2);
    expect(pages[0]?.query).toEqual({ limit: '100' });
    expect(pages[1]?.query).toEqual({ limit: '100', offset: expect.any(String) });
  });

  it('sets the status tag and removes the other one, both with perform_as', async () => {
    // Prepare
    fake.state.opportunities[2]?.tags.push('AI screening in progress', 'Backend');
    const ats = adapterFor();

    // Act
    await ats.setStatus({ candidateId: 'contact-1', applicationId: 'opp-1' }, 'completed', aContext());

    // Assess
    expect(fake.state.opportunities.find((o) => o.id === 'opp-1')?.tags).toEqual([
      'Backend',
      'AI screening completed',
    ]);
    expect(requestsTo('/v1/opportunities/opp-1/addTags')[0]).toMatchObject({
      query: { perform_as: 'user-1' },
      body: { tags: ['AI screening completed'] },
    });
    expect(requestsTo('/v1/opportunities/opp-1/removeTags')[0]?.body).toEqual({
      tags: ['AI screening in progress'],
    });
  });

  it('reads the current stage from the opportunity', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const stage = await ats.currentStage?.({ candidateId: 'contact-1', applicationId: 'opp-1' });

    // Assess
    expect(stage).toBe(fake.state.opportunities.find((o) => o.id === 'opp-1')?.stage);
    expect(requestsTo('/v1/opportunities/opp-1')).toEqual([
      expect.objectContaining({ method: 'GET', status: 200 }),
    ]);
  });

  it('moves the opportunity with PUT from the recorded stage; a repeat is already-there, a recruiter move moved-on', async () => {
    // Prepare
    const ats = adapterFor();
    const match = { candidateId: 'contact-1', applicationId: 'opp-1' };
    const other = { candidateId: 'contact-2', applicationId: 'opp-2' };
    const found = fake.state.opportunities.find((o) => o.id === 'opp-2');
    if (found) found.stage = 'stage-screened';

    // Act
    const first = await ats.moveStage?.(
      match,
      { fromStageId: 'stage-applied', toStageId: 'stage-screened' },
      aContext(),
    );
    const repeat = await ats.moveStage?.(
      match,
      { fromStageId: 'stage-applied', toStageId: 'stage-screened' },
      aContext(),
    );
    const movedOn = await ats.moveStage?.(
      other,
      { fromStageId: 'stage-applied', toStageId: 'stage-offer' },
      aContext(),
    );

    // Assess
    expect([first, repeat, movedOn]).toEqual(['moved', 'already-there', 'moved-on']);
    expect(requestsTo('/v1/opportunities/opp-1/stage')).toEqual([
      expect.objectContaining({
        method: 'PUT',
        query: { perform_as: 'user-1' },
        body: { stage: 'stage-screened' },
      }),
    ]);
    expect(requestsTo('/v1/opportunities/opp-2/stage')).toHaveLength(0);
    expect(fake.state.opportunities.find((o) => o.id === 'opp-1')?.stage).toBe('stage-screened');
  });

  it('never re-sends a stage move after an answer it did not get (a recruiter may have moved on since): the retry reads the stage first', async () => {
    // Prepare: a 502 stands for the lost answer of a move that may have landed
    const ats = adapterFor();
    const match = { candidateId: 'contact-1', applicationId: 'opp-1' };
    const move = { fromStageId: 'stage-applied', toStageId: 'stage-screened' };
    fake.failNext({ status: 502, match: (r) => r.path === '/v1/opportunities/opp-1/stage' });

    // Act
    const first = ats.moveStage?.(match, move, aContext());
    await expect(first).rejects.toBeInstanceOf(AtsTransientError);
    const sentOnce = requestsTo('/v1/opportunities/opp-1/stage').length;
    const retried = await ats.moveStage?.(match, move, aContext());

    // Assess: one PUT per attempt of the effect, each after a read of the stage
    expect(sentOnce).toBe(1);
    expect(retried).toBe('moved');
    const calls = fake.state.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls.filter((call) => call.endsWith('/stage'))).toEqual([
      'PUT /v1/opportunities/opp-1/stage',
      'PUT /v1/opportunities/opp-1/stage',
    ]);
    expect(calls.at(-2)).toBe('GET /v1/opportunities/opp-1');
  });

  it('waits for Retry-After on a 429', async () => {
    // Prepare
    const { sleep, calls } = recordingSleep();
    const ats = adapterFor({}, sleep);
    fake.failNext({ status: 429, headers: { 'retry-after': '3' } });

    // Act
    const match = await ats.findApplication({ email: 'bob@example.com' });

    // Assess
    expect(match?.applicationId).toBe('opp-2');
    expect(calls).toEqual([3000]);
  });

  it('backs off and repeats a 429 that carries no Retry-After (lever.md: honour it "if present")', async () => {
    // Prepare
    const { sleep, calls } = recordingSleep();
    const ats = adapterFor({}, sleep);
    fake.failNext({ status: 429, body: { code: 'TooManyRequests', message: 'rate limit' } });

    // Act
    const match = await ats.findApplication({ email: 'bob@example.com' });

    // Assess: one wait of the client's own (jittered) backoff, then the answer; not given up as refused
    expect(match?.applicationId).toBe('opp-2');
    expect(calls).toHaveLength(1);
    expect(requestsTo('/v1/opportunities').length + requestsTo('/v1/contacts').length).toBeGreaterThan(0);
  });

  it('reports a missing opportunity as not found and a refused stage as permanent, without retrying', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const [note, stage, goneStage] = await Promise.allSettled([
      ats.addNote({ candidateId: 'c', applicationId: 'opp-gone' }, aScreeningNote(), aContext()),
      ats.moveStage?.(
        { candidateId: 'c', applicationId: 'opp-1' },
        { fromStageId: 'stage-applied', toStageId: 'no-such-stage' },
        aContext(),
      ),
      ats.moveStage?.(
        { candidateId: 'c', applicationId: 'opp-gone' },
        { toStageId: 'stage-screened' },
        aContext(),
      ),
    ]);

    // Assess
    expect(note).toMatchObject({ status: 'rejected', reason: expect.any(AtsNotFoundError) });
    expect(stage).toMatchObject({ status: 'rejected', reason: { name: 'AtsPermanentError', status: 400 } });
    expect(goneStage).toMatchObject({ status: 'rejected', reason: expect.any(AtsNotFoundError) });
    expect(requestsTo('/v1/opportunities/opp-1/stage')).toHaveLength(1);
  });

  it('the fake refuses a links body that is not a non-empty array of strings, and keys without endpoints', async () => {
    // Prepare
    await fake.close();
    fake = await startFakeLever({
      keyPermissions: { 'no-endpoints': 'none', 'reader-key': 'read-only' },
      seed: { users: ['user-1'], opportunities: [anOpportunity()] },
    });
    const post = (body: unknown, key = 'lever-key') =>
      fetch(`${fake.url}/v1/opportunities/opp-1/addLinks?perform_as=user-1`, {
        method: 'POST',
        headers: { authorization: basicFor(key), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const list = (key: string) =>
      fetch(`${fake.url}/v1/opportunities`, { headers: { authorization: basicFor(key) } });

    // Act
    const statuses = [
      (await post({ links: 'https://x.example' })).status,
      (await post({ links: [] })).status,
      (await post({ links: [{ url: 'https://x.example' }] })).status,
      (await post({ links: ['https://x.example'] }, 'no-endpoints')).status,
      (await post({ links: ['https://x.example'] }, 'reader-key')).status,
      (await list('no-endpoints')).status,
      (await list('reader-key')).status,
    ];

    // Assess
    expect(statuses).toEqual([400, 400, 400, 403, 403, 403, 200]);
    expect(fake.state.opportunities[0]?.links).toEqual([]);
  });

  it('the fake refuses writes without perform_as and a wrong key, and keeps HTML in a note as literal text', async () => {
    // Prepare
    const post = (path: string, body: unknown, key = 'lever-key') =>
      fetch(`${fake.url}/v1${path}`, {
        method: 'POST',
        headers: { authorization: basicFor(key), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Act
    const noPerformAs = await post('/opportunities/opp-1/notes', { value: 'hello' });
    const html = await post('/opportunities/opp-1/notes?perform_as=user-1', { value: '<b>hello</b>' });
    const wrongKey = await post('/opportunities/opp-1/notes?perform_as=user-1', { value: 'hello' }, 'other');

    // Assess
    expect([noPerformAs.status, html.status, wrongKey.status]).toEqual([400, 201, 401]);
    expect(fake.state.notes.map((n) => n.fields[0]?.value)).toEqual(['<b>hello</b>']);
  });

  it('the fake refuses a body that is not JSON and note fields outside their documented values (lever.md)', async () => {
    // Prepare
    const note = (body: string, contentType = 'application/json') =>
      fetch(`${fake.url}/v1/opportunities/opp-1/notes?perform_as=user-1`, {
        method: 'POST',
        headers: { authorization: basicFor('lever-key'), 'content-type': contentType },
        body,
      }).then((response) => response.status);

    // Act
    const statuses = [
      await note(JSON.stringify({ value: 'hello' }), 'text/plain'),
      await note(JSON.stringify({ value: 'hello', secret: 'yes' })),
      await note(JSON.stringify({ value: 'hello', score: 9 })),
      await note(JSON.stringify({ value: 'hello', createdAt: Date.now() + 3_600_000 })),
      await note(JSON.stringify({ value: 'hello', secret: true, score: 4, createdAt: Date.now() - 1000 })),
    ];

    // Assess
    expect(statuses).toEqual([415, 400, 400, 400, 201]);
    expect(fake.state.notes).toHaveLength(1);
  });
});

describe('the Lever fake without seeded users or stages', () => {
  it('refuses every write, whoever it is performed as, and every stage move', async () => {
    // Prepare
    const fake = await startFakeLever({ seed: { opportunities: [anOpportunity()] } });
    const send = (method: string, path: string, body: unknown) =>
      fetch(`${fake.url}/v1${path}`, {
        method,
        headers: { authorization: basicFor('lever-key'), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    try {
      // Act
      const note = await send('POST', '/opportunities/opp-1/notes?perform_as=user-1', { value: 'hello' });
      const stage = await send('PUT', '/opportunities/opp-1/stage?perform_as=user-1', { stage: 'stage-1' });

      // Assess
      expect([note.status, stage.status]).toEqual([400, 400]);
      expect(fake.state.notes).toEqual([]);
      expect(fake.state.opportunities[0]?.stage).toBe(anOpportunity().stage);
    } finally {
      await fake.close();
    }
  });
});

describe('the Lever fake rate limit', () => {
  it('answers 429 with Retry-After above its token bucket', async () => {
    // Prepare
    const fake = await startFakeLever({ rateLimit: { perSecond: 1, burst: 2 } });
    const get = () =>
      fetch(`${fake.url}/v1/opportunities`, { headers: { authorization: basicFor('lever-key') } });

    // Act
    const statuses = [(await get()).status, (await get()).status];
    const limited = await get();
    await fake.close();

    // Assess
    expect(statuses).toEqual([200, 200]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
  });
});

describe('the Lever adapter on several worker instances (one API key, one rate limit)', () => {
  it('stays inside the account’s token bucket when each instance takes its part of the rate', async () => {
    // Prepare: the account's bucket (bursts of 4, 2 a second configured; the fake refills 2.5 a second: the
    // instances' refill timers start before their first request reaches it), on two instances
    const fake = await startFakeLever({
      rateLimit: { perSecond: 2.5, burst: 4 },
      seed: { users: ['user-1'], stages: ['stage-applied'], opportunities: [anOpportunity()] },
    });
    const instances = (rateShare: number) =>
      [1, 2].map(() =>
        createLeverAdapter(
          {
            baseUrl: `${fake.url}/v1`,
            performAs: 'user-1',
            http: fastHttp,
            rateLimit: { perSecond: 2, burst: 4 },
          },
          { apiKey: 'lever-key' },
          { sleep: recordingSleep().sleep, rateShare },
        ),
      );
    const lookUpFourEach = (adapters: ReturnType<typeof instances>) =>
      Promise.allSettled(
        adapters.flatMap((ats) => [1, 2, 3, 4].map(() => ats.findApplication({ email: 'ada@example.com' }))),
      );
    const statuses = () => fake.state.requests.map((request) => request.status);

    try {
      // Act: eight lookups at once, four on each instance, first unshared, then (bucket full again) shared
      await lookUpFourEach(instances(1));
      const unshared = statuses();
      await new Promise((resolve) => setTimeout(resolve, 2100));
      fake.state.requests.length = 0;
      const shared = await lookUpFourEach(instances(2));

      // Assess: unshared, the instances burst 8 into a bucket of 4 (429s); shared, none, every lookup answered
      expect(unshared.filter((status) => status === 429).length).toBeGreaterThan(0);
      expect(statuses().filter((status) => status === 429)).toEqual([]);
      expect(shared.map((outcome) => outcome.status)).toEqual(Array(8).fill('fulfilled'));
    } finally {
      await fake.close();
    }
  });
});
