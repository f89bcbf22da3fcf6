/**
 * S3 down for a window (the S3 emulator stopped, then started again on the same port with its data),
 * through the local pipeline with the media fake: the ingest answers 503 with `Retry-After` to every
 * delivery while it cannot keep the raw event (or a large event's claim check) — nothing is acknowledged
 * that could be lost — and 202 once S3 is back; an archive task that was downloading when S3 went down
 * fails, is retried by its queue and completes after the restart. Zero lost, zero duplicate effects: a
 * small event refused with 503 may have been queued all the same (only its raw copy failed), so the vendor's
 * retry is then a duplicate the worker acknowledges without effect.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ArchiveManifest } from '../../functions/archive/manifest.js';
import { resources } from '../../lib/resources.js';
import { localAws } from '../../local/emulators.js';
import type { MediaFake } from '../../local/fakes/media.js';
import { eventually } from '../integration/local/factories.js';
import { audit } from './audit.js';
import {
  completedEffects,
  type FaultsWorld,
  micro1Report,
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
  it('refuses deliveries with 503 while S3 is down, accepts them after, and resumes the archive: nothing lost, nothing twice', async () => {
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
    const refused = [await world.deliver('round0', small), await world.deliver('round0', large)];
    // The archive retries the PDF while S3 is down (each attempt downloads it again: nothing was stored)
    await eventually(
      () =>
        expect(
          media.log.count({ method: 'GET', path: /^\/micro1\/S3Outage\/report\.pdf$/ }),
        ).toBeGreaterThanOrEqual(2),
      20_000,
    );

    // Assess: refused, so that the vendors retry; never a 2xx for what S3 did not keep
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toMatch(/^\d+$/);
      expect(answer.headers['content-type']).toContain('application/problem+json');
    }

    // Act: S3 is back; the vendors retry
    await world.pipeline.s3Server.start();
    expect((await world.deliver('round0', small)).status).toBe(202);
    expect((await world.deliver('round0', large)).status).toBe(202);

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
    // Assess: the archive holds the PDF and the screen recording
    const manifest = new ArchiveManifest({
      client: new DynamoDBClient({
        region: localAws.region,
        endpoint: world.pipeline.endpoints.dynamodb,
        credentials: localAws.credentials,
      }),
      tableName: resources.ledgerTable.name,
    });
    const keys = (await manifest.list('micro1', 'report:S3Outage')).map((entry) => entry.key);
    expect(keys).toContain('interviews/S3Outage/report.pdf');
    expect(keys).toContain('interviews/S3Outage/screen/index.m3u8');
  });
});
