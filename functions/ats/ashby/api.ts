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
 */
import type { HttpRequest } from '../../platform/http.js';
import { basicAuthorization } from '../../platform/http.js';
import { joinUrl } from '../transport.js';

/** @default API base */
export const defaultAshbyBaseUrl = 'https://api.ashbyhq.com';

/** Objects a custom field can belong to. UNCONFIRMED: the exact casing Ashby expects (docs show PascalCase). */
export const ashbyCustomFieldObjectTypes = ['Application', 'Candidate'] as const;
export type AshbyCustomFieldObjectType = (typeof ashbyCustomFieldObjectTypes)[number];

/** One RPC call; `idempotent` says whether repeating it after a timeout is harmless. */
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
) => rpc(baseUrl, apiKey, 'application.changeStage', { applicationId, interviewStageId }, true);

/**
 * `candidate.addTag` / `candidate.removeTag` with `{ candidateId, tagId }`.
 * UNCONFIRMED: `candidate.removeTag`'s body (the endpoint exists per Ashby's changelog "Add
 * candidate.removeTag Endpoint"; the body is assumed to mirror `addTag`).
 */
export const buildTagChange = (
  baseUrl: string,
  apiKey: string,
  change: 'candidate.addTag' | 'candidate.removeTag',
  candidateId: string,
  tagId: string,
) => rpc(baseUrl, apiKey, change, { candidateId, tagId }, true);

/** `customField.setValue` with `{ objectId, objectType, fieldId, fieldValue }`. */
export const buildSetCustomField = (
  baseUrl: string,
  apiKey: string,
  field: { objectId: string; objectType: AshbyCustomFieldObjectType; fieldId: string; value: string },
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
    true,
  );
