/**
 * A local fake of Greenhouse Harvest v3 (node:http, in-memory state) built from shared/ats/greenhouse.md
 * and the v3 reference pages, refusing what the real API refuses:
 * - a Bearer token issued by its own `POST /token` (Basic `client_id:client_secret`, form
 *   `grant_type=client_credentials&sub=…`), 401 on a missing, wrong or expired token; the answer carries
 *   `expires_in` or `expires_at` (both exist in the wild) and, when configured, `scope`;
 * - plural filters only, of integer ids, `per_page` ≤ 500, and a cursor that must be the only query parameter
 *   (422 otherwise: "a 422 means a bad parameter name or value");
 * - an applied tag only for a known candidate and one of the organisation's candidate tags (422 otherwise);
 * - cursor pagination through `Link: <…>; rel="next"` (no `prev`, no `last`);
 * - `/v3/applications` rows carry `stage_id`/`stage_name`, never `job_interview_stage_id`; the current stage
 *   is read from `/v3/application_stages` (`id`, `application_id`, `job_interview_stage_id`, `current`…);
 * - `POST /v3/applications/{id}/move` (harvestdocs.greenhouse.io/reference/post_v3-applications-id-move):
 *   the body allows only `from_stage_id`, `to_stage_id`, `to_job_id`, `email_from_user_id`; `from_stage_id`
 *   is required and "must match the candidate's current stage" — otherwise 422; success is 204;
 * - the `sub` user decides what lists return: a token whose `sub` is in `limitedUsers` gets EMPTY lists (the
 *   real API's answer to a user without enough permissions), while its writes still succeed;
 * - a fixed rate-limit window: `X-RateLimit-Remaining` on every answer, 429 + `Retry-After` beyond it.
 * Every request is recorded (method, path, query, headers without `authorization`, parsed body) for contract
 * assertions; `failNext` scripts answers for the next matching `/v3` requests, `faults` injects transport
 * faults in front of everything (see fake-server.ts).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ListenOptions, RecordedRequestLine, RunningFake, ScriptedJsonFault } from './fake-server.js';
import { answerJson, readParsedBody, requestLine, scriptedAnswers, startFakeServer } from './fake-server.js';

export interface FakeGreenhouseCandidate {
  id: number;
  first_name?: string;
  last_name?: string;
  email_addresses: Array<{ value: string; type: string }>;
}
/** A v3 application row: the current stage is `stage_id` (a job interview stage) and its name. */
export interface FakeGreenhouseApplication {
  id: number;
  candidate_id: number;
  job_id: number | null;
  status: string;
  stage_id: number | null;
  stage_name?: string | null;
}
/** A `/v3/application_stages` row: one stage an application entered. */
export interface FakeGreenhouseApplicationStage {
  id: number;
  application_id: number;
  job_interview_stage_id: number;
  entered_at: string;
  exited_at: string | null;
  current: boolean;
}
export interface FakeGreenhouseJobInterviewStage {
  id: number;
  name: string;
  job_id: number;
  /** Order in the job's plan (for "advance to the next stage"). */
  priority: number;
}
export interface FakeGreenhouseNote {
  id: number;
  candidate_id: number;
  application_id: number | null;
  user_id: number;
  body: string;
  visibility: string;
  type: string;
  created_at: string;
}
export interface FakeGreenhouseAppliedTag {
  id: number;
  candidate_id: number;
  candidate_tag_id: number;
}
export interface FakeGreenhouseCandidateTag {
  id: number;
  name: string;
}
export interface FakeGreenhouseCustomField {
  id: number;
  name: string;
  field_type: string;
  value_type: string;
}
export interface FakeGreenhouseMove {
  application_id: number;
  from_stage_id: number;
  to_stage_id: number;
}

/** Method, path, query, headers without `authorization`, and the status the fake answered. */
export interface RecordedRequest extends RecordedRequestLine {
  readonly auth: {
    readonly scheme: 'Bearer' | 'Basic' | 'none' | 'other';
    readonly valid: boolean;
    /** The token's `sub`, for Bearer requests with a known token. */
    readonly sub?: string;
  };
  readonly body: unknown;
}

export interface FakeGreenhouseState {
  candidates: FakeGreenhouseCandidate[];
  applications: FakeGreenhouseApplication[];
  applicationStages: FakeGreenhouseApplicationStage[];
  jobInterviewStages: FakeGreenhouseJobInterviewStage[];
  notes: FakeGreenhouseNote[];
  appliedTags: FakeGreenhouseAppliedTag[];
  candidateTags: FakeGreenhouseCandidateTag[];
  customFields: FakeGreenhouseCustomField[];
  moves: FakeGreenhouseMove[];
  /** Issued tokens; `expiresAt` in ms since epoch. */
  tokens: Map<string, { sub: string; expiresAt: number }>;
  requests: RecordedRequest[];
}

/** `match` applies to authorised `/v3` requests only. */
export type ScriptedFault = ScriptedJsonFault<RecordedRequest>;

export interface FakeGreenhouseOptions extends Pick<ListenOptions, 'port'> {
  /** @default 'gh-client' */
  readonly clientId?: string;
  /** @default 'gh-secret' */
  readonly clientSecret?: string;
  /** Lifetime of issued tokens. @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** How the token answer states its lifetime: `expires_in` seconds, or an `expires_at` ISO date. @default 'expires_in' */
  readonly tokenExpiry?: 'expires_in' | 'expires_at';
  /**
   * Scopes the credentials were granted (Harvest v3 grants scopes per endpoint): listed in the token answer's
   * `scope`, and a request to a route whose scope is known ({@link routeScopes}) and not granted is refused
   * 403, as Greenhouse answers "Missing 1 required scope". @default none (no `scope` field, nothing refused)
   */
  readonly tokenScopes?: readonly string[];
  /** `sub` user ids without enough permissions: their lists come back empty. @default none */
  readonly limitedUsers?: readonly string[];
  /**
   * What the fake compares `from_stage_id` with: the current job interview stage (what the adapter sends,
   * see `greenhouseMoveFromStageId`) or the current `application_stages` row id (the other reading of the
   * reference). @default 'job_interview_stage'
   */
  readonly moveFromStageIdIs?: 'job_interview_stage' | 'application_stage';
  /**
   * Fixed-window rate limit on `/v3`. Greenhouse always has one, so its counters go on every answer; the
   * default is too high for a test to reach.
   * @default 1,000,000 requests per 30 s
   */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** Default `per_page`. @default 100 */
  readonly defaultPerPage?: number;
  readonly seed?: Partial<
    Pick<
      FakeGreenhouseState,
      | 'candidates'
      | 'applications'
      | 'notes'
      | 'appliedTags'
      | 'jobInterviewStages'
      | 'candidateTags'
      | 'customFields'
    >
  >;
}

export interface FakeGreenhouse extends RunningFake<FakeGreenhouseState, ScriptedFault> {
  /** Origin, e.g. `http://127.0.0.1:54321`; the adapter's `baseUrl` is `${url}/v3`, `authUrl` `${url}/token`. */
  readonly url: string;
  /** Makes every issued token expired (the next call gets a 401). */
  expireTokens(): void;
  /** The application's current job interview stage, read from its current `application_stages` row. */
  currentStageOf(applicationId: number): number | undefined;
}

type Json = Record<string, unknown>;

const listRoutes: Record<string, readonly string[]> = {
  applications: ['ids', 'candidate_ids', 'job_ids', 'stage_ids'],
  candidates: ['ids', 'email'],
  notes: ['candidate_ids', 'application_ids'],
  applied_candidate_tags: ['candidate_ids', 'candidate_tag_ids'],
  application_stages: ['ids', 'application_ids', 'job_interview_stage_ids', 'current'],
  job_interview_stages: ['ids', 'job_ids'],
  candidate_tags: ['ids'],
  custom_fields: ['ids'],
};

/** The keys the move body schema allows (`additionalProperties: false`). */
const moveKeys = ['from_stage_id', 'to_stage_id', 'to_job_id', 'email_from_user_id'];
/** The `POST /v3/notes` body public v3 clients send (shared/ats/greenhouse.md); anything else is refused. */
const noteKeys = ['candidate_id', 'application_id', 'user_id', 'body', 'visibility', 'note_type'];
const appliedTagKeys = ['candidate_id', 'candidate_tag_id'];

/**
 * The scope each route needs (Harvest v3 grants scopes per endpoint): a token without it gets 403. The
 * references name four (the v3 WRITE migration guide, the endpoint pages); every other read is checked by
 * their pattern, `harvest:<collection>:list`, so that a read the adapter makes without the scope for it
 * fails here as on Greenhouse (a test granting only the note scopes once looked applications up). Writes
 * whose scope names are unconfirmed (the stage move, tag writes) are not checked: a guessed name would
 * refuse a request Greenhouse accepts.
 */
const routeScopes: Readonly<Record<string, string>> = {
  'POST notes': 'harvest:notes:create',
  'GET notes': 'harvest:notes:list',
  'GET candidates': 'harvest:candidates:list',
  'GET applied_candidate_tags': 'harvest:applied_candidate_tags:list',
  ...Object.fromEntries(
    ['applications', 'application_stages', 'job_interview_stages', 'candidate_tags', 'custom_fields'].map(
      (collection) => [`GET ${collection}`, `harvest:${collection}:list`],
    ),
  ),
};

const idList = (value: string | undefined) => (value ? value.split(',').map(Number) : undefined);
const inList = (ids: number[] | undefined, id: number | null) => !ids || (id !== null && ids.includes(id));

const encodeCursor = (data: Json) => Buffer.from(JSON.stringify(data)).toString('base64url');
const decodeCursor = (cursor: string): Json | undefined => {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Json;
  } catch {
    return undefined;
  }
};

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** Starts the fake on a random port. */
export const startFakeGreenhouse = async (options: FakeGreenhouseOptions = {}): Promise<FakeGreenhouse> => {
  const clientId = options.clientId ?? 'gh-client';
  const clientSecret = options.clientSecret ?? 'gh-secret';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const defaultPerPage = options.defaultPerPage ?? 100;
  const limitedUsers = new Set(options.limitedUsers ?? []);
  let nextId = 1_000_000;
  const state: FakeGreenhouseState = {
    candidates: [...(options.seed?.candidates ?? [])],
    applications: (options.seed?.applications ?? []).map((a) => ({ ...a })),
    applicationStages: [],
    jobInterviewStages: [...(options.seed?.jobInterviewStages ?? [])],
    notes: [...(options.seed?.notes ?? [])],
    appliedTags: [...(options.seed?.appliedTags ?? [])],
    candidateTags: [...(options.seed?.candidateTags ?? [])],
    customFields: [...(options.seed?.customFields ?? [])],
    moves: [],
    tokens: new Map(),
    requests: [],
  };
  const stageName = (stageId: number | null) =>
    state.jobInterviewStages.find((s) => s.id === stageId)?.name ?? null;
  // Each seeded application enters its stage: one current `application_stages` row.
  for (const application of state.applications) {
    application.stage_name ??= stageName(application.stage_id);
    if (application.stage_id !== null) {
      state.applicationStages.push({
        id: nextId++,
        application_id: application.id,
        job_interview_stage_id: application.stage_id,
        entered_at: '2026-01-01T00:00:00Z',
        exited_at: null,
        current: true,
      });
    }
  }
  const faults = scriptedAnswers<ScriptedFault, RecordedRequest>();
  let window = { start: 0, count: 0 };
  let origin = '';

  const currentRow = (applicationId: number) =>
    state.applicationStages.find((row) => row.application_id === applicationId && row.current);

  const filterRows = (route: string, filters: Record<string, string>): unknown[] => {
    const ids = idList(filters.ids);
    const candidateIds = idList(filters.candidate_ids);
    const applicationIds = idList(filters.application_ids);
    switch (route) {
      case 'applications':
        return state.applications.filter(
          (a) =>
            inList(ids, a.id) &&
            inList(candidateIds, a.candidate_id) &&
            inList(idList(filters.job_ids), a.job_id) &&
            inList(idList(filters.stage_ids), a.stage_id),
        );
      case 'candidates': {
        const email = filters.email?.toLowerCase();
        return state.candidates.filter(
          (c) =>
            inList(ids, c.id) && (!email || c.email_addresses.some((e) => e.value.toLowerCase() === email)),
        );
      }
      case 'notes':
        return state.notes.filter(
          (n) => inList(candidateIds, n.candidate_id) && inList(applicationIds, n.application_id),
        );
      case 'application_stages':
        return state.applicationStages.filter(
          (row) =>
            inList(ids, row.id) &&
            inList(applicationIds, row.application_id) &&
            inList(idList(filters.job_interview_stage_ids), row.job_interview_stage_id) &&
            (filters.current === undefined || String(row.current) === filters.current),
        );
      case 'job_interview_stages':
        return state.jobInterviewStages
          .filter((s) => inList(ids, s.id) && inList(idList(filters.job_ids), s.job_id))
          .map(({ priority: _order, ...stage }) => stage);
      case 'candidate_tags':
        return state.candidateTags.filter((t) => inList(ids, t.id));
      case 'custom_fields':
        return state.customFields.filter((f) => inList(ids, f.id));
      default:
        return state.appliedTags.filter(
          (t) =>
            inList(candidateIds, t.candidate_id) &&
            inList(idList(filters.candidate_tag_ids), t.candidate_tag_id),
        );
    }
  };

  const handleList = (
    res: ServerResponse,
    record: RecordedRequest,
    route: string,
    extra: Record<string, string>,
  ) => {
    const allowed = listRoutes[route] ?? [];
    const keys = Object.keys(record.query);
    const unprocessable = (message: string) => answerJson(res, record, 422, { errors: [{ message }] }, extra);
    let filters: Record<string, string>;
    let perPage: number;
    let offset: number;
    if ('cursor' in record.query) {
      if (keys.length !== 1) return unprocessable('cursor must be the only query parameter');
      const cursor = decodeCursor(record.query.cursor ?? '');
      if (!cursor || cursor.route !== route) return unprocessable('invalid cursor');
      filters = cursor.filters as Record<string, string>;
      perPage = Number(cursor.perPage);
      offset = Number(cursor.offset);
    } else {
      const unknown = keys.filter((key) => key !== 'per_page' && !allowed.includes(key));
      // v1's singular filters (`candidate_id`), `page` and anything else are rejected in v3.
      if (unknown.length > 0) return unprocessable(`unknown parameter(s): ${unknown.join(', ')}`);
      // A bad parameter value is a 422 like a bad name (greenhouse.md): ids are integers, with no spaces.
      const badIds = keys.filter(
        (key) => key.endsWith('ids') && !(record.query[key] ?? '').split(',').every((id) => /^\d+$/.test(id)),
      );
      if (badIds.length > 0) return unprocessable(`${badIds.join(', ')}: not a list of integer ids`);
      if (record.query.current !== undefined && !['true', 'false'].includes(record.query.current)) {
        return unprocessable('current must be true or false');
      }
      perPage = record.query.per_page === undefined ? defaultPerPage : Number(record.query.per_page);
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 500)
        return unprocessable('per_page must be 1..500');
      filters = Object.fromEntries(Object.entries(record.query).filter(([key]) => key !== 'per_page'));
      offset = 0;
    }
    // A user without enough permissions gets empty lists, not an error.
    const rows =
      record.auth.sub !== undefined && limitedUsers.has(record.auth.sub) ? [] : filterRows(route, filters);
    const page = rows.slice(offset, offset + perPage);
    const headers: Record<string, string> = { ...extra };
    if (offset + perPage < rows.length) {
      const cursor = encodeCursor({ route, filters, perPage, offset: offset + perPage });
      headers.link = `<${origin}/v3/${route}?cursor=${cursor}>; rel="next"`;
    }
    return answerJson(res, record, 200, page, headers);
  };

  const handleToken = (res: ServerResponse, record: RecordedRequest, authHeader: string | undefined) => {
    const [scheme, encoded] = (authHeader ?? '').split(' ');
    const [id, secret] = Buffer.from(encoded ?? '', 'base64')
      .toString('utf8')
      .split(':');
    if (scheme !== 'Basic' || id !== clientId || secret !== clientSecret) {
      return answerJson(res, record, 401, { error: 'invalid_client' });
    }
    const form = record.body as Record<string, string>;
    if (!String(record.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return answerJson(res, record, 400, { error: 'invalid_request' });
    }
    if (form.grant_type !== 'client_credentials')
      return answerJson(res, record, 400, { error: 'unsupported_grant_type' });
    if (!form.sub)
      return answerJson(res, record, 400, { error: 'invalid_request', error_description: 'sub is required' });
    const token = randomBytes(16).toString('hex');
    const expiresAt = Date.now() + ttl * 1000;
    state.tokens.set(token, { sub: form.sub, expiresAt });
    return answerJson(res, record, 200, {
      token_type: 'Bearer',
      access_token: token,
      ...(options.tokenExpiry === 'expires_at'
        ? { expires_at: new Date(expiresAt).toISOString() }
        : { expires_in: ttl }),
      ...(options.tokenScopes ? { scope: options.tokenScopes.join(' ') } : {}),
    });
  };

  /** Fixed window: returns the 429 headers when over the limit, else the counters to add to the answer. */
  const rateLimitHeaders = (): { limited: boolean; headers: Record<string, string> } => {
    const { limit, windowMs } = options.rateLimit ?? { limit: 1_000_000, windowMs: 30_000 };
    const now = Date.now();
    if (now - window.start >= windowMs) window = { start: now, count: 0 };
    if (window.count >= limit) {
      const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
      return {
        limited: true,
        headers: {
          'retry-after': String(retryAfter),
          'x-ratelimit-limit': String(limit),
          'x-ratelimit-remaining': '0',
        },
      };
    }
    window.count += 1;
    return {
      limited: false,
      headers: { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(limit - window.count) },
    };
  };

  /** `POST /v3/applications/{id}/move`, refused the way the reference says. */
  const handleMove = (
    applicationId: number,
    body: unknown,
    reply: (status: number, payload?: unknown) => void,
  ) => {
    const application = state.applications.find((a) => a.id === applicationId);
    if (!application) return reply(404, { errors: [{ message: 'application not found' }] });
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return reply(422, { errors: [{ message: 'body must be an object' }] });
    const fields = body as Json;
    const unknown = Object.keys(fields).filter((key) => !moveKeys.includes(key));
    if (unknown.length > 0)
      return reply(422, { errors: [{ message: `unknown field(s): ${unknown.join(', ')}` }] });
    if (!isInteger(fields.from_stage_id))
      return reply(422, { errors: [{ field: 'from_stage_id', message: 'required' }] });
    const current = currentRow(application.id);
    const expected =
      options.moveFromStageIdIs === 'application_stage' ? current?.id : current?.job_interview_stage_id;
    if (!current || fields.from_stage_id !== expected) {
      return reply(422, { errors: [{ field: 'from_stage_id', message: 'is not the current stage' }] });
    }
    const jobStages = state.jobInterviewStages
      .filter((s) => s.job_id === application.job_id)
      .sort((a, b) => a.priority - b.priority);
    let toStageId: number | undefined;
    if (fields.to_stage_id !== undefined) {
      if (!isInteger(fields.to_stage_id)) return reply(422, { errors: [{ field: 'to_stage_id' }] });
      // Only a stage of the application's job: a job seeded without stages has none to move to.
      if (!jobStages.some((s) => s.id === fields.to_stage_id))
        return reply(422, { errors: [{ field: 'to_stage_id', message: 'not a stage of this job' }] });
      toStageId = fields.to_stage_id;
    } else if (fields.to_job_id === undefined) {
      // Both blank: advance to the job's next stage (WRITE migration guide).
      const index = jobStages.findIndex((s) => s.id === current.job_interview_stage_id);
      toStageId = index >= 0 ? jobStages[index + 1]?.id : undefined;
      if (toStageId === undefined) return reply(422, { errors: [{ message: 'no next stage' }] });
    } else {
      return reply(422, { errors: [{ field: 'to_job_id', message: 'job transfers are not faked' }] });
    }
    const now = new Date().toISOString();
    current.current = false;
    current.exited_at = now;
    state.applicationStages.push({
      id: nextId++,
      application_id: application.id,
      job_interview_stage_id: toStageId,
      entered_at: now,
      exited_at: null,
      current: true,
    });
    state.moves.push({
      application_id: application.id,
      from_stage_id: current.job_interview_stage_id,
      to_stage_id: toStageId,
    });
    application.stage_id = toStageId;
    application.stage_name = stageName(toStageId);
    return reply(204);
  };

  const handleV3 = (
    res: ServerResponse,
    record: RecordedRequest,
    segments: string[],
    rateHeaders: Record<string, string>,
  ) => {
    const body = (record.body ?? {}) as Json;
    const reply = (status: number, payload?: unknown) =>
      answerJson(res, record, status, payload, rateHeaders);
    const [route, id, action] = segments;
    if (record.method === 'GET' && route && segments.length === 1 && route in listRoutes) {
      return handleList(res, record, route, rateHeaders);
    }
    if (record.method === 'POST' && route === 'notes' && segments.length === 1) {
      const unknown = Object.keys(body).filter((key) => !noteKeys.includes(key));
      if (unknown.length > 0)
        return reply(422, { errors: [{ message: `unknown field(s): ${unknown.join(', ')}` }] });
      const candidate = state.candidates.find((c) => c.id === body.candidate_id);
      if (typeof body.candidate_id !== 'number' || !candidate)
        return reply(422, { errors: [{ field: 'candidate_id' }] });
      // An application, when named, must be one of this candidate's.
      if (
        body.application_id !== undefined &&
        !state.applications.some((a) => a.id === body.application_id && a.candidate_id === candidate.id)
      )
        return reply(422, { errors: [{ field: 'application_id' }] });
      if (typeof body.body !== 'string' || body.body.trim() === '')
        return reply(422, { errors: [{ field: 'body' }] });
      if (!['admin_only', 'private', 'public'].includes(String(body.visibility))) {
        return reply(422, { errors: [{ field: 'visibility' }] });
      }
      if (!['NOTE', 'ACTIVITY', 'EMAIL'].includes(String(body.note_type)))
        return reply(422, { errors: [{ field: 'note_type' }] });
      if (typeof body.user_id !== 'number') return reply(422, { errors: [{ field: 'user_id' }] });
      const note: FakeGreenhouseNote = {
        id: nextId++,
        candidate_id: candidate.id,
        application_id: (body.application_id as number | undefined) ?? null,
        user_id: body.user_id,
        body: body.body,
        visibility: String(body.visibility),
        type: String(body.note_type),
        created_at: new Date().toISOString(),
      };
      state.notes.push(note);
      return reply(201, note);
    }
    if (
      record.method === 'POST' &&
      route === 'applications' &&
      id &&
      action === 'move' &&
      segments.length === 3
    ) {
      return handleMove(Number(id), record.body, reply);
    }
    if (record.method === 'POST' && route === 'applied_candidate_tags' && segments.length === 1) {
      const unknown = Object.keys(body).filter((key) => !appliedTagKeys.includes(key));
      if (unknown.length > 0)
        return reply(422, { errors: unknown.map((key) => ({ field: key, message: 'unknown field' })) });
      if (
        typeof body.candidate_id !== 'number' ||
        !state.candidates.some((c) => c.id === body.candidate_id)
      ) {
        return reply(422, { errors: [{ field: 'candidate_id' }] });
      }
      // A tag id that is not one of the organisation's candidate tags (a wrong `statusTagIds`).
      if (
        typeof body.candidate_tag_id !== 'number' ||
        !state.candidateTags.some((t) => t.id === body.candidate_tag_id)
      ) {
        return reply(422, { errors: [{ field: 'candidate_tag_id' }] });
      }
      if (
        state.appliedTags.some(
          (t) => t.candidate_id === body.candidate_id && t.candidate_tag_id === body.candidate_tag_id,
        )
      ) {
        return reply(422, { errors: [{ message: 'tag already applied' }] });
      }
      const row = { id: nextId++, candidate_id: body.candidate_id, candidate_tag_id: body.candidate_tag_id };
      state.appliedTags.push(row);
      return reply(201, row);
    }
    if (record.method === 'DELETE' && route === 'applied_candidate_tags' && id && !action) {
      const index = state.appliedTags.findIndex((t) => t.id === Number(id));
      if (index < 0) return reply(404, { errors: [{ message: 'not found' }] });
      state.appliedTags.splice(index, 1);
      return reply(204);
    }
    return reply(404, { errors: [{ message: 'no such route' }] });
  };

  const server = await startFakeServer(async (req, res) => {
    // `POST /token` takes a form (client-credentials grant); the `/v3` API takes JSON.
    const body = await readParsedBody(req, { acceptForm: true });
    const authHeader = req.headers.authorization;
    const scheme = !authHeader
      ? 'none'
      : authHeader.startsWith('Bearer ')
        ? 'Bearer'
        : authHeader.startsWith('Basic ')
          ? 'Basic'
          : 'other';
    const bearer = scheme === 'Bearer' ? state.tokens.get(authHeader?.slice(7) ?? '') : undefined;
    const bearerValid = !!bearer && bearer.expiresAt > Date.now();
    const record: RecordedRequest = {
      ...requestLine(req),
      auth: {
        scheme,
        valid: scheme === 'Bearer' ? bearerValid : false,
        ...(bearer ? { sub: bearer.sub } : {}),
      },
      body,
    };
    state.requests.push(record);

    if (record.path === '/token' && record.method === 'POST') return handleToken(res, record, authHeader);
    const segments = record.path.split('/').filter(Boolean);
    if (segments[0] !== 'v3') return answerJson(res, record, 404, { errors: [{ message: 'not found' }] });
    if (!bearerValid) {
      return answerJson(
        res,
        record,
        401,
        { error: 'invalid_token' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    const needed = routeScopes[`${record.method} ${segments[1] ?? ''}`];
    if (options.tokenScopes !== undefined && needed !== undefined && !options.tokenScopes.includes(needed)) {
      return answerJson(res, record, 403, { errors: [{ message: `Missing 1 required scope: ${needed}` }] });
    }
    // The v3 writes take JSON bodies. What Greenhouse answers to one without `Content-Type: application/json`
    // is not in greenhouse.md (a 415, or a 422 for the fields it then cannot read): either way it is refused,
    // so the fake refuses it (415, a `charset` parameter allowed) whatever the body looks like.
    if (
      ['POST', 'PUT', 'PATCH'].includes(record.method) &&
      !/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))
    ) {
      return answerJson(res, record, 415, { errors: [{ message: 'Content-Type must be application/json' }] });
    }
    const fault = faults.take(record);
    if (fault) return answerJson(res, record, fault.status, fault.body, fault.headers);
    const rate = rateLimitHeaders();
    if (rate.limited)
      return answerJson(res, record, 429, { errors: [{ message: 'rate limit exceeded' }] }, rate.headers);
    return handleV3(res, record, segments.slice(1), rate.headers);
  }, options);
  // `Link` headers carry absolute URLs; requests only arrive once the server listens.
  origin = server.url;

  return {
    ...server,
    state,
    failNext: faults.script,
    expireTokens: () => {
      for (const token of state.tokens.values()) token.expiresAt = 0;
    },
    currentStageOf: (applicationId) => currentRow(applicationId)?.job_interview_stage_id,
  };
};
