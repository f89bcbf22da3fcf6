/**
 * The local console: a page on 127.0.0.1 that shows what the local pipeline did — recent events, each
 * interview's status and effects, parked and dead-lettered events — and plays what was archived. Local
 * only: nothing under `functions/` or `lib/` imports it, and nothing of it is deployed.
 *
 * Routes (GET only):
 * - `/console`: the page (`static/index.html`, `static/console.js`, `static/console.css`);
 * - `/console/vendor/hls.min.js`: hls.js from node_modules (no CDN: the page works offline);
 * - `/console/api/snapshot`: the snapshot as JSON; `/console/api/stream`: the same as Server-Sent Events,
 *   sent when it changes (the server reads the stores every second while a page is open);
 * - `/console/media/object?vendor&interview&key`: an archived object, streamed from s3rver (ranges passed
 *   through, so players seek);
 * - `/console/media/hls?vendor&interview&key`: an archived recording's entry playlist, whose variant and
 *   rendition URIs name this route (so a separate audio rendition plays too), or one of its media playlists,
 *   whose segment, init and key URIs name `/console/media/object` (the relative URIs of the stored playlists
 *   would resolve against this server).
 *
 * The browser never holds a URL of s3rver: a page open all day would outlive any presigned URL (players
 * keep the URL they were given, and an audio element sends its later range requests straight to where a
 * redirect pointed it), and its requests stay same-origin (no CORS on the bucket).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { type VendorName, vendorNames } from '../../functions/vendors/envelope.js';
import { listenOnLoopback, loopbackHost } from '../listen.js';
import { consoleLog, type LocalLog } from '../log.js';
import { playableRecordingPlaylist } from '../ops-media.js';
import type { ConsoleData } from './snapshot.js';

export interface LocalConsoleOptions {
  readonly data: ConsoleData;
  /** Client of the local S3 (s3rver): archived objects are read with it. */
  readonly s3: S3Client;
  readonly bucket: string;
  /**
   * Port on 127.0.0.1; when it is taken, a free port is used instead (the URL is printed either way).
   * @default 0 (a free port)
   */
  readonly port?: number;
  /** How often the stores are read while a page listens. @default 1000 */
  readonly refreshMs?: number;
  /** @default consoleLog */
  readonly log?: LocalLog;
}

export interface LocalConsole {
  /** The page: `http://127.0.0.1:<port>/console`. */
  readonly url: string;
  readonly port: number;
  /** Ends the event streams and stops the server. */
  close(): Promise<void>;
}

/**
 * A request another site's page made the browser send (an `<img>`, `<audio>` or no-cors fetch pointed at
 * this port): it can read nothing (no CORS headers), but it could keep the stores being read every second
 * or play a candidate's recording through the media redirect. Browsers say where a request comes from in
 * `Sec-Fetch-Site` (`none`: typed in or bookmarked) and, for most cross-origin requests, `Origin`; Node
 * clients (`ops watch`) send neither.
 */
const isCrossSite = (req: IncomingMessage, hosts: ReadonlySet<string>): boolean => {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  return origin !== undefined && ![...hosts].some((host) => origin === `http://${host}`);
};

const staticDir = fileURLToPath(new URL('./static/', import.meta.url));
const hlsScript = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

const staticFiles: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/console': { file: join(staticDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console/': { file: join(staticDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console/static/console.js': {
    file: join(staticDir, 'console.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/console/static/console.css': { file: join(staticDir, 'console.css'), type: 'text/css; charset=utf-8' },
  '/console/vendor/hls.min.js': { file: hlsScript, type: 'text/javascript; charset=utf-8' },
};

class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** Listens on `port`, or on a free port when `port` is taken. */
const listen = async (server: Server, port: number, log: LocalLog): Promise<number> => {
  try {
    return await listenOnLoopback(server, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    log.warn('console: port in use, using a free one', { port });
    return listenOnLoopback(server, 0);
  }
};

/** Starts the console. */
export const startLocalConsole = async (options: LocalConsoleOptions): Promise<LocalConsole> => {
  const log = options.log ?? consoleLog;
  const refreshMs = options.refreshMs ?? 1000;
  const streams = new Set<ServerResponse>();
  let port = 0;

  /** Only this server's own names: a page of another site that rebinds a DNS name to 127.0.0.1 gets nothing. */
  const allowedHosts = () => new Set([`${loopbackHost}:${port}`, `localhost:${port}`]);

  /** The manifest entry `key` of the interview named in the query, or NotFoundError. */
  const archivedObject = async (url: URL) => {
    const vendor = url.searchParams.get('vendor') ?? '';
    const interviewKey = url.searchParams.get('interview') ?? '';
    const key = url.searchParams.get('key') ?? '';
    if (!(vendorNames as readonly string[]).includes(vendor)) throw new NotFoundError('unknown vendor');
    const objects = await options.data.manifest.list(vendor as VendorName, interviewKey);
    const object = objects.find((entry) => entry.key === key);
    // Only what the manifest lists: never raw events or claim checks from the same bucket.
    if (object === undefined) throw new NotFoundError('not archived for this interview');
    return { vendor: vendor as VendorName, object };
  };

  /**
   * A recording's entry playlist or one of its media playlists, each URI naming the console's own routes:
   * the master's variants and renditions this playlist route, the segments, init sections and keys the
   * object route (`npm run ops -- media`'s rewriting, given console URLs instead of presigned ones).
   */
  const consolePlaylist = async (url: URL): Promise<string> => {
    const { vendor, object } = await archivedObject(url);
    const interview = url.searchParams.get('interview') ?? '';
    const routeOf = (route: 'hls' | 'object', key: string) =>
      `/console/media/${route}?${new URLSearchParams({ vendor, interview, key })}`;
    const text = await playableRecordingPlaylist(options.s3, options.bucket, object.key, {
      playlist: (key) => routeOf('hls', key),
      object: async (key) => routeOf('object', key),
    });
    if (text === undefined) throw new NotFoundError("not a recording's playlist");
    return text;
  };

  /** Streams an archived object, or the byte range the player asked for (206, as S3 answers it). */
  const streamObject = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const { object } = await archivedObject(url);
    const range = req.headers.range;
    let answer: GetObjectCommandOutput;
    try {
      answer = await options.s3.send(
        new GetObjectCommand({
          Bucket: options.bucket,
          Key: object.key,
          ...(range === undefined ? {} : { Range: range }),
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidRange') {
        return send(res, 416, 'text/plain', 'range not satisfiable\n');
      }
      throw error;
    }
    const body = answer.Body as Readable | undefined;
    res.writeHead(answer.ContentRange === undefined ? 200 : 206, {
      'content-type': object.contentType,
      'accept-ranges': 'bytes',
      ...(answer.ContentLength === undefined ? {} : { 'content-length': String(answer.ContentLength) }),
      ...(answer.ContentRange === undefined ? {} : { 'content-range': answer.ContentRange }),
      'cache-control': 'no-store',
      ...securityHeaders,
    });
    if (req.method === 'HEAD' || body === undefined) {
      body?.destroy();
      res.end();
      return;
    }
    // A player that seeks closes the request: the download from s3rver stops with it.
    await pipeline(body, res).catch((error: unknown) => {
      if (!res.destroyed) throw error;
    });
  };

  // One reader for every open page: the stores are read once per tick and a change is pushed to all.
  let lastJson: string | undefined;
  /**
   * Whether the last read failed, pushed as an `event: status` message when it changes (and to each new
   * page): a page showing "● live" over data nobody can read any more would pass stale data off as current.
   */
  let failingSince: string | undefined;
  const statusMessage = () =>
    `event: status\ndata: ${JSON.stringify(failingSince === undefined ? { ok: true } : { ok: false, since: failingSince })}\n\n`;
  const refresh = async (): Promise<void> => {
    try {
      const json = JSON.stringify(await options.data.read());
      if (failingSince !== undefined) {
        failingSince = undefined;
        log.info('console: reading the stores works again');
        for (const stream of streams) stream.write(statusMessage());
      }
      if (json === lastJson) return;
      lastJson = json;
      for (const stream of streams) stream.write(`data: ${json}\n\n`);
    } catch (error) {
      if (failingSince !== undefined) return;
      failingSince = new Date().toISOString();
      log.warn('console: reading the stores failed', { error: String(error) });
      for (const stream of streams) stream.write(statusMessage());
    }
  };
  // At most one read at a time, so an older read never overtakes a newer one. A read that took long waits as
  // long again before the next: the emulators, the ingest and the worker share this process's event loop, and
  // a large table would otherwise be read back to back (the console taking the loop from the pipeline).
  let refreshing: Promise<void> | undefined;
  let lastReadMs = 0;
  let lastReadEndedAt = Number.NEGATIVE_INFINITY;
  const refreshOnce = () => {
    if (streams.size === 0 || refreshing !== undefined) return;
    if (performance.now() - lastReadEndedAt < lastReadMs) return;
    const started = performance.now();
    refreshing = refresh().finally(() => {
      lastReadEndedAt = performance.now();
      lastReadMs = lastReadEndedAt - started;
      refreshing = undefined;
    });
  };
  const timer = setInterval(refreshOnce, refreshMs);

  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // The browser reconnects by itself after a second if the server restarts.
    res.write('retry: 1000\n\n');
    if (lastJson !== undefined) res.write(`data: ${lastJson}\n\n`);
    if (failingSince !== undefined) res.write(statusMessage());
    streams.add(res);
    req.on('close', () => streams.delete(res));
    if (lastJson === undefined) refreshOnce();
  };

  const securityHeaders = {
    'content-security-policy': [
      "default-src 'self'",
      "media-src 'self' blob:",
      "connect-src 'self'",
      "worker-src 'self' blob:",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...securityHeaders });
    res.end(body);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!allowedHosts().has(req.headers.host ?? '')) return send(res, 421, 'text/plain', 'wrong host\n');
    if (isCrossSite(req, allowedHosts())) return send(res, 403, 'text/plain', 'cross-site request\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
    const url = new URL(req.url ?? '/', `http://${loopbackHost}`);
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/console' });
      res.end();
      return;
    }
    // No icon: answered so the browser's automatic request logs no error.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const file = staticFiles[url.pathname];
    if (file !== undefined) return send(res, 200, file.type, await readFile(file.file));
    if (url.pathname === '/console/api/stream') return openStream(req, res);
    if (url.pathname === '/console/api/snapshot') {
      const snapshot = await options.data.read();
      return send(res, 200, 'application/json', JSON.stringify(snapshot));
    }
    if (url.pathname === '/console/media/object') return streamObject(req, res, url);
    if (url.pathname === '/console/media/hls') {
      return send(res, 200, 'application/vnd.apple.mpegurl', await consolePlaylist(url));
    }
    return send(res, 404, 'text/plain', 'not found\n');
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (error instanceof NotFoundError) return send(res, 404, 'text/plain', `${error.message}\n`);
      log.error('console: request failed', { path: req.url?.split('?')[0], error: String(error) });
      if (!res.headersSent) send(res, 500, 'text/plain', 'console error\n');
      else res.destroy();
    });
  });
  try {
    port = await listen(server, options.port ?? 0, log);
  } catch (error) {
    clearInterval(timer);
    server.close();
    throw error;
  }

  return {
    url: `http://${loopbackHost}:${port}/console`,
    port,
    close: async () => {
      clearInterval(timer);
      for (const stream of streams) stream.end();
      streams.clear();
      await refreshing;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
};
