/**
 * The S3 reads and deletes behind the ops commands (local/ops/s3-objects.ts), against aws-sdk-client-mock:
 * a listing continues from where the previous page ended, every page of a versioned listing is deleted, a
 * delete touches only what it was asked for and every one of it however many, a versioned bucket is
 * recognised as such, and a delete or abort S3 refuses is an error, never a silent success.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  abortUploads,
  deleteEverywhere,
  isDeletedInVersionedBucket,
  isVersioned,
  listVersions,
  replaceObject,
} from '../../../local/ops/s3-objects.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });

afterEach(() => {
  s3.reset();
});

const deleted = () =>
  s3
    .commandCalls(DeleteObjectsCommand)
    .flatMap((call) => (call.args[0].input.Delete?.Objects ?? []).map((o) => `${o.Key}@${o.VersionId}`));

describe('deleteEverywhere (edges)', () => {
  it('deletes the versions of every page of a versioned listing, not the first page alone', async () => {
    // Prepare: S3 lists the prefix's versions in two pages
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'interviews/int-1/a.mp3', VersionId: 'v1' }],
        IsTruncated: true,
        NextKeyMarker: 'interviews/int-1/a.mp3',
        NextVersionIdMarker: 'v1',
      })
      .resolves({
        Versions: [{ Key: 'interviews/int-1/b.mp3', VersionId: 'v2' }],
        DeleteMarkers: [{ Key: 'interviews/int-1/c.mp3', VersionId: 'd3' }],
        IsTruncated: false,
      });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [] });

    // Act
    const keys = await deleteEverywhere(client, 'media', { keys: [], prefixes: ['interviews/int-1/'] }, true);

    // Assess
    expect(deleted()).toEqual([
      'interviews/int-1/a.mp3@v1',
      'interviews/int-1/b.mp3@v2',
      'interviews/int-1/c.mp3@d3',
    ]);
    expect(keys).toEqual(['interviews/int-1/a.mp3', 'interviews/int-1/b.mp3', 'interviews/int-1/c.mp3']);
  });

  it('fails when S3 refuses to delete an object, rather than counting it deleted', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'exports/jane.json', Code: 'AccessDenied' }] });
    const counted: number[] = [];

    // Act
    const erase = deleteEverywhere(
      client,
      'media',
      { keys: ['exports/jane.json'], prefixes: [] },
      false,
      (n) => counted.push(n),
    );

    // Assess
    await expect(erase).rejects.toThrow(
      'S3 refused to delete 1 object(s), e.g. exports/jane.json: AccessDenied',
    );
    expect(counted).toEqual([]);
  });
});

describe('abortUploads (edges)', () => {
  it('fails when S3 refuses to abort an open upload: its parts (a recording) would stay', async () => {
    // Prepare
    s3.on(ListMultipartUploadsCommand).resolves({
      Uploads: [{ Key: 'interviews/int-1/screen.ts', UploadId: 'u1' }],
      IsTruncated: false,
    });
    s3.on(AbortMultipartUploadCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const aborting = abortUploads(client, 'media', 'interviews/int-1/');

    // Assess
    await expect(aborting).rejects.toThrow('denied');
  });
});

describe('listings continue where the previous page ended', () => {
  it('asks for the next page of versions from the key and version markers of the previous one', async () => {
    // Prepare: the versions of one key span two pages
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'raw/round0/2026-12-01/a.json', VersionId: 'v3' }],
        IsTruncated: true,
        NextKeyMarker: 'raw/round0/2026-12-01/a.json',
        NextVersionIdMarker: 'v3',
      })
      .resolves({ Versions: [{ Key: 'raw/round0/2026-12-01/a.json', VersionId: 'v2' }], IsTruncated: false });

    // Act
    const refs = [];
    for await (const ref of listVersions(client, 'media', 'raw/round0/')) refs.push(ref);

    // Assess
    expect(refs).toEqual([
      { key: 'raw/round0/2026-12-01/a.json', versionId: 'v3' },
      { key: 'raw/round0/2026-12-01/a.json', versionId: 'v2' },
    ]);
    const inputs = s3.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input);
    expect(inputs[0]).not.toHaveProperty('KeyMarker');
    expect(inputs[1]).toMatchObject({ KeyMarker: 'raw/round0/2026-12-01/a.json', VersionIdMarker: 'v3' });
  });

  it('asks for the next page of open uploads from the key and upload markers of the previous one', async () => {
    // Prepare
    s3.on(ListMultipartUploadsCommand)
      .resolvesOnce({
        Uploads: [{ Key: 'interviews/int-1/a.ts', UploadId: 'u1' }],
        IsTruncated: true,
        NextKeyMarker: 'interviews/int-1/a.ts',
        NextUploadIdMarker: 'u1',
      })
      .resolves({ Uploads: [{ Key: 'interviews/int-1/b.ts', UploadId: 'u2' }], IsTruncated: false });

    // Act
    const aborted = await abortUploads(client, 'media', 'interviews/int-1/');

    // Assess
    expect(aborted).toBe(2);
    const inputs = s3.commandCalls(ListMultipartUploadsCommand).map((call) => call.args[0].input);
    expect(inputs[1]).toMatchObject({ KeyMarker: 'interviews/int-1/a.ts', UploadIdMarker: 'u1' });
  });
});

describe('deleteEverywhere (more edges)', () => {
  it('deletes the versions of an exact key only, not those of a longer key its listing also returns', async () => {
    // Prepare: S3 lists by prefix, so the listing of `a.json` also returns `a.json.bak`
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'exports/a.json', VersionId: 'v1' },
        { Key: 'exports/a.json.bak', VersionId: 'v9' },
      ],
      DeleteMarkers: [{ Key: 'exports/a.json', VersionId: 'd1' }],
      IsTruncated: false,
    });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [] });

    // Act
    const keys = await deleteEverywhere(client, 'media', { keys: ['exports/a.json'], prefixes: [] }, true);

    // Assess
    expect(deleted()).toEqual(['exports/a.json@v1', 'exports/a.json@d1']);
    expect(keys).toEqual(['exports/a.json']);
  });

  it('deletes a version named by its key and found under a listed prefix once', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ Key: 'exports/a.json', VersionId: 'v1' }],
      IsTruncated: false,
    });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [] });
    const counted: number[] = [];

    // Act
    await deleteEverywhere(client, 'media', { keys: ['exports/a.json'], prefixes: ['exports/'] }, true, (n) =>
      counted.push(n),
    );

    // Assess
    expect(deleted()).toEqual(['exports/a.json@v1']);
    expect(counted).toEqual([1]);
  });

  it('deletes every one of more than a thousand keys, a thousand a request, and counts each batch', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({ Errors: [] });
    const keys = Array.from({ length: 1001 }, (_, i) => `exports/${String(i).padStart(4, '0')}.json`);
    const counted: number[] = [];

    // Act
    const gone = await deleteEverywhere(client, 'media', { keys, prefixes: [] }, false, (n) =>
      counted.push(n),
    );

    // Assess
    const requests = s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects);
    expect(requests.map((objects) => objects?.length)).toEqual([1000, 1]);
    expect(new Set(deleted()).size).toBe(1001);
    expect(counted).toEqual([1000, 1]);
    expect(gone).toEqual(keys);
  });
});

describe('versioned buckets', () => {
  it('takes a bucket whose versioning is suspended for versioned: its old versions are still kept', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    expect(await isVersioned(client, 'media')).toBe(true);
  });

  it('fails on a deployed stage when S3 does not say whether the bucket is versioned, and guesses not locally', async () => {
    // Prepare
    s3.on(GetBucketVersioningCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act and assess
    await expect(isVersioned(client, 'media', true)).rejects.toThrow('denied');
    expect(await isVersioned(client, 'media')).toBe(false);
  });

  it('does not take a key S3 lists nothing of for one deleted under a delete marker', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ Key: 'raw/batches/2026-12-01/b.json.old', VersionId: 'v1', IsLatest: true }],
      IsTruncated: false,
    });
    expect(await isDeletedInVersionedBucket(client, 'media', 'raw/batches/2026-12-01/b.json')).toBe(false);
  });

  it('fails when S3 refuses to delete a single old version of a rewritten object', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ VersionId: 'new' });
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'raw/batches/2026-12-01/b.json', VersionId: 'new' },
        { Key: 'raw/batches/2026-12-01/b.json', VersionId: 'old' },
      ],
      IsTruncated: false,
    });
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'raw/batches/2026-12-01/b.json', VersionId: 'old', Code: 'AccessDenied' }],
    });

    // Act
    const replacing = replaceObject(client, 'media', 'raw/batches/2026-12-01/b.json', '{}', true);

    // Assess
    await expect(replacing).rejects.toThrow(
      'S3 refused to delete 1 version(s) of raw/batches/2026-12-01/b.json: AccessDenied',
    );
  });
});
