/**
 * Enrichment edge cases a review by mutation found untested (helper-177): the micro1 lookup's paging and
 * deadline, which parts make the API worth a call and are filled from it, the ROUND0 merge, error mapping.
 */
import { describe, expect, it } from '@jest/globals';
import { type EnrichmentClients, enrichEvent } from '../../../functions/enrichment/enrich.js';
import { Micro1ApiClient, type Micro1Report } from '../../../functions/enrichment/micro1-api.js';
import type { Round0Interview } from '../../../functions/enrichment/round0-api.js';
import { HttpTransientError } from '../../../functions/platform/http.js';
import { dataOf, fixtureEvent } from './factories.js';

type Json = Record<string, unknown>;
const json = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

describe('micro1 report lookup', () => {
  it('keeps paging past a short page (an API that caps limit below what was asked)', async () => {
    // The API serves at most 2 reports a page whatever `limit` says; the report is 3rd.
    const all = [1, 2, 3].map((n) => ({ report_id: `r${n}`, interview_id: 'i-1' }));
    const pages: string[] = [];
    const client = new Micro1ApiClient({
      baseUrl: 'https://vendor.example',
      apiKey: 'key',
      http: {
        maxAttempts: 1,
        fetch: async (input) => {
          const page = Number(new URL(String(input)).searchParams.get('page'));
          pages.push(String(page));
          return json({ status: true, data: all.slice((page - 1) * 2, page * 2) });
        },
      },
    });
    const report = await client.getReport({ reportId: 'r3', interviewId: 'i-1' });
    expect(report.report_id).toBe('r3');
    expect(pages).toEqual(['1', '2']);
  });

  it('gives one slow page only what is left of the lookup deadline', async () => {
    const client = new Micro1ApiClient({
      baseUrl: 'https://vendor.example',
      apiKey: 'key',
      http: {
        maxAttempts: 1,
        timeoutMs: 5_000,
        fetch: async (_input, init) => {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 1_000);
            init?.signal?.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(init.signal?.reason);
            });
          });
          return json({ status: true, data: [{ report_id: 'other' }] });
        },
      },
      pageSize: 1,
      maxPages: 10,
      lookupDeadlineMs: 1_200,
    });
    const started = Date.now();
    await expect(client.getReport({ reportId: 'r1', interviewId: 'i-1' })).rejects.toBeInstanceOf(
      HttpTransientError,
    );
    // Page 2 starts with ~200 ms left: it must be cut there (~1.2 s in all), not run its full second (2 s).
    expect(Date.now() - started).toBeLessThan(1_700);
  });

  it('reads a negative API score as absent', async () => {
    const client = new Micro1ApiClient({
      baseUrl: 'https://vendor.example',
      apiKey: 'key',
      http: {
        maxAttempts: 1,
        fetch: async () =>
          json({ status: true, data: [{ report_id: 'r1', proctoring_score: -1, ai_match_score: 80 }] }),
      },
    });
    const report = await client.getReport({ reportId: 'r1', interviewId: 'i-1' });
    expect(report.proctoring_score).toBeUndefined();
    expect(report.ai_match_score).toBe(80);
  });
});

/** A micro1 stub answering `report`, recording the lookups. */
const micro1Stub = (report: Json) => {
  const calls: unknown[] = [];
  const client: NonNullable<EnrichmentClients['micro1']> = {
    getReport: async (lookup) => {
      calls.push(lookup);
      return report as Micro1Report;
    },
  };
  return { client, calls };
};

describe('micro1 report enrichment', () => {
  it('looks the report up by candidate when the webhook names no interview', async () => {
    const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
      delete dataOf(body).interview_id;
      delete dataOf(body).interview_transcript;
    });
    const { client, calls } = micro1Stub({
      report_id: 'h0gqkAcaDJ',
      interview_transcript: [{ timestamp: 1, role: 'user', content: 'Hi' }],
    });
    const enriched = await enrichEvent(event, { micro1: client });
    expect(calls).toEqual([{ reportId: 'h0gqkAcaDJ', candidateId: '123e4567-e89b-12d3-a456-426614174000' }]);
    expect(enriched.filledFromApi).toEqual(['transcript']);
  });

  it('asks for the screen recording when the webhook has only its player page', async () => {
    const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
      delete dataOf(body).interview_recording_url;
      dataOf(body).interview_recording_player_url = 'https://zara.micro1.ai/player/h0gqkAcaDJ';
    });
    const { client } = micro1Stub({
      report_id: 'h0gqkAcaDJ',
      interview_recording_url: 'https://cdn.micro1.ai/h0gqkAcaDJ.m3u8',
    });
    const enriched = await enrichEvent(event, { micro1: client });
    expect(enriched.filledFromApi).toEqual(['recordingUrls']);
    expect(enriched.recordingUrls).toEqual({
      screen: 'https://cdn.micro1.ai/h0gqkAcaDJ.m3u8',
      screenPlayer: 'https://zara.micro1.ai/player/h0gqkAcaDJ',
    });
  });

  it('keeps the webhook player URL over the API one when filling the screen URL', async () => {
    const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
      delete dataOf(body).interview_recording_url;
      dataOf(body).interview_recording_player_url = 'https://zara.micro1.ai/player/webhook';
    });
    const { client } = micro1Stub({
      report_id: 'h0gqkAcaDJ',
      interview_recording_url: 'https://cdn.micro1.ai/h0gqkAcaDJ.m3u8',
      interview_recording_player_url: 'https://zara.micro1.ai/player/api',
    });
    const enriched = await enrichEvent(event, { micro1: client });
    expect(enriched.recordingUrls?.screenPlayer).toBe('https://zara.micro1.ai/player/webhook');
  });

  it('asks the API when only the AI match score is missing', async () => {
    const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
      delete dataOf(body).ai_match_score;
    });
    const { client, calls } = micro1Stub({ report_id: 'h0gqkAcaDJ', ai_match_score: 77 });
    const enriched = await enrichEvent(event, { micro1: client });
    expect(calls).toHaveLength(1);
    expect(enriched.aiMatchScore).toBe(77);
  });

  it('fills the coding evaluation from the API once it is called', async () => {
    const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
      delete dataOf(body).interview_transcript;
      delete dataOf(body).coding_skills_evaluation;
    });
    const { client } = micro1Stub({
      report_id: 'h0gqkAcaDJ',
      interview_transcript: [{ timestamp: 1, role: 'user', content: 'Hi' }],
      coding_skills_evaluation: { rating: 'Senior', feedback: 'Good' },
    });
    const enriched = await enrichEvent(event, { micro1: client });
    expect(enriched.filledFromApi).toEqual(['transcript', 'codingEvaluation']);
    expect(enriched.codingEvaluation).toEqual({ rating: 'Senior', feedback: 'Good' });
  });

  it('reads a resume score that is not a number as absent (never NaN)', async () => {
    const event = fixtureEvent('micro1', 'applicant.completed', (body) => {
      dataOf(body).resume_score = 'N/A';
    });
    const enriched = await enrichEvent(event);
    expect(enriched).not.toHaveProperty('resumeScore');
  });
});

describe('ROUND0 interview merge', () => {
  it('does not list a webhook answer twice when the API lists its question under another id', async () => {
    const event = fixtureEvent('round0', 'interview_ended');
    const webhook = dataOf(event.payload as Json).responses as Json[];
    const api = {
      responses: webhook.map((answer, n) => ({
        ...answer,
        question_id: `renumbered-${n}`,
        question_text: String(answer.question_text).toUpperCase(),
      })),
    } as unknown as Round0Interview;
    const client: NonNullable<EnrichmentClients['round0']> = { getInterview: async () => api };
    const enriched = await enrichEvent(event, { round0: client });
    expect(enriched.responses).toHaveLength(webhook.length);
  });

  it('prefers the API’s start and end times over the webhook’s', async () => {
    const event = fixtureEvent('round0', 'interview_ended');
    const api = {
      started_at: '2024-01-16T14:31:00Z',
      completed_at: '2024-01-16T14:55:00Z',
      responses: [],
    } as unknown as Round0Interview;
    const client: NonNullable<EnrichmentClients['round0']> = { getInterview: async () => api };
    const enriched = await enrichEvent(event, { round0: client });
    expect(enriched.startedAt).toBe('2024-01-16T14:31:00.000Z');
    expect(enriched.completedAt).toBe('2024-01-16T14:55:00.000Z');
  });
});

describe('vendor API error mapping (review additions)', () => {
  const answering = (status: number, body: string) =>
    new Micro1ApiClient({
      baseUrl: 'https://vendor.example',
      apiKey: 'key',
      http: { maxAttempts: 1, fetch: async () => new Response(body, { status }) },
    });

  it('takes a 3xx the client could not follow (a 304, no Location) as a bad response, not an outage', async () => {
    const error = await answering(300, '')
      .listReports()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'VendorApiResponseError' });
  });

  it('keeps at most 200 characters of a vendor message', async () => {
    const long = 'x'.repeat(1_000);
    const error = await answering(400, JSON.stringify({ status: false, message: long }))
      .listReports()
      .catch((caught: unknown) => caught);
    expect((error as { vendorMessage?: string }).vendorMessage).toHaveLength(200);
  });

  it('reads a blank text as absent (a blank job title makes no job)', async () => {
    const event = fixtureEvent('round0', 'interview_ended', (body) => {
      (dataOf(body).job as Json).title = '   ';
    });
    const enriched = await enrichEvent(event);
    expect(enriched).not.toHaveProperty('job');
  });
});
