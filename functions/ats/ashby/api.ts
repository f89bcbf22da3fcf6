/**
 * Ashby API: every fact about the API lives in this file, one request-building function per endpoint.
 *
 * Sources: developers.ashbyhq.com (ashby.md) — RPC style, every call `POST /<endpoint.name>` with a JSON
 * body; Basic auth with the API key as username and an empty password; `{ success: true, results }` or
 * `{ success: false, errors | errorInfo }` even on HTTP 200; lists take `{ limit, cursor }` and answer
 * `moreDataAvailable`/`nextCursor`; notes accept `{ type: "text/html", value }` limited to
 * `<b> <i> <u> <a> <ul> <ol> <li> <code> <pre>`.
 * Confirmed with the `search` tool: `application.changeStage` takes `{ applicationId, interviewStageId }`
 * (developers.ashbyhq.com/docs/applicationchange_stage, and clients calling it); `candidate.addTag` takes
 * `{ candidateId, tagId }`; `customField.setValue` takes `{ objectId, objectType, fieldId, fieldValue }`
 * (developers.ashbyhq.com/docs/customfieldsetvalue; String/LongText fields take a string).
 * Listing for the doctor (Ashby's OpenAPI, mirrored in api-evangelist/ashby `openapi/`): `apiKey.info`
 * (→ `scopes`, needs `apiKeysRead`), `candidate.list`, `interviewPlan.list`, `interviewStage.list` (requires
 * `interviewPlanId`), `candidateTag.list`, `customField.list`, all `{ limit?, cursor? }`-paginated.
 */
import type { HttpRequest } from '../../platform/http.js';
import { basicAuthorization } from '../../platform/http.js';
import { joinUrl } from '../transport.js';

/** @default API base */
export const defaultAshbyBaseUrl = 'https://api.ashbyhq.com';

/**
 * Objects a custom field can belong to, in Ashby's PascalCase: `customField.setValue`'s `objectType` enum is
 * `Application | Candidate | Job | Opening` (Ashby OpenAPI, `openapi/ashby-custom-field-api-openapi.yml` of
 * api-evangelist/ashby). The adapter writes the first two.
 */
export const ashbyCustomFieldObjectTypes = ['Application', 'Candidate'] as const;
export type AshbyCustomFieldObjectType = (typeof ashbyCustomFieldObjectTypes)[number];

/**
 * One RPC call; `idempotent` says whether the HTTP client may repeat it after a timeout: harmless alone, and
 * with no later write it could land after.
 */
const rpc = (
  baseUrl: string,
  apiKey: string,
  method: string,
  body: object,
  idempotent: boolean,
): HttpRequest => ({
  method: 'POST',
  url: joinUrl(baseUrl, method),
  headers: {
    authorization: basicAuthorization(apiKey),
    'content-type': 'application/json',
    accept: 'application/json',
  },
  body: JSON.stringify(body),
  idempotent,
  operation: `POST /${method}`,
});

/** `candidate.search` with `{ email }` → `results: [candidate]`. */
export const buildCandidateSearch = (baseUrl: string, apiKey: string, email: string) =>
  rpc(baseUrl, apiKey, 'candidate.search', { email }, true);

/** `application.info` with `{ applicationId }` → `results: application` (with `candidate.id`). */
export const buildApplicationInfo = (baseUrl: string, apiKey: string, applicationId: string) =>
  rpc(baseUrl, apiKey, 'application.info', { applicationId }, true);

/**
 * `candidate.createNote` with `{ candidateId, note: { type: "text/html", value }, sendNotifications: false }`
 * (needs the `candidatesWrite` permission).
 */
export const buildCreateNote = (baseUrl: string, apiKey: string, candidateId: string, html: string) =>
  rpc(
    baseUrl,
    apiKey,
    'candidate.createNote',
    { candidateId, note: { type: 'text/html', value: html }, sendNotifications: false },
    false,
  );

/** `candidate.listNotes` with `{ candidateId, limit, cursor? }` → `results`, `moreDataAvailable`, `nextCursor`. */
export const buildListNotes = (baseUrl: string, apiKey: string, candidateId: string, cursor?: string) =>
  rpc(
    baseUrl,
    apiKey,
    'candidate.listNotes',
    { candidateId, limit: 100, ...(cursor ? { cursor } : {}) },
    true,
  );

/** `application.changeStage` with `{ applicationId, interviewStageId }`. */
export const buildChangeStage = (
  baseUrl: string,
  apiKey: string,
  applicationId: string,
  interviewStageId: string,
) =>
  // Not re-sent after a lost answer: a recruiter's move since it landed would be undone. The event's retry
  // reads the stage first (already there, or moved on).
  rpc(baseUrl, apiKey, 'application.changeStage', { applicationId, interviewStageId }, false);

/**
 * `candidate.addTag` / `candidate.removeTag` with `{ candidateId, tagId }`. `removeTag` source: Ashby's
 * changelog "Add candidate.removeTag Endpoint" (developers.ashbyhq.com/changelog/2026-02-27-add-candidate-
 * remove-tag): "Accepts candidateId and tagId … If the tag was not on the candidate, the request succeeds".
 */
export const buildTagChange = (
  baseUrl: string,
  apiKey: string,
  change: 'candidate.addTag' | 'candidate.removeTag',
  candidateId: string,
  tagId: string,
) =>
  // Not re-sent after a lost answer, though repeating it is harmless alone: the first attempt could land
  // after the next status's change (see lever/api.ts buildUpdateTags); the write fails and settles instead.
  rpc(baseUrl, apiKey, change, { candidateId, tagId }, false);

/**
 * What `customField.setValue` takes as `fieldValue`, by the field's type (Ashby's reference, its OpenAPI
 * `openapi/ashby-custom-field-api-openapi.yml`): a Number field a number, a Boolean field a boolean, a
 * MultiValueSelect field an array of its option values; String, LongText, ValueSelect (one option's value),
 * Date, Url… a string.
 */
export type AshbyFieldValue = string | number | boolean | readonly string[];

/** `customField.setValue` with `{ objectId, objectType, fieldId, fieldValue }`. */
export const buildSetCustomField = (
  baseUrl: string,
  apiKey: string,
  field: {
    objectId: string;
    objectType: AshbyCustomFieldObjectType;
    fieldId: string;
    value: AshbyFieldValue;
  },
) =>
  rpc(
    baseUrl,
    apiKey,
    'customField.setValue',
    {
      objectId: field.objectId,
      objectType: field.objectType,
      fieldId: field.fieldId,
      fieldValue: field.value,
    },
    // Not re-sent after a lost answer: an older value (a status, a score) could land after a newer one.
    false,
  );

/** `customField.info` with `{ customFieldId }` → `results.fieldType` (needs `hiringProcessMetadataRead`). */
export const buildCustomFieldInfo = (baseUrl: string, apiKey: string, customFieldId: string) =>
  rpc(baseUrl, apiKey, 'customField.info', { customFieldId }, true);

/** `apiKey.info` → `results.scopes` (e.g. `candidates:read`); needs the `apiKeysRead` permission. */
export const buildApiKeyInfo = (baseUrl: string, apiKey: string) =>
  rpc(baseUrl, apiKey, 'apiKey.info', {}, true);

/** `candidate.list` with `{ limit }` (the doctor: can this key list candidates?). */
export const buildCandidateList = (baseUrl: string, apiKey: string, limit: number) =>
  rpc(baseUrl, apiKey, 'candidate.list', { limit }, true);

/** A list RPC with `{ limit: 100, cursor? }` plus its own filters. */
const listRpc = (baseUrl: string, apiKey: string, method: string, body: object, cursor?: string) =>
  rpc(baseUrl, apiKey, method, { ...body, limit: 100, ...(cursor ? { cursor } : {}) }, true);

/**
 * `interviewPlan.list` — plans, whose stages `interviewStage.list` lists; paginated like every list (its
 * body in Ashby's OpenAPI: `{ includeArchived, cursor, syncToken, limit }`).
 */
export const buildInterviewPlanList = (baseUrl: string, apiKey: string, cursor?: string) =>
  listRpc(baseUrl, apiKey, 'interviewPlan.list', {}, cursor);

/**
 * `interviewStage.list` with `{ interviewPlanId }` (its only, required, field) — the stage ids
 * `application.changeStage` takes, in plan order.
 */
export const buildInterviewStageList = (baseUrl: string, apiKey: string, interviewPlanId: string) =>
  rpc(baseUrl, apiKey, 'interviewStage.list', { interviewPlanId }, true);

/** `interviewStage.info` with `{ interviewStageId }` → `results.interviewPlanId` (needs `interviewsRead`). */
export const buildInterviewStageInfo = (baseUrl: string, apiKey: string, interviewStageId: string) =>
  rpc(baseUrl, apiKey, 'interviewStage.info', { interviewStageId }, true);

/** `candidateTag.list` — the tag ids `statusTagIds` takes. */
export const buildCandidateTagList = (baseUrl: string, apiKey: string, cursor?: string) =>
  listRpc(baseUrl, apiKey, 'candidateTag.list', {}, cursor);

/** `customField.list` — the field ids `statusField`/`ATS_SCORE_FIELD_ID` take. */
export const buildCustomFieldList = (baseUrl: string, apiKey: string, cursor?: string) =>
  listRpc(baseUrl, apiKey, 'customField.list', {}, cursor);
