/** Factories for the local-runtime integration tests: queues, messages, handlers that record calls. */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { localAws } from '../../../local/emulators.js';
import type { LocalFunctionSettings } from '../../../local/lambda-context.js';

export const testFunction = (overrides: Partial<LocalFunctionSettings> = {}): LocalFunctionSettings => ({
  functionName: 'test-function',
  timeoutSeconds: 5,
  memoryMb: 128,
  region: localAws.region,
  accountId: localAws.accountId,
  ...overrides,
});

export interface TestQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
}

/** A fresh queue + DLQ pair per test, so tests sharing one emulator never see each other's messages. */
export const createTestQueue = async (
  sqs: SQSClient,
  { visibilityTimeoutSeconds = 1, maxReceiveCount = 5 } = {},
): Promise<TestQueue> => {
  const name = `test-${randomUUID().slice(0, 8)}`;
  const arnOf = async (url: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return Attributes?.QueueArn ?? '';
  };
  const { QueueUrl: dlqUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { QueueUrl: url = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlqUrl), maxReceiveCount }),
      },
    }),
  );
  return { url, arn: await arnOf(url), dlqUrl };
};

export const sendTestMessage = async (
  sqs: SQSClient,
  queueUrl: string,
  body: string,
  attributes: Record<string, MessageAttributeValue> = {},
): Promise<string> => {
  const { MessageId = '' } = await sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
  );
  return MessageId;
};

/** Every message currently visible on a queue (receives them with a long visibility timeout). */
export const receiveAll = async (sqs: SQSClient, queueUrl: string): Promise<string[]> => {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body ?? ''));
  }
};

export interface RecordedInvocation {
  readonly event: SQSEvent;
  readonly remainingMs: number;
  readonly functionName: string;
}

/**
 * A worker stand-in: records each invocation and answers what `respond` returns (or throws what it
 * throws). `waitFor` resolves once `predicate` holds over the invocations so far.
 */
export const recordingWorker = (
  respond: (
    event: SQSEvent,
    call: number,
  ) => Promise<SQSBatchResponse | undefined> | SQSBatchResponse | undefined,
) => {
  const invocations: RecordedInvocation[] = [];
  const listeners = new Set<() => void>();
  const handler = async (event: SQSEvent, context: Context) => {
    invocations.push({
      event,
      remainingMs: context.getRemainingTimeInMillis(),
      functionName: context.functionName,
    });
    for (const listener of listeners) listener();
    return respond(event, invocations.length);
  };
  const waitFor = (predicate: (calls: readonly RecordedInvocation[]) => boolean, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(invocations)) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`condition not met after ${timeoutMs} ms (${invocations.length} invocations)`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { handler, invocations, waitFor };
};

/** Bodies of every record the worker was given, in order. */
export const bodiesSeen = (invocations: readonly RecordedInvocation[]): string[] =>
  invocations.flatMap((invocation) => invocation.event.Records.map((record) => record.body));

/** Retries `assertion` until it stops throwing or `timeoutMs` passes (then rethrows its last error). */
export const eventually = async <T>(assertion: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
};
