/**
 * archiveHlsRecording and playlist variables (`EXT-X-DEFINE`, RFC 8216bis §4.3), against an in-memory media
 * source and a filesystem store. hls-parser records the definitions and substitutes nothing: a URI naming a
 * variable was fetched literally (`%7B$name%7D`), 404'd, and the recording was refused with a misleading
 * reason. Every URI is now resolved with its variables' values (`NAME`/`VALUE`, `QUERYPARAM` from the URL the
 * playlist was read from, `IMPORT` from the master), the archived copies keep neither the definitions nor a
 * reference, and a reference to a variable not defined is refused as an invalid playlist before anything
 * else is fetched.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { InvalidPlaylistError } from '../../../functions/archive/errors.js';
import { archiveHlsRecording } from '../../../functions/archive/hls-archiver.js';
import type { MediaResponse, MediaSource } from '../../../functions/archive/types.js';
import { HttpPermanentError } from '../../../functions/platform/errors.js';
import { hlsScratchRuns } from './fs-store.js';

const origin = 'https://media.example';
const keyBytes = Buffer.alloc(16, 7);

/**
 * A media source serving `files` (by path); a path it does not have answers 404, and so does every request
 * whose query has no `token` of `requiredToken` when one is given (a CDN checking a signed token).
 * `requests` lists each URL asked for, path and query.
 */
const sourceOf = (files: Readonly<Record<string, string | Buffer>>, requiredToken?: string) => {
  const requests: string[] = [];
  const source: MediaSource = {
    async fetch(url): Promise<MediaResponse> {
      const { pathname, search } = new URL(url);
      requests.push(`${pathname}${search}`);
      const body = files[pathname];
      const tokenRefused =
        requiredToken !== undefined && new URLSearchParams(search).get('token') !== requiredToken;
      if (body === undefined || tokenRefused) {
        const operation = `GET ${pathname}`;
        throw new HttpPermanentError(`${operation}: HTTP 404`, { operation, status: 404 });
      }
      const contentType = pathname.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp4';
      return {
        status: 200,
        headers: new Headers({ 'content-type': contentType }),
        body: Readable.from([Buffer.from(body)]),
        url,
      };
    },
  };
  return { source, requests };
};

const nextRun = hlsScratchRuns('defines');

/** A fresh store and an asset read from `sourceUrl`, archived under `prefix`. */
const prepare = (sourceUrl: string) => {
  const { store, asset, prefix } = nextRun(sourceUrl);
  const text = (key: string) => readFile(store.pathOf(`${prefix}${key}`), 'utf8');
  return { store, asset, prefix, text };
};

describe('archiveHlsRecording: EXT-X-DEFINE variables', () => {
  it('resolves NAME/VALUE variables in segment, init section and key URIs, and writes a copy without them', async () => {
    // Prepare: every URI of the playlist goes through {$dir}, the init and key attributes through {$base} too
    const playlist = [
      '#EXTM3U',
      '#EXT-X-VERSION:8',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-DEFINE:NAME="dir",VALUE="media/v1"',
      '#EXT-X-DEFINE:NAME="base",VALUE="init"',
      '#EXT-X-MAP:URI="{$dir}/{$base}.mp4"',
      '#EXT-X-KEY:METHOD=AES-128,URI="{$dir}/key.bin",IV=0x00000000000000000000000000000001',
      '#EXTINF:2,',
      '{$dir}/s0.m4s',
      '#EXTINF:2,',
      '{$dir}/s1.m4s',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n');
    const { source, requests } = sourceOf({
      '/rec/index.m3u8': playlist,
      '/rec/media/v1/init.mp4': 'init section',
      '/rec/media/v1/key.bin': keyBytes,
      '/rec/media/v1/s0.m4s': 'segment 0',
      '/rec/media/v1/s1.m4s': 'segment 1',
    });
    const { store, asset, prefix, text } = prepare(`${origin}/rec/index.m3u8`);

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess: the substituted URLs fetched, the objects stored, the copy naming them with no variable left
    expect(requests.toSorted()).toEqual([
      '/rec/index.m3u8',
      '/rec/media/v1/init.mp4',
      '/rec/media/v1/key.bin',
      '/rec/media/v1/s0.m4s',
      '/rec/media/v1/s1.m4s',
    ]);
    expect(await text('v0/init_0.mp4')).toBe('init section');
    expect(await text('v0/seg_1.m4s')).toBe('segment 1');
    expect(await readFile(store.pathOf(`${prefix}v0/key_0.key`))).toEqual(keyBytes);
    for (const key of ['index.m3u8', 'v0/index.m3u8']) {
      const copy = await text(key);
      expect(copy).not.toContain('{$');
      expect(copy).not.toContain('EXT-X-DEFINE');
      expect(copy).toContain('key_0.key",IV=');
    }
  });

  it('passes the master’s signed token on by QUERYPARAM and IMPORT to the media playlist and its segments', async () => {
    // Prepare: a CDN refusing every request without the token; the master passes it to its variant, whose
    // playlist passes it to its segments (its own QUERYPARAM) under a path imported from the master
    // (IMPORT), given percent-encoded in the master's URL
    const token = 'exp=1700000000~hmac=0a1b2c';
    const master = [
      '#EXTM3U',
      '#EXT-X-VERSION:11',
      '#EXT-X-DEFINE:QUERYPARAM="token"',
      '#EXT-X-DEFINE:QUERYPARAM="dir"',
      '#EXT-X-STREAM-INF:BANDWIDTH=500000',
      'media.m3u8?token={$token}',
      '',
    ].join('\n');
    const media = [
      '#EXTM3U',
      '#EXT-X-VERSION:11',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-DEFINE:QUERYPARAM="token"',
      '#EXT-X-DEFINE:IMPORT="dir"',
      '#EXTINF:2,',
      '{$dir}/s0.ts?token={$token}',
      '#EXTINF:2,',
      '{$dir}/s1.ts?token={$token}',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n');
    const { source, requests } = sourceOf(
      {
        '/rec/master.m3u8': master,
        '/rec/media.m3u8': media,
        '/rec/seg/v1/s0.ts': 'segment 0',
        '/rec/seg/v1/s1.ts': 'segment 1',
      },
      token,
    );
    const url = `${origin}/rec/master.m3u8?dir=${encodeURIComponent('seg/v1')}&token=${encodeURIComponent(token)}`;
    const { store, asset, text } = prepare(url);

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess: each request carried the token (percent-decoded, as substituted), the segments were found under
    // the decoded path, and the archived playlists (played from the archive, without any query) define and
    // refer to nothing
    expect(requests.slice(1).toSorted()).toEqual([
      `/rec/media.m3u8?token=${token}`,
      `/rec/seg/v1/s0.ts?token=${token}`,
      `/rec/seg/v1/s1.ts?token=${token}`,
    ]);
    expect(await text('v0/seg_0.ts')).toBe('segment 0');
    for (const key of ['index.m3u8', 'v0/index.m3u8']) {
      const copy = await text(key);
      expect(copy).not.toContain('{$');
      expect(copy).not.toContain('EXT-X-DEFINE');
    }
    expect(await text('index.m3u8')).toContain('\nv0/index.m3u8');
  });

  it.each([
    ['a variable no EXT-X-DEFINE defines', '', '', 'uses the variable dir, not defined before'],
    [
      'a variable defined only after its use',
      '',
      '#EXT-X-DEFINE:NAME="dir",VALUE="media"',
      'uses the variable dir, not defined before',
    ],
    [
      'a variable imported without a master',
      '#EXT-X-DEFINE:IMPORT="dir"',
      '',
      'an EXT-X-DEFINE of dir that defines no usable variable',
    ],
    [
      'a query parameter its URL does not have',
      '#EXT-X-DEFINE:QUERYPARAM="dir"',
      '',
      'an EXT-X-DEFINE of dir that defines no usable variable',
    ],
    [
      'a variable defined twice',
      '#EXT-X-DEFINE:NAME="dir",VALUE="media"\n#EXT-X-DEFINE:NAME="dir",VALUE="b"',
      '',
      'an EXT-X-DEFINE of dir that defines no usable variable',
    ],
  ])(
    'refuses a playlist using %s as invalid, fetching nothing it lists',
    async (_what, before, after, reason) => {
      // Prepare
      const playlist = ['#EXTM3U', '#EXT-X-VERSION:8', '#EXT-X-TARGETDURATION:2', before]
        .concat(['#EXTINF:2,', '{$dir}/s0.ts', after, '#EXT-X-ENDLIST', ''])
        .join('\n');
      const { source, requests } = sourceOf({ '/rec/index.m3u8': playlist, '/rec/media/s0.ts': 'segment' });
      const { store, asset, prefix } = prepare(`${origin}/rec/index.m3u8?token=t`);

      // Act
      const failed = await archiveHlsRecording({ asset, source, store }).catch((error: unknown) => error);

      // Assess
      expect(failed).toBeInstanceOf(InvalidPlaylistError);
      expect(failed).toMatchObject({ key: `${prefix}index.m3u8`, reason, transient: false });
      expect(requests).toEqual(['/rec/index.m3u8?token=t']);
      expect(store.puts).toEqual([]);
    },
  );
});
