/**
 * S3 down for a window (the S3 emulator stopped, then started again on the same port with its data),
 * through the local pipeline with the media fake:
 * - a delivery that fits an SQS message is accepted (202): SQS alone must take it, and its raw form travels
 *   in the message; the worker cannot keep that raw delivery while S3 is down, so it leaves the message on
 *   the queue (no ATS write before the delivery is kept) and processes it once S3 is back;
 * - a delivery too large for a message needs its claim check in S3: 503 with `Retry-After` (nothing is
 *   acknowledged that could be lost), 202 on the vendor's retry once S3 is back;
 * - an archive task that was downloading when S3 went down fails, is retried by its queue and completes
 *   after the restart.
 * Zero lost, zero duplicate effects, and every delivery is in the raw event store at the end.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources } from '../../lib/resources.js';
import type { MediaFake } from '../../local/fakes/media.js';
import { eventually } from '../integration/local/factories.js';
import { appliedEffects, audit, readLedger } from './audit.js';
import {
  archiveManifestOf,
  completedEffects,
  type FaultsWorld,
  micro1Report,
  rawEventKeysOf,
  round0Ended,
  startFaultsWorld,
} from './harness.js';

let world: FaultsWorld;
let media: MediaFake;

beforeAll(async () => {
  world = await startFaultsWorld({
    // Generated once per machine (ffmpeg), reused by later runs.
    media: { dir: join(tmpdir(), 'interview-sync-faults-media') },
    workerVisibilityTimeoutSeconds: 3,
    maxReceiveCount: 10,
    archiveQueue: { visibilityTimeoutSeconds: 3, maxReceiveCount: 10 },
  });
  media = world.pipeline.media as MediaFake;
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

/** The ATS writes applied for one interview so far, sorted. */
const sortedEffects = (interviewId: string) =>
  appliedEffects(world)
    .filter((key) => key.includes(interviewId))
    .sort();

/** A ROUND0 `interview_ended` of about 300 KB: more than an SQS message holds, so it travels as a claim check. */
const largeRound0Ended = async (interviewId: string): Promise<string> => {
  const json = JSON.parse(await round0Ended(interviewId));
  const [answer] = json.data.responses;
  json.data.responses = Array.from({ length: 700 }, (_, index) => ({ ...answer, question_id: `q-${index}` }));
  const body = JSON.stringify(json);
  expect(Buffer.byteLength(body)).toBeGreaterThan(resources.eventsQueue.maxMessageBytes);
  return body;
};

describe('S3 down for a window (local runtime, S3 emulator stopped and restarted)', () => {
  it('accepts what SQS alone can take while S3 is down, refuses a claim check with 503, and resumes the worker and the archive: nothing lost, nothing twice', async () => {
    // Prepare: a micro1 report whose PDF and screen recording are on the media fake; the PDF's download is
    // held, so its archive task is in flight when S3 goes down
    const urls = media.micro1Urls('S3Outage');
    const held = media.faults.hold({ method: 'GET', path: /^\/micro1\/S3Outage\/report\.pdf$/ });
    const report = await micro1Report('S3Outage', (json) => {
      json.data.report_url = urls.report;
      json.data.interview_recording_url = urls.screen;
    });
    expect((await world.deliver('micro1', report)).status).toBe(202);
    await held.reached;
    const small = await round0Ended('s3-small');
    const large = await largeRound0Ended('s3-large');

    // Act: S3 goes down while the PDF is downloaded; the vendors deliver two events meanwhile
    await world.pipeline.s3Server.stop();
    held.release();
    const duringOutage = {
      small: await world.deliver('round0', small),
      large: await world.deliver('round0', large),
    };
    // The archive retries the PDF while S3 is down (each attempt downloads it again: nothing was stored)
    await eventually(
      () =>
        expect(
          media.log.count({ method: 'GET', path: /^\/micro1\/S3Outage\/report\.pdf$/ }),
        ).toBeGreaterThanOrEqual(2),
      20_000,
    );

    // Assess: the small one is queued; the large one refused, so that the vendor retries (never a 2xx for
    // what S3 did not keep); the worker writes nothing for the small one while its raw delivery cannot be kept
    expect(duringOutage.small.status).toBe(202);
    expect(duringOutage.large.status).toBe(503);
    expect(duringOutage.large.headers['retry-after']).toMatch(/^\d+$/);
    expect(duringOutage.large.headers['content-type']).toContain('application/problem+json');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(appliedEffects(world).filter((key) => key.includes('s3-small'))).toEqual([]);

    // Act: S3 is back; the vendor retries the large one
    await world.pipeline.s3Server.start();
    expect((await world.deliver('round0', large)).status).toBe(202);

    // Assess: the small one's message, accepted during the outage and never sent again, is processed once
    // S3 is back: the worker had left it on the queue (a worker that let it go would lose it here)
    await eventually(async () => {
      const { doneEvents } = await readLedger(world);
      expect(doneEvents.has((JSON.parse(duringOutage.small.body) as { id: string }).id)).toBe(true);
    }, 30_000);
    expect(sortedEffects('s3-small')).toEqual(completedEffects('round0', 's3-small').sort());

    // Act: the vendor, unsure, sends the small one again: a duplicate
    expect((await world.deliver('round0', small)).status).toBe(202);

    // Assess: every effect once: the report's, its links (report and recording, then the archive's) and its
    // follow-up with the archive's location, and the two ROUND0 interviews'
    await audit(
      world,
      {
        effects: [
          ...completedEffects('micro1', 'report:S3Outage'),
          /^micro1:report:S3Outage:links:[0-9a-f]+$/,
          /^micro1:report:S3Outage:links:[0-9a-f]+$/,
          'micro1:report:S3Outage:archive',
          ...completedEffects('round0', 's3-small'),
          ...completedEffects('round0', 's3-large'),
        ],
      },
      45_000,
    );
    // Assess: both ROUND0 deliveries are in the raw event store, kept by the worker: alone or in a batch
    // object, as the replay and erase tools read it (the redelivered small one and the retried large one may
    // reach the worker in one invocation)
    const storedKeys = await rawEventKeysOf(world, 'round0');
    expect([...storedKeys].filter((key) => /s3-(small|large)$/.test(key)).sort()).toEqual([
      'round0:evt_s3-large',
      'round0:evt_s3-small',
    ]);
    // Assess: the archive holds the PDF and the screen recording
    const manifest = archiveManifestOf(world);
    const keys = (await manifest.list('micro1', 'report:S3Outage')).map((entry) => entry.key);
    expect(keys).toContain('interviews/S3Outage/report.pdf');
    expect(keys).toContain('interviews/S3Outage/screen/index.m3u8');
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
