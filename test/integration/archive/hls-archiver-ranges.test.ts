/**
 * archiveHlsRecording at the edges of byte ranges and of a run over a complete archive, against an in-memory
 * media source (which, like media-source.ts, throws a RangeError for a range it cannot ask for) and a
 * filesystem store:
 * - an `EXT-X-MAP` `BYTERANGE` without offset starts at 0 (the parser marks the offset -1);
 * - a first segment's `EXT-X-BYTERANGE` without offset (no previous range to follow) is an invalid playlist,
 *   refused before anything is fetched;
 * - a resume over a range whose length changed fetches it again rather than keeping the old bytes;
 * - a transient failure over a complete archive is thrown (retried), where a permanent one finds the archive.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { InvalidPlaylistError } from '../../../functions/archive/errors.js';
import { archiveHlsRecording } from '../../../functions/archive/hls-archiver.js';
import type { MediaResponse, MediaSource } from '../../../functions/archive/types.js';
import { HttpPermanentError, HttpTransientError } from '../../../functions/platform/errors.js';
import { hlsScratchRuns } from './fs-store.js';

const origin = 'https://media.example';
/** The one media file the recordings' ranges cut: 400 bytes, each telling its position. */
const file = Buffer.from(Array.from({ length: 400 }, (_, at) => at % 251));

/** A media playlist of `tags` before its segments, and `main.mp4` once for each `EXT-X-BYTERANGE` of `ranges`. */
const playlistOf = (tags: readonly string[], ranges: readonly string[]) =>
  ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', ...tags]
    .concat(ranges.flatMap((range) => ['#EXTINF:2,', `#EXT-X-BYTERANGE:${range}`, 'main.mp4']))
    .concat(['#EXT-X-ENDLIST', ''])
    .join('\n');

/**
 * A media source serving `/rec/index.m3u8` (`current.playlist`, changeable between runs, or `current.failure`
 * thrown when set) and `/rec/main.mp4` by ranges; `requests` lists each request as `path` or
 * `path offset+length`.
 */
const sourceOf = (playlist: string) => {
  const requests: string[] = [];
  const current: { playlist: string; failure?: Error } = { playlist };
  const source: MediaSource = {
    async fetch(url, range): Promise<MediaResponse> {
      const { pathname } = new URL(url);
      requests.push(range === undefined ? pathname : `${pathname} ${range.offset}+${range.length}`);
      // As media-source.ts: a range that cannot be asked for is a programming error, not an HTTP answer.
      if (
        range !== undefined &&
        (!Number.isSafeInteger(range.offset) || range.offset < 0 || range.length < 1)
      )
        throw new RangeError(`GET ${pathname}: invalid byte range`);
      if (pathname === '/rec/index.m3u8' && current.failure !== undefined) throw current.failure;
      let body: Buffer;
      if (pathname === '/rec/index.m3u8') body = Buffer.from(current.playlist);
      else if (pathname === '/rec/main.mp4')
        body = range ? file.subarray(range.offset, range.offset + range.length) : file;
      else {
        const operation = `GET ${pathname}`;
        throw new HttpPermanentError(`${operation}: HTTP 404`, { operation, status: 404 });
      }
      return {
        status: range ? 206 : 200,
        headers: new Headers({
          'content-type': pathname.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp4',
        }),
        body: Readable.from([body]),
        url,
      };
    },
  };
  return { source, requests, current };
};

const nextRun = hlsScratchRuns('ranges');

/** A fresh store and asset, archived under `prefix`. */
const prepare = () => {
  const { store, asset, prefix } = nextRun(`${origin}/rec/index.m3u8`);
  const bytes = (key: string) => readFile(store.pathOf(`${prefix}${key}`));
  return { store, asset, prefix, bytes };
};

describe('archiveHlsRecording: byte-range edges', () => {
  it('archives an EXT-X-MAP BYTERANGE without offset from the file’s start', async () => {
    // Prepare: the init section the first 100 bytes (no offset), then two ranges, the second without offset
    const { source, requests } = sourceOf(
      playlistOf(['#EXT-X-MAP:URI="main.mp4",BYTERANGE="100"'], ['150@100', '150']),
    );
    const { store, asset, bytes } = prepare();

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess
    expect(requests).toEqual([
      '/rec/index.m3u8',
      '/rec/main.mp4 0+100',
      '/rec/main.mp4 100+150',
      '/rec/main.mp4 250+150',
    ]);
    expect(await bytes('v0/init_0.mp4')).toEqual(file.subarray(0, 100));
    expect(await bytes('v0/seg_0.mp4')).toEqual(file.subarray(100, 250));
    expect(await bytes('v0/seg_1.mp4')).toEqual(file.subarray(250, 400));
  });

  it('refuses a first segment’s EXT-X-BYTERANGE without offset as an invalid playlist, fetching nothing', async () => {
    // Prepare: no previous segment whose range the first one's could follow (RFC 8216 §4.3.2.2)
    const { source, requests } = sourceOf(playlistOf([], ['150', '150']));
    const { store, asset, prefix } = prepare();

    // Act
    const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(InvalidPlaylistError);
    expect(failed).toMatchObject({
      key: `${prefix}v0/index.m3u8`,
      reason: 'a byte range without valid length and offset',
    });
    expect(requests).toEqual(['/rec/index.m3u8']);
    expect(store.puts).toEqual([]);
  });

  it('fetches again, on a resume, a range whose length changed, keeping none of the old bytes', async () => {
    // Prepare: archived whole with ranges of 100 bytes; the playlist now cuts the same file in longer ones
    const { source, requests, current } = sourceOf(playlistOf([], ['100@0', '100@100']));
    const { store, asset, prefix, bytes } = prepare();
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });
    current.playlist = playlistOf([], ['150@0', '250@150']);
    requests.length = 0;

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess
    expect(requests).toEqual(['/rec/index.m3u8', '/rec/main.mp4 0+150', '/rec/main.mp4 150+250']);
    expect(await bytes('v0/seg_0.mp4')).toEqual(file.subarray(0, 150));
    expect(await bytes('v0/seg_1.mp4')).toEqual(file.subarray(150, 400));
    expect(store.records.get(`${prefix}v0/seg_0.mp4`)).toMatchObject({ size: 150 });
  });
});

describe('archiveHlsRecording: a run over a complete archive', () => {
  it('throws a transient failure to read the playlist (retried), and finds the archive after a permanent one', async () => {
    // Prepare: archived whole; then the playlist fails, transiently (503), then for good (404)
    const { source, requests, current } = sourceOf(playlistOf([], ['100@0', '100@100']));
    const { store, asset, prefix } = prepare();
    await archiveHlsRecording({ asset, source, store });
    const entry = store.records.get(`${prefix}index.m3u8`);
    const operation = 'GET /rec/index.m3u8';
    requests.length = 0;

    // Act
    current.failure = new HttpTransientError(`${operation}: HTTP 503`, { operation, status: 503 });
    const transient = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);
    current.failure = new HttpPermanentError(`${operation}: HTTP 404`, { operation, status: 404 });
    const permanent = await archiveHlsRecording({ asset, source, store });

    // Assess: the recording may have changed behind a transient failure, so it is tried again later
    expect(transient).toBeInstanceOf(HttpTransientError);
    expect(transient).toMatchObject({ status: 503 });
    expect(entry).toBeDefined();
    expect(permanent).toEqual([entry]);
    expect(requests).toEqual(['/rec/index.m3u8', '/rec/index.m3u8']);
  });
});
