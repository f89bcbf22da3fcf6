/**
 * More edges of `replayRawEvents` (`npm run ops -- replay --vendor …`) against s3rver: the window’s ends
 * belong to it, a day of more deliveries than are read at once is replayed whole, what changed between the
 * listing and the read is not sent, and the dedupe key sent is the one stored. And the lines it prints.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from '@jest/globals';
import { rawEventKey } from '../../../functions/queue/raw-events.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';
import {
  type RawReplayOptions,
  type RawReplayOutcome,
  rawReplayLines,
  replayRawEvents,
} from '../../../local/ops/replay-raw.js';
import { fixture } from '../../helpers/fixtures.js';
import { startS3rver } from '../../helpers/s3rver.js';
import { ensureRawEvent, rawEventFor } from './raw-events.js';

const bucket = 'replay-raw-edges-test';
const localS3 = await startS3rver(bucket);
const { s3 } = localS3;

afterAll(async () => {
  await localS3.close();
});

/** ROUND0’s interview_ended under another event id: another delivery, another dedupe key. */
const endedWithId = (id: string): Buffer => {
  const body = JSON.parse(fixture('round0', 'interview_ended').raw) as { id: string };
  body.id = id;
  return Buffer.from(JSON.stringify(body));
};

const replayDay = async (
  day: string,
  window: { since?: Date; until?: Date } = {},
  client: S3Client = s3,
): Promise<{ published: InterviewEvent[]; outcome: RawReplayOutcome }> => {
  const published: InterviewEvent[] = [];
  const outcome = await replayRawEvents({
    s3: client,
    bucket,
    vendor: 'round0',
    since: window.since ?? new Date(`${day}T00:00:00.000Z`),
    until: window.until ?? new Date(`${day}T23:59:59.999Z`),
    publish: async (event) => published.push(event),
  });
  return { published, outcome };
};

describe('replayRawEvents (more edges)', () => {
  it('replays the deliveries received exactly at --since and exactly at --until', async () => {
    // Prepare
    const since = new Date('2026-07-01T10:00:00.000Z');
    const until = new Date('2026-07-01T12:00:00.000Z');
    await ensureRawEvent(s3, bucket, 'round0', endedWithId('evt_at_since'), since);
    await ensureRawEvent(s3, bucket, 'round0', endedWithId('evt_at_until'), until);

    // Act
    const { published, outcome } = await replayDay('2026-07-01', { since, until });

    // Assess
    expect(published.map((event) => event.receivedAt)).toEqual([since.toISOString(), until.toISOString()]);
    expect(outcome).toMatchObject({ listed: 2, sent: 2, outsideWindow: 0, unreadable: [] });
  });

  it('replays every delivery of a day holding more objects than it reads at once, each once', async () => {
    // Prepare: 40 deliveries on one day (reads go 16 at a time)
    const day = '2026-07-02';
    const start = Date.parse(`${day}T08:00:00.000Z`);
    for (let i = 0; i < 40; i += 1) {
      await ensureRawEvent(s3, bucket, 'round0', endedWithId(`evt_many_${i}`), new Date(start + i * 1000));
    }

    // Act
    const { published, outcome } = await replayDay(day);

    // Assess
    expect(published).toHaveLength(40);
    expect(new Set(published.map((event) => event.dedupeKey)).size).toBe(40);
    expect(outcome).toMatchObject({ listed: 40, sent: 40, unreadable: [] });
  });

  it('does not send an object that holds another delivery by the time it is read again, and says so', async () => {
    // Prepare: between the first read (listing) and the second (sending), the object is written over with
    // another delivery
    const day = '2026-07-03';
    const at = new Date(`${day}T09:00:00.000Z`);
    await ensureRawEvent(s3, bucket, 'round0', endedWithId('evt_changed'), at);
    const key = rawEventKey('round0', at, rawEventFor('round0', endedWithId('evt_changed'), at).dedupeKey);
    const other = rawEventFor('round0', endedWithId('evt_other'), at);
    let reads = 0;
    const changing = Object.assign(Object.create(Object.getPrototypeOf(s3)) as S3Client, s3, {
      send: async (command: { input?: { Key?: string } }, ...rest: unknown[]) => {
        if (command instanceof GetObjectCommand && command.input.Key === key) {
          reads += 1;
          if (reads === 2) {
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(other) }));
          }
        }
        return (s3.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
      },
    });

    // Act
    const { published, outcome } = await replayDay(day, {}, changing);

    // Assess
    expect(reads).toBe(2);
    expect(published).toEqual([]);
    expect(outcome.unreadable).toEqual([{ key, reason: 'gone or changed since it was listed' }]);
  });

  it('sends the dedupe key the delivery was stored with, not the one today’s parser derives', async () => {
    // Prepare: a delivery stored under a key an earlier version derived
    const at = new Date('2026-07-04T09:00:00.000Z');
    const stored = {
      ...rawEventFor('round0', endedWithId('evt_legacy'), at),
      dedupeKey: 'round0:legacy-key',
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: rawEventKey('round0', at, stored.dedupeKey),
        Body: JSON.stringify(stored),
      }),
    );

    // Act
    const { published } = await replayDay('2026-07-04');

    // Assess
    expect(published.map((event) => event.dedupeKey)).toEqual(['round0:legacy-key']);
  });

  it('reports a stored delivery today’s parser refuses, with the paths it refuses', async () => {
    // Prepare: ROUND0’s interview_ended whose interview id is a number
    const at = new Date('2026-07-05T09:00:00.000Z');
    const body = JSON.parse(endedWithId('evt_refused').toString('utf8')) as {
      data: { interview: { id: unknown } };
    };
    body.data.interview.id = 42;
    const stored = {
      ...rawEventFor('round0', endedWithId('evt_refused'), at),
      bodyBase64: Buffer.from(JSON.stringify(body)).toString('base64'),
    };
    const key = rawEventKey('round0', at, stored.dedupeKey);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(stored) }));

    // Act
    const { published, outcome } = await replayDay('2026-07-05');

    // Assess
    expect(published).toEqual([]);
    expect(outcome.unreadable).toEqual([{ key, reason: expect.stringMatching(/^invalid at .+/) }]);
  });
});

describe('rawReplayLines', () => {
  const options: RawReplayOptions = {
    s3,
    bucket,
    vendor: 'round0',
    since: new Date('2026-07-01T00:00:00.000Z'),
    until: new Date('2026-07-03T23:59:59.999Z'),
    publish: async () => undefined,
  };
  const outcome: RawReplayOutcome = {
    days: ['2026-07-01', '2026-07-02', '2026-07-03'],
    listed: 3,
    sent: 0,
    outsideWindow: 1,
    otherType: 0,
    unreadable: [],
  };

  it('says what was stored though nothing was sent, the first and last day, and one skipped outside the window', () => {
    // Act
    const lines = rawReplayLines(options, outcome);

    // Assess
    expect(lines).toEqual([
      'sent 0 round0 event(s) to the events queue (3 stored on 3 day(s): 2026-07-01 .. 2026-07-03)',
      'skipped 1 received outside 2026-07-01T00:00:00.000Z .. 2026-07-03T23:59:59.999Z',
      'same dedupe keys: the worker skips what it processed before (duplicates) and processes the rest',
    ]);
  });
});
