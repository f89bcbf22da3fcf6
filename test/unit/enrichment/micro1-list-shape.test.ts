/** micro1's report list answered in another shape is a bad response, not "report not found" (helper-177). */
import { describe, expect, it } from '@jest/globals';
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { VendorApiResponseError } from '../../../functions/enrichment/errors.js';
import { Micro1ApiClient } from '../../../functions/enrichment/micro1-api.js';
import { fixtureEvent } from './factories.js';

/** A client whose every request is answered 200 with `body`. */
const answering = (body: string) =>
  new Micro1ApiClient({
    baseUrl: 'https://vendor.example',
    apiKey: 'key',
    http: {
      maxAttempts: 1,
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
    },
  });

describe('micro1 report list of another shape', () => {
  it.each([
    ['an empty object', '{}'],
    ['status true without data', '{"status":true,"message":"ok"}'],
    ['the list under another key', '{"status":true,"reports":[{"report_id":"r1"}]}'],
  ])('refuses %s as a bad response, not "report not found"', async (_label, body) => {
    const error = await answering(body)
      .getReport({ reportId: 'r1', interviewId: 'i-1' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendorApiResponseError);
  });

  it('does not flag the report apiNotFound when the API answered a body of another shape', async () => {
    const event = fixtureEvent('micro1', 'interview_report.created', (payload) => {
      delete (payload.data as Record<string, unknown>).interview_transcript;
    });
    const enriched = await enrichEvent(event, { micro1: answering('{"status":true,"reports":[]}') });
    // Not apiNotFound (counted as EnrichmentNotFound: "a key of another account").
    expect(enriched.apiNotFound).toBeUndefined();
    expect(enriched.apiFailure).toBe('VendorApiResponseError');
  });
});
