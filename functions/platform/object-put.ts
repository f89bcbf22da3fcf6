/**
 * Writing one small object to S3: the seam the event queue (claim checks) and the raw event store write
 * through, with two implementations.
 *
 * - {@link createSignedPutObject}: one SigV4-signed `PUT` over a keep-alive agent, for the ingest's claim
 *   checks. The SDK's S3 client is about half of the ingest's cold start (its endpoint rules, schemas and
 *   middleware stack, parsed whether used or not: `npm run bench`) for a write it rarely makes, so it sends
 *   the PUT itself, signed by the SDK's own signer (`@smithy/signature-v4`, already in the bundle through
 *   the SQS client), with the credentials its SQS client resolves.
 * - `sdkPutObject` (platform/clients.ts): the SDK client, for the worker, the archive and the tools, which
 *   load it anyway for reads, multipart uploads and copies.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { exchange, keepAliveAgents, retrying } from './signed-request.js';

export interface ObjectToPut {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
  readonly contentType: string;
  /** SSE-S3 (`x-amz-server-side-encryption: AES256`). @default undefined (the bucket's default) */
  readonly serverSideEncryption?: 'AES256';
  /** Epoch ms by which the PUT must have ended, its retries included. @default none: its attempts' limits */
  readonly deadline?: number;
}

/** Stores one object; resolves once S3 accepted it. */
export type PutObject = (object: ObjectToPut) => Promise<void>;

/** S3 refused the PUT (its error code, e.g. `NoSuchBucket`, `AccessDenied`) or could not be reached. */
export class ObjectPutError extends Error {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, status: number | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ObjectPutError';
    this.code = code;
    this.status = status;
  }

  /** Worth another attempt: S3 throttled or failed, or the connection did. */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429 || this.code === 'SlowDown';
  }
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignedPutObjectOptions {
  /** The credentials to sign with, as an SDK client resolves them (`client.config.credentials`). */
  readonly credentials: () => Promise<Credentials>;
  /** The region to sign for, as an SDK client resolves it (`client.config.region`). */
  readonly region: () => Promise<string>;
  /** A custom endpoint (`AWS_ENDPOINT_URL_S3`, the local emulator). @default https://s3.<region>.amazonaws.com */
  readonly endpoint?: string;
  /** Bucket in the path instead of the host name (s3rver needs it). @default false */
  readonly forcePathStyle?: boolean;
  /** Attempts for a transient failure, as the SDK's standard retry mode. @default 3 */
  readonly maxAttempts?: number;
  /** Time for one attempt, connection and upload included. @default 5000 */
  readonly timeoutMs?: number;
}

/** S3's regional endpoint: under `amazonaws.com.cn` in the China regions, `amazonaws.com` elsewhere. */
export const defaultS3Endpoint = (region: string): string =>
  `https://s3.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

/** RFC 3986 encoding of one path segment, as S3 canonicalises it (once: S3 does not double-encode). */
const encodeSegment = (segment: string): string =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** What Signature Version 4 signs of a request to S3 (header names in lower case, `host` among them). */
export interface S3RequestToSign {
  readonly method: string;
  /** The path as sent: each segment RFC 3986-encoded once. */
  readonly canonicalUri: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body (sent as `x-amz-content-sha256`: S3 signs the payload's hash). */
  readonly payloadHash: string;
  /** When the request is signed (sent as `x-amz-date`). @default now */
  readonly signingDate?: Date;
}

/**
 * Signs requests to S3 (AWS Signature Version 4, no query string) and returns their headers: the given ones
 * plus `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` with a session token, and
 * `authorization`. The SDK's own signer and node hash, configured as its S3 client configures them (path not
 * escaped again); one signer per writer, so its signing-key cache (the key changes once a day) is kept.
 */
export const createS3RequestSigner = (
  credentials: Credentials | (() => Promise<Credentials>),
  region: string | (() => Promise<string>),
) => {
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: true,
  });
  return async (request: S3RequestToSign): Promise<Record<string, string>> => {
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: 'https:',
        hostname: request.headers.host ?? '',
        path: request.canonicalUri,
        query: {},
        headers: { ...request.headers, 'x-amz-content-sha256': request.payloadHash },
      },
      request.signingDate === undefined ? {} : { signingDate: request.signingDate },
    );
    return signed.headers as Record<string, string>;
  };
};

/** Writes objects with signed `PUT`s (AWS Signature Version 4, payload hashed: no unsigned payload). */
export const createSignedPutObject = (options: SignedPutObjectOptions): PutObject => {
  const agents = keepAliveAgents();
  const maxAttempts = options.maxAttempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5000;
  const sign = createS3RequestSigner(options.credentials, options.region);

  const attempt = async (object: ObjectToPut, attemptMs: number): Promise<void> => {
    const region = await options.region();
    const base = new URL(options.endpoint ?? defaultS3Endpoint(region));
    const path = `/${object.key.split('/').map(encodeSegment).join('/')}`;
    // Virtual-hosted style (the bucket in the host name), as S3 prefers; path style for the emulator.
    const hostname = options.forcePathStyle ? base.hostname : `${object.bucket}.${base.hostname}`;
    const host = base.port === '' ? hostname : `${hostname}:${base.port}`;
    const canonicalUri = options.forcePathStyle ? `/${encodeSegment(object.bucket)}${path}` : path;
    const payloadHash = sha256Hex(object.body);
    const headers = await sign({
      method: 'PUT',
      canonicalUri,
      headers: {
        'content-type': object.contentType,
        host,
        ...(object.serverSideEncryption === undefined
          ? {}
          : { 'x-amz-server-side-encryption': object.serverSideEncryption }),
      },
      payloadHash,
    });
    const answer = await exchange(agents, {
      origin: new URL(`${base.protocol}//${host}`),
      path: canonicalUri,
      method: 'PUT',
      headers,
      body: object.body,
      timeoutMs: attemptMs,
    }).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      throw new ObjectPutError('NetworkError', undefined, message, { cause: error });
    });
    if (answer.status >= 200 && answer.status < 300) return;
    const code = /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1] ?? `HTTP${answer.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(answer.body)?.[1] ?? `S3 answered ${answer.status}`;
    throw new ObjectPutError(code, answer.status, message);
  };

  return (object) =>
    retrying(
      (attemptMs) => attempt(object, attemptMs),
      (error) => error instanceof ObjectPutError && error.transient,
      { maxAttempts, timeoutMs, deadline: object.deadline },
    );
};
