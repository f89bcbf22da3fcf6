/**
 * The interview ledger on DynamoDB: the per-interview state item (`interview-state.ts`) read and written in
 * as few requests as the guarantees allow. A fresh event costs one read, one write that records its
 * decision (status advance, ATS match, event claim and effect claims together) and, when it claimed
 * effects, one write that records their outcome; a duplicate costs the read alone.
 *
 * Items: `pk = INTERVIEW#<vendor>#<interview key>`, `sk = STATE`, TTL `expiresAt` (renewed by every write).
 *
 * Why not Powertools Idempotency for the event dedupe any more: its record is a second item, so every event
 * paid two more requests (claim, complete), and its claim could not be made in the same conditional write
 * as the state advance and the effect claims. Here the event's claim is a member of the state item, so the
 * dedupe, the ordering and the effects ledger are one record that cannot disagree with itself.
 */
import { isDeepStrictEqual } from 'node:util';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { VendorName } from '../vendors/envelope.js';
import { EffectClaimLostError, isItemTooLarge, LedgerItemTooLargeError } from './errors.js';
import type {
  AtsMatchRecord,
  EffectRecord,
  EventRecord,
  InterviewState,
  WriteStamp,
} from './interview-state.js';
import { newToken, tieOf } from './interview-state.js';
import { interviewStatePkPrefix } from './partitions.js';
import { deadlineOptions, type RequestsEndBy } from './request-deadline.js';

export interface InterviewLedgerOptions {
  /** Client for the ledger table. */
  readonly client: DynamoDBClient;
  /** Name of the ledger table (`pk`/`sk`, TTL attribute `expiresAt`). */
  readonly tableName: string;
  /**
   * How long an interview's item is kept after its last write. Interviews run for days, reports and
   * recordings follow later and vendors retry for days: the effects recorded here must outlive all of it.
   * @default 15552000 (180 days)
   */
  readonly retentionSeconds?: number;
  /**
   * Clock, epoch milliseconds (injectable for tests).
   * @default Date.now
   */
  readonly now?: () => number;
  /** When every request must have ended (see request-deadline.ts). @default none */
  readonly requestsEndBy?: RequestsEndBy;
}

/** What {@link InterviewLedger.settle} records for an attempt. */
export interface Settlement {
  /** The attempt's claim token: only its own claims are settled. */
  readonly owner: string;
  readonly eventKey: string;
  readonly event: EventRecord;
  /** New records of the effects the attempt claimed; `null` removes a claim that was never acted on. */
  readonly effects: Readonly<Record<string, EffectRecord | null>>;
  /**
   * Record `event` only if nobody else wrote the item since this version (the one the attempt's claim left),
   * else `otherwise`: another writer may have left the event more to do (a part merged while its note was
   * being posted), so it keeps its claim for its next round instead of being recorded done.
   */
  readonly unchangedSince?: { readonly version: number; readonly otherwise: EventRecord };
  /**
   * Replace the interview's stored ATS match `from` (only if it is still the one stored: same candidate and
   * application) with `to`: the record `from` names was refused and a fresh look-up found `to` (a recruiter
   * merged two candidates). Replaced, not removed, so no event meanwhile finds the interview without one.
   */
  readonly replaceMatch?: { readonly from: AtsMatchRecord; readonly to: AtsMatchRecord };
}

/** The outcome of {@link InterviewLedger.close}. */
export type CloseOutcome =
  /** Closed; the item as it was before (undefined when there was none). */
  | { readonly kind: 'closed'; readonly before: InterviewState | undefined }
  /** A status write on it is in flight right now: try again shortly. */
  | { readonly kind: 'busy' };

const defaults = { retentionSeconds: 180 * 24 * 3600 };

export const interviewStatePk = (vendor: VendorName, interviewKey: string) =>
  `${interviewStatePkPrefix}${vendor}#${interviewKey}`;
const stateSk = 'STATE';

export class InterviewLedger {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;
  readonly #now: () => number;
  readonly #requestsEndBy: RequestsEndBy | undefined;

  constructor(options: InterviewLedgerOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionSeconds = options.retentionSeconds ?? defaults.retentionSeconds;
    this.#now = options.now ?? Date.now;
    this.#requestsEndBy = options.requestsEndBy;
  }

  /** The interview's item (a strongly consistent read: decisions are made on it). */
  async read(vendor: VendorName, interviewKey: string): Promise<InterviewState | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: this.#key(vendor, interviewKey),
        ConsistentRead: true,
      }),
      deadlineOptions(this.#requestsEndBy),
    );
    return Item === undefined ? undefined : fromItem(Item, vendor, interviewKey);
  }

  /**
   * Writes `next` as the interview's state, provided nobody wrote since `expectedVersion` was read
   * (`undefined`: the item must not exist yet). Every attribute the state owns is written whole: the
   * version condition guarantees `next` was derived from the item as it is now.
   *
   * Each commit writes its own token (`commitToken`): when the SDK resends a commit whose first send landed
   * but whose answer was lost (a timeout, a reset connection), the resend fails its own condition, and the
   * token tells that the item holds this very write. Without it the attempt took its own claims for
   * another's and waited out their lease (the event 2 minutes late, a notification in it left uncertain).
   *
   * The token is the last writer's: when another write lands between the first send and the resend, the
   * item no longer carries it. `claimOf` names the event whose claim `next` writes (its record with this
   * attempt's `owner` and lease, which nobody else writes): a failed condition over an item that holds that
   * very record is this write too.
   *
   * @returns false when the item changed since the read (re-read and decide again).
   */
  async commit(
    next: InterviewState,
    expectedVersion: number | undefined,
    claimOf?: string,
  ): Promise<boolean> {
    const now = this.#now();
    const commitToken = newToken();
    // The vendor and the interview key are the partition key's: not stored again (the item is billed per
    // started KB; items written before carried them as attributes, removed by their next commit).
    const attributes: Record<string, unknown> = {
      commitToken,
      fields: next.fields,
      fieldStamps: Object.fromEntries(
        Object.entries(next.fieldStamps).map(([name, stamp]) => [name, storedStamp(stamp)]),
      ),
      events: next.events,
      effects: next.effects,
      version: (expectedVersion ?? 0) + 1,
      updatedAt: new Date(now).toISOString(),
      expiresAt: this.#expiresAt(now),
      ...(next.rank === undefined
        ? {}
        : {
            status: next.status,
            rank: next.rank,
            ...(next.statusStamp === undefined ? {} : { statusStamp: storedStamp(next.statusStamp) }),
          }),
      ...(next.atsMatch === undefined ? {} : { atsMatch: next.atsMatch }),
      ...(next.closedBy === undefined ? {} : { closedBy: next.closedBy }),
    };
    const names: Record<string, string> = {
      ...Object.fromEntries(Object.keys(attributes).map((name) => [`#${name}`, name])),
      '#vendor': 'vendor',
      '#interviewKey': 'interviewKey',
    };
    const values: Record<string, unknown> = Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [`:${name}`, value]),
    );
    let condition: string;
    if (expectedVersion === undefined) {
      condition = 'attribute_not_exists(#pk)';
      names['#pk'] = 'pk';
    } else {
      condition = '#version = :expectedVersion';
      values[':expectedVersion'] = expectedVersion;
    }
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: this.#key(next.vendor, next.interviewKey),
          UpdateExpression: `SET ${Object.keys(attributes)
            .map((name) => `#${name} = :${name}`)
            .join(', ')} REMOVE #vendor, #interviewKey`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        deadlineOptions(this.#requestsEndBy),
      );
      return true;
    } catch (error) {
      if (isItemTooLarge(error))
        throw new LedgerItemTooLargeError(next.vendor, next.interviewKey, { cause: error });
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const claim = claimOf === undefined ? undefined : next.events[claimOf];
      const signature =
        claimOf !== undefined && claim?.owner !== undefined
          ? { eventKey: claimOf, record: claim }
          : undefined;
      return (
        (await this.#ownWrite(error, next.vendor, next.interviewKey, commitToken, signature)) !== undefined
      );
    }
  }

  /**
   * After a failed condition: the item when it holds the write of `token` (a resend of a write that landed),
   * or, the token overwritten by a later write, when it holds `signature`: an event record the write set
   * that names this attempt, so nobody else writes it; else undefined. DynamoDB returns the item with the
   * failure (`ReturnValuesOnConditionCheckFailure`, no read needed); dynalite does not, so there it is read.
   */
  async #ownWrite(
    error: ConditionalCheckFailedException,
    vendor: VendorName,
    interviewKey: string,
    token: string,
    signature: { readonly eventKey: string; readonly record: EventRecord } | undefined,
  ): Promise<InterviewState | undefined> {
    let item: Record<string, unknown> | undefined;
    if (error.Item !== undefined) {
      item = unmarshall(error.Item);
    } else {
      ({ Item: item } = await this.#client.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: this.#key(vendor, interviewKey),
          ConsistentRead: true,
        }),
        deadlineOptions(this.#requestsEndBy),
      ));
    }
    if (item === undefined) return undefined;
    const holdsSignature =
      signature !== undefined && sameRecord(eventOf(item, signature.eventKey), signature.record);
    return item.commitToken === token || holdsSignature ? fromItem(item, vendor, interviewKey) : undefined;
  }

  /**
   * Records how an attempt's claims ended: one targeted update of the event's and the effects' members,
   * conditional on the attempt still owning each of them (a lease that ran out and was taken over is never
   * overwritten). It bumps the version, so a decision made from an older read is redone. With
   * `unchangedSince`, a second update records `otherwise` when the item was written since.
   *
   * @returns the item as written (one request: the update returns it).
   * @throws {EffectClaimLostError} when a claim was taken over (transient: the event is retried).
   */
  async settle(vendor: VendorName, interviewKey: string, settlement: Settlement): Promise<InterviewState> {
    const now = this.#now();
    // As for commit: a resent settle that landed finds its claims gone, and the token tells it was its own.
    const commitToken = newToken();
    const names: Record<string, string> = {
      '#commitToken': 'commitToken',
      '#events': 'events',
      '#owner': 'owner',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      '#expiresAt': 'expiresAt',
      '#e': settlement.eventKey,
    };
    const values: Record<string, unknown> = {
      ':commitToken': commitToken,
      ':owner': settlement.owner,
      ':event': settlement.event,
      ':one': 1,
      ':nowIso': new Date(now).toISOString(),
      ':expiresAt': this.#expiresAt(now),
    };
    const sets = [
      '#events.#e = :event',
      '#commitToken = :commitToken',
      '#updatedAt = :nowIso',
      '#expiresAt = :expiresAt',
    ];
    const removes: string[] = [];
    const conditions = ['#events.#e.#owner = :owner'];
    if (settlement.replaceMatch !== undefined) {
      const { from, to } = settlement.replaceMatch;
      names['#atsMatch'] = 'atsMatch';
      names['#candidateId'] = 'candidateId';
      sets.push('#atsMatch = :toMatch');
      values[':toMatch'] = to;
      values[':fromCandidateId'] = from.candidateId;
      conditions.push('#atsMatch.#candidateId = :fromCandidateId');
      if (from.applicationId === undefined) {
        conditions.push('attribute_not_exists(#atsMatch.#applicationId)');
      } else {
        conditions.push('#atsMatch.#applicationId = :fromApplicationId');
        values[':fromApplicationId'] = from.applicationId;
      }
      names['#applicationId'] = 'applicationId';
    }
    if (settlement.unchangedSince !== undefined) {
      conditions.push('#version = :unchangedSince');
      values[':unchangedSince'] = settlement.unchangedSince.version;
    }
    Object.entries(settlement.effects).forEach(([effect, record], index) => {
      // Named only when used: DynamoDB refuses names an expression does not use.
      names['#effects'] = 'effects';
      names[`#f${index}`] = effect;
      conditions.push(`#effects.#f${index}.#owner = :owner`);
      if (record === null) {
        removes.push(`#effects.#f${index}`);
      } else {
        sets.push(`#effects.#f${index} = :f${index}`);
        values[`:f${index}`] = record;
      }
    });
    try {
      // The item as it is after the update comes with the same request: the sync plans again from it.
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: this.#key(vendor, interviewKey),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''} ADD #version :one`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        deadlineOptions(this.#requestsEndBy),
      );
      return fromItem(Attributes ?? {}, vendor, interviewKey);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // The settled record names this attempt (`owner` on a release, `settledBy` once done): nobody else
        // writes it, so an item that carries it holds this settle even after a later write.
        const { event, owner, eventKey } = settlement;
        const namesAttempt = event.settledBy === owner || event.owner === owner;
        const own = await this.#ownWrite(
          error,
          vendor,
          interviewKey,
          commitToken,
          namesAttempt ? { eventKey, record: event } : undefined,
        );
        if (own !== undefined) return own;
        // Written since (or a claim lost, which the second try tells): record the other outcome.
        if (settlement.unchangedSince !== undefined) {
          const { unchangedSince, ...rest } = settlement;
          return this.settle(vendor, interviewKey, { ...rest, event: unchangedSince.otherwise });
        }
        throw new EffectClaimLostError(settlement.eventKey, Object.keys(settlement.effects).join(','), {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Hands an interview item's ATS status over to another item (`closedBy`), unless one of `awaitedEffects`
   * (its status writes, and any other effect the closing item must see finished) is being made right now. One blind conditional update (no read): it creates the item when no event
   * of it has arrived yet, so a later event finds it closed.
   */
  async close(
    vendor: VendorName,
    interviewKey: string,
    closedBy: string,
    awaitedEffects: readonly string[],
  ): Promise<CloseOutcome> {
    const now = this.#now();
    const names: Record<string, string> = {
      '#closedBy': 'closedBy',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      '#expiresAt': 'expiresAt',
      // Named only when a condition uses them: DynamoDB refuses names an expression does not use.
      ...(awaitedEffects.length === 0
        ? {}
        : { '#effects': 'effects', '#state': 'state', '#leaseUntil': 'leaseUntil' }),
    };
    // "No awaited effect in flight": a claimed status write, or one whose call got no answer and may still
    // land (failed with a settling time), could otherwise land after the closing item's "completed" (and a
    // notification still being sent could yet fail). Only those two carry a `leaseUntil`.
    const conditions = awaitedEffects.map((effect, index) => {
      names[`#s${index}`] = effect;
      const awaited = `#effects.#s${index}`;
      return (
        `(attribute_not_exists(${awaited}) OR (${awaited}.#state <> :claimed AND ${awaited}.#state <> :failed) ` +
        `OR attribute_not_exists(${awaited}.#leaseUntil) OR ${awaited}.#leaseUntil < :now)`
      );
    });
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: this.#key(vendor, interviewKey),
          UpdateExpression:
            'SET #closedBy = if_not_exists(#closedBy, :closedBy), #updatedAt = :nowIso, ' +
            '#expiresAt = :expiresAt ADD #version :one',
          ...(conditions.length === 0 ? {} : { ConditionExpression: conditions.join(' AND ') }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':closedBy': closedBy,
            ':nowIso': new Date(now).toISOString(),
            ':expiresAt': this.#expiresAt(now),
            ':one': 1,
            ...(conditions.length === 0 ? {} : { ':claimed': 'claimed', ':failed': 'failed', ':now': now }),
          },
          ReturnValues: 'ALL_OLD',
        }),
        deadlineOptions(this.#requestsEndBy),
      );
      return {
        kind: 'closed',
        before: Attributes === undefined ? undefined : fromItem(Attributes, vendor, interviewKey),
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { kind: 'busy' };
      throw error;
    }
  }

  #key(vendor: VendorName, interviewKey: string) {
    return { pk: interviewStatePk(vendor, interviewKey), sk: stateSk };
  }

  #expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.#retentionSeconds;
  }
}

const asRecord = <T>(value: unknown): Record<string, T> =>
  typeof value === 'object' && value !== null ? (value as Record<string, T>) : {};

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The record of `eventKey` on a raw item, if any. */
const eventOf = (item: Record<string, unknown>, eventKey: string): unknown =>
  asRecord<unknown>(item.events)[eventKey];

/** Whether a stored event record is `expected` (as written: the same members and values). */
const sameRecord = (stored: unknown, expected: EventRecord): boolean =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(stored ?? null)), JSON.parse(JSON.stringify(expected)));

/**
 * A stamp as stored: one string, `<at> <tie>` (`at` holds no space). Stamps were stored as maps
 * `{at, eventKey}` before: read as the same stamp ({@link tieOf} the key), so old and new compare alike.
 */
const storedStamp = (stamp: WriteStamp): string => `${stamp.at} ${stamp.tie}`;
const stampOfItem = (stored: unknown): WriteStamp | undefined => {
  if (typeof stored === 'string') {
    const space = stored.indexOf(' ');
    return space < 0 ? undefined : { at: stored.slice(0, space), tie: stored.slice(space + 1) };
  }
  const old = stored as { at?: unknown; eventKey?: unknown } | null | undefined;
  return typeof old?.at === 'string' && typeof old.eventKey === 'string'
    ? { at: old.at, tie: tieOf(old.eventKey) }
    : undefined;
};

function fromItem(item: Record<string, unknown>, vendor: VendorName, interviewKey: string): InterviewState {
  const match = asRecord<unknown>(item.atsMatch);
  const candidateId = optionalString(match.candidateId);
  const applicationId = optionalString(match.applicationId);
  const stageAtStart = optionalString(match.stageAtStart);
  const atsMatch: AtsMatchRecord | undefined =
    candidateId === undefined
      ? undefined
      : {
          candidateId,
          ...(applicationId === undefined ? {} : { applicationId }),
          ...(stageAtStart === undefined ? {} : { stageAtStart }),
        };
  const closedBy = optionalString(item.closedBy);
  return {
    vendor,
    interviewKey,
    ...(typeof item.status === 'string' ? { status: item.status } : {}),
    ...(typeof item.rank === 'number' ? { rank: item.rank } : {}),
    ...(stampOfItem(item.statusStamp) === undefined
      ? {}
      : { statusStamp: stampOfItem(item.statusStamp) as WriteStamp }),
    fields: asRecord(item.fields),
    fieldStamps: Object.fromEntries(
      Object.entries(asRecord<unknown>(item.fieldStamps)).flatMap(([name, stored]) => {
        const stamp = stampOfItem(stored);
        return stamp === undefined ? [] : [[name, stamp]];
      }),
    ),
    events: asRecord<EventRecord>(item.events),
    effects: asRecord<EffectRecord>(item.effects),
    ...(atsMatch === undefined ? {} : { atsMatch }),
    ...(closedBy === undefined ? {} : { closedBy }),
    version: typeof item.version === 'number' ? item.version : 0,
    ...(typeof item.updatedAt === 'string' ? { updatedAt: item.updatedAt } : {}),
  };
}
