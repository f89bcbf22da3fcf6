/**
 * The local console against the emulators alone (no handlers): its snapshot read from the ledger table,
 * the parking lot, the archive manifest and the DLQs, joined with the worker tap; its server's routes
 * (page, hls.js, snapshot, event stream, media redirects and presigned playlists) and what they refuse.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { InterviewLedger } from '../../../functions/ledger/interview-ledger.js';
import {
  emptyInterviewState,
  type InterviewState,
  stampOf,
} from '../../../functions/ledger/interview-state.js';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import { sendToDeadLetterQueue } from '../../../functions/queue/dead-letter.js';
import type { InterviewEvent, QueueMessage } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';
import { type LocalConsole, startLocalConsole } from '../../../local/console/server.js';
import { ConsoleData, type ConsoleSnapshot } from '../../../local/console/snapshot.js';
import { createWorkerTap } from '../../../local/console/worker-tap.js';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { silentLog } from '../../../local/log.js';
import { mediaSegment, streamTypes } from '../../helpers/media-segments.js';

const table = resources.ledgerTable.name;
const bucket = resources.bucket.name;
const pii = { name: 'Jane Console', email: 'jane.console@example.com' };

let emulators: LocalEmulators;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let data: ConsoleData;
let server: LocalConsole;
const tap = createWorkerTap({ now: () => new Date('2026-01-02T03:04:05.000Z') });

/** An envelope as the ingest makes it, with candidate data in its payload (which must never show). */
const envelope = (dedupeKey: string, type: string, interviewId: string): InterviewEvent => ({
  schemaVersion: 1,
  vendor: 'round0',
  type,
  known: true,
  dedupeKey,
  receivedAt: '2026-01-02T03:04:00.000Z',
  interviewId,
  candidate: { email: pii.email, name: pii.name },
  payload: {
    id: dedupeKey.slice('round0:'.length),
    type,
    data: { interview: { id: interviewId }, candidate: pii },
  },
});

const sqsEvent = (...messages: QueueMessage[]): SQSEvent =>
  ({
    Records: messages.map((message, index) => ({ messageId: `m${index}`, body: JSON.stringify(message) })),
  }) as unknown as SQSEvent;

const mediaPlaylist = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-KEY:METHOD=AES-128,URI="key_0.key",IV=0x00000000000000000000000000000001',
  '#EXTINF:2.0,',
  'seg_0.ts',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

/** The recording's entry: its video variant and, apart, its audio (which the variant alone plays silent). */
const masterPlaylist = [
  '#EXTM3U',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,AUTOSELECT=YES,URI="r0/index.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="aud"',
  'v0/index.m3u8',
  '',
].join('\n');

const audioPlaylist = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-TARGETDURATION:2',
  '#EXTINF:2.0,',
  'seg_0.aac',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

/** Puts an object in the bucket and records it in the interview's manifest. */
const archive = async (
  manifest: ArchiveManifest,
  key: string,
  body: string | Buffer,
  contentType: string,
) => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  await manifest.record('round0', 'iv-1', {
    key,
    size: Buffer.byteLength(body),
    sha256: '0'.repeat(64),
    contentType,
    sourceUrl: `http://media.example/${key}`,
  });
};

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${server.port}${path}`, { headers, redirect: 'manual' });

const mediaQuery = (key: string) =>
  new URLSearchParams({ vendor: 'round0', interview: 'iv-1', key }).toString();

beforeAll(async () => {
  emulators = await startEmulators();
  const config = { region: localAws.region, credentials: localAws.credentials };
  dynamodb = new DynamoDBClient({ ...config, endpoint: emulators.endpoints.dynamodb });
  s3 = new S3Client({ ...config, endpoint: emulators.endpoints.s3, forcePathStyle: true });
  const ledger = new InterviewLedger({ client: dynamodb, tableName: table });
  const manifest = new ArchiveManifest({ client: dynamodb, tableName: table });
  const parking = new ParkingLot({ client: dynamodb, tableName: table });

  // An interview with a done event, one in progress, two effects and a field holding candidate data
  const state: InterviewState = {
    ...emptyInterviewState('round0', 'iv-1'),
    status: 'completed',
    rank: 3,
    statusStamp: stampOf({ occurredAt: '2026-01-02T03:00:00.000Z', eventKey: 'round0:evt_1' }),
    fields: { candidateEmail: pii.email },
    events: {
      'round0:evt_1': { advanced: true, done: true },
      'round0:evt_2': { advanced: false, owner: 'attempt-2', leaseUntil: Date.now() + 600_000 },
    },
    effects: {
      note: { state: 'done', attempts: 1, parts: ['archive'] },
      'status:completed': { state: 'failed', attempts: 2, outcome: 'uncertain' },
    },
    atsMatch: { candidateId: 'cand-1', applicationId: 'app-1' },
  };
  await ledger.commit(state, undefined);
  // Its archive: an answer, a recording (playlist, key, segment), one complete batch
  await archive(manifest, 'interviews/iv-1/question_q1.mp3', Buffer.from('ID3 fake mp3'), 'audio/mpeg');
  await archive(
    manifest,
    'interviews/iv-1/screen/v0/index.m3u8',
    mediaPlaylist,
    'application/vnd.apple.mpegurl',
  );
  await archive(
    manifest,
    'interviews/iv-1/screen/v0/key_0.key',
    Buffer.alloc(16, 7),
    'application/octet-stream',
  );
  await archive(manifest, 'interviews/iv-1/screen/v0/seg_0.ts', Buffer.alloc(188, 0x47), 'video/mp2t');
  await archive(manifest, 'interviews/iv-1/screen/r0/seg_0.aac', Buffer.alloc(64, 0xff), 'audio/aac');
  await archive(
    manifest,
    'interviews/iv-1/screen/r0/index.m3u8',
    audioPlaylist,
    'application/vnd.apple.mpegurl',
  );
  await archive(
    manifest,
    'interviews/iv-1/screen/index.m3u8',
    masterPlaylist,
    'application/vnd.apple.mpegurl',
  );
  await manifest.markAssetDone('round0', 'iv-1', 'batch-1', 'q1', ['q1']);
  // An object of the same bucket that is no archive (a raw event): the console must never serve it
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'raw/round0/evt_1.json', Body: JSON.stringify(pii) }),
  );
  // A parked event and one dead letter in each DLQ
  await parking.park(
    'unmatched',
    envelope('round0:evt_3', 'interview_started', 'iv-3'),
    'candidate not in the ATS',
  );
  await sendToDeadLetterQueue(
    emulators.sqs,
    emulators.queueUrls.deadLetter,
    { body: JSON.stringify({ kind: 'event', event: envelope('round0:evt_4', 'interview_ended', 'iv-4') }) },
    { errorName: 'AtsPermanentError', reason: 'greenhouse: unauthorized' },
  );
  const task: ArchiveTask = {
    schemaVersion: 1,
    vendor: 'micro1',
    interviewKey: 'report:R1',
    interviewId: 'R1',
    batchId: 'batch-9',
    batchAssets: ['screen'],
    asset: {
      kind: 'hls',
      name: 'screen',
      keyPrefix: 'interviews/R1/screen/',
      sourceUrl: 'https://media.example/master.m3u8',
    },
  };
  await sendToDeadLetterQueue(
    emulators.sqs,
    emulators.queueUrls.archiveDeadLetter,
    { body: JSON.stringify(task) },
    { errorName: 'UrlRefusedError', reason: 'archive screen: URL refused' },
  );

  // The worker saw evt_1 (fine), evt_5 (failed, not on the ledger) and a test delivery (acknowledged)
  const worker = tap.wrap(
    async (): Promise<SQSBatchResponse> => ({ batchItemFailures: [{ itemIdentifier: 'm1' }] }),
  );
  await worker(
    sqsEvent(
      { kind: 'event', event: envelope('round0:evt_1', 'interview_ended', 'iv-1') },
      { kind: 'event', event: envelope('round0:evt_5', 'interview_started', 'iv-5') },
      {
        kind: 'event',
        event: { ...envelope('round0:evt_test_1', 'interview_ended', 'test-interview-id'), test: true },
      },
    ),
    {} as Context,
  );

  data = new ConsoleData({
    dynamodb,
    tableName: table,
    sqs: emulators.sqs,
    deadLetterQueueUrls: {
      events: emulators.queueUrls.deadLetter,
      archive: emulators.queueUrls.archiveDeadLetter,
    },
    tap,
    deadLetterPeekMs: 0,
  });
  server = await startLocalConsole({ data, s3, bucket, refreshMs: 100, log: silentLog });
}, 60_000);

afterAll(async () => {
  await server?.close();
  dynamodb?.destroy();
  s3?.destroy();
  await emulators?.close();
});

describe('console snapshot', () => {
  let snapshot: ConsoleSnapshot;
  beforeAll(async () => {
    snapshot = await data.read();
  });

  it('shows each interview with its status, ATS ids, effects, ledger events and archive', () => {
    // Assess
    const interview = snapshot.interviews.find((i) => i.id === 'round0:iv-1');
    expect(interview).toMatchObject({
      vendor: 'round0',
      interviewKey: 'iv-1',
      status: 'completed',
      atsMatch: { candidateId: 'cand-1', applicationId: 'app-1' },
      effects: [
        { name: 'note', state: 'done', attempts: 1, parts: ['archive'] },
        { name: 'status:completed', state: 'failed', attempts: 2, outcome: 'uncertain' },
      ],
      events: [
        { dedupeKey: 'round0:evt_1', outcome: 'done', advanced: true },
        { dedupeKey: 'round0:evt_2', outcome: 'processing', advanced: false },
      ],
      archive: { batchesComplete: 1, batchesPending: 0 },
    });
    expect(interview?.archive?.objects.map((o) => [o.key, o.kind])).toEqual([
      ['interviews/iv-1/question_q1.mp3', 'audio'],
      // One player a recording, its entry: the audio rendition's segment is none of its own
      ['interviews/iv-1/screen/index.m3u8', 'hls'],
      ['interviews/iv-1/screen/r0/index.m3u8', 'part'],
      ['interviews/iv-1/screen/r0/seg_0.aac', 'part'],
      ['interviews/iv-1/screen/v0/index.m3u8', 'part'],
      ['interviews/iv-1/screen/v0/key_0.key', 'part'],
      ['interviews/iv-1/screen/v0/seg_0.ts', 'part'],
    ]);
  });

  it('joins the ledger’s events with the worker’s deliveries and the parking lot', () => {
    // Assess
    const byKey = new Map(snapshot.events.map((event) => [event.dedupeKey, event]));
    expect(byKey.get('round0:evt_1')).toEqual({
      dedupeKey: 'round0:evt_1',
      vendor: 'round0',
      type: 'interview_ended',
      interview: 'round0:iv-1',
      time: '2026-01-02T03:04:05.000Z',
      outcome: 'done',
      deliveries: 1,
    });
    // Only the ledger knows evt_2: no type (ROUND0 keys name none), no time
    expect(byKey.get('round0:evt_2')).toEqual({
      dedupeKey: 'round0:evt_2',
      vendor: 'round0',
      interview: 'round0:iv-1',
      outcome: 'processing',
    });
    expect(byKey.get('round0:evt_3')).toMatchObject({
      type: 'interview_started',
      interview: 'round0:iv-3',
      outcome: 'parked (unmatched)',
      detail: 'candidate not in the ATS',
    });
    expect(byKey.get('round0:evt_5')).toMatchObject({
      type: 'interview_started',
      interview: 'round0:iv-5',
      outcome: 'failed (SQS delivers it again)',
    });
    // Newest first; rows the ledger alone knows (no time) last
    expect(snapshot.events.at(-1)?.dedupeKey).toBe('round0:evt_2');
  });

  it('lists a test delivery marked as a test, with no interview', () => {
    // Assess
    expect(snapshot.events.find((event) => event.dedupeKey === 'round0:evt_test_1')).toEqual({
      dedupeKey: 'round0:evt_test_1',
      vendor: 'round0',
      type: 'interview_ended',
      time: '2026-01-02T03:04:05.000Z',
      outcome: 'test',
      detail: "test delivery from the vendor's dashboard: acknowledged, nothing synced",
      deliveries: 1,
    });
    expect(snapshot.interviews.map((interview) => interview.id)).not.toContain('round0:test-interview-id');
  });

  it('lists parked events and peeks at both DLQs with the reasons attached', () => {
    // Assess
    expect(snapshot.parked).toEqual([
      expect.objectContaining({
        kind: 'unmatched',
        vendor: 'round0',
        type: 'interview_started',
        dedupeKey: 'round0:evt_3',
        reason: 'candidate not in the ATS',
        interview: 'round0:iv-3',
      }),
    ]);
    expect(snapshot.deadLetters.events).toEqual({
      total: 1,
      shown: [
        expect.objectContaining({
          vendor: 'round0',
          type: 'interview_ended',
          dedupeKey: 'round0:evt_4',
          errorName: 'AtsPermanentError',
          reason: 'greenhouse: unauthorized',
        }),
      ],
    });
    expect(snapshot.deadLetters.archive.shown).toEqual([
      expect.objectContaining({
        vendor: 'micro1',
        interview: 'micro1:report:R1',
        asset: 'screen',
        errorName: 'UrlRefusedError',
        reason: 'archive screen: URL refused',
      }),
    ]);
  });

  it('holds no candidate data: neither the ledger’s fields nor the parked or dead-lettered payloads', () => {
    // Assess
    const json = JSON.stringify(snapshot);
    expect(json).not.toContain(pii.email);
    expect(json).not.toContain(pii.name);
  });

  it('takes nothing from the DLQs: after several peeks the messages are visible to a consumer', async () => {
    // Act
    await data.read();
    await data.read();

    // Assess
    for (const queueUrl of [emulators.queueUrls.deadLetter, emulators.queueUrls.archiveDeadLetter]) {
      const { Attributes = {} } = await emulators.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      expect([
        Attributes.ApproximateNumberOfMessages,
        Attributes.ApproximateNumberOfMessagesNotVisible,
      ]).toEqual(['1', '0']);
    }
    const { Messages = [] } = await emulators.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulators.queueUrls.deadLetter, VisibilityTimeout: 0 }),
    );
    expect(Messages.length).toBeGreaterThan(0);
  });
});

describe('console server', () => {
  it('serves the page with a strict content security policy, and hls.js from node_modules', async () => {
    // Act
    const page = await get('/console');
    const hls = await get('/console/vendor/hls.min.js');

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script src="/console/vendor/hls.min.js"');
    expect(page.headers.get('content-security-policy')).toContain("media-src 'self' blob:;");
    expect(page.headers.get('content-security-policy')).not.toContain(emulators.endpoints.s3);
    expect(hls.status).toBe(200);
    expect(await hls.text()).toBe(
      await readFile(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'), 'utf8'),
    );
  });

  it('streams an archived object itself (ranges too, for seeking), and refuses what the manifest does not list', async () => {
    // Act
    const path = `/console/media/object?${mediaQuery('interviews/iv-1/question_q1.mp3')}`;
    const whole = await get(path);
    const part = await get(path, { range: 'bytes=4-7' });
    const beyond = await get(path, { range: 'bytes=500-' });
    const raw = await get(`/console/media/object?${mediaQuery('raw/round0/evt_1.json')}`);
    const otherVendor = await get(
      `/console/media/object?${new URLSearchParams({ vendor: 'nobody', interview: 'iv-1', key: 'interviews/iv-1/question_q1.mp3' })}`,
    );

    // Assess: the bytes come from the console (no URL of s3rver, which would expire in an open page)
    expect(whole.status).toBe(200);
    expect(whole.headers.get('location')).toBeNull();
    expect(whole.headers.get('content-type')).toBe('audio/mpeg');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(await whole.text()).toBe('ID3 fake mp3');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 4-7/12');
    expect(await part.text()).toBe('fake');
    expect(beyond.status).toBe(416);
    expect(raw.status).toBe(404);
    expect(otherVendor.status).toBe(404);
  });

  it('serves a media playlist whose key and segments name the console’s own object route', async () => {
    // Act
    const response = await get(`/console/media/hls?${mediaQuery('interviews/iv-1/screen/v0/index.m3u8')}`);
    const playlist = await response.text();
    const segment = playlist.split('\n').find((line) => line.startsWith('/console/')) ?? '';
    const keyUri = /URI="([^"]+)"/.exec(playlist)?.[1] ?? '';
    const fetched = await get(segment);
    const key = await get(keyUri);
    const notPlaylist = await get(`/console/media/hls?${mediaQuery('interviews/iv-1/question_q1.mp3')}`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(playlist).not.toContain(emulators.endpoints.s3);
    expect(segment).toBe(`/console/media/object?${mediaQuery('interviews/iv-1/screen/v0/seg_0.ts')}`);
    expect(keyUri).toBe(`/console/media/object?${mediaQuery('interviews/iv-1/screen/v0/key_0.key')}`);
    expect(fetched.status).toBe(200);
    expect((await fetched.arrayBuffer()).byteLength).toBe(188);
    expect(Buffer.from(await key.arrayBuffer())).toEqual(Buffer.alloc(16, 7));
    expect(notPlaylist.status).toBe(404);
  });

  it('serves a recording’s master whose video and separate audio name the console’s playlist route', async () => {
    // Act: the entry, then each playlist it names, then the audio's segment
    const response = await get(`/console/media/hls?${mediaQuery('interviews/iv-1/screen/index.m3u8')}`);
    const master = await response.text();
    const variant = master.split('\n').find((line) => line.startsWith('/console/')) ?? '';
    const audio = /URI="([^"]+)"/.exec(master)?.[1] ?? '';
    const audioPlaylist = await (await get(audio)).text();
    const audioSegment = audioPlaylist.split('\n').find((line) => line.startsWith('/console/')) ?? '';
    const fetched = await get(audioSegment);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master).toContain('AUDIO="aud"');
    expect(variant).toBe(`/console/media/hls?${mediaQuery('interviews/iv-1/screen/v0/index.m3u8')}`);
    expect(audio).toBe(`/console/media/hls?${mediaQuery('interviews/iv-1/screen/r0/index.m3u8')}`);
    expect(audioSegment).toBe(`/console/media/object?${mediaQuery('interviews/iv-1/screen/r0/seg_0.aac')}`);
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(Buffer.alloc(64, 0xff));
  });

  it('answers only to its own host names (no DNS rebinding)', async () => {
    // Act
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/console/api/snapshot',
          headers: { host: 'rebound.example' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      )
        .on('error', reject)
        .end();
    });

    // Assess
    expect(status).toBe(421);
  });

  it('streams the snapshot at once and again when the stores change', async () => {
    // Prepare
    const response = await get('/console/api/stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    /** The next `data:` event's snapshot. */
    const nextSnapshot = async (): Promise<ConsoleSnapshot> => {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = event.split('\n').find((line) => line.startsWith('data: '));
          if (data !== undefined) return JSON.parse(data.slice('data: '.length)) as ConsoleSnapshot;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffered += decoder.decode(value, { stream: true });
      }
    };

    // Act
    const first = await nextSnapshot();
    await new ParkingLot({ client: dynamodb, tableName: table }).park(
      'failed',
      envelope('round0:evt_6', 'interview_ended', 'iv-6'),
      'ATS refused the note',
    );
    // A read that began before the park may still push a snapshot without it: wait for the one with it.
    let second = await nextSnapshot();
    for (let more = 0; more < 5 && !second.parked.some((p) => p.dedupeKey === 'round0:evt_6'); more++) {
      second = await nextSnapshot();
    }
    await reader.cancel();

    // Assess
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(first.parked.map((p) => p.dedupeKey)).toEqual(['round0:evt_3']);
    expect(second.parked.map((p) => p.dedupeKey)).toContain('round0:evt_6');
  });

  it('waits as long as a read took before the next: a slow read never runs back to back on the pipeline’s event loop', async () => {
    // Prepare: stores that take 300 ms to read, a console asked to read every 10 ms
    const snapshot = await data.read();
    let reads = 0;
    const slowData = {
      manifest: data.manifest,
      read: async () => {
        reads += 1;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return snapshot;
      },
    } as unknown as ConsoleData;
    const slow = await startLocalConsole({ data: slowData, s3, bucket, refreshMs: 10, log: silentLog });

    // Act: a page open for 1.5 s
    const response = await fetch(`${slow.url}/api/stream`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await response.body?.cancel();
    await slow.close();

    // Assess: read, wait as long, read… (back to back it would have read 5 times)
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(3);
  });

  it('refuses a request another site made the browser send (stream, media, snapshot), and serves its own page, typed-in URLs and Node clients', async () => {
    // Prepare
    const own = new URL(server.url).origin;
    const media = `/console/media/object?${mediaQuery('interviews/iv-1/question_q1.mp3')}`;

    // Act
    const crossSite = await Promise.all(
      ['/console/api/stream', media, '/console/api/snapshot'].map(async (path) => [
        (await get(path, { 'sec-fetch-site': 'cross-site' })).status,
        (await get(path, { 'sec-fetch-site': 'same-site' })).status,
        (await get(path, { origin: 'https://evil.example' })).status,
        (await get(path, { origin: 'null' })).status,
      ]),
    );
    const sameOrigin = await get(media, { 'sec-fetch-site': 'same-origin', origin: own });
    await sameOrigin.arrayBuffer();
    const typedIn = await get('/console/api/snapshot', { 'sec-fetch-site': 'none' });
    const node = await get('/console/api/snapshot');

    // Assess
    expect(crossSite).toEqual([
      [403, 403, 403, 403],
      [403, 403, 403, 403],
      [403, 403, 403, 403],
    ]);
    expect(sameOrigin.status).toBe(200);
    expect(typedIn.status).toBe(200);
    expect(node.status).toBe(200);
  });

  it('says on the stream when the stores cannot be read, to pages open then and opened later, and when they can again', async () => {
    // Prepare: stores that fail after their first read, until told otherwise
    const snapshot = await data.read();
    let reads = 0;
    let broken = false;
    const flakyData = {
      manifest: data.manifest,
      read: async () => {
        reads += 1;
        if (broken) throw new Error('dynalite is gone');
        return snapshot;
      },
    } as unknown as ConsoleData;
    const flaky = await startLocalConsole({ data: flakyData, s3, bucket, refreshMs: 20, log: silentLog });
    const messagesOf = async (response: Response, count: number) => {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (text.split('\n\n').filter((message) => message.includes('data: ')).length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      await reader.cancel();
      return text.split('\n\n').filter((message) => message.includes('data: '));
    };

    // Act
    const open = await fetch(`${flaky.url}/api/stream`);
    const openMessages = messagesOf(open, 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    broken = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const later = await messagesOf(await fetch(`${flaky.url}/api/stream`), 2);
    broken = false;
    const seen = await openMessages;
    await flaky.close();

    // Assess: the open page got the snapshot, then "failing", then "ok"; a page opened meanwhile the last
    // snapshot and "failing" at once
    expect(reads).toBeGreaterThan(2);
    expect(seen[0]).toMatch(/^data: \{/);
    expect(seen[1]).toMatch(/^event: status\ndata: \{"ok":false,"since":"\d{4}-/);
    expect(seen[2]).toBe('event: status\ndata: {"ok":true}');
    expect(later[0]).toMatch(/^data: \{/);
    expect(later[1]).toMatch(/^event: status\ndata: \{"ok":false/);
  });

  it('takes a free port when the one asked for is taken', async () => {
    // Act
    const second = await startLocalConsole({ data, s3, bucket, port: server.port, log: silentLog });
    await second.close();

    // Assess
    expect(second.port).not.toBe(server.port);
    expect(second.url).toBe(`http://127.0.0.1:${second.port}/console`);
  });
});

describe('console reads on a growing table', () => {
  it('plays a recording with separate audio whole: ffprobe reads its picture and its sound through the console', async () => {
    // Prepare: a recording archived long ago (never the newest interview another test expects) with real
    // segments, its video without sound and its audio apart
    const manifest = new ArchiveManifest({
      client: dynamodb,
      tableName: table,
      now: () => Date.parse('2020-01-01T00:00:00.000Z'),
    });
    const recording = 'interviews/R9/screen';
    const store = async (key: string, body: string | Buffer) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${recording}/${key}`, Body: body }));
      await manifest.record('micro1', 'report:R9', {
        key: `${recording}/${key}`,
        size: Buffer.byteLength(body),
        sha256: '0'.repeat(64),
        contentType: 'application/vnd.apple.mpegurl',
        sourceUrl: `https://media.example/${key}`,
      });
    };
    const oneSegment = (uri: string) =>
      ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXTINF:4,', uri, '#EXT-X-ENDLIST', ''].join('\n');
    await store('v0/seg_0.ts', await mediaSegment('video'));
    await store('r0/seg_0.aac', await mediaSegment('audio'));
    await store('v0/index.m3u8', oneSegment('seg_0.ts'));
    await store('r0/index.m3u8', oneSegment('seg_0.aac'));
    await store('index.m3u8', masterPlaylist);
    const query = new URLSearchParams({
      vendor: 'micro1',
      interview: 'report:R9',
      key: `${recording}/index.m3u8`,
    });

    // Act
    const streams = await streamTypes(
      `http://127.0.0.1:${server.port}/console/media/hls?${query}`,
      'http,tcp',
    );

    // Assess
    expect(streams).toEqual(new Set(['audio', 'video']));
  });

  it('reads only the interviews updated last (saying how many there are) and each parked envelope once', async () => {
    // Prepare: an interview updated long ago beside iv-1; a client that records what it reads
    const ledgerOfThePast = new InterviewLedger({
      client: dynamodb,
      tableName: table,
      now: () => Date.parse('2020-01-01T00:00:00.000Z'),
    });
    await ledgerOfThePast.commit(emptyInterviewState('round0', 'iv-old'), undefined);
    const counted = new DynamoDBClient({
      region: localAws.region,
      credentials: localAws.credentials,
      endpoint: emulators.endpoints.dynamodb,
    });
    const reads: string[] = [];
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        // Marshalled ({S}) or not yet, depending on where the document client's own middleware runs.
        const pk = (args.input as { Key?: { pk?: string | { S?: string } } }).Key?.pk;
        const key = (typeof pk === 'string' ? pk : pk?.S) ?? '';
        reads.push(`${context.commandName}:${key.split('#')[0]}`);
        return next(args);
      },
      { step: 'initialize', name: 'recordReads' },
    );
    const capped = new ConsoleData({
      dynamodb: counted,
      tableName: table,
      sqs: emulators.sqs,
      deadLetterQueueUrls: {
        events: emulators.queueUrls.deadLetter,
        archive: emulators.queueUrls.archiveDeadLetter,
      },
      maxInterviews: 1,
    });

    // Act
    const first = await capped.read();
    const firstReads = reads.splice(0);
    const second = await capped.read();
    const secondReads = reads.splice(0);
    counted.destroy();

    // Assess: iv-1 (updated now) shown, iv-old not read; the parked envelopes read by the first read only
    expect(first.interviews.map((interview) => interview.id)).toEqual(['round0:iv-1']);
    // iv-old and any other interview of the file's tests, all updated before iv-1
    expect(first.interviewsTotal).toBe((await data.read()).interviewsTotal);
    expect(first.interviewsTotal).toBeGreaterThanOrEqual(2);
    expect(firstReads.filter((read) => read === 'GetItemCommand:INTERVIEW')).toEqual([
      'GetItemCommand:INTERVIEW',
    ]);
    const parkedGets = firstReads.filter((read) => read === 'GetItemCommand:PARKED');
    expect(parkedGets).toHaveLength(first.parked.length);
    expect(first.parked.length).toBeGreaterThan(0);
    expect(secondReads.filter((read) => read === 'GetItemCommand:PARKED')).toEqual([]);
    expect(second.parked).toEqual(first.parked);
    expect(second.parked.find((p) => p.dedupeKey === 'round0:evt_3')?.interview).toBe('round0:iv-3');
  });
});
