/**
 * S3 down for longer than the queues retry (the S3 emulator stopped past `maxReceiveCount` receives, then
 * started again on the same port with its data), through the local pipeline with the media fake:
 * - ROUND0 deliveries that fit an SQS message are accepted (202) while S3 is down; the worker cannot keep
 *   their raw deliveries, so it writes nothing to the ATS and leaves each message for redelivery; on the last
 *   receive it parks the event as failed and dead-letters it with the reason, rather than letting SQS move it
 *   without one;
 * - a micro1 report's archive tasks, downloading when S3 went down, fail on every receive and are
 *   dead-lettered by the archive on their last one, with the reason;
 * - once S3 is back, `ops redrive events` and `ops redrive archive` bring everything home: each ATS effect
 *   once, each asset archived once (downloaded once more, the ATS told once), every delivery in the raw
 *   event store, the parked copies forgotten; a second redrive finds both DLQs empty.
 * Related, not repeated here: S3 down for a window shorter than the retries (s3-outage.faults).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeldRequest } from '../../local/fakes/fake-server.js';
import type { MediaFake } from '../../local/fakes/media.js';
import { runOpsCommand } from '../../local/ops.js';
import type { SentEvent } from '../../local/send.js';
import { audit } from './audit.js';
import {
  archiveManifestOf,
  completedEffects,
  type FaultsWorld,
  micro1Report,
  rawEventKeysOf,
  round0Ended,
  startFaultsWorld,
} from './harness.js';

/** Receives of an event or an archive task before it is dead-lettered. */
const receives = 3;

let world: FaultsWorld;
let media: MediaFake;
/** The downloads held by the test: hung up on at the end should it fail before releasing them. */
const holds: HeldRequest[] = [];

beforeAll(async () => {
  world = await startFaultsWorld({
    // Generated once per machine (ffmpeg), reused by later runs.
    media: { dir: join(tmpdir(), 'interview-sync-faults-media') },
    // With S3 stopped a failing invocation ends far within these: its S3 requests are refused at once
    // (the SDK's three attempts take 40–130 ms), and a failing invocation took 0.10–0.18 s for the worker and
    // 0.12–0.24 s for the archive, dead letter included (measured with the local runtime's batch timings).
    // The archive's is longer still: each task's first receive stays held on its download until both are
    // and S3 is stopped, and a task that came back while held would find its asset leased and be sent to
    // wait 30 s (AssetBusyError), not fail.
    workerVisibilityTimeoutSeconds: 3,
    maxReceiveCount: receives,
    archiveQueue: { visibilityTimeoutSeconds: 5, maxReceiveCount: receives },
  });
  media = world.pipeline.media as MediaFake;
}, 60_000);

afterAll(async () => {
  for (const held of holds) held.abort();
  await world?.stop();
});

const dedupeKeyOf = (sent: SentEvent): string => (JSON.parse(sent.body) as { id: string }).id;

const pdfPath = /^\/micro1\/S3Gone\/report\.pdf$/;
const screenPath = /^\/micro1\/S3Gone\/screen\/master\.m3u8$/;
/** Downloads of each asset's source so far (each receive of its task downloads it again). */
const downloads = () => ({
  report: media.log.count({ method: 'GET', path: pdfPath }),
  screen: media.log.count({ method: 'GET', path: screenPath }),
});

/** The ATS effects of the micro1 report before its archive completes: its writes and its own links. */
const reportEffects = [
  ...completedEffects('micro1', 'report:S3Gone'),
  /^micro1:report:S3Gone:links:[0-9a-f]+$/,
];

describe('S3 down for longer than the retries (local runtime, S3 emulator stopped past maxReceiveCount)', () => {
  it('dead-letters what it cannot keep or archive, with the reason and nothing written; once S3 is back the redrives bring everything home once', async () => {
    // Prepare: a micro1 report whose PDF and screen recording are on the media fake; both downloads are held,
    // so both archive tasks are in flight when S3 goes down
    const urls = media.micro1Urls('S3Gone');
    const heldPdf = media.faults.hold({ method: 'GET', path: pdfPath });
    const heldScreen = media.faults.hold({ method: 'GET', path: screenPath });
    holds.push(heldPdf, heldScreen);
    const report = await micro1Report('S3Gone', (json) => {
      json.data.report_url = urls.report;
      json.data.interview_recording_url = urls.screen;
    });
    expect((await world.deliver('micro1', report)).status).toBe(202);
    await Promise.all([heldPdf.reached, heldScreen.reached]);

    // Act: S3 goes down for good while both are downloaded; the vendor delivers two ROUND0 events meanwhile
    await world.pipeline.s3Server.stop();
    heldPdf.release();
    heldScreen.release();
    const ended = [await round0Ended('s3-gone-a'), await round0Ended('s3-gone-b')];
    const sent = [
      await world.deliver('round0', ended[0] as string),
      await world.deliver('round0', ended[1] as string),
    ];

    // Assess: accepted (SQS alone takes a delivery that fits a message), then dead-lettered after their
    // receives with nothing written to the ATS — not even a refused attempt; the archive tasks dead-lettered
    // too, each downloaded once per receive; the report's own writes stand
    expect(sent.map((one) => one.status)).toEqual([202, 202]);
    const deadLettered = sent.map(dedupeKeyOf);
    await audit(
      world,
      {
        effects: reportEffects,
        deadLettered,
        archiveDeadLettered: ['report:S3Gone report', 'report:S3Gone screen'],
      },
      60_000,
    );
    expect(
      world.receiver.state.deliveries.filter((delivery) =>
        /s3-gone/.test(String((delivery.payload as { eventKey?: string }).eventKey)),
      ),
    ).toEqual([]);
    expect(downloads()).toEqual({ report: receives, screen: receives });
    // Every failure was the handlers' own (retried, then dead-lettered), none an invocation's timeout
    expect(world.runtimeErrors.filter((line) => line.includes('invocation failed'))).toEqual([]);
    // Parked as failed, with the reason, for the operator to see
    const parked = (await runOpsCommand(['parked', 'failed'], world.dir)).lines.join('\n');
    for (const key of deadLettered) {
      expect(parked).toMatch(
        new RegExp(
          `${key}  — gave up after ${receives} attempts; the last failed with RawEventStoreUnavailableError`,
        ),
      );
    }

    // Act: S3 is back; the operator redrives the events DLQ
    await world.pipeline.s3Server.start();
    const redriveEvents = await runOpsCommand(['redrive', 'events'], world.dir);

    // Assess: both home, with the reason they were dead-lettered for, their parked copies forgotten; each
    // effect once; the archive tasks still dead-lettered
    expect(redriveEvents.exitCode).toBe(0);
    expect(redriveEvents.lines.slice(0, 3)).toEqual([
      'moved 2 of 2 message(s) from the events DLQ to the events queue',
      `  2 × gave up after ${receives} attempts; the last failed with RawEventStoreUnavailableError`,
      "forgot 2 parked 'failed' copy(ies) of the moved messages",
    ]);
    await audit(
      world,
      {
        effects: [
          ...reportEffects,
          ...completedEffects('round0', 's3-gone-a'),
          ...completedEffects('round0', 's3-gone-b'),
        ],
        archiveDeadLettered: ['report:S3Gone report', 'report:S3Gone screen'],
      },
      45_000,
    );

    // Act: the operator redrives the archive DLQ
    const redriveArchive = await runOpsCommand(['redrive', 'archive'], world.dir);

    // Assess: both assets archived, each downloaded once more; the archive's links and location written once
    expect(redriveArchive.exitCode).toBe(0);
    expect(redriveArchive.lines[0]).toBe('moved 2 of 2 message(s) from the archive DLQ to the archive queue');
    expect(redriveArchive.lines.slice(1, 3)).toEqual([
      `  2 × gave up after ${receives} attempts; the last failed with ArchiveStoreError`,
      "forgot 2 parked 'failed' copy(ies) of the moved messages",
    ]);
    const expectedEffects = [
      ...reportEffects,
      /^micro1:report:S3Gone:links:[0-9a-f]+$/,
      'micro1:report:S3Gone:archive',
      ...completedEffects('round0', 's3-gone-a'),
      ...completedEffects('round0', 's3-gone-b'),
    ];
    await audit(world, { effects: expectedEffects }, 45_000);
    expect(downloads()).toEqual({ report: receives + 1, screen: receives + 1 });
    const keys = (await archiveManifestOf(world).list('micro1', 'report:S3Gone')).map((entry) => entry.key);
    expect(keys.filter((key) => key === 'interviews/S3Gone/report.pdf')).toHaveLength(1);
    expect(keys.filter((key) => key === 'interviews/S3Gone/screen/index.m3u8')).toHaveLength(1);

    // Assess: both ROUND0 deliveries are in the raw event store, kept by the worker once S3 was back (alone or
    // in a batch object, as the replay and erase tools read it)
    const storedKeys = await rawEventKeysOf(world, 'round0');
    expect([...storedKeys].sort()).toEqual([...deadLettered].sort());

    // Act: a second redrive of each
    const again = [
      await runOpsCommand(['redrive', 'events'], world.dir),
      await runOpsCommand(['redrive', 'archive'], world.dir),
    ];

    // Assess: both DLQs empty, nothing parked, nothing written again
    expect(again.map((result) => [result.exitCode, result.lines[0]])).toEqual([
      [0, 'the events dead-letter queue is empty'],
      [0, 'the archive dead-letter queue is empty'],
    ]);
    expect((await runOpsCommand(['parked', 'failed'], world.dir)).lines[0]).toBe('no failed events parked');
    await audit(world, { effects: expectedEffects });
  }, 240_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
