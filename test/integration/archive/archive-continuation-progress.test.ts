/**
 * The real archive handler (functions/archive.ts) continuing a task cut short by its time only on progress:
 * objects new to the manifest, not objects stored again. A playlist whose redirect lands somewhere else on
 * every request (another CDN edge host, a token in the path) resolves its segments to other URLs each time,
 * so every run stores the first segments again over themselves; counted as progress, the task sent itself
 * again forever, never using up a receive, never parked. And however it progresses, a task continues at most
 * 50 times (`continuations` in its message), then goes on by its receives.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { resources } from '../../../lib/resources.js';
import { startEmulators } from '../../../local/emulators.js';
import { invokeArchive, micro1RecordingTask, startArchiveHandler, takeMessages } from './archive-handler.js';
import { answerPlaylist, answerSegment, startMediaHost } from './media-server.js';

// Prepare (once): emulators, a media host, the handler's environment
const emulators = await startEmulators();
/** Segments of each recording: the first `fast` are answered at once, the others after the run's time. */
const segments = 8;
const fast = 4;
const requested: string[] = [];
let redirects = 0;
const timers = new Set<NodeJS.Timeout>();
const { origin, close: closeMedia } = await startMediaHost((request, response) => {
  const path = request.url ?? '';
  requested.push(path);
  // `/moving/…`: the entry playlist redirects to a path with a new token on every request
  const entry = /^\/([^/]+)\/index\.m3u8$/.exec(path);
  if (entry?.[1]?.startsWith('moving')) {
    redirects += 1;
    response.writeHead(302, { location: `/${entry[1]}/t${redirects}/index.m3u8` }).end();
    return;
  }
  if (path.endsWith('.m3u8')) {
    answerPlaylist(response, segments);
    return;
  }
  const index = Number(/seg_(\d+)\.ts$/.exec(path)?.[1]);
  const timer = setTimeout(
    () => {
      if (!response.destroyed) answerSegment(response, path);
    },
    index < fast ? 0 : 30_000,
  );
  timers.add(timer);
});
const {
  handler,
  manifest,
  close: closeHandler,
} = await startArchiveHandler(emulators, 'archive-continuation-progress-');
const lastReceive = resources.archiveQueue.maxReceiveCount;

afterAll(async () => {
  for (const timer of timers) clearTimeout(timer);
  closeHandler();
  await closeMedia();
  await emulators.close();
});

/** A task for the recording at `/{id}/index.m3u8`, `continuations` in its message when given. */
const recordingTask = (id: string, continuations?: number): ArchiveTask =>
  ({
    ...micro1RecordingTask(id, origin),
    ...(continuations === undefined ? {} : { continuations }),
  }) as ArchiveTask;

/** Receives (and deletes) what waits on `queueUrl`. */
const take = (queueUrl: string) => takeMessages(emulators, queueUrl);
const takeArchiveQueue = () => take(emulators.queueUrls.archive);
const bodiesOf = (messages: readonly Message[]) =>
  messages.map((message) => JSON.parse(message.Body ?? '{}'));

const segmentsArchived = async (task: ArchiveTask) =>
  (await manifest.list(task.vendor, task.interviewKey)).filter((object) => object.key.endsWith('.ts'));

/**
 * One run with 20 s left (its media requests end at 18 s, its manifest's at 19 s): the slow segments are never
 * answered in it, and a second is kept to end the run (half a second, of a 10 s run, was spent on a loaded
 * machine).
 */
const run = (task: ArchiveTask, receiveCount = 1) =>
  invokeArchive(handler, task, { receiveCount, remainingMs: 20_000 });

// Each test runs its task two or three times for 20 s: past jest's 60 s default.
describe('archive handler: continuing a task cut short by its time', () => {
  it('continues a recording whose segment URLs change with every read only while it archives new segments, then retries it by its receives and parks it on the last', async () => {
    // Prepare
    const task = recordingTask('moving');

    // Act: a first run stores the fast segments, then its time runs out
    const firstFailures = await run(task);
    const continued = await takeArchiveQueue();

    // Assess: new segments, continued at once with the count of continuations
    expect(firstFailures).toEqual([]);
    expect((await segmentsArchived(task)).map((object) => object.sourceUrl)).toEqual(
      Array.from({ length: fast }, (_, i) => `${origin}/moving/t1/seg_${i}.ts`),
    );
    expect(bodiesOf(continued)).toEqual([{ ...task, continuations: 1 }]);

    // Act: the continuation reads the playlist under another token and stores the same segments again
    const secondFailures = await run(recordingTask('moving', 1));

    // Assess: stored again (over themselves), nothing new: retried by a receive, not continued
    expect((await segmentsArchived(task)).map((object) => object.sourceUrl)).toEqual(
      Array.from({ length: fast }, (_, i) => `${origin}/moving/t2/seg_${i}.ts`),
    );
    expect(secondFailures).toHaveLength(1);
    expect(await takeArchiveQueue()).toEqual([]);

    // Act: its last receive, the same again
    const lastFailures = await run(recordingTask('moving', 1), lastReceive);

    // Assess: acknowledged, dead-lettered with its reason, not continued
    expect(lastFailures).toEqual([]);
    expect(await takeArchiveQueue()).toEqual([]);
    const dead = (await take(emulators.queueUrls.archiveDeadLetter)).filter(
      (message) => JSON.parse(message.Body ?? '{}').interviewKey === task.interviewKey,
    );
    expect(dead.map((message) => message.MessageAttributes?.failureReason?.StringValue)).toEqual([
      expect.stringMatching(new RegExp(`^gave up after ${lastReceive} attempts; the last failed with `)),
    ]);
  }, 120_000);

  it('continues a task that archived new segments up to its 50th continuation, and retries it by its receives past them', async () => {
    // Prepare: two recordings at a stable URL, both with new segments to store
    const below = recordingTask('capped-49', 49);
    const at = recordingTask('capped-50', 50);

    // Act
    const belowFailures = await run(below);
    const belowSent = await takeArchiveQueue();
    const atFailures = await run(at);
    const atSent = await takeArchiveQueue();

    // Assess: the 50th continuation sent; none past it, the task retried (a receive used)
    expect(await segmentsArchived(below)).toHaveLength(fast);
    expect(belowFailures).toEqual([]);
    expect(bodiesOf(belowSent)).toEqual([{ ...below, continuations: 50 }]);
    expect(await segmentsArchived(at)).toHaveLength(fast);
    expect(atFailures).toHaveLength(1);
    expect(atSent).toEqual([]);
  }, 120_000);
});
