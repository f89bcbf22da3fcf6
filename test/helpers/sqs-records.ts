/**
 * SQS records as Lambda's event source builds them from received messages, for tests that invoke a
 * handler directly. Message ids are unique within a test file (each file has its own modules).
 */
import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';

let sequence = 0;

/**
 * The record of a message with `body`, received `receiveCount` times, with string message `attributes`,
 * from the queue `queueName` (in us-east-1, account 000000000000).
 */
export const sqsRecord = (
  body: string,
  receiveCount = 1,
  attributes: Readonly<Record<string, string>> = {},
  queueName = 'interview-sync-events',
): SQSRecord => {
  sequence += 1;
  const now = String(Date.now());
  return {
    messageId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    receiptHandle: `receipt-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: now,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [
        name,
        { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' },
      ]),
    ),
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
    awsRegion: 'us-east-1',
  };
};
