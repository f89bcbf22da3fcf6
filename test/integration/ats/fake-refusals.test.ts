/**
 * Refusals the ATS fakes make (per shared/ats/*.md) that no test pinned, so a fake could stop making
 * them — and an adapter regression then pass every test. Each refusal is asserted for its own reason: the
 * request is valid but for the one thing checked.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startFakeAshby } from '../../../local/fakes/ashby.js';
import { startFakeGreenhouse } from '../../../local/fakes/greenhouse.js';
import { startFakeLever } from '../../../local/fakes/lever.js';
import { aCandidate, aGreenhouseNote, anOpportunity } from './factories.js';

const basic = (user: string, password = '') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('the Greenhouse fake: refusals', () => {
  const start = async () => {
    const fake = await startFakeGreenhouse({
      seed: {
        candidates: [{ id: 11, email_addresses: [{ value: 'ada@example.com', type: 'personal' }] }],
        notes: [1, 2, 3].map((id) => aGreenhouseNote(id)),
      },
    });
    closers.push(() => fake.close());
    return fake;
  };
  const tokenOf = async (origin: string, form = 'grant_type=client_credentials&sub=42', type?: string) =>
    fetch(`${origin}/token`, {
      method: 'POST',
      headers: {
        authorization: basic('gh-client', 'gh-secret'),
        'content-type': type ?? 'application/x-www-form-urlencoded',
      },
      body: form,
    });

  it('refuses a token request that is not a client-credentials form', async () => {
    // Prepare
    const fake = await start();

    // Act
    const statuses = [
      (
        await tokenOf(
          fake.url,
          JSON.stringify({ grant_type: 'client_credentials', sub: '42' }),
          'application/json',
        )
      ).status,
      (await tokenOf(fake.url, 'grant_type=password&sub=42')).status,
      (await tokenOf(fake.url)).status,
    ];

    // Assess
    expect(statuses).toEqual([400, 400, 200]);
  });

  it('refuses a real next-page cursor with any other query parameter, and per_page above 500', async () => {
    // Prepare: a valid cursor, taken from the fake's own Link header
    const fake = await start();
    const { access_token } = (await (await tokenOf(fake.url)).json()) as { access_token: string };
    const get = (url: string) => fetch(url, { headers: { authorization: `Bearer ${access_token}` } });
    const first = await get(`${fake.url}/v3/notes?candidate_ids=11&per_page=1`);
    const next = /<([^>]+)>;\s*rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? '';

    // Act
    const exact = await get(next);
    const withPerPage = await get(`${next}&per_page=1`);
    const withFilter = await get(`${next}&candidate_ids=11`);
    const tooLarge = await get(`${fake.url}/v3/notes?candidate_ids=11&per_page=501`);

    // Assess
    expect(next).toContain('cursor=');
    expect([exact.status, withPerPage.status, withFilter.status, tooLarge.status]).toEqual([
      200, 422, 422, 422,
    ]);
  });

  it.each([
    ['an empty body', { body: ' ' }],
    ['an unknown visibility', { visibility: 'everyone' }],
    ['an unknown note_type', { note_type: 'COMMENT' }],
    ['a user_id that is not an integer', { user_id: '42' }],
  ])('refuses a note with %s', async (_what, change) => {
    // Prepare
    const fake = await start();
    const { access_token } = (await (await tokenOf(fake.url)).json()) as { access_token: string };

    // Act
    const response = await fetch(`${fake.url}/v3/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        candidate_id: 11,
        user_id: 42,
        body: 'AI screening completed',
        visibility: 'private',
        note_type: 'NOTE',
        ...change,
      }),
    });

    // Assess
    expect(response.status).toBe(422);
    expect(fake.state.notes).toHaveLength(3);
  });
});

describe('the Ashby fake: refusals', () => {
  const start = async () => {
    const fake = await startFakeAshby({
      seed: {
        candidates: [aCandidate()],
        applications: [{ id: 'app-1', candidateId: 'cand-1', currentInterviewStageId: 'stage-1' }],
        customFields: [
          { id: 'field-cand', title: 'c', objectType: 'Candidate', fieldType: 'String', isArchived: false },
          { id: 'field-old', title: 'o', objectType: 'Application', fieldType: 'String', isArchived: true },
        ],
      },
    });
    closers.push(() => fake.close());
    return fake;
  };
  const call = (origin: string, method: string, body: unknown, auth = basic('ashby-key')) =>
    fetch(`${origin}/${method}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses a field value for another object type than the field’s, and an archived field, on objects that exist', async () => {
    // Prepare
    const fake = await start();
    const set = async (objectId: string, objectType: string, fieldId: string) =>
      (
        (await (
          await call(fake.url, 'customField.setValue', { objectId, objectType, fieldId, fieldValue: 'x' })
        ).json()) as {
          success: boolean;
        }
      ).success;

    // Act
    const answers = [
      await set('app-1', 'Application', 'field-cand'),
      await set('app-1', 'Application', 'field-old'),
      await set('cand-1', 'Candidate', 'field-cand'),
    ];

    // Assess
    expect(answers).toEqual([false, false, true]);
    expect(fake.state.customFieldValues.map((value) => value.objectId)).toEqual(['cand-1']);
  });

  it('refuses a key sent with a password, a search with neither e-mail nor name, and an empty note', async () => {
    // Prepare
    const fake = await start();

    // Act
    const withPassword = await call(
      fake.url,
      'candidate.search',
      { email: 'ada@example.com' },
      basic('ashby-key', 'x'),
    );
    const noFilter = (await (await call(fake.url, 'candidate.search', {})).json()) as { success: boolean };
    const emptyNote = (await (
      await call(fake.url, 'candidate.createNote', {
        candidateId: 'cand-1',
        note: { type: 'text/html', value: '  ' },
      })
    ).json()) as { success: boolean };
    const plainNote = (await (
      await call(fake.url, 'candidate.createNote', {
        candidateId: 'cand-1',
        note: { type: 'text/plain', value: 'x' },
      })
    ).json()) as { success: boolean };

    // Assess
    expect(withPassword.status).toBe(403);
    expect([noFilter.success, emptyNote.success, plainNote.success]).toEqual([false, false, false]);
    expect(fake.state.notes).toEqual([]);
  });

  it('refuses a stage move to a stage that does not exist', async () => {
    // Prepare
    const fake = await start();

    // Act
    const answer = (await (
      await call(fake.url, 'application.changeStage', {
        applicationId: 'app-1',
        interviewStageId: 'stage-nope',
      })
    ).json()) as { success: boolean };

    // Assess
    expect(answer.success).toBe(false);
    expect(fake.state.applications[0]?.currentInterviewStageId).toBe('stage-1');
  });
});

describe('the Lever fake: refusals', () => {
  const start = async () => {
    const fake = await startFakeLever({
      seed: {
        users: ['user-1'],
        stages: ['stage-applied', 'stage-screened'],
        opportunities: [anOpportunity()],
      },
    });
    closers.push(() => fake.close());
    return fake;
  };
  const send = (origin: string, method: string, path: string, body?: unknown, auth = basic('lever-key')) =>
    fetch(`${origin}/v1${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then((response) => response.status);

  it('refuses a stage move without perform_as, and a key sent with a password', async () => {
    // Prepare
    const fake = await start();

    // Act
    const statuses = [
      await send(fake.url, 'PUT', '/opportunities/opp-1/stage', { stage: 'stage-screened' }),
      await send(
        fake.url,
        'GET',
        '/opportunities?email=ada%40example.com',
        undefined,
        basic('lever-key', 'x'),
      ),
    ];

    // Assess
    expect(statuses).toEqual([400, 401]);
    expect(fake.state.opportunities[0]?.stage).toBe('stage-applied');
  });

  it('refuses a limit above 100, an empty note and tags that are not strings', async () => {
    // Prepare
    const fake = await start();

    // Act
    const statuses = [
      await send(fake.url, 'GET', '/opportunities?email=ada%40example.com&limit=101'),
      await send(fake.url, 'POST', '/opportunities/opp-1/notes?perform_as=user-1', { value: ' ' }),
      await send(fake.url, 'POST', '/opportunities/opp-1/addTags?perform_as=user-1', {
        tags: [{ text: 'x' }],
      }),
    ];

    // Assess
    expect(statuses).toEqual([400, 400, 400]);
    expect(fake.state.notes).toEqual([]);
    expect(fake.state.opportunities[0]?.tags).toEqual([]);
  });
});
