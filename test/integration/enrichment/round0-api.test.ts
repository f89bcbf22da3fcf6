import {
  VendorApiAuthError,
  VendorApiResponseError,
  VendorResourceNotFoundError,
} from '../../../functions/enrichment/errors.js';
import { Round0ApiClient } from '../../../functions/enrichment/round0-api.js';
import { HttpTransientError } from '../../../functions/platform/http.js';
import {
  type FakeRound0Api,
  round0InterviewFromWebhook,
  startFakeRound0Api,
} from '../../../local/fakes/round0-api.js';
import { fixtureBody, instantHttpClient } from '../../unit/enrichment/factories.js';

const apiKey = 'r0-test-key';

describe('Round0ApiClient against the fake ROUND0 API', () => {
  let fake: FakeRound0Api;
  let interviewId: string;

  beforeAll(async () => {
    fake = await startFakeRound0Api({ apiKey });
    const seeded = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
      audioBaseUrl: fake.url,
    });
    interviewId = seeded.id;
    fake.state.interviews.set(seeded.id, seeded.body);
  });

  afterAll(() => fake.close());

  beforeEach(() => {
    fake.requests.length = 0;
    fake.state.failNext(0);
    fake.state.rateLimitNext(0);
  });

  const clientWith = (options: { key?: string; maxAttempts?: number } = {}) => {
    const { http, sleeps } = instantHttpClient(options.maxAttempts);
    const client = new Round0ApiClient({
      baseUrl: `${fake.url}/`,
      apiKey: options.key ?? apiKey,
      httpClient: http,
    });
    return { client, sleeps };
  };

  it('sends GET /api/v1/interviews/{id} with the bearer key and returns the interview', async () => {
    // Prepare
    const { client } = clientWith();

    // Act
    const interview = await client.getInterview(interviewId);

    // Assess
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'GET',
      path: `/api/v1/interviews/${interviewId}`,
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(interview.responses).toHaveLength(2);
    expect(interview.responses[0]).toMatchObject({
      question_text: 'Describe your experience with React hooks.',
      score: 85,
      audio_url: `${fake.url}/audio/${interviewId}/1.mp3`,
    });
    // Unknown fields are kept.
    expect(interview).toMatchObject({ token: 'abc123def456...' });
  });

  it('encodes the id into one path segment', async () => {
    // Prepare
    const { client } = clientWith();

    // Act
    const result = client.getInterview('a/b c');

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorResourceNotFoundError);
    expect(fake.requests[0]?.path).toBe('/api/v1/interviews/a%2Fb%20c');
  });

  it('sends no request for an id of . or .., which would name another path with the key', async () => {
    // Prepare
    const { client } = clientWith();
    const before = fake.requests.length;

    // Act
    const results = ['.', '..'].map((id) => client.getInterview(id));

    // Assess
    for (const result of results) await expect(result).rejects.toBeInstanceOf(VendorResourceNotFoundError);
    expect(fake.requests.length).toBe(before);
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    // Prepare
    const { client, sleeps } = clientWith();
    fake.state.rateLimitNext(1, 7);

    // Act
    const interview = await client.getInterview(interviewId);

    // Assess
    expect(interview.responses).toHaveLength(2);
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toEqual([7_000]);
  });

  it('retries 5xx with backoff and succeeds within the attempt budget', async () => {
    // Prepare
    const { client, sleeps } = clientWith({ maxAttempts: 3 });
    fake.state.failNext(2, 503);

    // Act
    const interview = await client.getInterview(interviewId);

    // Assess
    expect(interview.responses).toHaveLength(2);
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('gives up after the bounded attempts with a transient error', async () => {
    // Prepare
    const { client } = clientWith({ maxAttempts: 3 });
    fake.state.failNext(5, 500);

    // Act
    const result = client.getInterview(interviewId);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'HttpTransientError', status: 500 });
    await expect(result).rejects.toBeInstanceOf(HttpTransientError);
    expect(fake.requests).toHaveLength(3);
  });

  it('fails permanently, without retrying, on a wrong key (401)', async () => {
    // Prepare
    const { client, sleeps } = clientWith({ key: 'wrong-key' });

    // Act
    const result = client.getInterview(interviewId);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'VendorApiAuthError', status: 401, vendor: 'round0' });
    await expect(result).rejects.toBeInstanceOf(VendorApiAuthError);
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports an unknown interview as not found (404), without retrying', async () => {
    // Prepare
    const { client } = clientWith();

    // Act
    const result = client.getInterview('test-interview-id');

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'VendorResourceNotFoundError',
      resource: 'interview',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a body without a responses list, naming the path but not the content', async () => {
    // Prepare
    const { client } = clientWith();
    fake.state.interviews.set('broken', { id: 'broken', responses: 'secret transcript' });

    // Act
    const result = client.getInterview('broken');

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorApiResponseError);
    await expect(result).rejects.toThrow(/responses/);
    await expect(result).rejects.not.toThrow(/secret/);
  });

  it('serves the audio the seeded interview points at', async () => {
    // Prepare
    const { client } = clientWith();
    const interview = await client.getInterview(interviewId);
    const audioUrl = interview.responses[1]?.audio_url ?? '';

    // Act
    const response = await fetch(audioUrl);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});
