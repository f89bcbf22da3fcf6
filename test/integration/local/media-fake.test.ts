/**
 * The media fake serves what the archive will fetch: decodable HLS (checked with ffprobe over http), MP3 and
 * PDF with their content types, byte ranges, and ROUND0-style pre-signed URLs that expire into a 403.
 * Needs ffmpeg/ffprobe (`.ci/run` installs them).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import HLS, { type types } from 'hls-parser';
import { type MediaFake, startMediaFake } from '../../../local/fakes/media.js';
import { ffmpegAvailable, probeHls } from '../../../local/media/generate.js';

const run = promisify(execFile);

/**
 * `probeHls` of local/media/generate.ts, over http: ffprobe follows the playlist's relative URIs (segments,
 * init segments, AES keys) on the fake and decodes every frame.
 */
const probeOverHttp = (url: string) => probeHls(url, { protocols: 'http,tcp,crypto,data' });

/** The duration of an audio file ffprobe reads over http. */
const audioSecondsOverHttp = async (url: string): Promise<number> => {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-protocol_whitelist',
    'http,tcp',
    '-show_entries',
    'format=duration:stream=codec_name',
    '-of',
    'json',
    url,
  ]);
  const parsed = JSON.parse(stdout) as {
    format?: { duration?: string };
    streams?: { codec_name?: string }[];
  };
  expect(parsed.streams?.[0]?.codec_name).toBe('mp3');
  return Number(parsed.format?.duration);
};

/** A GET with a raw path: `fetch` would normalise `%2e%2e` segments before sending. */
const rawGet = (origin: string, path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(origin);
    request({ hostname, port, path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });

const answers = [
  { interviewId: 'interview-1', questionId: 'q-1' },
  { interviewId: 'interview-1', questionId: 'q-2' },
];

describe('media fake', () => {
  let dir: string;
  let media: MediaFake;

  beforeAll(async () => {
    if (!(await ffmpegAvailable())) {
      throw new Error('these tests need ffmpeg and ffprobe on the PATH: apt-get install -y ffmpeg');
    }
    dir = await mkdtemp(join(tmpdir(), 'media-fake-test-'));
    media = await startMediaFake({ dir, round0Answers: answers });
  }, 60_000);

  afterAll(async () => {
    await media?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('generation', () => {
    it('made the media at start, and a second start on the same directory reuses it at once', async () => {
      // Act
      const again = await startMediaFake({ dir, round0Answers: answers });
      await again.close();

      // Assess
      expect(media.generation.cached).toBe(false);
      expect(again.generation.cached).toBe(true);
      expect(again.generation.milliseconds).toBeLessThan(500);
      expect(again.recordings).toEqual(media.recordings);
    });

    it('describes the recordings it serves: two screen variants (TS, fMP4), AES webcam, byte ranges', () => {
      // Assess
      expect(media.recordings).toEqual({
        screen: {
          variants: [
            { uri: 'v0/index.m3u8', kind: 'ts', bandwidth: 300_000, resolution: '160x120', frames: 150 },
            { uri: 'v1/index.m3u8', kind: 'fmp4', bandwidth: 900_000, resolution: '320x240', frames: 150 },
          ],
        },
        webcam: { kind: 'aes', frames: 150 },
        byteRange: { kind: 'byterange', frames: 150 },
      });
    });
  });

  describe('micro1 recordings (HLS)', () => {
    it('serves a master playlist of two variants, the higher bandwidth last', async () => {
      // Act
      const response = await fetch(media.micro1Urls('report-1').screen);
      const playlist = HLS.parse(await response.text()) as types.MasterPlaylist;

      // Assess
      expect(response.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
      expect(playlist.isMasterPlaylist).toBe(true);
      expect(playlist.variants.map((variant) => [variant.uri, variant.bandwidth])).toEqual([
        ['v0/index.m3u8', 300_000],
        ['v1/index.m3u8', 900_000],
      ]);
    });

    it.each([
      ['the screen master (first variant)', (m: MediaFake) => m.micro1Urls('report-1').screen],
      ['the fMP4 variant', (m: MediaFake) => `${m.url}/micro1/report-1/screen/v1/index.m3u8`],
      ['the AES-128 webcam recording', (m: MediaFake) => m.micro1Urls('report-1').webcam],
      ['the byte-range recording', (m: MediaFake) => m.micro1Urls('report-1').byteRange],
    ])('%s decodes over http, every frame', async (_name, urlOf) => {
      // Act
      const probed = await probeOverHttp(urlOf(media));

      // Assess
      expect(probed).toEqual({ frames: 150, duration: 6 });
    });

    it('names the AES key and the fMP4 init segment in the playlists, by relative URI', async () => {
      // Act
      const webcam = HLS.parse(
        await (await fetch(media.micro1Urls('r').webcam)).text(),
      ) as types.MediaPlaylist;
      const fmp4 = HLS.parse(
        await (await fetch(`${media.url}/micro1/r/screen/v1/index.m3u8`)).text(),
      ) as types.MediaPlaylist;

      // Assess
      expect(webcam.segments[0]?.key).toMatchObject({ method: 'AES-128', uri: 'key.bin' });
      expect(fmp4.segments[0]?.map?.uri).toBe('init.mp4');
    });

    it.each([
      ['/screen/v0/seg_0.ts', 'video/mp2t'],
      ['/screen/v1/init.mp4', 'video/mp4'],
      ['/screen/v1/seg_0.m4s', 'video/iso.segment'],
      ['/webcam/key.bin', 'application/octet-stream'],
      ['/report.pdf', 'application/pdf'],
    ])('serves %s as %s', async (path, contentType) => {
      // Act
      const response = await fetch(`${media.url}/micro1/any-report${path}`);
      await response.arrayBuffer();

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(response.headers.get('accept-ranges')).toBe('bytes');
    });

    it('serves a PDF report', async () => {
      // Act
      const body = Buffer.from(await (await fetch(media.micro1Urls('report-1').report)).arrayBuffer());

      // Assess
      expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(body.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    });
  });

  describe('Range requests', () => {
    const segment = () => `${media.url}/micro1/report-1/screen/v0/seg_1.ts`;
    const onDisk = () => readFile(join(media.dir, 'micro1', 'screen', 'v0', 'seg_1.ts'));

    it('answers a range with 206, Content-Range and exactly those bytes', async () => {
      // Prepare
      const file = await onDisk();

      // Act
      const response = await fetch(segment(), { headers: { range: 'bytes=188-375' } });
      const body = Buffer.from(await response.arrayBuffer());

      // Assess
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes 188-375/${file.length}`);
      expect(response.headers.get('content-length')).toBe('188');
      expect(body.equals(file.subarray(188, 376))).toBe(true);
    });

    it('answers an open-ended and a suffix range', async () => {
      // Prepare
      const file = await onDisk();

      // Act
      const open = await fetch(segment(), { headers: { range: `bytes=${file.length - 10}-` } });
      const suffix = await fetch(segment(), { headers: { range: 'bytes=-7' } });

      // Assess
      expect(Buffer.from(await open.arrayBuffer()).equals(file.subarray(file.length - 10))).toBe(true);
      expect(suffix.headers.get('content-range')).toBe(
        `bytes ${file.length - 7}-${file.length - 1}/${file.length}`,
      );
      expect(Buffer.from(await suffix.arrayBuffer()).equals(file.subarray(file.length - 7))).toBe(true);
    });

    it('answers 416 with the size for a range past the end', async () => {
      // Prepare
      const file = await onDisk();

      // Act
      const response = await fetch(segment(), { headers: { range: `bytes=${file.length}-` } });
      await response.arrayBuffer();

      // Assess
      expect(response.status).toBe(416);
      expect(response.headers.get('content-range')).toBe(`bytes */${file.length}`);
    });

    it('serves the whole file for several ranges (a server may ignore Range)', async () => {
      // Prepare
      const file = await onDisk();

      // Act
      const response = await fetch(segment(), { headers: { range: 'bytes=0-1,5-6' } });

      // Assess
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(file)).toBe(true);
    });

    it('answers HEAD with the length and no body', async () => {
      // Prepare
      const file = await onDisk();

      // Act
      const response = await fetch(segment(), { method: 'HEAD' });

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(file.length));
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });
  });

  describe('ROUND0 audio behind expiring signed URLs', () => {
    it('serves a signed answer URL as decodable MP3 audio', async () => {
      // Prepare
      const url = media.round0AudioUrl('interview-1', 'q-1');

      // Act
      const response = await fetch(url);
      await response.arrayBuffer();
      const seconds = await audioSecondsOverHttp(url);

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('audio/mpeg');
      expect(new URL(url).searchParams.get('expires')).toMatch(/^\d+$/);
      expect(seconds).toBeGreaterThan(1.9);
      expect(seconds).toBeLessThan(2.2);
    });

    it('gives each answer audio of its own', async () => {
      // Act
      const [first, second] = await Promise.all(
        ['q-1', 'q-2'].map(async (questionId) =>
          Buffer.from(await (await fetch(media.round0AudioUrl('interview-1', questionId))).arrayBuffer()),
        ),
      );

      // Assess
      expect(first?.equals(second ?? Buffer.alloc(0))).toBe(false);
    });

    it('answers 403 "Request has expired" once the URL has expired', async () => {
      // Prepare
      const url = media.round0AudioUrl('interview-1', 'q-1', { expiresAt: new Date(Date.now() - 1000) });

      // Act
      const response = await fetch(url);
      const body = await response.text();

      // Assess
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/xml');
      expect(body).toContain('<Code>AccessDenied</Code>');
      expect(body).toContain('Request has expired');
    });

    it('serves the same answer again once its URL is signed afresh (what a vendor API read hands out)', async () => {
      // Prepare
      const expired = media.round0AudioUrl('interview-1', 'q-1', { expiresAt: new Date(Date.now() - 1000) });

      // Act
      const response = await fetch(media.sign(expired));
      await response.arrayBuffer();

      // Assess
      expect(response.status).toBe(200);
    });

    it.each([
      ['unsigned', (url: string) => url.split('?')[0] ?? url],
      ['with a later expiry than signed', (url: string) => url.replace(/expires=\d+/, 'expires=9999999999')],
      ['with a wrong signature', (url: string) => url.replace(/signature=[0-9a-f]{4}/, 'signature=0000')],
    ])('refuses an answer URL %s with 403', async (_name, tamper) => {
      // Act
      const response = await fetch(tamper(media.round0AudioUrl('interview-1', 'q-1')));
      await response.arrayBuffer();

      // Assess
      expect(response.status).toBe(403);
    });

    it('answers 404 for an answer it was not given, and serves it once added', async () => {
      // Prepare
      const url = media.round0AudioUrl('interview-2', 'q-9');
      const before = await fetch(url);
      await before.arrayBuffer();

      // Act
      await media.addRound0Answers([{ interviewId: 'interview-2', questionId: 'q-9' }]);
      const after = await fetch(url);
      await after.arrayBuffer();

      // Assess
      expect(before.status).toBe(404);
      expect(after.status).toBe(200);
    });

    it('leaves URLs of other hosts unsigned', () => {
      // Assess
      expect(media.sign('https://storage.round0.io/audio/abc123.mp3')).toBe(
        'https://storage.round0.io/audio/abc123.mp3',
      );
    });
  });

  describe('what it refuses', () => {
    it.each([
      '/micro1/report-1/library.json',
      '/micro1/report-1/webcam/key.info',
      '/micro1/report-1/%2e%2e/%2e%2e/round0/interview-1/q-1.mp3',
      '/micro1/report-1/screen%2Fv0%2Findex.m3u8',
      '/elsewhere/file.mp3',
    ])('answers 404 for %s', async (path) => {
      // Act
      const status = await rawGet(media.url, path);

      // Assess
      expect(status).toBe(404);
    });

    it('answers 405 to anything but GET and HEAD', async () => {
      // Act
      const response = await fetch(media.micro1Urls('r').report, { method: 'POST', body: 'x' });
      await response.arrayBuffer();

      // Assess
      expect(response.status).toBe(405);
    });
  });

  it('takes injected faults like every fake (a 503 on one segment, then served again)', async () => {
    // Prepare
    media.log.clear();
    media.faults.add({ path: /\/seg_2\.ts$/, status: 503, when: 'before' });
    const url = `${media.url}/micro1/report-1/screen/v0/seg_2.ts`;

    // Act
    const first = await fetch(url);
    await first.arrayBuffer();
    const second = await fetch(url);
    await second.arrayBuffer();

    // Assess
    expect([first.status, second.status]).toEqual([503, 200]);
    // Only the second request reached the fake's own logic.
    expect(media.log.count({ path: /\/seg_2\.ts$/ })).toBe(1);
    expect(media.log.count({ path: /\/seg_2\.ts$/, applied: false })).toBe(1);
  });
});
