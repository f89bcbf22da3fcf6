/**
 * local/ops/raw-store.ts: `--since`/`--until` of `ops replay` (`parseWhen`: UTC days and offset times only),
 * and the raw-event listing of a versioned bucket (S3 versioning is not in s3rver: a small model of it
 * answers the two listing calls through aws-sdk-client-mock).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  S3Client,
  type S3ClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { listRawEvents, parseWhen, readRawEvent, readRawEvents } from '../../../local/ops/raw-store.js';
import { listLevel } from '../../../local/ops/s3-objects.js';

const iso = (text: string, edge: 'start' | 'end') => parseWhen(text, edge)?.toISOString();

describe('parseWhen', () => {
  it('reads a day as its UTC start or last millisecond, and a time with its offset', () => {
    expect(iso('2024-02-29', 'start')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2024-02-29', 'end')).toBe('2024-02-29T23:59:59.999Z');
    expect(iso('2024-05-01T12:00:00Z', 'start')).toBe('2024-05-01T12:00:00.000Z');
    expect(iso('2024-05-01T12:00+02:00', 'end')).toBe('2024-05-01T10:00:00.000Z');
    expect(iso('2024-05-01T12:00:00.250-05:00', 'start')).toBe('2024-05-01T17:00:00.250Z');
  });

  it.each([
    ['a day that does not exist', '2024-02-30'],
    ['a day that does not exist, in a time', '2023-02-29T10:00:00Z'],
    ['a time without its offset (the time zone would decide)', '2024-05-01T12:00:00'],
    ['a month out of range', '2024-13-01'],
    ['words', 'yesterday'],
    ['an empty value', ''],
  ])('refuses %s', (_, text) => {
    expect(parseWhen(text, 'start')).toBeUndefined();
    expect(parseWhen(text, 'end')).toBeUndefined();
  });
});

/** A versioned bucket's keys: each version, newest last; a delete marker is a version without a body. */
interface Version {
  readonly key: string;
  readonly versionId: string;
  readonly deleteMarker?: true;
}

const versionedBucket = (versions: readonly Version[]) => {
  const latest = new Map(versions.map((version) => [version.key, version]));
  const isLatest = (version: Version) => latest.get(version.key) === version;
  const grouped = <T extends { key: string }>(items: T[], prefix: string, delimiter: string | undefined) => {
    const folders = new Set<string>();
    const rest: T[] = [];
    for (const item of items) {
      if (!item.key.startsWith(prefix)) continue;
      const cut = delimiter === undefined ? -1 : item.key.indexOf(delimiter, prefix.length);
      if (cut >= 0) folders.add(item.key.slice(0, cut + 1));
      else rest.push(item);
    }
    return { folders: [...folders].map((Prefix) => ({ Prefix })), rest };
  };
  const s3 = mockClient(S3Client);
  s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
    const current = versions.filter((version) => isLatest(version) && version.deleteMarker === undefined);
    const { folders, rest } = grouped(current, input.Prefix ?? '', input.Delimiter);
    return { CommonPrefixes: folders, Contents: rest.map((version) => ({ Key: version.key, Size: 10 })) };
  });
  s3.on(ListObjectVersionsCommand).callsFake((input: ListObjectVersionsCommandInput) => {
    const { folders, rest } = grouped([...versions], input.Prefix ?? '', input.Delimiter);
    const entry = (version: Version) => ({
      Key: version.key,
      VersionId: version.versionId,
      IsLatest: isLatest(version),
    });
    return {
      CommonPrefixes: folders,
      Versions: rest.filter((version) => version.deleteMarker === undefined).map(entry),
      DeleteMarkers: rest.filter((version) => version.deleteMarker !== undefined).map(entry),
      IsTruncated: false,
    };
  });
  return s3;
};

describe('listings of a versioned bucket', () => {
  let s3: ReturnType<typeof mockClient> | undefined;
  afterEach(() => s3?.restore());

  const expiredDay = 'raw/round0/2026-11-01/round0:evt_old.json';
  const liveDay = 'raw/round0/2026-12-01/round0:evt_new.json';
  const bucket = [
    // Expired by the lifecycle rule: only a noncurrent version under a delete marker is left of that day.
    { key: expiredDay, versionId: 'v1' },
    { key: expiredDay, versionId: 'dm1', deleteMarker: true as const },
    { key: liveDay, versionId: 'v2' },
  ];

  it('finds the days whose deliveries are kept only as noncurrent versions, for an erase', async () => {
    s3 = versionedBucket(bucket);
    const listing = await listRawEvents(new S3Client({ region: 'us-east-1' }), 'media', {
      vendors: ['round0'],
      versions: true,
    });
    expect(listing.days).toEqual(['2026-11-01', '2026-12-01']);
    expect(listing.objects).toEqual([
      { key: expiredDay, versionId: 'v1' },
      { key: liveDay, versionId: 'v2' },
    ]);
  });

  it('lists only what is current for a replay', async () => {
    s3 = versionedBucket(bucket);
    const listing = await listRawEvents(new S3Client({ region: 'us-east-1' }), 'media', {
      vendors: ['round0'],
    });
    expect(listing.days).toEqual(['2026-12-01']);
    expect(listing.objects).toEqual([{ key: liveDay, size: 10 }]);
  });

  it('lists every version at a level and the folders left only in versions (the erase reads the rest of the bucket so)', async () => {
    s3 = versionedBucket([
      { key: 'notes.txt', versionId: 'n1' },
      { key: 'notes.txt', versionId: 'n2' },
      { key: 'exports/2026-11.csv', versionId: 'x1' },
      { key: 'exports/2026-11.csv', versionId: 'dm', deleteMarker: true },
      { key: 'interviews/int-1/a.mp3', versionId: 'a1' },
    ]);
    const client = new S3Client({ region: 'us-east-1' });
    expect(await listLevel(client, 'media', '', true)).toEqual({
      folders: ['exports/', 'interviews/'],
      objects: [
        { key: 'notes.txt', versionId: 'n1' },
        { key: 'notes.txt', versionId: 'n2' },
      ],
    });
    expect(await listLevel(client, 'media', '')).toEqual({
      folders: ['interviews/'],
      objects: [{ key: 'notes.txt' }],
    });
  });
});

describe('readRawEvent', () => {
  let s3: AwsStub<ServiceInputTypes, ServiceOutputTypes, S3ClientResolvedConfig>;
  beforeEach(() => {
    s3 = mockClient(S3Client);
  });
  afterEach(() => {
    s3.restore();
  });
  const client = () =>
    new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  const ref = { key: 'raw/round0/2026-12-01/round0%3Aevt_1.json' };

  it('throws when S3 does not give the object, instead of taking it for "not a delivery"', async () => {
    // Prepare: throttled, reset or access denied after the SDK's retries
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    // Act
    const read = readRawEvent(client(), 'bucket', ref);

    // Assess
    await expect(read).rejects.toThrow('Access Denied');
  });

  it('reads an object gone since it was listed (expired) as nothing held', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey' }));

    // Act
    const read = await readRawEvent(client(), 'bucket', ref);

    // Assess
    expect(read).toBeUndefined();
  });

  it('reads a version deleted since it was listed (a versioned bucket’s) as nothing held, and says it is gone', async () => {
    // Prepare: listed from the versions, deleted (an erase, a lifecycle rule) before the read
    const version = { ...ref, versionId: 'v-1' };
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('gone'), { name: 'NoSuchVersion' }));
    const gone: unknown[] = [];

    // Act
    const read = await readRawEvents(client(), 'bucket', version, (object) => gone.push(object));

    // Assess
    expect(read).toBeUndefined();
    expect(gone).toEqual([version]);
  });
});
