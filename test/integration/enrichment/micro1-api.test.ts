import { VendorApiAuthError, VendorResourceNotFoundError } from '../../../functions/enrichment/errors.js';
import { Micro1ApiClient } from '../../../functions/enrichment/micro1-api.js';
import { createHttpClient, HttpTransientError } from '../../../functions/platform/http.js';
import {
  type FakeMicro1Api,
  micro1ReportFromWebhook,
  startFakeMicro1Api,
} from '../../../local/fakes/micro1-api.js';
import { fixtureBody, instantHttpClient } from '../../unit/enrichment/factories.js';

const apiKey = 'm1-test-key';

/** A report of the fixture's interview and candidate, with another report id. */
const reportNumbered = (n: number) => ({
  ...micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created')),
  report_id: `report${n}`,
});

describe('Micro1ApiClient against the fake micro1 API', () => {
  let fake: FakeMicro1Api;
  const webhookReport = micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created'));
  const ids = {
    reportId: String(webhookReport.report_id),
    interviewId: String(webhookReport.interview_id),
    candidateId: String(webhookReport.candidate_id),
  };

  beforeAll(async () => {
    fake = await startFakeMicro1Api({ apiKey, keysWithoutReports: ['interviews-only'] });
  });

  afterAll(() => fake.close());

  beforeEach(() => {
    fake.requests.length = 0;
    fake.state.reports.splice(0, fake.state.reports.length, webhookReport);
    fake.state.failNext(0);
    fake.state.rateLimitNext(0);
  });

  const clientWith = (
    options: { key?: string; maxAttempts?: number; pageSize?: number; maxPages?: number } = {},
  ) => {
    const { http, sleeps } = instantHttpClient(options.maxAttempts);
    const client = new Micro1ApiClient({
      baseUrl: fake.url,
      apiKey: options.key ?? apiKey,
      httpClient: http,
      pageSize: options.pageSize,
      maxPages: options.maxPages,
    });
    return { client, sleeps };
  };

  it('sends GET /interview/reports with x-api-key and the documented filters', async () => {
    // Prepare
    const { client } = clientWith({ pageSize: 25 });

    // Act
    const report = await client.getReport(ids);

    // Assess
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'GET',
      path: '/interview/reports',
      query: { interview_id: ids.interviewId, candidate_id: ids.candidateId, page: '1', limit: '25' },
      headers: { 'x-api-key': apiKey },
    });
    expect(report.report_id).toBe(ids.reportId);
    expect(report.interview_transcript).toHaveLength(2);
    expect(report.technical_skills_evaluation?.[0]?.ai_evaluation?.rating).toBe('Senior');
    // Unknown fields are kept.
    expect(report).toHaveProperty('interview_recording_player_url');
  });

  it('reads a score outside 0–100 as absent, as the ingest refuses it in a webhook, keeping the others', async () => {
    // Prepare: a match score on another scale, a proctoring score in range
    const { client } = clientWith();
    fake.state.reports.splice(0, fake.state.reports.length, {
      ...webhookReport,
      ai_match_score: 850,
      proctoring_score: 0,
    });

    // Act
    const report = await client.getReport(ids);

    // Assess
    expect(report.ai_match_score).toBeUndefined();
    expect(report.proctoring_score).toBe(0);
  });

  it('pages through the filtered list until it finds the report', async () => {
    // Prepare
    const { client } = clientWith({ pageSize: 2 });
    fake.state.reports.splice(
      0,
      fake.state.reports.length,
      reportNumbered(1),
      reportNumbered(2),
      reportNumbered(3),
    );

    // Act
    const report = await client.getReport({ reportId: 'report3', candidateId: ids.candidateId });

    // Assess
    expect(report.report_id).toBe('report3');
    expect(fake.requests.map((request) => request.query.page)).toEqual(['1', '2']);
    expect(fake.requests[0]?.query).not.toHaveProperty('interview_id');
  });

  it('reports a report missing from every page as not found, stopping at the first empty page', async () => {
    // Prepare
    const { client } = clientWith({ pageSize: 1 });

    // Act
    const result = client.getReport({ ...ids, reportId: 'nope' });

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorResourceNotFoundError);
    expect(fake.requests.map((request) => request.query.page)).toEqual(['1', '2']);
  });

  it('reads at most maxPages pages, and says the lookup ran out of pages rather than that the report is unknown', async () => {
    // Prepare
    const { client } = clientWith({ pageSize: 1, maxPages: 2 });
    fake.state.reports.splice(
      0,
      fake.state.reports.length,
      reportNumbered(1),
      reportNumbered(2),
      reportNumbered(3),
    );

    // Act
    const result = client.getReport({ reportId: 'report3', interviewId: ids.interviewId });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'VendorApiResponseError',
      message: 'micro1 API: report not among the first 2 pages of its lookup',
    });
    expect(fake.requests).toHaveLength(2);
  });

  /** The report is on none of 10 one-report pages, and every answer takes 120 ms: a fetch that waits. */
  const tenReportsSlowly = (): typeof fetch => {
    fake.state.reports.splice(
      0,
      fake.state.reports.length,
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(reportNumbered),
    );
    return async (input, init) => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      return fetch(input, init);
    };
  };

  it('gives all pages of one lookup one deadline, so a slow API cannot outlive the worker’s invocation', async () => {
    // Prepare: the report is on none of 10 one-report pages, and every answer takes 120 ms
    const slowFetch = tenReportsSlowly();
    const client = new Micro1ApiClient({
      baseUrl: fake.url,
      apiKey,
      httpClient: createHttpClient({ fetch: slowFetch, timeoutMs: 5_000 }),
      pageSize: 1,
      maxPages: 10,
      lookupDeadlineMs: 300,
    });

    // Act
    const attempt = client.getReport(ids);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(HttpTransientError);
    expect(fake.requests.length).toBeLessThanOrEqual(3);
  });

  it('bounds a whole lookup by the client’s own deadline when it sets none of its own (the worker’s 15 s)', async () => {
    // Prepare: as above, but the deadline is the HTTP client's (as the worker configures it), not the lookup's
    const slowFetch = tenReportsSlowly();
    const client = new Micro1ApiClient({
      baseUrl: fake.url,
      apiKey,
      urlPolicy: { allowHttp: true, allowPrivateAddresses: true },
      http: { fetch: slowFetch, timeoutMs: 5_000, deadlineMs: 300 },
      pageSize: 1,
      maxPages: 10,
    });

    // Act
    const attempt = client.getReport(ids);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(HttpTransientError);
    expect(fake.requests.length).toBeLessThanOrEqual(3);
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    // Prepare
    const { client, sleeps } = clientWith();
    fake.state.rateLimitNext(2, 3);

    // Act
    const reports = await client.listReports({ interviewId: ids.interviewId });

    // Assess
    expect(reports).toHaveLength(1);
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toEqual([3_000, 3_000]);
  });

  it('retries 5xx a bounded number of times, then fails transiently', async () => {
    // Prepare
    const { client, sleeps } = clientWith({ maxAttempts: 2 });
    fake.state.failNext(3, 502);

    // Act
    const result = client.listReports({ interviewId: ids.interviewId });

    // Assess
    await expect(result).rejects.toBeInstanceOf(HttpTransientError);
    await expect(result).rejects.toMatchObject({ status: 502 });
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('fails permanently, without retrying, on a wrong key (401), keeping the vendor message', async () => {
    // Prepare
    const { client, sleeps } = clientWith({ key: 'wrong' });

    // Act
    const result = client.listReports();

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorApiAuthError);
    await expect(result).rejects.toMatchObject({
      status: 401,
      vendor: 'micro1',
      vendorMessage: 'Unauthorized',
    });
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('fails permanently, without retrying, on a key without the reports permission (403)', async () => {
    // Prepare
    const { client, sleeps } = clientWith({ key: 'interviews-only' });

    // Act
    const result = client.listReports();

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorApiAuthError);
    await expect(result).rejects.toMatchObject({ status: 403, vendor: 'micro1', vendorMessage: 'Forbidden' });
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports an unknown route as not found (404)', async () => {
    // Prepare
    const misconfigured = new Micro1ApiClient({
      baseUrl: `${fake.url}/v2`,
      apiKey,
      httpClient: instantHttpClient().http,
    });

    // Act
    const result = misconfigured.listReports();

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorResourceNotFoundError);
    expect(fake.requests[0]?.path).toBe('/v2/interview/reports');
  });

  it.each([
    ['page=0', 'page=0'],
    ['a page that is not a number', 'page=abc'],
    ['limit=0', 'limit=0'],
    ['a negative limit', 'limit=-5'],
  ])('refuses %s with 400, as an API validating its integer parameters would', async (_label, query) => {
    // Act
    const response = await fetch(`${fake.url}/interview/reports?${query}`, {
      headers: { 'x-api-key': apiKey },
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ status: false, message: 'Invalid request' });
  });
});
