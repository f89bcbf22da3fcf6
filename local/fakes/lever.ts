/**
 * A local fake of the Lever API v1 (node:http, in-memory state) that checks what shared/ats/lever.md says:
 * Basic auth with the configured key as username, `perform_as` on every write, the `email` filter,
 * `{ data, hasNext, next }` pagination with `limit` ≤ 100 and an opaque `offset`, plain-text notes (a note
 * containing HTML tags is refused with 400 so a contract test notices), and a token bucket (429 +
 * `Retry-After` above the configured rate). Requests are recorded without the `authorization` header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: { readonly scheme: 'Basic' | 'none' | 'other'; readonly valid: boolean };
  readonly body: unknown;
  status?: number;
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

export interface ScriptedFault {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** @default 1 */
  readonly times?: number;
  readonly match?: (request: RecordedRequest) => boolean;
}

export interface FakeLeverOptions {
  /** @default 'lever-key' */
  readonly apiKey?: string;
  /** Token bucket. @default none */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  readonly seed?: Partial<Pick<FakeLeverState, 'opportunities' | 'notes' | 'stages' | 'users'>>;
  /** @default 0 (random) */
  readonly port?: number;
}

export interface FakeLever {
  /** Origin; the adapter's `baseUrl` is `${url}/v1`. */
  readonly url: string;
  readonly port: number;
  readonly state: FakeLeverState;
  failNext(fault: ScriptedFault): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const send = (res: ServerResponse, record: RecordedRequest, status: number, body?: unknown, headers = {}) => {
  record.status = status;
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};

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
  const faults: Array<ScriptedFault & { left: number }> = [];
  const bucket = { tokens: options.rateLimit?.burst ?? 0, at: Date.now() };
  let nextId = 1;
  let origin = '';

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
      return send(res, record, 400, { code: 'BadRequestError', message: 'limit must be 1..100' });
    const offset = record.query.offset
      ? Number(Buffer.from(record.query.offset, 'base64url').toString('utf8'))
      : 0;
    if (!Number.isInteger(offset) || offset < 0)
      return send(res, record, 400, { code: 'BadRequestError', message: 'invalid offset' });
    const data = rows.slice(offset, offset + limit);
    const hasNext = offset + limit < rows.length;
    return send(res, record, 200, {
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
        return send(res, record, 400, { code: 'BadRequestError', message: 'perform_as is required' });
      if (state.users.length > 0 && !state.users.includes(performAs)) {
        return send(res, record, 400, { code: 'BadRequestError', message: 'unknown perform_as user' });
      }
    }
    if (collection !== 'opportunities')
      return send(res, record, 404, { code: 'ResourceNotFound', message: 'not found' });
    if (!id) {
      if (record.method !== 'GET')
        return send(res, record, 405, { code: 'MethodNotAllowed', message: 'method not allowed' });
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
      return send(res, record, 404, { code: 'ResourceNotFound', message: 'opportunity not found' });
    if (!sub && record.method === 'GET') return send(res, record, 200, { data: opportunity });
    if (sub === 'notes' && record.method === 'GET') {
      return page(
        res,
        record,
        state.notes.filter((n) => n.opportunityId === id),
      );
    }
    if (sub === 'notes' && record.method === 'POST') {
      if (typeof body.value !== 'string' || body.value.trim() === '') {
        return send(res, record, 400, { code: 'BadRequestError', message: 'value is required' });
      }
      if (htmlTag.test(body.value)) {
        return send(res, record, 400, {
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
      return send(res, record, 201, { data: { noteId: note.id } });
    }
    if (sub === 'stage' && record.method === 'PUT') {
      if (typeof body.stage !== 'string' || (state.stages.length > 0 && !state.stages.includes(body.stage))) {
        return send(res, record, 400, { code: 'BadRequestError', message: 'unknown stage' });
      }
      opportunity.stage = body.stage;
      return send(res, record, 200, { data: opportunity });
    }
    if ((sub === 'addTags' || sub === 'removeTags' || sub === 'addLinks') && record.method === 'POST') {
      const key = sub === 'addLinks' ? 'links' : 'tags';
      const values = body[key];
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
        return send(res, record, 400, {
          code: 'BadRequestError',
          message: `${key} must be an array of strings`,
        });
      }
      if (sub === 'removeTags') opportunity.tags = opportunity.tags.filter((t) => !values.includes(t));
      else {
        const target = sub === 'addLinks' ? opportunity.links : opportunity.tags;
        for (const value of values) if (!target.includes(value)) target.push(value);
      }
      return send(res, record, 200, { data: opportunity });
    }
    return send(res, record, 404, { code: 'ResourceNotFound', message: 'no such route' });
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const authHeader = req.headers.authorization ?? '';
    const scheme = !authHeader ? 'none' : authHeader.startsWith('Basic ') ? 'Basic' : 'other';
    const [user, password] = Buffer.from(authHeader.slice(6), 'base64').toString('utf8').split(':');
    const { authorization: _secret, ...headers } = req.headers;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      rawQuery: url.search.slice(1),
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
      auth: { scheme, valid: scheme === 'Basic' && user === apiKey && password === '' },
      body,
    };
    state.requests.push(record);
    if (!record.auth.valid)
      return send(res, record, 401, { code: 'UnauthorizedError', message: 'invalid API key' });
    const fault = faults.find((f) => f.left > 0 && (!f.match || f.match(record)));
    if (fault) {
      fault.left -= 1;
      return send(res, record, fault.status, fault.body, fault.headers);
    }
    if (!takeToken())
      return send(
        res,
        record,
        429,
        { code: 'TooManyRequests', message: 'rate limit' },
        { 'retry-after': '1' },
      );
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'v1')
      return send(res, record, 404, { code: 'ResourceNotFound', message: 'not found' });
    return handle(res, record, segments.slice(1));
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    port,
    state,
    failNext: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
