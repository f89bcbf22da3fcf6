/**
 * `npm run ops -- media <interview id>`: an interview's archive as the manifest lists it — every object with
 * its size, SHA-256, content type and source (without query) — and a presigned URL for each (locally the
 * emulator's), so a recruiter or engineer can fetch or play it.
 *
 * An HLS playlist names its segments by relative URI, which a presigned playlist URL does not sign: with
 * `--save <dir>` each archived media playlist (a variant's `v<n>`, an alternate rendition's `r<n>`, such as
 * the audio of a recording whose video carries none) is also written to `<dir>` with every URI it names
 * replaced by a presigned URL, and each recording's entry playlist as `<camera>.m3u8`, naming those files, so
 * `ffplay -protocol_whitelist file,http,https,tcp,tls,crypto <dir>/screen.m3u8` (or VLC) plays the archived
 * copy, sound included, straight from S3.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import HLS from 'hls-parser';
import type { ArchiveManifest } from '../functions/archive/manifest.js';
import type { ArchivedObject } from '../functions/archive/types.js';
import type { VendorName } from '../functions/vendors/envelope.js';

export interface MediaCommandOptions {
  readonly manifest: Pick<ArchiveManifest, 'list'>;
  readonly s3: S3Client;
  readonly bucket: string;
  /** The interview's id as in the key layout: ROUND0's interview id or micro1's report id. */
  readonly interviewId: string;
  /** Only this vendor's interview. @default both */
  readonly vendor?: VendorName;
  /** Seconds the presigned URLs stay valid. @default 3600 */
  readonly expiresInSeconds?: number;
  /** Where to write playable, presigned copies of the media playlists. @default none */
  readonly saveDir?: string;
}

/** The interview keys an archive id can belong to (see `functions/archive/tasks.ts`). */
const candidates = (interviewId: string, vendor: VendorName | undefined) =>
  [
    { vendor: 'round0' as const, interviewKey: interviewId },
    { vendor: 'micro1' as const, interviewKey: `report:${interviewId}` },
  ].filter((candidate) => vendor === undefined || candidate.vendor === vendor);

const humanSize = (bytes: number): string =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

const bodyText = async (s3: S3Client, bucket: string, key: string): Promise<string> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
};

/** A parsed playlist (hls-parser's). */
type Playlist = ReturnType<typeof HLS.parse>;

/** A variant's (`v<n>`) or an alternate rendition's (`r<n>`) media playlist, as the archive keys them. */
const mediaPlaylistKey = /\/[vr]\d+\/index\.m3u8$/;

/**
 * A recording's entry playlist (`<camera>/index.m3u8`): a master naming its `v<n>` and `r<n>` playlists, or
 * for a recording of one variant that media playlist itself. The archive stores it last, so a recording
 * that has one is archived whole.
 */
export const isRecordingEntry = (key: string): boolean =>
  key.endsWith('/index.m3u8') && !mediaPlaylistKey.test(key);

/**
 * An archived playlist of a recording — its entry or one of its media playlists (`undefined` for any other
 * key) — rewritten for a player that cannot resolve the stored relative URIs: a master's variant and
 * rendition URIs name `uris.playlist` of their keys, a media playlist's segment, init and key URIs
 * `uris.object` of theirs (the local console's routes; `npm run ops -- media` uses the parts below).
 */
export const playableRecordingPlaylist = async (
  s3: S3Client,
  bucket: string,
  key: string,
  uris: { readonly playlist: (key: string) => string; readonly object: (key: string) => Promise<string> },
): Promise<string | undefined> => {
  if (!isRecordingEntry(key) && !mediaPlaylistKey.test(key)) return undefined;
  const parsed = HLS.parse(await bodyText(s3, bucket, key));
  return masterWithUris(parsed, key, uris.playlist) ?? withObjectUris(parsed, key, uris.object);
};

/**
 * An archived media playlist whose every relative URI (segments, init segments, keys) is replaced by
 * `uriOf` its archived object's key: a presigned URL (`npm run ops -- media`, played straight from S3) or the
 * local console's object route; `undefined` for a master playlist.
 */
const withObjectUris = async (
  parsed: Playlist,
  playlistKey: string,
  uriOf: (key: string) => Promise<string>,
): Promise<string | undefined> => {
  if (parsed.isMasterPlaylist) return undefined;
  const base = playlistKey.slice(0, playlistKey.lastIndexOf('/') + 1);
  const signed = new Map<string, string>();
  /** What was written already: segments share one init section or key object, seen once per segment. */
  const written = new Set<string>();
  const sign = async (uri: string | undefined) => {
    if (uri === undefined || uri === '' || written.has(uri) || /^[a-z]+:/i.test(uri)) return uri;
    const url = signed.get(uri) ?? (await uriOf(`${base}${uri}`));
    signed.set(uri, url);
    written.add(url);
    return url;
  };
  const media = parsed as InstanceType<typeof HLS.types.MediaPlaylist>;
  for (const segment of media.segments) {
    segment.uri = (await sign(segment.uri)) ?? segment.uri;
    if (segment.map) segment.map.uri = (await sign(segment.map.uri)) ?? segment.map.uri;
    if (segment.key?.uri) segment.key.uri = (await sign(segment.key.uri)) ?? segment.key.uri;
  }
  return HLS.stringify(media);
};

/** A saved media playlist's file name: `interviews/<id>/<camera>/v<n>/index.m3u8` → `<camera>-v<n>.m3u8`. */
const savedMediaName = (key: string): string => {
  const [camera, dir] = key.split('/').slice(-3, -1);
  return `${camera}-${dir}.m3u8`;
};

/**
 * An archived master playlist whose variant and rendition URIs (`v<n>/index.m3u8`, `r<n>/index.m3u8`, as the
 * archive writes them) are replaced by `uriOf` their keys: the saved files of those playlists, beside it, or
 * the console's playlist route; `undefined` for a media playlist.
 */
const masterWithUris = (
  parsed: Playlist,
  masterKey: string,
  uriOf: (key: string) => string,
): string | undefined => {
  if (!parsed.isMasterPlaylist) return undefined;
  const base = masterKey.slice(0, masterKey.lastIndexOf('/') + 1);
  const mapped = (uri: string) => (/^[a-z]+:/i.test(uri) ? uri : uriOf(`${base}${uri}`));
  const master = parsed as InstanceType<typeof HLS.types.MasterPlaylist>;
  for (const variant of master.variants) {
    variant.uri = mapped(variant.uri);
    for (const rendition of [...variant.audio, ...variant.video, ...variant.subtitles]) {
      if (rendition.uri) rendition.uri = mapped(rendition.uri);
    }
  }
  return HLS.stringify(master);
};

/** The lines `npm run ops -- media` prints. */
export const mediaCommand = async (options: MediaCommandOptions): Promise<string[]> => {
  const expiresIn = options.expiresInSeconds ?? 3600;
  const presign = (key: string) =>
    getSignedUrl(options.s3, new GetObjectCommand({ Bucket: options.bucket, Key: key }), { expiresIn });
  const lines: string[] = [];
  for (const { vendor, interviewKey } of candidates(options.interviewId, options.vendor)) {
    const objects: readonly ArchivedObject[] = await options.manifest.list(vendor, interviewKey);
    if (objects.length === 0) continue;
    const total = objects.reduce((sum, object) => sum + object.size, 0);
    lines.push(
      `${vendor} interview ${options.interviewId}: ${objects.length} object(s), ${humanSize(total)}`,
    );
    for (const object of objects) {
      lines.push(
        `${object.key}  ${humanSize(object.size)}  ${object.contentType}  sha256:${object.sha256}`,
        `  from ${object.sourceUrl}`,
        `  ${await presign(object.key)}`,
      );
    }
    if (options.saveDir !== undefined) {
      await mkdir(options.saveDir, { recursive: true });
      for (const object of objects.filter((o) => mediaPlaylistKey.test(o.key))) {
        const parsed = HLS.parse(await bodyText(options.s3, options.bucket, object.key));
        const text = await withObjectUris(parsed, object.key, presign);
        if (text === undefined) continue;
        const file = join(options.saveDir, savedMediaName(object.key));
        await writeFile(file, text);
        lines.push(`playable (presigned for ${expiresIn} s): ${file}`);
      }
      // Each recording's entry (`<camera>/index.m3u8`): a master naming the files above, or, for a
      // recording of one variant, its media playlist itself (URIs into v0/).
      for (const object of objects.filter((o) => isRecordingEntry(o.key))) {
        // Read once: a master names the saved files, a one-variant entry its presigned segments.
        const parsed = HLS.parse(await bodyText(options.s3, options.bucket, object.key));
        const text =
          masterWithUris(parsed, object.key, savedMediaName) ??
          (await withObjectUris(parsed, object.key, presign));
        if (text === undefined) continue;
        const camera = object.key.split('/').at(-2);
        const file = join(options.saveDir, `${camera}.m3u8`);
        await writeFile(file, text);
        lines.push(
          `playable, the whole recording (presigned for ${expiresIn} s): ` +
            `ffplay -protocol_whitelist file,http,https,tcp,tls,crypto ${file}`,
        );
      }
    }
  }
  return lines.length > 0 ? lines : [`nothing archived for interview ${options.interviewId}`];
};
