/**
 * The stage an ops command works on: the running `npm start` (its `.data/runtime.json`) by default, or a
 * deployed stage named by flags (the stack's outputs). A command asks for the resources it needs
 * ({@link requireResource}) and gets a usage error naming the missing flag otherwise.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readRuntimeInfo } from '../runtime-info.js';

/** The flags that name a deployed stage's resources (stack outputs in brackets in the usage). */
export interface StageFlags {
  readonly table?: string;
  readonly 'queue-url'?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly 'dlq-url'?: string;
  readonly 'archive-queue-url'?: string;
  readonly 'archive-dlq-url'?: string;
}

export interface StageQueues {
  readonly events?: string;
  readonly deadLetter?: string;
  readonly archive?: string;
  readonly archiveDeadLetter?: string;
}

export interface OpsStage {
  /** A deployed stage (flags), not the local `npm start`. */
  readonly deployed: boolean;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly table?: string;
  readonly bucket?: string;
  readonly queues: StageQueues;
  /** The local secrets file `npm start` uses (local stages only, when its runtime info names it). */
  readonly secretsFile?: string;
  /** Closes the clients' sockets. */
  destroy(): void;
}

const stageFlagNames = [
  'table',
  'queue-url',
  'bucket',
  'dlq-url',
  'archive-queue-url',
  'archive-dlq-url',
] as const satisfies ReadonlyArray<keyof StageFlags>;

/** Thrown for a stage that cannot be reached as asked; `local/ops.ts` turns it into its usage error. */
export class StageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageError';
  }
}

const withDestroy = (stage: Omit<OpsStage, 'destroy'>): OpsStage => ({
  ...stage,
  destroy: () => {
    stage.dynamodb.destroy();
    stage.sqs.destroy();
    stage.s3.destroy();
  },
});

/** A deployed stage when any resource flag is given, else the running `npm start`'s. */
export const resolveStage = async (flags: StageFlags, dataDir: string): Promise<OpsStage> => {
  if (stageFlagNames.some((name) => flags[name] !== undefined)) {
    const config = flags.region === undefined ? {} : { region: flags.region };
    return withDestroy({
      deployed: true,
      dynamodb: new DynamoDBClient(config),
      sqs: new SQSClient(config),
      s3: new S3Client(config),
      ...(flags.table === undefined ? {} : { table: flags.table }),
      ...(flags.bucket === undefined ? {} : { bucket: flags.bucket }),
      queues: {
        ...(flags['queue-url'] === undefined ? {} : { events: flags['queue-url'] }),
        ...(flags['dlq-url'] === undefined ? {} : { deadLetter: flags['dlq-url'] }),
        ...(flags['archive-queue-url'] === undefined ? {} : { archive: flags['archive-queue-url'] }),
        ...(flags['archive-dlq-url'] === undefined ? {} : { archiveDeadLetter: flags['archive-dlq-url'] }),
      },
    });
  }
  const info = await readRuntimeInfo(dataDir);
  if (info === undefined) {
    throw new StageError(
      'no local pipeline is running (start it with `npm start`), or pass --table … for a deployed stage',
    );
  }
  const base = { region: info.region, credentials: info.credentials };
  return withDestroy({
    deployed: false,
    dynamodb: new DynamoDBClient({ ...base, endpoint: info.endpoints.dynamodb }),
    sqs: new SQSClient({ ...base, endpoint: info.endpoints.sqs }),
    s3: new S3Client({ ...base, endpoint: info.endpoints.s3, forcePathStyle: true }),
    table: info.ledgerTable,
    bucket: info.bucket,
    // An `npm start` of an earlier version wrote the events queue alone.
    queues: { events: info.eventsQueueUrl, ...info.queueUrls },
    ...(info.secretsFile === undefined ? {} : { secretsFile: info.secretsFile }),
  });
};

const flagOf = {
  table: '--table <LedgerTableName>',
  bucket: '--bucket <BucketName>',
  events: '--queue-url <EventsQueueUrl>',
  deadLetter: '--dlq-url <DeadLetterQueueUrl>',
  archive: '--archive-queue-url <archive queue URL>',
  archiveDeadLetter: '--archive-dlq-url <ArchiveDeadLetterQueueUrl>',
} as const;

/** The resource a command needs, or a usage error naming the flag that gives it. */
export const requireResource = (
  stage: OpsStage,
  resource: 'table' | 'bucket' | keyof StageQueues,
  command: string,
): string => {
  const value =
    resource === 'table' ? stage.table : resource === 'bucket' ? stage.bucket : stage.queues[resource];
  if (value !== undefined && value !== '') return value;
  throw new StageError(
    stage.deployed
      ? `${command} against a deployed stage needs ${flagOf[resource]}`
      : `the running npm start does not say where its ${resource} is (restart it: it was started by an older version)`,
  );
};
