/**
 * The archive manifest on dynalite: objects recorded, read back and listed page by page in key order; batch
 * completion reported exactly once, whatever the order and concurrency of the tasks and their retries.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ArchiveManifest,
  archiveManifestPk,
  type BatchProgress,
} from '../../../functions/archive/manifest.js';
import type { ArchivedObject } from '../../../functions/archive/types.js';
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';

const tableName = resources.ledgerTable.name;
const vendor: VendorName = 'micro1';
const t0 = Date.UTC(2024, 0, 16, 14, 0);

/** A fresh interview key per test: the table is shared by the whole file. */
const anInterviewKey = () => `report-${randomUUID()}`;

const anObject = (overrides: Partial<ArchivedObject> = {}): ArchivedObject => ({
  key: 'interviews/h0gqkAcaDJ/report.pdf',
  size: 48_213,
  sha256: 'a'.repeat(64),
  contentType: 'application/pdf',
  sourceUrl: 'https://micro1.ai/report/h0gqkAcaDJ.pdf',
  ...overrides,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ArchiveManifest (dynalite)', () => {
  let dynamo: LocalDynamo;
  let documents: DynamoDBDocumentClient;
  let manifest: ArchiveManifest;

  /** The batch item as stored. */
  const batchItem = async (interviewKey: string, batchId: string) =>
    (
      await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: archiveManifestPk(vendor, interviewKey), sk: `BATCH#${batchId}` },
          ConsistentRead: true,
        }),
      )
    ).Item;

  beforeAll(async () => {
    dynamo = await startDynalite();
    documents = DynamoDBDocumentClient.from(dynamo.client);
    manifest = new ArchiveManifest({ client: dynamo.client, tableName, now: () => t0 });
  });

  afterAll(() => dynamo.close());

  describe('objects', () => {
    it('records an object and reads it back, its source URL without query or fragment', async () => {
      // Prepare
      const interviewKey = anInterviewKey();
      const object = anObject({
        sourceUrl: 'https://micro1.ai/report/h0gqkAcaDJ.pdf?X-Amz-Signature=abc#p2',
      });

      // Act
      const recorded = await manifest.record(vendor, interviewKey, object);
      const read = await manifest.get(vendor, interviewKey, object.key);

      // Assess
      const expected = {
        ...object,
        sourceUrl: 'https://micro1.ai/report/h0gqkAcaDJ.pdf',
        archivedAt: '2024-01-16T14:00:00.000Z',
      };
      expect(recorded).toEqual(expected);
      expect(read).toEqual(expected);
    });

    it('answers undefined for an object never archived, and keeps interviews apart', async () => {
      // Prepare
      const interviewKey = anInterviewKey();
      await manifest.record(vendor, interviewKey, anObject());

      // Act
      const otherKey = await manifest.get(vendor, interviewKey, 'interviews/h0gqkAcaDJ/screen/index.m3u8');
      const otherInterview = await manifest.get(vendor, anInterviewKey(), anObject().key);
      const otherVendor = await manifest.get('round0', interviewKey, anObject().key);

      // Assess
      expect(otherKey).toBeUndefined();
      expect(otherInterview).toBeUndefined();
      expect(otherVendor).toBeUndefined();
    });

    it('overwrites the entry of an object uploaded again', async () => {
      // Prepare
      const interviewKey = anInterviewKey();
      await manifest.record(vendor, interviewKey, anObject({ size: 1, sha256: 'b'.repeat(64) }));

      // Act
      await manifest.record(vendor, interviewKey, anObject({ size: 2, sha256: 'c'.repeat(64) }));

      // Assess
      expect(await manifest.get(vendor, interviewKey, anObject().key)).toMatchObject({
        size: 2,
        sha256: 'c'.repeat(64),
      });
    });

    it('withdraws an entry (it reads and lists as absent) until the object is recorded again', async () => {
      // Prepare
      const interviewKey = anInterviewKey();
      const entry = anObject({ key: 'interviews/h0gqkAcaDJ/screen/index.m3u8' });
      await manifest.record(vendor, interviewKey, anObject());
      await manifest.record(vendor, interviewKey, entry);

      // Act
      await manifest.forget(vendor, interviewKey, entry.key);
      const withdrawn = {
        get: await manifest.get(vendor, interviewKey, entry.key),
        listed: (await manifest.list(vendor, interviewKey)).map((listed) => listed.key),
      };
      await manifest.forget(vendor, interviewKey, 'interviews/h0gqkAcaDJ/never-archived.pdf');
      await manifest.record(vendor, interviewKey, entry);

      // Assess: the other object untouched; a key never recorded is no error
      expect(withdrawn).toEqual({ get: undefined, listed: [anObject().key] });
      expect(
        await manifest.get(vendor, interviewKey, 'interviews/h0gqkAcaDJ/never-archived.pdf'),
      ).toBeUndefined();
      expect(await manifest.get(vendor, interviewKey, entry.key)).toMatchObject({ key: entry.key });
    });

    it('refuses a key outside the archive root', async () => {
      // Act
      const attempt = manifest.record(vendor, anInterviewKey(), anObject({ key: 'BATCH#x' }));

      // Assess
      await expect(attempt).rejects.toThrow(RangeError);
    });

    it('lists every object sorted by key, page by page, without the batch items', async () => {
      // Prepare
      const client = new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      let queries = 0;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'QueryCommand') queries += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countQueries' },
      );
      const paged = new ArchiveManifest({ client, tableName, pageSize: 2 });
      const interviewKey = anInterviewKey();
      const keys = [
        'interviews/h0gqkAcaDJ/webcam/v0/seg_1.ts',
        'interviews/h0gqkAcaDJ/report.pdf',
        'interviews/h0gqkAcaDJ/screen/v0/seg_0.ts',
        'interviews/h0gqkAcaDJ/screen/index.m3u8',
        'interviews/h0gqkAcaDJ/screen/v0/index.m3u8',
      ];
      for (const key of keys) await paged.record(vendor, interviewKey, anObject({ key }));
      await paged.markAssetDone(vendor, interviewKey, 'batch-1', 'report', ['report', 'screen']);

      // Act
      const listed = await paged.list(vendor, interviewKey);

      // Assess
      expect(listed.map((entry) => entry.key)).toEqual([...keys].sort());
      expect(queries).toBeGreaterThanOrEqual(3);
      client.destroy();
    });
  });

  describe('expiry with the archive (archiveExpirationDays)', () => {
    it('gives object and batch items the table TTL a day past the media, and none when the archive is kept', async () => {
      // Prepare: media expiring after 30 days
      const expiring = new ArchiveManifest({
        client: dynamo.client,
        tableName,
        now: () => t0,
        expiresAfterSeconds: 30 * 24 * 3600,
      });
      const [kept, expires] = [anInterviewKey(), anInterviewKey()];
      const object = anObject();
      const itemOf = async (interviewKey: string, sk: string) =>
        (
          await documents.send(
            new GetCommand({
              TableName: tableName,
              Key: { pk: archiveManifestPk(vendor, interviewKey), sk },
            }),
          )
        ).Item;

      // Act
      await manifest.record(vendor, kept, object);
      await manifest.markAssetDone(vendor, kept, 'b1', 'question_q1', ['question_q1'], 'email-hmac:abc');
      await expiring.record(vendor, expires, object);
      await expiring.markAssetDone(vendor, expires, 'b1', 'question_q1', ['question_q1'], 'email-hmac:abc');

      // Assess: epoch seconds (the TTL's unit), 31 days after t0
      const expected = Math.ceil(t0 / 1000) + 31 * 24 * 3600;
      expect((await itemOf(expires, object.key))?.expiresAt).toBe(expected);
      expect(await itemOf(expires, 'BATCH#b1')).toMatchObject({
        expiresAt: expected,
        candidate: 'email-hmac:abc',
      });
      expect((await itemOf(kept, object.key))?.expiresAt).toBeUndefined();
      expect((await itemOf(kept, 'BATCH#b1'))?.expiresAt).toBeUndefined();
      expect(resources.ledgerTable.ttlAttribute).toBe('expiresAt');
    });
  });

  describe('batch completion', () => {
    const assets = ['question_q1', 'question_q2', 'question_q3'] as const;

    it('is incomplete until the last asset, complete for the call that archived it, and not again', async () => {
      // Prepare
      const interviewKey = anInterviewKey();
      const mark = (asset: string) => manifest.markAssetDone(vendor, interviewKey, 'b1', asset, assets);

      // Act
      const outcomes = [
        await mark('question_q2'),
        await mark('question_q2'),
        await mark('question_q1'),
        await mark('question_q3'),
        await mark('question_q3'),
        await mark('question_q1'),
      ];

      // Assess
      expect(outcomes).toEqual([
        'incomplete',
        'incomplete',
        'incomplete',
        'complete',
        'already-complete',
        'already-complete',
      ]);
      expect(await batchItem(interviewKey, 'b1')).toMatchObject({
        done: new Set(assets),
        completedAt: '2024-01-16T14:00:00.000Z',
        completedBy: 'question_q3',
      });
    });

    it('reports a completion whose claim was lost (crash between the two writes) to the retry', async () => {
      // Prepare: every asset added, as if the last task crashed before it claimed the completion.
      const interviewKey = anInterviewKey();
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: archiveManifestPk(vendor, interviewKey), sk: 'BATCH#b2' },
          UpdateExpression: 'ADD #done :all',
          ExpressionAttributeNames: { '#done': 'done' },
          ExpressionAttributeValues: { ':all': new Set(assets) },
        }),
      );

      // Act
      const retried = await manifest.markAssetDone(vendor, interviewKey, 'b2', 'question_q3', assets);
      const again = await manifest.markAssetDone(vendor, interviewKey, 'b2', 'question_q3', assets);

      // Assess
      expect([retried, again]).toEqual(['complete', 'already-complete']);
    });

    it('refuses an asset that is not part of the batch', async () => {
      // Act
      const attempt = manifest.markAssetDone(vendor, anInterviewKey(), 'b3', 'webcam', assets);

      // Assess
      await expect(attempt).rejects.toThrow(RangeError);
    });

    it('reports complete exactly once for concurrent tasks and retries in any order', async () => {
      // Prepare: every asset once, some retried, each call started after a random delay, all concurrent.
      const calls = fc
        .tuple(fc.array(fc.constantFrom(...assets), { maxLength: 4 }), fc.nat())
        .chain(([retries, seed]) =>
          fc
            .array(fc.integer({ min: 0, max: 8 }), {
              minLength: assets.length + retries.length,
              maxLength: assets.length + retries.length,
            })
            .map((delays) => ({
              calls: [...assets, ...retries].map((asset, index) => ({ asset, delayMs: delays[index] ?? 0 })),
              lateRetry: assets[seed % assets.length] ?? assets[0],
            })),
        );

      await fc.assert(
        fc.asyncProperty(calls, async ({ calls: plan, lateRetry }) => {
          const interviewKey = anInterviewKey();
          const mark = (asset: string) => manifest.markAssetDone(vendor, interviewKey, 'b', asset, assets);

          // Act
          const outcomes: BatchProgress[] = await Promise.all(
            plan.map(async ({ asset, delayMs }) => {
              await sleep(delayMs);
              return mark(asset);
            }),
          );
          const afterwards = await mark(lateRetry);

          // Assess
          expect(outcomes.filter((outcome) => outcome === 'complete')).toHaveLength(1);
          expect(afterwards).toBe('already-complete');
          const completer = plan[outcomes.indexOf('complete')]?.asset;
          expect(await batchItem(interviewKey, 'b')).toMatchObject({
            done: new Set(assets),
            completedBy: completer,
          });
        }),
        { numRuns: 40 },
      );
    });
  });

  describe('asset leases', () => {
    const prefix = 'interviews/h0gqkAcaDJ/screen/';

    it('grants one owner at a time, again to the owner holding it, and to anyone once released or expired', async () => {
      // Prepare: a clock the test moves
      let now = t0;
      const clocked = new ArchiveManifest({ client: dynamo.client, tableName, now: () => now });
      const interviewKey = anInterviewKey();
      const lease = (owner: string, expiresAt: number) =>
        clocked.lease(vendor, interviewKey, prefix, owner, expiresAt);

      // Act
      const first = await lease('task-a', t0 + 60_000);
      const busy = await lease('task-b', t0 + 90_000);
      const again = await lease('task-a', t0 + 120_000); // task-a redelivered after a crash
      const releasedByOther = await clocked.release(vendor, interviewKey, prefix, 'task-b');
      const stillBusy = await lease('task-b', t0 + 90_000);
      now = t0 + 120_001;
      const afterExpiry = await lease('task-b', now + 60_000);
      await clocked.release(vendor, interviewKey, prefix, 'task-b');
      const afterRelease = await lease('task-c', now + 60_000);
      const otherAsset = await clocked.lease(vendor, interviewKey, `${prefix}x/`, 'task-d', now + 1);

      // Assess
      expect(first).toBeUndefined();
      expect(busy).toBe(t0 + 60_000);
      expect(again).toBeUndefined();
      expect(releasedByOther).toBeUndefined();
      expect(stillBusy).toBe(t0 + 120_000);
      expect(afterExpiry).toBeUndefined();
      expect(afterRelease).toBeUndefined();
      expect(otherAsset).toBeUndefined();
      expect(await clocked.list(vendor, interviewKey)).toEqual([]);
    });

    it('keeps the lease time apart from the TTL: a lease item expires (epoch seconds) a day after its lease ends', async () => {
      // Prepare
      let now = t0;
      const clocked = new ArchiveManifest({ client: dynamo.client, tableName, now: () => now });
      const interviewKey = anInterviewKey();
      const leaseItem = async () =>
        (
          await documents.send(
            new GetCommand({
              TableName: tableName,
              Key: { pk: archiveManifestPk(vendor, interviewKey), sk: `LEASE#${prefix}` },
              ConsistentRead: true,
            }),
          )
        ).Item;

      // Act
      await clocked.lease(vendor, interviewKey, prefix, 'task-a', t0 + 60_000);
      const held = await leaseItem();
      now = t0 + 5_000;
      await clocked.release(vendor, interviewKey, prefix, 'task-a');
      const released = await leaseItem();

      // Assess
      expect(held).toMatchObject({
        owner: 'task-a',
        leaseUntil: t0 + 60_000,
        expiresAt: (t0 + 60_000) / 1000 + 86_400,
      });
      expect(released).toMatchObject({ leaseUntil: 0, expiresAt: (t0 + 5_000) / 1000 + 86_400 });
    });

    it('honours a lease item written before leaseUntil (its time in expiresAt, epoch ms)', async () => {
      // Prepare: task-a's lease as the earlier code wrote it
      let now = t0;
      const clocked = new ArchiveManifest({ client: dynamo.client, tableName, now: () => now });
      const interviewKey = anInterviewKey();
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: archiveManifestPk(vendor, interviewKey),
            sk: `LEASE#${prefix}`,
            owner: 'task-a',
            expiresAt: t0 + 60_000,
          },
        }),
      );

      // Act
      const busy = await clocked.lease(vendor, interviewKey, prefix, 'task-b', t0 + 90_000);
      now = t0 + 60_001;
      const afterExpiry = await clocked.lease(vendor, interviewKey, prefix, 'task-b', t0 + 90_000);

      // Assess
      expect(busy).toBe(t0 + 60_000);
      expect(afterExpiry).toBeUndefined();
    });

    it('grants a lease to exactly one of many tasks asking at once', async () => {
      // Prepare
      const interviewKey = anInterviewKey();

      // Act
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          manifest.lease(vendor, interviewKey, prefix, `task-${n}`, t0 + 1000),
        ),
      );

      // Assess
      expect(answers.filter((answer) => answer === undefined)).toHaveLength(1);
      expect(answers.filter((answer) => answer === t0 + 1000)).toHaveLength(7);
    });
  });
});
