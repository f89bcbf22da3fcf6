/**
 * A media host for the archiver tests: serves a directory of generated media over HTTP on 127.0.0.1, with
 * single-range `Range` support and behaviours switchable per path (slow, failing then OK, expiring, redirecting,
 * ignoring `Range`), and records every request. Beside it, {@link createFetchMediaSource}: a `MediaSource`
 * test double that fetches with plain `fetch` (the real one, with its SSRF guard, refuses 127.0.0.1); and for
 * the handler's tests, hosts answered by hand ({@link startMediaHost}) with what they share.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { MediaSource } from '../../../functions/archive/types.js';
import { HttpPermanentError, HttpTransientError } from '../../../functions/platform/errors.js';

/** How the server answers one path (exact pathname, no query). */
export type MediaBehaviour =
  /** Waits `delayMs` before answering. */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Answers `status` to the first `times` requests, then serves the file. */
  | { readonly kind: 'failing'; readonly status: number; readonly times?: number }
  /** Answers 403 unless the query carries a token from {@link MediaServer.freshUrl} (a signed URL that expired). */
  | { readonly kind: 'expiring' }
  /** Answers 302 to `to` (a path on this server). */
  | { readonly kind: 'redirecting'; readonly to: string }
  /** Ignores `Range` and sends the whole file with 200 (a server that does not support ranges). */
  | { readonly kind: 'ignoring-range' }
  /** Answers 200 with an HTML page instead of the file (a sign-in or "link expired" page). */
  | { readonly kind: 'page' };

export interface ServedRequest {
  /** Pathname, without query. */
  readonly path: string;
  readonly query: string;
  /** The `Range` header, when sent. */
  readonly range?: string;
  /** The status answered (0 while the answer is under way). */
  status: number;
}

export interface MediaServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Absolute URL of `path` on this server. */
  url(path: string): string;
  /** A URL of an `expiring` path that the server accepts (a freshly signed one). */
  freshUrl(path: string): string;
  /** Every URL {@link freshUrl} gave so far expires (answers 403 on an `expiring` path). */
  expireTokens(): void;
  behave(path: string, behaviour: MediaBehaviour): void;
  /** Requests served so far, optionally only those whose path starts with `prefix`. */
  requests(prefix?: string): ServedRequest[];
  /**
   * Most requests waiting for their answer at once (from arrival until the server starts answering) since the
   * last {@link reset}: with slow answers, what a client keeps in flight.
   */
  maxInFlight(): number;
  /** Forgets behaviours, tokens, requests and the in-flight peak. */
  reset(): void;
  close(): Promise<void>;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.mp3': 'audio/mpeg',
  '.html': 'text/html',
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** `bytes=a-b` → the inclusive range, or undefined for anything this server does not serve (multi-range…). */
const parseRange = (header: string, size: number): { start: number; end: number } | undefined => {
  if (!header.startsWith('bytes=') || header.includes(',')) return undefined;
  const [first, last] = header.slice('bytes='.length).split('-');
  const start = Number(first);
  const end = last === undefined || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (first === '' || !Number.isInteger(start) || !Number.isInteger(end) || start > end) return undefined;
  return { start, end };
};

export const startMediaServer = async (root: string): Promise<MediaServer> => {
  const base = resolve(root);
  const behaviours = new Map<string, MediaBehaviour>();
  const failures = new Map<string, number>();
  const tokens = new Set<string>();
  let served: ServedRequest[] = [];
  let inFlight = 0;
  let peak = 0;

  const answer = async (
    path: string,
    query: URLSearchParams,
    range: string | undefined,
    response: ServerResponse,
    answering: () => void,
  ): Promise<number> => {
    const behaviour = behaviours.get(path);
    if (behaviour?.kind === 'slow') await sleep(behaviour.delayMs);
    answering();
    if (behaviour?.kind === 'failing') {
      const seen = failures.get(path) ?? 0;
      failures.set(path, seen + 1);
      if (seen < (behaviour.times ?? 1)) {
        response.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('failing on purpose');
        return behaviour.status;
      }
    }
    if (behaviour?.kind === 'expiring' && !tokens.has(query.get('token') ?? '')) {
      response
        .writeHead(403, { 'content-type': 'application/xml' })
        .end('<Error>Request has expired</Error>');
      return 403;
    }
    if (behaviour?.kind === 'page') {
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!doctype html><html><body>This link has expired.</body></html>\n');
      return 200;
    }
    if (behaviour?.kind === 'redirecting') {
      response.writeHead(302, { location: behaviour.to }).end();
      return 302;
    }
    const file = resolve(join(base, decodeURIComponent(path)));
    const size = file.startsWith(`${base}${sep}`)
      ? await stat(file).then(
          (stats) => (stats.isFile() ? stats.size : undefined),
          () => undefined,
        )
      : undefined;
    if (size === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return 404;
    }
    const type = contentTypes[extname(file)] ?? 'application/octet-stream';
    const bytes = range && behaviour?.kind !== 'ignoring-range' ? parseRange(range, size) : undefined;
    if (range && behaviour?.kind !== 'ignoring-range' && bytes === undefined) {
      response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return 416;
    }
    const status = bytes ? 206 : 200;
    response.writeHead(status, {
      'content-type': type,
      'accept-ranges': 'bytes',
      'content-length': String(bytes ? bytes.end - bytes.start + 1 : size),
      ...(bytes ? { 'content-range': `bytes ${bytes.start}-${bytes.end}/${size}` } : {}),
    });
    await new Promise<void>((done, fail) => {
      createReadStream(file, bytes).on('error', fail).pipe(response).on('finish', done).on('close', done);
    });
    return status;
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://media.test');
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    // Out of flight once the answer begins (or the request is gone). Counting until the answer's last byte
    // left the socket counted one too many under load: the client can read that byte, finish and send its
    // next request before this event loop gets to the write's completion.
    let counted = true;
    const done = () => {
      if (counted) inFlight -= 1;
      counted = false;
    };
    response.once('close', done);
    // Recorded on arrival, so a test that counts requests right after the archiver returns sees them all.
    const record: ServedRequest = {
      path: url.pathname,
      query: url.search,
      ...(request.headers.range ? { range: request.headers.range } : {}),
      status: 0,
    };
    served.push(record);
    answer(url.pathname, url.searchParams, request.headers.range, response, done)
      .then(
        (status) => {
          record.status = status;
        },
        () => response.destroy(),
      )
      .finally(done);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let issued = 0;

  return {
    origin,
    url: (path) => `${origin}${path}`,
    freshUrl: (path) => {
      issued += 1;
      const token = `fresh-${issued}`;
      tokens.add(token);
      return `${origin}${path}?token=${token}`;
    },
    expireTokens: () => tokens.clear(),
    behave: (path, behaviour) => {
      behaviours.set(path, behaviour);
      failures.delete(path);
    },
    requests: (prefix = '') => served.filter((request) => request.path.startsWith(prefix)),
    maxInFlight: () => peak,
    reset: () => {
      behaviours.clear();
      failures.clear();
      tokens.clear();
      served = [];
      peak = 0;
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
};

/**
 * A `MediaSource` over plain `fetch` (redirects followed, `url` the final one), classifying statuses as the
 * real one documents: 429/5xx transient, any other non-2xx permanent, each error carrying `status`.
 */
export const createFetchMediaSource = (): MediaSource => ({
  async fetch(url, range) {
    const response = await fetch(url, {
      headers: range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {},
    });
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      const operation = `GET ${new URL(url).pathname}`;
      const { status } = response;
      throw status === 429 || status >= 500
        ? new HttpTransientError(`${operation}: HTTP ${status}`, { operation, status })
        : new HttpPermanentError(`${operation}: HTTP ${status}`, { operation, status });
    }
    return {
      status: response.status,
      headers: response.headers,
      body: Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      url: response.url,
    };
  },
});

/** A media host on 127.0.0.1 answering with `listener`: its `origin`, and `close` to end it. */
export const startMediaHost = async (listener: RequestListener) => {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** A media host answering every request with a small PDF report. */
export const startReportHost = () => {
  const report = Buffer.from('%PDF-1.4 a small report\n');
  return startMediaHost((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(report.length) });
    response.end(report);
  });
};

/** Answers a VOD media playlist of `segments` segments of 4 s, `seg_0.ts` on. */
export const answerPlaylist = (response: ServerResponse, segments: number) => {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:4', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < segments; i++) lines.push('#EXTINF:4.0,', `seg_${i}.ts`);
  lines.push('#EXT-X-ENDLIST', '');
  response.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(lines.join('\n'));
};

/** Answers a segment of ten TS packets whose bytes are `path`'s. */
export const answerSegment = (response: ServerResponse, path: string) => {
  const body = Buffer.alloc(188 * 10, path);
  response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': String(body.length) }).end(body);
};
