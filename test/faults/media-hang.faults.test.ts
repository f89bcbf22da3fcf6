/**
 * A media host that hangs (the media fake accepts the request and never answers), through the local
 * pipeline: the archive function ends the download itself before its timeout (10 s here; the media requests
 * of an invocation end with its remaining time, less a tenth kept to answer the batch), so the task fails
 * with a reason rather than with Lambda's timeout, and comes back from its queue; once the host answers
 * again the asset is archived. A host that does not answer
 * through all of a task's receives gets the task dead-lettered by the queue after `maxReceiveCount`; once it
 * answers, `ops redrive archive` brings it home. Nothing else is affected: the ATS effects of every event,
 * and the archive of a report on a healthy host, are made once.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeldRequest } from '../../local/fakes/fake-server.js';
import type { MediaFake } from '../../local/fakes/media.js';
import { runOpsCommand } from '../../local/ops.js';
import { eventually } from '../integration/local/factories.js';
import { audit } from './audit.js';
import {
  archiveManifestOf,
  completedEffects,
  type FaultsWorld,
  micro1Report,
  startFaultsWorld,
} from './harness.js';

/** Receives of an archive task before the queue dead-letters it. */
const archiveReceives = 3;

const pdfPath = (reportId: string) => new RegExp(`^/micro1/${reportId}/report\\.pdf$`);

let world: FaultsWorld;
let media: MediaFake;
/** HangB's host: it does not answer until the test ends its outage. */
let hangB: HeldRequest | undefined;

beforeAll(async () => {
  world = await startFaultsWorld({
    media: { dir: join(tmpdir(), 'interview-sync-faults-media') },
    workerVisibilityTimeoutSeconds: 3,
    // A stalled download ends before the function's timeout and the task comes back after the visibility
    // timeout; the third receive is its last. 10 s, not less: what is kept to answer the batch is a tenth of
    // it, and giving the asset's lease back (and, on the last receive, parking and dead-lettering the task)
    // must fit in it on a loaded machine, where 200 ms, and once in CI 500 ms, did not (the invocation then
    // timed out and the queue moved the task to its DLQ a second time).
    archiveTimeoutSeconds: 10,
    archiveQueue: { visibilityTimeoutSeconds: 11, maxReceiveCount: archiveReceives },
  });
  media = world.pipeline.media as MediaFake;
}, 60_000);

afterAll(async () => {
  await endStalledInvocations();
  await world?.stop();
});

/**
 * Ends HangB's outage: later requests reach the fake. Its held requests were each ended by their
 * invocation's deadline; any still held (the test failed early) are hung up on.
 */
const endStalledInvocations = async (): Promise<void> => {
  hangB?.abort();
  hangB = undefined;
};

/** A micro1 report whose PDF is on the media fake (no recording). */
const reportWithPdf = (reportId: string) =>
  micro1Report(reportId, (json) => {
    json.data.report_url = media.micro1Urls(reportId).report;
  });

/** What the ATS gets for an archived report: its writes, its links, then the archive's links and location. */
const archivedReportEffects = (reportId: string) => [
  ...completedEffects('micro1', `report:${reportId}`),
  new RegExp(`^micro1:report:${reportId}:links:[0-9a-f]+$`),
  new RegExp(`^micro1:report:${reportId}:links:[0-9a-f]+$`),
  `micro1:report:${reportId}:archive`,
];

describe('a media host that hangs (local runtime, media fake holding requests)', () => {
  it('times a stalled download out and archives it once the host answers, dead-letters one whose host stays silent, redrives it once it answers, and affects nothing else', async () => {
    // Prepare: HangA's host hangs until released, HangB's through all of its task's receives, HangOk's answers
    const hangA = media.faults.hold({ method: 'GET', path: pdfPath('HangA'), every: true });
    hangB = media.faults.hold({ method: 'GET', path: pdfPath('HangB'), every: true });

    // Act
    for (const id of ['HangA', 'HangB', 'HangOk']) {
      expect((await world.deliver('micro1', await reportWithPdf(id))).status).toBe(202);
    }
    // HangA's task timed out and came back (a second request hangs too); then its host answers again
    await eventually(() => expect(hangA.count).toBeGreaterThanOrEqual(2), 40_000);
    hangA.release();

    // Assess: every ATS effect once; HangB's archive neither completed (no follow-up) nor retried forever
    await audit(
      world,
      {
        effects: [
          ...archivedReportEffects('HangA'),
          ...archivedReportEffects('HangOk'),
          ...completedEffects('micro1', 'report:HangB'),
          /^micro1:report:HangB:links:[0-9a-f]+$/,
        ],
        archiveDeadLettered: ['report:HangB report'],
      },
      // Its three receives of 10 s, 11 s apart, twice over on a loaded machine
      90_000,
    );
    expect(hangB?.count).toBeGreaterThanOrEqual(archiveReceives);
    // Every stalled download was ended by the archive function itself (its task failed alone), no
    // invocation by its timeout (which fails the whole batch)
    expect(world.runtimeErrors.filter((line) => line.includes('invocation failed'))).toEqual([]);
    const manifest = archiveManifestOf(world);
    for (const id of ['HangA', 'HangOk']) {
      expect((await manifest.list('micro1', `report:${id}`)).map((entry) => entry.key)).toEqual([
        `interviews/${id}/report.pdf`,
      ]);
    }
    expect(await manifest.list('micro1', 'report:HangB')).toEqual([]);

    // Act: HangB's host answers again; the operator redrives the archive DLQ
    await endStalledInvocations();
    const redrive = await runOpsCommand(['redrive', 'archive'], world.dir);

    // Assess: archived, and the ATS told once
    expect(redrive.lines[0]).toBe('moved 1 of 1 message(s) from the archive DLQ to the archive queue');
    await audit(world, {
      effects: ['HangA', 'HangOk', 'HangB'].flatMap((id) => archivedReportEffects(id)),
    });
    expect((await manifest.list('micro1', 'report:HangB')).map((entry) => entry.key)).toEqual([
      'interviews/HangB/report.pdf',
    ]);
  }, 180_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
