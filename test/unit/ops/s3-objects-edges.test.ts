/**
 * The S3 deletes behind `ops erase` (local/ops/s3-objects.ts), against aws-sdk-client-mock: every page of a
 * versioned listing is deleted, and a delete or abort S3 refuses is an error, never a silent success.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { abortUploads, deleteEverywhere } from '../../../local/ops/s3-objects.js';

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
