/**
 * A fake of the vendors' media hosts for tests and `npm start`, serving real, decodable media made with
 * ffmpeg (`local/media/generate.ts`), so the archive streams, parses and stores what a vendor would send:
 *
 * | path | what |
 * |---|---|
 * | `/round0/audio/{interview}/{question}.mp3?expires=…&signature=…` | a ROUND0 answer's audio (one MP3 per answer it was given) |
 * | `/micro1/{report}/screen/master.m3u8` | micro1 screen recording: master playlist, variant `v0/` MPEG-TS 160×120, `v1/` fMP4 320×240 |
 * | `/micro1/{report}/webcam/index.m3u8` | micro1 webcam recording: MPEG-TS, AES-128 encrypted (`key.bin`) |
 * | `/micro1/{report}/byterange/index.m3u8` | one MPEG-TS file addressed by `EXT-X-BYTERANGE` (Range requests) |
 * | `/micro1/{report}/report.pdf` | micro1 report PDF |
 *
 * Any `{report}` serves the same recordings. ROUND0's audio URLs are pre-signed and expire 24 h after issue
 * (shared/vendors/round0.md): like S3 pre-signed URLs they carry `expires` (Unix seconds) and a signature,
 * and answer 403 once expired or when the signature does not match, so the archive's refresh path (read the
 * interview again for a fresh `audio_url`) runs for real. micro1 URLs may be signed too ({@link MediaFake.sign}).
 *
 * Served with `Range` (206, `Content-Range`, 416), `HEAD`, and the content types a CDN sends. The media is
 * generated once into `dir` and reused by later starts (`npm start`: `.data/media`): the first start takes
 * a few seconds of ffmpeg, a restart none.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { type HlsKind, makeHls, makeMp3, makePdf, writeMasterPlaylist } from '../media/generate.js';
import {
  answer,
  type ListenOptions,
  type RunningFakeServer,
  requestUrl,
  startFakeServer,
} from './fake-server.js';

/** One ROUND0 answer whose audio the fake serves. */
export interface Round0Answer {
  readonly interviewId: string;
  readonly questionId: string;
}

export interface MediaFakeOptions extends ListenOptions {
  /**
   * Directory the generated media is kept in; a later start with the same directory reuses it.
   * @default a temporary directory, removed by `close()`
   */
  readonly dir?: string;
  /** ROUND0 answers to make audio for (more can be added with {@link MediaFake.addRound0Answers}). @default [] */
  readonly round0Answers?: readonly Round0Answer[];
  /** Lifetime of the URLs {@link MediaFake.sign} issues. @default 86400 (ROUND0's 24 h) */
  readonly urlLifetimeSeconds?: number;
  /** The clock signatures are checked and issued against. @default () => new Date() */
  readonly now?: () => Date;
}

/** One variant of the screen recording's master playlist. */
export interface MediaFakeVariant {
  /** URI in the master playlist, relative to it (`v0/index.m3u8`). */
  readonly uri: string;
  readonly kind: HlsKind;
  readonly bandwidth: number;
  readonly resolution: string;
  /** Video frames a faithful copy decodes to (25 fps). */
  readonly frames: number;
}

/** What the fake serves for micro1, for assertions on archived copies. */
export interface MediaFakeRecordings {
  /** Master playlist of two variants, in this order. */
  readonly screen: { readonly variants: readonly MediaFakeVariant[] };
  readonly webcam: { readonly kind: 'aes'; readonly frames: number };
  readonly byteRange: { readonly kind: 'byterange'; readonly frames: number };
}

/** micro1 URLs for one report (any report id works). */
export interface Micro1MediaUrls {
  /** The screen recording's master playlist. */
  readonly screen: string;
  /** The webcam recording's media playlist (AES-128). */
  readonly webcam: string;
  /** A byte-range media playlist. */
  readonly byteRange: string;
  readonly report: string;
}

export interface MediaFake extends RunningFakeServer {
  /** Where the generated media lives on disk. */
  readonly dir: string;
  /**
   * How the media was obtained: all reused from an earlier start (`cached`), or generated now, and the
   * milliseconds spent (at start and in {@link addRound0Answers}).
   */
  readonly generation: { readonly cached: boolean; readonly milliseconds: number };
  readonly recordings: MediaFakeRecordings;
  /**
   * A signed URL of one answer's audio, valid for `urlLifetimeSeconds` or until `expiresAt` (a date in the
   * past gives an already expired URL). The answer must have been given to the fake, else the URL is a 404.
   */
  round0AudioUrl(interviewId: string, questionId: string, options?: { readonly expiresAt?: Date }): string;
  /**
   * `url` (one of this fake's, signed or not) signed afresh: what a vendor API hands out on every read.
   * URLs of other hosts are returned unchanged.
   */
  sign(url: string, options?: { readonly expiresAt?: Date }): string;
  /** The micro1 URLs of a report. */
  micro1Urls(reportId: string): Micro1MediaUrls;
  /** Generates the audio of more ROUND0 answers (cached like the rest). */
  addRound0Answers(answers: readonly Round0Answer[]): Promise<void>;
}

/** Bump when the generated set changes: an older cache is then left alone and regenerated beside it. */
const libraryVersion = 1;

const screenVariants: readonly Omit<MediaFakeVariant, 'frames'>[] = [
  { uri: 'v0/index.m3u8', kind: 'ts', bandwidth: 300_000, resolution: '160x120' },
  { uri: 'v1/index.m3u8', kind: 'fmp4', bandwidth: 900_000, resolution: '320x240' },
];
/** Seconds of each recording: three 2-second segments, enough for a playlist of several segments. */
const recordingSeconds = 6;
const answerSeconds = 2;

/** What a CDN answers for each file type (HLS: RFC 8216 §4; fMP4 segments: ISO BMFF media types). */
const contentTypes: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.bin': 'application/octet-stream',
  '.mp3': 'audio/mpeg',
  '.pdf': 'application/pdf',
};

/** A vendor id as one file-name segment (ids are the caller's; nothing may climb out of the directory). */
const fileSegment = (id: string): string => {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || /^\.+$/.test(safe) ? `_${safe}` : safe;
};

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Moves a finished temporary file or directory into place; a concurrent start may have won the race. */
const publish = async (temporary: string, final: string): Promise<void> => {
  try {
    await rename(temporary, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(final))) {
      await rm(temporary, { recursive: true, force: true });
      return;
    }
    throw error;
  }
};

const temporaryName = (path: string, extension = ''): string =>
  `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}${extension}`;

/** The micro1 recordings and report, generated once into `<root>/micro1`. */
const ensureMicro1Library = async (
  root: string,
): Promise<{ cached: boolean; library: MediaFakeRecordings }> => {
  const final = join(root, 'micro1');
  const manifest = join(final, 'library.json');
  if (await exists(manifest)) {
    return { cached: true, library: JSON.parse(await readFile(manifest, 'utf8')) as MediaFakeRecordings };
  }
  // Generated beside the final directory and renamed into place, so an interrupted start never leaves a
  // half-made library that a later start would take as complete.
  const work = temporaryName(final);
  await mkdir(work, { recursive: true });
  try {
    const [variants, webcam, byteRange] = await Promise.all([
      Promise.all(
        screenVariants.map(async (variant) => {
          const made = await makeHls(join(work, 'screen', variant.uri.replace(/\/index\.m3u8$/, '')), {
            kind: variant.kind,
            seconds: recordingSeconds,
            size: variant.resolution,
          });
          return { ...variant, frames: made.frames };
        }),
      ),
      makeHls(join(work, 'webcam'), { kind: 'aes', seconds: recordingSeconds }),
      makeHls(join(work, 'byterange'), { kind: 'byterange', seconds: recordingSeconds }),
    ]);
    await writeMasterPlaylist(join(work, 'screen'), variants, 'master.m3u8');
    // ffmpeg's key-info file names the key's path on this machine: not something a media host serves.
    await unlink(join(work, 'webcam', 'key.info'));
    await writeFile(join(work, 'report.pdf'), makePdf('AI interview report (local media fake)'));
    const library: MediaFakeRecordings = {
      screen: { variants },
      webcam: { kind: 'aes', frames: webcam.frames },
      byteRange: { kind: 'byterange', frames: byteRange.frames },
    };
    await writeFile(join(work, 'library.json'), `${JSON.stringify(library, null, 2)}\n`);
    await publish(work, final);
    return { cached: false, library };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
};

const audioFile = (root: string, answer: Round0Answer): string =>
  join(root, 'round0', fileSegment(answer.interviewId), `${fileSegment(answer.questionId)}.mp3`);

/**
 * One MP3 per answer, each a tone of its own (derived from the ids, so a cached file and a fresh one agree)
 * so two answers never archive to identical bytes.
 */
const ensureRound0Audio = async (root: string, answers: readonly Round0Answer[]): Promise<number> => {
  const missing: Round0Answer[] = [];
  for (const answer of answers) if (!(await exists(audioFile(root, answer)))) missing.push(answer);
  await Promise.all(
    missing.map(async (answer) => {
      const file = audioFile(root, answer);
      await mkdir(join(file, '..'), { recursive: true });
      const digest = createHash('sha256').update(`${answer.interviewId}\n${answer.questionId}`).digest();
      const frequency = 220 + ((digest[0] ?? 0) % 40) * 20;
      // ffmpeg picks the format from the extension, so the temporary name keeps `.mp3`.
      const temporary = temporaryName(file, '.mp3');
      await makeMp3(temporary, answerSeconds, frequency);
      await publish(temporary, file);
    }),
  );
  return missing.length;
};

/** `Range: bytes=…` of one range, resolved against `size` (RFC 9110 §14.1.2); several ranges are ignored. */
const parseRange = (
  header: string | undefined,
  size: number,
): { readonly start: number; readonly end: number } | 'unsatisfiable' | undefined => {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (match === null) return undefined; // absent, malformed or multiple: a server may ignore it (200)
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
};

const readSlice = async (file: string, start: number, length: number): Promise<Buffer> => {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

/** An S3-style error body: what the archive sees from a storage host that refuses a pre-signed URL. */
const s3Error = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>\n`;

/** Starts the fake, generating (or reusing) its media first. */
export async function startMediaFake(options: MediaFakeOptions = {}): Promise<MediaFake> {
  const started = Date.now();
  const temporaryDir =
    options.dir === undefined ? await mkdtemp(join(tmpdir(), 'interview-sync-media-')) : undefined;
  const root = join(options.dir ?? temporaryDir ?? '', `v${libraryVersion}`);
  const micro1Dir = join(root, 'micro1');
  let micro1: Awaited<ReturnType<typeof ensureMicro1Library>>;
  let audioMade: number;
  try {
    await mkdir(root, { recursive: true });
    [micro1, audioMade] = await Promise.all([
      ensureMicro1Library(root),
      ensureRound0Audio(root, options.round0Answers ?? []),
    ]);
  } catch (error) {
    if (temporaryDir !== undefined) await rm(temporaryDir, { recursive: true, force: true });
    throw error;
  }
  const generation = { cached: micro1.cached && audioMade === 0, milliseconds: Date.now() - started };

  const now = options.now ?? (() => new Date());
  const lifetimeSeconds = options.urlLifetimeSeconds ?? 24 * 3600;
  // A key per start: a URL signed by an earlier run is refused, as a rotated signing key would be.
  const signingKey = randomBytes(32);
  const signatureOf = (path: string, expires: string): Buffer =>
    createHmac('sha256', signingKey).update(`${path}\n${expires}`).digest().subarray(0, 16);

  /** Why a request's signature is refused (`undefined`: valid, or not signed where signing is optional). */
  const signatureProblem = (url: URL, required: boolean): string | undefined => {
    const expires = url.searchParams.get('expires');
    const signature = url.searchParams.get('signature');
    if (expires === null && signature === null) {
      return required
        ? 'Query-string authentication requires the expires and signature parameters'
        : undefined;
    }
    const given = Buffer.from(signature ?? '', 'hex');
    const expected = signatureOf(url.pathname, expires ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return 'The request signature we calculated does not match the signature you provided';
    }
    if (!/^\d+$/.test(expires ?? '') || Number(expires) * 1000 < now().getTime())
      return 'Request has expired';
    return undefined;
  };

  /** The file behind a path, and whether its URL must be signed; `undefined` for anything else. */
  const route = (pathname: string): { readonly file: string; readonly signed: boolean } | undefined => {
    let parts: string[];
    try {
      parts = pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return undefined;
    }
    if (parts.some((part) => part === '' || part === '.' || part === '..' || part.includes('/'))) {
      return undefined;
    }
    const [vendor, ...rest] = parts;
    if (vendor === 'round0' && rest.length === 3 && rest[0] === 'audio' && rest[2]?.endsWith('.mp3')) {
      const [, interviewId = '', file = ''] = rest;
      const answer = { interviewId, questionId: file.slice(0, -'.mp3'.length) };
      return { file: audioFile(root, answer), signed: true };
    }
    // `/micro1/{report}/…`: every report shares the library; its bookkeeping file is not media.
    if (vendor === 'micro1' && rest.length >= 2 && rest.at(-1) !== 'library.json') {
      return { file: join(micro1Dir, ...rest.slice(1)), signed: false };
    }
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = requestUrl(request);
    const record: { status?: number } = {};
    request.resume();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, record, 405, 'method not allowed', {
        allow: 'GET, HEAD',
        'content-type': 'text/plain',
      });
      return;
    }
    const target = route(url.pathname);
    const size =
      target === undefined
        ? undefined
        : await stat(target.file).then(
            (stats) => (stats.isFile() ? stats.size : undefined),
            () => undefined,
          );
    const problem = target === undefined ? undefined : signatureProblem(url, target.signed);
    if (problem !== undefined) {
      const code = problem === 'Request has expired' ? 'AccessDenied' : 'SignatureDoesNotMatch';
      answer(response, record, 403, s3Error(code, problem), { 'content-type': 'application/xml' });
      return;
    }
    if (target === undefined || size === undefined) {
      answer(response, record, 404, s3Error('NoSuchKey', 'The specified key does not exist.'), {
        'content-type': 'application/xml',
      });
      return;
    }
    const headers = {
      'content-type': contentTypes[extname(target.file)] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
    };
    const range = parseRange(request.headers.range, size);
    if (range === 'unsatisfiable') {
      answer(response, record, 416, undefined, { ...headers, 'content-range': `bytes */${size}` });
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = Math.max(0, end - start + 1);
    // Whole buffers rather than a stream: the files are small, and the fault plumbing of fake-server.ts
    // (an `after` fault replaces the answer) works on `writeHead`/`end` only.
    const body =
      request.method === 'HEAD' || length === 0 ? undefined : await readSlice(target.file, start, length);
    response.writeHead(range === undefined ? 200 : 206, {
      ...headers,
      'content-length': String(length),
      ...(range === undefined ? {} : { 'content-range': `bytes ${start}-${end}/${size}` }),
    });
    response.end(body);
  };

  let server: RunningFakeServer;
  try {
    server = await startFakeServer(handle, options);
  } catch (error) {
    if (temporaryDir !== undefined) await rm(temporaryDir, { recursive: true, force: true });
    throw error;
  }

  const sign = (url: string, signOptions: { readonly expiresAt?: Date } = {}): string => {
    const parsed = new URL(url);
    if (parsed.origin !== server.url) return url;
    const expiresAt = signOptions.expiresAt ?? new Date(now().getTime() + lifetimeSeconds * 1000);
    const expires = String(Math.floor(expiresAt.getTime() / 1000));
    parsed.searchParams.set('expires', expires);
    parsed.searchParams.set('signature', signatureOf(parsed.pathname, expires).toString('hex'));
    return parsed.href;
  };
  const micro1Base = (reportId: string) => `${server.url}/micro1/${encodeURIComponent(reportId)}`;

  return {
    ...server,
    dir: root,
    get generation() {
      return { ...generation };
    },
    recordings: micro1.library,
    sign,
    round0AudioUrl: (interviewId, questionId, urlOptions) =>
      sign(
        `${server.url}/round0/audio/${encodeURIComponent(interviewId)}/${encodeURIComponent(questionId)}.mp3`,
        urlOptions,
      ),
    micro1Urls: (reportId) => ({
      screen: `${micro1Base(reportId)}/screen/master.m3u8`,
      webcam: `${micro1Base(reportId)}/webcam/index.m3u8`,
      byteRange: `${micro1Base(reportId)}/byterange/index.m3u8`,
      report: `${micro1Base(reportId)}/report.pdf`,
    }),
    addRound0Answers: async (answers) => {
      const adding = Date.now();
      if ((await ensureRound0Audio(root, answers)) > 0) generation.cached = false;
      generation.milliseconds += Date.now() - adding;
    },
    close: async () => {
      await server.close();
      if (temporaryDir !== undefined) await rm(temporaryDir, { recursive: true, force: true });
    },
  };
}
