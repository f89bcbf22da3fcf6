/**
 * A local fake of the Ashby API (node:http, in-memory state) that checks what shared/ats/ashby.md says:
 * Basic auth with the key as username, POST-only RPC routes (`POST /candidate.search`…; anything else is
 * 405/404), `{ success: false, errors }` bodies on HTTP 200 for refused calls, notes in Ashby's HTML subset
 * (tags outside `<b> <i> <u> <a> <ul> <ol> <li> <code> <pre>` are "stripped" and recorded on the note so a
 * test can assert there were none), and a sliding-window rate limit with 429 + `Retry-After`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: { readonly scheme: 'Basic' | 'none' | 'other'; readonly valid: boolean };
  readonly body: unknown;
  status?: number;
}

export interface FakeAshbyState {
  candidates: FakeAshbyCandidate[];
  applications: FakeAshbyApplication[];
  notes: FakeAshbyNote[];
  /** Interview stage ids that exist. */
  stages: string[];
  /** Candidate tag ids that exist. */
  tagIds: string[];
  customFieldValues: FakeAshbyFieldValue[];
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

export interface FakeAshbyOptions {
  /** @default 'ashby-key' */
  readonly apiKey?: string;
  /** Sliding-window rate limit. @default none */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  readonly seed?: Partial<
    Pick<FakeAshbyState, 'candidates' | 'applications' | 'notes' | 'stages' | 'tagIds'>
  >;
  /** @default 0 (random) */
  readonly port?: number;
}

export interface FakeAshby {
  /** Origin; the adapter's `baseUrl`. */
  readonly url: string;
  readonly port: number;
  readonly state: FakeAshbyState;
  failNext(fault: ScriptedFault): void;
  close(): Promise<void>;
}

/** Ashby's supported note HTML (ashby.md). */
export const ashbyAllowedTags = ['b', 'i', 'u', 'a', 'ul', 'ol', 'li', 'code', 'pre'] as const;

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

const strippedTagsOf = (html: string): string[] =>
  [...html.matchAll(/<\/?([a-z][a-z0-9]*)\b[^>]*>/gi)]
    .map((m) => (m[1] ?? '').toLowerCase())
    .filter((tag) => !(ashbyAllowedTags as readonly string[]).includes(tag));

/** Starts the fake on a random port. */
export const startFakeAshby = async (options: FakeAshbyOptions = {}): Promise<FakeAshby> => {
  const apiKey = options.apiKey ?? 'ashby-key';
  const state: FakeAshbyState = {
    candidates: [...(options.seed?.candidates ?? [])],
    applications: [...(options.seed?.applications ?? [])],
    notes: [...(options.seed?.notes ?? [])],
    stages: [...(options.seed?.stages ?? [])],
    tagIds: [...(options.seed?.tagIds ?? [])],
    customFieldValues: [],
    requests: [],
  };
  const faults: Array<ScriptedFault & { left: number }> = [];
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
        if (!application) return failure(['application_not_found']);
        return { success: true, results: { ...application, candidate: { id: application.candidateId } } };
      }
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
        application.currentInterviewStageId = body.interviewStageId;
        return { success: true, results: application };
      }
      case 'customField.setValue': {
        const { objectId, objectType, fieldId, fieldValue } = body;
        if (typeof objectId !== 'string' || typeof objectType !== 'string' || typeof fieldId !== 'string') {
          return failure(['invalid_input']);
        }
        state.customFieldValues = state.customFieldValues.filter(
          (f) => !(f.objectId === objectId && f.fieldId === fieldId),
        );
        state.customFieldValues.push({ objectId, objectType, fieldId, fieldValue });
        return { success: true, results: { objectId, fieldId, value: fieldValue } };
      }
      default:
        return undefined;
    }
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
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
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
      auth: { scheme, valid: scheme === 'Basic' && user === apiKey && (password ?? '') === '' },
      body,
    };
    state.requests.push(record);
    if (!record.auth.valid) return send(res, record, 401, failure(['unauthorized']));
    if (record.method !== 'POST')
      return send(res, record, 405, failure(['method_not_allowed']), { allow: 'POST' });
    if (typeof body !== 'object' || body === null) return send(res, record, 400, failure(['invalid_json']));
    const fault = faults.find((f) => f.left > 0 && (!f.match || f.match(record)));
    if (fault) {
      fault.left -= 1;
      return send(res, record, fault.status, fault.body, fault.headers);
    }
    const retryAfter = overLimit();
    if (retryAfter !== undefined)
      return send(res, record, 429, failure(['rate_limit_exceeded']), { 'retry-after': String(retryAfter) });
    const answer = rpc(url.pathname.slice(1), body as Record<string, unknown>);
    if (answer === undefined) return send(res, record, 404, failure(['unknown_endpoint']));
    return send(res, record, 200, answer);
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
