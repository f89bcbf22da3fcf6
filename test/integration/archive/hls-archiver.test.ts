/**
 * archiveHlsRecording against real HLS made by ffmpeg, served over HTTP on 127.0.0.1 and archived into a
 * filesystem store: every archived copy is played by ffprobe from the store's directory alone (file protocol
 * only) and must decode to the same frames and duration as the source.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import HLS, { type types } from 'hls-parser';
import {
  InvalidPlaylistError,
  RecordingInProgressError,
  UnexpectedMediaSizeError,
  UnexpectedMediaTypeError,
} from '../../../functions/archive/errors.js';
import {
  archiveHlsRecording,
  type HlsAsset,
  hlsArchiverDefaults,
} from '../../../functions/archive/hls-archiver.js';
import type { ArchivedObject } from '../../../functions/archive/types.js';
import { HttpPermanentError, HttpTransientError } from '../../../functions/platform/errors.js';
import {
  ffmpegAvailable,
  makeHls,
  makeMp3,
  probeHls,
  writeMasterPlaylist,
} from '../../../local/media/generate.js';
import { FsArchiveStore } from './fs-store.js';
import { createFetchMediaSource, type MediaServer, startMediaServer } from './media-server.js';

let root: string;
let media: string;
let server: MediaServer;
const source = createFetchMediaSource();
/** What ffprobe reads from each source playlist on disk, by its path under `media`. */
const sourceProbes = new Map<string, { frames: number; duration: number }>();

const probeSource = async (path: string) => {
  const probe = await probeHls(join(media, path));
  sourceProbes.set(path, probe);
  return probe;
};

const mediaPlaylist = async (path: string): Promise<types.MediaPlaylist> =>
  HLS.parse(await readFile(join(media, path), 'utf8')) as types.MediaPlaylist;

beforeAll(async () => {
  if (!(await ffmpegAvailable()))
    throw new Error('these tests need ffmpeg and ffprobe: apt-get install -y ffmpeg');
  root = await mkdtemp(join(tmpdir(), 'hls-archiver-'));
  media = join(root, 'media');
  await mkdir(media, { recursive: true });
  await Promise.all([
    makeHls(join(media, 'ts'), { kind: 'ts' }),
    makeHls(join(media, 'fmp4'), { kind: 'fmp4' }),
    makeHls(join(media, 'aes'), { kind: 'aes' }),
    makeHls(join(media, 'byterange'), { kind: 'byterange' }),
    makeHls(join(media, 'long'), { kind: 'ts', seconds: 12 }),
    makeHls(join(media, 'master', 'low'), { size: '160x120' }),
    makeHls(join(media, 'master', 'high'), { size: '320x240', seconds: 4 }),
    makeMp3(join(media, 'answer.mp3')),
  ]);
  // The higher variant second, so its directory (v1) shows that n is the position in the source master;
  // shorter, so a probe tells the variants apart.
  await writeMasterPlaylist(join(media, 'master'), [
    { uri: 'low/index.m3u8', bandwidth: 300_000, resolution: '160x120' },
    { uri: 'high/index.m3u8', bandwidth: 900_000, resolution: '320x240' },
  ]);
  server = await startMediaServer(media);

  // Absolute URIs everywhere: a master naming its variant, a media playlist naming segments elsewhere.
  await mkdir(join(media, 'absolute'));
  const absolute = await mediaPlaylist('ts/index.m3u8');
  for (const segment of absolute.segments) segment.uri = server.url(`/ts/${segment.uri}`);
  await writeFile(join(media, 'absolute', 'index.m3u8'), HLS.stringify(absolute));
  await writeMasterPlaylist(join(media, 'absolute'), [
    { uri: server.url('/absolute/index.m3u8'), bandwidth: 500_000 },
  ]);

  // A variant whose audio is an alternate rendition with its own media playlist.
  await mkdir(join(media, 'renditions'));
  await writeFile(
    join(media, 'renditions', 'master.m3u8'),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:4',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="../byterange/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=600000,AUDIO="aac"',
      '../ts/index.m3u8',
      '',
    ].join('\n'),
  );

  // Encrypted fMP4 (ffmpeg makes none): the same playlist with its init section declared before the key
  // (the init in the clear, RFC 8216 §4.3.2.4) and after it (the init encrypted too).
  await mkdir(join(media, 'keymap'));
  await writeFile(join(media, 'keymap', 'init.mp4'), 'init section');
  await writeFile(join(media, 'keymap', 'key.bin'), Buffer.alloc(16, 7));
  for (const n of [0, 1]) await writeFile(join(media, 'keymap', `s${n}.m4s`), `segment ${n}`);
  const keyMapPlaylist = (tags: string[]) =>
    ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', ...tags, '#EXTINF:2,', 's0.m4s']
      .concat(['#EXTINF:2,', 's1.m4s', '#EXT-X-ENDLIST', ''])
      .join('\n');
  const map = '#EXT-X-MAP:URI="init.mp4"';
  const key = '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000001';
  await writeFile(join(media, 'keymap', 'clear-init.m3u8'), keyMapPlaylist([map, key]));
  await writeFile(join(media, 'keymap', 'encrypted-init.m3u8'), keyMapPlaylist([key, map]));

  // Not HLS, or not usable: an HTML error page, a master naming an MP3, a playlist listing nothing.
  await mkdir(join(media, 'invalid'));
  await writeFile(
    join(media, 'invalid', 'page.m3u8'),
    '<!doctype html><html><body>Access denied</body></html>\n',
  );
  await writeMasterPlaylist(join(media, 'invalid'), [{ uri: '../answer.mp3', bandwidth: 100_000 }]);
  await writeFile(join(media, 'invalid', 'empty.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-ENDLIST\n');
  await writeFile(
    join(media, 'invalid', 'gaps.m3u8'),
    '#EXTM3U\n#EXT-X-VERSION:8\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-GAP\ngone.ts\n#EXT-X-ENDLIST\n',
  );

  // Lists too long to plan in memory: one URI over the default count of a playlist, and a master naming
  // one media playlist more than the default (a variant and 16 audio renditions).
  const entries = hlsArchiverDefaults.maxPlaylistEntries;
  await writeFile(
    join(media, 'invalid', 'endless.m3u8'),
    ['#EXTM3U', '#EXT-X-TARGETDURATION:1']
      .concat(Array.from({ length: entries + 1 }, (_, n) => `#EXTINF:1,\ns${n}.ts`))
      .concat(['#EXT-X-ENDLIST', ''])
      .join('\n'),
  );
  const renditions = hlsArchiverDefaults.maxMediaPlaylists;
  await writeFile(
    join(media, 'invalid', 'renditions.m3u8'),
    ['#EXTM3U']
      .concat(
        Array.from(
          { length: renditions },
          (_, n) => `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="a${n}",URI="../ts/index.m3u8?r=${n}"`,
        ),
      )
      .concat(['#EXT-X-STREAM-INF:BANDWIDTH=100000,AUDIO="a"', '../ts/index.m3u8', ''])
      .join('\n'),
  );

  // The TS playlist padded with comment lines to just under and just over the 8 MiB default cap.
  await mkdir(join(media, 'padded'));
  const padded = await mediaPlaylist('ts/index.m3u8');
  for (const segment of padded.segments) segment.uri = `../ts/${segment.uri}`;
  const text = HLS.stringify(padded);
  const pad = (bytes: number) => `${`# ${'x'.repeat(1021)}\n`.repeat(Math.ceil(bytes / 1024))}`;
  const cap = hlsArchiverDefaults.maxPlaylistBytes;
  await writeFile(join(media, 'padded', 'fits.m3u8'), `${text}\n${pad(cap - 8 * 1024)}`);
  await writeFile(join(media, 'padded', 'big.m3u8'), `${text}\n${pad(cap + 8 * 1024)}`);

  await Promise.all(
    [
      'ts/index.m3u8',
      'fmp4/index.m3u8',
      'aes/index.m3u8',
      'byterange/index.m3u8',
      'master/master.m3u8',
      'master/high/index.m3u8',
      'long/index.m3u8',
    ].map(probeSource),
  );
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

beforeEach(() => server.reset());

let interviews = 0;

/** A fresh store and an asset of a new interview whose recording is at `path` on the media server. */
const prepare = async (path: string, query = '') => {
  interviews += 1;
  const store = new FsArchiveStore(await mkdtemp(join(root, 'store-')));
  const asset: HlsAsset = {
    kind: 'hls',
    name: 'screen',
    keyPrefix: `interviews/i${interviews}/screen/`,
    sourceUrl: `${server.url(path)}${query}`,
  };
  return { store, asset, prefix: asset.keyPrefix, entry: `${asset.keyPrefix}index.m3u8` };
};

/** The keys (under the prefix) of a complete archive of the three-segment /ts recording, in the order returned. */
const tsArchiveKeys = ['v0/seg_0.ts', 'v0/seg_1.ts', 'v0/seg_2.ts', 'v0/index.m3u8', 'index.m3u8'];

const relativeKeys = (objects: readonly ArchivedObject[], prefix: string) =>
  objects.map((object) => object.key.slice(prefix.length));

const archivedPlaylist = async (store: FsArchiveStore, key: string) =>
  HLS.parse(await readFile(store.pathOf(key), 'utf8'));

/** The archived copy decodes, from the store's directory alone, to what the source decodes to. */
const expectPlaysLikeSource = async (store: FsArchiveStore, key: string, sourcePath: string) => {
  const expected = sourceProbes.get(sourcePath);
  const archived = await probeHls(store.pathOf(key));
  expect(expected).toBeDefined();
  expect(archived.frames).toBe(expected?.frames);
  expect(archived.duration).toBeCloseTo(expected?.duration ?? Number.NaN, 1);
};

/** Each returned record's size and SHA-256 are those of the bytes stored. */
const expectChecksumsOfStoredBytes = async (store: FsArchiveStore, objects: readonly ArchivedObject[]) => {
  for (const object of objects) {
    expect(await store.stored(object.key)).toEqual({ sha256: object.sha256, size: object.size });
  }
};

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** An IV as hex (typed ArrayBuffer by hls-parser, a Uint8Array at run time). */
const hex = (iv: ArrayBuffer | undefined) =>
  iv ? Buffer.from(new Uint8Array(iv)).toString('hex') : undefined;

describe('archiveHlsRecording', () => {
  it('archives an MPEG-TS media playlist as v0 plus the entry, which plays from the archive alone', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/ts/index.m3u8', '?signature=secret');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual(tsArchiveKeys);
    expect(objects.map((object) => object.contentType)).toEqual([
      'video/mp2t',
      'video/mp2t',
      'video/mp2t',
      'application/vnd.apple.mpegurl',
      'application/vnd.apple.mpegurl',
    ]);
    expect(objects[0]?.sourceUrl).toBe(server.url('/ts/seg_0.ts'));
    expect(objects.at(-1)?.sourceUrl).toBe(server.url('/ts/index.m3u8'));
    expect(objects.every((object) => !object.sourceUrl.includes('secret'))).toBe(true);
    const entryPlaylist = (await archivedPlaylist(store, entry)) as types.MediaPlaylist;
    expect(entryPlaylist.segments.map((segment) => segment.uri)).toEqual([
      'v0/seg_0.ts',
      'v0/seg_1.ts',
      'v0/seg_2.ts',
    ]);
    expect(entryPlaylist.endlist).toBe(true);
    const variant = (await archivedPlaylist(store, `${prefix}v0/index.m3u8`)) as types.MediaPlaylist;
    expect(variant.segments.map((segment) => segment.uri)).toEqual(['seg_0.ts', 'seg_1.ts', 'seg_2.ts']);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
    await expectPlaysLikeSource(store, `${prefix}v0/index.m3u8`, 'ts/index.m3u8');
  });

  it('archives fMP4 segments with their EXT-X-MAP init segment', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/fmp4/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/init_0.mp4',
      'v0/seg_0.m4s',
      'v0/seg_1.m4s',
      'v0/seg_2.m4s',
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    expect(objects.slice(0, 4).map((object) => object.contentType)).toEqual(Array(4).fill('video/mp4'));
    const variant = (await archivedPlaylist(store, `${prefix}v0/index.m3u8`)) as types.MediaPlaylist;
    expect(variant.segments.map((segment) => segment.map?.uri)).toEqual(Array(3).fill('init_0.mp4'));
    expect((await store.stored(`${prefix}v0/init_0.mp4`)).sha256).toBe(
      sha256(await readFile(join(media, 'fmp4', 'init.mp4'))),
    );
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'fmp4/index.m3u8');
  });

  it('archives the AES-128 key beside the segments and keeps the IV', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/aes/index.m3u8');
    const sourceKey = (await mediaPlaylist('aes/index.m3u8')).segments[0]?.key;

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/key_0.key',
      'v0/seg_0.ts',
      'v0/seg_1.ts',
      'v0/seg_2.ts',
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    expect(objects[0]).toMatchObject({ contentType: 'application/octet-stream', size: 16 });
    expect(await readFile(store.pathOf(`${prefix}v0/key_0.key`))).toEqual(
      await readFile(join(media, 'aes', 'key.bin')),
    );
    const variant = (await archivedPlaylist(store, `${prefix}v0/index.m3u8`)) as types.MediaPlaylist;
    expect(hex(sourceKey?.iv)).toMatch(/^[0-9a-f]{32}$/);
    for (const segment of variant.segments) {
      expect(segment.key).toMatchObject({ method: 'AES-128', uri: 'key_0.key' });
      expect(hex(segment.key?.iv)).toBe(hex(sourceKey?.iv));
    }
    expect(store.bodies.get(`${prefix}v0/key_0.key`)).toBe('buffer');
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'aes/index.m3u8');
  });

  it('archives AES-128 segments whose names say .mp3: ciphertext has no MP3 header, and only a page is refused', async () => {
    // Prepare: the AES-128 recording with its segments served as seg_{n}.mp3 (audio/mpeg), encrypted whole
    await mkdir(join(media, 'aes-mp3'), { recursive: true });
    const text = await readFile(join(media, 'aes', 'index.m3u8'), 'utf8');
    const names = text.split('\n').filter((line) => /^seg_\d+\.ts$/.test(line));
    for (const name of names) {
      await writeFile(
        join(media, 'aes-mp3', name.replace('.ts', '.mp3')),
        await readFile(join(media, 'aes', name)),
      );
    }
    await writeFile(join(media, 'aes-mp3', 'key.bin'), await readFile(join(media, 'aes', 'key.bin')));
    await writeFile(join(media, 'aes-mp3', 'index.m3u8'), text.replace(/^(seg_\d+)\.ts$/gm, '$1.mp3'));
    const { store, asset, prefix } = await prepare('/aes-mp3/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess: every segment stored as it was served, under its own extension
    expect(names.length).toBeGreaterThan(1);
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/key_0.key',
      ...names.map((name) => `v0/${name.replace('.ts', '.mp3')}`),
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    expect(objects.find((object) => object.key.endsWith('seg_0.mp3'))?.contentType).toBe('audio/mpeg');
    expect(objects.find((object) => object.key.endsWith('seg_0.mp3'))?.sha256).toBe(
      sha256(await readFile(join(media, 'aes', 'seg_0.ts'))),
    );
    await expectChecksumsOfStoredBytes(store, objects);
  });

  it.each([
    [
      'before',
      'clear-init.m3u8',
      ['#EXT-X-MAP:URI="init_0.mp4"', '#EXT-X-KEY:METHOD=AES-128,URI="key_0.key"'],
    ],
    [
      'after',
      'encrypted-init.m3u8',
      ['#EXT-X-KEY:METHOD=AES-128,URI="key_0.key"', '#EXT-X-MAP:URI="init_0.mp4"'],
    ],
  ])(
    'keeps an init section declared %s the key where it was (in the clear or encrypted)',
    async (_, file, order) => {
      // Prepare
      const { store, asset, prefix } = await prepare(`/keymap/${file}`);

      // Act
      await archiveHlsRecording({ asset, source, store });

      // Assess: the copy's KEY and MAP lines in the source's order, each once
      const text = await readFile(store.pathOf(`${prefix}v0/index.m3u8`), 'utf8');
      const tags = text.split('\n').filter((line) => /^#EXT-X-(KEY|MAP):/.test(line));
      expect(tags.map((line) => line.replace(/,IV=0x[0-9a-fA-F]+/, ''))).toEqual(order);
      const segments = (HLS.parse(text) as types.MediaPlaylist).segments;
      expect(segments.map((segment) => [segment.uri, segment.map?.uri, segment.key?.uri])).toEqual([
        ['seg_0.m4s', 'init_0.mp4', 'key_0.key'],
        ['seg_1.m4s', 'init_0.mp4', 'key_0.key'],
      ]);
    },
  );

  it('fetches each EXT-X-BYTERANGE range with a Range request and stores one whole object per segment', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/byterange/index.m3u8');
    const ranges = (await mediaPlaylist('byterange/index.m3u8')).segments.map((segment) => segment.byterange);

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(server.requests('/byterange/all.ts').map((request) => request.range)).toEqual(
      expect.arrayContaining(ranges.map(({ offset, length }) => `bytes=${offset}-${offset + length - 1}`)),
    );
    expect(server.requests('/byterange/all.ts')).toHaveLength(3);
    expect(objects.slice(0, 3).map((object) => object.size)).toEqual(ranges.map(({ length }) => length));
    const variant = (await archivedPlaylist(store, `${prefix}v0/index.m3u8`)) as types.MediaPlaylist;
    expect(variant.segments.map((segment) => [segment.uri, segment.byterange])).toEqual([
      ['seg_0.ts', undefined],
      ['seg_1.ts', undefined],
      ['seg_2.ts', undefined],
    ]);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'byterange/index.m3u8');
  });

  it('archives only the highest-BANDWIDTH variant of a master by default; the rewritten master lists it alone', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/master/master.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual([
      'v1/seg_0.ts',
      'v1/seg_1.ts',
      'v1/index.m3u8',
      'index.m3u8',
    ]);
    expect(server.requests('/master/low/')).toEqual([]);
    const master = (await archivedPlaylist(store, entry)) as types.MasterPlaylist;
    expect(master.isMasterPlaylist).toBe(true);
    expect(master.variants.map(({ uri, bandwidth, resolution }) => ({ uri, bandwidth, resolution }))).toEqual(
      [{ uri: 'v1/index.m3u8', bandwidth: 900_000, resolution: { width: 320, height: 240 } }],
    );
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'master/high/index.m3u8');
  });

  it("archives every variant with variants: 'all'", async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/master/master.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store, variants: 'all' });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/seg_0.ts',
      'v0/seg_1.ts',
      'v0/seg_2.ts',
      'v1/seg_0.ts',
      'v1/seg_1.ts',
      'v0/index.m3u8',
      'v1/index.m3u8',
      'index.m3u8',
    ]);
    const master = (await archivedPlaylist(store, entry)) as types.MasterPlaylist;
    expect(master.variants.map(({ uri, bandwidth }) => ({ uri, bandwidth }))).toEqual([
      { uri: 'v0/index.m3u8', bandwidth: 300_000 },
      { uri: 'v1/index.m3u8', bandwidth: 900_000 },
    ]);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'master/master.m3u8');
    await expectPlaysLikeSource(store, `${prefix}v1/index.m3u8`, 'master/high/index.m3u8');
  });

  it('follows absolute variant and segment URIs', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/absolute/master.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual(tsArchiveKeys);
    expect(objects.slice(0, 3).map((object) => object.sourceUrl)).toEqual(
      [0, 1, 2].map((index) => server.url(`/ts/seg_${index}.ts`)),
    );
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('resolves relative URIs against the URL a redirect led to', async () => {
    // Prepare: /moved/ holds nothing; resolving against the requested URL would fetch /moved/seg_0.ts (404)
    const { store, asset, entry } = await prepare('/moved/index.m3u8');
    server.behave('/moved/index.m3u8', { kind: 'redirecting', to: '/ts/index.m3u8' });

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(server.requests('/moved/')).toHaveLength(1);
    expect(objects.at(-1)?.sourceUrl).toBe(server.url('/ts/index.m3u8'));
    expect(objects[0]?.sourceUrl).toBe(server.url('/ts/seg_0.ts'));
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('archives the alternate renditions a variant names under r{n}/ and points the master at them', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/renditions/master.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/seg_0.ts',
      'v0/seg_1.ts',
      'v0/seg_2.ts',
      'r0/seg_0.ts',
      'r0/seg_1.ts',
      'r0/seg_2.ts',
      'v0/index.m3u8',
      'r0/index.m3u8',
      'index.m3u8',
    ]);
    const master = (await archivedPlaylist(store, entry)) as types.MasterPlaylist;
    expect(master.variants.map((variant) => variant.uri)).toEqual(['v0/index.m3u8']);
    expect(master.variants[0]?.audio.map(({ name, uri }) => ({ name, uri }))).toEqual([
      { name: 'main', uri: 'r0/index.m3u8' },
    ]);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, `${prefix}v0/index.m3u8`, 'ts/index.m3u8');
    await expectPlaysLikeSource(store, `${prefix}r0/index.m3u8`, 'byterange/index.m3u8');
  });

  it('resumes after a permanent failure mid-way, fetching only the objects still missing', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/ts/index.m3u8');
    // Twice: a segment refused as an expired URL is asked for again once, after the playlist is read again
    server.behave('/ts/seg_1.ts', { kind: 'failing', status: 404, times: 2 });

    // Act
    const failed = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error) => error,
    );
    const afterFailure = [...store.records.keys()];
    server.reset();
    const objects = await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess
    expect(failed).toBeInstanceOf(HttpPermanentError);
    expect(failed).toMatchObject({ status: 404 });
    expect(afterFailure).toEqual([`${prefix}v0/seg_0.ts`]);
    expect(server.requests().map((request) => request.path)).toEqual([
      '/ts/index.m3u8',
      '/ts/seg_1.ts',
      '/ts/seg_2.ts',
    ]);
    expect(relativeKeys(objects, prefix)).toEqual(tsArchiveKeys);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('reads the playlist again when signed segment URLs expire mid-recording, and fetches only what is missing', async () => {
    // Prepare: the 12 s recording's playlist naming its segments by signed URLs (the server answers 403 to
    // a token it no longer knows); once two segments are fetched, every token expires and the playlist is
    // signed anew, as a CDN's short-lived URLs and the vendor's playlist would be
    const text = await readFile(join(media, 'long', 'index.m3u8'), 'utf8');
    const names = text.split('\n').filter((line) => /^seg_\d+\.ts$/.test(line));
    const signed = () =>
      text
        .split('\n')
        .map((line) => (names.includes(line) ? server.freshUrl(`/long/${line}`) : line))
        .join('\n');
    await mkdir(join(media, 'signed'), { recursive: true });
    await writeFile(join(media, 'signed', 'index.m3u8'), signed());
    for (const name of names) server.behave(`/long/${name}`, { kind: 'expiring' });
    const { store, asset, prefix, entry } = await prepare('/signed/index.m3u8');
    let fetched = 0;
    const expiringSource: typeof source = {
      fetch: async (url, range) => {
        if (url.includes('/long/seg_') && ++fetched === 3) {
          server.expireTokens();
          await writeFile(join(media, 'signed', 'index.m3u8'), signed());
        }
        return source.fetch(url, range);
      },
    };

    // Act
    const objects = await archiveHlsRecording({ asset, source: expiringSource, store, concurrency: 1 });

    // Assess: the third segment refused once, the playlist read twice, no segment stored twice
    expect(names.length).toBeGreaterThan(3);
    const segmentAnswers = server.requests('/long/').map((request) => [request.path, request.status]);
    expect(segmentAnswers).toEqual([
      ['/long/seg_0.ts', 200],
      ['/long/seg_1.ts', 200],
      ['/long/seg_2.ts', 403],
      ...names.slice(2).map((name) => [`/long/${name}`, 200]),
    ]);
    expect(server.requests('/signed/')).toHaveLength(2);
    expect(relativeKeys(objects, prefix)).toEqual([
      ...names.map((name) => `v0/${name}`),
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'long/index.m3u8');
  });

  it('does not resume into a recording that changed at the same URL: segments named by other URLs are fetched again', async () => {
    // Prepare: the first attempt stores seg_0 of one recording and fails; by the retry the URL leads to
    // another one (a re-rendered recording), whose seg_0 has the same archive key
    const { store, asset, prefix, entry } = await prepare('/changing/index.m3u8');
    server.behave('/changing/index.m3u8', { kind: 'redirecting', to: '/ts/index.m3u8' });
    server.behave('/ts/seg_1.ts', { kind: 'failing', status: 404, times: 2 });
    await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(() => undefined);
    const afterFailure = await store.archived(`${prefix}v0/seg_0.ts`);
    server.reset();
    server.behave('/changing/index.m3u8', { kind: 'redirecting', to: '/long/index.m3u8' });

    // Act
    const objects = await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess
    expect(afterFailure?.sourceUrl).toBe(server.url('/ts/seg_0.ts'));
    const segment0 = objects.find((object) => object.key === `${prefix}v0/seg_0.ts`);
    expect(segment0?.sourceUrl).toBe(server.url('/long/seg_0.ts'));
    expect(segment0?.sha256).toBe(sha256(await readFile(join(media, 'long', 'seg_0.ts'))));
    expect(server.requests('/long/seg_0.ts')).toHaveLength(1);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'long/index.m3u8');
  });

  it('does not call a finished archive complete once a run overwrote its objects with another recording', async () => {
    // Prepare: /ts archived whole; then the same URL leads to /long, whose second segment is refused
    // (as an expired URL is), and by the re-read the entry playlist is refused too
    const { store, asset, prefix } = await prepare('/mixing/index.m3u8');
    server.behave('/mixing/index.m3u8', { kind: 'redirecting', to: '/ts/index.m3u8' });
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });
    server.reset();
    server.behave('/mixing/index.m3u8', { kind: 'redirecting', to: '/long/index.m3u8' });
    server.behave('/long/seg_1.ts', { kind: 'failing', status: 403, times: 99 });
    let entryReads = 0;
    const entryGone: typeof source = {
      fetch: async (url, range) => {
        if (url.includes('/mixing/') && ++entryReads > 1) {
          throw new HttpPermanentError('GET /mixing/index.m3u8: HTTP 403', {
            operation: 'GET /mixing/index.m3u8',
            status: 403,
          });
        }
        return source.fetch(url, range);
      },
    };

    // Act
    const failed = await archiveHlsRecording({ asset, source: entryGone, store, concurrency: 1 }).catch(
      (error: unknown) => error,
    );

    // Assess: seg_0 now holds /long's bytes, so the stored playlists of /ts no longer describe the archive
    expect((await store.archived(`${prefix}v0/seg_0.ts`))?.sourceUrl).toBe(server.url('/long/seg_0.ts'));
    expect(entryReads).toBe(2);
    expect(failed).toBeInstanceOf(HttpPermanentError);
    expect(failed).toMatchObject({ status: 403 });
  });

  it('does not call an archive complete on a later run after a run that overwrote part of it failed', async () => {
    // Prepare: /ts archived whole; then the same URL leads to /long, whose last segment fails transiently
    // after the first two have replaced /ts's
    const { store, asset, prefix } = await prepare('/mixing/index.m3u8');
    server.behave('/mixing/index.m3u8', { kind: 'redirecting', to: '/ts/index.m3u8' });
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });
    expect(await store.archived(`${prefix}index.m3u8`)).toBeDefined();
    server.reset();
    server.behave('/mixing/index.m3u8', { kind: 'redirecting', to: '/long/index.m3u8' });
    server.behave('/long/seg_2.ts', { kind: 'failing', status: 503, times: 99 });
    const overwriting = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error: unknown) => error,
    );
    expect(overwriting).toBeInstanceOf(HttpTransientError);
    expect((await store.archived(`${prefix}v0/seg_0.ts`))?.sourceUrl).toBe(server.url('/long/seg_0.ts'));

    // Act: a third run, by which the entry URL is refused for good
    server.reset();
    server.behave('/mixing/index.m3u8', { kind: 'failing', status: 403, times: 99 });
    const third = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error: unknown) => error,
    );

    // Assess: the mixed copy has no entry on record, so it is not taken for a complete archive
    expect(await store.archived(`${prefix}index.m3u8`)).toBeUndefined();
    expect(third).toBeInstanceOf(HttpPermanentError);
  });

  it('skips a segment behind a redirect on the next run, as one without', async () => {
    // Prepare: seg_0 answers with a redirect (to a segment elsewhere)
    const { store, asset } = await prepare('/ts/index.m3u8');
    server.behave('/ts/seg_0.ts', { kind: 'redirecting', to: '/long/seg_0.ts' });
    await archiveHlsRecording({ asset, source, store });
    server.reset();
    const putsBefore = store.puts.length;

    // Act
    await archiveHlsRecording({ asset, source, store });

    // Assess: nothing but the playlist read again, nothing written
    expect(server.requests().map((request) => request.path)).toEqual(['/ts/index.m3u8']);
    expect(store.puts.length).toBe(putsBefore);
  });

  it.each([
    ['its entry playlist', '/ts/index.m3u8', '/ts/seg_1.ts', '/ts/index.m3u8'],
    [
      'a variant playlist (its master still served)',
      '/master/master.m3u8',
      '/master/high/seg_1.ts',
      '/master/high/index.m3u8',
    ],
  ])(
    'completes a run over a whole archive when %s is gone, and fails one whose archive is not whole',
    async (_what, path, failingOnce, gone) => {
      // Prepare: a complete archive; a first attempt at another copy that failed half-way; then `gone` 404s
      const whole = await prepare(path);
      await archiveHlsRecording({ asset: whole.asset, source, store: whole.store });
      const partial = await prepare(path);
      server.behave(failingOnce, { kind: 'failing', status: 500, times: 1 });
      await archiveHlsRecording({ asset: partial.asset, source, store: partial.store }).catch(
        () => undefined,
      );
      server.reset();
      server.behave(gone, { kind: 'failing', status: 404, times: 2 });

      // Act
      const again = await archiveHlsRecording({ asset: whole.asset, source, store: whole.store });
      const failed = await archiveHlsRecording({ asset: partial.asset, source, store: partial.store }).catch(
        (error: unknown) => error,
      );

      // Assess
      expect(again.map((object) => object.key)).toEqual([whole.entry]);
      expect(server.requests(gone).map((request) => request.status)).toEqual([404, 404]);
      expect(failed).toBeInstanceOf(HttpPermanentError);
      expect(failed).toMatchObject({ status: 404 });
      expect(await partial.store.archived(partial.entry)).toBeUndefined();
    },
  );

  it.each([
    [
      'low-latency parts and a preload hint of the segment being written',
      ['#EXT-X-PART:DURATION=1,URI="../ts/seg_2.ts"', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="../ts/next.ts"'],
    ],
    ['the EXTINF of a segment whose URI is not written yet', ['#EXTINF:2.000000,']],
    ['a PROGRAM-DATE-TIME', ['#EXT-X-PROGRAM-DATE-TIME:2026-12-04T10:00:00.000Z']],
  ])(
    'takes a live playlist ending in %s for a recording in progress, not an invalid one',
    async (_what, trailing) => {
      // Prepare: the first two segments of /ts, no end, then the trailing tags
      const lines = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8'))
        .split('\n')
        .filter((line) => !['', '#EXT-X-ENDLIST', '#EXT-X-PLAYLIST-TYPE:VOD'].includes(line))
        .map((line) => (/^seg_\d\.ts$/.test(line) ? `../ts/${line}` : line));
      const secondSegment = lines.indexOf('../ts/seg_1.ts');
      const path = `/trailing-${trailing.length}-${trailing[0]?.slice(5, 9)}/index.m3u8`;
      await mkdir(join(media, path.split('/')[1] ?? ''), { recursive: true });
      await writeFile(join(media, path), [...lines.slice(0, secondSegment + 1), ...trailing, ''].join('\n'));
      const { store, asset, prefix } = await prepare(path);

      // Act
      const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

      // Assess: what it lists is stored, and the task is retried (transient)
      expect(failed).toBeInstanceOf(RecordingInProgressError);
      expect(failed).toMatchObject({ transient: true });
      expect([...store.records.keys()].sort()).toEqual([`${prefix}v0/seg_0.ts`, `${prefix}v0/seg_1.ts`]);
    },
  );

  it('takes a segment a live playlist lists but its server refuses (404, not propagated yet) for a recording in progress', async () => {
    // Prepare: the /ts segments, no end, then a segment the server does not have yet
    const lines = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8'))
      .split('\n')
      .filter((line) => !['', '#EXT-X-ENDLIST', '#EXT-X-PLAYLIST-TYPE:VOD'].includes(line))
      .map((line) => (/^seg_\d\.ts$/.test(line) ? `../ts/${line}` : line));
    await mkdir(join(media, 'live-ahead'), { recursive: true });
    await writeFile(
      join(media, 'live-ahead', 'index.m3u8'),
      [...lines, '#EXTINF:2.000000,', '../ts/seg_9.ts', ''].join('\n'),
    );
    const { store, asset, prefix } = await prepare('/live-ahead/index.m3u8');

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

    // Assess: retried later (transient), the refusal kept as the cause, no playlist written
    expect(failed).toBeInstanceOf(RecordingInProgressError);
    expect(failed).toMatchObject({ transient: true, cause: expect.objectContaining({ status: 404 }) });
    expect([...store.records.keys()].some((key) => key.endsWith('.m3u8'))).toBe(false);
    expect(await store.archived(`${prefix}v0/seg_9.ts`)).toBeUndefined();
  });

  it('refuses an empty segment of a finished recording (an empty 200), storing neither it nor a playlist', async () => {
    // Prepare: the /ts recording with its second segment served empty
    await mkdir(join(media, 'empty-segment'), { recursive: true });
    const text = await readFile(join(media, 'ts', 'index.m3u8'), 'utf8');
    await writeFile(join(media, 'empty-segment', 'index.m3u8'), text);
    for (const n of [0, 2]) {
      await writeFile(
        join(media, 'empty-segment', `seg_${n}.ts`),
        await readFile(join(media, 'ts', `seg_${n}.ts`)),
      );
    }
    await writeFile(join(media, 'empty-segment', 'seg_1.ts'), Buffer.alloc(0));
    const { store, asset, prefix, entry } = await prepare('/empty-segment/index.m3u8');

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(UnexpectedMediaSizeError);
    expect(failed).toMatchObject({ key: `${prefix}v0/seg_1.ts`, receivedBytes: 0, transient: false });
    expect(await store.archived(`${prefix}v0/seg_1.ts`)).toBeUndefined();
    expect(await store.archived(entry)).toBeUndefined();
  });

  it('archives a finished playlist with a DISCONTINUITY tag after its last segment', async () => {
    // Prepare
    const text = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8'))
      .replaceAll('seg_', '../ts/seg_')
      .replace('#EXT-X-ENDLIST', '#EXT-X-DISCONTINUITY\n#EXT-X-ENDLIST');
    await mkdir(join(media, 'trailing-discontinuity'), { recursive: true });
    await writeFile(join(media, 'trailing-discontinuity', 'index.m3u8'), text);
    const { store, asset, prefix, entry } = await prepare('/trailing-discontinuity/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(text).toContain('#EXT-X-DISCONTINUITY\n#EXT-X-ENDLIST');
    expect(relativeKeys(objects, prefix)).toEqual(tsArchiveKeys);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('refuses a finished playlist whose last EXTINF has no URI: a segment is missing, not being written', async () => {
    // Prepare
    const text = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8'))
      .replaceAll('seg_', '../ts/seg_')
      .replace('#EXT-X-ENDLIST', '#EXTINF:2.000000,\n#EXT-X-ENDLIST');
    await mkdir(join(media, 'missing-last-uri'), { recursive: true });
    await writeFile(join(media, 'missing-last-uri', 'index.m3u8'), text);
    const { store, asset } = await prepare('/missing-last-uri/index.m3u8');

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(InvalidPlaylistError);
    expect(failed).toMatchObject({ transient: false, reason: 'an entry without URI' });
    expect(store.records.size).toBe(0);
  });

  it('numbers segments by position when EXT-X-MEDIA-SEQUENCE is repeated mid-list: no two share a name', async () => {
    // Prepare: the tag again after the first segment (the lenient parser restarts the count there)
    const lines = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8'))
      .replaceAll('seg_', '../ts/seg_')
      .split('\n');
    const second = lines.findIndex(
      (line, at) => line.startsWith('#EXTINF') && at > lines.indexOf('../ts/seg_0.ts'),
    );
    lines.splice(second, 0, '#EXT-X-MEDIA-SEQUENCE:0');
    await mkdir(join(media, 'repeated-sequence'), { recursive: true });
    await writeFile(join(media, 'repeated-sequence', 'index.m3u8'), lines.join('\n'));
    const { store, asset, prefix, entry } = await prepare('/repeated-sequence/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(relativeKeys(objects, prefix)).toEqual(tsArchiveKeys);
    for (const n of [0, 1, 2]) {
      const stored = objects.find((object) => object.key === `${prefix}v0/seg_${n}.ts`);
      expect(stored?.sha256).toBe(sha256(await readFile(join(media, 'ts', `seg_${n}.ts`))));
    }
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('names segments by media sequence number: a live playlist that slid between runs keeps no other segment’s bytes', async () => {
    // Prepare: byte ranges of one file (one URL for all); the first run sees segments 0 and 1, the second,
    // after the window slid by one, segments 1 and 2 and the end
    const source0 = await mediaPlaylist('byterange/index.m3u8');
    const whole = await readFile(join(media, 'byterange', 'all.ts'));
    const window = (first: number, finished: boolean) =>
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-TARGETDURATION:2',
        `#EXT-X-MEDIA-SEQUENCE:${first}`,
        ...source0.segments
          .slice(first, first + 2)
          .flatMap(({ duration, byterange }) => [
            `#EXTINF:${duration},`,
            `#EXT-X-BYTERANGE:${byterange.length}@${byterange.offset}`,
            '../byterange/all.ts',
          ]),
        ...(finished ? ['#EXT-X-ENDLIST'] : []),
        '',
      ].join('\n');
    await mkdir(join(media, 'sliding'), { recursive: true });
    await writeFile(join(media, 'sliding', 'index.m3u8'), window(0, false));
    const { store, asset, prefix, entry } = await prepare('/sliding/index.m3u8');
    const first = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);
    await writeFile(join(media, 'sliding', 'index.m3u8'), window(1, true));
    server.reset();

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess: segment 1 is kept from the first run, segment 2 fetched; each holds its own range
    expect(first).toBeInstanceOf(RecordingInProgressError);
    expect(server.requests('/byterange/all.ts')).toHaveLength(1);
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/seg_1.ts',
      'v0/seg_2.ts',
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    for (const sequence of [1, 2]) {
      const { offset, length } = source0.segments[sequence]?.byterange ?? { offset: 0, length: 0 };
      const stored = objects.find((object) => object.key === `${prefix}v0/seg_${sequence}.ts`);
      expect(stored?.sha256).toBe(sha256(whole.subarray(offset, offset + length)));
    }
    await expectChecksumsOfStoredBytes(store, objects);
    const copy = (await archivedPlaylist(store, entry)) as types.MediaPlaylist;
    expect(copy.mediaSequenceBase).toBe(1);
    expect(copy.segments.map((segment) => segment.uri)).toEqual(['v0/seg_1.ts', 'v0/seg_2.ts']);
  });

  it('stores what a media playlist without EXT-X-ENDLIST lists, writes no playlist and fails as transient; the run after the end completes it', async () => {
    // Prepare: the vendor's playlist of a recording still being written (two of its three segments, no end)
    const lines = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8'))
      .split('\n')
      .filter((line) => !['', '#EXT-X-ENDLIST', '#EXT-X-PLAYLIST-TYPE:VOD'].includes(line));
    const firstSegment = lines.findIndex((line) => line.startsWith('#EXTINF'));
    const segments = lines.slice(firstSegment).map((line) => (line.startsWith('#') ? line : `../ts/${line}`));
    const growing = (count: number, finished: boolean) =>
      [
        ...lines.slice(0, firstSegment),
        ...segments.slice(0, 2 * count),
        finished ? '#EXT-X-ENDLIST' : '',
        '',
      ].join('\n');
    await mkdir(join(media, 'growing'), { recursive: true });
    await writeFile(join(media, 'growing', 'index.m3u8'), growing(2, false));
    await writeMasterPlaylist(join(media, 'growing'), [{ uri: 'index.m3u8', bandwidth: 500_000 }]);
    const { store, asset, prefix, entry } = await prepare('/growing/index.m3u8');
    const viaMaster = await prepare('/growing/master.m3u8');

    // Act
    const unfinished = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);
    const unfinishedMaster = await archiveHlsRecording({
      asset: viaMaster.asset,
      source,
      store: viaMaster.store,
    }).catch((error: unknown) => error);
    const storedWhileUnfinished = [...store.records.keys()].sort();
    await writeFile(join(media, 'growing', 'index.m3u8'), growing(3, true));
    server.reset();
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(unfinished).toBeInstanceOf(RecordingInProgressError);
    expect(unfinished).toMatchObject({ transient: true, key: `${prefix}v0/index.m3u8` });
    expect(unfinishedMaster).toBeInstanceOf(RecordingInProgressError);
    expect(await viaMaster.store.archived(viaMaster.entry)).toBeUndefined();
    expect(storedWhileUnfinished).toEqual([`${prefix}v0/seg_0.ts`, `${prefix}v0/seg_1.ts`]);
    expect(server.requests().map((request) => request.path)).toEqual(['/growing/index.m3u8', '/ts/seg_2.ts']);
    expect(objects.at(-1)?.key).toBe(entry);
    await expectChecksumsOfStoredBytes(store, objects);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('fetches no EXT-X-GAP segment nor a key only gaps use, and keeps the gap in a copy that plays', async () => {
    // Prepare: the AES recording with its middle segment a gap, under a key of its own; neither is served
    const aesLines = (await readFile(join(media, 'aes', 'index.m3u8'), 'utf8')).split('\n');
    const keyLine = (aesLines.find((line) => line.startsWith('#EXT-X-KEY:')) ?? '').replace(
      'key.bin',
      '../aes/key.bin',
    );
    const gapKey = '#EXT-X-KEY:METHOD=AES-128,URI="gone.key",IV=0x00000000000000000000000000000001';
    const lines = aesLines.flatMap((line, at) => {
      if (line.startsWith('#EXT-X-KEY:')) return [keyLine];
      if (line.startsWith('#EXT-X-VERSION:')) return ['#EXT-X-VERSION:8'];
      if (line === 'seg_1.ts') return ['#EXT-X-GAP', 'gone.ts', keyLine];
      if (aesLines[at + 1] === 'seg_1.ts') return [gapKey, line];
      return [/^seg_\d\.ts$/.test(line) ? `../aes/${line}` : line];
    });
    await mkdir(join(media, 'gap'), { recursive: true });
    await writeFile(join(media, 'gap', 'index.m3u8'), lines.join('\n'));
    const { store, asset, prefix, entry } = await prepare('/gap/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(
      server
        .requests()
        .map((request) => request.path)
        .sort(),
    ).toEqual(['/aes/key.bin', '/aes/seg_0.ts', '/aes/seg_2.ts', '/gap/index.m3u8']);
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/key_0.key',
      'v0/seg_0.ts',
      'v0/seg_2.ts',
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    const variant = (await archivedPlaylist(store, `${prefix}v0/index.m3u8`)) as types.MediaPlaylist;
    expect(variant.segments.map((segment) => [segment.uri, segment.gap === true, segment.key?.uri])).toEqual([
      ['seg_0.ts', false, 'key_0.key'],
      ['seg_1.ts', true, 'key_1.key'],
      ['seg_2.ts', false, 'key_0.key'],
    ]);
    // Players skip the gap: two segments' frames, on the source's timeline
    const expected = sourceProbes.get('aes/index.m3u8');
    const archived = await probeHls(store.pathOf(entry));
    expect(archived.frames).toBe(((expected?.frames ?? 0) * 2) / 3);
    expect(archived.duration).toBeCloseTo(expected?.duration ?? Number.NaN, 1);
  });

  it('keeps a key given inline (data: URI) in the copy, fetching nothing for it, and the copy plays', async () => {
    // Prepare: the AES recording with its key inline
    const keyBytes = await readFile(join(media, 'aes', 'key.bin'));
    const inline = `data:application/octet-stream;base64,${keyBytes.toString('base64')}`;
    const lines = (await readFile(join(media, 'aes', 'index.m3u8'), 'utf8'))
      .split('\n')
      .map((line) =>
        line.startsWith('#EXT-X-KEY:')
          ? line.replace('URI="key.bin"', `URI="${inline}"`)
          : /^seg_\d\.ts$/.test(line)
            ? `../aes/${line}`
            : line,
      );
    await mkdir(join(media, 'inline-key'), { recursive: true });
    await writeFile(join(media, 'inline-key', 'index.m3u8'), lines.join('\n'));
    const { store, asset, prefix, entry } = await prepare('/inline-key/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(server.requests().map((request) => request.path)).not.toContain('/aes/key.bin');
    expect(relativeKeys(objects, prefix)).toEqual([
      'v0/seg_0.ts',
      'v0/seg_1.ts',
      'v0/seg_2.ts',
      'v0/index.m3u8',
      'index.m3u8',
    ]);
    const variant = (await archivedPlaylist(store, `${prefix}v0/index.m3u8`)) as types.MediaPlaylist;
    for (const segment of variant.segments) expect(segment.key?.uri).toBe(inline);
    await expectPlaysLikeSource(store, entry, 'aes/index.m3u8');
  });

  it('refuses a DRM key server (skd:) as an invalid playlist, fetching no segment, never as a refused URL', async () => {
    // Prepare: a FairPlay-protected playlist
    const lines = (await readFile(join(media, 'aes', 'index.m3u8'), 'utf8'))
      .split('\n')
      .map((line) =>
        line.startsWith('#EXT-X-KEY:')
          ? '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-server/asset-1",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"'
          : line,
      );
    await mkdir(join(media, 'fairplay'), { recursive: true });
    await writeFile(join(media, 'fairplay', 'index.m3u8'), lines.join('\n'));
    const { store, asset } = await prepare('/fairplay/index.m3u8');

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(InvalidPlaylistError);
    expect((failed as Error).message).toContain(
      'a key served over skd: (SAMPLE-AES, com.apple.streamingkeydelivery): DRM-protected media cannot be archived',
    );
    expect(server.requests().map((request) => request.path)).toEqual(['/fairplay/index.m3u8']);
  });

  it('archives with the identity key when a DRM key for the same segments is listed after it', async () => {
    // Prepare: the AES-128 recording whose key tag is followed by a FairPlay one (one per KEYFORMAT)
    const lines = (await readFile(join(media, 'aes', 'index.m3u8'), 'utf8'))
      .split('\n')
      .flatMap((line) =>
        line.startsWith('#EXT-X-KEY:')
          ? [
              line,
              '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-server/asset-1",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"',
            ]
          : [line],
      );
    await mkdir(join(media, 'multikey'), { recursive: true });
    await writeFile(join(media, 'multikey', 'index.m3u8'), lines.join('\n'));
    for (const name of ['key.bin', 'seg_0.ts', 'seg_1.ts', 'seg_2.ts']) {
      await writeFile(join(media, 'multikey', name), await readFile(join(media, 'aes', name)));
    }
    const { store, asset, prefix, entry } = await prepare('/multikey/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess: the identity key archived and named by every segment; no DRM key in the copy; it plays
    expect(relativeKeys(objects, prefix)).toContain('v0/key_0.key');
    const copy = await readFile(store.pathOf(`${prefix}v0/index.m3u8`), 'utf8');
    expect(copy).not.toContain('skd:');
    await expectPlaysLikeSource(store, entry, 'aes/index.m3u8');
  });

  it('takes a live playlist that lists no segment yet for a recording in progress, and completes it later', async () => {
    // Prepare: the vendor's playlist before the first segment is written
    const text = await readFile(join(media, 'ts', 'index.m3u8'), 'utf8');
    const header = text.slice(0, text.indexOf('#EXTINF')).replace('#EXT-X-PLAYLIST-TYPE:VOD\n', '');
    await mkdir(join(media, 'starting'), { recursive: true });
    await writeFile(join(media, 'starting', 'index.m3u8'), header);
    const { store, asset, prefix, entry } = await prepare('/starting/index.m3u8');

    // Act
    const unfinished = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);
    const storedWhileUnfinished = store.records.size;
    await writeFile(join(media, 'starting', 'index.m3u8'), text.replaceAll('seg_', '../ts/seg_'));
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(header).not.toContain('#EXT-X-ENDLIST');
    expect(unfinished).toBeInstanceOf(RecordingInProgressError);
    expect(unfinished).toMatchObject({ transient: true, key: `${prefix}v0/index.m3u8` });
    expect(storedWhileUnfinished).toBe(0);
    expect(objects.at(-1)?.key).toBe(entry);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('archives a VOD playlist whose packager left EXT-X-ENDLIST out (a VOD playlist cannot change)', async () => {
    // Prepare
    const text = (await readFile(join(media, 'ts', 'index.m3u8'), 'utf8')).replace('#EXT-X-ENDLIST', '');
    await mkdir(join(media, 'vod-no-end'), { recursive: true });
    await writeFile(join(media, 'vod-no-end', 'index.m3u8'), text.replaceAll('seg_', '../ts/seg_'));
    const { store, asset, prefix, entry } = await prepare('/vod-no-end/index.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess: the copy gets the end tag (without it players read it as live and wait)
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(objects.at(-1)?.key).toBe(entry);
    expect(await archivedPlaylist(store, `${prefix}v0/index.m3u8`)).toMatchObject({ endlist: true });
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });

  it('propagates a transient failure as the source threw it and completes on the next run', async () => {
    // Prepare
    const { store, asset, entry } = await prepare('/fmp4/index.m3u8');
    server.behave('/fmp4/init.mp4', { kind: 'failing', status: 500, times: 1 });

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error) => error);
    const entryAfterFailure = await store.archived(entry);
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(failed).toBeInstanceOf(HttpTransientError);
    expect(failed).toMatchObject({ status: 500 });
    expect(entryAfterFailure).toBeUndefined();
    expect(server.requests('/fmp4/init.mp4').map((request) => request.status)).toEqual([500, 200]);
    expect(objects.at(-1)?.key).toBe(entry);
    await expectPlaysLikeSource(store, entry, 'fmp4/index.m3u8');
  });

  it('fetches nothing but the playlists, and writes nothing, when run again over a complete archive', async () => {
    // Prepare
    const { store, asset } = await prepare('/master/master.m3u8');
    const first = await archiveHlsRecording({ asset, source, store, variants: 'all' });
    server.reset();
    const putsBefore = store.puts.length;

    // Act
    const second = await archiveHlsRecording({ asset, source, store, variants: 'all' });

    // Assess
    expect(server.requests().map((request) => request.path)).toEqual(
      expect.arrayContaining(['/master/master.m3u8', '/master/low/index.m3u8', '/master/high/index.m3u8']),
    );
    expect(server.requests()).toHaveLength(3);
    expect(store.puts.length).toBe(putsBefore);
    expect(second).toEqual(first);
  });

  it('hands segments to the store as streams, never as whole buffers', async () => {
    // Prepare
    const fmp4 = await prepare('/fmp4/index.m3u8');
    const byterange = await prepare('/byterange/index.m3u8');

    // Act
    await archiveHlsRecording({ asset: fmp4.asset, source, store: fmp4.store });
    await archiveHlsRecording({ asset: byterange.asset, source, store: byterange.store });

    // Assess
    for (const { store } of [fmp4, byterange]) {
      const media = [...store.bodies].filter(([key]) => !key.endsWith('.m3u8'));
      expect(media.length).toBeGreaterThanOrEqual(3);
      for (const [key, body] of media) expect({ key, body }).toEqual({ key, body: 'stream' });
    }
  });

  it('keeps at most `concurrency` objects in flight, 4 by default', async () => {
    // Prepare: six slow segments
    const slow = () => {
      for (let index = 0; index < 6; index += 1) {
        server.behave(`/long/seg_${index}.ts`, { kind: 'slow', delayMs: 300 });
      }
    };
    const two = await prepare('/long/index.m3u8');
    const byDefault = await prepare('/long/index.m3u8');

    // Act
    slow();
    await archiveHlsRecording({ asset: two.asset, source, store: two.store, concurrency: 2 });
    const peakWithTwo = server.maxInFlight();
    server.reset();
    slow();
    await archiveHlsRecording({ asset: byDefault.asset, source, store: byDefault.store });
    const peakByDefault = server.maxInFlight();

    // Assess
    expect(peakWithTwo).toBe(2);
    expect(peakByDefault).toBe(4);
    expect(hlsArchiverDefaults.concurrency).toBe(4);
  });

  it('fails with UnexpectedMediaTypeError, storing nothing for it, when a segment is answered with an HTML page', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/fmp4/index.m3u8');
    server.behave('/fmp4/init.mp4', { kind: 'page' });

    // Act
    const failed = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error) => error,
    );

    // Assess
    expect(failed).toBeInstanceOf(UnexpectedMediaTypeError);
    expect(failed).toMatchObject({
      transient: false,
      key: `${prefix}v0/init_0.mp4`,
      received: 'text/html; charset=utf-8',
    });
    expect(await store.archived(`${prefix}v0/init_0.mp4`)).toBeUndefined();
    expect(await store.archived(entry)).toBeUndefined();
  });

  it('fails with UnexpectedMediaSizeError, storing nothing for it, when the server ignores Range', async () => {
    // Prepare
    const { store, asset, prefix, entry } = await prepare('/byterange/index.m3u8');
    server.behave('/byterange/all.ts', { kind: 'ignoring-range' });

    // Act
    const failed = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error) => error,
    );

    // Assess
    expect(failed).toBeInstanceOf(UnexpectedMediaSizeError);
    expect(failed).toMatchObject({
      name: 'UnexpectedMediaSizeError',
      transient: false,
      key: `${prefix}v0/seg_0.ts`,
    });
    expect(store.records.size).toBe(0);
    expect(await store.archived(entry)).toBeUndefined();
  });

  it.each([
    [
      'an HTML page',
      '/invalid/page.m3u8',
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: no #EXTM3U header: not HLS',
    ],
    [
      'a master naming an MP3',
      '/invalid/master.m3u8',
      'invalid HLS playlist for interviews/i?/screen/v0/index.m3u8: no #EXTM3U header: not HLS',
    ],
    [
      'a playlist listing nothing',
      '/invalid/empty.m3u8',
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: lists no segments',
    ],
    [
      'a finished playlist of gap segments only',
      '/invalid/gaps.m3u8',
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: lists only gap segments',
    ],
    [
      'a playlist over the 8 MiB cap',
      '/padded/big.m3u8',
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: larger than 8388608 bytes',
    ],
  ])('refuses %s with the permanent InvalidPlaylistError', async (_what, path, message) => {
    // Prepare
    const { store, asset } = await prepare(path);

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error) => error);

    // Assess
    expect(failed).toBeInstanceOf(InvalidPlaylistError);
    expect(failed).toMatchObject({ name: 'InvalidPlaylistError', transient: false });
    expect((failed as Error).message).toBe(message.replace('i?', asset.keyPrefix.split('/')[1] ?? ''));
    expect(store.records.size).toBe(0);
  });

  it.each([
    [
      'a playlist listing more URIs than the default 20,000',
      '/invalid/endless.m3u8',
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: lists 20001 URIs, more than 20000',
    ],
    [
      'a master naming more than 16 media playlists',
      '/invalid/renditions.m3u8',
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: names 17 media playlists (variants and renditions), more than 16',
    ],
  ])(
    'refuses %s before reading further (its plan would not fit in memory), storing nothing',
    async (_what, path, message) => {
      // Prepare
      const { store, asset } = await prepare(path);

      // Act
      const failed = await archiveHlsRecording({ asset, source, store }).catch((error) => error);

      // Assess: the entry alone was read, nothing planned from it fetched
      expect(failed).toBeInstanceOf(InvalidPlaylistError);
      expect(failed).toMatchObject({ transient: false });
      expect((failed as Error).message).toBe(message.replace('i?', asset.keyPrefix.split('/')[1] ?? ''));
      expect(server.requests().map((request) => request.path)).toEqual([path]);
      expect(store.records.size).toBe(0);
    },
  );

  it.each([
    [
      'a media playlist at its URI limit (3 segments)',
      '/ts/index.m3u8',
      { maxPlaylistEntries: 3 },
      undefined,
    ],
    [
      'a media playlist one URI over the limit',
      '/ts/index.m3u8',
      { maxPlaylistEntries: 2 },
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: lists 3 URIs, more than 2',
    ],
    [
      "a master's variant URIs over the limit (counted before the master is parsed too)",
      '/master/master.m3u8',
      { maxPlaylistEntries: 1 },
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: lists 2 URIs, more than 1',
    ],
    [
      'a master at its media playlist limit (both variants kept)',
      '/master/master.m3u8',
      { variants: 'all', maxMediaPlaylists: 2 },
      undefined,
    ],
    [
      'a master one media playlist over the limit',
      '/master/master.m3u8',
      { variants: 'all', maxMediaPlaylists: 1 },
      'invalid HLS playlist for interviews/i?/screen/index.m3u8: names 2 media playlists (variants and renditions), more than 1',
    ],
  ] as const)('holds the configured limits exactly: %s', async (_what, path, limits, refusal) => {
    // Prepare
    const { store, asset, entry } = await prepare(path);

    // Act
    const outcome = await archiveHlsRecording({ asset, source, store, ...limits }).catch((error) => error);

    // Assess: archived whole at the limit; over it, refused for good before anything it lists is fetched
    if (refusal === undefined) {
      expect(Array.isArray(outcome) && outcome.at(-1)?.key).toBe(entry);
    } else {
      expect(outcome).toBeInstanceOf(InvalidPlaylistError);
      expect((outcome as Error).message).toBe(refusal.replace('i?', asset.keyPrefix.split('/')[1] ?? ''));
      expect(server.requests().map((request) => request.path)).toEqual([path]);
    }
  });

  it('reads a playlist just under the 8 MiB cap', async () => {
    // Prepare
    const { store, asset, entry } = await prepare('/padded/fits.m3u8');

    // Act
    const objects = await archiveHlsRecording({ asset, source, store });

    // Assess
    expect(objects.at(-1)?.key).toBe(entry);
    await expectPlaysLikeSource(store, entry, 'ts/index.m3u8');
  });
});
