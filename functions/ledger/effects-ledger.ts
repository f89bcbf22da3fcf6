/**
 * Effects ledger: each side effect of an event (post a note, move a stage, archive a recording) is
 * recorded separately, so a retried event skips the effects that already happened and redoes only the rest.
 *
 * One item per (event, effect): `pk = EFFECT#<eventKey>`, `sk = <effect>`, with `status`
 * (`in_progress` | `done` | `failed`), a claim token and a lease. Written by hand rather than with
 * Powertools Idempotency because an effect needs what Powertools does not give: telling the caller that
 * an earlier attempt may have half-happened (`previousAttemptUnfinished`) so it can reconcile first.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EffectClaimLostError, EffectInProgressError } from './errors.js';

export type EffectStatus = 'in_progress' | 'done' | 'failed';

/** What `runOnce` tells the effect about earlier attempts. */
export interface EffectAttempt {
  /**
   * True when an earlier attempt claimed this effect and did not record completion: it crashed or timed
   * out (its lease expired) or it threw. It may still have taken effect (a timeout after the ATS accepted
   * the write), so check the target before repeating a call that is not idempotent.
   */
  readonly previousAttemptUnfinished: boolean;
  /** 1 for the first attempt, counting every claim of this effect. */
  readonly attempt: number;
}

/** An effect's ledger item as stored. */
export interface EffectRecord {
  readonly eventKey: string;
  readonly effect: string;
  readonly status: EffectStatus;
  readonly attempts: number;
  /** Epoch milliseconds until which the current claim is held (only while `in_progress`). */
  readonly leaseExpiresAt?: number;
  /** ISO time the effect was recorded done. */
  readonly completedAt?: string;
  /** `name` of the error of the last failed attempt (never its message: it may quote payload data). */
  readonly lastError?: string;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
}

export interface EffectsLedgerOptions {
  /** Client for the ledger table. */
  readonly client: DynamoDBClient;
  /** Name of the ledger table (`pk`/`sk`, TTL attribute `expiresAt`). */
  readonly tableName: string;
  /**
   * How long effect items are kept. Longer than the event dedupe retention, so an event whose dedupe
   * record has expired still skips effects that happened.
   * @default 2592000 (30 days)
   */
  readonly retentionSeconds?: number;
  /**
   * How long a claim holds when `runOnce` is given no `leaseMs`. Longer than the worker's timeout (a live
   * worker never loses its claim) and shorter than the queue's visibility timeout (a redelivery after a
   * crash finds the lease expired).
   * @default 120000 (2 minutes)
   */
  readonly defaultLeaseMs?: number;
  /**
   * Clock, epoch milliseconds (injectable for tests).
   * @default Date.now
   */
  readonly now?: () => number;
}

export interface RunOnceOptions {
  /**
   * How long this claim holds before another worker may take the effect over.
   * @default the ledger's `defaultLeaseMs`
   */
  readonly leaseMs?: number;
}

/** `ran`: the effect ran now and is recorded done; `skipped`: it had already been done. */
export type EffectOutcome = 'ran' | 'skipped';

const defaults = { retentionSeconds: 30 * 24 * 3600, defaultLeaseMs: 120_000 };

/** Claims that lose a race with a change of the item (released, lease expired) are simply tried again. */
const maxClaimAttempts = 3;

const effectPk = (eventKey: string) => `EFFECT#${eventKey}`;

type Claim = { kind: 'claimed'; token: string; attempt: EffectAttempt } | { kind: 'done' };

export class EffectsLedger {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;
  readonly #defaultLeaseMs: number;
  readonly #now: () => number;

  constructor(options: EffectsLedgerOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionSeconds = options.retentionSeconds ?? defaults.retentionSeconds;
    this.#defaultLeaseMs = options.defaultLeaseMs ?? defaults.defaultLeaseMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs `fn` unless `effect` of `eventKey` is already done.
   *
   * - already done → resolves `'skipped'` without calling `fn`;
   * - claimed by another worker whose lease has not expired → throws {@link EffectInProgressError};
   * - otherwise claims it (the conditional write is the claim: no read decides it), calls `fn`, records it
   *   done and resolves `'ran'`;
   * - if `fn` throws, the claim is released (status `failed`) so a retry may claim it at once, and the
   *   error is rethrown;
   * - if the lease expired while `fn` ran and another worker took over, throws {@link EffectClaimLostError}.
   *
   * @example
   * ```ts
   * await ledger.runOnce(event.dedupeKey, 'ats.note', async ({ previousAttemptUnfinished }) => {
   *   if (previousAttemptUnfinished && (await ats.hasNote(application, marker))) return;
   *   await ats.addNote(application, note);
   * });
   * ```
   */
  async runOnce(
    eventKey: string,
    effect: string,
    fn: (attempt: EffectAttempt) => Promise<void>,
    opts: RunOnceOptions = {},
  ): Promise<EffectOutcome> {
    const claim = await this.#claim(eventKey, effect, opts.leaseMs ?? this.#defaultLeaseMs);
    if (claim.kind === 'done') return 'skipped';
    try {
      await fn(claim.attempt);
    } catch (error) {
      // Best effort: if the release fails too, the lease expiring frees the effect anyway, and the
      // caller needs fn's error, not the release's.
      await this.#release(eventKey, effect, claim.token, error).catch(() => undefined);
      throw error;
    }
    await this.#markDone(eventKey, effect, claim.token);
    return 'ran';
  }

  /** Names of the effects of `eventKey` recorded done, sorted. */
  async listDone(eventKey: string): Promise<string[]> {
    const done: string[] = [];
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: '#status = :done',
        ExpressionAttributeNames: { '#pk': 'pk', '#status': 'status' },
        ExpressionAttributeValues: { ':pk': effectPk(eventKey), ':done': 'done' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) done.push(String(item.sk));
    }
    return done.sort();
  }

  /** The ledger item of one effect, if any. */
  async get(eventKey: string, effect: string): Promise<EffectRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: effectPk(eventKey), sk: effect },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : toRecord(Item);
  }

  async #claim(eventKey: string, effect: string, leaseMs: number): Promise<Claim> {
    for (let attempt = 1; ; attempt++) {
      const now = this.#now();
      const token = randomUUID();
      try {
        const { Attributes: previous } = await this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: { pk: effectPk(eventKey), sk: effect },
            UpdateExpression:
              'SET #status = :inProgress, #claimToken = :token, #leaseExpiresAt = :leaseUntil, ' +
              '#claimedAt = :nowIso, #eventKey = :eventKey, #effect = :effect, #expiresAt = :expiresAt ' +
              'ADD #attempts :one',
            // The claim itself: free (never claimed, or released after a failure) or its holder's lease
            // has run out. `done` never matches, so a finished effect cannot be claimed again.
            ConditionExpression:
              'attribute_not_exists(#pk) OR #status = :failed OR (#status = :inProgress AND #leaseExpiresAt < :now)',
            ExpressionAttributeNames: {
              '#pk': 'pk',
              '#status': 'status',
              '#claimToken': 'claimToken',
              '#leaseExpiresAt': 'leaseExpiresAt',
              '#claimedAt': 'claimedAt',
              '#eventKey': 'eventKey',
              '#effect': 'effect',
              '#expiresAt': 'expiresAt',
              '#attempts': 'attempts',
            },
            ExpressionAttributeValues: {
              ':inProgress': 'in_progress',
              ':failed': 'failed',
              ':token': token,
              ':leaseUntil': now + leaseMs,
              ':now': now,
              ':nowIso': new Date(now).toISOString(),
              ':eventKey': eventKey,
              ':effect': effect,
              ':expiresAt': this.#expiresAt(now),
              ':one': 1,
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previousStatus = previous?.status as EffectStatus | undefined;
        return {
          kind: 'claimed',
          token,
          attempt: {
            previousAttemptUnfinished: previousStatus === 'in_progress' || previousStatus === 'failed',
            attempt: Number(previous?.attempts ?? 0) + 1,
          },
        };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Reading after the failed claim only explains it (done or held); it decides nothing by itself:
        // any other state means the item changed in between, and the next conditional write settles it.
        const current = await this.get(eventKey, effect);
        if (current?.status === 'done') return { kind: 'done' };
        const held =
          current?.status === 'in_progress' &&
          current.leaseExpiresAt !== undefined &&
          current.leaseExpiresAt >= this.#now();
        if (held || attempt >= maxClaimAttempts) {
          throw new EffectInProgressError(eventKey, effect, current?.leaseExpiresAt, { cause: error });
        }
      }
    }
  }

  async #markDone(eventKey: string, effect: string, token: string): Promise<void> {
    const now = this.#now();
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: effectPk(eventKey), sk: effect },
          UpdateExpression:
            'SET #status = :done, #completedAt = :nowIso, #expiresAt = :expiresAt REMOVE #leaseExpiresAt',
          // Only the holder of the claim records completion; a worker whose lease was taken over must not
          // overwrite the new holder's claim.
          ConditionExpression: '#claimToken = :token AND #status = :inProgress',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#completedAt': 'completedAt',
            '#expiresAt': 'expiresAt',
            '#leaseExpiresAt': 'leaseExpiresAt',
            '#claimToken': 'claimToken',
          },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':inProgress': 'in_progress',
            ':token': token,
            ':nowIso': new Date(now).toISOString(),
            ':expiresAt': this.#expiresAt(now),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new EffectClaimLostError(eventKey, effect, { cause: error });
      }
      throw error;
    }
  }

  async #release(eventKey: string, effect: string, token: string, cause: unknown): Promise<void> {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { pk: effectPk(eventKey), sk: effect },
        UpdateExpression: 'SET #status = :failed, #lastError = :lastError REMOVE #leaseExpiresAt',
        ConditionExpression: '#claimToken = :token AND #status = :inProgress',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#lastError': 'lastError',
          '#leaseExpiresAt': 'leaseExpiresAt',
          '#claimToken': 'claimToken',
        },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':inProgress': 'in_progress',
          ':token': token,
          ':lastError': cause instanceof Error ? cause.name : 'unknown',
        },
      }),
    );
  }

  #expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.#retentionSeconds;
  }
}

function toRecord(item: Record<string, unknown>): EffectRecord {
  return {
    eventKey: String(item.eventKey),
    effect: String(item.sk),
    status: item.status as EffectStatus,
    attempts: Number(item.attempts ?? 0),
    leaseExpiresAt: typeof item.leaseExpiresAt === 'number' ? item.leaseExpiresAt : undefined,
    completedAt: typeof item.completedAt === 'string' ? item.completedAt : undefined,
    lastError: typeof item.lastError === 'string' ? item.lastError : undefined,
    expiresAt: Number(item.expiresAt),
  };
}
