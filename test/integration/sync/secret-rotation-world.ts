/**
 * The real worker handler (functions/worker.ts) with a secrets file a test rewrites (a key rotated in the
 * secret), against dynalite, local-aws-sqs, s3rver, the Lever fake and the vendor API fakes. The worker is
 * imported by `startRotationWorld`, once per test file (jest gives each file its own modules): its secret
 * cache then starts cold, which these tests need.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import type { InterviewEvent } from '../../../functions/vendors/index.js';
import { type FakeLever, startFakeLever } from '../../../local/fakes/lever.js';
import { type FakeMicro1Api, startFakeMicro1Api } from '../../../local/fakes/micro1-api.js';
import { type FakeRound0Api, startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { startDynalite } from '../../helpers/dynalite.js';
import { workerContext } from '../../helpers/lambda-context.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { anOpportunity, ledgerTable } from './world.js';

/** The keys the secrets file holds. */
export interface RotationKeys {
  readonly ats: string;
  readonly round0Api: string;
  readonly micro1Api: string;
}

export interface RotationWorld {
  readonly lever: FakeLever;
  readonly round0Api: FakeRound0Api;
  readonly micro1Api: FakeMicro1Api;
  /** Rewrites the secrets file (the secret rotated). */
  writeSecrets(keys: RotationKeys): void;
  /** The secrets file (a test may make it unreadable: Secrets Manager down). */
  readonly secretsFile: string;
  /** One invocation with `event` as a record received `receiveCount` times: the failed records' ids. */
  invoke(event: InterviewEvent, receiveCount: number): Promise<string[]>;
  /**
   * One invocation with `event` sent to the events queue and received from it (a real receipt handle: the
   * worker's redelivery delay applies to it): the failed records' ids.
   */
  invokeFromQueue(event: InterviewEvent): Promise<string[]>;
  /** Whether the events queue gives a message now (received and left to come back). */
  eventsQueueGives(): Promise<boolean>;
  /** What the dead-letter queue holds (received, not deleted). */
  deadLetters(): Promise<Array<{ errorName: string | undefined }>>;
  close(): Promise<void>;
}

const region = 'us-east-1';
const accountId = '000000000000';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Starts the world: the fakes accept only `accepted`'s keys (the old ones were revoked when rotated), the
 * secrets file holds `initial`'s.
 */
export const startRotationWorld = async (options: {
  readonly accepted: RotationKeys;
  readonly initial: RotationKeys;
  /** How long the worker caches a secret (`SECRETS_CACHE_SECONDS`). @default the worker's 300 */
  readonly secretsCacheSeconds?: number;
}): Promise<RotationWorld> => {
  const dynamo = await startDynalite();
  const s3Dir = mkdtempSync(join(tmpdir(), 'worker-rotation-s3-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: 'worker-rotation-bucket' }],
  });
  const { port: s3Port } = await s3rver.run();
  const sqsServer: Server = await createSqsServer({ port: 0, hostname: '127.0.0.1', region, accountId });
  const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
  const sqs = new SQSClient({ region, endpoint: sqsEndpoint, credentials });
  const { QueueUrl: deadLetterQueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'worker-rotation-dlq' }),
  );
  const { QueueUrl: eventsQueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'worker-rotation-events',
      Attributes: { VisibilityTimeout: '60' },
    }),
  );
  const lever = await startFakeLever({
    apiKey: options.accepted.ats,
    seed: {
      users: ['user-1'],
      opportunities: [
        anOpportunity({ id: 'opp-ada', contact: 'contact-ada', emails: ['ada@example.com'] }),
        anOpportunity({ id: 'opp-bob', contact: 'contact-bob', emails: ['bob@example.com'] }),
        anOpportunity({ id: 'ABCD1234', contact: 'contact-john', emails: ['john.doe@micro1.ai'] }),
      ],
    },
  });
  const round0Api = await startFakeRound0Api({ apiKey: options.accepted.round0Api });
  const micro1Api = await startFakeMicro1Api({ apiKey: options.accepted.micro1Api });
  const secretsDir = mkdtempSync(join(tmpdir(), 'worker-rotation-'));
  const secretsFile = join(secretsDir, 'secrets.local.json');
  const writeSecrets = (keys: RotationKeys) =>
    writeFileSync(
      secretsFile,
      JSON.stringify({
        webhook: { round0SigningSecrets: ['worker-test-secret'], micro1Tokens: ['x'.repeat(32)] },
        integration: { ats: { apiKey: keys.ats } },
        vendorApi: { round0ApiKey: keys.round0Api, micro1ApiKey: keys.micro1Api },
      }),
    );
  writeSecrets(options.initial);
  Object.assign(process.env, {
    LEDGER_TABLE_NAME: ledgerTable,
    BUCKET_NAME: 'worker-rotation-bucket',
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    QUEUE_URL: eventsQueueUrl,
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: '60',
    QUEUE_MAX_RECEIVE_COUNT: '10',
    LOCAL_SECRETS_FILE: secretsFile,
    ...(options.secretsCacheSeconds === undefined
      ? {}
      : { SECRETS_CACHE_SECONDS: String(options.secretsCacheSeconds) }),
    ATS_ADAPTER: 'lever',
    ROUND0_API_BASE_URL: round0Api.url,
    MICRO1_API_BASE_URL: micro1Api.url,
    ATS_CONFIG: JSON.stringify({
      baseUrl: `${lever.url}/v1`,
      performAs: 'user-1',
      rateLimit: { perSecond: 1000, burst: 1000 },
      http: { timeoutMs: 2000, maxAttempts: 1, baseDelayMs: 1 },
    }),
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    OUTBOUND_ALLOW_LOCAL: 'true',
  });
  const { handler } = await import('../../../functions/worker.js');
  const clients = await import('../../../functions/platform/clients.js');

  const context = workerContext('req-1', 60_000);
  return {
    lever,
    round0Api,
    micro1Api,
    writeSecrets,
    secretsFile,
    invoke: async (event, receiveCount) => {
      const response = (await handler(
        { Records: [sqsRecord(JSON.stringify({ kind: 'event', event }), receiveCount)] } satisfies SQSEvent,
        context,
      )) as SQSBatchResponse;
      return response.batchItemFailures.map((failure) => failure.itemIdentifier);
    },
    invokeFromQueue: async (event) => {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: eventsQueueUrl,
          MessageBody: JSON.stringify({ kind: 'event', event }),
        }),
      );
      const { Messages: [message] = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 1 }),
      );
      if (message?.Body === undefined || message.ReceiptHandle === undefined)
        throw new Error('the events queue gave no message');
      const record = {
        ...sqsRecord(message.Body, 1, {}, 'worker-rotation-events'),
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle,
      };
      const response = (await handler({ Records: [record] } satisfies SQSEvent, context)) as SQSBatchResponse;
      return response.batchItemFailures.map((failure) => failure.itemIdentifier);
    },
    eventsQueueGives: async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
      );
      return Messages.length > 0;
    },
    deadLetters: async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      return Messages.map((message) => ({
        errorName: message.MessageAttributes?.failureErrorName?.StringValue,
      }));
    },
    close: async () => {
      clients.dynamoDbClient().destroy();
      clients.sqsClient().destroy();
      clients.s3Client().destroy();
      clients.smallObjectS3Client().destroy();
      sqs.destroy();
      await lever.close();
      await round0Api.close();
      await micro1Api.close();
      sqsServer.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        sqsServer.close((error) => (error ? reject(error) : resolve())),
      );
      await dynamo.close();
      await s3rver.close();
      rmSync(secretsDir, { recursive: true, force: true });
      rmSync(s3Dir, { recursive: true, force: true });
    },
  };
};
