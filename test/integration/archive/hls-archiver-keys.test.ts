/**
 * archiveHlsRecording and the AES-128 keys of a recording, against an in-memory media source and a
 * filesystem store. A key is not checked for a page before it is read (its bytes may be anything): its
 * length (16 bytes, RFC 8216 §5.2) is what keeps a 200 "link expired" page from being archived as the key,
 * which would make a complete-looking copy that does not play. A key of the wrong length answered as an HTML
 * page is refused as a page, as a segment is: the playlist is read again once, for fresh URLs.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { UnexpectedMediaSizeError, UnexpectedMediaTypeError } from '../../../functions/archive/errors.js';
import { archiveHlsRecording } from '../../../functions/archive/hls-archiver.js';
import type { MediaResponse, MediaSource } from '../../../functions/archive/types.js';
import { hlsScratchRuns } from './fs-store.js';

const origin = 'https://media.example';
const keyBytes = Buffer.alloc(16, 7);
const page = '<!doctype html><html><body>This link has expired</body></html>\n';

/** An answer: its bytes and content type. */
interface Answer {
  readonly body: Buffer | string;
  readonly contentType: string;
}

const playlist = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000001',
  '#EXTINF:2,',
  'seg_0.ts',
  '#EXTINF:2,',
  'seg_1.ts',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

const media = (text: string): Answer => ({ body: text, contentType: 'video/mp2t' });
const key = (body: Buffer | string, contentType = 'application/octet-stream'): Answer => ({
  body,
  contentType,
});

/**
 * A media source serving the recording at `/rec/`, its key answered by `keyAnswers` in turn (the last one
 * again once they run out); `requests` lists the paths asked for.
 */
const sourceWithKey = (...keyAnswers: readonly Answer[]) => {
  const requests: string[] = [];
  let keyRequests = 0;
  const source: MediaSource = {
    async fetch(url): Promise<MediaResponse> {
      const path = new URL(url).pathname;
      requests.push(path);
      let answer: Answer;
      if (path === '/rec/index.m3u8')
        answer = { body: playlist, contentType: 'application/vnd.apple.mpegurl' };
      else if (path === '/rec/key.bin') {
        answer = keyAnswers[Math.min(keyRequests, keyAnswers.length - 1)] as Answer;
        keyRequests += 1;
      } else answer = media(`segment ${path}`);
      return {
        status: 200,
        headers: new Headers({ 'content-type': answer.contentType }),
        body: Readable.from([Buffer.from(answer.body)]),
        url,
      };
    },
  };
  return { source, requests };
};

const nextRun = hlsScratchRuns('keys');

/** A fresh store and asset, the archive's keys under `prefix`. */
const prepare = () => nextRun(`${origin}/rec/index.m3u8`);

describe('archiveHlsRecording: AES-128 keys', () => {
  it('archives a 16-byte key beside the segments', async () => {
    // Prepare
    const { store, asset, prefix } = prepare();
    const { source } = sourceWithKey(key(keyBytes));

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess
    expect(await readFile(store.pathOf(`${prefix}v0/key_0.key`))).toEqual(keyBytes);
    expect(store.records.has(`${prefix}index.m3u8`)).toBe(true);
  });

  it.each([
    ['of 15 bytes', 15],
    ['of 17 bytes', 17],
    ['answered empty', 0],
  ])('refuses a key %s for its size, records nothing for it and writes no playlist', async (_, size) => {
    // Prepare: a key server answering the wrong number of bytes (not a page), every time
    const { store, asset, prefix } = prepare();
    const { source, requests } = sourceWithKey(key(Buffer.alloc(size, 1)));

    // Act
    const failed = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error: unknown) => error,
    );

    // Assess: a permanent size failure (not a refusal of an expired URL: the playlist is read once)
    expect(failed).toBeInstanceOf(UnexpectedMediaSizeError);
    expect(failed).toMatchObject({
      key: `${prefix}v0/key_0.key`,
      expectedBytes: 16,
      receivedBytes: size,
      transient: false,
    });
    expect(store.records.has(`${prefix}v0/key_0.key`)).toBe(false);
    expect([...store.records.keys()].filter((stored) => stored.endsWith('.m3u8'))).toEqual([]);
    expect(requests.filter((path) => path === '/rec/index.m3u8')).toHaveLength(1);
  });

  it('refuses a key answered with a 200 HTML page as a page, after reading the playlist once more, and records nothing for it', async () => {
    // Prepare: the key’s URL answers a "link expired" page, every time
    const { store, asset, prefix } = prepare();
    const { source, requests } = sourceWithKey(key(page, 'text/html; charset=utf-8'));

    // Act
    const failed = await archiveHlsRecording({ asset, source, store, concurrency: 1 }).catch(
      (error: unknown) => error,
    );

    // Assess: refused as a page (as a segment would be), the playlist read again for fresh URLs first
    expect(failed).toBeInstanceOf(UnexpectedMediaTypeError);
    expect(failed).toMatchObject({ key: `${prefix}v0/key_0.key`, transient: false });
    expect(store.records.has(`${prefix}v0/key_0.key`)).toBe(false);
    expect([...store.records.keys()].filter((stored) => stored.endsWith('.m3u8'))).toEqual([]);
    expect(requests.filter((path) => path === '/rec/index.m3u8')).toHaveLength(2);
    expect(requests.filter((path) => path === '/rec/key.bin')).toHaveLength(2);
  });

  it('archives the key a fresh read of the playlist brings when its first answer was a 200 HTML page', async () => {
    // Prepare: a page first (its signed URL expired), the key once the playlist is read again
    const { store, asset, prefix } = prepare();
    const { source, requests } = sourceWithKey(key(page, 'text/html'), key(keyBytes));

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess: the key archived, the copy complete
    expect(await readFile(store.pathOf(`${prefix}v0/key_0.key`))).toEqual(keyBytes);
    expect(store.records.has(`${prefix}index.m3u8`)).toBe(true);
    expect(requests.filter((path) => path === '/rec/index.m3u8')).toHaveLength(2);
  });

  it('keeps a 16-byte key its server labels text/html: the length tells a key, not the label', async () => {
    // Prepare
    const { store, asset, prefix } = prepare();
    const { source } = sourceWithKey(key(keyBytes, 'text/html'));

    // Act
    await archiveHlsRecording({ asset, source, store, concurrency: 1 });

    // Assess
    expect(await readFile(store.pathOf(`${prefix}v0/key_0.key`))).toEqual(keyBytes);
    expect(store.records.has(`${prefix}index.m3u8`)).toBe(true);
  });
});
