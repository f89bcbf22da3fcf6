/**
 * The archive manifest on the ledger table: what was archived for an interview (one item per object, with
 * its size and SHA-256) and which assets of each batch are done (one item per batch).
 *
 * Items, under one partition per interview so `list` is a single Query:
 * - an object: `pk = ARCHIVE#<vendor>#<interview key>`, `sk = <object key>` (always under `interviews/`),
 *   attributes `size`, `sha256`, `contentType`, `sourceUrl` (without query or fragment), `archivedAt`;
 * - a batch: same `pk`, `sk = BATCH#<batch id>`, attributes `done` (string set of asset names),
 *   `candidate` (the candidate's e-mail pseudonym, when its task carried one: what an erasure finds it by),
 *   `completedAt` and `completedBy` once the batch is complete;
 * - a lease: same `pk`, `sk = LEASE#<asset key>`, attributes `owner` (an id of the task's attempt) and
 *   `leaseUntil` (epoch ms): which task is archiving the asset now ({@link ArchiveManifest.lease}); its
 *   `expiresAt` (the table's TTL, epoch seconds) is a day past the lease, so a lease item goes by itself.
 * Object keys start with `interviews/`, batch keys with `BATCH#` and lease keys with `LEASE#`, so they never
 * collide and `list` reads objects only (`begins_with`).
 *
 * No TTL (unlike the interview's own item, which expires 180 days after its last write) unless the stage
 * expires its archive (`archiveExpirationDays`: {@link ArchiveManifestOptions.expiresAfterSeconds}): the
 * manifest is the index and the integrity record (size, SHA-256, origin) of the archive, and the archive is
 * kept until it is deleted on purpose, or by that rule (then the object and batch items expire a day after
 * their objects, and the candidate pseudonym a batch item keeps goes with them). A manifest that expired while its objects stayed would make a late redelivery
 * download again (ROUND0's audio URLs are dead after 24 h, so the retry fails instead of skipping) and leave
 * the objects without their checksums. It lives exactly as long as the objects: whoever deletes an
 * interview's archive (an erasure request) deletes its `ARCHIVE#` partition with it.
 *
 * Requests end by the caller's deadline ({@link ArchiveManifestOptions.requestsEndBy}; the archive handler:
 * its invocation's end less a reserve): one still running then is aborted (an `AbortError`, transient: the
 * task is retried) and one that would start after it is never sent, so a DynamoDB that hangs fails the task
 * instead of running the invocation into Lambda's timeout (no log line, no metric, the task back only after
 * the queue's 90-minute visibility timeout). An aborted write may still have been applied, as one the SDK
 * gave up on may: each write says below what the retry then finds; none is harmed by it.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { archiveManifestPkPrefix } from '../ledger/partitions.js';
import { deadlineOptions, type RequestsEndBy } from '../ledger/request-deadline.js';
import type { VendorName } from '../vendors/envelope.js';
import { type ArchivedObject, archiveRoot, withoutQuery } from './types.js';

/** An object as the manifest records it. */
export interface ManifestEntry extends ArchivedObject {
  /** When the upload completed and was recorded (ISO 8601). */
  readonly archivedAt: string;
}

/**
 * What {@link ArchiveManifest.markAssetDone} found:
 * - `complete`: this call completed the batch (reported exactly once per batch);
 * - `already-complete`: the batch had been completed before (another task, or an earlier attempt of this one);
 * - `incomplete`: some assets of the batch are not archived yet.
 */
export type BatchProgress = 'complete' | 'already-complete' | 'incomplete';

export interface ArchiveManifestOptions {
  /** Client for the ledger table. */
  readonly client: DynamoDBClient;
  /** Name of the ledger table (`pk`/`sk`). */
  readonly tableName: string;
  /**
   * Items per Query page of {@link ArchiveManifest.list} (DynamoDB also stops a page at 1 MB).
   * @default undefined — as many as fit in 1 MB
   */
  readonly pageSize?: number;
  /**
   * Clock, epoch milliseconds (injectable for tests).
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * The bucket's expiration of archived media (`archiveExpirationDays`), in seconds: object and batch items
   * then carry the table's TTL (`expiresAt`, epoch seconds) a day past it (S3 expires an object at the
   * midnight after its age is reached). @default none: kept until erased
   */
  readonly expiresAfterSeconds?: number;
  /**
   * When every request must have ended, epoch ms, asked as each request starts (ledger/request-deadline.ts:
   * the same contract as the ledger's). @default none: the SDK's own timeouts alone (3 attempts of 5 s)
   */
  readonly requestsEndBy?: RequestsEndBy;
}

/** A day past the bucket's expiration: S3 rounds an object's expiry up to the next midnight (UTC). */
const expiryMarginSeconds = 24 * 3600;

export const archiveManifestPk = (vendor: VendorName, interviewKey: string): string =>
  `${archiveManifestPkPrefix}${vendor}#${interviewKey}`;
const batchSk = (batchId: string): string => `BATCH#${batchId}`;
const leaseSk = (assetKey: string): string => `LEASE#${objectSk(assetKey)}`;

/**
 * A lease item's TTL (epoch seconds): a day past the lease's end. A lease is coordination only, and DynamoDB
 * may keep an expired item for days: a lease it removes has long ended (an absent lease is a free one).
 */
const leaseItemTtl = (leaseUntilMs: number): number => Math.ceil(leaseUntilMs / 1000) + 24 * 3600;

export class ArchiveManifest {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #pageSize: number | undefined;
  readonly #now: () => number;
  readonly #expiresAfterSeconds: number | undefined;
  readonly #requestsEndBy: RequestsEndBy | undefined;

  constructor(options: ArchiveManifestOptions) {
    this.#client = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize;
    this.#now = options.now ?? Date.now;
    this.#expiresAfterSeconds = options.expiresAfterSeconds;
    this.#requestsEndBy = options.requestsEndBy;
  }

  /** The `send` options of a request: aborted at the deadline, if there is one. */
  #deadline(): { abortSignal: AbortSignal } | undefined {
    return deadlineOptions(this.#requestsEndBy);
  }

  /** The TTL of an item written now (epoch seconds), when the archive expires. */
  #expiresAt(): number | undefined {
    return this.#expiresAfterSeconds === undefined
      ? undefined
      : Math.ceil(this.#now() / 1000) + this.#expiresAfterSeconds + expiryMarginSeconds;
  }

  /** The entry of `key`, if it was archived (a strongly consistent read: resuming decides on it). */
  async get(vendor: VendorName, interviewKey: string, key: string): Promise<ManifestEntry | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: archiveManifestPk(vendor, interviewKey), sk: objectSk(key) },
        ConsistentRead: true,
      }),
      this.#deadline(),
    );
    return Item === undefined || Item.replacedAt !== undefined ? undefined : entryOf(Item);
  }

  /**
   * Records `object` as archived (after its upload completed). Overwrites an earlier entry of the same key:
   * the object was uploaded again, and the entry describes what is in the bucket now.
   *
   * Cut by the deadline after DynamoDB applied it: the task fails (transient) though the entry is written,
   * and its retry finds the object archived (`get`) and does not upload it again. The entry is true either
   * way: it is written only once the object is complete in the bucket.
   *
   * @returns the entry as recorded.
   */
  async record(vendor: VendorName, interviewKey: string, object: ArchivedObject): Promise<ManifestEntry> {
    const entry: ManifestEntry = {
      key: object.key,
      size: object.size,
      sha256: object.sha256,
      contentType: object.contentType,
      // Stripped again here, whatever the caller did: a signed URL's query is a credential.
      sourceUrl: withoutQuery(object.sourceUrl),
      archivedAt: new Date(this.#now()).toISOString(),
    };
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          pk: archiveManifestPk(vendor, interviewKey),
          sk: objectSk(object.key),
          size: entry.size,
          sha256: entry.sha256,
          contentType: entry.contentType,
          sourceUrl: entry.sourceUrl,
          archivedAt: entry.archivedAt,
          // undefined (removed) when the archive does not expire
          expiresAt: this.#expiresAt(),
        },
      }),
      this.#deadline(),
    );
    return entry;
  }

  /**
   * Withdraws the entry of `key`: marked `replacedAt`, it reads as absent (`get`, `list`) until `record`
   * writes it whole again. An update, not a delete: the archive function holds no `DeleteItem`, and the
   * mark says when an archived copy stopped being one.
   *
   * Cut by the deadline after DynamoDB applied it: the entry reads as absent, as intended, and the task's
   * retry uploads the object again (and may mark it again: harmless), then `record` writes it whole.
   */
  async forget(vendor: VendorName, interviewKey: string, key: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: archiveManifestPk(vendor, interviewKey), sk: objectSk(key) },
          UpdateExpression: 'SET replacedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': new Date(this.#now()).toISOString() },
        }),
        this.#deadline(),
      );
    } catch (error) {
      // Never recorded: nothing to withdraw.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Every archived object of the interview, sorted by key (the sort key's order), read page by page: every
   * page by the deadline as it stands when the listing starts.
   */
  async list(vendor: VendorName, interviewKey: string): Promise<ManifestEntry[]> {
    const entries: ManifestEntry[] = [];
    const pages = paginateQuery(
      { client: this.#client, ...(this.#pageSize === undefined ? {} : { pageSize: this.#pageSize }) },
      {
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :root)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': archiveManifestPk(vendor, interviewKey), ':root': archiveRoot },
        ConsistentRead: true,
      },
      this.#deadline(),
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (item.replacedAt === undefined) entries.push(entryOf(item));
    }
    return entries;
  }

  /**
   * Takes the lease on archiving one asset (`assetKey`: a file's key, an HLS recording's key prefix) for
   * `owner` until `expiresAtMs`, so two tasks for one recording (a report's batch and a recording's, say)
   * do not both download and upload every object at once. Granted when nobody holds it, when the holder's
   * lease expired (it crashed, or its invocation ended), or when `owner` holds it already (this very request
   * retried by the SDK after its answer was lost).
   *
   * Cut by the deadline after DynamoDB applied it: the task fails (transient) holding a lease it does not
   * know it took, and nothing releases it: it ends by itself at `expiresAtMs` (the archive handler's: its
   * media deadline plus 30 s, about the invocation's end), long before the task's retry (the queue's
   * visibility timeout), which then finds it expired. A task for the same asset meanwhile waits for it.
   *
   * @returns `undefined` when granted, else when the other holder's lease expires (epoch milliseconds).
   */
  async lease(
    vendor: VendorName,
    interviewKey: string,
    assetKey: string,
    owner: string,
    expiresAtMs: number,
  ): Promise<number | undefined> {
    const key = { pk: archiveManifestPk(vendor, interviewKey), sk: leaseSk(assetKey) };
    try {
      // An UpdateItem rather than a PutItem, so releasing needs no DeleteItem permission (see `release`).
      // A lease item written before `leaseUntil` kept its time (ms) in `expiresAt`: still honoured. (The
      // other way round, during a deploy, a task of the earlier code reads a new item's `expiresAt` (seconds)
      // as long past and may archive the asset beside its holder once: idempotent, work wasted only.)
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key,
          UpdateExpression: 'SET #owner = :owner, #leaseUntil = :leaseUntil, #expiresAt = :expiresAt',
          ConditionExpression:
            'attribute_not_exists(#owner) OR #owner = :owner OR #leaseUntil < :now' +
            ' OR (attribute_not_exists(#leaseUntil) AND #expiresAt < :now)',
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#leaseUntil': 'leaseUntil',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':leaseUntil': expiresAtMs,
            ':expiresAt': leaseItemTtl(expiresAtMs),
            ':now': this.#now(),
          },
        }),
        this.#deadline(),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }),
      this.#deadline(),
    );
    // Released or expired in between: busy for no time, the caller retries at once.
    return Math.max(Number(Item?.leaseUntil ?? Item?.expiresAt ?? 0), this.#now());
  }

  /**
   * Gives up `owner`'s lease on `assetKey` (expires it now); nothing when another holds it. The item stays
   * until the table's TTL deletes it (within days; an erasure deletes the interview's archive partition whole).
   * Cut by the deadline, applied or not: nothing to retry (the archive handler's release is best effort); a
   * lease not given up ends by itself at its `leaseUntil`.
   */
  async release(vendor: VendorName, interviewKey: string, assetKey: string, owner: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: archiveManifestPk(vendor, interviewKey), sk: leaseSk(assetKey) },
          UpdateExpression: 'SET #leaseUntil = :zero, #expiresAt = :expiresAt',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#leaseUntil': 'leaseUntil',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: { ':owner': owner, ':zero': 0, ':expiresAt': leaseItemTtl(this.#now()) },
        }),
        this.#deadline(),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Marks `assetName` of batch `batchId` archived and says whether that completed the batch.
   *
   * Two steps, each atomic on the batch's one item:
   * 1. `ADD done :asset` with `ReturnValues: ALL_NEW`: the set only grows, and DynamoDB applies updates of
   *    one item one after another, so the update that adds the last missing asset sees the full set in its
   *    own ALL_NEW image. Nobody can miss the completion: whichever call is last to add sees it (and a retry
   *    of that call re-adds a name already there and sees it again).
   * 2. Whoever sees the full set without `completedAt` claims the completion:
   *    `SET completedAt, completedBy` under `attribute_not_exists(completedAt)`. Several calls may see the
   *    full set (the last adder, and a retry or a slow task that added earlier but read later); the
   *    condition lets exactly one of them through, and every later call, retries included, finds
   *    `completedAt` in step 1 and answers `already-complete`. So `complete` is returned once per batch.
   *
   * A caller that crashes after `complete` and before acting on it is retried by its queue and then gets
   * `already-complete`: act on both (the archive handler publishes its event whenever the batch is
   * complete, and the worker dedupes it by batch).
   *
   * Either step cut by the deadline after DynamoDB applied it is the same as that crash: the task fails
   * (transient) and its retry re-adds its asset (already in the set) in step 1, then claims the completion
   * if nobody has yet (step 2 never sent), or finds `completedAt` (step 2 applied) and gets
   * `already-complete`: the batch is reported complete, and its event published, by the retry at the latest.
   *
   * @param allAssets the batch's asset names (`ArchiveTask.batchAssets`); must include `assetName`.
   * @param candidate the task's `candidate` (an e-mail pseudonym), kept on the batch item.
   */
  async markAssetDone(
    vendor: VendorName,
    interviewKey: string,
    batchId: string,
    assetName: string,
    allAssets: readonly string[],
    candidate?: string,
  ): Promise<BatchProgress> {
    if (!allAssets.includes(assetName)) {
      throw new RangeError(`asset ${assetName} is not one of the assets of batch ${batchId}`);
    }
    const key = { pk: archiveManifestPk(vendor, interviewKey), sk: batchSk(batchId) };
    const expiresAt = this.#expiresAt();
    const sets = [
      ...(candidate === undefined ? [] : ['#candidate = :candidate']),
      // Renewed with each asset: the batch outlives its last object by the margin.
      ...(expiresAt === undefined ? [] : ['#expiresAt = :expiresAt']),
    ];
    const { Attributes = {} } = await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: key,
        UpdateExpression: `ADD #done :asset${sets.length === 0 ? '' : ` SET ${sets.join(', ')}`}`,
        ExpressionAttributeNames: {
          '#done': 'done',
          ...(candidate === undefined ? {} : { '#candidate': 'candidate' }),
          ...(expiresAt === undefined ? {} : { '#expiresAt': 'expiresAt' }),
        },
        ExpressionAttributeValues: {
          ':asset': new Set([assetName]),
          ...(candidate === undefined ? {} : { ':candidate': candidate }),
          ...(expiresAt === undefined ? {} : { ':expiresAt': expiresAt }),
        },
        ReturnValues: 'ALL_NEW',
      }),
      this.#deadline(),
    );
    if (Attributes.completedAt !== undefined) return 'already-complete';
    const done = Attributes.done instanceof Set ? (Attributes.done as Set<string>) : new Set<string>();
    if (!allAssets.every((name) => done.has(name))) return 'incomplete';
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key,
          UpdateExpression: 'SET #completedAt = :now, #completedBy = :asset',
          ConditionExpression: 'attribute_not_exists(#completedAt)',
          ExpressionAttributeNames: { '#completedAt': 'completedAt', '#completedBy': 'completedBy' },
          ExpressionAttributeValues: { ':now': new Date(this.#now()).toISOString(), ':asset': assetName },
        }),
        this.#deadline(),
      );
      return 'complete';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'already-complete';
      throw error;
    }
  }
}

/** The sort key of an object: its key, which must lie under the archive root (see the module comment). */
const objectSk = (key: string): string => {
  if (!key.startsWith(archiveRoot)) {
    throw new RangeError(`archive key must start with ${archiveRoot}`);
  }
  return key;
};

const entryOf = (item: Record<string, unknown>): ManifestEntry => ({
  key: String(item.sk),
  size: Number(item.size),
  sha256: String(item.sha256),
  contentType: String(item.contentType),
  sourceUrl: String(item.sourceUrl),
  archivedAt: String(item.archivedAt),
});
