/**
 * The vendor API clients send only to their configured base URL's host, over https, to public addresses,
 * and their API keys never follow a redirect to another origin. Local runs relax scheme and address.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { Micro1ApiClient } from '../../../functions/enrichment/micro1-api.js';
import { Round0ApiClient } from '../../../functions/enrichment/round0-api.js';
import { UrlRefusedError } from '../../../functions/platform/http.js';
import { classifyFailure } from '../../../functions/sync/failures.js';
import {
  type FakeRound0Api,
  round0InterviewFromWebhook,
  startFakeRound0Api,
} from '../../../local/fakes/round0-api.js';
import { fixtureBody, fixtureEvent } from '../../unit/enrichment/factories.js';
import { startTestServer, type TestServer } from '../platform/test-servers.js';

const local = { allowHttp: true, allowPrivateAddresses: true } as const;
const instant = { maxAttempts: 1, sleep: async () => undefined };

describe('vendor API clients under their URL policy', () => {
  let round0Api: FakeRound0Api;
  let interviewId: string;
  let redirector: TestServer;
  let elsewhere: TestServer;

  beforeAll(async () => {
    [round0Api, elsewhere] = await Promise.all([startFakeRound0Api({ apiKey: 'r0-key' }), startTestServer()]);
    const seeded = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
      audioBaseUrl: round0Api.url,
    });
    interviewId = seeded.id;
    round0Api.state.interviews.set(seeded.id, seeded.body);
    // A vendor API that answers every request with a redirect to another origin.
    redirector = await startTestServer((request, response) => {
      response.writeHead(302, { location: `${elsewhere.url}${request.url ?? '/'}` }).end();
    });
  });

  afterAll(() => Promise.all([round0Api.close(), redirector.close(), elsewhere.close()]));

  beforeEach(() => {
    round0Api.requests.length = 0;
    elsewhere.requests.length = 0;
  });

  it('refuses a plain-http or private base URL unless the run relaxes the policy', async () => {
    // Prepare
    const strict = new Round0ApiClient({ baseUrl: round0Api.url, apiKey: 'r0-key', http: instant });
    const relaxed = new Round0ApiClient({
      baseUrl: round0Api.url,
      apiKey: 'r0-key',
      http: instant,
      urlPolicy: local,
    });

    // Act
    const refused = await strict.getInterview(interviewId).catch((error: unknown) => error);
    const interview = await relaxed.getInterview(interviewId);

    // Assess
    expect(refused).toBeInstanceOf(UrlRefusedError);
    expect(refused).toMatchObject({ reason: 'scheme', operation: 'round0 GET /api/v1/interviews/{id}' });
    expect(interview.responses).toHaveLength(2);
    expect(round0Api.requests).toHaveLength(1);
  });

  it('keeps the refusal a permanent failure through enrichment (not a "bad response")', async () => {
    // Prepare
    const strict = new Round0ApiClient({ baseUrl: round0Api.url, apiKey: 'r0-key', http: instant });
    const event = fixtureEvent('round0', 'interview_ended');

    // Act
    const error = await enrichEvent(event, { round0: strict }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(UrlRefusedError);
    expect(classifyFailure(error)).toMatchObject({ kind: 'permanent' });
  });

  it('never sends the ROUND0 bearer token to the origin a redirect points at', async () => {
    // Prepare
    const client = new Round0ApiClient({
      baseUrl: redirector.url,
      apiKey: 'r0-key',
      http: instant,
      urlPolicy: local,
    });
    const before = elsewhere.connections();

    // Act
    const error = await client.getInterview('i-1').catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'UrlRefusedError', reason: 'cross-origin-redirect' });
    expect(elsewhere.connections()).toBe(before);
  });

  it('never sends the micro1 x-api-key to the origin a redirect points at', async () => {
    // Prepare
    const client = new Micro1ApiClient({
      baseUrl: redirector.url,
      apiKey: 'm1-key',
      http: instant,
      urlPolicy: local,
    });
    const before = elsewhere.connections();

    // Act
    const error = await client.listReports({ interviewId: 'i-1' }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'UrlRefusedError', reason: 'cross-origin-redirect' });
    expect((error as Error).message).not.toContain('i-1');
    expect(elsewhere.connections()).toBe(before);
  });

  it('sends through the address-checking dispatcher by default, to the base URL host only', async () => {
    // Prepare
    const calls: RequestInit[] = [];
    const client = new Micro1ApiClient({
      baseUrl: 'https://public.api.micro1.ai',
      apiKey: 'm1-key',
      http: {
        ...instant,
        fetch: async (_url, init) => {
          calls.push(init ?? {});
          return new Response('{"status":true,"data":[]}', { status: 200 });
        },
      },
    });

    // Act
    const reports = await client.listReports();

    // Assess
    expect(reports).toEqual([]);
    expect((calls[0] as { dispatcher?: unknown }).dispatcher).toBeDefined();
    expect(calls[0]?.redirect).toBe('manual');
  });
});
