/**
 * archiveMediaFile against an MP3 made by ffmpeg, served over HTTP on 127.0.0.1, into a filesystem store:
 * streaming with a checksum, ROUND0's expiring audio URLs refreshed once, and no fetch for what is archived.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MediaUrlExpiredError, UnexpectedMediaTypeError } from '../../../functions/archive/errors.js';
import { archiveMediaFile, type MediaFileAsset } from '../../../functions/archive/file-archiver.js';
import { HttpPermanentError, HttpTransientError } from '../../../functions/platform/errors.js';
import { ffmpegAvailable, makeAudio, makeMp3, makePdf } from '../../../local/media/generate.js';
import { FsArchiveStore } from './fs-store.js';
import { createFetchMediaSource, type MediaServer, startMediaServer } from './media-server.js';

let root: string;
let server: MediaServer;
let mp3: Buffer;
const source = createFetchMediaSource();
const answerPath = '/audio/answer.mp3';
const reportPath = '/report.pdf';
/** A "link expired" page a CDN answers with 200 (served as text/html). */
const pagePath = '/expired.html';
const pdf = makePdf();

beforeAll(async () => {
  if (!(await ffmpegAvailable())) throw new Error('these tests need ffmpeg: apt-get install -y ffmpeg');
  root = await mkdtemp(join(tmpdir(), 'file-archiver-'));
  const media = join(root, 'media');
  await mkdir(join(media, 'audio'), { recursive: true });
  await makeMp3(join(media, 'audio', 'answer.mp3'));
  await Promise.all(['wav', 'm4a', 'flac'].map((ext) => makeAudio(join(media, 'audio', `answer.${ext}`))));
  mp3 = await readFile(join(media, 'audio', 'answer.mp3'));
  await writeFile(join(media, 'report.pdf'), pdf);
  await writeFile(
    join(media, 'expired.html'),
    '<!DOCTYPE html><html><body><h1>This link has expired</h1></body></html>\n',
  );
  server = await startMediaServer(media);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

beforeEach(() => server.reset());

let interviews = 0;

/** A fresh store and a ROUND0 answer asset (with `refresh` unless told otherwise) at `url`. */
const prepare = async (url: string, options: { refresh?: boolean } = {}) => {
  interviews += 1;
  const store = new FsArchiveStore(await mkdtemp(join(root, 'store-')));
  const asset: MediaFileAsset = {
    kind: 'file',
    name: 'question_q1',
    key: `interviews/r${interviews}/question_q1.mp3`,
    sourceUrl: url,
    contentType: 'audio/mpeg',
    ...(options.refresh === false
      ? {}
      : { refresh: { round0InterviewId: `r${interviews}`, questionId: 'q1' } }),
  };
  return { store, asset };
};

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('archiveMediaFile', () => {
  it('streams an MP3 into the store and returns its checksum', async () => {
    // Prepare
    const { store, asset } = await prepare(`${server.url(answerPath)}?X-Amz-Signature=secret`);

    // Act
    const object = await archiveMediaFile({ asset, source, store });

    // Assess
    expect(object).toEqual({
      key: asset.key,
      size: mp3.length,
      sha256: sha256(mp3),
      contentType: 'audio/mpeg',
      sourceUrl: server.url(answerPath),
    });
    expect(await store.stored(asset.key)).toEqual({ sha256: sha256(mp3), size: mp3.length });
    expect(store.bodies.get(asset.key)).toBe('stream');
  });

  it.each([
    ['wav', 'audio/wav'],
    ['m4a', 'audio/mp4'],
    ['flac', 'audio/flac'],
  ])(
    'stores answer audio that is %s, not MP3, under its key with its own content type %s',
    async (extension, contentType) => {
      // Prepare: the asset expects an MP3 (the key and type tasks.ts gives every answer)
      const path = `/audio/answer.${extension}`;
      const { store, asset } = await prepare(server.url(path));

      // Act
      const object = await archiveMediaFile({ asset, source, store });

      // Assess
      expect(asset.contentType).toBe('audio/mpeg');
      expect(object).toMatchObject({ key: asset.key, contentType });
      expect((await store.archived(asset.key))?.contentType).toBe(contentType);
    },
  );

  it('refreshes an expired URL (403) once and archives from the fresh one', async () => {
    // Prepare
    server.behave(answerPath, { kind: 'expiring' });
    const { store, asset } = await prepare(server.url(answerPath));
    const refreshUrl = jest.fn(async () => server.freshUrl(answerPath));

    // Act
    const object = await archiveMediaFile({ asset, source, store, refreshUrl });

    // Assess
    expect(refreshUrl).toHaveBeenCalledTimes(1);
    expect(server.requests(answerPath).map(({ query, status }) => ({ fresh: query !== '', status }))).toEqual(
      [
        { fresh: false, status: 403 },
        { fresh: true, status: 200 },
      ],
    );
    expect(object).toMatchObject({
      sha256: sha256(mp3),
      size: mp3.length,
      sourceUrl: server.url(answerPath),
    });
  });

  it.each([
    [
      'the refreshed URL is refused too',
      async () => server.url(answerPath),
      'the refreshed URL was refused too',
    ],
    ['the vendor lists no fresh URL', async () => undefined, 'the vendor lists no fresh URL for it'],
  ])('fails permanently with MediaUrlExpiredError when %s', async (_case, refresh, reason) => {
    // Prepare
    server.behave(answerPath, { kind: 'expiring' });
    const { store, asset } = await prepare(server.url(answerPath));
    const refreshUrl = jest.fn(refresh);

    // Act
    const failed = await archiveMediaFile({ asset, source, store, refreshUrl }).catch((error) => error);

    // Assess
    expect(failed).toBeInstanceOf(MediaUrlExpiredError);
    expect(failed).toMatchObject({ name: 'MediaUrlExpiredError', transient: false, key: asset.key, reason });
    expect(refreshUrl).toHaveBeenCalledTimes(1);
    expect(store.records.size).toBe(0);
  });

  it('keeps the last refusal as the cause when the refreshed URL is refused', async () => {
    // Prepare
    server.behave(answerPath, { kind: 'expiring' });
    const { store, asset } = await prepare(server.url(answerPath));

    // Act
    const failed = await archiveMediaFile({
      asset,
      source,
      store,
      refreshUrl: async () => server.url(answerPath),
    }).catch((error) => error);

    // Assess
    expect((failed as Error).cause).toBeInstanceOf(HttpPermanentError);
    expect((failed as Error).cause).toMatchObject({ status: 403 });
  });

  it.each([
    ['no refreshUrl is given', { refresh: true, withRefreshUrl: false }],
    ['the asset has no refresh (a micro1 report)', { refresh: false, withRefreshUrl: true }],
  ])('fails with the permanent 403 as the source threw it when %s', async (_case, setup) => {
    // Prepare
    server.behave(answerPath, { kind: 'expiring' });
    const { store, asset } = await prepare(server.url(answerPath), { refresh: setup.refresh });
    const refreshUrl = jest.fn(async () => server.freshUrl(answerPath));

    // Act
    const failed = await archiveMediaFile({
      asset,
      source,
      store,
      ...(setup.withRefreshUrl ? { refreshUrl } : {}),
    }).catch((error) => error);

    // Assess
    expect(failed).toBeInstanceOf(HttpPermanentError);
    expect(failed).toMatchObject({ status: 403 });
    expect(refreshUrl).not.toHaveBeenCalled();
    expect(server.requests(answerPath)).toHaveLength(1);
    expect(store.records.size).toBe(0);
  });

  it('does not refresh on a transient failure: it propagates for the queue to retry', async () => {
    // Prepare
    server.behave(answerPath, { kind: 'failing', status: 503, times: 1 });
    const { store, asset } = await prepare(server.url(answerPath));
    const refreshUrl = jest.fn(async () => server.freshUrl(answerPath));

    // Act
    const failed = await archiveMediaFile({ asset, source, store, refreshUrl }).catch((error) => error);

    // Assess
    expect(failed).toBeInstanceOf(HttpTransientError);
    expect(failed).toMatchObject({ status: 503 });
    expect(refreshUrl).not.toHaveBeenCalled();
  });

  it('streams a PDF report into the store', async () => {
    // Prepare
    const { store, asset: answer } = await prepare(server.url(reportPath), { refresh: false });
    const asset = {
      ...answer,
      key: answer.key.replace(/[^/]+$/, 'report.pdf'),
      contentType: 'application/pdf',
    };

    // Act
    const object = await archiveMediaFile({ asset, source, store });

    // Assess
    expect(object).toMatchObject({ size: pdf.length, sha256: sha256(pdf), contentType: 'application/pdf' });
    expect(await store.stored(asset.key)).toEqual({ sha256: sha256(pdf), size: pdf.length });
    expect(store.bodies.get(asset.key)).toBe('stream');
  });

  it.each([
    ['an answer’s audio', 'audio/mpeg', 'question_q1.mp3'],
    ['a report', 'application/pdf', 'report.pdf'],
  ])(
    'fails permanently with UnexpectedMediaTypeError, storing nothing, when an HTML page is answered 200 for %s',
    async (_what, contentType, file) => {
      // Prepare: an asset without a refresh (a report; an answer whose interview cannot be read again)
      const { store, asset: answer } = await prepare(server.url(pagePath), { refresh: false });
      const asset = { ...answer, key: answer.key.replace(/[^/]+$/, file), contentType };
      const refreshUrl = jest.fn(async () => server.freshUrl(answerPath));

      // Act
      const failed = await archiveMediaFile({ asset, source, store, refreshUrl }).catch((error) => error);

      // Assess
      expect(failed).toBeInstanceOf(UnexpectedMediaTypeError);
      expect(failed).toMatchObject({
        transient: false,
        key: asset.key,
        expected: contentType,
        received: 'text/html',
      });
      expect(store.puts).toEqual([]);
      expect(store.records.size).toBe(0);
      expect(await store.archived(asset.key)).toBeUndefined();
      expect(refreshUrl).not.toHaveBeenCalled();
    },
  );

  it('refreshes an answer whose URL is answered with a "link expired" page (200) once, and archives the audio', async () => {
    // Prepare
    const { store, asset } = await prepare(server.url(pagePath));
    const refreshUrl = jest.fn(async () => server.freshUrl(answerPath));

    // Act
    const object = await archiveMediaFile({ asset, source, store, refreshUrl });

    // Assess
    expect(refreshUrl).toHaveBeenCalledTimes(1);
    expect(object).toMatchObject({ sha256: sha256(mp3), size: mp3.length });
  });

  it('fails with UnexpectedMediaTypeError when the refreshed URL is answered with a page too', async () => {
    // Prepare
    const { store, asset } = await prepare(server.url(pagePath));
    const refreshUrl = jest.fn(async () => server.freshUrl(pagePath));

    // Act
    const failed = await archiveMediaFile({ asset, source, store, refreshUrl }).catch((error) => error);

    // Assess
    expect(refreshUrl).toHaveBeenCalledTimes(1);
    expect(failed).toBeInstanceOf(UnexpectedMediaTypeError);
    expect(store.puts).toEqual([]);
  });

  it('fetches nothing when the store already holds the object', async () => {
    // Prepare
    const { store, asset } = await prepare(server.url(answerPath));
    const first = await archiveMediaFile({ asset, source, store });
    server.reset();
    const refreshUrl = jest.fn(async () => server.freshUrl(answerPath));

    // Act
    const second = await archiveMediaFile({ asset, source, store, refreshUrl });

    // Assess
    expect(second).toEqual(first);
    expect(server.requests()).toEqual([]);
    expect(store.puts).toEqual([asset.key]);
    expect(refreshUrl).not.toHaveBeenCalled();
  });
});
