/**
 * Events the worker set aside instead of retrying forever: candidates not found in the ATS ("unmatched")
 * and permanent failures (also dead-lettered). Each is kept with its reason and the whole envelope, so an
 * operator can list them and replay one once the cause is fixed (the candidate exists, a setting is
 * corrected). One item per event: `pk = PARKED#<kind>`, `sk = <parkedAt>#<dedupeKey>` (see {@link parkedSk}).
 *
 * An envelope may be far larger than a DynamoDB item (400 KB): events above the SQS limit travel as
 * claim checks of up to the ingest's 5 MB. A large envelope is stored gzipped (transcripts compress well);
 * one still too large is stored without its payload (`payloadOmitted`), so parking never fails on size —
 * a failing park would leave the message retried until SQS dead-letters it without a reason.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import type { InterviewEvent } from '../vendors/envelope.js';
import { parkedPkPrefix } from './partitions.js';
import { deadlineOptions, type RequestsEndBy } from './request-deadline.js';

export type ParkedKind = 'unmatched' | 'failed';

const parkedPk = (kind: ParkedKind): string => `${parkedPkPrefix}${kind}`;

/** DynamoDB's limit on a sort key, in UTF-8 bytes. */
const maxSortKeyBytes = 1024;

/**
 * The sort key of a parked entry: `<parkedAt>#<dedupeKey>`, or, when that passes DynamoDB's 1024 bytes,
 * `<parkedAt>#sha256:<hex of the dedupe key>`. The schemas cap ids in UTF-16 units, so a micro1 session's
 * key (two ids of 255 characters, each `:` written as three) reaches 1.5 KB of UTF-8: its park was refused
 * on every receive and the event dead-lettered. The item keeps the dedupe key itself, which is what
 * callers match on; the sort key only has to be unique and ordered by time.
 */
export const parkedSk = (parkedAt: string, dedupeKey: string): string => {
  const plain = `${parkedAt}#${dedupeKey}`;
  if (Buffer.byteLength(plain) <= maxSortKeyBytes) return plain;
  return `${parkedAt}#sha256:${createHash('sha256').update(dedupeKey).digest('hex')}`;
};

/** What identifies a parked event (its item's key). */
export type ParkedKey = Pick<ParkedEvent, 'kind' | 'parkedAt' | 'dedupeKey'>;

/** A parked event without its envelope. */
export type ParkedSummary = Omit<ParkedEvent, 'event' | 'payloadOmitted'>;

export interface ParkedEvent {
  readonly kind: ParkedKind;
  readonly parkedAt: string;
  readonly dedupeKey: string;
  readonly vendor: string;
  readonly eventType: string;
  /** Why it was parked: a short, PII-free reason. */
  readonly reason: string;
  /** The envelope, for replay (DynamoDB encrypts it at rest; it is never logged). */
  readonly event: InterviewEvent;
  /**
   * True when the envelope was too large to keep whole even compressed: `event.payload` is `null`, the rest
   * of the envelope is kept (the original may still be in the claim-check bucket or the DLQ).
   */
  readonly payloadOmitted?: boolean;
}

/** How long a parked event is kept for replay by default (seconds): the stage's ledger keeps items longer. */
export const parkedRetentionSeconds = 30 * 24 * 3600;

export interface ParkingLotOptions {
  readonly client: DynamoDBClient;
  /** Ledger table. */
  readonly tableName: string;
  /**
   * How long a parked event is kept for replay.
   * @default 2592000 (30 days)
   */
  readonly retentionSeconds?: number;
  /**
   * Largest stored envelope (bytes of JSON, or of gzip when compressed), below DynamoDB's 400 KB item limit
   * with room for the other attributes.
   * @default 358400 (350 KiB)
   */
  readonly maxEventBytes?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** When every request must have ended (see request-deadline.ts). @default none */
  readonly requestsEndBy?: RequestsEndBy;
}

/** How the envelope is stored: JSON text when it fits, else gzipped JSON, else without its payload. */
const storedEvent = (event: InterviewEvent, maxBytes: number): Record<string, unknown> => {
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json, 'utf8') <= maxBytes) return { event: json };
  const gzipped = gzipSync(json);
  if (gzipped.byteLength <= maxBytes) return { eventGzip: gzipped };
  const withoutPayload = JSON.stringify({ ...event, payload: null });
  const fallback =
    Buffer.byteLength(withoutPayload, 'utf8') <= maxBytes
      ? { event: withoutPayload }
      : { eventGzip: gzipSync(withoutPayload) };
  return { ...fallback, payloadOmitted: true };
};

const eventOf = (item: Record<string, unknown>): InterviewEvent => {
  const json =
    item.eventGzip instanceof Uint8Array ? gunzipSync(item.eventGzip).toString('utf8') : String(item.event);
  return JSON.parse(json) as InterviewEvent;
};

const summaryOf = (kind: ParkedKind, item: Record<string, unknown>): ParkedSummary => ({
  kind,
  parkedAt: String(item.parkedAt),
  dedupeKey: String(item.dedupeKey),
  vendor: String(item.vendor),
  eventType: String(item.eventType),
  reason: String(item.reason),
});

const parkedOf = (kind: ParkedKind, item: Record<string, unknown>): ParkedEvent => ({
  ...summaryOf(kind, item),
  event: eventOf(item),
  ...(item.payloadOmitted === true ? { payloadOmitted: true } : {}),
});

export class ParkingLot {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;
  readonly #maxEventBytes: number;
  readonly #now: () => number;
  readonly #requestsEndBy: RequestsEndBy | undefined;

  constructor(options: ParkingLotOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionSeconds = options.retentionSeconds ?? parkedRetentionSeconds;
    this.#maxEventBytes = options.maxEventBytes ?? 350 * 1024;
    this.#now = options.now ?? Date.now;
    this.#requestsEndBy = options.requestsEndBy;
  }

  /** Parks `event`. Parking the same event again adds a second entry: the history of attempts is useful. */
  async park(kind: ParkedKind, event: InterviewEvent, reason: string): Promise<void> {
    const now = this.#now();
    const parkedAt = new Date(now).toISOString();
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          pk: parkedPk(kind),
          sk: parkedSk(parkedAt, event.dedupeKey),
          kind,
          parkedAt,
          dedupeKey: event.dedupeKey,
          vendor: event.vendor,
          eventType: event.type,
          reason,
          // Stored as JSON text (or gzipped JSON bytes), not as a map: DynamoDB's document mapping would drop
          // empty strings and reshape numbers.
          ...storedEvent(event, this.#maxEventBytes),
          expiresAt: Math.floor(now / 1000) + this.#retentionSeconds,
        },
      }),
      deadlineOptions(this.#requestsEndBy),
    );
  }

  /** The items of the parked events of `kind`, oldest first (only the `projection` attributes when given). */
  async *#items(kind: ParkedKind, projection?: readonly string[]): AsyncGenerator<Record<string, unknown>> {
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': parkedPk(kind) },
        ...(projection === undefined
          ? {}
          : {
              ProjectionExpression: projection.map((_, index) => `#p${index}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(
                projection.map((name, index) => [`#p${index}`, name]),
              ),
            }),
        ConsistentRead: true,
      },
    );
    for await (const page of pages) yield* page.Items ?? [];
  }

  /** Parked events of `kind`, oldest first. */
  async list(kind: ParkedKind): Promise<ParkedEvent[]> {
    const parked: ParkedEvent[] = [];
    for await (const entry of this.each(kind)) parked.push(entry);
    return parked;
  }

  /**
   * Parked events of `kind`, oldest first, read a page at a time: for a caller that keeps only a few of them
   * (`ops status` looking for one interview's), in memory for thousands parked after an outage.
   */
  async *each(kind: ParkedKind): AsyncGenerator<ParkedEvent> {
    for await (const item of this.#items(kind)) yield parkedOf(kind, item);
  }

  /**
   * The keys of the parked events of `kind`, oldest first, without their envelopes (each up to ~350 KiB):
   * what a caller that only matches and removes entries needs, in memory for thousands of them.
   */
  async listKeys(kind: ParkedKind): Promise<ParkedKey[]> {
    const keys: ParkedKey[] = [];
    for await (const item of this.#items(kind, ['parkedAt', 'dedupeKey'])) {
      keys.push({ kind, parkedAt: String(item.parkedAt), dedupeKey: String(item.dedupeKey) });
    }
    return keys;
  }

  /** The parked events of `kind`, oldest first, without their envelopes (see {@link listKeys}). */
  async listSummaries(kind: ParkedKind): Promise<ParkedSummary[]> {
    const summaries: ParkedSummary[] = [];
    for await (const item of this.#items(kind, ['parkedAt', 'dedupeKey', 'vendor', 'eventType', 'reason'])) {
      summaries.push(summaryOf(kind, item));
    }
    return summaries;
  }

  /** One parked event with its envelope; undefined when it is not (or no longer) parked. */
  async get(entry: ParkedKey): Promise<ParkedEvent | undefined> {
    const { Item: item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: parkedPk(entry.kind), sk: parkedSk(entry.parkedAt, entry.dedupeKey) },
        ConsistentRead: true,
      }),
      deadlineOptions(this.#requestsEndBy),
    );
    return item === undefined ? undefined : parkedOf(entry.kind, item);
  }

  /** Removes one parked entry (after it was replayed). */
  async remove(entry: ParkedKey): Promise<void> {
    await this.#client.send(
      new DeleteCommand({
        TableName: this.#tableName,
        Key: { pk: parkedPk(entry.kind), sk: parkedSk(entry.parkedAt, entry.dedupeKey) },
      }),
      deadlineOptions(this.#requestsEndBy),
    );
  }
}
