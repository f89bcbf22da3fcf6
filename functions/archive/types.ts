/**
 * The archive's contracts: what the worker asks to archive (one task per asset, on the archive queue), where
 * each object goes in the bucket, and the two seams the archivers stream through (media in, objects out).
 * Knows nothing of Lambda, SQS or DynamoDB.
 *
 * Key layout (one for both vendors, under `interviews/`; the id is ROUND0's interview id or micro1's report
 * id — one micro1 interview is one report):
 *
 * | asset | key |
 * |---|---|
 * | ROUND0 answer audio | `interviews/{id}/question_{question_id}.mp3` (the layout of ROUND0's guide); `question_{question_id}~{k}.mp3` for the k-th answer (k > 1) to a question answered more than once; `answer_{n}.mp3` (n its 1-based position) for an answer without question_id |
 * | micro1 report | `interviews/{id}/report.pdf` |
 * | micro1 screen / webcam recording (HLS) | `interviews/{id}/{screen,webcam}/index.m3u8` (the entry playlist: the master, rewritten to list what was archived, or the media playlist) |
 * | … a variant's media playlist | `interviews/{id}/{camera}/v{n}/index.m3u8` (`n` = the variant's position in the source master; `v0` when the source is a media playlist) |
 * | … its segments, init segments, keys | `interviews/{id}/{camera}/v{n}/seg_{s}.{ext}`, `…/init_{s}.{ext}`, `…/key_{s}.key` (`s` the segment's media sequence number — for an init segment or key, that of the first segment using it — so a name means one segment even as a live playlist slides; a segment marked `EXT-X-GAP` is named but not stored) |
 * | … an alternate rendition the master names (`EXT-X-MEDIA` with a URI, e.g. a separate audio track) | `interviews/{id}/{camera}/r{n}/…`, laid out like a variant |
 *
 * A media-playlist source is written twice: `v0/index.m3u8` (naming `seg_{s}…`) and the entry `index.m3u8`
 * (naming `v0/seg_{s}…`), so the entry is always the one playlist to open. A byte range fetch returns exactly
 * its `length` bytes: each range becomes a segment of its own in the archive.
 *
 * Archived playlists name everything by relative URI, so the copy plays from the archive alone.
 */
import type { Readable } from 'node:stream';
import type { VendorName } from '../vendors/envelope.js';

/** Root of every archived object. */
export const archiveRoot = 'interviews/';

/** One asset to archive. */
export type ArchiveAsset =
  /** A single file (ROUND0 answer audio, micro1 report PDF). */
  | {
      readonly kind: 'file';
      /** Short name for logs and the manifest, e.g. `question_q1`, `report`. */
      readonly name: string;
      /** Object key (see the layout). */
      readonly key: string;
      readonly sourceUrl: string;
      /**
       * Content type expected (`audio/mpeg`, `application/pdf`): what the first bytes are checked against.
       * The object is stored with the type they were found to be (`audio/wav` for a WAV answer; media-type.ts).
       */
      readonly contentType: string;
      /**
       * ROUND0 audio URLs expire 24 h after issue: on 403/404/410 the archiver fetches the interview again
       * from ROUND0's API once and retries with the fresh `audio_url` of this question.
       */
      readonly refresh?: {
        readonly round0InterviewId: string;
        readonly questionId: string;
        /**
         * Which answer to the question, for a question answered more than once (1-based, in the API's order).
         * @default 1
         */
        readonly occurrence?: number;
      };
    }
  /** An HLS recording: the playlist (master or media) and everything it names. */
  | {
      readonly kind: 'hls';
      /** `screen` or `webcam`. */
      readonly name: string;
      /** Prefix of its objects, ending in `/` (`interviews/{id}/screen/`). */
      readonly keyPrefix: string;
      readonly sourceUrl: string;
    };

/** A message on the archive queue: one asset of one interview. */
export interface ArchiveTask {
  readonly schemaVersion: 1;
  readonly vendor: VendorName;
  /** The interview's ledger key (`interviewKeyOf`). */
  readonly interviewKey: string;
  /** The id in the key layout (ROUND0 interview id, micro1 report id). */
  readonly interviewId: string;
  /** The enqueuing effect's key: the assets enqueued together, whose completion is reported together. */
  readonly batchId: string;
  /** Names of every asset of the batch (so any task can tell when the batch is complete). */
  readonly batchAssets: readonly string[];
  readonly asset: ArchiveAsset;
  /**
   * The candidate's e-mail pseudonym (`email-hmac:…`, functions/ats/pseudonym.ts) when the event that asked
   * for the archive named an e-mail and a pseudonym key is configured. Kept on the manifest's batch item,
   * which has no TTL: how an erasure by e-mail finds the archive once every other record of it has expired.
   */
  readonly candidate?: string;
  /**
   * How many times the task was sent again to wait because another task was archiving the same asset
   * (functions/archive.ts, `withAssetLease`); absent at first.
   */
  readonly deferrals?: number;
}

/** One object in the archive, as the manifest lists it. */
export interface ArchivedObject {
  readonly key: string;
  readonly size: number;
  /** Hex SHA-256 of the stored bytes, computed while streaming. */
  readonly sha256: string;
  readonly contentType: string;
  /** Where it came from, without query string or fragment (signed URLs carry credentials). */
  readonly sourceUrl: string;
}

/** A media response being streamed (the HTTP client's `stream()` under the media URL policy). */
export interface MediaResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Readable;
  /** The URL the body came from after redirects (relative playlist URIs resolve against it). */
  readonly url: string;
}

/** Fetches media by URL: SSRF guard, timeouts and size cap are the implementation's. */
export interface MediaSource {
  /**
   * Streams `url` (optionally a byte range). Resolves for 2xx; throws a transient error for 429/5xx/timeouts
   * and a permanent one for other statuses or a refused URL (the error carries `status` when there was one).
   */
  fetch(url: string, range?: { readonly offset: number; readonly length: number }): Promise<MediaResponse>;
}

/** Where archived bytes go: S3 through streaming multipart uploads, and the manifest beside it. */
export interface ArchiveStore {
  /** The manifest's record of `key`, if it was archived before (size and checksum): resuming skips it. */
  archived(key: string): Promise<ArchivedObject | undefined>;
  /**
   * Streams `body` to `key` (never holding it whole), hashing it on the way, and records it in the manifest.
   * @returns the object as recorded.
   */
  put(
    key: string,
    body: Readable | Buffer,
    meta: { readonly contentType: string; readonly sourceUrl: string },
  ): Promise<ArchivedObject>;
  /**
   * Withdraws the manifest's record of `key` (the object stays): what it describes is about to change, so
   * until it is recorded again nothing may take it as archived.
   */
  forget(key: string): Promise<void>;
}

/** The source URL as the manifest keeps it: no query string or fragment (they may hold signatures). */
export const withoutQuery = (url: string): string => {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url.split(/[?#]/, 1)[0] ?? url;
  }
};
