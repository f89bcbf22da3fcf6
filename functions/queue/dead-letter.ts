/**
 * Sends a message the worker gave up on straight to the dead-letter queue, with the reason attached.
 *
 * SQS's own redrive only moves a message after `maxReceiveCount` receives, which is kept high so that
 * transient ATS outages are retried; a permanent failure (a 4xx from the ATS, an unreadable message)
 * would otherwise be retried uselessly for an hour and reach the DLQ without saying why.
 */
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DeadLetterDetails {
  /** Error class name, e.g. `AtsPermanentError`. */
  readonly errorName: string;
  /** Short PII-free reason, e.g. `greenhouse: unauthorized`. */
  readonly reason: string;
}

export const sendToDeadLetterQueue = async (
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  message: { readonly body: string; readonly attributes?: Record<string, MessageAttributeValue> },
  details: DeadLetterDetails,
  sendOptions?: { readonly abortSignal?: AbortSignal },
): Promise<void> => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: message.body,
      MessageAttributes: {
        ...message.attributes,
        failureErrorName: { DataType: 'String', StringValue: details.errorName },
        failureReason: { DataType: 'String', StringValue: details.reason.slice(0, 1024) },
        failedAt: { DataType: 'String', StringValue: new Date().toISOString() },
      },
    }),
    sendOptions,
  );
};
