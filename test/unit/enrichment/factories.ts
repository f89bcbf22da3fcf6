/** Builders of queued events and API clients for the enrichment tests. */
import { createHttpClient, type HttpClient } from '../../../functions/platform/http.js';
import type { InterviewEvent, VendorName } from '../../../functions/vendors/envelope.js';
import { fixture } from '../../helpers/fixtures.js';

type Json = Record<string, unknown>;

const objectAt = (value: unknown, key: string): Json | undefined => {
  const found = (value as Json | undefined)?.[key];
  return typeof found === 'object' && found !== null ? (found as Json) : undefined;
};

/** A fresh copy of a fixture's body, changed by `change` when given (e.g. to drop a field). */
export function fixtureBody(vendor: VendorName, name: string, change?: (body: Json) => void): Json {
  const body = fixture(vendor, name).body as Json;
  change?.(body);
  return body;
}

/** The `data` object of a webhook body. */
export const dataOf = (body: Json): Json => objectAt(body, 'data') ?? {};

/** The envelope ingest would queue for `payload`, read the way the vendors' normalisers do. */
export function interviewEventOf(vendor: VendorName, payload: Json, overrides: Partial<InterviewEvent> = {}) {
  const data = dataOf(payload);
  const type = String(vendor === 'round0' ? payload.type : payload.event);
  const interviewId = vendor === 'round0' ? objectAt(data, 'interview')?.id : data.interview_id;
  const event: InterviewEvent = {
    schemaVersion: 1,
    vendor,
    type,
    known: true,
    dedupeKey: `${vendor}:${type}:test`,
    receivedAt: '2024-01-16T15:00:00.000Z',
    ...(typeof interviewId === 'string' ? { interviewId } : {}),
    candidate: {},
    payload,
    ...overrides,
  };
  return event;
}

/** The queued event of a fixture, optionally changed first. */
export const fixtureEvent = (
  vendor: VendorName,
  name: string,
  change?: (body: Json) => void,
): InterviewEvent => interviewEventOf(vendor, fixtureBody(vendor, name, change));

/** An HTTP client that never really waits, recording the delays it was asked to sleep. */
export function instantHttpClient(maxAttempts = 4): { http: HttpClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const http = createHttpClient({
    maxAttempts,
    timeoutMs: 5_000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { http, sleeps };
}
