/**
 * A local fake of Greenhouse Harvest v3 (node:http, in-memory state) that checks what shared/ats/greenhouse.md
 * says a client must do:
 * - a Bearer token issued by its own `POST /token` (Basic `client_id:client_secret`, form
 *   `grant_type=client_credentials&sub=…`), 401 on a missing, wrong or expired token;
 * - plural filters only, `per_page` ≤ 500, and a cursor that must be the only query parameter (422 otherwise);
 * - cursor pagination through `Link: <…>; rel="next"` (no `prev`, no `last`);
 * - a fixed rate-limit window: `X-RateLimit-Remaining` on every answer, 429 + `Retry-After` beyond it.
 * Every request is recorded (method, path, query, headers without `authorization`, parsed body) for contract
 * assertions; `failNext` scripts faults (e.g. a 429 or a 500) for the next matching requests.
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
export interface FakeGreenhouseApplication {
  id: number;
  candidate_id: number;
  job_id: number | null;
  job_interview_stage_id: number | null;
  status: string;
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
export interface FakeGreenhouseMove {
  application_id: number;
  from_stage_id: number | null;
  to_stage_id: number;
}

/** Method, path, query, headers without `authorization`, and the status the fake answered. */
export interface RecordedRequest extends RecordedRequestLine {
  readonly auth: { readonly scheme: 'Bearer' | 'Basic' | 'none' | 'other'; readonly valid: boolean };
  readonly body: unknown;
}

export interface FakeGreenhouseState {
  candidates: FakeGreenhouseCandidate[];
  applications: FakeGreenhouseApplication[];
  notes: FakeGreenhouseNote[];
  appliedTags: FakeGreenhouseAppliedTag[];
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
  /** Fixed-window rate limit on `/v3`. @default none */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** Default `per_page`. @default 100 */
  readonly defaultPerPage?: number;
  readonly seed?: Partial<Pick<FakeGreenhouseState, 'candidates' | 'applications' | 'notes' | 'appliedTags'>>;
}

export interface FakeGreenhouse extends RunningFake<FakeGreenhouseState, ScriptedFault> {
  /** Origin, e.g. `http://127.0.0.1:54321`; the adapter's `baseUrl` is `${url}/v3`, `authUrl` `${url}/token`. */
  readonly url: string;
  /** Makes every issued token expired (the next call gets a 401). */
  expireTokens(): void;
}

type Json = Record<string, unknown>;

const listRoutes: Record<string, readonly string[]> = {
  applications: ['ids', 'candidate_ids', 'job_ids'],
  candidates: ['ids', 'email'],
  notes: ['candidate_ids', 'application_ids'],
  applied_candidate_tags: ['candidate_ids', 'candidate_tag_ids'],
};

const idList = (value: string | undefined) =>
  value ? value.split(',').map((id) => Number(id.trim())) : undefined;

const encodeCursor = (data: Json) => Buffer.from(JSON.stringify(data)).toString('base64url');
const decodeCursor = (cursor: string): Json | undefined => {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Json;
  } catch {
    return undefined;
  }
};

/** Starts the fake on a random port. */
export const startFakeGreenhouse = async (options: FakeGreenhouseOptions = {}): Promise<FakeGreenhouse> => {
  const clientId = options.clientId ?? 'gh-client';
  const clientSecret = options.clientSecret ?? 'gh-secret';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const defaultPerPage = options.defaultPerPage ?? 100;
  const state: FakeGreenhouseState = {
    candidates: [...(options.seed?.candidates ?? [])],
    applications: [...(options.seed?.applications ?? [])],
    notes: [...(options.seed?.notes ?? [])],
    appliedTags: [...(options.seed?.appliedTags ?? [])],
    moves: [],
    tokens: new Map(),
    requests: [],
  };
  const faults = scriptedAnswers<ScriptedFault, RecordedRequest>();
  let window = { start: 0, count: 0 };
  let nextId = 1_000_000;
  let origin = '';

  const filterRows = (route: string, filters: Record<string, string>): Json[] => {
    const ids = idList(filters.ids);
    const candidateIds = idList(filters.candidate_ids);
    switch (route) {
      case 'applications':
        return state.applications.filter(
          (a) =>
            (!ids || ids.includes(a.id)) &&
            (!candidateIds || candidateIds.includes(a.candidate_id)) &&
            (!filters.job_ids || idList(filters.job_ids)?.includes(a.job_id ?? -1)),
        ) as unknown as Json[];
      case 'candidates': {
        const email = filters.email?.toLowerCase();
        return state.candidates.filter(
          (c) =>
            (!ids || ids.includes(c.id)) &&
            (!email || c.email_addresses.some((e) => e.value.toLowerCase() === email)),
        ) as unknown as Json[];
      }
      case 'notes':
        return state.notes.filter(
          (n) =>
            (!candidateIds || candidateIds.includes(n.candidate_id)) &&
            (!filters.application_ids || idList(filters.application_ids)?.includes(n.application_id ?? -1)),
        ) as unknown as Json[];
      default:
        return state.appliedTags.filter(
          (t) =>
            (!candidateIds || candidateIds.includes(t.candidate_id)) &&
            (!filters.candidate_tag_ids || idList(filters.candidate_tag_ids)?.includes(t.candidate_tag_id)),
        ) as unknown as Json[];
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
    let filters: Record<string, string>;
    let perPage: number;
    let offset: number;
    if ('cursor' in record.query) {
      if (keys.length !== 1) {
        return answerJson(
          res,
          record,
          422,
          { errors: [{ message: 'cursor must be the only query parameter' }] },
          extra,
        );
      }
      const cursor = decodeCursor(record.query.cursor ?? '');
      if (!cursor || cursor.route !== route) {
        return answerJson(res, record, 422, { errors: [{ message: 'invalid cursor' }] }, extra);
      }
      filters = cursor.filters as Record<string, string>;
      perPage = Number(cursor.perPage);
      offset = Number(cursor.offset);
    } else {
      const unknown = keys.filter((key) => key !== 'per_page' && !allowed.includes(key));
      if (unknown.length > 0) {
        // v1's singular filters (`candidate_id`), `page` and anything else are rejected in v3.
        return answerJson(
          res,
          record,
          422,
          { errors: [{ message: `unknown parameter(s): ${unknown.join(', ')}` }] },
          extra,
        );
      }
      perPage = record.query.per_page === undefined ? defaultPerPage : Number(record.query.per_page);
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 500) {
        return answerJson(res, record, 422, { errors: [{ message: 'per_page must be 1..500' }] }, extra);
      }
      filters = Object.fromEntries(Object.entries(record.query).filter(([key]) => key !== 'per_page'));
      offset = 0;
    }
    const rows = filterRows(route, filters);
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
    state.tokens.set(token, { sub: form.sub, expiresAt: Date.now() + ttl * 1000 });
    return answerJson(res, record, 200, { token_type: 'Bearer', access_token: token, expires_in: ttl });
  };

  /** Fixed window: returns the 429 headers when over the limit, else the counters to add to the answer. */
  const rateLimitHeaders = (): { limited: boolean; headers: Record<string, string> } => {
    if (!options.rateLimit) return { limited: false, headers: {} };
    const { limit, windowMs } = options.rateLimit;
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
      const candidate = state.candidates.find((c) => c.id === body.candidate_id);
      if (typeof body.candidate_id !== 'number' || !candidate)
        return reply(422, { errors: [{ field: 'candidate_id' }] });
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
        application_id: typeof body.application_id === 'number' ? body.application_id : null,
        user_id: body.user_id,
        body: body.body,
        visibility: String(body.visibility),
        type: String(body.note_type),
        created_at: new Date().toISOString(),
      };
      state.notes.push(note);
      return reply(201, note);
    }
    if (record.method === 'POST' && route === 'applications' && id && action === 'move') {
      const application = state.applications.find((a) => a.id === Number(id));
      if (!application) return reply(404, { errors: [{ message: 'application not found' }] });
      if (body.from_stage_id !== undefined && body.from_stage_id !== application.job_interview_stage_id) {
        return reply(422, { errors: [{ field: 'from_stage_id', message: 'not the current stage' }] });
      }
      if (typeof body.to_stage_id !== 'number') return reply(422, { errors: [{ field: 'to_stage_id' }] });
      state.moves.push({
        application_id: application.id,
        from_stage_id: application.job_interview_stage_id,
        to_stage_id: body.to_stage_id,
      });
      application.job_interview_stage_id = body.to_stage_id;
      return reply(200, application);
    }
    if (record.method === 'POST' && route === 'applied_candidate_tags' && segments.length === 1) {
      if (typeof body.candidate_id !== 'number' || typeof body.candidate_tag_id !== 'number') {
        return reply(422, { errors: [{ field: 'candidate_id' }] });
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
      auth: { scheme, valid: scheme === 'Bearer' ? bearerValid : false },
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
  };
};
