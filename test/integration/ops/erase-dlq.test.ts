import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';
import { sdkPutObject } from '../../../functions/platform/clients.js';
import { sendToDeadLetterQueue } from '../../../functions/queue/dead-letter.js';
import { EventQueue } from '../../../functions/queue/event-queue.js';
import { rawDeliveryOf } from '../../../functions/queue/raw-events.js';
import { parseVendorEvent } from '../../../functions/vendors/index.js';
import { listObjects } from '../../../local/ops/s3-objects.js';
import { runOpsCommand } from '../../../local/ops.js';
import { queueDepth } from '../../../local/queue-depth.js';
import type { LocalPipeline } from '../../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import type { FixtureJson } from '../../e2e/helpers.js';
import { eventually } from '../local/factories.js';
import { bucket, type EraseWorld, expectNoPii, jane, other, startEraseWorld, table } from './erase-world.js';

let world: EraseWorld;
let tempDir: string;
let pipeline: LocalPipeline;
let s3: S3Client;
let ledger: DynamoDBDocumentClient;

/** Dead-letters a message body as the worker does (body as received, failure attributes). */
const deadLetter = (queueUrl: string, body: string) =>
  sendToDeadLetterQueue(
    pipeline.sqs,
    queueUrl,
    { body },
    { errorName: 'AtsPermanentError', reason: 'test: dead-lettered' },
  );

/**
 * Dead-letters a ROUND0 delivery as the worker would: the message the ingest's `EventQueue` queues for it
 * (`{ kind: 'event', event, raw }`; with `claimCheck`, the pointer to the whole message stored in S3).
 */
const deadLetterDelivery = async (json: FixtureJson, options: { claimCheck?: boolean } = {}) => {
  const body = Buffer.from(JSON.stringify(json));
  const parsed = parseVendorEvent('round0', JSON.parse(body.toString('utf8')), new Date());
  if (!parsed.ok) throw new Error('the fixture does not parse');
  const queue = new EventQueue({
    sendMessage: async (message) => {
      await deadLetter(pipeline.queueUrls.deadLetter, message.body);
      return { messageId: 'dead-lettered' };
    },
    putObject: sdkPutObject(s3),
    queueUrl: pipeline.queueUrls.deadLetter,
    bucket,
    ...(options.claimCheck ? { maxMessageBytes: 1 } : {}),
  });
  await queue.publish(parsed.event, rawDeliveryOf({ 'content-type': 'application/json' }, body));
};

/** Another candidate's `interview_ended`: event `eventId`, of interview `<name>-interview-id`. */
const someoneEnded = (
  eventId: string,
  name: string,
  candidate: { name: string; email: string },
): FixtureJson => {
  const json = world.othersEnded();
  json.id = eventId;
  Object.assign((json.data as { interview: object }).interview, { id: `${name}-interview-id` });
  Object.assign((json.data as { candidate: object }).candidate, { id: `${name}-candidate-id`, ...candidate });
  return json;
};

/** An archive task of `interviewKey` (the archive dead-letters the task as it is). */
const archiveTask = (interviewKey: string, candidate?: string) =>
  JSON.stringify({
    schemaVersion: 1,
    vendor: 'round0',
    interviewKey,
    interviewId: interviewKey,
    batchId: `archive:${interviewKey}`,
    batchAssets: ['question_q1'],
    asset: {
      kind: 'file',
      name: 'question_q1',
      key: `interviews/${interviewKey}/question_q1.mp3`,
      sourceUrl: 'https://media.example.com/q1.mp3',
      contentType: 'audio/mpeg',
    },
    ...(candidate === undefined ? {} : { candidate }),
  });

/** What is receivable on a queue right now (received, then made visible again at once). */
const receivableNow = async (queueUrl: string): Promise<Message[]> => {
  const { Messages = [] } = await pipeline.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
  );
  for (const message of Messages) {
    await pipeline.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
  }
  return Messages;
};

/** The key of every item and object holding `needle` (items' gzipped envelopes unpacked, objects read whole). */
/** Keys of the items and objects holding `needle` as a whole address (not `mary.jane@…` for `jane@…`). */
const holding = async (needle: string): Promise<string[]> => {
  const escaped = needle.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const whole = new RegExp(`(?<![a-z0-9._%+-])${escaped}(?![a-z0-9_%+-]|\\.[a-z0-9])`);
  const found: string[] = [];
  for await (const page of paginateScan({ client: ledger }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const text = JSON.stringify(item, (_key, value: unknown) => {
        if (!(value instanceof Uint8Array)) return value instanceof Set ? [...value] : value;
        try {
          return gunzipSync(value).toString('utf8');
        } catch {
          return Buffer.from(value).toString('latin1');
        }
      });
      if (whole.test(text.toLowerCase())) found.push(`${String(item.pk)} / ${String(item.sk)}`);
    }
  }
  for await (const ref of listObjects(s3, bucket, '')) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ref.key }));
    const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    const text = `${ref.key}\n${bytes.toString('latin1')}`;
    // Raw deliveries hold the body in base64, a shared batch object one per delivery: every one decoded.
    const decoded = [...text.matchAll(/"bodyBase64":"([^"]*)"/g)].map((match) =>
      Buffer.from(match[1] ?? '', 'base64').toString('utf8'),
    );
    const all = [text, ...decoded].join('\n');
    if (whole.test(all.toLowerCase())) found.push(ref.key);
  }
  return found;
};

/** Jane's interview delivered again after an erase, and processed. */
const janesInterviewAgain = async () => {
  await world.deliver('round0', world.fixtureJson('round0', 'interview_started'));
  await eventually(async () => expect(await world.stateOf('round0', jane.interviewId)).toBeDefined(), 30_000);
  await world.quiet();
};

beforeAll(async () => {
  world = await startEraseWorld('ops-erase-dlq-');
  ({ tempDir, pipeline, s3, ledger } = world);

  // Jane's interview, processed to the end.
  await world.deliver('round0', world.fixtureJson('round0', 'interview_started'));
  await world.deliver('round0', world.fixtureJson('round0', 'interview_ended'));
  await eventually(
    async () => expect((await world.stateOf('round0', jane.interviewId))?.status).toBe('completed'),
    30_000,
  );
  await world.quiet();
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

describe('npm run ops -- erase (dead-letter queues)', () => {
  it('deletes the candidate’s dead-lettered events and archive tasks, and leaves the others receivable at once', async () => {
    // Prepare: on the events DLQ, a later event of Jane's (inline, and as a claim check) and the other
    // candidate's event; on the archive DLQ, a task of each
    const janesLater = world.fixtureJson('round0', 'interview_ended');
    janesLater.id = 'evt_660f9511f30c52e5b8275577665511aa';
    await deadLetterDelivery(janesLater);
    await deadLetterDelivery(world.fixtureJson('round0', 'interview_ended'), { claimCheck: true });
    await deadLetterDelivery(world.othersEnded());
    // Two other people a looser match would take for her: another Jane Smith, and mary.jane@example.com
    const namesake = someoneEnded('evt_7e57000000000000000000000000000b', 'namesake', {
      name: jane.name,
      email: 'jane.smith@elsewhere.org',
    });
    await deadLetterDelivery(namesake);
    const mary = someoneEnded('evt_7e57000000000000000000000000000c', 'mary', {
      name: 'Mary Jane',
      email: `mary.${jane.email}`,
    });
    await deadLetterDelivery(mary);
    const janePseudonym = emailPseudonym(jane.email, pipeline.secrets.integration.pseudonymKey);
    await pipeline.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.queueUrls.archiveDeadLetter,
        MessageBody: archiveTask(jane.interviewId, janePseudonym),
      }),
    );
    await pipeline.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.queueUrls.archiveDeadLetter,
        MessageBody: archiveTask('report:OtherArchive1'),
      }),
    );
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(5);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archiveDeadLetter)).toBe(2);

    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', jane.email, '--yes'], tempDir);

    // Assess: the counts are printed (no PII), Jane's messages are gone, the others' receivable at once
    expect(exitCode).toBe(0);
    expect(lines).toContain(
      'events DLQ: 2 message(s) of the candidate deleted, 3 other message(s) left on it and released (5 read)',
    );
    expect(lines).toContain(
      'archive DLQ: 1 message(s) of the candidate deleted, 1 other message(s) left on it and released (2 read)',
    );
    expect(lines.join('\n')).toContain('queues: empty now.');
    expectNoPii(lines.join('\n'));
    const events = await receivableNow(pipeline.queueUrls.deadLetter);
    expect(
      events.map((m) => (JSON.parse(m.Body ?? '{}') as { event?: { dedupeKey?: string } }).event?.dedupeKey),
    ).toEqual([
      'round0:evt_7e57000000000000000000000000000a',
      'round0:evt_7e57000000000000000000000000000b',
      'round0:evt_7e57000000000000000000000000000c',
    ]);
    const tasks = await receivableNow(pipeline.queueUrls.archiveDeadLetter);
    expect(tasks.map((m) => (JSON.parse(m.Body ?? '{}') as { interviewKey?: string }).interviewKey)).toEqual([
      'report:OtherArchive1',
    ]);
  });

  it('a redrive of the events DLQ after the erase brings nothing of the candidate back', async () => {
    // Prepare
    expect(await holding(jane.email)).toEqual([]);

    // Act
    const { lines } = await runOpsCommand(['redrive', 'events'], tempDir);
    await eventually(
      async () => expect((await world.stateOf('round0', other.interviewId))?.status).toBe('completed'),
      30_000,
    );
    await world.quiet();

    // Assess: the other candidate's event was processed; nothing anywhere holds Jane's e-mail
    expect(lines[0]).toBe('moved 3 of 3 message(s) from the events DLQ to the events queue');
    expect(await holding(other.email)).not.toEqual([]);
    expect(await holding(jane.email)).toEqual([]);
    expect(await world.stateOf('round0', jane.interviewId)).toBeUndefined();
  });

  it('sweeps the dead-letter queues when nothing else holds the candidate (dead-lettered before it was stored)', async () => {
    // Prepare: a candidate whose one event went to the DLQ before the worker stored anything of it
    const ghost = someoneEnded('evt_9905000000000000000000000000000d', 'ghost', {
      name: 'Gus Host',
      email: 'gus.host@example.org',
    });
    await deadLetterDelivery(ghost);
    const before = await receivableNow(pipeline.queueUrls.deadLetter);
    const dedupeKeyOf = (message: Message) =>
      (JSON.parse(message.Body ?? '{}') as { event?: { dedupeKey?: string } }).event?.dedupeKey;

    // Act
    const { lines, exitCode } = await runOpsCommand(
      ['erase', '--email', 'gus.host@example.org', '--yes'],
      tempDir,
    );

    // Assess: the dead letter is gone, the others stay; the output says where it was found
    expect(before.map(dedupeKeyOf)).toContain('round0:evt_9905000000000000000000000000000d');
    expect(exitCode).toBe(0);
    expect(lines[0]).toBe('nothing held on this candidate in the ledger or the bucket');
    expect(lines).toContainEqual(
      expect.stringMatching(/^events DLQ: 1 message\(s\) of the candidate deleted/),
    );
    expect(lines.join('\n')).not.toContain('gus.host');
    const after = (await receivableNow(pipeline.queueUrls.deadLetter)).map(dedupeKeyOf);
    expect(after).not.toContain('round0:evt_9905000000000000000000000000000d');
    expect(after).toHaveLength(before.length - 1);
  });

  it('says a dead-letter queue it cannot read was not swept, and ends with exit code 1', async () => {
    // Prepare: Jane's interview again, and a runtime whose events DLQ does not exist
    await janesInterviewAgain();
    const brokenDir = await mkdtemp(join(tmpdir(), 'ops-erase-dlq-broken-'));
    const missing = `${pipeline.queueUrls.deadLetter}-missing`;
    await writeRuntimeInfo(
      brokenDir,
      runtimeInfoFor({ ...pipeline, queueUrls: { ...pipeline.queueUrls, deadLetter: missing } }),
    );

    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', jane.email, '--yes'], brokenDir);
    await rm(brokenDir, { recursive: true, force: true });

    // Assess: the rest is erased; the DLQ is said not swept, and the exit code says the erase is partial
    expect(exitCode).toBe(1);
    expect(lines[0]).toBe('erased 1 interview(s) of the candidate:');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^events DLQ: not swept \([\w.]+\): its messages may carry this candidate: do not redrive it/,
      ),
    );
    expect(lines).toContain(
      'archive DLQ: 0 message(s) of the candidate deleted, 1 other message(s) left on it and released (1 read)',
    );
    expectNoPii(lines.join('\n'));
    expect(await holding(jane.email)).toEqual([]);
  });

  // Last of the file: its delayed task stays on the archive queue for 15 minutes, and an erase after it says
  // so (exit code 3).
  it('does not call the queues empty while an archive task waits delayed on one (sent back to wait for a lease)', async () => {
    // Prepare: Jane's interview again; a task of another interview, delayed as the archive delays a task
    // for a busy asset
    await janesInterviewAgain();
    const { MessageId } = await pipeline.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.queueUrls.archive,
        MessageBody: JSON.stringify({ ...JSON.parse(archiveTask('report:DelayedArchive1')), deferrals: 1 }),
        DelaySeconds: 900,
      }),
    );

    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', jane.email, '--yes'], tempDir);

    // Assess: erased for now, to be run again once the queues are empty
    expect(MessageId).toBeDefined();
    expect(exitCode).toBe(3);
    expect(lines.join('\n')).not.toContain('queues: empty now');
    expect(lines).toContainEqual(
      expect.stringMatching(/^queues still hold messages, waiting, in flight or delayed \(.*archive: 1/),
    );
  });
});
