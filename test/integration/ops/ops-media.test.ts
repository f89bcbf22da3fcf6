/**
 * `npm run ops -- media <id> --save <dir>` on the S3 emulator: every archived media playlist saved with
 * presigned URIs, a variant's and an alternate rendition's (a recording whose audio is a rendition of its own),
 * and each recording's entry as `<camera>.m3u8` naming those files, so the saved copy plays with its sound
 * (ffprobe reads both streams through the emulator's presigned URLs).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import HLS from 'hls-parser';
import type { ManifestEntry } from '../../../functions/archive/manifest.js';
import { resources } from '../../../lib/resources.js';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { mediaCommand } from '../../../local/ops-media.js';
import { mediaSegment, streamTypes } from '../../helpers/media-segments.js';

const bucket = resources.bucket.name;
const base = 'interviews/R1';

/** What the archive writes for a master with a separate audio rendition, and a one-variant recording. */
const objects: Record<string, string> = {
  [`${base}/screen/index.m3u8`]: [
    '#EXTM3U',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,AUTOSELECT=YES,URI="r1/index.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="aud"',
    'v1/index.m3u8',
    '',
  ].join('\n'),
  [`${base}/screen/v1/index.m3u8`]: mediaPlaylist('seg_0.ts'),
  [`${base}/screen/r1/index.m3u8`]: mediaPlaylist('seg_0.aac'),
  [`${base}/webcam/index.m3u8`]: mediaPlaylist('v0/seg_0.ts'),
};

function mediaPlaylist(segment: string): string {
  return ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXTINF:4,', segment, '#EXT-X-ENDLIST', ''].join('\n');
}

let emulators: LocalEmulators;
let s3: S3Client;
let saveDir: string;

beforeAll(async () => {
  emulators = await startEmulators();
  s3 = new S3Client({
    region: localAws.region,
    credentials: localAws.credentials,
    endpoint: emulators.endpoints.s3,
    forcePathStyle: true,
  });
  for (const [key, body] of Object.entries(objects)) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  saveDir = await mkdtemp(join(tmpdir(), 'ops-media-'));
  // Real segments: the screen's video carries no sound, its audio is the rendition's
  const put = async (key: string, kind: 'video' | 'audio') =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await mediaSegment(kind) }));
  await put(`${base}/screen/v1/seg_0.ts`, 'video');
  await put(`${base}/screen/r1/seg_0.aac`, 'audio');
  await put(`${base}/webcam/v0/seg_0.ts`, 'video');
});

afterAll(async () => {
  s3.destroy();
  await emulators.close();
  await rm(saveDir, { recursive: true, force: true });
});

describe('ops media --save', () => {
  it('saves each media playlist presigned and each recording’s entry naming them, audio rendition included', async () => {
    // Prepare: the manifest lists what was archived (its order: by key)
    const entries: ManifestEntry[] = Object.entries(objects)
      .map(([key, body]) => ({
        key,
        size: body.length,
        sha256: '0'.repeat(64),
        contentType: 'application/vnd.apple.mpegurl',
        sourceUrl: `https://media.example/${key}`,
        archivedAt: '2026-01-01T00:00:00.000Z',
      }))
      .sort((a, b) => a.key.localeCompare(b.key));

    // Act
    const lines = await mediaCommand({
      manifest: { list: async (vendor) => (vendor === 'micro1' ? entries : []) },
      s3,
      bucket,
      interviewId: 'R1',
      saveDir,
    });

    // Assess: four files, and the output names them
    expect((await readdir(saveDir)).sort()).toEqual([
      'screen-r1.m3u8',
      'screen-v1.m3u8',
      'screen.m3u8',
      'webcam.m3u8',
    ]);
    expect(lines.filter((line) => line.startsWith('playable'))).toHaveLength(4);
    const saved = async (name: string) => HLS.parse(await readFile(join(saveDir, name), 'utf8'));
    // The master names the saved variant and the saved audio rendition beside it
    const master = (await saved('screen.m3u8')) as InstanceType<typeof HLS.types.MasterPlaylist>;
    expect(master.variants.map((variant) => variant.uri)).toEqual(['screen-v1.m3u8']);
    expect(master.variants[0]?.audio.map((rendition) => rendition.uri)).toEqual(['screen-r1.m3u8']);
    // Each media playlist names its archived segments by presigned URL
    const segmentUrls = async (name: string) =>
      ((await saved(name)) as InstanceType<typeof HLS.types.MediaPlaylist>).segments.map(
        (segment) => new URL(segment.uri),
      );
    for (const [name, key] of [
      ['screen-r1.m3u8', `${base}/screen/r1/seg_0.aac`],
      ['screen-v1.m3u8', `${base}/screen/v1/seg_0.ts`],
      ['webcam.m3u8', `${base}/webcam/v0/seg_0.ts`],
    ] as const) {
      const [url, ...more] = await segmentUrls(name);
      expect(more).toEqual([]);
      expect(url?.pathname).toBe(`/${bucket}/${key}`);
      expect(url?.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    }
    // And it plays, sound included, as the README says (ffmpeg lets a local playlist reach http only when
    // told so)
    expect(await streamTypes(join(saveDir, 'screen.m3u8'))).toEqual(new Set(['audio', 'video']));
  });

  it.each([
    [undefined, '3600'],
    [7 * 24 * 3600, '604800'],
  ])('presigns for --expires %p: X-Amz-Expires %s', async (expiresInSeconds, expected) => {
    // Prepare: the webcam alone, a media playlist of one segment
    const key = `${base}/webcam/index.m3u8`;
    const entry: ManifestEntry = {
      key,
      size: objects[key]?.length ?? 0,
      sha256: '0'.repeat(64),
      contentType: 'application/vnd.apple.mpegurl',
      sourceUrl: `https://media.example/${key}`,
      archivedAt: '2026-01-01T00:00:00.000Z',
    };
    const dir = await mkdtemp(join(tmpdir(), 'ops-media-expires-'));

    try {
      // Act
      await mediaCommand({
        manifest: { list: async (vendor) => (vendor === 'micro1' ? [entry] : []) },
        s3,
        bucket,
        interviewId: 'R1',
        saveDir: dir,
        ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
      });

      // Assess
      const saved = HLS.parse(await readFile(join(dir, 'webcam.m3u8'), 'utf8'));
      const [segment] = (saved as InstanceType<typeof HLS.types.MediaPlaylist>).segments;
      expect(new URL(segment?.uri ?? '').searchParams.get('X-Amz-Expires')).toBe(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
