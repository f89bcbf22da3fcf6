/**
 * An event the ATS throttles for good, through the whole local pipeline: the worker tries it on every
 * receive and, on the queue's last, parks it as failed and dead-letters it with the reason, as it would on
 * AWS. Its own file: one local pipeline per process, and this one needs a short queue (4 receives).
 * It also holds the SQS emulator to SQS's counting (receives only, local/patch-emulators.mjs): unpatched,
 * each ChangeMessageVisibility the worker makes cost a receive, the worker never saw its last one, and the
 * emulator dead-lettered the event without a reason or a parked copy. Once the ATS takes writes again, `ops
 * redrive` brings the event home, and so does `ops replay failed` from its parked copy: every effect once.
 */
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { runOpsCommand } from '../../local/ops.js';
import type { SentEvent } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import { audit } from './audit.js';
import { completedEffects, type FaultsWorld, round0Ended, startFaultsWorld } from './harness.js';

const dedupeKeyOf = (sent: SentEvent): string => (JSON.parse(sent.body) as { id: string }).id;

describe('an ATS that throttles an event for good (local runtime, as SQS counts receives)', () => {
  let throttled: FaultsWorld;

  beforeAll(async () => {
    // Visibility 6 s, not 3: each receive waits out the 429s' Retry-After in-process (about 2 s), and a busy
    // machine stretched the last one past 3 s, so the emulator dead-lettered a second copy beside the worker's
    // (a CI run). Each redelivery waits the visibility (10 s floor, capped by it): ~26 s to the DLQ, not ~17.
    throttled = await startFaultsWorld({ workerVisibilityTimeoutSeconds: 6, maxReceiveCount: 4 });
  });

  afterAll(async () => {
    await throttled?.stop();
  });

  /** Every ATS write answered 429 (Retry-After: 1 s) until the faults are cleared. */
  const throttleEveryWrite = () =>
    throttled.receiver.faults.add({
      method: 'POST',
      status: 429,
      retryAfterSeconds: 1,
      when: 'before',
      times: Number.MAX_SAFE_INTEGER,
    });

  it('tries it on every receive, then on the last parks it and dead-letters it with the reason; redrive brings it home once the ATS recovers', async () => {
    // Prepare: every write answered 429 (Retry-After: 1 s)
    throttleEveryWrite();

    // Act
    const sent = await throttled.deliver('round0', await round0Ended('ats-throttled'));
    expect(sent.status).toBe(202);
    const { sqs, queueUrls } = throttled.pipeline;
    const dead = await eventually(async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrls.deadLetter,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      expect(Messages).toHaveLength(1);
      return Messages;
    }, 60_000);
    const parked = await runOpsCommand(['parked', 'failed'], throttled.dir);

    // Assess: all 4 receives reached the worker (the emulator no longer counts a ChangeMessageVisibility as
    // one, local/patch-emulators.mjs), and the last dead-lettered it with its reason, parked as failed
    expect(dead[0]?.MessageAttributes?.failureReason?.StringValue).toMatch(
      /^gave up after 4 attempts; the last failed with AtsTransientError/,
    );
    expect(parked.lines.join('\n')).toContain(dedupeKeyOf(sent));

    // Act: the ATS stops throttling; the operator redrives the DLQ (the message received above released)
    throttled.receiver.faults.clear();
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrls.deadLetter,
        ReceiptHandle: dead[0]?.ReceiptHandle ?? '',
        VisibilityTimeout: 0,
      }),
    );
    const redrive = await runOpsCommand(['redrive', 'events'], throttled.dir);

    // Assess: home, every effect once, the DLQ empty and the parked copy forgotten
    expect(redrive.exitCode).toBe(0);
    expect(redrive.lines[0]).toBe('moved 1 of 1 message(s) from the events DLQ to the events queue');
    await audit(throttled, { effects: completedEffects('round0', 'ats-throttled') });
    expect((await runOpsCommand(['parked', 'failed'], throttled.dir)).lines.join('\n')).not.toContain(
      dedupeKeyOf(sent),
    );
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('brings a dead-lettered event home with `ops replay failed` from its parked copy once the ATS recovers', async () => {
    // Prepare: every write answered 429 again, until the event is dead-lettered and parked
    throttleEveryWrite();
    const sent = await throttled.deliver('round0', await round0Ended('ats-throttled-replayed'));
    expect(sent.status).toBe(202);
    const parkedLine = await eventually(async () => {
      const line = (await runOpsCommand(['parked', 'failed'], throttled.dir)).lines.find((l) =>
        l.includes(dedupeKeyOf(sent)),
      );
      expect(line).toBeDefined();
      return line as string;
    }, 60_000);
    const dedupeKey = /(round0:\S+)/.exec(parkedLine)?.[1] ?? '';

    // Act: the ATS stops throttling; the operator replays the parked copy (the DLQ's copy left where it is)
    throttled.receiver.faults.clear();
    const replay = await runOpsCommand(['replay', 'failed', '--key', dedupeKey], throttled.dir);

    // Assess: home from the parked copy, every effect once; the parked copy forgotten; the DLQ holds its
    // copy still (a redrive of it later repeats nothing)
    expect(replay.exitCode).toBe(0);
    expect(replay.lines).toEqual([
      `replayed 1 failed event(s): ${dedupeKey}`,
      `on: the local npm start (${throttled.dir})`,
    ]);
    await audit(throttled, {
      effects: [
        ...completedEffects('round0', 'ats-throttled'),
        ...completedEffects('round0', 'ats-throttled-replayed'),
      ],
      deadLettered: [dedupeKeyOf(sent)],
    });
    expect((await runOpsCommand(['parked', 'failed'], throttled.dir)).lines.join('\n')).not.toContain(
      dedupeKey,
    );
  }, 150_000);
});
