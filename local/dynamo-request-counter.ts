/**
 * Counts the requests an AWS SDK client sends, by command, through a middleware on its stack: the bench
 * and the tests use it to measure what an event costs (DynamoDB, S3 and SQS bill per request).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface DynamoRequestCounter {
  /** Counts since the last `take` (or since the counter was added), then starts again from zero. */
  take(): Record<string, number>;
}

/** Sum of a `take()` snapshot. */
export const totalRequests = (counts: Readonly<Record<string, number>>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);

let counters = 0;

/** Adds a counting middleware to `client` (every request, whichever document client wraps it). */
export const countDynamoDbRequests = (client: DynamoDBClient): DynamoRequestCounter => countRequests(client);

/** Adds a counting middleware to an S3 client. */
export const countS3Requests = (client: S3Client): DynamoRequestCounter => countRequests(client);

/** Adds a counting middleware to an SQS client (SQS bills per request). */
export const countSqsRequests = (client: SQSClient): DynamoRequestCounter => countRequests(client);

const countRequests = (client: DynamoDBClient | S3Client | SQSClient): DynamoRequestCounter => {
  const counts = new Map<string, number>();
  counters += 1;
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: `dynamoRequestCounter${counters}` },
  );
  return {
    take: () => {
      const snapshot = Object.fromEntries(counts);
      counts.clear();
      return snapshot;
    },
  };
};
