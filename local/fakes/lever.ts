/**
 * A local fake of the Lever API v1 (node:http, in-memory state) that checks what shared/ats/lever.md says:
 * Basic auth with the configured key as username, `perform_as` on every write, the `email` filter,
 * `{ data, hasNext, next }` pagination with `limit` ≤ 100 and an opaque `offset`, plain-text notes (HTML is
 * kept as literal text, as Lever shows it), and a token bucket (429 +
 * `Retry-After` above the configured rate). Requests are recorded without the `authorization` header.
 *
 * Links are CONTACT-level (Lever's "Update contact links by opportunity"): `addLinks`/`removeLinks` on one
 * opportunity change the `links` of every opportunity of the same contact, and take `{ links: string[] }`
 * (anything else is a 400). Keys listed in `keyPermissions` stand for keys created without endpoints:
 * `none` gets 403 on everything, `read-only` on writes. `GET /stages`, `/tags` and `/users/{id}` serve the
 * doctor. Writes name a seeded user and stage moves a seeded stage, or they are refused as Lever refuses an
 * unknown id: a fake seeded without users or stages refuses every write or move, never accepts any id.
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
  /** Postings the opportunity's applications are for (what `GET /opportunities?posting_id=` filters on). */
  postingIds?: string[];
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

export interface FakeLeverUserProfile {
  name: string;
  accessRole: string;
  deactivatedAt?: number | null;
}

export interface FakeLeverState {
  opportunities: FakeLeverOpportunity[];
  notes: FakeLeverNote[];
  /** Stage ids that exist (`GET /stages`). */
  stages: string[];
  /** Stage names by id (`GET /stages` answers the id when a stage has none). */
  stageTexts: Record<string, string>;
  /** Lever user ids `perform_as` may name. */
  users: string[];
  /** What `GET /users/{id}` answers for a user (a default profile otherwise). */
  userProfiles: Record<string, FakeLeverUserProfile>;
  requests: RecordedRequest[];
}

/** `match` applies to authorised requests only. */
export type ScriptedFault = ScriptedJsonFault<RecordedRequest>;

export interface FakeLeverOptions extends Pick<ListenOptions, 'port'> {
  /** @default 'lever-key' */
  readonly apiKey?: string;
  /** Token bucket. @default none */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /** Other keys the fake knows, created without endpoints (`none`) or with read endpoints only. @default none */
  readonly keyPermissions?: Readonly<Record<string, 'none' | 'read-only'>>;
  readonly seed?: Partial<
    Pick<FakeLeverState, 'opportunities' | 'notes' | 'stages' | 'stageTexts' | 'users' | 'userProfiles'>
  >;
}

export interface FakeLever extends RunningFake<FakeLeverState, ScriptedFault> {
  /** Origin; the adapter's `baseUrl` is `${url}/v1`. */
  readonly url: string;
}

/** Starts the fake on a random port. */
export const startFakeLever = async (options: FakeLeverOptions = {}): Promise<FakeLever> => {
  const apiKey = options.apiKey ?? 'lever-key';
  const state: FakeLeverState = {
    opportunities: [...(options.seed?.opportunities ?? [])],
    notes: [...(options.seed?.notes ?? [])],
    stages: [...(options.seed?.stages ?? [])],
    stageTexts: { ...(options.seed?.stageTexts ?? {}) },
    users: [...(options.seed?.users ?? [])],
    userProfiles: { ...(options.seed?.userProfiles ?? {}) },
    requests: [],
  };
  // Links are the contact's: opportunities of one person share one list.
  const contactLinks = (contact: string) =>
    state.opportunities.filter((o) => o.contact === contact).flatMap((o) => o.links);
  for (const opportunity of state.opportunities) {
    opportunity.links = [...new Set(contactLinks(opportunity.contact))];
  }
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
      // Lever refuses a user it does not have; a fake seeded with no users has none, so it refuses every write.
      if (!state.users.includes(performAs)) {
        return answerJson(res, record, 400, { code: 'BadRequestError', message: 'unknown perform_as user' });
      }
    }
    if (collection === 'stages' && !id && record.method === 'GET') {
      return page(
        res,
        record,
        state.stages.map((stage) => ({ id: stage, text: state.stageTexts[stage] ?? stage })),
      );
    }
    if (collection === 'tags' && !id && record.method === 'GET') {
      const counts = new Map<string, number>();
      for (const tag of state.opportunities.flatMap((o) => o.tags))
        counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return page(
        res,
        record,
        [...counts].map(([text, count]) => ({ text, count })),
      );
    }
    if (collection === 'users' && id && !sub && record.method === 'GET') {
      if (!state.users.includes(id))
        return answerJson(res, record, 404, { code: 'ResourceNotFound', message: 'user not found' });
      const profile = state.userProfiles[id] ?? { name: `User ${id}`, accessRole: 'super admin' };
      return answerJson(res, record, 200, { data: { id, ...profile } });
    }
    if (collection !== 'opportunities')
      return answerJson(res, record, 404, { code: 'ResourceNotFound', message: 'not found' });
    if (!id) {
      if (record.method !== 'GET')
        return answerJson(res, record, 405, { code: 'MethodNotAllowed', message: 'method not allowed' });
      const email = record.query.email?.toLowerCase();
      const contact = record.query.contact_id;
      const posting = record.query.posting_id;
      return page(
        res,
        record,
        state.opportunities.filter(
          (o) =>
            (!email || o.emails.some((e) => e.toLowerCase() === email)) &&
            (!contact || o.contact === contact) &&
            (!posting || (o.postingIds ?? []).includes(posting)),
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
      // The documented optional fields, with their documented values (lever.md).
      const invalid =
        (body.secret !== undefined && typeof body.secret !== 'boolean') ||
        (body.score !== undefined &&
          !(Number.isInteger(body.score) && Number(body.score) >= 1 && Number(body.score) <= 4)) ||
        (body.createdAt !== undefined &&
          !(Number.isInteger(body.createdAt) && Number(body.createdAt) <= Date.now()));
      if (invalid) {
        return answerJson(res, record, 400, {
          code: 'BadRequestError',
          message: 'secret must be a boolean, score 1-4, createdAt a past epoch in ms',
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
      if (typeof body.stage !== 'string' || !state.stages.includes(body.stage)) {
        return answerJson(res, record, 400, { code: 'BadRequestError', message: 'unknown stage' });
      }
      opportunity.stage = body.stage;
      return answerJson(res, record, 200, { data: opportunity });
    }
    if ((sub === 'addTags' || sub === 'removeTags') && record.method === 'POST') {
      const values = body.tags;
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
        return answerJson(res, record, 400, {
          code: 'BadRequestError',
          message: 'tags must be an array of strings',
        });
      }
      if (sub === 'removeTags') opportunity.tags = opportunity.tags.filter((t) => !values.includes(t));
      else for (const value of values) if (!opportunity.tags.includes(value)) opportunity.tags.push(value);
      return answerJson(res, record, 200, { data: opportunity });
    }
    if ((sub === 'addLinks' || sub === 'removeLinks') && record.method === 'POST') {
      const values = body.links;
      if (
        !Array.isArray(values) ||
        values.length === 0 ||
        !values.every((v) => typeof v === 'string' && v.trim() !== '')
      ) {
        return answerJson(res, record, 400, {
          code: 'BadRequestError',
          message: 'links must be a non-empty array of strings',
        });
      }
      const current = opportunity.links; // every opportunity of the contact holds the same list
      // Appended as sent: whether Lever keeps links as a set is not documented, so the fake assumes it does
      // not (a repeated link then shows in a test).
      const next =
        sub === 'addLinks' ? [...current, ...values] : current.filter((link) => !values.includes(link));
      for (const other of state.opportunities.filter((o) => o.contact === opportunity.contact)) {
        other.links = [...next];
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
    const permissions = user === apiKey ? 'all' : options.keyPermissions?.[user ?? ''];
    const record: RecordedRequest = {
      ...requestLine(req),
      auth: { scheme, valid: scheme === 'Basic' && permissions !== undefined && password === '' },
      body,
    };
    state.requests.push(record);
    if (!record.auth.valid)
      return answerJson(res, record, 401, { code: 'UnauthorizedError', message: 'invalid API key' });
    // A key created without the endpoint: 403, the request is not applied.
    if (permissions === 'none' || (permissions === 'read-only' && record.method !== 'GET'))
      return answerJson(res, record, 403, {
        code: 'Forbidden',
        message: 'API key lacks access to this endpoint',
      });
    // JSON in and out (lever.md): a body of another type is refused.
    if (body !== undefined && !/^application\/json\b/i.test(String(req.headers['content-type'] ?? '')))
      return answerJson(res, record, 415, {
        code: 'UnsupportedMediaType',
        message: 'expected application/json',
      });
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
