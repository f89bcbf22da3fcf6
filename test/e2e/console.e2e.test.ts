/**
 * The local console in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`)
 * driven by playwright-core, which downloads no browser. The pipeline runs as `npm start` runs it (vendor
 * API fakes, media fake, console); ROUND0's interview_started and interview_ended, micro1's report and
 * webcam media fixtures and micro1's own recording sample (whose URL the archive refuses) go through it;
 * then the page must show the events, the interview's status and effects, the parked event and the
 * archive's dead letter, play an archived MP3 and attach hls.js to both archived recordings' entry playlists
 * (fMP4 screen through its master, AES-128 TS webcam), and show an event sent after it opened without being reloaded.
 *
 * Debian's Chromium decodes H.264 and AAC (`MediaSource.isTypeSupported` is checked first, so a build
 * without them fails here with that reason rather than with a stalled player).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ArchiveManifest } from '../../functions/archive/manifest.js';
import type { VendorName } from '../../functions/vendors/envelope.js';
import { resources } from '../../lib/resources.js';
import { localAws } from '../../local/emulators.js';
import type { MediaFake } from '../../local/fakes/media.js';
import { silentLog } from '../../local/log.js';
import { queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { fillMediaPlaceholder, readFixture } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import {
  type Fixture,
  type FixtureJson,
  fixtureNamed,
  loadFixtures,
  sendFixture,
  settled,
} from './helpers.js';

/**
 * The little of the DOM the functions run in the page use: the project compiles for Node (no DOM lib), so
 * the page's globals are declared here, for this file only.
 */
interface PageMedia {
  readyState: number;
  muted: boolean;
  currentTime: number;
  duration: number;
  currentSrc: string;
  error: { message: string } | null;
  buffered: { length: number; end(index: number): number };
  dataset: Record<string, string | undefined>;
  load(): void;
  play(): Promise<void>;
}
declare const document: { querySelector(selector: string): PageMedia | null };
declare const window: Record<string, unknown>;
declare const MediaSource: { isTypeSupported(type: string): boolean };

/** Debian's package; `CHROMIUM_PATH` for another build. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags for a headless run as root in CI, with nothing of the browser's own reaching the network. */
const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const round0Interview = '660f9511-f30c-52e5-b827-557766551111';
const startedKey = 'round0:evt_550e8400e29b41d4a716446655440000';
const endedKey = 'round0:evt_660f9511f30c52e5b827557766551111';

let tempDir: string;
let profileDir: string;
let pipeline: LocalPipeline;
let fixtures: Fixture[];
let manifest: ArchiveManifest;
let browser: BrowserContext;
let page: Page;
/** What the page reported as errors (uncaught exceptions, console errors such as CSP refusals). */
const pageErrors: string[] = [];
/** What the page fetched straight from s3rver (path without query, whether presigned, status). */
/** Every response the page got from s3rver (there must be none: the console streams the media itself). */
const fromS3: string[] = [];
/** The archived objects the page read through the console's object route, by key. */
const fromConsole: Array<{ key: string; status: number }> = [];

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (.ci/run installs it)`);
  }
  tempDir = await mkdtemp(join(tmpdir(), 'console-e2e-'));
  profileDir = await mkdtemp(join(tmpdir(), 'console-e2e-chromium-'));
  fixtures = await loadFixtures();
  pipeline = await startLocalPipeline({
    dataDir: tempDir,
    secretsFile: join(tempDir, 'secrets.local.json'),
    vendorApis: true,
    media: true,
    console: true,
    workerVisibilityTimeoutSeconds: 2,
    worker: { maxBatchingWindowSeconds: 0 },
    archiveQueue: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 },
    log: silentLog,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  manifest = new ArchiveManifest({
    client: new DynamoDBClient({
      region: localAws.region,
      endpoint: pipeline.endpoints.dynamodb,
      credentials: localAws.credentials,
    }),
    tableName: resources.ledgerTable.name,
  });
  // A fresh profile each run: no cache, no autoplay or permission state from an earlier run.
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === new URL(pipeline.endpoints.s3).origin) fromS3.push(url.pathname);
    if (url.pathname === '/console/media/object') {
      fromConsole.push({ key: url.searchParams.get('key') ?? '', status: response.status() });
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.stop();
  await rm(tempDir, { recursive: true, force: true });
  await rm(profileDir, { recursive: true, force: true });
});

/** A media fixture (`local/fixtures/media`) with `{{media}}` filled in, as `npm run send` does. */
const mediaFixture = async (vendor: VendorName, name: string): Promise<Fixture> => {
  const raw = Buffer.from(
    fillMediaPlaceholder(
      (await readFixture(vendor, name)).toString('utf8'),
      (pipeline.media as MediaFake).url,
    ),
  );
  return { vendor, name, raw, json: JSON.parse(raw.toString('utf8')) };
};

const visibleMessages = async (queueUrl: string) => {
  const { Attributes = {} } = await pipeline.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
};

/** Text of the element `selector` once it exists (the page renders after its first snapshot arrives). */
const textOf = async (selector: string) => {
  await page.waitForSelector(selector, { timeout: 15_000 });
  return (await page.textContent(selector)) ?? '';
};

describe('local console in Chromium', () => {
  it('shows events, states, effects, parked and dead-lettered events, plays the archive, and updates live', async () => {
    // Prepare: the interview's two ROUND0 events, micro1's media fixtures, micro1's own recording sample
    await sendFixture(pipeline, fixtureNamed(fixtures, 'round0', 'interview_started'));
    await sendFixture(pipeline, fixtureNamed(fixtures, 'round0', 'interview_ended'));
    await sendFixture(pipeline, await mediaFixture('micro1', 'interview_report.created.local'));
    await sendFixture(pipeline, await mediaFixture('micro1', 'interview_webcam_recording.completed.local'));
    await sendFixture(pipeline, fixtureNamed(fixtures, 'micro1', 'interview_recording.completed'));
    await eventually(async () => {
      expect((await manifest.list('round0', round0Interview)).map((entry) => entry.key)).toHaveLength(2);
      const micro1 = (await manifest.list('micro1', 'report:LocalMedia')).map((entry) => entry.key);
      expect(micro1).toEqual(
        expect.arrayContaining([
          'interviews/LocalMedia/screen/v1/index.m3u8',
          'interviews/LocalMedia/webcam/v0/index.m3u8',
        ]),
      );
      expect((await visibleMessages(pipeline.queueUrls.archiveDeadLetter)).visible).toBe(1);
    }, 60_000);
    await settled(pipeline);
    await eventually(async () => expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0));

    // Act: open the console
    await page.goto(pipeline.consoleUrl ?? '');
    await page.evaluate(() => {
      window.sameDocument = true;
    });

    // Assess: the page is live and lists both ROUND0 events with their type and outcome
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 15_000 });
    const started = await textOf(`#events tr[data-dedupe-key="${startedKey}"]`);
    const ended = await textOf(`#events tr[data-dedupe-key="${endedKey}"]`);
    expect(started).toContain('interview_started');
    expect(started).toContain('done');
    expect(ended).toContain('interview_ended');
    expect(ended).toContain(`round0:${round0Interview}`);

    // Assess: the interview is completed, with its status and note effects done
    const card = `[data-interview="round0:${round0Interview}"]`;
    expect(await page.getAttribute(`${card} .status`, 'data-status')).toBe('completed');
    expect(await page.getAttribute(`${card} tr[data-effect="status:completed"]`, 'data-state')).toBe('done');
    expect(await page.getAttribute(`${card} tr[data-effect="note"]`, 'data-state')).toBe('done');

    // Assess: the refused recording is parked and in the archive DLQ with its reason; the events DLQ is empty
    expect(await textOf('#parked tr[data-kind="failed"]')).toContain('URL refused');
    const letter = await textOf('#dlq-archive tbody tr[data-message-id]');
    expect(letter).toContain('micro1:report:ABCD1234');
    expect(letter).toContain('screen');
    expect(letter).toContain('UrlRefusedError');
    expect(letter).toContain('URL refused');
    expect(await textOf('#dlq-events-count')).toBe('(0)');

    // Act: play the first archived answer (muted: headless autoplay rules), from its presigned URL
    const audio = `${card} audio`;
    const played = await page.$eval(audio, async (element: PageMedia) => {
      element.dataset.marker = 'first';
      element.muted = true;
      element.load();
      return element.play().then(
        () => 'playing',
        (error: Error) => `play() failed: ${error.message}`,
      );
    });
    await page.waitForFunction(
      (selector) => (document.querySelector(selector) as PageMedia).readyState >= 2,
      audio,
      {
        timeout: 15_000,
      },
    );

    // Assess: it played through the console's object route without a media error
    expect(played).toBe('playing');
    expect(
      await page.$eval(audio, (element: PageMedia) => ({
        error: element.error?.message ?? null,
        from: new URL(element.currentSrc).pathname,
        duration: Number.isFinite(element.duration) && element.duration > 0,
      })),
    ).toEqual({ error: null, from: '/console/media/object', duration: true });
    const answers = fromConsole.filter((r) => r.key.startsWith(`interviews/${round0Interview}/question_`));
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((r) => r.status === 200 || r.status === 206)).toBe(true);

    // Assess: Chromium can decode the recordings (Debian builds with H.264 and AAC), and hls.js attached to
    // both, parsed their playlists, loaded fragments through the console (decrypting the webcam's AES-128)
    // and buffered them into the video
    expect(
      await page.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"')),
    ).toBe(true);
    // Each recording plays from its entry playlist (screen's master, webcam's one-variant media playlist)
    for (const camera of ['screen', 'webcam']) {
      const video = `video[data-key="interviews/LocalMedia/${camera}/index.m3u8"]`;
      await page
        .waitForFunction(
          (selector) => {
            const element = document.querySelector(selector) as PageMedia | null;
            return element?.dataset.hlsState === 'buffered' && element.readyState >= 1;
          },
          video,
          { timeout: 20_000 },
        )
        .catch(async (error: Error) => {
          // Say how far hls.js got (its state, fragments, last error) rather than only "timeout".
          const progress = await page.$eval(video, (element: PageMedia) => ({
            ...element.dataset,
            readyState: element.readyState,
          }));
          throw new Error(`${camera}: ${JSON.stringify(progress)} (${error.message})`);
        });
      const state = await page.$eval(video, async (element: PageMedia) => {
        await element.play();
        return {
          fragments: Number(element.dataset.hlsFragments),
          error: element.dataset.hlsLastError ?? null,
          buffered: element.buffered.length > 0 ? element.buffered.end(0) : 0,
        };
      });
      expect(state.fragments).toBeGreaterThan(0);
      expect(state.error).toBeNull();
      expect(state.buffered).toBeGreaterThan(0);
      await page.waitForFunction(
        (selector) => (document.querySelector(selector) as PageMedia).currentTime > 0,
        video,
        {
          timeout: 15_000,
        },
      );
    }

    // Assess: every segment, init segment and key came through the console's object route
    const recordings = fromConsole.filter((r) => r.key.startsWith('interviews/LocalMedia/'));
    expect(recordings.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'interviews/LocalMedia/screen/v1/init_0.mp4',
        'interviews/LocalMedia/screen/v1/seg_0.m4s',
        'interviews/LocalMedia/webcam/v0/key_0.key',
        'interviews/LocalMedia/webcam/v0/seg_0.ts',
      ]),
    );
    expect(recordings.filter((r) => r.status !== 200 && r.status !== 206)).toEqual([]);
    // Nothing came from s3rver: no URL in the page can expire while it stays open
    expect(fromS3).toEqual([]);

    // Act: another event, sent while the page is open
    await sendFixture(
      pipeline,
      fixtureNamed(fixtures, 'round0', 'interview_started'),
      (json: FixtureJson) => {
        json.id = 'evt_console_live';
      },
    );

    // Assess: it appears without a reload, and the player kept its element
    const live = await textOf('#events tr[data-dedupe-key="round0:evt_console_live"]');
    expect(live).toContain('interview_started');
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
    expect(await page.$eval(audio, (element: PageMedia) => element.dataset.marker)).toBe('first');

    // Assess: peeking the DLQs took nothing, and the page logged no error
    expect(await visibleMessages(pipeline.queueUrls.archiveDeadLetter)).toEqual({ visible: 1, inFlight: 0 });
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
