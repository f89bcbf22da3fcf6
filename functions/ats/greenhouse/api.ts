/**
 * Greenhouse Harvest **v3**: every fact about the API lives in this file, one request-building function per
 * endpoint (pure, so the local fake and the contract tests can assert the exact request). v1/v2 were switched
 * off after 2026-08-31; there is no v1 code path.
 *
 * Sources (looked up with the project's `search` tool):
 * - Auth: harvestdocs.greenhouse.io/docs/authentication and shared/ats/greenhouse.md — `POST /token`, Basic
 *   `client_id:client_secret`, form `grant_type=client_credentials&sub=<user id>`; answer
 *   `{ token_type, access_token, expires_in }`.
 * - Lists: harvestdocs.greenhouse.io/docs/list-endpoints and /docs/pagination — plural filters (`ids`,
 *   `candidate_ids`…), `per_page` on the first request only, then follow `Link: <…>; rel="next"` exactly
 *   (a cursor must be the only query parameter), no `last`/`prev` link.
 * - Find by application: READ migration guide, `GET /v3/applications?ids=` → `candidate_id`.
 * - Stage move: WRITE migration guide (harvestdocs.greenhouse.io/docs/write-endpoint-migration-guide),
 *   `POST /v3/applications/{id}/move`; its reference page
 *   (harvestdocs.greenhouse.io/reference/post_v3-applications-id-move): "`from_stage_id` is required and must
 *   match the candidate's current stage — it acts as a guard against stale move requests"; answers 204, and
 *   401/403/422 on refusal; "a successful move fires any configured stage transition rules, including
 *   automated emails".
 * - Query parameters of the list routes: the Harvest v3 OpenAPI operation set as published in the OpenCompany
 *   Greenhouse integration (`OpenCompany\Integrations\Greenhouse\GreenhouseToolProvider`, generated from the
 *   official v3 schema): `GET /v3/candidates` takes `email`; `GET /v3/application_stages` takes
 *   `application_ids`, `job_interview_stage_ids` and `current`.
 * Facts the official pages did not settle are marked UNCONFIRMED at their one place below.
 */
import type { HttpRequest } from '../../platform/http.js';
import { basicAuthorization } from '../../platform/http.js';
import { joinUrl } from '../transport.js';

/** @default base of every Harvest v3 call */
export const defaultGreenhouseBaseUrl = 'https://harvest.greenhouse.io/v3';
/** @default OAuth token endpoint */
export const defaultGreenhouseAuthUrl = 'https://auth.greenhouse.io/token';

/** Note visibilities (v1 `activity_feed/notes`, kept by v3 `POST /v3/notes`). */
export const greenhouseNoteVisibilities = ['admin_only', 'private', 'public'] as const;
export type GreenhouseNoteVisibility = (typeof greenhouseNoteVisibilities)[number];

/** Greenhouse ids are integers; config and matches carry them as strings. */
const num = (id: string): number | string => (/^\d+$/.test(id) ? Number(id) : id);

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' } as const;

/** `POST {authUrl}` — client-credentials token, `sub` = the Greenhouse user writes are attributed to. */
export const buildTokenRequest = (
  authUrl: string,
  credentials: { clientId: string; clientSecret: string },
  userId: string,
): HttpRequest => ({
  method: 'POST',
  url: authUrl,
  headers: {
    authorization: basicAuthorization(credentials.clientId, credentials.clientSecret),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', sub: userId }).toString(),
  // Asking for a token twice is harmless.
  idempotent: true,
  operation: 'POST /token',
});

const list = (
  baseUrl: string,
  path: string,
  filters: Record<string, string>,
  perPage: number,
): HttpRequest => {
  const query = new URLSearchParams({ ...filters, per_page: String(perPage) });
  return {
    method: 'GET',
    url: `${joinUrl(baseUrl, path)}?${query}`,
    headers: jsonHeaders,
    operation: `GET /${path}`,
  };
};

/** `GET /v3/applications?ids=` (plural filter, even for one id). */
export const buildListApplicationsByIds = (
  baseUrl: string,
  applicationIds: readonly string[],
  perPage: number,
) => list(baseUrl, 'applications', { ids: applicationIds.join(',') }, perPage);

/** `GET /v3/applications?candidate_ids=` (plural filter: one request for duplicate profiles too). */
export const buildListApplicationsByCandidates = (
  baseUrl: string,
  candidateIds: readonly string[],
  perPage: number,
) => list(baseUrl, 'applications', { candidate_ids: candidateIds.join(',') }, perPage);

/**
 * `GET /v3/candidates?email=` — `email` is a query parameter of the v3 candidates list in the official
 * OpenAPI operation set (see the sources above). The adapter still checks `email_addresses` in the answer.
 */
export const greenhouseCandidateEmailFilter = 'email';
export const buildListCandidatesByEmail = (baseUrl: string, email: string, perPage: number) =>
  list(baseUrl, 'candidates', { [greenhouseCandidateEmailFilter]: email }, perPage);

/** `GET /v3/notes?candidate_ids=` (READ guide: v1 `GET /candidates/{id}/activity_feed` → v3 `GET /v3/notes`). */
export const buildListNotes = (baseUrl: string, candidateId: string, perPage: number) =>
  list(baseUrl, 'notes', { candidate_ids: candidateId }, perPage);

/**
 * `POST /v3/notes` with `{ candidate_id, application_id?, user_id, body, visibility, note_type: "NOTE" }`.
 * Source: the WRITE migration guide maps v1 `POST /candidates/{id}/activity_feed/notes` to `POST /v3/notes`
 * (scope `harvest:notes:create`); the body fields come from v3 clients that exercise it (the `slates`
 * Greenhouse client and a Harvest v3 audit listing `note_type` NOTE|ACTIVITY), not from the reference page.
 * UNCONFIRMED: whether `application_id` is accepted alongside `candidate_id` (sent only when known).
 */
export const buildCreateNote = (
  baseUrl: string,
  note: {
    candidateId: string;
    applicationId?: string;
    userId: string;
    body: string;
    visibility: GreenhouseNoteVisibility;
  },
): HttpRequest => ({
  method: 'POST',
  url: joinUrl(baseUrl, 'notes'),
  headers: jsonHeaders,
  body: JSON.stringify({
    candidate_id: num(note.candidateId),
    ...(note.applicationId ? { application_id: num(note.applicationId) } : {}),
    user_id: num(note.userId),
    body: note.body,
    visibility: note.visibility,
    note_type: 'NOTE',
  }),
  operation: 'POST /notes',
});

/** A row of `GET /v3/application_stages`: one stage an application went through. */
export interface GreenhouseApplicationStageRow {
  /** The row's own id (one per application and stage entered). */
  readonly id: string;
  /** The job's interview stage (`/v3/job_interview_stages`): the kind of id users configure. */
  readonly job_interview_stage_id: string;
}

/**
 * `GET /v3/application_stages?application_ids=<id>&current=true`: the application's current stage. v3 rows
 * of `/v3/applications` carry no `job_interview_stage_id` (the READ guide moves `current_stage` to its own
 * call).
 */
export const buildListCurrentApplicationStage = (baseUrl: string, applicationId: string, perPage: number) =>
  list(baseUrl, 'application_stages', { application_ids: applicationId, current: 'true' }, perPage);

/**
 * What `from_stage_id` of a move carries: THE one place this choice lives.
 *
 * The reference says only that it "must match the candidate's current stage"
 * (harvestdocs.greenhouse.io/reference/post_v3-applications-id-move). We send the job-interview-stage id:
 * it is the same kind of id as `to_stage_id` beside it (a stage of the job), it is what v1's
 * advance/move took as `from_stage_id` ("the ID of the job stage this application is currently in",
 * Workato's Greenhouse advance-application action doc) and what the v3 move action asks for as
 * "the ID of the stage the application is currently in" (docs.workato.com/connectors/greenhouse/
 * move-application-v3), and the WRITE migration guide lists no change of meaning for v1 → v3. Some public v3
 * clients are said to send the `application_stages` row id instead; no public source we could read does.
 * Either wrong choice is safe: Greenhouse refuses a `from_stage_id` that is not the current stage with 422,
 * and nothing moves. So the adapter, after a 422 that left the stage where it was, tries the row id once
 * ({@link greenhouseOtherFromStageId}): whichever reading Greenhouse has, the move is made, at the price of
 * one refused request per move if it is the row id. To switch the first choice, return `row.id` here.
 */
export const greenhouseMoveFromStageId = (row: GreenhouseApplicationStageRow): string =>
  row.job_interview_stage_id;

/** The other reading of `from_stage_id`, when it is another id. */
export const greenhouseOtherFromStageId = (row: GreenhouseApplicationStageRow): string | undefined =>
  [row.id, row.job_interview_stage_id].find((id) => id !== greenhouseMoveFromStageId(row));

/**
 * `POST /v3/applications/{id}/move` with exactly `{ from_stage_id, to_stage_id }` (the body schema allows no
 * other keys; `from_stage_id` is required). Write routes keep the id in the path (WRITE guide).
 */
export const buildMoveApplication = (
  baseUrl: string,
  applicationId: string,
  fromStageId: string,
  toStageId: string,
): HttpRequest => ({
  method: 'POST',
  url: joinUrl(baseUrl, `applications/${encodeURIComponent(applicationId)}/move`),
  headers: jsonHeaders,
  body: JSON.stringify({ from_stage_id: num(fromStageId), to_stage_id: num(toStageId) }),
  // `from_stage_id` guards it: a repeat of a move that landed is refused (422), never applied twice, and
  // the adapter then reads the stage again. So repeating after a timeout or a 5xx is safe.
  idempotent: true,
  operation: 'POST /applications/{id}/move',
});

/** `GET /v3/applied_candidate_tags?candidate_ids=` (scope `harvest:applied_candidate_tags:list`). */
export const buildListAppliedTags = (baseUrl: string, candidateId: string, perPage: number) =>
  list(baseUrl, 'applied_candidate_tags', { candidate_ids: candidateId }, perPage);

/** `POST /v3/applied_candidate_tags` with `{ candidate_id, candidate_tag_id }` (tags a candidate). */
export const buildApplyTag = (baseUrl: string, candidateId: string, tagId: string): HttpRequest => ({
  method: 'POST',
  url: joinUrl(baseUrl, 'applied_candidate_tags'),
  headers: jsonHeaders,
  body: JSON.stringify({ candidate_id: num(candidateId), candidate_tag_id: num(tagId) }),
  operation: 'POST /applied_candidate_tags',
});

/** `DELETE /v3/applied_candidate_tags/{id}` (untags). */
export const buildRemoveAppliedTag = (baseUrl: string, appliedTagId: string): HttpRequest => ({
  method: 'DELETE',
  url: joinUrl(baseUrl, `applied_candidate_tags/${encodeURIComponent(appliedTagId)}`),
  headers: jsonHeaders,
  operation: 'DELETE /applied_candidate_tags/{id}',
});

/** `GET /v3/candidates?per_page=` without a filter (the doctor's "can this user list candidates?"). */
export const buildListCandidates = (baseUrl: string, perPage: number) =>
  list(baseUrl, 'candidates', {}, perPage);

/** `GET /v3/job_interview_stages` (stage ids to configure; READ guide: stages live there in v3). */
export const buildListJobInterviewStages = (baseUrl: string, perPage: number) =>
  list(baseUrl, 'job_interview_stages', {}, perPage);

/**
 * `GET /v3/job_interview_stages?ids=<a,b>`: those stages, each with its job (`job_id`): a stage belongs to
 * one job, and an application moves only to a stage of its own (the fake's rule; the field's name, as in
 * v1's job stages, is not confirmed for v3).
 */
export const buildListJobInterviewStagesByIds = (baseUrl: string, ids: readonly string[], perPage: number) =>
  list(baseUrl, 'job_interview_stages', { ids: ids.join(',') }, perPage);

/** `GET /v3/candidate_tags` (the tag ids `statusTagIds` takes). */
export const buildListCandidateTags = (baseUrl: string, perPage: number) =>
  list(baseUrl, 'candidate_tags', {}, perPage);

/** `GET /v3/custom_fields` (listed by the doctor; the adapter writes none). */
export const buildListCustomFields = (baseUrl: string, perPage: number) =>
  list(baseUrl, 'custom_fields', {}, perPage);

/** The next page: the `Link` URL exactly as given (adding anything to a cursor URL is a 422). */
export const buildNextPage = (nextUrl: string, operation?: string): HttpRequest => ({
  method: 'GET',
  url: nextUrl,
  headers: jsonHeaders,
  operation,
});

/** The `rel="next"` URL of an RFC 8288 `Link` header, if any. */
export const parseNextLink = (header: string | null): string | undefined => {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(match[2] ?? '')) {
      return match[1];
    }
  }
  return undefined;
};

/** The v3 rate-limit counter read after every response to throttle before a 429 (greenhouse.md). */
export const greenhouseRemainingHeader = 'x-ratelimit-remaining';
