/**
 * The archive's {@link ArchiveStore} on S3: bodies are streamed into the bucket, hashed (SHA-256) and
 * counted on the way, and recorded in the manifest ({@link ArchiveManifest}) once the object is complete.
 *
 * How a body travels (never held whole: at most one part being gathered plus `queueSize` parts in flight):
 * - it is read up to one part (`partSizeBytes`). A body that ends within it (answer audio, a report, an HLS
 *   segment or playlist: nearly everything) is one `PutObject` carrying its checksum twice: as metadata
 *   `sha256` for whoever reads the object later, and as `ChecksumSHA256`, which S3 checks against the bytes
 *   it received (a corrupted upload is refused instead of stored);
 * - a longer one goes through `@aws-sdk/lib-storage`'s `Upload` (multipart, `queueSize` parts at once). Its
 *   metadata is fixed when the multipart upload is created, before the last byte (and so the checksum) is
 *   known, so the finished object is copied onto itself with the metadata added (`CopyObject`,
 *   `MetadataDirective: REPLACE`, only if its ETag is still the one just uploaded). S3 offers no full-object
 *   SHA-256 for multipart uploads (its full-object checksums are CRCs; SHA-256 is per part only), hence the
 *   copy. Objects over 5 GiB (beyond `CopyObject`; the media cap is 2 GiB) keep their checksum in the
 *   manifest only.
 *
 * Failures: an error of the body (the download failed, timed out or grew too large) is rethrown as it is, so
 * its class still says transient or permanent; an S3 request still running at `until` is aborted and the put
 * fails with an {@link ArchiveTimeBudgetError} (S3's own timeouts, 120 s idle × 3 attempts, could otherwise
 * run past the invocation's end); any other S3 failure becomes an {@link ArchiveStoreError}, transient
 * unless S3 refused the request itself (a client error such as `AccessDenied` or `NoSuchBucket`, which a
 * retry would only repeat). Either way the download is stopped and a started multipart upload is aborted
 * (`Upload` sends `AbortMultipartUpload` on any failure unless `leavePartsOnError`; on the deadline it stops
 * waiting at once and its parts are left); should that abort fail or be skipped, the bucket's lifecycle rule
 * for incomplete multipart uploads removes the parts.
 *
 * What a retry does (the manifest entry is written only after the object is complete, so an entry never
 * names an object missing from S3): a crash or failure before the upload ends uploads it again; one after
 * S3 completed it (the metadata copy, or `manifest.record`, failed or was cut short; an aborted `PutObject`
 * may have landed) finds no entry and uploads it again too: the same bytes as a new current version, the
 * earlier one kept as noncurrent until the bucket's lifecycle removes it. A `CopyObject` whose answer was
 * lost and that the SDK resent meets its own new ETag (`PreconditionFailed`): the object's `sha256` metadata
 * is read (`HeadObject`, allowed by `s3:GetObject`), and when it is this body's the put succeeds.
 */
import { createHash, type Hash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import {
  CopyObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { deadlineOptions } from '../ledger/request-deadline.js';
import type { VendorName } from '../vendors/envelope.js';
import { ArchiveError, ArchiveTimeBudgetError } from './errors.js';
import type { ArchiveManifest } from './manifest.js';
import { type ArchivedObject, type ArchiveStore, withoutQuery } from './types.js';

export interface S3ArchiveStoreOptions {
  readonly s3: S3Client;
  /** The archive bucket. */
  readonly bucket: string;
  /** Where archived objects are recorded (and looked up by {@link ArchiveStore.archived}). */
  readonly manifest: Pick<ArchiveManifest, 'get' | 'record' | 'forget'>;
  readonly vendor: VendorName;
  /** The interview's ledger key: the manifest partition of this store. */
  readonly interviewKey: string;
  /**
   * Bytes per multipart part, and the largest body sent as a single `PutObject`. S3 wants at least 5 MiB
   * per part (but the last) and at most 10,000 parts: 8 MiB parts reach 78 GiB, far above the media cap.
   * @default 8388608 (8 MiB)
   */
  readonly partSizeBytes?: number;
  /**
   * Parts uploaded at once. Memory held by a multipart upload is about (`queueSize` + 2) × `partSizeBytes`.
   * @default 4
   */
  readonly queueSize?: number;
  /**
   * Epoch ms by which every S3 request must have ended (the invocation's media deadline): one still running
   * then is aborted and the put fails with {@link ArchiveTimeBudgetError}.
   * @default undefined (S3's own timeouts alone)
   */
  readonly until?: number;
}

/** An S3 request of the archive failed. */
export class ArchiveStoreError extends ArchiveError {
  /** Whether retrying the task can succeed (false when S3 refused the request as a client error). */
  readonly transient: boolean;
  /** The object key (no URL, nothing about the candidate). */
  readonly key: string;

  constructor(message: string, details: { key: string; transient: boolean }, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveStoreError';
    this.key = details.key;
    this.transient = details.transient;
  }
}

const defaults = { partSizeBytes: 8 * 1024 * 1024, queueSize: 4 };
const minPartSizeBytes = 5 * 1024 * 1024;
/** Largest object `CopyObject` copies in one request. */
const maxCopyBytes = 5 * 1024 ** 3;
/** SSE-S3: every archived object is encrypted at rest, whatever the bucket's default says. */
const serverSideEncryption: ServerSideEncryption = 'AES256';

/**
 * S3 client errors that are worth a retry: the request was fine but came too slowly or too early
 * (`RequestTimeout` is what S3 answers when an upload's body stalls, e.g. a slow media host), or lost a race
 * (`PreconditionFailed`: a concurrent put of the same key replaced the object before its metadata copy).
 */
const transientClientErrors = new Set([
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'SlowDown',
  'ThrottlingException',
  'OperationAborted',
  'PreconditionFailed',
]);

const isTransient = (error: unknown): boolean =>
  !(error instanceof S3ServiceException) ||
  error.$fault !== 'client' ||
  error.$retryable !== undefined ||
  transientClientErrors.has(error.name);

/** An SDK request (or `Upload`) ended by its abort signal. */
const isAbort = (error: unknown): boolean => error instanceof Error && error.name === 'AbortError';

/** Passes bytes through unchanged while hashing (SHA-256) and counting them. */
class DigestingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #size = 0;
  #digest: Buffer | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash.digest();
    callback();
  }

  get size(): number {
    return this.#size;
  }

  /** The SHA-256 of every byte that passed; defined once the stream has ended. */
  get digest(): Buffer {
    if (this.#digest === undefined) throw new Error('the body has not ended: no digest yet');
    return this.#digest;
  }
}

/** What reading the first part found: its chunks, and whether the body ended within it. */
interface Head {
  readonly chunks: Buffer[];
  readonly size: number;
  readonly ended: boolean;
}

const readHead = async (body: AsyncIterator<Buffer>, limit: number): Promise<Head> => {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await body.next();
    if (done) return { chunks, size, ended: true };
    chunks.push(value);
    size += value.byteLength;
  }
  return { chunks, size, ended: false };
};

/** The head again, then the rest of the body (the iterator is the same one the head was read from). */
async function* headThenRest(head: Head, body: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head.chunks;
  for (;;) {
    const { done, value } = await body.next();
    if (done) return;
    yield value;
  }
}

/** `CopySource` names the object as `bucket/key`, URL-encoded (each key segment; `/` stays). */
const copySourceOf = (bucket: string, key: string): string =>
  `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Creates the {@link ArchiveStore} of one interview.
 *
 * @example
 * const store = createS3ArchiveStore({ s3: s3Client(), bucket, manifest, vendor: 'micro1', interviewKey });
 * if ((await store.archived(key)) === undefined) await store.put(key, response.body, { contentType, sourceUrl });
 */
export const createS3ArchiveStore = (options: S3ArchiveStoreOptions): ArchiveStore => {
  const { s3, bucket, manifest, vendor, interviewKey } = options;
  const partSize = Math.max(minPartSizeBytes, options.partSizeBytes ?? defaults.partSizeBytes);
  const queueSize = Math.max(1, options.queueSize ?? defaults.queueSize);
  const { until } = options;
  const endBy = until === undefined ? undefined : () => until;

  /** The `sha256` metadata of the object at `key`, or undefined (none, or it could not be read). */
  const labelledSha256 = async (key: string): Promise<string | undefined> =>
    s3
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key }), deadlineOptions(endBy))
      .then(({ Metadata }) => Metadata?.sha256)
      .catch(() => undefined);

  /** Uploads the body; resolves once the object is complete in S3 with its `sha256` metadata. */
  const upload = async (
    key: string,
    digesting: DigestingStream,
    contentType: string,
  ): Promise<{ size: number; sha256: string }> => {
    const body = digesting[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await readHead(body, partSize);
    if (head.ended) {
      const sha256 = digesting.digest;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: head.chunks.length === 1 ? head.chunks[0] : Buffer.concat(head.chunks),
          ContentLength: head.size,
          ContentType: contentType,
          ServerSideEncryption: serverSideEncryption,
          Metadata: { sha256: sha256.toString('hex') },
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: sha256.toString('base64'),
        }),
        deadlineOptions(endBy),
      );
      return { size: head.size, sha256: sha256.toString('hex') };
    }
    // `Upload` takes no signal for its requests, but stops waiting for them (and uploads no more parts) once
    // its controller aborts: `done()` then rejects with an AbortError.
    const stop = new AbortController();
    const deadline = deadlineOptions(endBy)?.abortSignal;
    const stopAtDeadline = () => stop.abort();
    deadline?.addEventListener('abort', stopAtDeadline, { once: true });
    if (deadline?.aborted) stop.abort();
    const multipart = new Upload({
      client: s3,
      queueSize,
      partSize,
      leavePartsOnError: false,
      abortController: stop,
      params: {
        Bucket: bucket,
        Key: key,
        Body: Readable.from(headThenRest(head, body)),
        ContentType: contentType,
        ServerSideEncryption: serverSideEncryption,
      },
    });
    let ETag: string | undefined;
    try {
      ({ ETag } = await multipart.done());
    } finally {
      deadline?.removeEventListener('abort', stopAtDeadline);
    }
    const sha256 = digesting.digest.toString('hex');
    if (digesting.size <= maxCopyBytes) {
      const copy = s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: copySourceOf(bucket, key),
          // Only the object this call uploaded: had a concurrent put of the same key replaced it, its own
          // copy labels it (this one fails with PreconditionFailed, and the task is retried).
          ...(ETag === undefined ? {} : { CopySourceIfMatch: ETag }),
          MetadataDirective: 'REPLACE',
          Metadata: { sha256 },
          ContentType: contentType,
          ServerSideEncryption: serverSideEncryption,
        }),
        deadlineOptions(endBy),
      );
      await copy.catch(async (error: unknown) => {
        // A copy whose answer was lost and that the SDK sent again meets its own new ETag: 412, though the
        // object is done. Labelled with this checksum, it holds these bytes, whoever copied it.
        if (error instanceof S3ServiceException && error.name === 'PreconditionFailed') {
          if ((await labelledSha256(key)) === sha256) return;
        }
        throw error;
      });
    }
    return { size: digesting.size, sha256 };
  };

  return {
    // The manifest, not a HEAD of the object: an entry is written only after the object is complete (with
    // its checksum), whereas an object without an entry may be a copy whose put failed before recording —
    // resuming must upload it again. One DynamoDB read is also cheaper than a HEAD plus a read.
    archived: (key) => manifest.get(vendor, interviewKey, key),
    forget: (key) => manifest.forget(vendor, interviewKey, key),

    async put(key, body, meta): Promise<ArchivedObject> {
      const digesting = new DigestingStream();
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      // The body's own failure, kept to be rethrown as it is (the upload only sees its echo).
      let bodyError: unknown;
      source.once('error', (error: unknown) => {
        bodyError ??= error;
      });
      // pipeline, not pipe: a failing body destroys the digesting stream (failing the upload), and a
      // destroyed digesting stream destroys the body (stopping the download).
      pipeline(source, digesting, (error) => {
        if (error) bodyError ??= error;
      });
      let uploaded: { size: number; sha256: string };
      try {
        uploaded = await upload(key, digesting, meta.contentType);
      } catch (error) {
        const cause = bodyError;
        digesting.destroy();
        if (cause !== undefined) throw cause;
        if (until !== undefined && Date.now() >= until && isAbort(error)) {
          throw new ArchiveTimeBudgetError(`upload of ${key}`, { stopped: true, cause: error });
        }
        throw new ArchiveStoreError(
          `upload of ${key} failed: ${error instanceof Error ? error.name : 'unknown error'}`,
          { key, transient: isTransient(error) },
          { cause: error },
        );
      }
      const object: ArchivedObject = {
        key,
        size: uploaded.size,
        sha256: uploaded.sha256,
        contentType: meta.contentType,
        sourceUrl: withoutQuery(meta.sourceUrl),
      };
      await manifest.record(vendor, interviewKey, object);
      return object;
    },
  };
};
