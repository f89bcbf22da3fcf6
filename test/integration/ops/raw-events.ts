/**
 * The raw event store in the ops tests: the ingest writes each accepted delivery to
 * `raw/{vendor}/{yyyy-mm-dd}/{dedupe key}.json` before it answers 202 (`functions/queue/raw-events.ts`).
 * Until an ingest does, a test stores the delivery itself, in the same format and at the same key, so the
 * commands that read the store are tested either way.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sdkPutObject } from '../../../functions/platform/clients.js';
import { type RawEvent, RawEventStore, rawEventKey } from '../../../functions/queue/raw-events.js';
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { parseVendorEvent } from '../../../functions/vendors/index.js';

/** Who wrote a delivery's raw event: the ingest, or the test because no ingest did. */
export type RawEventWriter = 'ingest' | 'test';

/** Makes sure the delivery of `body` (accepted just now) is in the raw event store; says who stored it. */
export const ensureRawEvent = async (
  s3: S3Client,
  bucket: string,
  vendor: VendorName,
  body: Buffer,
  receivedAt: Date = new Date(),
): Promise<RawEventWriter> => {
  const parsed = parseVendorEvent(vendor, JSON.parse(body.toString('utf8')), receivedAt);
  if (!parsed.ok)
    throw new Error(`the test sent a body the parser refuses: ${JSON.stringify(parsed.issues)}`);
  const key = rawEventKey(vendor, receivedAt, parsed.event.dedupeKey);
  const exists = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
  if (exists) return 'ingest';
  const raw: RawEvent = {
    schemaVersion: 1,
    vendor,
    type: parsed.event.type,
    dedupeKey: parsed.event.dedupeKey,
    receivedAt: receivedAt.toISOString(),
    headers: { 'content-type': 'application/json' },
    bodyBase64: body.toString('base64'),
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(raw),
      ContentType: 'application/json',
    }),
  );
  return 'test';
};

/** The raw event the worker stores for a delivery of `body` received at `receivedAt`. */
export const rawEventFor = (vendor: VendorName, body: Buffer, receivedAt: Date): RawEvent => {
  const parsed = parseVendorEvent(vendor, JSON.parse(body.toString('utf8')), receivedAt);
  if (!parsed.ok)
    throw new Error(`the test sent a body the parser refuses: ${JSON.stringify(parsed.issues)}`);
  return {
    schemaVersion: 1,
    vendor,
    type: parsed.event.type,
    dedupeKey: parsed.event.dedupeKey,
    receivedAt: receivedAt.toISOString(),
    headers: { 'content-type': 'application/json' },
    bodyBase64: body.toString('base64'),
  };
};

/** Stores deliveries as one worker invocation does (`RawEventStore.putAll`): their objects' keys. */
export const storeAsOneInvocation = async (
  s3: S3Client,
  bucket: string,
  raws: readonly RawEvent[],
): Promise<string[]> => {
  const outcomes = await new RawEventStore({ putObject: sdkPutObject(s3), bucket }).putAll(raws);
  return outcomes.map((outcome) => {
    if (typeof outcome !== 'string') throw outcome;
    return outcome;
  });
};
