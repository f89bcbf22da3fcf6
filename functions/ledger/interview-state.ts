/**
 * Per-interview state: one item per (vendor, interview key) that every event of that interview updates,
 * whatever order the events arrive in.
 *
 * - The status only moves forward: a higher lifecycle rank advances it, an event of a lower rank arriving
 *   late never takes it back (it is reported `stale`). Within one rank the newest event wins.
 * - Fields merge per field: a value is written when the field is absent or the event is newer than the one
 *   that wrote it (per-field stamps), so a late, older event cannot overwrite newer data.
 * - Concurrent workers: optimistic concurrency on a `version` attribute. Each write is conditional on the
 *   version read; a writer that lost the race reads again and re-merges. The merge is order-independent,
 *   so whatever the interleaving, the item converges to the same state.
 * - Each applied event is remembered (`appliedEvents`), so a retried event is recognised and told what it
 *   did the first time (a worker that crashed after advancing the status still runs the status's effects).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { VendorName } from '../vendors/envelope.js';
import { InterviewStateConflictError, InvalidInterviewUpdateError } from './errors.js';

/** One event's contribution to an interview's state. */
export interface InterviewUpdate {
  readonly vendor: VendorName;
  /** From `interviewKeyOf(event)`. */
  readonly interviewKey: string;
  /** From `lifecycleOf(event)`; `undefined` for events that only add fields. */
  readonly rank: number | undefined;
  /** From `lifecycleOf(event)`; written only when `rank` is defined. */
  readonly status: string;
  /** When the event happened (ISO 8601); orders events of the same rank and field writes. */
  readonly occurredAt: string;
  /** The event's dedupe key: identifies a retried event and breaks ties between simultaneous events. */
  readonly eventKey: string;
  /**
   * Values to merge (JSON-compatible; `undefined` members are ignored). Kept in a DynamoDB item of at most
   * 400 KB: store ids, scores and URLs, not transcripts.
   */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Which event wrote a field (or the status), to decide whether a later event may overwrite it. */
export interface WriteStamp {
  /** `occurredAt` of the writing event, normalised to `Date#toISOString` so strings compare as times. */
  readonly at: string;
  readonly eventKey: string;
}

/** What applying an event did, remembered so that a retry of the event is answered the same way. */
export interface AppliedEvent {
  readonly advanced: boolean;
}

export interface InterviewState {
  readonly vendor: VendorName;
  readonly interviewKey: string;
  /** Furthest status reached; absent while only fields-only events have arrived. */
  readonly status?: string;
  readonly rank?: number;
  /** Which event set the status (the newest of the highest rank). */
  readonly statusStamp?: WriteStamp;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly fieldStamps: Readonly<Record<string, WriteStamp>>;
  /** Events applied, by event key. */
  readonly appliedEvents: Readonly<Record<string, AppliedEvent>>;
  /** Where the interview was found in the ATS (ids only), once resolved; see `setAtsMatch`. */
  readonly atsMatch?: Readonly<Record<string, string>>;
  /** Incremented by every write (optimistic concurrency). */
  readonly version: number;
  readonly updatedAt?: string;
}

export interface AdvanceResult {
  /** The event moved the status to a higher rank (for a replayed event: whether it did the first time). */
  readonly advanced: boolean;
  /** The event's rank is below the status already reached: it arrived late and did not change the status. */
  readonly stale: boolean;
  /** The event had been applied before (a retry); nothing was written. */
  readonly replayed: boolean;
  /** Fields whose value this event changed. */
  readonly changedFields: readonly string[];
  readonly state: InterviewState;
}

export interface InterviewStateStoreOptions {
  /** Client for the ledger table. */
  readonly client: DynamoDBClient;
  /** Name of the ledger table (`pk`/`sk`, TTL attribute `expiresAt`). */
  readonly tableName: string;
  /**
   * How long the state is kept after its last write: interviews run for days and reports and recordings
   * can follow weeks later.
   * @default 15552000 (180 days)
   */
  readonly retentionSeconds?: number;
  /**
   * Attempts of the read-merge-conditional-write loop before giving up with
   * {@link InterviewStateConflictError} (transient). Each lost race means another writer succeeded, so
   * this bounds the number of concurrent writers per interview that is handled in one go.
   * @default 20
   */
  readonly maxAttempts?: number;
  /**
   * Clock, epoch milliseconds (injectable for tests).
   * @default Date.now
   */
  readonly now?: () => number;
}

const defaults = { retentionSeconds: 180 * 24 * 3600, maxAttempts: 20 };

/** Most the loop waits between attempts; jittered so that racing writers spread out. */
const maxBackoffMs = 200;

const statePk = (vendor: VendorName, interviewKey: string) => `INTERVIEW#${vendor}#${interviewKey}`;
const stateSk = 'STATE';

/** `a` was written by a later event than `b` (ties on time broken by event key, so every order agrees). */
const isNewer = (a: WriteStamp, b: WriteStamp): boolean =>
  a.at > b.at || (a.at === b.at && a.eventKey > b.eventKey);

/**
 * Merges one update into a state (pure; exported for unit tests). `update.occurredAt` must already be
 * normalised (`Date#toISOString`). For an event applied before, `state` is the current state unchanged
 * and `replayed` is true.
 */
export function mergeInterviewUpdate(
  current: InterviewState | undefined,
  update: InterviewUpdate,
  nowIso: string,
): Omit<AdvanceResult, 'changedFields'> & { changedFields: string[] } {
  const base: InterviewState = current ?? {
    vendor: update.vendor,
    interviewKey: update.interviewKey,
    fields: {},
    fieldStamps: {},
    appliedEvents: {},
    version: 0,
  };
  const stale = update.rank !== undefined && base.rank !== undefined && update.rank < base.rank;
  const previous = base.appliedEvents[update.eventKey];
  if (previous !== undefined) {
    return { state: base, advanced: previous.advanced, stale, replayed: true, changedFields: [] };
  }

  const stamp: WriteStamp = { at: update.occurredAt, eventKey: update.eventKey };
  let status = { status: base.status, rank: base.rank, statusStamp: base.statusStamp };
  let advanced = false;
  if (update.rank !== undefined) {
    if (base.rank === undefined || update.rank > base.rank) {
      status = { status: update.status, rank: update.rank, statusStamp: stamp };
      advanced = true;
    } else if (
      update.rank === base.rank &&
      (base.statusStamp === undefined || isNewer(stamp, base.statusStamp))
    ) {
      status = { status: update.status, rank: update.rank, statusStamp: stamp };
    }
  }

  const fields: Record<string, unknown> = { ...base.fields };
  const fieldStamps: Record<string, WriteStamp> = { ...base.fieldStamps };
  const changedFields: string[] = [];
  for (const [name, value] of Object.entries(update.fields)) {
    const written = fieldStamps[name];
    if (value === undefined || (written !== undefined && !isNewer(stamp, written))) continue;
    if (JSON.stringify(fields[name]) !== JSON.stringify(value)) changedFields.push(name);
    fields[name] = value;
    fieldStamps[name] = stamp;
  }

  const next: InterviewState = {
    ...base,
    ...status,
    fields,
    fieldStamps,
    appliedEvents: { ...base.appliedEvents, [update.eventKey]: { advanced } },
    version: base.version + 1,
    updatedAt: nowIso,
  };
  return { state: next, advanced, stale, replayed: false, changedFields };
}

export class InterviewStateStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;
  readonly #maxAttempts: number;
  readonly #now: () => number;

  constructor(options: InterviewStateStoreOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionSeconds = options.retentionSeconds ?? defaults.retentionSeconds;
    this.#maxAttempts = options.maxAttempts ?? defaults.maxAttempts;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Applies one event to its interview's state (see the module comment for the rules).
   *
   * @throws {InvalidInterviewUpdateError} for an empty key or an unparseable `occurredAt` (permanent).
   * @throws {InterviewStateConflictError} when concurrent writers won `maxAttempts` races in a row (transient).
   *
   * @example
   * ```ts
   * const { rank, status } = lifecycleOf(event);
   * const { advanced, stale } = await store.advance({
   *   vendor: event.vendor, interviewKey: interviewKeyOf(event), rank, status,
   *   occurredAt: event.occurredAt ?? event.receivedAt, eventKey: event.dedupeKey,
   *   fields: { reportUrl },
   * });
   * ```
   */
  async advance(input: InterviewUpdate): Promise<AdvanceResult> {
    const update = normaliseUpdate(input);
    const key = statePk(update.vendor, update.interviewKey);
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const current = await this.get(update.vendor, update.interviewKey);
      const now = this.#now();
      const merged = mergeInterviewUpdate(current, update, new Date(now).toISOString());
      if (merged.replayed) return merged;
      try {
        await this.#write(merged.state, current?.version, now);
        return merged;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (attempt === this.#maxAttempts) {
          throw new InterviewStateConflictError(key, attempt, { cause: error });
        }
        await sleep(Math.random() * Math.min(maxBackoffMs, 5 * 2 ** attempt));
      }
    }
    throw new InterviewStateConflictError(key, this.#maxAttempts);
  }

  /**
   * Records where the interview was found in the ATS (ids only, no PII), creating the state item if
   * needed. Replaces the previous match.
   */
  async setAtsMatch(
    vendor: VendorName,
    interviewKey: string,
    atsMatch: Readonly<Record<string, string>>,
  ): Promise<InterviewState> {
    const now = this.#now();
    const { Attributes } = await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { pk: statePk(vendor, interviewKey), sk: stateSk },
        // Initialises the maps an `advance` expects, and bumps the version so that a concurrent `advance`
        // holding the old version retries instead of overwriting anything.
        UpdateExpression:
          'SET #atsMatch = :atsMatch, #vendor = if_not_exists(#vendor, :vendor), ' +
          '#interviewKey = if_not_exists(#interviewKey, :interviewKey), #fields = if_not_exists(#fields, :empty), ' +
          '#fieldStamps = if_not_exists(#fieldStamps, :empty), ' +
          '#appliedEvents = if_not_exists(#appliedEvents, :empty), #updatedAt = :nowIso, #expiresAt = :expiresAt ' +
          'ADD #version :one',
        ExpressionAttributeNames: {
          '#atsMatch': 'atsMatch',
          '#vendor': 'vendor',
          '#interviewKey': 'interviewKey',
          '#fields': 'fields',
          '#fieldStamps': 'fieldStamps',
          '#appliedEvents': 'appliedEvents',
          '#updatedAt': 'updatedAt',
          '#expiresAt': 'expiresAt',
          '#version': 'version',
        },
        ExpressionAttributeValues: {
          ':atsMatch': { ...atsMatch },
          ':vendor': vendor,
          ':interviewKey': interviewKey,
          ':empty': {},
          ':nowIso': new Date(now).toISOString(),
          ':expiresAt': this.#expiresAt(now),
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(Attributes ?? {}, vendor, interviewKey);
  }

  /** The interview's state, if any event has been applied. */
  async get(vendor: VendorName, interviewKey: string): Promise<InterviewState | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: statePk(vendor, interviewKey), sk: stateSk },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : fromItem(Item, vendor, interviewKey);
  }

  async #write(next: InterviewState, expectedVersion: number | undefined, now: number): Promise<void> {
    // Every attribute an advance owns, written whole (not by nested paths): the version condition
    // guarantees the maps were merged from the item as it is now. `atsMatch` (see `setAtsMatch`) is left alone.
    const attributes: Record<string, unknown> = {
      vendor: next.vendor,
      interviewKey: next.interviewKey,
      fields: next.fields,
      fieldStamps: next.fieldStamps,
      appliedEvents: next.appliedEvents,
      version: next.version,
      updatedAt: next.updatedAt,
      expiresAt: this.#expiresAt(now),
      ...(next.rank === undefined
        ? {}
        : { status: next.status, rank: next.rank, statusStamp: next.statusStamp }),
    };
    const names = Object.fromEntries(Object.keys(attributes).map((name) => [`#${name}`, name]));
    const values = Object.fromEntries(Object.entries(attributes).map(([name, value]) => [`:${name}`, value]));
    const sets = Object.keys(attributes).map((name) => `#${name} = :${name}`);
    // Create only if nobody created it meanwhile; update only if nobody wrote since it was read.
    let condition = 'attribute_not_exists(#pk)';
    if (expectedVersion === undefined) {
      names['#pk'] = 'pk';
    } else {
      condition = '#version = :expectedVersion';
      values[':expectedVersion'] = expectedVersion;
    }
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { pk: statePk(next.vendor, next.interviewKey), sk: stateSk },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  #expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.#retentionSeconds;
  }
}

function normaliseUpdate(input: InterviewUpdate): InterviewUpdate {
  if (input.interviewKey === '') throw new InvalidInterviewUpdateError('interviewKey is empty');
  if (input.eventKey === '') throw new InvalidInterviewUpdateError('eventKey is empty');
  if (input.rank !== undefined && !Number.isFinite(input.rank)) {
    throw new InvalidInterviewUpdateError(`rank ${input.rank} is not a finite number`);
  }
  const time = Date.parse(input.occurredAt);
  if (Number.isNaN(time))
    throw new InvalidInterviewUpdateError(`occurredAt ${input.occurredAt} is not a date`);
  return {
    ...input,
    occurredAt: new Date(time).toISOString(),
    // Through JSON once, so what is stored is exactly what later merges compare against.
    fields: JSON.parse(JSON.stringify(input.fields)) as Record<string, unknown>,
  };
}

const asRecord = <T>(value: unknown): Record<string, T> =>
  typeof value === 'object' && value !== null ? (value as Record<string, T>) : {};

function fromItem(item: Record<string, unknown>, vendor: VendorName, interviewKey: string): InterviewState {
  return {
    vendor,
    interviewKey,
    status: typeof item.status === 'string' ? item.status : undefined,
    rank: typeof item.rank === 'number' ? item.rank : undefined,
    statusStamp: item.statusStamp === undefined ? undefined : (item.statusStamp as WriteStamp),
    fields: asRecord(item.fields),
    fieldStamps: asRecord<WriteStamp>(item.fieldStamps),
    appliedEvents: asRecord<AppliedEvent>(item.appliedEvents),
    atsMatch: item.atsMatch === undefined ? undefined : asRecord<string>(item.atsMatch),
    version: typeof item.version === 'number' ? item.version : 0,
    updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : undefined,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
