/**
 * A local fake of the Lever API v1 (node:http, in-memory state) that checks what shared/ats/lever.md says:
 * Basic auth with the configured key as username, `perform_as` on every write, the `email` filter,
 * `{ data, hasNext, next }` pagination with `limit` ≤ 100 and an opaque `offset`, plain-text notes (a note
 * containing HTML tags is refused with 400 so a contract test notices), and a token bucket (429 +
 * `Retry-After` above the configured rate). Requests are recorded without the `authorization` header.
 */
import type { ServerResponse } from 'node:http';
import type { ListenOptions, RecordedRequestLine, RunningFake, ScriptedJsonFault } from './fake-server.js';
import { answerJson, readParsedBody, requestLine, scriptedAnswers, startFakeServer } from './fake-server.js';

export interface FakeLeverOpportunity {
  id: string;
  contact: string;
  name?: string;
  emails: string[];
  stage: string;
  tags: string[];
  links: string[];
  archived: null | { archivedAt: number; reason: string };
  createdAt: number;
}
export interface FakeLeverNote {
  id: string;
  opportunityId: string;
  text: string;
  fields: Array<{ type: string; text: string; value: string }>;
  secret: boolean;
  user: string;
  createdAt: number;
}

/** Method, path, query, headers without `authorization`, and the status the fake answered. */
export interface RecordedRequest extends RecordedRequestLine {
  readonly auth: { readonly scheme: 'Basic' | 'none' | 'other'; readonly valid: boolean };
  readonly body: unknown;
}

export interface FakeLeverState {
  opportunities: FakeLeverOpportunity[];
  notes: FakeLeverNote[];
  /** Stage ids that exist (`GET /stages`). */
  stages: string[];
  /** Lever user ids `perform_as` may name. */
  users: string[];
  requests: RecordedRequest[];
}

/** `match` applies to authorised requests only. */
export type ScriptedFault = ScriptedJsonFault<RecordedRequest>;

export interface FakeLeverOptions extends Pick<ListenOptions, 'port'> {
  /** @default 'lever-key' */
  readonly apiKey?: string;
  /** Token bucket. @default none */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  readonly seed?: Partial<Pick<FakeLeverState, 'opportunities' | 'notes' | 'stages' | 'users'>>;
}

export interface FakeLever extends RunningFake<FakeLeverState, ScriptedFault> {
  /** Origin; the adapter's `baseUrl` is `${url}/v1`. */
  readonly url: string;
}

const htmlTag = /<\/?[a-z][a-z0-9]*(\s[^>]*)?>/i;

/** Starts the fake on a random port. */
export const startFakeLever = async (options: FakeLeverOptions = {}): Promise<FakeLever> => {
  const apiKey = options.apiKey ?? 'lever-key';
  const state: FakeLeverState = {
    opportunities: [...(options.seed?.opportunities ?? [])],
    notes: [...(options.seed?.notes ?? [])],
    stages: [...(options.seed?.stages ?? [])],
    users: [...(options.seed?.users ?? [])],
    requests: [],
  };
  const faults = scriptedAnswers<ScriptedFault, RecordedRequest>();
  const bucket = { tokens: options.rateLimit?.burst ?? 0, at: Date.now() };
  let nextId = 1;

  const takeToken = (): boolean => {
    if (!options.rateLimit) return true;
    const now = Date.now();
    bucket.tokens = Math.min(
      options.rateLimit.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * options.rateLimit.perSecond,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const page = <T>(res: ServerResponse, record: RecordedRequest, rows: T[]) => {
    const limit = record.query.limit === undefined ? 100 : Number(record.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return answerJson(res, record, 400, { code: 'BadRequestError', message: 'limit must be 1..100' });
    const offset = record.query.offset
      ? Number(Buffer.from(record.query.offset, 'base64url').toString('utf8'))
      : 0;
    if (!Number.isInteger(offset) || offset < 0)
      return answerJson(res, record, 400, { code: 'BadRequestError', message: 'invalid offset' });
    const data = rows.slice(offset, offset + limit);
    const hasNext = offset + limit < rows.length;
    return answerJson(res, record, 200, {
      data,
      hasNext,
      ...(hasNext ? { next: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
    });
  };

  const handle = (res: ServerResponse, record: RecordedRequest, segments: string[]) => {
    const body = (record.body ?? {}) as Record<string, unknown>;
    const [collection, id, sub] = segments;
    const isWrite = record.method !== 'GET';
    if (isWrite) {
      const performAs = record.query.perform_as;
      // Lever would attribute the write to the key's owner; interview-sync must always say who writes.
      if (!performAs)
        return answerJson(res, record, 400, { code: 'BadRequestError', message: 'perform_as is required' });
      if (state.users.length > 0 && !state.users.includes(performAs)) {
        return answerJson(res, record, 400, { code: 'BadRequestError', message: 'unknown perform_as user' });
      }
    }
    if (collection !== 'opportunities')
      return answerJson(res, record, 404, { code: 'ResourceNotFound', message: 'not found' });
    if (!id) {
      if (record.method !== 'GET')
        return answerJson(res, record, 405, { code: 'MethodNotAllowed', message: 'method not allowed' });
      const email = record.query.email?.toLowerCase();
      const contact = record.query.contact_id;
      return page(
        res,
        record,
        state.opportunities.filter(
          (o) =>
            (!email || o.emails.some((e) => e.toLowerCase() === email)) &&
            (!contact || o.contact === contact),
        ),
      );
    }
    const opportunity = state.opportunities.find((o) => o.id === id);
    if (!opportunity)
      return answerJson(res, record, 404, { code: 'ResourceNotFound', message: 'opportunity not found' });
    if (!sub && record.method === 'GET') return answerJson(res, record, 200, { data: opportunity });
    if (sub === 'notes' && record.method === 'GET') {
      return page(
        res,
        record,
        state.notes.filter((n) => n.opportunityId === id),
      );
    }
    if (sub === 'notes' && record.method === 'POST') {
      if (typeof body.value !== 'string' || body.value.trim() === '') {
        return answerJson(res, record, 400, { code: 'BadRequestError', message: 'value is required' });
      }
      if (htmlTag.test(body.value)) {
        return answerJson(res, record, 400, {
          code: 'BadRequestError',
          message: 'notes are plain text (HTML shows literally)',
        });
      }
      const note: FakeLeverNote = {
        id: `note-${nextId++}`,
        opportunityId: id,
        text: '',
        fields: [{ type: 'note', text: 'Note', value: body.value }],
        secret: body.secret === true,
        user: record.query.perform_as ?? '',
        createdAt: Date.now(),
      };
      state.notes.push(note);
      return answerJson(res, record, 201, { data: { noteId: note.id } });
    }
    if (sub === 'stage' && record.method === 'PUT') {
      if (typeof body.stage !== 'string' || (state.stages.length > 0 && !state.stages.includes(body.stage))) {
        return answerJson(res, record, 400, { code: 'BadRequestError', message: 'unknown stage' });
      }
      opportunity.stage = body.stage;
      return answerJson(res, record, 200, { data: opportunity });
    }
    if ((sub === 'addTags' || sub === 'removeTags' || sub === 'addLinks') && record.method === 'POST') {
      const key = sub === 'addLinks' ? 'links' : 'tags';
      const values = body[key];
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
        return answerJson(res, record, 400, {
          code: 'BadRequestError',
          message: `${key} must be an array of strings`,
        });
      }
      if (sub === 'removeTags') opportunity.tags = opportunity.tags.filter((t) => !values.includes(t));
      else {
        const target = sub === 'addLinks' ? opportunity.links : opportunity.tags;
        for (const value of values) if (!target.includes(value)) target.push(value);
      }
      return answerJson(res, record, 200, { data: opportunity });
    }
    return answerJson(res, record, 404, { code: 'ResourceNotFound', message: 'no such route' });
  };

  const server = await startFakeServer(async (req, res) => {
    const body = await readParsedBody(req);
    const authHeader = req.headers.authorization ?? '';
    const scheme = !authHeader ? 'none' : authHeader.startsWith('Basic ') ? 'Basic' : 'other';
    const [user, password] = Buffer.from(authHeader.slice(6), 'base64').toString('utf8').split(':');
    const record: RecordedRequest = {
      ...requestLine(req),
      auth: { scheme, valid: scheme === 'Basic' && user === apiKey && password === '' },
      body,
    };
    state.requests.push(record);
    if (!record.auth.valid)
      return answerJson(res, record, 401, { code: 'UnauthorizedError', message: 'invalid API key' });
    const fault = faults.take(record);
    if (fault) return answerJson(res, record, fault.status, fault.body, fault.headers);
    if (!takeToken())
      return answerJson(
        res,
        record,
        429,
        { code: 'TooManyRequests', message: 'rate limit' },
        { 'retry-after': '1' },
      );
    const segments = record.path.split('/').filter(Boolean);
    if (segments[0] !== 'v1')
      return answerJson(res, record, 404, { code: 'ResourceNotFound', message: 'not found' });
    return handle(res, record, segments.slice(1));
  }, options);
  return { ...server, state, failNext: faults.script };
};
