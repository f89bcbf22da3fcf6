import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { Micro1ApiClient } from '../../../functions/enrichment/micro1-api.js';
import { Round0ApiClient } from '../../../functions/enrichment/round0-api.js';
import { HttpTransientError } from '../../../functions/platform/http.js';
import {
  type FakeMicro1Api,
  micro1ReportFromWebhook,
  startFakeMicro1Api,
} from '../../../local/fakes/micro1-api.js';
import {
  type FakeRound0Api,
  round0InterviewFromWebhook,
  startFakeRound0Api,
} from '../../../local/fakes/round0-api.js';
import { dataOf, fixtureBody, fixtureEvent, instantHttpClient } from '../../unit/enrichment/factories.js';

describe('enrichEvent with the real clients against the fake vendor APIs', () => {
  let round0Api: FakeRound0Api;
  let micro1Api: FakeMicro1Api;
  let round0: Round0ApiClient;
  let micro1: Micro1ApiClient;

  beforeAll(async () => {
    [round0Api, micro1Api] = await Promise.all([
      startFakeRound0Api({ apiKey: 'r0-key' }),
      startFakeMicro1Api({
        apiKey: 'm1-key',
        reports: [micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created'))],
      }),
    ]);
    const seeded = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
      audioBaseUrl: round0Api.url,
    });
    round0Api.state.interviews.set(seeded.id, seeded.body);
    round0 = new Round0ApiClient({
      baseUrl: round0Api.url,
      apiKey: 'r0-key',
      httpClient: instantHttpClient(2).http,
    });
    micro1 = new Micro1ApiClient({
      baseUrl: micro1Api.url,
      apiKey: 'm1-key',
      httpClient: instantHttpClient(2).http,
    });
  });

  afterAll(() => Promise.all([round0Api.close(), micro1Api.close()]));

  beforeEach(() => {
    round0Api.requests.length = 0;
    micro1Api.requests.length = 0;
    round0Api.state.failNext(0);
  });

  it('reads a ROUND0 interview_ended from the API, with audio URLs the fake serves', async () => {
    // Act
    const enriched = await enrichEvent(fixtureEvent('round0', 'interview_ended'), { round0, micro1 });

    // Assess
    expect(enriched.source).toBe('api');
    expect(round0Api.requests).toHaveLength(1);
    expect(
      enriched.responses?.map((response) => response.audioUrl?.startsWith(`${round0Api.url}/audio/`)),
    ).toEqual([true, true]);
  });

  it('falls back to the webhook for the dashboard test event the API does not know', async () => {
    // Act
    const enriched = await enrichEvent(fixtureEvent('round0', 'test_interview_ended'), { round0 });

    // Assess
    expect(round0Api.requests[0]?.path).toBe('/api/v1/interviews/test-interview-id');
    expect(enriched.source).toBe('webhook');
    expect(enriched.responses).toHaveLength(1);
  });

  it('fails transiently when the ROUND0 API keeps answering 5xx', async () => {
    // Prepare
    round0Api.state.failNext(5, 503);

    // Act
    const result = enrichEvent(fixtureEvent('round0', 'interview_ended'), { round0 });

    // Assess
    await expect(result).rejects.toBeInstanceOf(HttpTransientError);
    expect(round0Api.requests).toHaveLength(2);
  });

  it('completes a micro1 report that lacks its transcript from the API', async () => {
    // Prepare
    const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
      delete dataOf(body).interview_transcript;
    });

    // Act
    const enriched = await enrichEvent(event, { round0, micro1 });

    // Assess
    expect(micro1Api.requests).toHaveLength(1);
    expect(enriched.filledFromApi).toEqual(['transcript']);
    expect(enriched.transcript).toHaveLength(2);
  });
});
