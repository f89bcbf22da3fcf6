/**
 * The S3 reads and deletes of the ops commands: listings page by page, one object's text, and deletes that
 * also remove every version of a key when the bucket is versioned (the deployed bucket is: an erased
 * object must not survive as a noncurrent version).
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';

/** `ListObjectVersions` page by page (the SDK has no paginator for it). */
async function* versionPages(
  s3: S3Client,
  bucket: string,
  prefix: string,
  delimiter?: string,
): AsyncGenerator<ListObjectVersionsCommandOutput> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(delimiter === undefined ? {} : { Delimiter: delimiter }),
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(versionIdMarker === undefined ? {} : { VersionIdMarker: versionIdMarker }),
      }),
    );
    yield page;
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** One object (or, in a versioned bucket, one version of it). */
export interface ObjectRef {
  readonly key: string;
  /** Set when listed from a versioned bucket's versions. */
  readonly versionId?: string;
  readonly size?: number;
}

/** Every object under `prefix` (current versions). */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<ObjectRef> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined)
        yield { key: object.Key, ...(object.Size === undefined ? {} : { size: object.Size }) };
    }
  }
}

/** The "folders" right under `prefix` (`raw/round0/` → `raw/round0/2024-05-01/`, …); `versions` as for {@link listLevel}. */
export const listFolders = async (
  s3: S3Client,
  bucket: string,
  prefix: string,
  versions = false,
): Promise<string[]> => (await listLevel(s3, bucket, prefix, versions)).folders;

/**
 * The objects right at `prefix` and the folders under it (one level, `Delimiter: '/'`). `versions`: every
 * version of those objects, and also the folders whose objects are all deleted but whose noncurrent versions
 * are still kept (a versioned bucket after expiry, before the versions go): an erase must find those too,
 * and ListObjectsV2 shows none of them.
 */
export const listLevel = async (
  s3: S3Client,
  bucket: string,
  prefix: string,
  versions = false,
): Promise<{ folders: string[]; objects: ObjectRef[] }> => {
  const folders = new Set<string>();
  const objects: ObjectRef[] = [];
  if (versions) {
    for await (const page of versionPages(s3, bucket, prefix, '/')) {
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.add(common.Prefix);
      objects.push(...versionRefs(page));
    }
  } else {
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: prefix, Delimiter: '/' },
    )) {
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.add(common.Prefix);
      for (const object of page.Contents ?? [])
        if (object.Key !== undefined) objects.push({ key: object.Key });
    }
  }
  return { folders: [...folders].sort(), objects };
};

/** The versions (not delete markers) of a `ListObjectVersions` page. */
const versionRefs = (page: ListObjectVersionsCommandOutput): ObjectRef[] =>
  (page.Versions ?? []).flatMap((version) =>
    version.Key === undefined
      ? []
      : [
          {
            key: version.Key,
            // "null" is the id of a version written while versioning was off or suspended: a real
            // version, read and deleted by that id (read without one, the current version came instead).
            ...(version.VersionId === undefined ? {} : { versionId: version.VersionId }),
            ...(version.Size === undefined ? {} : { size: version.Size }),
          },
        ],
  );

/** Every version (not delete markers) of every key under `prefix`. */
export async function* listVersions(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<ObjectRef> {
  for await (const page of versionPages(s3, bucket, prefix)) yield* versionRefs(page);
}

/**
 * Whether `key`'s current entry in a versioned bucket is a delete marker: the object was deleted, or expired
 * by a lifecycle rule, and only noncurrent versions are left until they expire too.
 */
export const isDeletedInVersionedBucket = async (
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<boolean> => {
  for await (const page of versionPages(s3, bucket, key)) {
    if ((page.DeleteMarkers ?? []).some((marker) => marker.Key === key && marker.IsLatest === true))
      return true;
    if ((page.Versions ?? []).some((version) => version.Key === key && version.IsLatest === true))
      return false;
  }
  return false;
};

/** Objects under `prefix`: every version of each in a versioned bucket, else the objects. */
export const listAll = (s3: S3Client, bucket: string, prefix: string, versioned: boolean) =>
  versioned ? listVersions(s3, bucket, prefix) : listObjects(s3, bucket, prefix);

/**
 * Whether the bucket keeps versions (enabled, or suspended with versions left). `strict` (a deployed stage):
 * a refused or failed call is an error — guessing "unversioned" there would leave every erased object behind
 * as a noncurrent version. Otherwise (s3rver, locally, does not implement the call) it means unversioned.
 */
export const isVersioned = async (s3: S3Client, bucket: string, strict = false): Promise<boolean> => {
  try {
    const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return Status === 'Enabled' || Status === 'Suspended';
  } catch (error) {
    if (strict) throw error;
    return false;
  }
};

export const readText = async (s3: S3Client, bucket: string, ref: ObjectRef): Promise<string> => {
  const object = await s3.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: ref.key,
      ...(ref.versionId === undefined ? {} : { VersionId: ref.versionId }),
    }),
  );
  return (await object.Body?.transformToString('utf8')) ?? '';
};

/**
 * Deletes `keys` and every object under `prefixes`: in a versioned bucket every version and delete marker
 * of each (nothing recoverable is left), else the objects. Returns the keys deleted (each once).
 * @param onDeleted called after each batch with how many objects (or versions) went
 */
export const deleteEverywhere = async (
  s3: S3Client,
  bucket: string,
  target: { readonly keys: Iterable<string>; readonly prefixes: Iterable<string> },
  versioned: boolean,
  onDeleted: (count: number) => void = () => undefined,
): Promise<string[]> => {
  const refs: Array<{ Key: string; VersionId?: string }> = [];
  const keys = new Set(target.keys);
  const prefixes = [...new Set(target.prefixes)];
  if (versioned) {
    // Versions and delete markers, by exact key or under a prefix.
    const wanted = (key: string) => keys.has(key) || prefixes.some((prefix) => key.startsWith(prefix));
    for (const prefix of [...keys, ...prefixes]) {
      for await (const page of versionPages(s3, bucket, prefix)) {
        for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
          if (v.Key === undefined || !wanted(v.Key)) continue;
          refs.push({ Key: v.Key, ...(v.VersionId === undefined ? {} : { VersionId: v.VersionId }) });
        }
      }
    }
  } else {
    for (const key of keys) refs.push({ Key: key });
    for (const prefix of prefixes) {
      for await (const object of listObjects(s3, bucket, prefix)) refs.push({ Key: object.key });
    }
  }
  // A key listed twice (an exact key under a listed prefix) is deleted once.
  const unique = [...new Map(refs.map((ref) => [`${ref.Key}\u0000${ref.VersionId ?? ''}`, ref])).values()];
  for (let start = 0; start < unique.length; start += 1000) {
    const chunk = unique.slice(start, start + 1000);
    const { Errors = [] } = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk, Quiet: true } }),
    );
    if (Errors.length > 0) {
      throw new Error(
        `S3 refused to delete ${Errors.length} object(s), e.g. ${Errors[0]?.Key}: ${Errors[0]?.Code ?? 'error'}`,
      );
    }
    onDeleted(chunk.length);
  }
  return [...new Set(unique.map((ref) => ref.Key))].sort();
};

/**
 * Aborts every multipart upload still open under `prefix`, which frees its stored parts: an archive upload
 * (lib-storage `Upload`) cut off by the Lambda's timeout could not abort itself, and its parts are listed by
 * neither ListObjectsV2 nor ListObjectVersions until the bucket's rule aborts it (7 days). Returns how many.
 */
export const abortUploads = async (s3: S3Client, bucket: string, prefix: string): Promise<number> => {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page: ListMultipartUploadsCommandOutput | undefined;
    try {
      page = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
        }),
      );
    } catch (error) {
      // s3rver (npm start) implements neither the listing nor the abort; S3 answers both.
      if ((error as { name?: string }).name === 'NotImplemented') return aborted;
      throw error;
    }
    for (const { Key, UploadId } of page?.Uploads ?? []) {
      if (Key === undefined || UploadId === undefined) continue;
      try {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
      } catch (error) {
        // Completed or aborted since it was listed: nothing of it is left open.
        if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
      }
      aborted += 1;
    }
    if (page?.IsTruncated !== true) return aborted;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
};

/**
 * Writes `body` (JSON, SSE-S3) at `key` in place of what is there and, in a versioned bucket, deletes every
 * other version and delete marker of the key: what the object held before is gone for good, not kept as a
 * noncurrent version. Returns how many versions were deleted.
 */
export const replaceObject = async (
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  versioned: boolean,
): Promise<number> => {
  const written = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: 'application/json',
      ServerSideEncryption: 'AES256',
    }),
  );
  if (!versioned) return 0;
  // Without the new version's id every version would look old, the new one too.
  if (written.VersionId === undefined)
    throw new Error(`S3 gave no version id for ${key} in a versioned bucket; its old versions are kept`);
  const old: Array<{ Key: string; VersionId: string }> = [];
  for await (const page of versionPages(s3, bucket, key)) {
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      if (v.Key === key && v.VersionId !== undefined && v.VersionId !== written.VersionId)
        old.push({ Key: key, VersionId: v.VersionId });
    }
  }
  for (let start = 0; start < old.length; start += 1000) {
    const { Errors = [] } = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: old.slice(start, start + 1000), Quiet: true },
      }),
    );
    if (Errors.length > 0)
      throw new Error(
        `S3 refused to delete ${Errors.length} version(s) of ${key}: ${Errors[0]?.Code ?? 'error'}`,
      );
  }
  return old.length;
};
