/**
 * Lever API v1: every fact about the API lives in this file, one request-building function per endpoint.
 *
 * Sources: hire.lever.co/developer/documentation (API overview, Opportunities, Notes; lever.md) — Basic auth
 * with the API key as username, the opportunity-centric model (`/candidates` is deprecated), lists as
 * `{ data, hasNext, next }` with `limit` 1–100 and an opaque `offset` token, `perform_as` on writes,
 * plain-text notes, `PUT /opportunities/{id}/stage` with `{ stage }`. Tag and link updates: the reference's
 * "Update tags"/"Update links" sections; `POST /opportunities/{id}/addTags?perform_as=` with `{ tags: [...] }`
 * was confirmed from v1 clients that use it (search: "addTags?perform_as"). Stages: `GET /stages` (`id`,
 * `text`); users: `GET /users/{id}`; tags: `GET /tags` (`text`, `count`).
 */
import type { HttpRequest } from '../../platform/http.js';
import { basicAuthorization } from '../../platform/http.js';
import { joinUrl } from '../transport.js';

/** @default production base; the sandbox is `https://api.sandbox.lever.co/v1` (keys are not interchangeable). */
export const defaultLeverBaseUrl = 'https://api.lever.co/v1';

/** Largest `limit` of a list (lever.md). */
export const leverMaxPageSize = 100;

const headers = (apiKey: string) => ({
  authorization: basicAuthorization(apiKey),
  accept: 'application/json',
  'content-type': 'application/json',
});

const opportunityPath = (opportunityId: string, rest = '') =>
  `opportunities/${encodeURIComponent(opportunityId)}${rest}`;

const withQuery = (url: string, query: Record<string, string | undefined>) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text ? `${url}?${text}` : url;
};

/** `GET /opportunities?email=&limit=[&offset=]` — the `email` filter finds a contact's opportunities. */
export const buildListOpportunitiesByEmail = (
  baseUrl: string,
  apiKey: string,
  email: string,
  offset?: string,
  /** Only the opportunities with an application for this posting (`posting_id`). */
  postingId?: string,
): HttpRequest => ({
  method: 'GET',
  url: withQuery(joinUrl(baseUrl, 'opportunities'), {
    email,
    posting_id: postingId,
    limit: String(leverMaxPageSize),
    offset,
  }),
  headers: headers(apiKey),
  operation: 'GET /opportunities',
});

/** `GET /opportunities/{id}` — when the vendor's application id is the opportunity id. */
export const buildGetOpportunity = (baseUrl: string, apiKey: string, opportunityId: string): HttpRequest => ({
  method: 'GET',
  url: joinUrl(baseUrl, opportunityPath(opportunityId)),
  headers: headers(apiKey),
  acceptStatuses: [404],
  operation: 'GET /opportunities/{id}',
});

/** `GET /opportunities/{id}/notes?limit=[&offset=]` */
export const buildListNotes = (
  baseUrl: string,
  apiKey: string,
  opportunityId: string,
  offset?: string,
): HttpRequest => ({
  method: 'GET',
  url: withQuery(joinUrl(baseUrl, opportunityPath(opportunityId, '/notes')), {
    limit: String(leverMaxPageSize),
    offset,
  }),
  headers: headers(apiKey),
  operation: 'GET /opportunities/{id}/notes',
});

/**
 * `POST /opportunities/{id}/notes?perform_as=` with `{ value, secret }`. Plain text only: HTML shows
 * literally. Without `perform_as` the note would be attributed to the key's owner.
 */
export const buildCreateNote = (
  baseUrl: string,
  apiKey: string,
  opportunityId: string,
  note: { value: string; performAs: string; secret: boolean },
): HttpRequest => ({
  method: 'POST',
  url: withQuery(joinUrl(baseUrl, opportunityPath(opportunityId, '/notes')), { perform_as: note.performAs }),
  headers: headers(apiKey),
  body: JSON.stringify({ value: note.value, secret: note.secret }),
  operation: 'POST /opportunities/{id}/notes',
});

/** `PUT /opportunities/{id}/stage?perform_as=` with `{ stage }` (stage ids from `GET /stages`). */
export const buildUpdateStage = (
  baseUrl: string,
  apiKey: string,
  opportunityId: string,
  stageId: string,
  performAs: string,
): HttpRequest => ({
  method: 'PUT',
  url: withQuery(joinUrl(baseUrl, opportunityPath(opportunityId, '/stage')), { perform_as: performAs }),
  headers: headers(apiKey),
  body: JSON.stringify({ stage: stageId }),
  operation: 'PUT /opportunities/{id}/stage',
  // A PUT, but not safe to send again seconds later: a recruiter may have moved the candidate on after it
  // landed, and a blind re-send would move them back. A lost answer fails the write instead, and the event's
  // retry reads the stage first (already there, or moved on).
  idempotent: false,
});

/** `POST /opportunities/{id}/addTags?perform_as=` / `removeTags` with `{ tags: [...] }` (set semantics). */
export const buildUpdateTags = (
  baseUrl: string,
  apiKey: string,
  opportunityId: string,
  change: 'addTags' | 'removeTags',
  tags: readonly string[],
  performAs: string,
): HttpRequest => ({
  method: 'POST',
  url: withQuery(joinUrl(baseUrl, opportunityPath(opportunityId, `/${change}`)), { perform_as: performAs }),
  headers: headers(apiKey),
  body: JSON.stringify({ tags }),
  // Set semantics make a repeat harmless alone, but not once the next status has run: a first attempt that
  // timed out may land after it. Not re-sent by the HTTP client, so a lost answer fails the write (its
  // settling time holds the next status back) rather than a resend succeeding and hiding it.
  idempotent: false,
  operation: `POST /opportunities/{id}/${change}`,
});

/**
 * `POST /opportunities/{id}/addLinks?perform_as=` with `{ links: string[] }`. Source: Lever's reference
 * section "Update contact links by opportunity" (hire.lever.co/developer/documentation
 * #update-contact-links-by-opportunity), as called by Nango's Lever `update-links` action (NangoHQ
 * integration-templates: `POST /v1/opportunities/{id}/addLinks` with `{ links }` and `perform_as`).
 * Links are CONTACT-level: they show on every opportunity of the person, not only this one.
 */
export const buildAddLinks = (
  baseUrl: string,
  apiKey: string,
  opportunityId: string,
  links: readonly string[],
  performAs: string,
): HttpRequest => ({
  method: 'POST',
  url: withQuery(joinUrl(baseUrl, opportunityPath(opportunityId, '/addLinks')), { perform_as: performAs }),
  headers: headers(apiKey),
  body: JSON.stringify({ links }),
  // Not re-sent by the HTTP client after a lost answer: whether Lever keeps links as a set is not documented
  // (lever.md, confirm), so a repeat could add them twice. The effect's retry re-reads the links first.
  idempotent: false,
  operation: 'POST /opportunities/{id}/addLinks',
});

/** `GET /opportunities?limit=1` (the doctor: can this key list opportunities?). */
export const buildListOpportunities = (baseUrl: string, apiKey: string, limit = 1): HttpRequest => ({
  method: 'GET',
  url: withQuery(joinUrl(baseUrl, 'opportunities'), { limit: String(limit) }),
  headers: headers(apiKey),
  operation: 'GET /opportunities',
});

/** `GET /stages?limit=&offset=` — the pipeline stages (`id`, `text`) whose ids `moveStage` takes. */
export const buildListStages = (baseUrl: string, apiKey: string, offset?: string): HttpRequest => ({
  method: 'GET',
  url: withQuery(joinUrl(baseUrl, 'stages'), { limit: String(leverMaxPageSize), offset }),
  headers: headers(apiKey),
  operation: 'GET /stages',
});

/** `GET /tags?limit=&offset=` — tags in use (`text`, `count`); Lever tags are free text, not ids. */
export const buildListTags = (baseUrl: string, apiKey: string, offset?: string): HttpRequest => ({
  method: 'GET',
  url: withQuery(joinUrl(baseUrl, 'tags'), { limit: String(leverMaxPageSize), offset }),
  headers: headers(apiKey),
  operation: 'GET /tags',
});

/** `GET /users/{id}` — the `perform_as` user (404 when it does not exist). */
export const buildGetUser = (baseUrl: string, apiKey: string, userId: string): HttpRequest => ({
  method: 'GET',
  url: joinUrl(baseUrl, `users/${encodeURIComponent(userId)}`),
  headers: headers(apiKey),
  acceptStatuses: [404],
  operation: 'GET /users/{id}',
});
