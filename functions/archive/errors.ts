/**
 * Errors of the archivers. Each carries `transient`: the archive worker's edge maps `true` to "leave the task
 * on the queue and retry" and `false` to "dead-letter it". Fetch failures are not wrapped here: they surface
 * as the `MediaSource` threw them (`HttpTransientError` / `HttpPermanentError`), already classified.
 *
 * Messages name the asset and archive keys, never a source URL: signed media URLs carry credentials in the
 * query, and their paths may name people.
 */

/** Base class of every archive error. */
export abstract class ArchiveError extends Error {
  /** Whether retrying the same task later can succeed. */
  abstract readonly transient: boolean;
}

/**
 * A playlist that is not HLS (no `#EXTM3U` header: an HTML error page, a JSON body, a video file), does not
 * parse, is larger than the cap, lists nothing, or a master where a media playlist must be. The source will
 * serve the same bytes next time, so retrying does not help.
 */
export class InvalidPlaylistError extends ArchiveError {
  readonly transient = false;

  constructor(
    /** The archive key the playlist would have been stored under. */
    readonly key: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid HLS playlist for ${key}: ${reason}`, options);
    this.name = 'InvalidPlaylistError';
  }
}

/**
 * The source answered with another number of bytes than the playlist promises: a byte range of
 * `EXT-X-BYTERANGE` (a server that ignores `Range` and sends the whole file, a body cut short) or an AES-128
 * key that is not 16 bytes. Storing it would make an archive that looks complete and does not play.
 */
export class UnexpectedMediaSizeError extends ArchiveError {
  readonly transient = false;

  constructor(
    readonly key: string,
    readonly expectedBytes: number,
    /** Bytes received before reading stopped (at least this many were sent). */
    readonly receivedBytes: number,
    options?: ErrorOptions,
  ) {
    super(`${key}: expected ${expectedBytes} bytes from the source, received ${receivedBytes}`, options);
    this.name = 'UnexpectedMediaSizeError';
  }
}

/**
 * The source answered 2xx with something other than the asset: an HTML page (a sign-in or "link expired"
 * page served with 200 by a CDN or the vendor's app) where a PDF report or an answer's audio was expected.
 * Stored, it would look archived and never be replaced (a re-run skips what the manifest holds); and the
 * source will serve the same page next time, so a retry does not help: dead-lettered with this reason.
 */
export class UnexpectedMediaTypeError extends ArchiveError {
  readonly transient = false;

  constructor(
    readonly key: string,
    /** The content type the asset must have (`application/pdf`, `audio/mpeg`). */
    readonly expected: string,
    /** The response's `Content-Type` header (absent: `none`); what was sniffed is not quoted (it may be PII). */
    readonly received: string,
    options?: ErrorOptions,
  ) {
    super(`${key}: expected ${expected}, the source sent other bytes (content type ${received})`, options);
    this.name = 'UnexpectedMediaTypeError';
  }
}

/**
 * A media URL was refused as expired (403/404/410) and refreshing it once did not help: the fresh URL was
 * refused too, or the vendor no longer lists one. `cause` is the last refusal when there was one.
 */
export class MediaUrlExpiredError extends ArchiveError {
  readonly transient = false;

  constructor(
    readonly key: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${key}: media URL expired and ${reason}`, options);
    this.name = 'MediaUrlExpiredError';
  }
}

/**
 * The invocation's time is nearly spent: no new media request is started, and an S3 request still running
 * is stopped, so the task ends with a log line and a retry (which resumes where this one stopped) instead of
 * Lambda's timeout, which leaves no reason, no metric and an upload in parts not aborted. Transient.
 */
export class ArchiveTimeBudgetError extends ArchiveError {
  readonly transient = true;

  /** `stopped`: the request was running and was aborted (else it was never started). */
  constructor(operation: string, options?: ErrorOptions & { readonly stopped?: boolean }) {
    super(
      `${operation}: ${options?.stopped ? 'stopped' : 'not started'}, the invocation's time is nearly spent`,
      options,
    );
    this.name = 'ArchiveTimeBudgetError';
  }
}

/**
 * A media playlist without `EXT-X-ENDLIST` (and not of type VOD): the vendor is still writing the recording,
 * or the playlist was cut off. Archived as it stands, the copy would look complete and end early; so the
 * segments listed so far are stored (a retry fetches only what was added) and the task is retried later,
 * with no playlist written: a stored entry playlist keeps meaning a complete archive. Transient: the archive
 * queue retries it (90-minute visibility timeout, 5 receives, then the DLQ and `ops redrive`).
 */
export class RecordingInProgressError extends ArchiveError {
  readonly transient = true;

  constructor(
    /** The archive key of the media playlist without an end. */
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`${key}: the media playlist has no EXT-X-ENDLIST (the recording is not finished)`, options);
    this.name = 'RecordingInProgressError';
  }
}

/**
 * Another task is archiving the same asset right now (it holds the asset's lease in the manifest): this one
 * comes back once that lease ends, and then finds the objects archived.
 */
export class AssetBusyError extends ArchiveError {
  readonly transient = true;

  constructor(
    /** The asset's key (a file) or key prefix (an HLS recording). */
    readonly key: string,
    /** When the other task's lease ends (epoch milliseconds). */
    readonly busyUntilMs: number,
  ) {
    super(`${key}: being archived by another task until ${new Date(busyUntilMs).toISOString()}`);
    this.name = 'AssetBusyError';
  }
}

/**
 * Statuses by which signed URLs say "expired": S3 and CloudFront presigned URLs answer 403, some CDNs 404
 * or 410 once the object's token is gone.
 */
const expiredStatuses: ReadonlySet<number> = new Set([403, 404, 410]);

/** Whether `error` is a refusal with one of the statuses by which a signed URL says "expired". */
export const isExpiredUrlError = (error: unknown): boolean => {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && expiredStatuses.has(status);
};

/** A refusal by which a signed URL says "expired": a status, or a page answered 200 ("this link expired"). */
export const refusedAsExpired = (error: unknown): boolean =>
  isExpiredUrlError(error) || error instanceof UnexpectedMediaTypeError;
