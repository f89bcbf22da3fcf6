/**
 * The erase of a candidate's deliveries in a shared batch object of the raw event store, in a versioned
 * bucket (the deployed one; S3 versioning is not in s3rver: a small model of it answers through
 * aws-sdk-client-mock): the object is written again without theirs and every older version goes, so no
 * noncurrent version keeps them.
 */
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandInput,
  GetObjectCommand,
  type GetObjectCommandInput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { RawEvent, RawEventBatch } from '../../../functions/queue/raw-events.js';
import { type ErasePlan, entryDigest, executeErase } from '../../../local/ops/erase.js';
import { erasePlan, eraseTarget } from './erase-factories.js';

const key = 'raw/batches/2026-12-05/0123456789abcdef0123456789abcdef.json';

const raw = (dedupeKey: string, receivedAt: string): RawEvent => ({
  schemaVersion: 1,
  vendor: 'micro1',
  type: 'interview_report.created',
  dedupeKey,
  receivedAt,
  headers: {},
  bodyBase64: Buffer.from(`{"who":"${dedupeKey}"}`).toString('base64'),
});
/** The candidate's delivery and another person's, in the same batch. */
const maya = raw('micro1:r:maya', '2026-12-05T10:00:00.000Z');
const otto = raw('micro1:r:otto', '2026-12-05T10:00:01.000Z');
const batch = (...events: RawEvent[]) => JSON.stringify({ schemaVersion: 2, events } satisfies RawEventBatch);

interface Version {
  readonly key: string;
  readonly versionId: string;
  readonly body?: string;
}

/** A versioned bucket: PUT adds a version, DeleteObjects removes the versions named. */
const versionedBucket = (versions: Version[]) => {
  let next = versions.length + 1;
  const s3 = mockClient(S3Client);
  s3.on(ListObjectVersionsCommand).callsFake((input: ListObjectVersionsCommandInput) => {
    const listed = versions.filter((version) => version.key.startsWith(input.Prefix ?? ''));
    // The current entry of a key is its last one (versions are kept in the order they were made).
    const entry = (version: Version) => ({
      Key: version.key,
      VersionId: version.versionId,
      IsLatest: versions.filter((v) => v.key === version.key).at(-1) === version,
    });
    return {
      Versions: listed.filter((version) => version.body !== undefined).map(entry),
      DeleteMarkers: listed.filter((version) => version.body === undefined).map(entry),
      IsTruncated: false,
    };
  });
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const found = versions.find((v) => v.key === input.Key && v.versionId === input.VersionId);
    if (found?.body === undefined) throw Object.assign(new Error('gone'), { name: 'NoSuchVersion' });
    // What readText uses of a body.
    const body = found.body;
    return { Body: { transformToString: async () => body } as never };
  });
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    const versionId = `v${next++}`;
    versions.push({ key: String(input.Key), versionId, body: String(input.Body) });
    return { VersionId: versionId };
  });
  s3.on(DeleteObjectsCommand).callsFake((input: DeleteObjectsCommandInput) => {
    for (const object of input.Delete?.Objects ?? []) {
      const at = versions.findIndex((v) => v.key === object.Key && v.versionId === object.VersionId);
      if (at >= 0) versions.splice(at, 1);
    }
    return { Errors: [] };
  });
  return s3;
};

/** A plan rewriting one batch object, and erasing nothing else. */
const planOf = (rewrite: ErasePlan['rawRewrites'][number]) => erasePlan({ rawRewrites: [rewrite] });

describe('erase of a shared raw event batch, versioned bucket', () => {
  let stub: ReturnType<typeof mockClient> | undefined;
  afterEach(() => stub?.restore());

  it("writes it again without the candidate's deliveries and deletes every older version and delete marker", async () => {
    // Prepare: the batch, deleted (a delete marker), then received again (a retry: a later version, the
    // current one); another key
    const ottoLater = raw('micro1:r:otto', '2026-12-05T10:00:05.000Z');
    const versions: Version[] = [
      { key, versionId: 'v1', body: batch(maya, otto) },
      { key, versionId: 'v2' },
      { key, versionId: 'v3', body: batch(maya, ottoLater) },
      { key: `${key}.other`, versionId: 'o1', body: batch(maya, otto) },
    ];
    stub = versionedBucket(versions);
    const client = new S3Client({ region: 'us-east-1' });

    // Act
    const outcome = await executeErase(
      planOf({ key, drop: ['v1#0', 'v3#0'], dropDedupeKeys: ['micro1:r:maya'], dropEntries: [] }),
      eraseTarget(client),
    );

    // Assess: one version left, Otto's delivery received last; the other key untouched
    expect(versions.filter((v) => v.key === key)).toEqual([{ key, versionId: 'v5', body: batch(ottoLater) }]);
    expect(versions.filter((v) => v.key !== key)).toHaveLength(1);
    expect(outcome).toMatchObject({ rawEvents: 3, rawRewritten: 1 });
  });

  it('drops an entry no delivery reads that the plan found theirs from every version, keeping the others', async () => {
    // Prepare: an entry of a vendor this version does not know naming Maya, in the old and the current version
    const hers = { schemaVersion: 1, vendor: 'acme', dedupeKey: 'acme:1', note: 'maya@example.com' };
    const someone = { schemaVersion: 1, vendor: 'acme', dedupeKey: 'acme:2', note: 'someone else' };
    const withEntries = (...events: unknown[]) => JSON.stringify({ schemaVersion: 2, events });
    const versions: Version[] = [
      { key, versionId: 'v1', body: withEntries(otto, hers) },
      { key, versionId: 'v2', body: withEntries(otto, hers, someone) },
    ];
    stub = versionedBucket(versions);

    // Act: planned from the current version (planErase)
    const outcome = await executeErase(
      planOf({ key, drop: [], dropDedupeKeys: [], dropEntries: [entryDigest(hers)] }),
      eraseTarget(new S3Client({ region: 'us-east-1' })),
    );

    // Assess
    expect(versions).toEqual([{ key, versionId: 'v3', body: withEntries(otto, someone) }]);
    expect(outcome).toMatchObject({ rawRewritten: 1 });
  });

  it('deletes an expired batch (its current entry a delete marker) for good, not written back for the others', async () => {
    // Prepare: the lifecycle rule expired the batch; its noncurrent version waits for its own expiry
    const versions: Version[] = [
      {
        key,
        versionId: 'v1',
        body: batch(maya, otto),
      },
      { key, versionId: 'v2' },
    ];
    stub = versionedBucket(versions);

    // Act
    const outcome = await executeErase(
      planOf({ key, drop: ['v1#0'], dropDedupeKeys: ['micro1:r:maya'], dropEntries: [] }),
      eraseTarget(new S3Client({ region: 'us-east-1' })),
    );

    // Assess: nothing written (Otto's delivery does not come back for a new retention), nothing left
    expect(stub.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(versions).toEqual([]);
    expect(outcome).toMatchObject({ rawEvents: 2, rawRewritten: 0 });
  });

  it('reads a version written before versioning was enabled (id "null") by its id, keeping what it holds', async () => {
    // Prepare: the "null" version holds Otto's delivery, the current one Lena's; Maya's in both
    const lena = raw('micro1:r:lena', '2026-12-05T10:00:02.000Z');
    const versions: Version[] = [
      { key, versionId: 'null', body: batch(maya, otto) },
      { key, versionId: 'v2', body: batch(maya, lena) },
    ];
    stub = versionedBucket(versions);

    // Act
    await executeErase(
      planOf({ key, drop: ['null#0', 'v2#0'], dropDedupeKeys: ['micro1:r:maya'], dropEntries: [] }),
      eraseTarget(new S3Client({ region: 'us-east-1' })),
    );

    // Assess: Lena's and Otto's deliveries (before: Otto's lost, the "null" version read as the current one)
    expect(versions).toEqual([{ key, versionId: 'v3', body: batch(lena, otto) }]);
  });

  it('deletes every version when nothing but the candidate’s deliveries is left', async () => {
    // Prepare
    const versions: Version[] = [
      { key, versionId: 'v1', body: batch(maya) },
      { key, versionId: 'v2', body: batch(raw('micro1:r:maya', '2026-12-05T10:00:03.000Z')) },
    ];
    stub = versionedBucket(versions);

    // Act
    const outcome = await executeErase(
      planOf({ key, drop: ['v1#0'], dropDedupeKeys: ['micro1:r:maya'], dropEntries: [] }),
      eraseTarget(new S3Client({ region: 'us-east-1' })),
    );

    // Assess
    expect(versions).toEqual([]);
    expect(outcome).toMatchObject({ rawEvents: 2, rawRewritten: 0 });
  });

  it('keeps every old version when S3 gives no id for the new one (it would be taken for an old one)', async () => {
    // Prepare
    const versions: Version[] = [
      {
        key,
        versionId: 'v1',
        body: batch(maya, otto),
      },
    ];
    stub = versionedBucket(versions);
    stub.on(PutObjectCommand).resolves({});

    // Act
    const erase = executeErase(
      planOf({ key, drop: ['v1#0'], dropDedupeKeys: ['micro1:r:maya'], dropEntries: [] }),
      eraseTarget(new S3Client({ region: 'us-east-1' })),
    );

    // Assess
    await expect(erase).rejects.toThrow('S3 gave no version id');
    expect(stub.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });
});
