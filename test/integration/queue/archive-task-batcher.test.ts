/**
 * The worker's archive tasks of one invocation sent together (queue/archive-queue.ts `ArchiveTaskBatcher`),
 * against the SQS emulator: one `SendMessageBatch` for the records' tasks where each sent its own, every
 * task on the queue once; and a refused entry failing its own record only (aws-sdk-client-mock: the emulator
 * refuses nothing).
 */
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { ArchiveTaskBatcher } from '../../../functions/queue/archive-queue.js';
import { QueueUnavailableError } from '../../../functions/queue/errors.js';
import { countSqsRequests } from '../../../local/dynamo-request-counter.js';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';

let emulators: LocalEmulators;
let counter: ReturnType<typeof countSqsRequests>;

beforeAll(async () => {
  emulators = await startEmulators();
  counter = countSqsRequests(emulators.sqs);
});

afterAll(async () => {
  await emulators.close();
});

/** `count` tasks of interview `id`, one per answer. */
const tasksOf = (id: string, count: number): ArchiveTask[] =>
  Array.from({ length: count }, (_, index) => ({
    schemaVersion: 1,
    vendor: 'round0',
    interviewKey: id,
    interviewId: id,
    batchId: `batch-${id}`,
    batchAssets: Array.from({ length: count }, (_unused, n) => `answer-${n + 1}`),
    asset: {
      kind: 'file',
      name: `answer-${index + 1}`,
      key: `interviews/${id}/question_q${index + 1}.mp3`,
      sourceUrl: `https://media.round0.example/${id}/${index + 1}.mp3`,
      contentType: 'audio/mpeg',
    },
  }));

/** Every task on the archive queue (received and deleted), as `interviewKey/asset`. */
const drainQueue = async (): Promise<string[]> => {
  const names: string[] = [];
  for (;;) {
    const { Messages = [] } = await emulators.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: emulators.queueUrls.archive,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) return names.sort();
    for (const message of Messages) {
      const task = JSON.parse(message.Body ?? '{}') as ArchiveTask;
      names.push(`${task.interviewKey}/${task.asset.name}`);
    }
  }
};

describe('ArchiveTaskBatcher (SQS emulator)', () => {
  beforeEach(async () => {
    await drainQueue();
    counter.take();
  });

  it("sends an invocation's tasks in one request once every running record waits or has ended", async () => {
    // Prepare: three records; a waits, c ends without tasks, b waits
    const batcher = new ArchiveTaskBatcher(emulators.sqs, emulators.queueUrls.archive, 3, 60_000);

    // Act
    const a = batcher.send(tasksOf('a', 3));
    batcher.finished();
    const b = batcher.send(tasksOf('b', 2));
    await Promise.all([a, b]);

    // Assess: one request, each task once
    expect(counter.take()).toEqual({ SendMessageBatchCommand: 1 });
    expect(await drainQueue()).toEqual([
      'a/answer-1',
      'a/answer-2',
      'a/answer-3',
      'b/answer-1',
      'b/answer-2',
    ]);
  });

  it('sends a lone record’s tasks at once, ten entries a request', async () => {
    // Prepare: a trickle's invocation (a wait would show as this test's timeout: the wait is a minute)
    const batcher = new ArchiveTaskBatcher(emulators.sqs, emulators.queueUrls.archive, 1, 60_000);

    // Act
    await batcher.send(tasksOf('alone', 12));

    // Assess
    expect(counter.take()).toEqual({ SendMessageBatchCommand: 2 });
    expect(await drainQueue()).toHaveLength(12);
  });

  it('sends ids holding U+FFFE or U+FFFF, which SQS refuses raw, escaped: the task reads back as sent', async () => {
    // Prepare: a ROUND0 interview id the ingest accepted (only U+FFFD is refused in ids); the bodies sent
    const id = 'int\uFFFFodd\uFFFE';
    const bodies: string[] = [];
    const sqs = new SQSClient({
      region: localAws.region,
      credentials: localAws.credentials,
      endpoint: emulators.endpoints.sqs,
    });
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as SendMessageBatchCommandInput;
        for (const entry of input.Entries ?? []) bodies.push(entry.MessageBody ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'captureBodies' },
    );
    const batcher = new ArchiveTaskBatcher(sqs, emulators.queueUrls.archive, 1, 60_000);

    // Act
    await batcher.send(tasksOf(id, 2));
    sqs.destroy();

    // Assess: no raw U+FFFE/U+FFFF in what SQS is given, and each task as it was
    expect(bodies).toHaveLength(2);
    for (const body of bodies) expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(bodies.map((body) => (JSON.parse(body) as ArchiveTask).interviewId)).toEqual([id, id]);
    expect(await drainQueue()).toEqual([`${id}/answer-1`, `${id}/answer-2`]);
  });

  it('does not hold a record’s tasks back longer than its wait for a record still running', async () => {
    // Prepare: two records; the other one is busy (an ATS write) and ends much later
    const batcher = new ArchiveTaskBatcher(emulators.sqs, emulators.queueUrls.archive, 2, 20);

    // Act
    await batcher.send(tasksOf('early', 1));
    const late = batcher.send(tasksOf('late', 1));
    batcher.finished(); // the early record ends
    await late;

    // Assess: two requests, the early one's sent after its wait without the busy record
    expect(counter.take()).toEqual({ SendMessageBatchCommand: 2 });
    expect(await drainQueue()).toEqual(['early/answer-1', 'late/answer-1']);
  });
});

describe('ArchiveTaskBatcher when SQS refuses', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);

  afterAll(() => {
    sqsMock.restore();
  });

  it('fails only the record whose entry SQS refused; the others’ sends resolve', async () => {
    // Prepare: SQS refuses the batch's third entry (b's first task)
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: (input.Entries ?? [])
        .filter((entry) => entry.Id !== '2')
        .map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: '' })),
      Failed: [{ Id: '2', SenderFault: false, Code: 'InternalError' }],
    }));
    const batcher = new ArchiveTaskBatcher(sqs, 'https://sqs.example/archive', 2, 60_000);

    // Act
    const a = batcher.send(tasksOf('a', 2));
    const b = batcher.send(tasksOf('b', 2));

    // Assess: one request; a sent, b to be retried (its event sends both again)
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toThrow(QueueUnavailableError);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('fails its records rather than leaving them waiting when a task cannot even be written', async () => {
    // Prepare: a task JSON cannot hold (a bug upstream), beside a good one
    sqsMock.reset();
    const batcher = new ArchiveTaskBatcher(sqs, 'https://sqs.example/archive', 2, 60_000);
    const [task] = tasksOf('bad', 1);
    const unwritable = { ...task, deferrals: 10n } as unknown as ArchiveTask;

    // Act
    const sends = [batcher.send(tasksOf('good', 1)), batcher.send([unwritable])];

    // Assess: both settle at once (a wait would show as this test's timeout: the wait is a minute)
    for (const send of sends) await expect(send).rejects.toThrow(TypeError);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('fails every record of a request that failed, with its error', async () => {
    // Prepare
    sqsMock.reset();
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const batcher = new ArchiveTaskBatcher(sqs, 'https://sqs.example/archive', 2, 60_000);

    // Act
    const sends = [batcher.send(tasksOf('a', 1)), batcher.send(tasksOf('b', 1))];

    // Assess
    for (const send of sends) await expect(send).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('fails the record whose entry the second request refused, not the first request’s', async () => {
    // Prepare: a's ten tasks fill the first request; b's one task is the second's entry '0' (entry ids restart
    // at 0 in every request), refused
    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const entries = input.Entries ?? [];
      const refuse = entries.length === 1;
      return {
        Successful: refuse
          ? []
          : entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: '' })),
        Failed: refuse ? [{ Id: '0', SenderFault: false, Code: 'InternalError' }] : [],
      };
    });
    const batcher = new ArchiveTaskBatcher(sqs, 'https://sqs.example/archive', 2, 60_000);

    // Act
    const [a, b] = await Promise.allSettled([batcher.send(tasksOf('a', 10)), batcher.send(tasksOf('b', 1))]);

    // Assess: two requests; b retried (its task was not accepted), a done
    expect(a).toEqual({ status: 'fulfilled', value: undefined });
    expect(b).toEqual({ status: 'rejected', reason: expect.any(QueueUnavailableError) });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });
});
