/**
 * The real archive handler (functions/archive.ts) on a recording longer than one invocation can copy, against
 * the local emulators and a slow media host: the run stores what it can, then sends the task again to go on at
 * once (a new message: no 90-minute wait, none of its 5 receives used), and the next run finishes it from
 * where the first stopped, each object downloaded and stored once. A run that stored nothing is retried as
 * before.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { startEmulators } from '../../../local/emulators.js';
import { captureMetrics, valuesOf } from '../../unit/platform/emf.js';
import { invokeArchive, micro1RecordingTask, startArchiveHandler, takeMessages } from './archive-handler.js';
import { answerPlaylist, answerSegment, startMediaHost } from './media-server.js';

// Prepare (once): emulators, a media host answering each segment after 1 s (the long recording's after 2 s),
// the handler's environment
const emulators = await startEmulators();
const segments = 48;
const segmentDelayMs = 1_000;
const longSegmentDelayMs = 2_000;
const requested: string[] = [];
const { origin, close: closeMedia } = await startMediaHost((request, response) => {
  const path = request.url ?? '';
  requested.push(path);
  if (path.endsWith('.m3u8')) {
    answerPlaylist(response, segments);
    return;
  }
  // A host failing one segment (503) of the third test's recording
  if (path === '/flaky/seg_5.ts') {
    response.writeHead(503).end();
    return;
  }
  // The second test's recording: a segment slower than its whole run
  const delayMs = path.startsWith('/stuck/')
    ? 30_000
    : path.startsWith('/flaky/')
      ? 0
      : path.startsWith('/long-1/')
        ? longSegmentDelayMs
        : segmentDelayMs;
  setTimeout(() => answerSegment(response, path), delayMs);
});
// Metrics on: the objects a run stored are counted however it ends.
const {
  handler,
  manifest,
  close: closeHandler,
} = await startArchiveHandler(emulators, 'archive-continuation-', { POWERTOOLS_METRICS_DISABLED: 'false' });

afterAll(async () => {
  closeHandler();
  await closeMedia();
  await emulators.close();
});

/**
 * Receives (and deletes) what waits on the archive queue for `task`'s interview: a test's assertions stay its
 * own when an earlier one failed and left its continuation behind.
 */
const takeArchiveQueue = async (task: ArchiveTask) =>
  (await takeMessages(emulators, emulators.queueUrls.archive)).filter(
    (message) => JSON.parse(message.Body ?? '{}').interviewKey === task.interviewKey,
  );

const segmentsArchived = async (task: ArchiveTask) =>
  (await manifest.list(task.vendor, task.interviewKey)).filter((object) => object.key.endsWith('.ts')).length;

describe('archive handler: a recording longer than one invocation', () => {
  it('stores what it can, goes on at once in a new message, and the next run finishes it, each segment once', async () => {
    // Prepare: 48 segments of 2 s each, 4 at a time: ~24 s
    const task = micro1RecordingTask('long-1', origin);

    // Act: a first run with 20 s left (its media requests end at 18 s, its manifest's at 19 s: a second kept
    // to end the run, which takes some 20 ms unloaded; the 10 s invocation once used left half a second, and a
    // loaded CI machine spent it)
    const { result: firstFailures, metrics } = await captureMetrics(() =>
      invokeArchive(handler, task, { remainingMs: 20_000 }),
    );
    const partly = await segmentsArchived(task);
    const sentAgain = await takeArchiveQueue(task);

    // Assess: acknowledged (no receive used), part stored, the same task sent again at once, its continuation counted
    expect(firstFailures).toEqual([]);
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(segments);
    expect(sentAgain.map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([
      { ...task, continuations: 1 },
    ]);
    // Counted, though the run did not end in success (the next run finds them archived, not stored): its
    // segments (the playlist is stored once they all are)
    expect(
      valuesOf(metrics, 'ArchiveObjects', { service: 'interview-sync-archive', vendor: 'micro1' }),
    ).toEqual([partly]);

    // Act: the continuation, with time enough
    const secondFailures = await invokeArchive(handler, task, { remainingMs: 900_000 });

    // Assess: the rest stored, nothing fetched twice but the playlist
    expect(secondFailures).toEqual([]);
    expect(await segmentsArchived(task)).toBe(segments);
    const segmentRequests = requested.filter((path) => path.startsWith('/long-1/seg_'));
    expect(new Set(segmentRequests).size).toBe(segments);
    expect(segmentRequests.length).toBeLessThanOrEqual(segments + 4);
    // archive.completed went to the events queue; nothing more waits on the archive queue
    expect(await takeArchiveQueue(task)).toEqual([]);
  });

  it('retries a run cut short before it stored anything, as any transient failure (a receive used)', async () => {
    // Prepare: a host slower than the run's time for any segment
    const task = micro1RecordingTask('stuck', origin);

    // Act: 20 s left, media requests ending at 18 s (a second to end the run, as above)
    const failures = await invokeArchive(handler, task, { remainingMs: 20_000 });

    // Assess
    expect(failures).toHaveLength(1);
    expect(await segmentsArchived(task)).toBe(0);
    expect(await takeArchiveQueue(task)).toEqual([]);
  });

  it('retries a run that stored something and then failed well before its time was spent (a failure, not a continuation)', async () => {
    // Prepare: a host that answers one segment 503, every time
    const task = micro1RecordingTask('flaky', origin);

    // Act
    const failures = await invokeArchive(handler, task, { remainingMs: 900_000 });

    // Assess: a batch failure (a receive used, as for any failure), nothing sent again
    expect(failures).toHaveLength(1);
    expect(await segmentsArchived(task)).toBeGreaterThan(0);
    expect(await takeArchiveQueue(task)).toEqual([]);
  });
});
