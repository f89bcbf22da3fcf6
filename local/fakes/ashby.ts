/**
 * A local fake of the Ashby API (node:http, in-memory state) that checks what shared/ats/ashby.md says:
 * Basic auth with the key as username, POST-only RPC routes (`POST /candidate.search`…; anything else is
 * 405/404), `{ success: false, errors }` bodies on HTTP 200 for refused calls, notes in Ashby's HTML subset
 * (tags outside `<b> <i> <u> <a> <ul> <ol> <li> <code> <pre>` are "stripped" and recorded on the note so a
 * test can assert there were none), and a sliding-window rate limit with 429 + `Retry-After`.
 *
 * Authentication as developers.ashbyhq.com/docs/authentication describes it: no key → 401, a wrong key →
 * 403, a key without the endpoint's permission → 403 `{ success: false, errors: ['missing_endpoint_permission'] }`
 * (keys in `keyScopes` carry only the listed scopes; the main key carries all). `application.info` answers
 * `currentInterviewStage: { id, title, … }`; `candidate.removeTag` succeeds when the candidate does not carry
 * the tag (Ashby changelog) and fails `tag_not_found` only for a tag that does not exist.
 */
import type { ListenOptions, RecordedRequestLine, RunningFake, ScriptedJsonFault } from './fake-server.js';
import { answerJson, readParsedBody, requestLine, scriptedAnswers, startFakeServer } from './fake-server.js';

export interface FakeAshbyCandidate {
  id: string;
  name?: string;
  primaryEmailAddress?: { value: string };
  emailAddresses: Array<{ value: string }>;
  applicationIds: string[];
  tags: string[];
}
export interface FakeAshbyApplication {
  id: string;
  candidateId: string;
  currentInterviewStageId: string;
  /** @default 'Active' */
  status?: 'Active' | 'Hired' | 'Archived' | 'Lead';
  /** The job applied to (`job: { id }` in `application.info`). */
  jobId?: string;
}
export interface FakeAshbyNote {
  id: string;
  candidateId: string;
  content: string;
  /** Tags Ashby would have stripped (outside the supported subset). */
  strippedTags: string[];
  sendNotifications: boolean;
  createdAt: string;
}
export interface FakeAshbyFieldValue {
  objectId: string;
  objectType: string;
  fieldId: string;
  fieldValue: unknown;
}

/** Method, path, headers without `authorization` (RPC calls carry no query), and the status answered. */
export interface RecordedRequest extends Omit<RecordedRequestLine, 'rawQuery' | 'query'> {
  readonly auth: { readonly scheme: 'Basic' | 'none' | 'other'; readonly valid: boolean };
  readonly body: unknown;
}

export interface FakeAshbyStageDetail {
  title: string;
  interviewPlanId: string;
  /** Ashby's stage type (`Lead`, `PreInterviewScreen`, `Active`, `Offer`, `Hired`, `Archived`). @default 'Active' */
  type?: string;
}
export interface FakeAshbyCustomField {
  id: string;
  title: string;
  objectType: 'Application' | 'Candidate' | 'Job' | 'Opening';
  fieldType: string;
  isArchived: boolean;
  /** A ValueSelect or MultiValueSelect field's options. @default any string */
  selectableValues?: Array<{ label: string; value: string }>;
}

/**
 * Whether `value` is what `customField.setValue` takes for a field of `field.fieldType` (Ashby's reference:
 * Number a number, Boolean a boolean, MultiValueSelect an array of option values, ValueSelect one option's
 * value, the text types a string).
 */
const fitsField = (field: FakeAshbyCustomField, value: unknown): boolean => {
  const options = field.selectableValues?.map((option) => option.value);
  switch (field.fieldType) {
    case 'Number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'Boolean':
      return typeof value === 'boolean';
    case 'MultiValueSelect':
      return (
        Array.isArray(value) &&
        value.every((item) => typeof item === 'string' && (options === undefined || options.includes(item)))
      );
    case 'ValueSelect':
      return typeof value === 'string' && (options === undefined || options.includes(value));
    case 'String':
    case 'LongText':
    case 'Email':
    case 'Phone':
    case 'Date':
    case 'Url':
    case 'UUID':
      return typeof value === 'string';
    default:
      return true;
  }
};

export interface FakeAshbyState {
  candidates: FakeAshbyCandidate[];
  applications: FakeAshbyApplication[];
  notes: FakeAshbyNote[];
  /** Interview stage ids that exist. */
  stages: string[];
  /** Titles and plans of the stages (a stage without one is titled by its id, in `plan-default`). */
  stageDetails: Record<string, FakeAshbyStageDetail>;
  interviewPlans: Array<{ id: string; title: string; isArchived: boolean }>;
  /** Candidate tag ids that exist. */
  tagIds: string[];
  /** Tag titles by id (a tag without one is titled by its id). */
  tagTitles: Record<string, string>;
  customFields: FakeAshbyCustomField[];
  customFieldValues: FakeAshbyFieldValue[];
  requests: RecordedRequest[];
}

/** `match` applies to authorised POSTs with a JSON object body only. */
export type ScriptedFault = ScriptedJsonFault<RecordedRequest>;

export interface FakeAshbyOptions extends Pick<ListenOptions, 'port'> {
  /** @default 'ashby-key' */
  readonly apiKey?: string;
  /** Sliding-window rate limit. @default none */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** Other keys and their scopes, e.g. `{ 'read-key': ['candidates:read'] }`. @default none */
  readonly keyScopes?: Readonly<Record<string, readonly string[]>>;
  readonly seed?: Partial<
    Pick<
      FakeAshbyState,
      | 'candidates'
      | 'applications'
      | 'notes'
      | 'stages'
      | 'stageDetails'
      | 'interviewPlans'
      | 'tagIds'
      | 'tagTitles'
      | 'customFields'
    >
  >;
}

/** The scope each faked endpoint needs (Ashby's permission table; `apiKey.info` spells them `area:access`). */
const endpointScopes: Readonly<Record<string, string>> = {
  'candidate.search': 'candidates:read',
  'candidate.list': 'candidates:read',
  'candidate.listNotes': 'candidates:read',
  'application.info': 'candidates:read',
  'candidate.createNote': 'candidates:write',
  'candidate.addTag': 'candidates:write',
  'candidate.removeTag': 'candidates:write',
  'application.changeStage': 'candidates:write',
  'customField.setValue': 'candidates:write',
  'interviewPlan.list': 'interviews:read',
  'interviewStage.list': 'interviews:read',
  'interviewStage.info': 'interviews:read',
  'candidateTag.list': 'hiringProcessMetadata:read',
  'customField.list': 'hiringProcessMetadata:read',
  'customField.info': 'hiringProcessMetadata:read',
  'apiKey.info': 'apiKeys:read',
};
const allScopes = [...new Set(Object.values(endpointScopes))];

export interface FakeAshby extends RunningFake<FakeAshbyState, ScriptedFault> {
  /** Origin; the adapter's `baseUrl`. */
  readonly url: string;
}

/** Ashby's supported note HTML (ashby.md). */
export const ashbyAllowedTags = ['b', 'i', 'u', 'a', 'ul', 'ol', 'li', 'code', 'pre'] as const;

const strippedTagsOf = (html: string): string[] =>
  [...html.matchAll(/<\/?([a-z][a-z0-9]*)\b[^>]*>/gi)]
    .map((m) => (m[1] ?? '').toLowerCase())
    .filter((tag) => !(ashbyAllowedTags as readonly string[]).includes(tag));

const isUuid = (id: unknown): boolean =>
  typeof id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Starts the fake on a random port. */
export const startFakeAshby = async (options: FakeAshbyOptions = {}): Promise<FakeAshby> => {
  const apiKey = options.apiKey ?? 'ashby-key';
  const state: FakeAshbyState = {
    candidates: [...(options.seed?.candidates ?? [])],
    applications: [...(options.seed?.applications ?? [])],
    notes: [...(options.seed?.notes ?? [])],
    stages: [...(options.seed?.stages ?? [])],
    stageDetails: { ...(options.seed?.stageDetails ?? {}) },
    interviewPlans: [
      ...(options.seed?.interviewPlans ?? [{ id: 'plan-default', title: 'Default plan', isArchived: false }]),
    ],
    tagIds: [...(options.seed?.tagIds ?? [])],
    tagTitles: { ...(options.seed?.tagTitles ?? {}) },
    customFields: [...(options.seed?.customFields ?? [])],
    customFieldValues: [],
    requests: [],
  };
  const stageOf = (id: string) => ({
    id,
    title: state.stageDetails[id]?.title ?? id,
    interviewPlanId: state.stageDetails[id]?.interviewPlanId ?? 'plan-default',
    type: state.stageDetails[id]?.type ?? 'Active',
  });
  /** Cursor pagination over `rows` with the request's `limit`/`cursor`. */
  const paged = (rows: unknown[], body: Record<string, unknown>) => {
    const limit = typeof body.limit === 'number' ? body.limit : 100;
    const offset =
      typeof body.cursor === 'string' ? Number(Buffer.from(body.cursor, 'base64url').toString()) : 0;
    const more = offset + limit < rows.length;
    return {
      success: true,
      results: rows.slice(offset, offset + limit),
      moreDataAvailable: more,
      ...(more ? { nextCursor: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
    };
  };
  const faults = scriptedAnswers<ScriptedFault, RecordedRequest>();
  const hits: number[] = [];
  let nextId = 1;

  const overLimit = (): number | undefined => {
    if (!options.rateLimit) return undefined;
    const now = Date.now();
    const { limit, windowMs } = options.rateLimit;
    while (hits.length > 0 && (hits[0] ?? 0) <= now - windowMs) hits.shift();
    if (hits.length >= limit) return Math.max(1, Math.ceil(((hits[0] ?? now) + windowMs - now) / 1000));
    hits.push(now);
    return undefined;
  };

  const failure = (errors: string[]) => ({ success: false, errors });

  const rpc = (method: string, body: Record<string, unknown>): unknown => {
    const candidateOf = (id: unknown) => state.candidates.find((c) => c.id === id);
    switch (method) {
      case 'candidate.search': {
        const email = typeof body.email === 'string' ? body.email.toLowerCase() : undefined;
        if (!email && typeof body.name !== 'string') return failure(['invalid_input']);
        return {
          success: true,
          results: state.candidates.filter(
            (c) => !email || c.emailAddresses.some((e) => e.value.toLowerCase() === email),
          ),
        };
      }
      case 'application.info': {
        const application = state.applications.find((a) => a.id === body.applicationId);
        // Ashby's ids are UUIDs: another shape is a parameter of the wrong type (ids seeded here may be short).
        if (!application)
          return failure([isUuid(body.applicationId) ? 'application_not_found' : 'invalid_input']);
        return {
          success: true,
          results: {
            id: application.id,
            status: application.status ?? 'Active',
            candidate: { id: application.candidateId },
            ...(application.jobId === undefined ? {} : { job: { id: application.jobId, title: 'Job' } }),
            currentInterviewStage: stageOf(application.currentInterviewStageId),
          },
        };
      }
      case 'candidate.list':
        return paged(state.candidates, body);
      case 'interviewPlan.list':
        return paged(state.interviewPlans, body);
      case 'interviewStage.list': {
        if (typeof body.interviewPlanId !== 'string') return failure(['invalid_input']);
        if (!state.interviewPlans.some((p) => p.id === body.interviewPlanId))
          return failure(['interview_plan_not_found']);
        return {
          success: true,
          results: state.stages
            .map(stageOf)
            .filter((stage) => stage.interviewPlanId === body.interviewPlanId),
          moreDataAvailable: false,
        };
      }
      case 'interviewStage.info': {
        if (typeof body.interviewStageId !== 'string') return failure(['invalid_input']);
        if (!state.stages.includes(body.interviewStageId)) return failure(['interview_stage_not_found']);
        return { success: true, results: stageOf(body.interviewStageId) };
      }
      case 'candidateTag.list':
        return paged(
          state.tagIds.map((id) => ({ id, title: state.tagTitles[id] ?? id, isArchived: false })),
          body,
        );
      case 'customField.list':
        return paged(state.customFields, body);
      case 'candidate.createNote': {
        const candidate = candidateOf(body.candidateId);
        if (!candidate) return failure(['candidate_not_found']);
        const note = body.note as unknown;
        const html =
          typeof note === 'string'
            ? note
            : typeof note === 'object' && note !== null && (note as { type?: unknown }).type === 'text/html'
              ? String((note as { value?: unknown }).value ?? '')
              : undefined;
        if (html === undefined || html.trim() === '') return failure(['invalid_input']);
        const created: FakeAshbyNote = {
          id: `note-${nextId++}`,
          candidateId: candidate.id,
          content: html,
          strippedTags: strippedTagsOf(html),
          sendNotifications: body.sendNotifications === true,
          createdAt: new Date().toISOString(),
        };
        state.notes.push(created);
        return {
          success: true,
          results: { id: created.id, createdAt: created.createdAt, content: created.content },
        };
      }
      case 'candidate.listNotes': {
        if (!candidateOf(body.candidateId)) return failure(['candidate_not_found']);
        const limit = typeof body.limit === 'number' ? body.limit : 100;
        const offset =
          typeof body.cursor === 'string' ? Number(Buffer.from(body.cursor, 'base64url').toString()) : 0;
        const notes = state.notes.filter((n) => n.candidateId === body.candidateId);
        const more = offset + limit < notes.length;
        return {
          success: true,
          results: notes
            .slice(offset, offset + limit)
            .map(({ id, content, createdAt }) => ({ id, content, createdAt })),
          moreDataAvailable: more,
          ...(more ? { nextCursor: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
        };
      }
      case 'candidate.addTag':
      case 'candidate.removeTag': {
        const candidate = candidateOf(body.candidateId);
        if (!candidate) return failure(['candidate_not_found']);
        if (typeof body.tagId !== 'string' || !state.tagIds.includes(body.tagId))
          return failure(['tag_not_found']);
        if (method === 'candidate.addTag' && !candidate.tags.includes(body.tagId))
          candidate.tags.push(body.tagId);
        if (method === 'candidate.removeTag') candidate.tags = candidate.tags.filter((t) => t !== body.tagId);
        return { success: true, results: candidate };
      }
      case 'application.changeStage': {
        const application = state.applications.find((a) => a.id === body.applicationId);
        if (!application) return failure(['application_not_found']);
        if (typeof body.interviewStageId !== 'string' || !state.stages.includes(body.interviewStageId)) {
          return failure(['invalid_input']);
        }
        // A stage of another interview plan than the application's: Ashby's reference (application.create,
        // "this stage must belong to the interview plan associated with the application"; changeStage lists
        // interview_stage_not_found among its errors; which one answers this case: unconfirmed).
        if (
          stageOf(body.interviewStageId).interviewPlanId !==
          stageOf(application.currentInterviewStageId).interviewPlanId
        ) {
          return failure(['interview_stage_not_found']);
        }
        // application.change_stage: the archive reason is required when moving to an Archived stage.
        if (stageOf(body.interviewStageId).type === 'Archived' && typeof body.archiveReasonId !== 'string') {
          return failure(['archiveReasonId is required when moving to an Archived stage']);
        }
        application.currentInterviewStageId = body.interviewStageId;
        return { success: true, results: application };
      }
      case 'customField.info': {
        if (typeof body.customFieldId !== 'string') return failure(['invalid_input']);
        const field = state.customFields.find((f) => f.id === body.customFieldId);
        return field === undefined ? failure(['custom_field_not_found']) : { success: true, results: field };
      }
      case 'customField.setValue': {
        const { objectId, objectType, fieldId, fieldValue } = body;
        if (typeof objectId !== 'string' || typeof fieldId !== 'string') return failure(['invalid_input']);
        // The OpenAPI enum is PascalCase: `application` or `APPLICATION` is not an object type.
        if (!['Application', 'Candidate', 'Job', 'Opening'].includes(String(objectType)))
          return failure(['invalid_input']);
        // A field is set only on the object type it belongs to, with a value of its type, and an archived or
        // unknown field not at all.
        const field = state.customFields.find((f) => f.id === fieldId);
        if (field === undefined || field.isArchived === true) return failure(['custom_field_not_found']);
        if (field.objectType !== objectType)
          return failure([
            `custom field ${fieldId} belongs to ${field.objectType}, not ${String(objectType)}`,
          ]);
        if (!fitsField(field, fieldValue)) return failure(['invalid_input']);
        // The object must exist as one of that type: a candidate id is not an Application (Ashby answers
        // its not-found error). The fake keeps no jobs or openings, so those ids are not checked.
        if (objectType === 'Application' && !state.applications.some((a) => a.id === objectId))
          return failure(['application_not_found']);
        if (objectType === 'Candidate' && !candidateOf(objectId)) return failure(['candidate_not_found']);
        state.customFieldValues = state.customFieldValues.filter(
          (f) => !(f.objectId === objectId && f.fieldId === fieldId),
        );
        state.customFieldValues.push({ objectId, objectType: String(objectType), fieldId, fieldValue });
        return { success: true, results: { objectId, fieldId, value: fieldValue } };
      }
      default:
        return undefined;
    }
  };

  const server = await startFakeServer(async (req, res) => {
    const body = await readParsedBody(req);
    const authHeader = req.headers.authorization ?? '';
    const scheme = !authHeader ? 'none' : authHeader.startsWith('Basic ') ? 'Basic' : 'other';
    const [user, password] = Buffer.from(authHeader.slice(6), 'base64').toString('utf8').split(':');
    const { method, path, headers } = requestLine(req);
    const scopes = user === apiKey ? allScopes : options.keyScopes?.[user ?? ''];
    const record: RecordedRequest = {
      method,
      path,
      headers,
      auth: { scheme, valid: scheme === 'Basic' && scopes !== undefined && (password ?? '') === '' },
      body,
    };
    state.requests.push(record);
    if (scheme !== 'Basic' || !user) return answerJson(res, record, 401, failure(['missing_api_key']));
    if (!record.auth.valid) return answerJson(res, record, 403, failure(['invalid_api_key']));
    if (record.method !== 'POST')
      return answerJson(res, record, 405, failure(['method_not_allowed']), { allow: 'POST' });
    // Ashby's introduction: Content-Type "must be explicitly set to application/json".
    if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? '')))
      return answerJson(res, record, 415, failure(['unsupported_media_type']));
    if (typeof body !== 'object' || body === null)
      return answerJson(res, record, 400, failure(['invalid_json']));
    const fault = faults.take(record);
    if (fault) return answerJson(res, record, fault.status, fault.body, fault.headers);
    const retryAfter = overLimit();
    if (retryAfter !== undefined)
      return answerJson(res, record, 429, failure(['rate_limit_exceeded']), {
        'retry-after': String(retryAfter),
      });
    const required = endpointScopes[path.slice(1)];
    if (required && !scopes?.includes(required))
      return answerJson(res, record, 403, failure(['missing_endpoint_permission']));
    const answer =
      path.slice(1) === 'apiKey.info'
        ? { success: true, results: { title: 'interview-sync', createdAt: '2026-01-01T00:00:00Z', scopes } }
        : rpc(path.slice(1), body as Record<string, unknown>);
    if (answer === undefined) return answerJson(res, record, 404, failure(['unknown_endpoint']));
    return answerJson(res, record, 200, answer);
  }, options);
  return { ...server, state, failNext: faults.script };
};
