/**
 * The stage an ops command works on: the running `npm start` (its `.data/runtime.json`) by default, or a
 * deployed stage: `--stage <name>` reads its resources from the stacks' outputs (`stack-outputs.ts`), and the
 * long flags (`--table`, `--queue-url`, …) name them one by one (scripts) or override an output. A command asks
 * for the resources it needs ({@link requireResource}) and gets a usage error saying what is missing otherwise.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readRuntimeInfo } from '../runtime-info.js';
import { StageError } from './errors.js';
import { readStageOutputs, requireOutput, type StageOutputKey, type StageOutputs } from './stack-outputs.js';

export { StageError } from './errors.js';

/** The flags that name a deployed stage's resources (stack outputs in brackets in the usage). */
export interface StageFlags {
  /** A deployed stage by name: its resources come from its stacks' outputs. */
  readonly stage?: string;
  readonly table?: string;
  readonly 'queue-url'?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly 'dlq-url'?: string;
  readonly 'archive-queue-url'?: string;
  readonly 'archive-dlq-url'?: string;
  readonly 'integration-secret-arn'?: string;
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
  /** Deployed: the region of `--stage`'s stacks, else `--region` (undefined: the SDK's default chain). */
  readonly region?: string;
  /** Deployed: the integration secret's ARN (`--integration-secret-arn`, else the stack output). */
  readonly integrationSecretArn?: string;
  /** With `--stage`: the stacks' outputs (for the messages of {@link requireResource}, and other outputs). */
  readonly outputs?: StageOutputs;
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

const withDestroy = (stage: Omit<OpsStage, 'destroy'>): OpsStage => ({
  ...stage,
  destroy: () => {
    stage.dynamodb.destroy();
    stage.sqs.destroy();
    stage.s3.destroy();
  },
});

/** Where a deployed stage's resources come from: the flag first, else the stack output. */
const fromFlagsAndOutputs = (flags: StageFlags, outputs: StageOutputs | undefined) => {
  const pick = (flag: keyof StageFlags, output: StageOutputKey) => {
    const value = flags[flag] ?? outputs?.values[output];
    return value === undefined ? {} : { [output]: value };
  };
  return {
    ...pick('table', 'ledgerTable'),
    ...pick('bucket', 'bucket'),
    ...pick('queue-url', 'eventsQueueUrl'),
    ...pick('dlq-url', 'deadLetterQueueUrl'),
    ...pick('archive-queue-url', 'archiveQueueUrl'),
    ...pick('archive-dlq-url', 'archiveDeadLetterQueueUrl'),
    ...pick('integration-secret-arn', 'integrationSecretArn'),
  } as Partial<Record<StageOutputKey, string>>;
};

/**
 * A deployed stage with `--stage` (its stacks' outputs, each overridden by its flag) or any resource flag
 * (those flags alone), else the running `npm start`'s.
 */
export const resolveStage = async (flags: StageFlags, dataDir: string): Promise<OpsStage> => {
  if (flags.stage !== undefined || stageFlagNames.some((name) => flags[name] !== undefined)) {
    const outputs =
      flags.stage === undefined
        ? undefined
        : await readStageOutputs({
            stage: flags.stage,
            ...(flags.region === undefined ? {} : { region: flags.region }),
          });
    // Every client works in the region the stacks were found in.
    const region = outputs?.region ?? flags.region;
    const config = region === undefined ? {} : { region };
    const found = fromFlagsAndOutputs(flags, outputs);
    return withDestroy({
      deployed: true,
      ...config,
      dynamodb: new DynamoDBClient(config),
      sqs: new SQSClient(config),
      s3: new S3Client(config),
      ...(found.ledgerTable === undefined ? {} : { table: found.ledgerTable }),
      ...(found.bucket === undefined ? {} : { bucket: found.bucket }),
      queues: {
        ...(found.eventsQueueUrl === undefined ? {} : { events: found.eventsQueueUrl }),
        ...(found.deadLetterQueueUrl === undefined ? {} : { deadLetter: found.deadLetterQueueUrl }),
        ...(found.archiveQueueUrl === undefined ? {} : { archive: found.archiveQueueUrl }),
        ...(found.archiveDeadLetterQueueUrl === undefined
          ? {}
          : { archiveDeadLetter: found.archiveDeadLetterQueueUrl }),
      },
      ...(found.integrationSecretArn === undefined
        ? {}
        : { integrationSecretArn: found.integrationSecretArn }),
      ...(outputs === undefined ? {} : { outputs }),
    });
  }
  const info = await readRuntimeInfo(dataDir);
  if (info === undefined) {
    throw new StageError(
      'no local pipeline is running (start it with `npm start`), or pass --stage <stage> for a deployed stage',
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
  archive: '--archive-queue-url <ArchiveQueueUrl>',
  archiveDeadLetter: '--archive-dlq-url <ArchiveDeadLetterQueueUrl>',
} as const;

const outputOf = {
  table: 'ledgerTable',
  bucket: 'bucket',
  events: 'eventsQueueUrl',
  deadLetter: 'deadLetterQueueUrl',
  archive: 'archiveQueueUrl',
  archiveDeadLetter: 'archiveDeadLetterQueueUrl',
} as const satisfies Record<keyof typeof flagOf, StageOutputKey>;

/** The resource a command needs, or a {@link StageError} saying how to give it. */
export const requireResource = (
  stage: OpsStage,
  resource: 'table' | 'bucket' | keyof StageQueues,
  command: string,
): string => {
  const value =
    resource === 'table' ? stage.table : resource === 'bucket' ? stage.bucket : stage.queues[resource];
  if (value !== undefined && value !== '') return value;
  // With --stage the output is missing: say which stack lacks it.
  if (stage.outputs !== undefined) return requireOutput(stage.outputs, outputOf[resource]);
  throw new StageError(
    stage.deployed
      ? `${command} against a deployed stage needs --stage <stage> or ${flagOf[resource]}`
      : `the running npm start does not say where its ${resource} is (restart it: it was started by an older version)`,
  );
};
