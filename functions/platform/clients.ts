/**
 * AWS SDK clients, created once per container and reused across invocations (connection reuse is the
 * largest latency win in Lambda). Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, which the local runtime sets to the emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

let sqs: SQSClient | undefined;
let s3: S3Client | undefined;
let dynamodb: DynamoDBClient | undefined;

export const sqsClient = (): SQSClient => {
  sqs ??= new SQSClient({});
  return sqs;
};

export const s3Client = (): S3Client => {
  // s3rver (local) only understands path-style URLs; real S3 prefers virtual-hosted style.
  s3 ??= new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
  return s3;
};

export const dynamoDbClient = (): DynamoDBClient => {
  dynamodb ??= new DynamoDBClient({});
  return dynamodb;
};
