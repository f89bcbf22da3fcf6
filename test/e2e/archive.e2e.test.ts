/**
 * The archive end to end through `npm start`'s runtime (HTTP → ingest → events queue → worker → archive
 * queue → archive Lambda → S3 + manifest → `archive.completed` → worker → ATS), with the vendor API fakes,
 * the media fake (real MP3s behind expiring signed URLs, real HLS recordings, a PDF) and the log adapter:
 * ROUND0 answers archived byte for byte and listed by `npm run ops -- media`, an expired audio URL refreshed
 * from ROUND0's API, micro1 recordings that play from the archive alone (ffprobe on local copies), archiving
 * that is idempotent and resumes where a permanent failure stopped it, and a vendor sample whose URL is
 * refused parked with its reason.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ArchiveManifest, archiveManifestPk, type ManifestEntry } from '../../functions/archive/manifest.js';
import type { ArchiveTask } from '../../functions/archive/types.js';
import type { AtsLogLine } from '../../functions/ats/log/adapter.js';
import { interviewStatePk } from '../../functions/ledger/interview-ledger.js';
import type { VendorName } from '../../functions/vendors/envelope.js';
import { resources } from '../../lib/resources.js';
import { localAws } from '../../local/emulators.js';
import { type RunningFakeServer, requestUrl, startFakeServer } from '../../local/fakes/fake-server.js';
import type { MediaFake } from '../../local/fakes/media.js';
import type { LocalLog } from '../../local/log.js';
import { probeHls } from '../../local/media/generate.js';
import { runOpsCommand } from '../../local/ops.js';
import { queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../local/runtime-info.js';
import { fillMediaPlaceholder, readFixture } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import {
  asRealRound0Event,
  drainQueue,
  type Fixture,
  type FixtureJson,
  fixtureNamed,
  loadFixtures,
  s3For,
  sendFixture,
  settled,
} from './helpers.js';

const bucket = resources.bucket.name;

let tempDir: string;
let pipeline: LocalPipeline;
let media: MediaFake;
let round0Api: RunningFakeServer;
let fixtures: Fixture[];
let s3: S3Client;
let ledger: DynamoDBDocumentClient;
let manifest: ArchiveManifest;

/** The runtime’s own lines (its pollers’ batches among them), message and fields. */
const runtimeLines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
const recordingLog: LocalLog = {
  info: (message, fields) => runtimeLines.push({ message, ...(fields === undefined ? {} : { fields }) }),
  warn: (message, fields) => runtimeLines.push({ message, ...(fields === undefined ? {} : { fields }) }),
  error: (message, fields) => runtimeLines.push({ message, ...(fields === undefined ? {} : { fields }) }),
};

/**
 * The answer whose `audio_url` the ROUND0 API hands out already expired on the interview's first read
 * (set by a test; the next read issues a fresh one, as ROUND0 does).
 */
let expireOnce: { interviewId: string; questionId: string; issued: boolean } | undefined;

/**
 * A pass-through in front of the runtime's ROUND0 API fake: the pipeline exposes neither that fake nor its
 * `issueAudioUrl` hook (always `media.sign`, valid 24 h), so the worker and the archive are pointed here
 * (`ROUND0_API_BASE_URL`). It records every read (`log`) and can expire one answer's URL once.
 */
const startRound0ApiPassThrough = (upstream: () => string) =>
  startFakeServer(async (request, response) => {
    const url = requestUrl(request);
    request.resume();
    const answer = await fetch(`${upstream()}${url.pathname}${url.search}`, {
      headers: { authorization: request.headers.authorization ?? '' },
    });
    let body = await answer.text();
    const id = decodeURIComponent(/^\/api\/v1\/interviews\/([^/]+)$/.exec(url.pathname)?.[1] ?? '');
    if (answer.ok && expireOnce !== undefined && !expireOnce.issued && expireOnce.interviewId === id) {
      const interview = JSON.parse(body) as { responses: Array<{ question_id: string; audio_url: string }> };
      const target = interview.responses.find((r) => r.question_id === expireOnce?.questionId);
      if (target !== undefined) {
        target.audio_url = media.sign(target.audio_url, { expiresAt: new Date(Date.now() - 3_600_000) });
        expireOnce.issued = true;
      }
      body = JSON.stringify(interview);
    }
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    response.end(body);
  });

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'archive-e2e-'));
  fixtures = await loadFixtures();
  round0Api = await startRound0ApiPassThrough(() => pipeline.vendorApiUrls?.round0 ?? '');
  pipeline = await startLocalPipeline({
    dataDir: tempDir,
    secretsFile: join(tempDir, 'secrets.local.json'),
    vendorApis: true,
    media: true,
    // Long enough for a cold first invocation on a loaded machine: a redelivery would repeat its reads.
    workerVisibilityTimeoutSeconds: 10,
    worker: { maxBatchingWindowSeconds: 0 },
    // A task that failed transiently comes back after 2 s instead of 90 minutes.
    archiveQueue: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 },
    log: recordingLog,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ROUND0_API_BASE_URL: round0Api.url,
    },
  });
  media = pipeline.media as MediaFake;
  // `npm run ops` finds the emulators through the runtime info, as with `npm start`.
  await writeRuntimeInfo(tempDir, runtimeInfoFor(pipeline));
  s3 = s3For(pipeline);
  const dynamodb = new DynamoDBClient({
    region: localAws.region,
    endpoint: pipeline.endpoints.dynamodb,
    credentials: localAws.credentials,
  });
  ledger = DynamoDBDocumentClient.from(dynamodb);
  manifest = new ArchiveManifest({ client: dynamodb, tableName: resources.ledgerTable.name });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await round0Api?.close();
  await rm(tempDir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A media fixture (`local/fixtures/media`) with `{{media}}` filled in, as `npm run send` does. */
const mediaFixture = async (vendor: VendorName, name: string): Promise<Fixture> => {
  const raw = Buffer.from(
    fillMediaPlaceholder((await readFixture(vendor, name)).toString('utf8'), media.url),
  );
  return { vendor, name, raw, json: JSON.parse(raw.toString('utf8')) };
};

const send = async (fixture: Fixture, change?: (json: FixtureJson) => void) =>
  sendFixture(pipeline, fixture, change);

const objectBytes = async (key: string): Promise<Buffer> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
};

/** Every object under `prefix` with its last modification. */
const listObjects = async (prefix: string): Promise<Map<string, number>> => {
  const objects = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      objects.set(object.Key ?? '', object.LastModified?.getTime() ?? Number.NaN);
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return objects;
};

/** Copies every object under `prefix` out of s3rver into `dir` (same relative paths); returns the keys. */
const copyOut = async (prefix: string, dir: string): Promise<string[]> => {
  const keys = [...(await listObjects(prefix)).keys()].sort();
  for (const key of keys) {
    const file = join(dir, key.slice(prefix.length));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, await objectBytes(key));
  }
  return keys;
};

/** The archive batches of an interview: id → when it completed (undefined while incomplete). */
const batchesOf = async (vendor: VendorName, interviewKey: string) => {
  const { Items = [] } = await ledger.send(
    new QueryCommand({
      TableName: resources.ledgerTable.name,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :batch)',
      ExpressionAttributeValues: { ':pk': archiveManifestPk(vendor, interviewKey), ':batch': 'BATCH#' },
      ConsistentRead: true,
    }),
  );
  return new Map(
    Items.map((item) => [String(item.sk).slice('BATCH#'.length), item.completedAt as string | undefined]),
  );
};

/** The event records of an interview's ledger item (dedupe key → record). */
const eventsOf = async (vendor: VendorName, interviewKey: string) => {
  const { Item } = await ledger.send(
    new GetCommand({
      TableName: resources.ledgerTable.name,
      Key: { pk: interviewStatePk(vendor, interviewKey), sk: 'STATE' },
      ConsistentRead: true,
    }),
  );
  return (Item?.events ?? {}) as Record<string, { done?: boolean }>;
};

/**
 * Waits until `count` archive batches of the interview are complete and the worker has processed the
 * `archive.completed` event of each, and both queues are empty.
 */
const archived = async (vendor: VendorName, interviewKey: string, count: number) => {
  await eventually(async () => {
    const batches = await batchesOf(vendor, interviewKey);
    expect([...batches.values()].filter((completedAt) => completedAt !== undefined)).toHaveLength(count);
    const events = await eventsOf(vendor, interviewKey);
    for (const batchId of batches.keys()) {
      expect(events[`${vendor}:archive.completed:${interviewKey}:${batchId}`]?.done).toBe(true);
    }
  }, 30_000);
  await settled(pipeline);
  expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0);
};

/** What the log adapter wrote, in order. */
const atsWrites = async (): Promise<AtsLogLine[]> =>
  (await readFile(join(tempDir, 'ats-writes.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AtsLogLine);

/** Markers of the notes the log adapter wrote for an interview, in order. */
const noteMarkers = async (vendor: VendorName, interviewKey: string) =>
  (await atsWrites())
    .filter(
      (line) => line.action === 'note' && line.marker?.startsWith(`interview-sync:${vendor}:${interviewKey}`),
    )
    .map((line) => line.marker);

/** Lines of `npm run ops -- parked failed`. */
const parkedFailed = async () => (await runOpsCommand(['parked', 'failed'], tempDir)).lines;

/** Requests the media fake received since `mark` (an index into its log). */
const mediaRequestsSince = (mark: number) => media.log.entries.slice(mark);

describe('archive end to end (local runtime, vendor API and media fakes, log adapter)', () => {
  it('archives a ROUND0 interview’s answers byte for byte, lists them with presigned URLs and tells the ATS once', async () => {
    // Prepare
    const ended = fixtureNamed(fixtures, 'round0', 'interview_ended');
    const interviewId: string = (ended.json as FixtureJson).data.interview.id;
    const questionIds: string[] = (ended.json as FixtureJson).data.responses.map(
      (response: { question_id: string }) => response.question_id,
    );

    // Act
    await send(ended);
    await archived('round0', interviewId, 1);
    const entries = await manifest.list('round0', interviewId);
    const ops = await runOpsCommand(['media', interviewId], tempDir);

    // Assess: each answer in S3 at the guide's key, as the media fake serves it
    expect(entries.map((entry) => entry.key).sort()).toEqual(
      questionIds.map((id) => `interviews/${interviewId}/question_${id}.mp3`).sort(),
    );
    for (const questionId of questionIds) {
      const key = `interviews/${interviewId}/question_${questionId}.mp3`;
      const entry = entries.find((e) => e.key === key) as ManifestEntry;
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await objectBytes(key);
      const source = await readFile(join(media.dir, 'round0', interviewId, `${questionId}.mp3`));
      expect(head.ContentType).toBe('audio/mpeg');
      expect(entry.contentType).toBe('audio/mpeg');
      expect(bytes.length).toBe(entry.size);
      expect(sha256(bytes)).toBe(entry.sha256);
      expect(sha256(bytes)).toBe(sha256(source));
      // The signed URL's query (its credential) is never recorded.
      expect(entry.sourceUrl).toBe(`${media.url}/round0/audio/${interviewId}/${questionId}.mp3`);
    }

    // Assess: `npm run ops -- media <id>` lists both, each with a presigned URL serving the same bytes
    expect(ops.exitCode).toBe(0);
    expect(ops.lines[0]).toMatch(new RegExp(`^round0 interview ${interviewId}: 2 object\\(s\\), `));
    for (const entry of entries) {
      const at = ops.lines.findIndex((line) => line.startsWith(`${entry.key}  `));
      expect(ops.lines[at]).toContain(`sha256:${entry.sha256}`);
      const presigned = ops.lines[at + 2]?.trim() ?? '';
      expect(presigned).toMatch(/^http:\/\/.*X-Amz-Signature=/);
      const download = await fetch(presigned);
      expect(download.status).toBe(200);
      expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(entry.sha256);
    }

    // Assess: the note, then exactly one follow-up with the archive's location
    expect(await noteMarkers('round0', interviewId)).toEqual([
      `interview-sync:round0:${interviewId}`,
      `interview-sync:round0:${interviewId}:archive`,
    ]);

    // Act: the vendor delivers the event again
    await send(ended);
    await settled(pipeline);

    // Assess: nothing archived again, no second follow-up
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0);
    expect(await manifest.list('round0', interviewId)).toEqual(entries);
    expect(
      (await noteMarkers('round0', interviewId)).filter((marker) => marker?.endsWith(':archive')),
    ).toHaveLength(1);

    // Assess: as deployed, the archive took one asset per invocation (its batch size is 1: an asset may
    // take minutes), and the runtime named each batch by the function that ran it
    await eventually(() => {
      const batches = (name: string) =>
        runtimeLines.filter((line) => line.message === `${name} batch`).map((line) => line.fields?.records);
      expect(batches('interview-sync-archive')).toEqual([1, 1]);
      expect(batches('interview-sync-worker').length).toBeGreaterThanOrEqual(2);
    });
  });

  it('refreshes an answer’s expired audio URL from ROUND0’s API once and archives it', async () => {
    // Prepare: a real event of the dashboard's test interview (two answers in the API); its first answer's
    // URL is handed out already expired on the first read (the worker's enrichment)
    const ended = fixtureNamed(fixtures, 'round0', 'test_interview_ended');
    const interviewId = 'test-interview-id';
    const expiredPath = `/round0/audio/${interviewId}/test-question-1.mp3`;
    const otherPath = `/round0/audio/${interviewId}/${interviewId}-q2.mp3`;
    expireOnce = { interviewId, questionId: 'test-question-1', issued: false };
    const mark = media.log.entries.length;

    // Act
    await send(ended, asRealRound0Event);
    await archived('round0', interviewId, 1);

    // Assess: the media fake refused the expired URL by itself (403, no injected fault), the archive read
    // the interview again once (enrichment + one refresh) and fetched the fresh URL
    expect(expireOnce.issued).toBe(true);
    const requests = mediaRequestsSince(mark);
    expect(
      requests.filter((r) => r.path === expiredPath).map((r) => ({ status: r.status, fault: r.fault })),
    ).toEqual([
      { status: 403, fault: undefined },
      { status: 200, fault: undefined },
    ]);
    const [expired, fresh] = requests.filter((r) => r.path === expiredPath);
    expect(fresh?.rawQuery).not.toBe(expired?.rawQuery);
    expect(requests.filter((r) => r.path === otherPath).map((r) => r.status)).toEqual([200]);
    expect(round0Api.log.count({ method: 'GET', path: new RegExp(`/interviews/${interviewId}$`) })).toBe(2);
    const entries = await manifest.list('round0', interviewId);
    expect(entries.map((entry) => entry.key)).toEqual([
      `interviews/${interviewId}/question_${interviewId}-q2.mp3`,
      `interviews/${interviewId}/question_test-question-1.mp3`,
    ]);
    const source = await readFile(join(media.dir, 'round0', interviewId, 'test-question-1.mp3'));
    expect(sha256(await objectBytes(`interviews/${interviewId}/question_test-question-1.mp3`))).toBe(
      sha256(source),
    );
    expect((await parkedFailed()).join('\n')).not.toContain(interviewId);
  });

  it('archives a micro1 report, its screen recording (highest variant) and its AES-128 webcam recording so they play from local copies', async () => {
    // Prepare
    const report = await mediaFixture('micro1', 'interview_report.created.local');
    const webcam = await mediaFixture('micro1', 'interview_webcam_recording.completed.local');
    const copy = join(tempDir, 'copy-LocalMedia');
    const prefix = 'interviews/LocalMedia/';

    // Act
    await send(report);
    await send(webcam);
    await archived('micro1', 'report:LocalMedia', 2);
    const keys = await copyOut(prefix, copy);
    const entries = await manifest.list('micro1', 'report:LocalMedia');

    // Assess: the report, the screen recording's highest variant only (v1: fMP4 320×240), the webcam's key
    const relative = keys.map((key) => key.slice(prefix.length));
    expect(relative).toContain('report.pdf');
    expect(relative).toEqual(
      expect.arrayContaining([
        'screen/index.m3u8',
        'screen/v1/index.m3u8',
        'screen/v1/init_0.mp4',
        'screen/v1/seg_0.m4s',
        'webcam/index.m3u8',
        'webcam/v0/index.m3u8',
        'webcam/v0/key_0.key',
        'webcam/v0/seg_0.ts',
      ]),
    );
    expect(relative.filter((key) => key.startsWith('screen/v0/'))).toEqual([]);
    const master = await readFile(join(copy, 'screen', 'index.m3u8'), 'utf8');
    expect(master).toContain('v1/index.m3u8');
    expect(master).not.toContain('v0/');
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}report.pdf` }))).ContentType,
    ).toBe('application/pdf');
    expect(await readFile(join(copy, 'report.pdf'))).toEqual(
      await readFile(join(media.dir, 'micro1', 'report.pdf')),
    );
    expect(await readFile(join(copy, 'webcam', 'v0', 'key_0.key'))).toEqual(
      await readFile(join(media.dir, 'micro1', 'webcam', 'key.bin')),
    );

    // Assess: the manifest lists exactly what is in the bucket, with the copied bytes' size and checksum
    expect(entries.map((entry) => entry.key).sort()).toEqual(keys);
    for (const entry of entries) {
      const bytes = await readFile(join(copy, entry.key.slice(prefix.length)));
      expect({ key: entry.key, size: bytes.length, sha256: sha256(bytes) }).toEqual({
        key: entry.key,
        size: entry.size,
        sha256: entry.sha256,
      });
      expect(entry.sourceUrl).not.toContain('?');
    }

    // Assess: the copies play offline (ffprobe may read local files only) as the sources do
    const screenSource = await probeHls(join(media.dir, 'micro1', 'screen', 'v1', 'index.m3u8'));
    const webcamSource = await probeHls(join(media.dir, 'micro1', 'webcam', 'index.m3u8'));
    const screenCopy = await probeHls(join(copy, 'screen', 'index.m3u8'));
    const webcamCopy = await probeHls(join(copy, 'webcam', 'index.m3u8'));
    expect(screenSource.frames).toBe(media.recordings.screen.variants[1]?.frames);
    expect(webcamSource.frames).toBe(media.recordings.webcam.frames);
    expect(screenCopy.frames).toBe(screenSource.frames);
    expect(webcamCopy.frames).toBe(webcamSource.frames);
    expect(screenCopy.duration).toBeCloseTo(screenSource.duration, 2);
    expect(webcamCopy.duration).toBeCloseTo(webcamSource.duration, 2);

    // Assess: one follow-up with the archive's location, though two batches completed
    expect(
      (await noteMarkers('micro1', 'report:LocalMedia')).filter((marker) => marker?.endsWith(':archive')),
    ).toEqual(['interview-sync:micro1:report:LocalMedia:archive']);
  });

  it('archives nothing twice: the same events again and another event naming the same recording', async () => {
    // Prepare: the interview of the previous test, archived
    const before = await manifest.list('micro1', 'report:LocalMedia');
    const objectsBefore = await listObjects('interviews/LocalMedia/');
    expect(before.length).toBeGreaterThan(0);
    const mark = media.log.entries.length;

    // Act: the report and webcam events delivered again, and the screen recording's own event
    await send(await mediaFixture('micro1', 'interview_report.created.local'));
    await send(await mediaFixture('micro1', 'interview_webcam_recording.completed.local'));
    await send(await mediaFixture('micro1', 'interview_recording.completed.local'));
    await archived('micro1', 'report:LocalMedia', 3);

    // Assess: no object uploaded again (manifest and bucket unchanged), only playlists read again
    expect(await manifest.list('micro1', 'report:LocalMedia')).toEqual(before);
    expect(await listObjects('interviews/LocalMedia/')).toEqual(objectsBefore);
    const fetched = mediaRequestsSince(mark).map((r) => r.path);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.filter((path) => !path.endsWith('.m3u8'))).toEqual([]);
    expect(
      (await noteMarkers('micro1', 'report:LocalMedia')).filter((marker) => marker?.endsWith(':archive')),
    ).toHaveLength(1);
  });

  it('parks a recording whose segment fails permanently, and resumes it on replay fetching only what is missing', async () => {
    // Prepare: another report's webcam recording; one of its segments answers 404 twice (the archive reads
    // the playlist again once for a refused segment, and asks for it again)
    const webcam = await mediaFixture('micro1', 'interview_webcam_recording.completed.local');
    const failing = '/micro1/LocalResume/webcam/seg_1.ts';
    media.faults.add({
      method: 'GET',
      path: /^\/micro1\/LocalResume\/webcam\/seg_1\.ts$/,
      status: 404,
      when: 'before',
      times: 2,
    });

    // Act: the task fails and is parked
    await send(webcam, (json) => {
      json.data.report_id = 'LocalResume';
      json.data.interview_webcam_recording_url = `${media.url}/micro1/LocalResume/webcam/index.m3u8`;
    });
    const parked = await eventually(async () => {
      const line = (await parkedFailed()).find((l) => l.includes('micro1:archive.task:report:LocalResume:'));
      expect(line).toBeDefined();
      return line as string;
    }, 30_000);
    await eventually(async () => expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0));
    const archivedBefore = new Set((await manifest.list('micro1', 'report:LocalResume')).map((e) => e.key));
    const dedupeKey = /(micro1:archive\.task:\S+)/.exec(parked)?.[1] ?? '';
    const mark = media.log.entries.length;

    // Act: the operator replays it
    const replay = await runOpsCommand(['replay', 'failed', '--key', dedupeKey], tempDir);
    await archived('micro1', 'report:LocalResume', 1);

    // Assess: parked with a reason naming the asset and the status, no URL
    expect(dedupeKey).toMatch(/^micro1:archive\.task:report:LocalResume:archive:[0-9a-f]{16}:webcam$/);
    expect(parked).toContain('archive webcam: ');
    expect(parked).toContain('HTTP 404');
    expect(parked).not.toMatch(/https?:\/\/|\?|signature|expires/);
    expect(replay.lines).toEqual([
      `replayed 1 failed event(s): ${dedupeKey}`,
      `on: the local npm start (${tempDir})`,
    ]);
    expect((await parkedFailed()).join('\n')).not.toContain(dedupeKey);

    // Assess: the replay fetched the playlist and only the objects the first attempt had not stored
    const entries = await manifest.list('micro1', 'report:LocalResume');
    const missing = entries
      .filter((entry) => !entry.key.endsWith('.m3u8') && !archivedBefore.has(entry.key))
      .map((entry) => new URL(entry.sourceUrl).pathname);
    expect(missing).toContain(failing);
    const fetched = mediaRequestsSince(mark).map((r) => r.path);
    expect(fetched.filter((path) => !path.endsWith('.m3u8')).sort()).toEqual(missing.sort());
    expect(fetched.filter((path) => path.endsWith('.m3u8'))).toEqual([
      '/micro1/LocalResume/webcam/index.m3u8',
    ]);

    // Assess: the resumed archive plays in full
    const copy = join(tempDir, 'copy-LocalResume');
    await copyOut('interviews/LocalResume/', copy);
    expect((await probeHls(join(copy, 'webcam', 'index.m3u8'))).frames).toBe(media.recordings.webcam.frames);
  });

  it('parks the vendor sample’s recording, whose URL is refused, and dead-letters it without disturbing the pipeline', async () => {
    // Prepare: micro1's own sample names https://url_to_interview_recording.m3u8, not a micro1 media host
    const recording = fixtureNamed(fixtures, 'micro1', 'interview_recording.completed');

    // Act
    await send(recording);
    const parked = await eventually(async () => {
      const line = (await parkedFailed()).find((l) => l.includes('micro1:archive.task:report:ABCD1234:'));
      expect(line).toBeDefined();
      return line as string;
    }, 30_000);
    await settled(pipeline);
    await eventually(async () => expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0));
    const deadLetters = await drainQueue(pipeline.sqs, pipeline.queueUrls.archiveDeadLetter);

    // Assess: parked with the refusal as its reason
    expect(parked).toContain('micro1  archive.task  micro1:archive.task:report:ABCD1234:');
    expect(parked).toContain('archive screen: ');
    expect(parked).toContain('URL refused');
    // Assess: the task is in the archive DLQ with its reason; nothing archived; both queues drained
    const letter = deadLetters
      .map(({ message, attributes }) => ({ task: message as unknown as ArchiveTask, attributes }))
      .find(({ task }) => task.interviewId === 'ABCD1234');
    expect(letter).toMatchObject({
      task: { vendor: 'micro1', asset: { kind: 'hls', name: 'screen' } },
      attributes: { failureErrorName: 'UrlRefusedError' },
    });
    expect(letter?.attributes.failureReason).toContain('URL refused');
    expect(await manifest.list('micro1', 'report:ABCD1234')).toEqual([]);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.events)).toBe(0);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
  });
});
