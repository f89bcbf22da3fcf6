/**
 * Keeps the ATS's screening status a faithful, forward-only projection of the interview state.
 *
 * Advancing the state and writing the ATS are two steps, so without a guard two workers could interleave:
 * `interview_started` advances the state, `interview_ended` advances it further and writes "completed",
 * then the first worker writes "in progress" — a regression the recruiter sees. The guard: a worker may
 * write the ATS status for rank R only while the state is still at rank R, nothing at R or above was
 * synced yet, and it holds a short lease on the state item. All three are one conditional update on the
 * state item, so there is no read-then-write race; a crashed worker's lease expires and the retry syncs.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { VendorName } from '../vendors/envelope.js';

export type StatusSyncClaim =
  /** The caller holds the lease and must write the status, then call `complete`. */
  | { readonly outcome: 'claimed'; readonly token: string }
  /** The state moved past this rank, or it was synced already: nothing to write. */
  | { readonly outcome: 'superseded' }
  /** Another worker is writing the status now; try again shortly. */
  | { readonly outcome: 'busy'; readonly leaseUntil: number };

export interface StatusSyncOptions {
  readonly client: DynamoDBClient;
  /** Ledger table (the state items live there: `pk = INTERVIEW#<vendor>#<key>`, `sk = STATE`). */
  readonly tableName: string;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

const key = (vendor: VendorName, interviewKey: string) => ({
  pk: `INTERVIEW#${vendor}#${interviewKey}`,
  sk: 'STATE',
});

export class AtsStatusSync {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor(options: StatusSyncOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Claims the right to write the ATS status for state rank `rank`, whose ATS wording has level `level`
   * (several state ranks read the same in the ATS: micro1's completed, report ready, recordings ready).
   */
  async claim(
    vendor: VendorName,
    interviewKey: string,
    rank: number,
    level: number,
    leaseMs: number,
  ): Promise<StatusSyncClaim> {
    const now = this.#now();
    const token = `${rank}:${now}:${Math.random().toString(36).slice(2)}`;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key(vendor, interviewKey),
          UpdateExpression: 'SET #leaseUntil = :leaseUntil, #token = :token',
          ConditionExpression:
            '#rank = :rank AND (attribute_not_exists(#synced) OR #synced < :level) AND ' +
            '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)',
          ExpressionAttributeNames: {
            '#rank': 'rank',
            '#synced': 'atsSyncedLevel',
            '#leaseUntil': 'atsSyncLeaseUntil',
            '#token': 'atsSyncToken',
          },
          ExpressionAttributeValues: {
            ':rank': rank,
            ':level': level,
            ':now': now,
            ':leaseUntil': now + leaseMs,
            ':token': token,
          },
        }),
      );
      return { outcome: 'claimed', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Why did the condition fail? A consistent read tells superseded from busy.
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: key(vendor, interviewKey), ConsistentRead: true }),
    );
    const stateRank = typeof Item?.rank === 'number' ? Item.rank : undefined;
    const synced = typeof Item?.atsSyncedLevel === 'number' ? Item.atsSyncedLevel : undefined;
    if (stateRank !== rank || (synced !== undefined && synced >= level)) return { outcome: 'superseded' };
    return { outcome: 'busy', leaseUntil: Number(Item?.atsSyncLeaseUntil ?? now) };
  }

  /** Records that the status of level `level` is in the ATS and releases the lease (only if still ours). */
  async complete(vendor: VendorName, interviewKey: string, level: number, token: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key(vendor, interviewKey),
          UpdateExpression: 'SET #synced = :level REMOVE #leaseUntil, #token',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: {
            '#synced': 'atsSyncedLevel',
            '#leaseUntil': 'atsSyncLeaseUntil',
            '#token': 'atsSyncToken',
          },
          ExpressionAttributeValues: { ':level': level, ':token': token },
        }),
      );
    } catch (error) {
      // Our lease expired and another worker took over: it will record the sync itself.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Releases the lease without recording a sync (the ATS write failed). */
  async release(vendor: VendorName, interviewKey: string, token: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key(vendor, interviewKey),
          UpdateExpression: 'REMOVE #leaseUntil, #token',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#leaseUntil': 'atsSyncLeaseUntil', '#token': 'atsSyncToken' },
          ExpressionAttributeValues: { ':token': token },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
