/**
 * The HTTP plumbing the local fakes share, so each fake's file holds only its vendor's API rules (auth,
 * routes, pagination, error bodies). Plain node:http rather than a framework: a fake must start in a few
 * milliseconds inside jest, answer exactly what a test scripted, and record every request as received.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loopbackHost } from '../listen.js';

const bodies = new WeakMap<IncomingMessage, Promise<string>>();

/**
 * Reads the whole body as UTF-8 (it also drains the socket, so keep-alive connections stay usable). Read once
 * per request: a held request's body is read while it waits (see {@link FaultSwitch.hold}).
 */
export const readBody = (req: IncomingMessage): Promise<string> => {
  let body = bodies.get(req);
  if (body === undefined) {
    body = new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
    bodies.set(req, body);
  }
  return body;
};

/**
 * Reads and parses the body: `undefined` when empty, JSON, or the raw text when it is not JSON (so a
 * contract test sees what was sent). With `acceptForm`, a form-urlencoded body (OAuth token endpoints take
 * forms) becomes an object of its fields.
 */
export const readParsedBody = async (
  req: IncomingMessage,
  { acceptForm = false }: { readonly acceptForm?: boolean } = {},
): Promise<unknown> => {
  const raw = await readBody(req);
  if (raw === '') return undefined;
  if (
    acceptForm &&
    String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  ) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

/** The request's URL; the base only fills in an origin the fakes never read. */
export const requestUrl = (req: IncomingMessage): URL => new URL(req.url ?? '/', 'http://fake');

/** What the ATS fakes record of every request for contract assertions. */
export interface RequestLine {
  readonly method: string;
  readonly path: string;
  /** Query string exactly as received (without `?`). */
  readonly rawQuery: string;
  readonly query: Readonly<Record<string, string>>;
  /** Headers without `authorization`: a recorded request must never hold a credential. */
  readonly headers: Readonly<Record<string, string>>;
}

export const requestLine = (req: IncomingMessage): RequestLine => {
  const url = requestUrl(req);
  const { authorization: _secret, ...headers } = req.headers;
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    rawQuery: url.search.slice(1),
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
  };
};

/** A recorded request that keeps the status the fake answered, so a test can read both in one place. */
export interface AnsweredRequest {
  status?: number;
}

/** What the ATS fakes record of every request, plus the status they answered. */
export interface RecordedRequestLine extends RequestLine, AnsweredRequest {}

/** Answers with `body` as is and stamps the status on the recorded request. */
export const answer = (
  res: ServerResponse,
  record: AnsweredRequest,
  status: number,
  body: string | undefined,
  headers: Readonly<Record<string, string>> = {},
): void => {
  record.status = status;
  res.writeHead(status, headers);
  res.end(body);
};

/** Answers JSON (no body and no `content-type` when `body` is undefined, e.g. a 204). */
export const sendJson = (
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {},
): void => {
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};

/** {@link sendJson}, and stamps the status on the recorded request. */
export const answerJson = (
  res: ServerResponse,
  record: AnsweredRequest,
  status: number,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {},
): void => {
  record.status = status;
  sendJson(res, status, body, headers);
};

/** The part of a scripted answer the queue reads; the rest (status, body, headers) is the fake's own. */
export interface ScriptedRule<R> {
  /** How many matching requests get this answer. @default 1 */
  readonly times?: number;
  /** Which requests it applies to. @default every request that reaches the check */
  readonly match?: (request: R) => boolean;
}

/** A scripted answer of the JSON fakes (e.g. a 429 with `Retry-After`, or a 500). */
export interface ScriptedJsonFault<R> extends ScriptedRule<R> {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** The answers a test scripted with a fake's `failNext`, used in the order they were scripted. */
export interface ScriptedAnswers<A extends ScriptedRule<R>, R> {
  script(answer: A): void;
  /** The first scripted answer with uses left that matches `request` (one use is spent), if any. */
  take(request: R): A | undefined;
}

export const scriptedAnswers = <A extends ScriptedRule<R>, R = unknown>(): ScriptedAnswers<A, R> => {
  const queue: Array<{ readonly answer: A; left: number }> = [];
  return {
    // A copy, so a test that reuses its object after scripting does not change what is queued.
    script: (scripted) => {
      queue.push({ answer: { ...scripted }, left: scripted.times ?? 1 });
    },
    take: (request) => {
      const next = queue.find(({ answer, left }) => left > 0 && (!answer.match || answer.match(request)));
      if (!next) return undefined;
      next.left -= 1;
      return next.answer;
    },
  };
};

/** A fault the vendor-API fakes answer instead of the request. */
export type CountdownFault =
  | { readonly kind: 'rateLimited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'failing'; readonly status: number };

/** The switches the vendor-API fakes' state exposes; a new call replaces the previous one. */
export interface CountdownFaultSwitches {
  /** Answers the next `times` requests with 429 and `Retry-After: <retryAfterSeconds>`. */
  rateLimitNext(times: number, retryAfterSeconds?: number): void;
  /** Answers the next `times` requests with `status` (a 5xx by default). */
  failNext(times: number, status?: number): void;
}

/** Rate limiting comes first, the order a gateway in front of an API answers in. */
export interface CountdownFaults {
  readonly switches: CountdownFaultSwitches;
  /** The fault due for this request (one use is spent), if any. */
  next(): CountdownFault | undefined;
}

export const countdownFaults = (): CountdownFaults => {
  const left = { rateLimited: 0, retryAfterSeconds: 1, failing: 0, failStatus: 500 };
  return {
    switches: {
      rateLimitNext: (times, retryAfterSeconds = 1) => {
        left.rateLimited = times;
        left.retryAfterSeconds = retryAfterSeconds;
      },
      failNext: (times, status = 500) => {
        left.failing = times;
        left.failStatus = status;
      },
    },
    next: () => {
      if (left.rateLimited > 0) {
        left.rateLimited -= 1;
        return { kind: 'rateLimited', retryAfterSeconds: left.retryAfterSeconds };
      }
      if (left.failing > 0) {
        left.failing -= 1;
        return { kind: 'failing', status: left.failStatus };
      }
      return undefined;
    },
  };
};

export interface ListenOptions {
  /** @default 0 (a random free port, so parallel test workers never collide) */
  readonly port?: number;
  /** @default '127.0.0.1' (nothing local is meant to be reachable from the network) */
  readonly host?: string;
}

/**
 * A fault injected in front of a fake's own logic, for end-to-end tests of what a client does when the
 * network or the vendor misbehaves:
 * - `when: 'before'` answers `status` without running the fake: the request was not applied (a gateway
 *   refusing it, a 429 from a rate limiter, a 503 before the application);
 * - `when: 'after'` runs the fake first — the write happens, the fake's state changes — and then answers
 *   `status` instead of the fake's answer: the "502 after accept" case, where only the client's view is lost.
 * `status: 'reset'` destroys the connection instead of answering (a reset before or after the write).
 */
export interface FaultRule {
  /** HTTP method to match (case-insensitive). @default any */
  readonly method?: string;
  /** Tested against the path without the query. @default any path */
  readonly path?: RegExp;
  /** How many matching requests get this fault. @default 1 */
  readonly times?: number;
  readonly status: number | 'reset';
  /** Sent as `Retry-After` (seconds) with the status. @default none */
  readonly retryAfterSeconds?: number;
  readonly when: 'before' | 'after';
  /** Plain-text body of the fault answer. @default `injected fault <status>` */
  readonly body?: string;
}

/** A request held back until the test releases it (see {@link FaultSwitch.hold}). */
export interface HeldRequest {
  /**
   * Resolves when a matching request has arrived and is being held (with `after: 'apply'`: once the fake has
   * applied it, its answer held).
   */
  readonly reached: Promise<void>;
  /** Requests held so far (more than one only with `every`). */
  readonly count: number;
  /**
   * Lets the held request through to the fake (and every later one that matches). A request whose client
   * gave up meanwhile (timed out) is still applied, as a server finishes what it received: a write lands late.
   * With `after: 'apply'`: sends the held answers (lost on a connection its client closed meanwhile).
   */
  release(): void;
  /**
   * Hangs up on every request held so far (their connections destroyed, as a host that gives up would) and
   * ends the hold: later requests go on to the faults and the fake. With `after: 'apply'` the held requests
   * stay applied: only their answers are lost.
   */
  abort(): void;
}

/** Which requests {@link FaultSwitch.hold} holds. */
export interface HoldMatch {
  readonly method?: string;
  readonly path?: RegExp;
  /**
   * Hold every matching request until `release()`, not only the first: a host that accepts connections and
   * never answers for a while (clients must time out on their own). @default false
   */
  readonly every?: boolean;
  /**
   * Where the request is held: `'arrival'`, before the fake runs it (nothing applied yet); `'apply'`, once the
   * fake has run it — the write happened, the fake's state changed — with its answer held back: the client
   * waits for the answer of a write that has landed (the window in which a client that dies leaves a write
   * applied but unrecorded). A request an injected fault answers (`FaultRule`) is never held after apply.
   * @default 'arrival'
   */
  readonly after?: HoldPoint;
}

/** Where {@link FaultSwitch.hold} holds a request: on arrival, or after the fake applied it (its answer held). */
export type HoldPoint = 'arrival' | 'apply';

/** The fault switch every fake exposes as `fake.faults`. */
export interface FaultSwitch {
  /**
   * Holds the next matching request (before the fake runs it, or with `after: 'apply'` its answer once the
   * fake ran it) until `release()`: a test forces an interleaving — "this lookup is in flight while that
   * event is processed", "this note is posted and its client still waits for the answer" — instead of
   * hoping for it.
   */
  hold(match: HoldMatch): HeldRequest;
  /** Queues a fault; rules are tried in the order they were added, each until its `times` are spent. */
  add(rule: FaultRule): void;
  /** Drops every queued fault. */
  clear(): void;
  /** Faults with uses left. */
  pending(): number;
}

/** One line of a fake's shared request log: what arrived and what the client was answered. */
export interface FakeLogEntry {
  readonly method: string;
  readonly path: string;
  /** Query string exactly as received (without `?`). */
  readonly rawQuery: string;
  /** The status the client saw (`undefined` when the connection was reset). */
  status?: number;
  /** When the request arrived (epoch milliseconds), e.g. to check that a client honoured `Retry-After`. */
  readonly at: number;
  /** Set when an injected fault shaped the answer. */
  fault?: 'before' | 'after';
  /** Whether the fake's own logic ran (false for `before` faults): a write "happened" only when it did. */
  applied: boolean;
}

/** The request log every fake exposes as `fake.log`, whatever its own records. */
export interface FakeRequestLog {
  readonly entries: readonly FakeLogEntry[];
  /** Requests matching `filter` whose fake logic ran, e.g. `count({ method: 'POST', path: /\/notes$/ })`. */
  count(filter?: { readonly method?: string; readonly path?: RegExp; readonly applied?: boolean }): number;
  clear(): void;
}

export interface RunningFakeServer {
  /** Origin, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Fault injection in front of the fake (see {@link FaultRule}). */
  readonly faults: FaultSwitch;
  /** Every request, in order, with the status the client saw. */
  readonly log: FakeRequestLog;
  close(): Promise<void>;
}

/** What every ATS fake hands a test: where it listens, its state, its scripted faults, and `close`. */
export interface RunningFake<S, F> extends RunningFakeServer {
  readonly state: S;
  failNext(fault: F): void;
}

const faultSwitch = () => {
  const queue: Array<{ readonly rule: FaultRule; left: number }> = [];
  const holds: Array<{
    readonly method?: string;
    readonly path?: RegExp;
    readonly every: boolean;
    readonly after: HoldPoint;
    taken: boolean;
    count: number;
    isReleased: boolean;
    readonly arrived: () => void;
    readonly released: Promise<'pass' | 'abort'>;
  }> = [];
  const api: FaultSwitch = {
    hold: (match) => {
      let arrived!: () => void;
      let resolveReleased!: (how: 'pass' | 'abort') => void;
      const reached = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<'pass' | 'abort'>((resolve) => {
        resolveReleased = resolve;
      });
      const hold = {
        ...match,
        every: match.every ?? false,
        after: match.after ?? 'arrival',
        taken: false,
        count: 0,
        isReleased: false,
        arrived,
        released,
      };
      holds.push(hold);
      return {
        reached,
        get count() {
          return hold.count;
        },
        release: () => {
          hold.isReleased = true;
          resolveReleased('pass');
        },
        abort: () => {
          hold.isReleased = true;
          resolveReleased('abort');
        },
      };
    },
    // A copy, so a test that reuses its object after adding it does not change what is queued.
    add: (rule) => {
      queue.push({ rule: { ...rule }, left: rule.times ?? 1 });
    },
    clear: () => {
      queue.length = 0;
    },
    pending: () => queue.filter((entry) => entry.left > 0).length,
  };
  const take = (method: string, path: string): FaultRule | undefined => {
    const next = queue.find(
      ({ rule, left }) =>
        left > 0 &&
        (!rule.method || rule.method.toUpperCase() === method.toUpperCase()) &&
        (!rule.path || rule.path.test(path)),
    );
    if (!next) return undefined;
    next.left -= 1;
    return next.rule;
  };
  /**
   * The hold that takes this request at `point` (the first matching request, or every one until released),
   * if any: `reached()` counts it and tells the test, `released` says how it ends (`abort`: hung up on).
   */
  const claim = (method: string, path: string, point: HoldPoint) => {
    const hold = holds.find(
      (h) =>
        !h.isReleased &&
        h.after === point &&
        (h.every || !h.taken) &&
        (!h.method || h.method.toUpperCase() === method.toUpperCase()) &&
        (!h.path || h.path.test(path)),
    );
    if (!hold) return undefined;
    hold.taken = true;
    return {
      reached: () => {
        hold.count += 1;
        hold.arrived();
      },
      released: hold.released,
    };
  };
  /** Waits while a hold on arrival matches this request; `abort` when the hold hung up on it. */
  const held = async (method: string, path: string, whileHeld: () => void): Promise<'pass' | 'abort'> => {
    const hold = claim(method, path, 'arrival');
    if (!hold) return 'pass';
    hold.reached();
    whileHeld();
    return hold.released;
  };
  return { api, take, held, claim };
};

const requestLog = (): FakeRequestLog & { add(entry: FakeLogEntry): void } => {
  const entries: FakeLogEntry[] = [];
  return {
    entries,
    add: (entry) => {
      entries.push(entry);
    },
    count: (filter = {}) =>
      entries.filter(
        (e) =>
          (filter.applied === undefined ? e.applied : e.applied === filter.applied) &&
          (!filter.method || filter.method.toUpperCase() === e.method) &&
          (!filter.path || filter.path.test(e.path)),
      ).length,
    clear: () => {
      entries.length = 0;
    },
  };
};

const sendFault = (res: ServerResponse, rule: FaultRule, entry: FakeLogEntry): void => {
  if (rule.status === 'reset') {
    entry.status = undefined;
    res.socket?.destroy();
    return;
  }
  entry.status = rule.status;
  res.writeHead(rule.status, {
    'content-type': 'text/plain',
    ...(rule.retryAfterSeconds === undefined ? {} : { 'retry-after': String(rule.retryAfterSeconds) }),
  });
  res.end(rule.body ?? `injected fault ${rule.status}`);
};

/**
 * Runs the fake's handler with its answer held back, so an `after` fault can replace it once the fake has
 * applied the request, or a hold `after: 'apply'` send it later: resolves to a function that sends the
 * fake's answer as it was given. Every fake answers through `writeHead`/`end` (see {@link answer},
 * {@link sendJson}).
 */
const runSilenced = async (
  handler: RequestListener,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<() => void> => {
  const realWriteHead = res.writeHead;
  const realEnd = res.end;
  let head: unknown[] | undefined;
  let endArgs: unknown[] = [];
  let ended: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  res.writeHead = ((...args: unknown[]) => {
    head = args;
    return res;
  }) as unknown as ServerResponse['writeHead'];
  res.end = ((...args: unknown[]) => {
    endArgs = args;
    ended();
    return res;
  }) as unknown as ServerResponse['end'];
  try {
    await Promise.all([handler(req, res), done]);
  } finally {
    res.writeHead = realWriteHead;
    res.end = realEnd;
  }
  return () => {
    if (head !== undefined) (res.writeHead as (...args: unknown[]) => ServerResponse)(...head);
    (res.end as (...args: unknown[]) => ServerResponse)(...endArgs);
  };
};

/** Starts `handler` on a port and resolves once it listens (rejects when it cannot, e.g. a port in use). */
export const startFakeServer = async (
  handler: RequestListener,
  options: ListenOptions = {},
): Promise<RunningFakeServer> => {
  const host = options.host ?? loopbackHost;
  const faults = faultSwitch();
  const log = requestLog();
  const server = createServer(async (req, res) => {
    const url = requestUrl(req);
    const method = req.method ?? 'GET';
    const entry: FakeLogEntry = {
      method,
      path: url.pathname,
      rawQuery: url.search.slice(1),
      at: Date.now(),
      applied: true,
    };
    log.add(entry);
    // A held request's body is read at once, so it is still there if its client gives up before the release.
    const readWhileHeld = () => void readBody(req).catch(() => undefined);
    if ((await faults.held(method, url.pathname, readWhileHeld)) === 'abort') {
      res.socket?.destroy();
      return;
    }
    const fault = faults.take(method, url.pathname);
    if (fault?.when === 'before') {
      entry.applied = false;
      entry.fault = 'before';
      // Drain the body first, so the client has finished sending when it sees the answer.
      await readBody(req).catch(() => undefined);
      sendFault(res, fault, entry);
      return;
    }
    if (fault) {
      entry.fault = 'after';
      await runSilenced(handler, req, res);
      sendFault(res, fault, entry);
      return;
    }
    res.once('finish', () => {
      entry.status = res.statusCode;
    });
    const heldAfterApply = faults.claim(method, url.pathname, 'apply');
    if (heldAfterApply) {
      const sendAnswer = await runSilenced(handler, req, res);
      heldAfterApply.reached();
      if ((await heldAfterApply.released) === 'abort') {
        entry.status = undefined;
        res.socket?.destroy();
        return;
      }
      sendAnswer();
      return;
    }
    await handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    faults: faults.api,
    log,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Clients keep connections alive; without this, `close` would wait for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
