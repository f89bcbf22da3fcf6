/**
 * `npm run ops`: operator commands against a running `npm start` (default) or a deployed stage.
 *
 *   npm run ops -- parked unmatched|failed
 *   npm run ops -- replay unmatched|failed (--all | --key <dedupe key> [--key …])
 *   deployed: add --table <ledger table> --queue-url <events queue URL> --bucket <bucket> [--region <r>]
 *   npm run ops -- media <interview id> [--vendor round0|micro1] [--save <dir>]
 *   npm run ops -- doctor [--json] [--adapter <name>] [--config <ATS_CONFIG JSON>]
 *                         [--integration-secret-arn <arn> [--region <r>]]
 *                         [--completed-stage-id <id>] [--score-field-id <id>]
 *
 * Listing shows ids, types and reasons only: parked envelopes hold candidate data and are never printed.
 * The doctor prints ATS configuration (stage, tag, field ids and names) and check outcomes, never a
 * credential or candidate data.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as v from 'valibot';
import { type DoctorOptions, diagnoseAts, renderDoctorReport } from '../functions/ats/doctor.js';
import type { AtsAdapterDeps } from '../functions/ats/types.js';
import { envNames } from '../functions/platform/env.js';
import { type IntegrationSecrets, integrationSecretsSchema } from '../functions/platform/secrets-shape.js';
import { readRuntimeInfo } from './runtime-info.js';
import { defaultSecretsFilePath, readSecretsFile } from './secrets-file.js';

export class OpsUsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OpsUsageError';
  }
}

export const opsUsage = `usage:
  npm run ops -- parked unmatched|failed
  npm run ops -- replay unmatched|failed (--all | --key <dedupe key> [--key …])
  npm run ops -- media <interview id> [--vendor round0|micro1] [--save <dir>] [--expires <seconds>]
  npm run ops -- doctor [--json] [--adapter <name>] [--config <ATS_CONFIG JSON>] [--completed-stage-id <id>] [--score-field-id <id>]
against a deployed stage add: --table <ledger table> --queue-url <events queue URL> --bucket <bucket> [--region <region>]
the doctor against a deployed stage: --adapter <name> --config <ATS_CONFIG JSON> --integration-secret-arn <arn> [--region <region>]`;

/** Injection points of {@link runOps}, for tests. */
export interface OpsOptions {
  /** Where `ATS_ADAPTER`, `ATS_CONFIG`… are read from for a local doctor. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The local secrets file (`npm start`'s). @default `<repo>/secrets.local.json` */
  readonly secretsFile?: string;
  /** Reads a deployed secret's string by ARN. @default Secrets Manager `GetSecretValue` */
  readonly readSecret?: (arn: string, region: string | undefined) => Promise<string>;
  /** Handed to the adapters (tests: instant retries). @default {} */
  readonly atsDeps?: AtsAdapterDeps;
}

export interface OpsResult {
  readonly lines: string[];
  /** `0`, or `1` when the doctor found a failure. */
  readonly exitCode: number;
}

const optionsSpec = {
  all: { type: 'boolean' },
  key: { type: 'string', multiple: true },
  table: { type: 'string' },
  'queue-url': { type: 'string' },
  bucket: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  adapter: { type: 'string' },
  config: { type: 'string' },
  'integration-secret-arn': { type: 'string' },
  'completed-stage-id': { type: 'string' },
  'score-field-id': { type: 'string' },
  vendor: { type: 'string' },
  save: { type: 'string' },
  expires: { type: 'string' },
} as const;
type OpsValues = ReturnType<
  typeof parseArgs<{ options: typeof optionsSpec; allowPositionals: true }>
>['values'];

const readSecretFromSecretsManager = async (arn: string, region: string | undefined): Promise<string> => {
  const client = new SecretsManagerClient(region === undefined ? {} : { region });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (SecretString === undefined) throw new OpsUsageError(`${arn} holds no secret string`);
    return SecretString;
  } finally {
    client.destroy();
  }
};

/** What the doctor checks: the adapter, its `ATS_CONFIG`, its credentials, and the sync's own ids. */
export interface DoctorTarget {
  readonly adapter: string;
  readonly config: unknown;
  readonly credentials: Readonly<Record<string, string>> | undefined;
  readonly options: DoctorOptions;
  /** Where the credentials came from (printed; never the credentials themselves). */
  readonly source: string;
}

const parseConfig = (text: string | undefined, from: string): unknown => {
  if (text === undefined || text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new OpsUsageError(`${from} is not valid JSON`, { cause: error });
  }
};

/**
 * THE one place the doctor's target is resolved. Flags win over the environment: `--adapter`/`--config`
 * over `ATS_ADAPTER`/`ATS_CONFIG`, `--completed-stage-id`/`--score-field-id` over `ATS_COMPLETED_STAGE_ID`/
 * `ATS_SCORE_FIELD_ID`; credentials come from `--integration-secret-arn` (Secrets Manager) when given, else
 * from the local secrets file's `integration.ats`. (A later `--stage` will read these from the stack's
 * outputs and context here.)
 */
export const resolveDoctorTarget = async (values: OpsValues, ops: OpsOptions): Promise<DoctorTarget> => {
  const env = ops.env ?? process.env;
  const adapter = values.adapter ?? env[envNames.atsAdapter] ?? 'log';
  const config =
    values.config === undefined
      ? parseConfig(env[envNames.atsConfig], envNames.atsConfig)
      : parseConfig(values.config, '--config');
  const options: DoctorOptions = {
    ...((values['completed-stage-id'] ?? env[envNames.atsCompletedStageId])
      ? { completedStageId: values['completed-stage-id'] ?? env[envNames.atsCompletedStageId] }
      : {}),
    ...((values['score-field-id'] ?? env[envNames.atsScoreFieldId])
      ? { scoreFieldId: values['score-field-id'] ?? env[envNames.atsScoreFieldId] }
      : {}),
  };
  const arn = values['integration-secret-arn'];
  let secrets: IntegrationSecrets;
  let source: string;
  if (arn !== undefined) {
    const text = await (ops.readSecret ?? readSecretFromSecretsManager)(arn, values.region);
    const parsed = v.safeParse(integrationSecretsSchema, parseConfig(text, 'the integration secret'));
    if (!parsed.success) {
      const paths = parsed.issues.map((issue) => v.getDotPath(issue) ?? '(root)').join(', ');
      throw new OpsUsageError(`the integration secret is malformed at: ${paths}`);
    }
    secrets = parsed.output;
    source = 'the integration secret (Secrets Manager)';
  } else {
    const file = ops.secretsFile ?? defaultSecretsFilePath;
    secrets = (await readSecretsFile(file)).integration;
    source = `${file} (integration.ats)`;
  }
  return { adapter, config, credentials: secrets.ats, options, source };
};

const runDoctor = async (values: OpsValues, ops: OpsOptions): Promise<OpsResult> => {
  const target = await resolveDoctorTarget(values, ops);
  const report = await diagnoseAts(
    target.adapter,
    target.config,
    target.credentials,
    ops.atsDeps,
    target.options,
  );
  const lines = values.json
    ? JSON.stringify({ ...report, credentialsFrom: target.source }, null, 2).split('\n')
    : [...renderDoctorReport(report), '', `credentials read from ${target.source}`];
  return { lines, exitCode: report.ok ? 0 : 1 };
};

/**
 * The parked-events store and the events queue. The ledger modules are imported here, on demand, so the
 * doctor (pure ATS calls) never loads them.
 */
/** The clients and names of the stage: a deployed one from flags, else the running `npm start`'s. */
const storageOf = async (values: OpsValues, dataDir: string, needsQueue: boolean) => {
  const table = values.table;
  if (table !== undefined) {
    const queueUrl = values['queue-url'];
    const bucket = values.bucket;
    if ((needsQueue && queueUrl === undefined) || bucket === undefined) {
      throw new OpsUsageError(
        needsQueue ? '--table needs --queue-url and --bucket too' : '--table needs --bucket too',
      );
    }
    const config = values.region === undefined ? {} : { region: values.region };
    return {
      dynamodb: new DynamoDBClient(config),
      sqs: new SQSClient(config),
      s3: new S3Client(config),
      table,
      queueUrl: queueUrl ?? '',
      bucket,
    };
  }
  const info = await readRuntimeInfo(dataDir);
  if (info === undefined) {
    throw new OpsUsageError(
      'no local pipeline is running (start it with `npm start`), or pass --table for a deployed stage',
    );
  }
  const base = { region: info.region, credentials: info.credentials };
  return {
    dynamodb: new DynamoDBClient({ ...base, endpoint: info.endpoints.dynamodb }),
    sqs: new SQSClient({ ...base, endpoint: info.endpoints.sqs }),
    s3: new S3Client({ ...base, endpoint: info.endpoints.s3, forcePathStyle: true }),
    table: info.ledgerTable,
    queueUrl: info.eventsQueueUrl,
    bucket: info.bucket,
  };
};

const connect = async (values: OpsValues, dataDir: string) => {
  const [{ ParkingLot }, { EventQueue }] = await Promise.all([
    import('../functions/ledger/parking-lot.js'),
    import('../functions/queue/event-queue.js'),
  ]);
  const storage = await storageOf(values, dataDir, true);
  return {
    parking: new ParkingLot({ client: storage.dynamodb, tableName: storage.table }),
    queue: new EventQueue({
      sqs: storage.sqs,
      s3: storage.s3,
      queueUrl: storage.queueUrl,
      bucket: storage.bucket,
    }),
  };
};

const runMedia = async (
  values: OpsValues,
  interviewId: string | undefined,
  dataDir: string,
): Promise<OpsResult> => {
  if (interviewId === undefined || interviewId === '') {
    throw new OpsUsageError('media needs an interview id (ROUND0 interview id or micro1 report id)');
  }
  const vendor = values.vendor;
  if (vendor !== undefined && vendor !== 'round0' && vendor !== 'micro1') {
    throw new OpsUsageError('--vendor is round0 or micro1');
  }
  const expires = values.expires === undefined ? undefined : Number(values.expires);
  if (expires !== undefined && !(Number.isInteger(expires) && expires > 0 && expires <= 7 * 24 * 3600)) {
    throw new OpsUsageError(
      '--expires is a number of seconds, at most 604800 (7 days, the presigning limit)',
    );
  }
  const [{ ArchiveManifest }, { mediaCommand }] = await Promise.all([
    import('../functions/archive/manifest.js'),
    import('./ops-media.js'),
  ]);
  const storage = await storageOf(values, dataDir, false);
  const lines = await mediaCommand({
    manifest: new ArchiveManifest({ client: storage.dynamodb, tableName: storage.table }),
    s3: storage.s3,
    bucket: storage.bucket,
    interviewId,
    ...(vendor === undefined ? {} : { vendor }),
    ...(expires === undefined ? {} : { expiresInSeconds: expires }),
    ...(values.save === undefined ? {} : { saveDir: values.save }),
  });
  return { lines, exitCode: 0 };
};

const kindOf = (value: string | undefined) => {
  if (value !== 'unmatched' && value !== 'failed')
    throw new OpsUsageError('say which parked events: unmatched or failed');
  return value;
};

/** Runs one ops command; returns the lines to print and the process exit code. */
export const runOpsCommand = async (
  argv: readonly string[],
  dataDir: string,
  ops: OpsOptions = {},
): Promise<OpsResult> => {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof optionsSpec; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: optionsSpec });
  } catch (error) {
    throw new OpsUsageError(`${(error as Error).message}\n${opsUsage}`, { cause: error });
  }
  const { values, positionals } = parsed;
  const [command, kindArg] = positionals;
  if (command === 'doctor') return runDoctor(values, ops);
  if (command === 'media') return runMedia(values, kindArg, dataDir);
  if (command !== 'parked' && command !== 'replay') throw new OpsUsageError(opsUsage);
  const kind = kindOf(kindArg);
  const target = await connect(values, dataDir);

  if (command === 'parked') {
    const parked = await target.parking.list(kind);
    if (parked.length === 0) return { lines: [`no ${kind} events parked`], exitCode: 0 };
    return {
      lines: parked.map((p) => `${p.parkedAt}  ${p.vendor}  ${p.eventType}  ${p.dedupeKey}  — ${p.reason}`),
      exitCode: 0,
    };
  }
  if (values.all !== true && (values.key === undefined || values.key.length === 0)) {
    throw new OpsUsageError('replay needs --all or at least one --key <dedupe key>');
  }
  const { replayParkedEvents } = await import('../functions/ledger/replay.js');
  const outcome = await replayParkedEvents({
    parking: target.parking,
    publish: (event) => target.queue.publish(event),
    kind,
    dedupeKeys: values.all === true ? undefined : values.key,
  });
  return {
    lines: [
      `replayed ${outcome.replayed.length} ${kind} event(s)${outcome.replayed.length ? `: ${outcome.replayed.join(', ')}` : ''}`,
      ...outcome.skipped.map((s) => `skipped ${s.dedupeKey}: ${s.reason}`),
    ],
    exitCode: 0,
  };
};

/** Runs one ops command; returns the lines to print (see {@link runOpsCommand} for the exit code). */
export const runOps = async (
  argv: readonly string[],
  dataDir: string,
  ops: OpsOptions = {},
): Promise<string[]> => (await runOpsCommand(argv, dataDir, ops)).lines;
