/**
 * `npm run ops -- redrive` on the emulators alone (no worker consumes the queues, so what arrives can be
 * read): the copy carries the message's body and own attributes, the envelope's ids put back, and none of the
 * failure attributes; the archive DLQ goes back to the archive queue; nothing is lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { ParkedKey } from '../../../functions/ledger/parking-lot.js';
import { sendToDeadLetterQueue } from '../../../functions/queue/dead-letter.js';
import { resources } from '../../../lib/resources.js';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import {
  batchPayloadLimitBytes,
  claimCheckStoredIn,
  clockSkewMs,
  redrive,
  redriveLines,
} from '../../../local/ops/redrive.js';
import { runOpsCommand } from '../../../local/ops.js';
import { queueDepth } from '../../../local/queue-depth.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import { drainQueue, settledQueueCounts } from '../../e2e/helpers.js';
import { round0 } from '../sync/world.js';

interface BatchEntry {
  readonly MessageBody?: string;
  readonly MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }>;
}

/** SQS's size of a batch entry: its body, and each attribute's name, data type and value. */
const entryBytes = (entry: BatchEntry): number =>
  Buffer.byteLength(entry.MessageBody ?? '') +
  Object.entries(entry.MessageAttributes ?? {}).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name + (value.DataType ?? '') + (value.StringValue ?? '')),
    0,
  );

/**
 * An SQS client on the emulator that refuses a `SendMessageBatch` as SQS does where the emulator does not:
 * `refusal` returns the error for a batch's entries, or undefined to send it.
 */
const anSqsClientRefusing = (refusal: (entries: readonly BatchEntry[]) => Error | undefined): SQSClient => {
  const sqs = new SQSClient({
    region: localAws.region,
    credentials: localAws.credentials,
    endpoint: emulators.endpoints.sqs,
  });
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const { Entries } = args.input as { Entries?: BatchEntry[] };
      const refused =
        context.commandName === 'SendMessageBatchCommand' && Entries !== undefined
          ? refusal(Entries)
          : undefined;
      if (refused !== undefined) throw refused;
      return next(args);
    },
    { step: 'initialize', name: 'refuseAsSqsDoes' },
  );
  return sqs;
};

/**
 * An SQS client on the emulator with a source queue that fails everything again, and a DLQ answering as SQS
 * may where the emulator does not:
 * - a receive from the DLQ returns at most `sample` of the messages asked for, the newest (SQS samples a
 *   standard queue in no order and may return fewer than asked; the emulator returns the oldest, as many as
 *   asked), the others released untouched;
 * - after each `SendMessageBatch` to the events queue, `bounce` is called with the bodies it accepted, as
 *   the worker failing them again would (it dead-letters a new copy, visible at once).
 */
const anSqsClientBouncing = (
  sample: number,
  bounce: (bodies: readonly string[]) => Promise<void>,
): SQSClient => {
  const sqs = new SQSClient({
    region: localAws.region,
    credentials: localAws.credentials,
    endpoint: emulators.endpoints.sqs,
  });
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { QueueUrl?: string; Entries?: (BatchEntry & { Id?: string })[] };
      if (
        context.commandName === 'ReceiveMessageCommand' &&
        input.QueueUrl === emulators.queueUrls.deadLetter
      ) {
        const { MaxNumberOfMessages = 1 } = args.input as { MaxNumberOfMessages?: number };
        const result = await next({ ...args, input: { ...args.input, MaxNumberOfMessages: 10 } });
        const { Messages = [] } = result.output as { Messages?: Message[] };
        const from = Math.max(0, Messages.length - Math.min(sample, MaxNumberOfMessages));
        for (const message of Messages.slice(0, from)) {
          await emulators.sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: emulators.queueUrls.deadLetter,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          );
        }
        return { ...result, output: { ...result.output, Messages: Messages.slice(from) } };
      }
      const result = await next(args);
      if (
        context.commandName === 'SendMessageBatchCommand' &&
        input.QueueUrl === emulators.queueUrls.events
      ) {
        const { Successful = [] } = result.output as { Successful?: { Id?: string }[] };
        await bounce(
          Successful.map(({ Id }) => input.Entries?.find((entry) => entry.Id === Id)?.MessageBody ?? ''),
        );
      }
      return result;
    },
    { step: 'initialize', name: 'bounceAsTheWorkerDoes' },
  );
  return sqs;
};

/**
 * 25 events dead-lettered (ids `<prefix>_<n>`), then a redrive of the events DLQ whose operator presses
 * Ctrl-C (an abort) once its first batch is deleted: its outcome.
 */
const redriveInterruptedAfterABatch = async (prefix: string, max?: number) => {
  for (let n = 0; n < 25; n += 1) {
    await deadLetter(
      JSON.stringify({ kind: 'event', event: round0('interview_ended', { eventId: `${prefix}_${n}` }) }),
    );
  }
  const interrupt = new AbortController();
  const sqs = new SQSClient({
    region: localAws.region,
    credentials: localAws.credentials,
    endpoint: emulators.endpoints.sqs,
  });
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'DeleteMessageBatchCommand') interrupt.abort();
      return result;
    },
    { step: 'initialize', name: 'ctrlCAfterABatch' },
  );
  try {
    return await redrive({
      sqs,
      which: 'events',
      from: emulators.queueUrls.deadLetter,
      to: emulators.queueUrls.events,
      ...(max === undefined ? {} : { max }),
      signal: interrupt.signal,
    });
  } finally {
    sqs.destroy();
  }
};

/** What the worker does with an event that fails permanently: a new message on the DLQ, with its reason. */
const deadLetter = (body: string, reason = 'lever: forbidden') =>
  sendToDeadLetterQueue(
    emulators.sqs,
    emulators.queueUrls.deadLetter,
    { body },
    { errorName: 'AtsPermanentError', reason },
  );

let emulators: LocalEmulators;
let dataDir: string;

beforeAll(async () => {
  emulators = await startEmulators();
  dataDir = await mkdtemp(join(tmpdir(), 'ops-redrive-queue-'));
  await writeRuntimeInfo(dataDir, runtimeInfoFor(emulators));
});

afterAll(async () => {
  await emulators?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm run ops -- redrive (queues only)', () => {
  it('sends each events-DLQ message back without its failure attributes, with the envelope ids, and empties the DLQ', async () => {
    // Prepare: two events dead-lettered the way the worker does it (body only + failure attributes)
    const events = [1, 2].map((n) =>
      round0('interview_ended', {
        eventId: `evt_redrive_${n}`,
        interviewId: `int-${n}`,
        email: `r${n}@example.com`,
      }),
    );
    for (const event of events) {
      await sendToDeadLetterQueue(
        emulators.sqs,
        emulators.queueUrls.deadLetter,
        { body: JSON.stringify({ kind: 'event', event }) },
        { errorName: 'AtsPermanentError', reason: 'lever: forbidden' },
      );
    }

    // Act
    const before = new Date();
    const { lines } = await runOpsCommand(['redrive', 'events'], dataDir);
    const after = new Date();
    const moved = await drainQueue(emulators.sqs, emulators.queueUrls.events);

    // Assess
    expect(lines.slice(0, 2)).toEqual([
      'moved 2 of 2 message(s) from the events DLQ to the events queue',
      '  2 × lever: forbidden',
    ]);
    expect(
      moved.map((m) => m.message).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(events.map((event) => ({ kind: 'event', event })));
    for (const { attributes } of moved) {
      expect(attributes).toEqual({
        vendor: 'round0',
        eventType: 'interview_ended',
        dedupeKey: expect.stringMatching(/^round0:evt_redrive_[12]$/),
        // The redrive's time, which the worker's end-to-end lag starts from.
        redrivenAt: expect.any(String),
      });
      const redrivenAt = Date.parse(attributes.redrivenAt ?? '');
      expect(redrivenAt).toBeGreaterThanOrEqual(before.getTime());
      expect(redrivenAt).toBeLessThanOrEqual(after.getTime());
    }
    expect(await queueDepth(emulators.sqs, emulators.queueUrls.deadLetter)).toBe(0);
  });

  it('moves an event whose id holds a character SQS refuses in an attribute, labelled as the ingest labels it', async () => {
    // Prepare: a dead letter without its labels (rebuilt from the body), an id with a control character,
    // and a client that refuses such an attribute value as SQS does (InvalidParameterValue), which the
    // emulator does not
    const event = {
      ...round0('interview_ended', { eventId: 'evt_ctl', interviewId: 'int-ctl', email: 'c@example.com' }),
      dedupeKey: 'round0:evt_\u0001ctl',
    };
    await sendToDeadLetterQueue(
      emulators.sqs,
      emulators.queueUrls.deadLetter,
      { body: JSON.stringify({ kind: 'event', event }) },
      { errorName: 'AtsPermanentError', reason: 'lever: forbidden' },
    );
    const refusedCharacter = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
    const sqs = anSqsClientRefusing((entries) =>
      entries.some((entry) =>
        Object.values(entry.MessageAttributes ?? {}).some((value) =>
          refusedCharacter.test(value.StringValue ?? ''),
        ),
      )
        ? Object.assign(new Error('Invalid binary character in message attribute'), {
            name: 'InvalidParameterValue',
          })
        : undefined,
    );

    // Act
    const outcome = await redrive({
      sqs,
      which: 'events',
      from: emulators.queueUrls.deadLetter,
      to: emulators.queueUrls.events,
    });
    const moved = await drainQueue(emulators.sqs, emulators.queueUrls.events);
    sqs.destroy();

    // Assess
    expect(outcome).toMatchObject({ found: 1, moved: 1, refused: 0 });
    expect(moved.map((m) => (m.message as { event: { dedupeKey: string } }).event.dedupeKey)).toEqual([
      'round0:evt_\u0001ctl',
    ]);
    expect(await queueDepth(emulators.sqs, emulators.queueUrls.deadLetter)).toBe(0);
  });

  it('moves ten messages near the size limit in batches SQS accepts, losing none', async () => {
    // Prepare: ten dead-lettered events of ~100 KB each (claim checks start at 256 KiB), and an SQS client
    // that refuses a batch over SQS's total as SQS does (BatchRequestTooLong), which the emulator does not
    const events = Array.from({ length: 10 }, (_, n) => ({
      ...round0('interview_ended', {
        eventId: `evt_big_${n}`,
        interviewId: `int-big-${n}`,
        email: 'b@example.com',
      }),
      payload: { transcript: 'x'.repeat(100_000) },
    }));
    for (const event of events) {
      await sendToDeadLetterQueue(
        emulators.sqs,
        emulators.queueUrls.deadLetter,
        { body: JSON.stringify({ kind: 'event', event }) },
        { errorName: 'AtsPermanentError', reason: 'lever: forbidden' },
      );
    }
    const batches: number[] = [];
    const sqs = anSqsClientRefusing((entries) => {
      const total = entries.reduce((sum, entry) => sum + entryBytes(entry), 0);
      batches.push(total);
      return total > batchPayloadLimitBytes
        ? Object.assign(new Error('Batch requests cannot be longer than 262144 bytes'), {
            name: 'BatchRequestTooLong',
          })
        : undefined;
    });

    // Act
    const outcome = await redrive({
      sqs,
      which: 'events',
      from: emulators.queueUrls.deadLetter,
      to: emulators.queueUrls.events,
    });
    const moved = await drainQueue(emulators.sqs, emulators.queueUrls.events);
    sqs.destroy();

    // Assess: every event moved once, in batches within the limit, and the DLQ empty
    expect(outcome).toMatchObject({ found: 10, moved: 10, refused: 0, notDeleted: 0 });
    expect(batches.length).toBeGreaterThan(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(batchPayloadLimitBytes);
    expect(moved.map((m) => (m.message as { event: { dedupeKey: string } }).event.dedupeKey).sort()).toEqual(
      events.map((event) => event.dedupeKey).sort(),
    );
    expect(await queueDepth(emulators.sqs, emulators.queueUrls.deadLetter)).toBe(0);
  });

  it('keeps the parked copy of a moved claim-check message whose object has expired (the only whole envelope)', async () => {
    // Prepare: two dead-lettered pointers to claim checks, one still stored and one expired, each with its
    // parked 'failed' copy
    const s3 = new S3Client({
      region: localAws.region,
      credentials: localAws.credentials,
      endpoint: emulators.endpoints.s3,
      forcePathStyle: true,
    });
    const bucket = resources.bucket.name;
    const pointer = (name: string) => ({
      kind: 'claim-check',
      bucket,
      key: `claim-checks/round0/${name}.json`,
      dedupeKey: `round0:evt_${name}`,
      vendor: 'round0',
      type: 'interview_ended',
    });
    const [stored, expired] = [pointer('stored'), pointer('expired')];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: stored.key, Body: '{}' }));
    for (const message of [stored, expired]) {
      await sendToDeadLetterQueue(
        emulators.sqs,
        emulators.queueUrls.deadLetter,
        { body: JSON.stringify(message) },
        { errorName: 'AtsPermanentError', reason: 'lever: forbidden' },
      );
    }
    const copies = [stored, expired].map(
      (message): ParkedKey => ({
        kind: 'failed',
        parkedAt: '2026-12-04T00:00:00.000Z',
        dedupeKey: message.dedupeKey,
      }),
    );
    const removed: string[] = [];
    const parking = {
      listKeys: async () => copies,
      remove: async (entry: ParkedKey) => {
        removed.push(entry.dedupeKey);
      },
    };

    // Act
    const outcome = await redrive({
      sqs: emulators.sqs,
      which: 'events',
      from: emulators.queueUrls.deadLetter,
      to: emulators.queueUrls.events,
      parking,
      claimCheckStored: claimCheckStoredIn(s3),
    });
    const moved = await drainQueue(emulators.sqs, emulators.queueUrls.events);
    s3.destroy();

    // Assess: both moved; only the stored one's copy forgotten, and the output says how to resend the other
    expect(outcome.moved).toBe(2);
    expect(moved).toHaveLength(2);
    expect(removed).toEqual([stored.dedupeKey]);
    expect(outcome).toMatchObject({ parkedRemoved: 1, parkedKept: 1 });
    expect(redriveLines('events', outcome)).toContainEqual(
      expect.stringMatching(/^kept 1 parked 'failed' copy\(ies\).*replay failed --key/),
    );
  });

  it('moves each original once while the moved ones fail again, leaving their copies on the DLQ, visible', async () => {
    // Prepare: six dead-lettered events; every event the redrive moves fails again at once and comes back
    // as a new message, and the DLQ answers three messages at a time, the newest first
    const bodies = Array.from({ length: 6 }, (_, n) =>
      JSON.stringify({
        kind: 'event',
        event: round0('interview_ended', {
          eventId: `evt_bounce_${n}`,
          interviewId: `int-bounce-${n}`,
          email: `bounce${n}@example.com`,
        }),
      }),
    );
    for (const body of bodies) await deadLetter(body);
    const sqs = anSqsClientBouncing(3, async (moved) => {
      for (const body of moved) await deadLetter(body, 'lever: still forbidden');
    });

    // Act
    const outcome = await redrive({
      sqs,
      which: 'events',
      from: emulators.queueUrls.deadLetter,
      to: emulators.queueUrls.events,
    });
    sqs.destroy();
    const counts = await settledQueueCounts(emulators.sqs, emulators.queueUrls.deadLetter);
    const sent = await drainQueue(emulators.sqs, emulators.queueUrls.events);
    const left = await drainQueue(emulators.sqs, emulators.queueUrls.deadLetter);

    // Assess: the six originals sent once each (none of the copies), the copies the run saw counted and
    // released at its end: all six copies are on the DLQ, none hidden
    expect(sent.map((m) => JSON.stringify(m.message)).sort()).toEqual([...bodies].sort());
    expect(outcome).toMatchObject({ found: 6, moved: 6, refused: 0, notDeleted: 0, cameBack: 3 });
    expect(outcome.reasons).toEqual(new Map([['lever: forbidden', 6]]));
    expect(counts).toEqual({ visible: 6, inFlight: 0 });
    expect(left.map((m) => JSON.stringify(m.message)).sort()).toEqual([...bodies].sort());
    expect(left.map((m) => m.attributes.failureReason)).toEqual(Array(6).fill('lever: still forbidden'));
    expect(redriveLines('events', outcome)).toContain(
      '3 message(s) reached the DLQ again while this ran (failed again) and were left there with their new ' +
        'reason, not moved twice by one run',
    );
  });

  it('leaves a message dead-lettered while it runs that it did not move, and releases it', async () => {
    // Prepare: four dead-lettered events; while the redrive runs, past any clock skew, another event fails
    const body = (n: number) =>
      JSON.stringify({
        kind: 'event',
        event: round0('interview_ended', {
          eventId: `evt_during_${n}`,
          interviewId: `int-during-${n}`,
          email: `during${n}@example.com`,
        }),
      });
    for (const n of [0, 1, 2, 3]) await deadLetter(body(n));
    let later = true;
    const sqs = anSqsClientBouncing(3, async () => {
      if (!later) return;
      later = false;
      await new Promise((resolve) => setTimeout(resolve, clockSkewMs + 100));
      await deadLetter(body(4), 'lever: not found');
    });

    // Act
    const outcome = await redrive({
      sqs,
      which: 'events',
      from: emulators.queueUrls.deadLetter,
      to: emulators.queueUrls.events,
    });
    sqs.destroy();
    const counts = await settledQueueCounts(emulators.sqs, emulators.queueUrls.deadLetter);
    const sent = await drainQueue(emulators.sqs, emulators.queueUrls.events);
    const left = await drainQueue(emulators.sqs, emulators.queueUrls.deadLetter);

    // Assess: the four originals moved, the newcomer left where it is, visible
    expect(sent.map((m) => JSON.stringify(m.message)).sort()).toEqual([0, 1, 2, 3].map(body).sort());
    expect(outcome).toMatchObject({ found: 4, moved: 4, cameBack: 1 });
    expect(counts).toEqual({ visible: 1, inFlight: 0 });
    expect(left.map((m) => JSON.stringify(m.message))).toEqual([body(4)]);
  });

  it('makes what it received and had not copied visible again when it fails, and a second run moves it once', async () => {
    // Prepare: three dead-lettered events, and an SQS client whose copy to the events queue fails once (a
    // dropped connection, a throttle the SDK gave up on) after the run received them
    const body = (n: number) =>
      JSON.stringify({
        kind: 'event',
        event: round0('interview_ended', {
          eventId: `evt_crash_${n}`,
          interviewId: `int-crash-${n}`,
          email: `crash${n}@example.com`,
        }),
      });
    for (const n of [0, 1, 2]) await deadLetter(body(n));
    let failures = 1;
    const sqs = anSqsClientRefusing(() =>
      failures-- > 0 ? Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }) : undefined,
    );
    const run = () =>
      redrive({ sqs, which: 'events', from: emulators.queueUrls.deadLetter, to: emulators.queueUrls.events });

    // Act
    const failed = await run().then(
      () => 'completed',
      (error: Error) => error.message,
    );
    const afterFailure = await settledQueueCounts(emulators.sqs, emulators.queueUrls.deadLetter);
    const second = await run();
    sqs.destroy();
    const sent = await drainQueue(emulators.sqs, emulators.queueUrls.events);

    // Assess: the failed run hid nothing for its visibility timeout (5 minutes), the second moved each once
    expect(failed).toBe('socket hang up');
    expect(afterFailure).toEqual({ visible: 3, inFlight: 0 });
    expect(second).toMatchObject({ found: 3, moved: 3, refused: 0 });
    expect(sent.map((m) => JSON.stringify(m.message)).sort()).toEqual([0, 1, 2].map(body).sort());
    expect(await settledQueueCounts(emulators.sqs, emulators.queueUrls.deadLetter)).toEqual({
      visible: 0,
      inFlight: 0,
    });
  });

  it('stops between batches when interrupted (Ctrl-C), leaving the rest on the DLQ visible, none hidden', async () => {
    // Prepare & Act: 25 dead-lettered events; the operator presses Ctrl-C once the first batch is moved
    const outcome = await redriveInterruptedAfterABatch('evt_int');
    const left = await settledQueueCounts(emulators.sqs, emulators.queueUrls.deadLetter);
    const sent = await drainQueue(emulators.sqs, emulators.queueUrls.events);
    await drainQueue(emulators.sqs, emulators.queueUrls.deadLetter);

    // Assess: one batch moved, the other 15 visible at once for the next run (not hidden for its minutes)
    expect(outcome).toMatchObject({ found: 25, moved: 10, interrupted: true });
    expect(sent).toHaveLength(10);
    expect(left).toEqual({ visible: 15, inFlight: 0 });
    expect(redriveLines('events', outcome)).toContain(
      'interrupted: 15 message(s) it set out to move are still on the events DLQ, visible; run it again to move them',
    );
  });

  it('is not interrupted by a Ctrl-C that comes once it moved all it set out to (--max 10)', async () => {
    // Prepare & Act: 25 dead-lettered events, a run asked for 10, and Ctrl-C pressed after its one batch
    const outcome = await redriveInterruptedAfterABatch('evt_done', 10);
    await drainQueue(emulators.sqs, emulators.queueUrls.events);
    await drainQueue(emulators.sqs, emulators.queueUrls.deadLetter);

    // Assess: done as asked, so not reported as cut short
    expect(outcome).toMatchObject({ found: 25, limit: 10, moved: 10, interrupted: false });
    expect(redriveLines('events', outcome).join('\n')).not.toContain('interrupted');
  });

  it('sends archive-DLQ tasks back to the archive queue, keeping their other attributes', async () => {
    // Prepare
    const task = { schemaVersion: 1, vendor: 'micro1', interviewKey: 'report:R1', interviewId: 'R1' };
    await emulators.sqs.send(
      new SendMessageCommand({
        QueueUrl: emulators.queueUrls.archiveDeadLetter,
        MessageBody: JSON.stringify(task),
        MessageAttributes: {
          traceId: { DataType: 'String', StringValue: 't-1' },
          failureReason: { DataType: 'String', StringValue: 'HTTP 404' },
          failureErrorName: { DataType: 'String', StringValue: 'MediaNotFoundError' },
          failedAt: { DataType: 'String', StringValue: new Date().toISOString() },
        },
      }),
    );

    // Act
    const { lines } = await runOpsCommand(['redrive', 'archive'], dataDir);
    const moved = await drainQueue(emulators.sqs, emulators.queueUrls.archive);

    // Assess
    expect(lines[0]).toBe('moved 1 of 1 message(s) from the archive DLQ to the archive queue');
    expect(moved).toEqual([{ message: task, attributes: { traceId: 't-1' } }]);
    expect(await queueDepth(emulators.sqs, emulators.queueUrls.archiveDeadLetter)).toBe(0);
  });

  it('says the messages hidden on the DLQ it did not move, and exits 1, rather than call the DLQ empty', async () => {
    // Prepare: three dead letters received (hidden for 5 minutes) by something else, e.g. a run that
    // stopped between its send and its delete
    const body = (n: number) =>
      JSON.stringify({
        kind: 'event',
        event: round0('interview_ended', {
          eventId: `evt_hidden_${n}`,
          interviewId: `int-hidden-${n}`,
          email: `hidden${n}@example.com`,
        }),
      });
    for (const n of [0, 1, 2]) await deadLetter(body(n));
    const received: Message[] = [];
    while (received.length < 3) {
      const { Messages = [] } = await emulators.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: emulators.queueUrls.deadLetter,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 300,
        }),
      );
      received.push(...Messages);
    }

    // Act
    const { lines, exitCode } = await runOpsCommand(['redrive', 'events'], dataDir);

    // Assess
    expect(lines).toEqual([
      expect.stringMatching(/^3 message\(s\) on the events DLQ were hidden \(in flight/),
      `on: the local npm start (${dataDir})`,
    ]);
    expect(exitCode).toBe(1);
    expect(await queueDepth(emulators.sqs, emulators.queueUrls.events)).toBe(0);

    // (their visibility given back, for the tests after)
    for (const message of received) {
      await emulators.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: emulators.queueUrls.deadLetter,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    await drainQueue(emulators.sqs, emulators.queueUrls.deadLetter);
  });
});
