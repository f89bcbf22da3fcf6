/** Helpers for the end-to-end tests that drive the local pipeline over HTTP. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InterviewEvent, QueueMessage, VendorName } from '../../functions/vendors/envelope.js';
import { localAws } from '../../local/emulators.js';
import type { LocalPipeline } from '../../local/runtime.js';
import { fixturesDir, listFixtures } from '../../local/send.js';

export interface Fixture {
  readonly vendor: VendorName;
  readonly name: string;
  /** The file's bytes, sent as they are. */
  readonly raw: Buffer;
  readonly json: Record<string, unknown>;
}

/** Every sample payload under `local/fixtures`. */
export const loadFixtures = async (): Promise<Fixture[]> => {
  const names = await listFixtures();
  const fixtures = await Promise.all(
    Object.entries(names).flatMap(([vendor, files]) =>
      files.map(async (name) => {
        const raw = await readFile(join(fixturesDir, vendor, `${name}.json`));
        return { vendor: vendor as VendorName, name, raw, json: JSON.parse(raw.toString('utf8')) };
      }),
    ),
  );
  return fixtures;
};

export interface QueuedMessage {
  readonly message: QueueMessage;
  readonly attributes: Record<string, string | undefined>;
}

/**
 * Takes every message off a queue (nothing else consumes it while the worker is off), so each test
 * starts from an empty queue and sees exactly what it caused.
 */
export const drainQueue = async (sqs: SQSClient, queueUrl: string): Promise<QueuedMessage[]> => {
  const drained: QueuedMessage[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return drained;
    for (const message of Messages) {
      drained.push({
        message: JSON.parse(message.Body ?? 'null') as QueueMessage,
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
        ),
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
};

/** An S3 client for the pipeline's s3rver. */
export const s3For = (pipeline: LocalPipeline): S3Client =>
  new S3Client({
    region: localAws.region,
    endpoint: pipeline.endpoints.s3,
    forcePathStyle: true,
    credentials: localAws.credentials,
  });

/** The envelope a queue message stands for, following a claim check into S3. */
export const envelopeOf = async (message: QueueMessage, s3: S3Client): Promise<InterviewEvent> => {
  if (message.kind === 'event') return message.event;
  const object = await s3.send(new GetObjectCommand({ Bucket: message.bucket, Key: message.key }));
  return JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null') as InterviewEvent;
};

/** A ROUND0 `interview_ended` body grown to about `bytes` by repeating its answers (still schema-valid). */
export const round0BodyOfSize = (fixture: Fixture, bytes: number): string => {
  const data = fixture.json.data as { responses: unknown[] };
  const [answer] = data.responses;
  const answerBytes = Buffer.byteLength(JSON.stringify(answer)) + 1;
  const responses = Array.from({ length: Math.ceil(bytes / answerBytes) }, () => answer);
  return JSON.stringify({ ...fixture.json, data: { ...data, responses } });
};
