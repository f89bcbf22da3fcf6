/**
 * Events the worker set aside instead of retrying forever: candidates not found in the ATS ("unmatched")
 * and permanent failures (also dead-lettered). Each is kept with its reason and the whole envelope, so an
 * operator can list them and replay one once the cause is fixed (the candidate exists, a setting is
 * corrected). One item per event: `pk = PARKED#<kind>`, `sk = <parkedAt>#<dedupeKey>`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { InterviewEvent } from '../vendors/envelope.js';

export type ParkedKind = 'unmatched' | 'failed';

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
}

export interface ParkingLotOptions {
  readonly client: DynamoDBClient;
  /** Ledger table. */
  readonly tableName: string;
  /**
   * How long a parked event is kept for replay.
   * @default 2592000 (30 days)
   */
  readonly retentionSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export class ParkingLot {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;
  readonly #now: () => number;

  constructor(options: ParkingLotOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionSeconds = options.retentionSeconds ?? 30 * 24 * 3600;
    this.#now = options.now ?? Date.now;
  }

  /** Parks `event`. Parking the same event again adds a second entry: the history of attempts is useful. */
  async park(kind: ParkedKind, event: InterviewEvent, reason: string): Promise<void> {
    const now = this.#now();
    const parkedAt = new Date(now).toISOString();
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          pk: `PARKED#${kind}`,
          sk: `${parkedAt}#${event.dedupeKey}`,
          kind,
          parkedAt,
          dedupeKey: event.dedupeKey,
          vendor: event.vendor,
          eventType: event.type,
          reason,
          // Stored as a string: DynamoDB's document mapping would drop empty strings and reshape numbers.
          event: JSON.stringify(event),
          expiresAt: Math.floor(now / 1000) + this.#retentionSeconds,
        },
      }),
    );
  }

  /** Parked events of `kind`, oldest first. */
  async list(kind: ParkedKind): Promise<ParkedEvent[]> {
    const parked: ParkedEvent[] = [];
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `PARKED#${kind}` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        parked.push({
          kind,
          parkedAt: String(item.parkedAt),
          dedupeKey: String(item.dedupeKey),
          vendor: String(item.vendor),
          eventType: String(item.eventType),
          reason: String(item.reason),
          event: JSON.parse(String(item.event)) as InterviewEvent,
        });
      }
    }
    return parked;
  }
}
