/**
 * `replayRawEvents` (`npm run ops -- replay --vendor …`) against s3rver: what it puts on the queue for the
 * deliveries of a window. The whole command against the running pipeline is tested in privacy.test.ts;
 * here, the envelopes themselves: the vendor's event as parsed again, stamped with the replay's time (the
 * worker measures the lag from it), and a new dedupe key only when forced.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from '@jest/globals';
import { rawBatchesPrefix, rawBatchKey } from '../../../functions/queue/raw-events.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';
import { replayRawEvents } from '../../../local/ops/replay-raw.js';
import { fixture } from '../../helpers/fixtures.js';
import { startS3rver } from '../../helpers/s3rver.js';
import { ensureRawEvent, rawEventFor, storeAsOneInvocation } from './raw-events.js';

const bucket = 'replay-raw-test';
const localS3 = await startS3rver(bucket);
const { s3 } = localS3;

// Two deliveries on one day: ROUND0's interview_ended (its event happened in 2024) and interview_started.
const receivedAt = new Date('2026-06-01T10:00:00.000Z');
const ended = fixture('round0', 'interview_ended');
const started = fixture('round0', 'interview_started');
await ensureRawEvent(s3, bucket, 'round0', Buffer.from(ended.raw), receivedAt);
await ensureRawEvent(s3, bucket, 'round0', Buffer.from(started.raw), new Date(receivedAt.getTime() + 1000));

afterAll(async () => {
  await localS3.close();
});

const replay = async (force: boolean) => {
  const published: InterviewEvent[] = [];
  const now = new Date('2026-06-09T08:30:00.000Z');
  const outcome = await replayRawEvents({
    s3,
    bucket,
    vendor: 'round0',
    since: new Date('2026-06-01T00:00:00.000Z'),
    until: new Date('2026-06-01T23:59:59.999Z'),
    type: 'interview_ended',
    force,
    publish: async (event) => published.push(event),
    now: () => now,
  });
  return { published, outcome, now };
};

describe('replayRawEvents', () => {
  it('publishes the window’s deliveries of the type as parsed again, stamped with the replay’s time', async () => {
    // Act
    const { published, outcome, now } = await replay(false);

    // Assess: the vendor's event time is kept; the lag runs from `replayedAt`
    expect(outcome.sent).toBe(1);
    expect(outcome.otherType).toBe(1);
    const [event] = published;
    expect(event?.type).toBe('interview_ended');
    expect(event?.dedupeKey).toBe('round0:evt_660f9511f30c52e5b827557766551111');
    expect(event?.receivedAt).toBe(receivedAt.toISOString());
    expect(Date.parse(event?.occurredAt ?? '')).toBeLessThan(receivedAt.getTime());
    expect(event?.replayedAt).toBe(now.toISOString());
  });

  it('forced, gives each event a new dedupe key named after the replay, and the same stamp', async () => {
    // Act
    const { published, outcome, now } = await replay(true);

    // Assess
    expect(outcome.forcedSuffix).toBe('#replay-20260609T083000000Z');
    expect(published.map((event) => [event.dedupeKey, event.replayedAt])).toEqual([
      ['round0:evt_660f9511f30c52e5b827557766551111#replay-20260609T083000000Z', now.toISOString()],
    ]);
  });

  it('reads batch objects: the vendor’s deliveries only, each dedupe key once (the copy received last), in order', async () => {
    // Prepare, on 2026-06-02: ROUND0's interview_started stored alone, then an invocation of three deliveries
    // (its interview_ended, the same interview_started again, micro1's report) and a retry of two of them
    // in another invocation (another batch object)
    const day = new Date('2026-06-02T09:00:00.000Z');
    const at = (seconds: number) => new Date(day.getTime() + seconds * 1000);
    const report = fixture('micro1', 'interview_report.created');
    await ensureRawEvent(s3, bucket, 'round0', Buffer.from(started.raw), at(0));
    const first = await storeAsOneInvocation(s3, bucket, [
      rawEventFor('round0', Buffer.from(ended.raw), at(5)),
      rawEventFor('round0', Buffer.from(started.raw), at(6)),
      rawEventFor('micro1', Buffer.from(report.raw), at(7)),
    ]);
    const retried = await storeAsOneInvocation(s3, bucket, [
      rawEventFor('round0', Buffer.from(ended.raw), at(9)),
      rawEventFor('micro1', Buffer.from(report.raw), at(9)),
    ]);
    expect(new Set(first).size).toBe(1);
    expect(first[0]).toMatch(new RegExp(`^${rawBatchesPrefix}2026-06-02/`));
    expect(retried[0]).not.toBe(first[0]);
    const published: InterviewEvent[] = [];

    // Act
    const outcome = await replayRawEvents({
      s3,
      bucket,
      vendor: 'round0',
      since: new Date('2026-06-02T00:00:00.000Z'),
      until: new Date('2026-06-02T23:59:59.999Z'),
      publish: async (event) => published.push(event),
    });

    // Assess: started (its copy of 09:00:06), then ended (09:00:09); micro1's report is not ROUND0's
    expect(published.map((event) => [event.type, event.receivedAt])).toEqual([
      ['interview_started', at(6).toISOString()],
      ['interview_ended', at(9).toISOString()],
    ]);
    expect(outcome).toMatchObject({ listed: 2, sent: 2, unreadable: [], days: ['2026-06-02'] });
  });

  it('replays the copy inside the window when the day’s last copy was received after it', async () => {
    // Prepare, on 2026-06-03: interview_ended received at 10:00, and again (a retry, in a batch) at 23:00
    const at = (time: string) => new Date(`2026-06-03T${time}.000Z`);
    await ensureRawEvent(s3, bucket, 'round0', Buffer.from(ended.raw), at('10:00:00'));
    await storeAsOneInvocation(s3, bucket, [
      rawEventFor('round0', Buffer.from(ended.raw), at('23:00:00')),
      rawEventFor('round0', Buffer.from(started.raw), at('23:00:00')),
    ]);
    const published: InterviewEvent[] = [];

    // Act: the window ends at noon
    const outcome = await replayRawEvents({
      s3,
      bucket,
      vendor: 'round0',
      since: at('00:00:00'),
      until: at('12:00:00'),
      publish: async (event) => published.push(event),
    });

    // Assess: the 10:00 copy, once; interview_started (23:00 only) outside the window
    expect(published.map((event) => [event.type, event.receivedAt])).toEqual([
      ['interview_ended', at('10:00:00').toISOString()],
    ]);
    expect(outcome).toMatchObject({ listed: 2, sent: 1, outsideWindow: 1 });
  });

  it('replays the deliveries of a batch one of whose entries it does not understand, and reports the object', async () => {
    // Prepare, on 2026-06-03: a batch object whose middle entry is not a stored delivery (a vendor this
    // version does not know)
    const day = new Date('2026-06-03T09:00:00.000Z');
    const deliveries = [
      rawEventFor('round0', Buffer.from(ended.raw), day),
      { schemaVersion: 1, vendor: 'acme', dedupeKey: 'acme:1', receivedAt: day.toISOString() },
      rawEventFor('round0', Buffer.from(started.raw), new Date(day.getTime() + 1000)),
    ];
    const key = rawBatchKey('2026-06-03', ['round0:a', 'acme:1', 'round0:b']);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ schemaVersion: 2, events: deliveries }),
      }),
    );
    const published: InterviewEvent[] = [];

    // Act
    const outcome = await replayRawEvents({
      s3,
      bucket,
      vendor: 'round0',
      since: new Date('2026-06-03T00:00:00.000Z'),
      until: new Date('2026-06-03T23:59:59.999Z'),
      publish: async (event) => published.push(event),
    });

    // Assess: both ROUND0 deliveries replayed (before: none, the whole object "not a stored delivery")
    expect(published.map((event) => event.type)).toEqual(['interview_ended', 'interview_started']);
    // (listed: the two deliveries and what was not one, as an object that is not one is counted)
    expect(outcome).toMatchObject({
      listed: 3,
      sent: 2,
      unreadable: [{ key, reason: 'not a stored delivery' }],
    });
  });

  it('reports a delivery gone between the listing and its first read as not replayed, not as "not a delivery"', async () => {
    // Prepare, on 2026-06-04: two deliveries; the first read of one finds it deleted since the listing (the
    // retention's expiry, or an erase, at that moment)
    const day = new Date('2026-06-04T09:00:00.000Z');
    await ensureRawEvent(s3, bucket, 'round0', Buffer.from(ended.raw), day);
    await ensureRawEvent(s3, bucket, 'round0', Buffer.from(started.raw), new Date(day.getTime() + 1000));
    const listedKeys = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/round0/2026-06-04/' }),
    );
    const keys = (listedKeys.Contents ?? []).map((object) => object.Key ?? '').sort();
    const goneKey = keys[1];
    const deleting = Object.assign(Object.create(Object.getPrototypeOf(s3)) as S3Client, s3, {
      send: async (command: { input?: { Key?: string } }, ...rest: unknown[]) => {
        if (command instanceof GetObjectCommand && command.input.Key === goneKey) {
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: goneKey }));
        }
        return (s3.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
      },
    });
    const published: InterviewEvent[] = [];

    // Act
    const outcome = await replayRawEvents({
      s3: deleting,
      bucket,
      vendor: 'round0',
      since: new Date('2026-06-04T00:00:00.000Z'),
      until: new Date('2026-06-04T23:59:59.999Z'),
      publish: async (event) => published.push(event),
    });

    // Assess: the other delivery replayed; the gone one said as not replayed (the command exits 1 on it)
    expect(keys).toHaveLength(2);
    expect(published).toHaveLength(1);
    expect(outcome.unreadable).toEqual([{ key: goneKey, reason: 'gone since it was listed' }]);
  });
});
