/**
 * The baseline of the cold-start comparison (`npm run bench`): the least a function that queues a webhook
 * can load — the SQS client — sending one message per call. Bundled by the same construct as the ingest
 * (local/bench/deployed.ts); never deployed.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
const queueUrl = process.env.QUEUE_URL;

export const handler = async (event: { body?: string }): Promise<{ statusCode: number }> => {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: event.body ?? '{}' }));
  return { statusCode: 202 };
};
