/**
 * `npm run ops`: operator commands against a running `npm start` (default) or a deployed stage.
 *
 *   npm run ops -- setup --stage <stage> [--round0-secret -] [--round0-api-key -] [--micro1-api-key -]
 *                        [--ats-credentials <file>] [--rotate micro1-token] [--retire micro1-token|round0-secret]
 *   npm run ops -- urls --stage <stage>
 *   npm run ops -- watch [--stage <stage>] [--since 10m|<ISO>] [--once]
 *   npm run ops -- parked unmatched|failed
 *   npm run ops -- replay unmatched|failed (--all | --key <dedupe key> [--key …])
 *   npm run ops -- replay --vendor round0|micro1 --since <yyyy-mm-dd|ISO> [--until …] [--type <t>] [--force]
 *   npm run ops -- redrive events|archive [--max N]
 *   npm run ops -- status <interview id | e-mail>
 *   npm run ops -- erase (--email <e-mail> | --candidate-id <id>) [--yes]
 *   npm run ops -- media <interview id> [--vendor round0|micro1] [--save <dir>]
 *   npm run ops -- doctor [--json] [--adapter <name>] [--config <ATS_CONFIG JSON>]
 *                         [--completed-stage-id <id>] [--score-field-id <id>]
 *   deployed: --stage <stage> [--region <r>] reads every resource from the stage's stack outputs; the long
 *             flags (--table, --queue-url, --bucket, --dlq-url, --archive-queue-url, --archive-dlq-url,
 *             --integration-secret-arn) name them one by one instead (scripts) or override an output.
 *
 * Listing shows ids, types and reasons only: parked envelopes hold candidate data and are never printed.
 * `status` and `erase` print ids, keys and outcomes, never an e-mail, a name or a note.
 * The doctor prints ATS configuration (stage, tag, field ids and names) and check outcomes, never a
 * credential or candidate data. `setup` and `urls` print no secret but the micro1 URL (marked as one).
 */
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import { type DoctorOptions, diagnoseAts, renderDoctorReport } from '../functions/ats/doctor.js';
import type { AtsAdapterDeps } from '../functions/ats/types.js';
import { envNames } from '../functions/platform/env.js';
import { type IntegrationSecrets, integrationSecretsSchema } from '../functions/platform/secrets-shape.js';
import { type UrlPolicyRelaxation, urlPolicyRelaxationFromEnv } from '../functions/platform/url-guard.js';
import type { InterviewEvent } from '../functions/vendors/envelope.js';
import { readDeployedWorkerSettings } from './ops/deployed-settings.js';
import type { ProgressStream } from './ops/progress.js';
import type { RawReplayOptions } from './ops/replay-raw.js';
import { readStageOutputs, requireOutput, type StageOutputs } from './ops/stack-outputs.js';
import { type OpsStage, requireResource, resolveStage, StageError } from './ops/stage.js';
import { readRuntimeInfo } from './runtime-info.js';
import { defaultSecretsFilePath, readSecretsFile, runningSecretsFilePath } from './secrets-file.js';

export class OpsUsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OpsUsageError';
  }
}

export const opsUsage = `usage:
  npm run ops -- setup --stage <stage> [--round0-secret -] [--round0-api-key -] [--micro1-api-key -]
                       [--ats-credentials <file.json>] [--rotate micro1-token] [--retire micro1-token|round0-secret]
      fills the stage's secrets (a micro1 token is created when there is none; a secret flag given as - is asked
      for, hidden, on a terminal, or read from one line of stdin when piped: a value on the command line is
      echoed by npm and kept by the shell) and prints the webhook URLs to paste into the vendors' dashboards; a second run is a no-op
  npm run ops -- urls --stage <stage>
      the two webhook URLs again (micro1's holds its token: keep it secret)
  npm run ops -- watch [--stage <stage>] [--since <10m | 2h | yyyy-mm-dd | ISO time with offset>] [--once]
      deliveries as they arrive: time, vendor, event type, outcome (default: from 1 minute ago; Ctrl-C stops)
  npm run ops -- parked unmatched|failed
  npm run ops -- replay unmatched|failed (--all | --key <dedupe key> [--key …])
      parked events back onto the events queue
  npm run ops -- replay --vendor round0|micro1 --since <yyyy-mm-dd|ISO time> [--until <…>] [--type <event type>] [--force]
      stored deliveries (raw event store) of the window back onto the events queue; the worker skips those it
      processed before. --force gives each a new dedupe key so the worker processes it again: ATS writes are
      recorded per interview by what they write, so only those not recorded yet are made (no second note).
  npm run ops -- redrive events|archive [--max <n>]
      dead-letter queue → its source queue, once the cause is fixed (failure attributes dropped)
  npm run ops -- status <interview id | report:<id> | session:<…> | e-mail>
      ledger state, events, ATS writes, archive and parked events of an interview (ids only)
  npm run ops -- erase (--email <e-mail> | --candidate-id <id>) [--yes]
      deletes everything held on the candidate (ledger, archive, parked, claim checks, raw events); prints the
      plan and asks first unless --yes. Their dead letters go too (the DLQs' other messages stay). Messages
      still on the queues may re-create state: erase again later.
  npm run ops -- media <interview id> [--vendor round0|micro1] [--save <dir>] [--expires <seconds>]
  npm run ops -- doctor [--json] [--adapter <name>] [--config <ATS_CONFIG JSON>] [--completed-stage-id <id>] [--score-field-id <id>]
every command but setup and urls works on the running npm start (found in DATA_DIR as npm start reads it), or
  on a deployed stage with --stage <stage> [--region <region>] (resources read from the stacks' outputs); setup
  and urls need --stage. Scripts may name the resources instead: --table <LedgerTableName>
  --queue-url <EventsQueueUrl> --bucket <BucketName> --dlq-url <DeadLetterQueueUrl> --archive-dlq-url
  <ArchiveDeadLetterQueueUrl> --archive-queue-url <ArchiveQueueUrl> --integration-secret-arn <IntegrationSecretsArn>
  (each also overrides its output under --stage). The doctor with --stage checks the ATS settings the deployed worker runs with.`;

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
  /**
   * Where long commands (redrive, replay, erase) show their progress: one updating line on a terminal,
   * plain lines otherwise. `npm run ops` passes `process.stdout`. @default none (silent)
   */
  readonly progress?: ProgressStream;
  /**
   * Asks the operator to confirm an erase whose plan is `plan` (the lines are printed by it). `npm run ops`
   * asks on a terminal. @default none: without `--yes` an erase is refused
   */
  readonly confirm?: (plan: readonly string[]) => Promise<boolean>;
  /**
   * Asks for a secret without echoing it (`setup`'s ROUND0 signing secret). `npm run ops` asks on a
   * terminal. @default none: a missing secret names its flag instead
   */
  readonly askSecret?: (prompt: string) => Promise<string>;
  /**
   * Where `watch` prints each line as it comes (it returns no lines). `npm run ops` passes `console.log`.
   * @default none: lines are collected and returned (tests with `--once`)
   */
  readonly print?: (line: string) => void;
  /** Stops `watch`, and a `redrive` between two batches (Ctrl-C). @default none */
  readonly signal?: AbortSignal;
  /** ANSI colours in `watch` (a terminal). @default false */
  readonly color?: boolean;
}

export interface OpsResult {
  readonly lines: string[];
  /**
   * `0`; `1` when the doctor found a failure, `status` found nothing, a replay left something asked for
   * (a key not parked, an event or stored object it could not replay), a redrive had a message refused or was
   * interrupted, or
   * an erase was declined, stopped or could not sweep a dead-letter queue; `2` when an erase without `--yes`
   * could not ask.
   */
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
  since: { type: 'string' },
  until: { type: 'string' },
  type: { type: 'string' },
  force: { type: 'boolean' },
  max: { type: 'string' },
  email: { type: 'string' },
  'candidate-id': { type: 'string' },
  yes: { type: 'boolean' },
  'dlq-url': { type: 'string' },
  'archive-queue-url': { type: 'string' },
  'archive-dlq-url': { type: 'string' },
  stage: { type: 'string' },
  'round0-secret': { type: 'string' },
  'round0-api-key': { type: 'string' },
  'micro1-api-key': { type: 'string' },
  'ats-credentials': { type: 'string' },
  rotate: { type: 'string', multiple: true },
  retire: { type: 'string', multiple: true },
  once: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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
  /**
   * Where the settings (adapter, its config, the sync's ids) came from (printed): the flags given, and the
   * environment (or the deployed worker's) for those it set and no flag gave.
   */
  readonly settingsSource: string;
  /**
   * Vendor API keys still in the integration secret (a stage set up before the vendor API secret): the
   * worker reads them there, the archive cannot. Names only.
   */
  readonly vendorKeysInIntegration: readonly string[];
  /**
   * With `--stage`: the SSRF guard the deployed worker's calls pass (https to public addresses only), so
   * a base URL the worker would refuse fails here too. Undefined for a local doctor (the local fakes).
   */
  readonly urlPolicy?: UrlPolicyRelaxation;
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
 * The integration secret, read as the worker reads it: from Secrets Manager with `--integration-secret-arn`,
 * else from the local secrets file (`secretsFile` of the options, else the running `npm start`'s, else
 * `<repo>/secrets.local.json`). The doctor takes its ATS credentials from it, `erase` and `status` the
 * `pseudonymKey` of the e-mail pseudonyms.
 */
export const readIntegrationSecrets = async (
  values: Pick<OpsValues, 'integration-secret-arn' | 'region'>,
  ops: OpsOptions,
  localSecretsFile?: string,
): Promise<{ secrets: IntegrationSecrets; source: string }> => {
  const arn = values['integration-secret-arn'];
  if (arn !== undefined) {
    const text = await (ops.readSecret ?? readSecretFromSecretsManager)(arn, values.region);
    const parsed = v.safeParse(integrationSecretsSchema, parseConfig(text, 'the integration secret'));
    if (!parsed.success) {
      const paths = parsed.issues.map((issue) => v.getDotPath(issue) ?? '(root)').join(', ');
      throw new OpsUsageError(`the integration secret is malformed at: ${paths}`);
    }
    return { secrets: parsed.output, source: 'the integration secret (Secrets Manager)' };
  }
  const file = ops.secretsFile ?? localSecretsFile ?? defaultSecretsFilePath;
  return { secrets: (await readSecretsFile(file)).integration, source: file };
};

/** A StageError as the usage error the CLI prints with its message; anything else as it is. */
const asUsageError = (error: unknown): unknown =>
  error instanceof StageError ? new OpsUsageError(error.message, { cause: error }) : error;

/** The stacks' outputs of `--stage` (its errors as usage errors), or a usage error naming `--stage`. */
const outputsOf = async (values: OpsValues, command: string): Promise<StageOutputs> => {
  if (values.stage === undefined) {
    throw new OpsUsageError(
      `${command} works on a deployed stage: pass --stage <stage> (the local npm start prints its own URLs)`,
    );
  }
  try {
    return await readStageOutputs({
      stage: values.stage,
      ...(values.region === undefined ? {} : { region: values.region }),
    });
  } catch (error) {
    throw asUsageError(error);
  }
};

const usageErrorOf = <T>(read: () => T): T => {
  try {
    return read();
  } catch (error) {
    throw asUsageError(error);
  }
};

/**
 * THE one place the doctor's target is resolved. Flags win over the settings: `--adapter`/`--config` over
 * `ATS_ADAPTER`/`ATS_CONFIG`, `--completed-stage-id`/`--score-field-id` over `ATS_COMPLETED_STAGE_ID`/
 * `ATS_SCORE_FIELD_ID`, which come from the environment, or with `--stage` from the deployed worker's
 * environment (its stack's template: what the last deploy made, `-c` keys included). Credentials come from
 * the integration secret in Secrets Manager with `--stage` (its output) or `--integration-secret-arn`, else
 * from the local secrets file's `integration.ats`.
 */
export const resolveDoctorTarget = async (
  values: OpsValues,
  ops: OpsOptions,
  dataDir?: string,
): Promise<DoctorTarget> => {
  let settings: Readonly<Record<string, string | undefined>> = ops.env ?? process.env;
  let secretValues: Pick<OpsValues, 'integration-secret-arn' | 'region'> = values;
  let settingsSource = 'the environment';
  let urlPolicy: UrlPolicyRelaxation | undefined;
  if (values.stage !== undefined) {
    const outputs = await outputsOf(values, 'doctor --stage');
    // What the last deploy made (cdk.json's stage and the -c keys it was given), not cdk.json as it is now.
    const deployed = await readDeployedWorkerSettings(outputs).catch((error: unknown) => {
      throw asUsageError(error);
    });
    settings = deployed.environment;
    settingsSource = deployed.source;
    urlPolicy = usageErrorOf(() => urlPolicyRelaxationFromEnv(deployed.environment));
    secretValues = {
      'integration-secret-arn':
        values['integration-secret-arn'] ??
        usageErrorOf(() => requireOutput(outputs, 'integrationSecretArn')),
      region: outputs.region,
    };
  }
  const adapter = values.adapter ?? settings[envNames.atsAdapter] ?? 'log';
  const config =
    values.config === undefined
      ? parseConfig(settings[envNames.atsConfig], `${envNames.atsConfig} (${settingsSource})`)
      : parseConfig(values.config, '--config');
  const options: DoctorOptions = {
    ...((values['completed-stage-id'] ?? settings[envNames.atsCompletedStageId])
      ? { completedStageId: values['completed-stage-id'] ?? settings[envNames.atsCompletedStageId] }
      : {}),
    ...((values['score-field-id'] ?? settings[envNames.atsScoreFieldId])
      ? { scoreFieldId: values['score-field-id'] ?? settings[envNames.atsScoreFieldId] }
      : {}),
  };
  // Locally, the secrets file the running npm start checks with: SECRETS_FILE as it reads it, else the one its
  // runtime info names (a pipeline started with SECRETS_FILE), else the default.
  const localFile =
    values.stage !== undefined
      ? undefined
      : runningSecretsFilePath(
          settings,
          dataDir === undefined ? undefined : (await readRuntimeInfo(dataDir))?.secretsFile,
        );
  const { secrets, source } = await readIntegrationSecrets(secretValues, ops, localFile);
  const fromFile = secretValues['integration-secret-arn'] === undefined;
  // Said as it is: the flags given, and the environment (or deployed worker) for the settings it set that no
  // flag gave (`settings read from --adapter/--config, ATS_SCORE_FIELD_ID from the environment`).
  const settingFlags = [
    ['adapter', envNames.atsAdapter],
    ['config', envNames.atsConfig],
    ['completed-stage-id', envNames.atsCompletedStageId],
    ['score-field-id', envNames.atsScoreFieldId],
  ] as const;
  const flags = settingFlags.filter(([flag]) => values[flag] !== undefined).map(([flag]) => `--${flag}`);
  const fromSettings = settingFlags
    .filter(([flag, name]) => values[flag] === undefined && (settings[name] ?? '').trim() !== '')
    .map(([, name]) => name);
  return {
    adapter,
    config,
    credentials: secrets.ats,
    options,
    source: fromFile ? `${source} (integration.ats)` : source,
    settingsSource:
      flags.length === 0
        ? settingsSource
        : fromSettings.length === 0
          ? flags.join('/')
          : `${flags.join('/')}, ${fromSettings.join(', ')} from ${settingsSource}`,
    vendorKeysInIntegration: (['round0ApiKey', 'micro1ApiKey'] as const).filter(
      (key) => secrets[key] !== undefined,
    ),
    ...(urlPolicy === undefined ? {} : { urlPolicy }),
  };
};

const runDoctor = async (values: OpsValues, ops: OpsOptions, dataDir: string): Promise<OpsResult> => {
  const target = await resolveDoctorTarget(values, ops, dataDir);
  const report = await diagnoseAts(
    target.adapter,
    target.config,
    target.credentials,
    target.urlPolicy === undefined ? ops.atsDeps : { ...ops.atsDeps, urlPolicy: target.urlPolicy },
    target.options,
  );
  const lines = values.json
    ? JSON.stringify(
        { ...report, credentialsFrom: target.source, settingsFrom: target.settingsSource },
        null,
        2,
      ).split('\n')
    : [
        ...renderDoctorReport(report),
        '',
        `settings read from ${target.settingsSource}`,
        `credentials read from ${target.source}`,
        ...(target.vendorKeysInIntegration.length === 0
          ? []
          : [
              `warning: ${target.vendorKeysInIntegration.join(' and ')} still in the integration secret: the ` +
                'worker reads it there, but the archive cannot refresh an expired ROUND0 audio URL until it is ' +
                (values.stage === undefined
                  ? 'in the vendor API section (npm start moves it in the local secrets file)'
                  : `in the vendor API secret: run npm run ops -- setup --stage ${values.stage} to move it`),
            ]),
      ];
  return { lines, exitCode: report.ok ? 0 : 1 };
};

/** The stage (see `local/ops/stage.ts`); its errors are usage errors here. */
const stageOf = async (values: OpsValues, dataDir: string): Promise<OpsStage> => {
  try {
    return await resolveStage(values, dataDir);
  } catch (error) {
    throw asUsageError(error);
  }
};

/**
 * Which stage a command acts on, said as the last line of every command that reads or changes a stage's
 * data (erase, redrive, replay, parked, status): one run without `--stage` goes to the local npm start, and
 * an on-call engineer paged for prod must not read the laptop's empty DLQ as prod's.
 */
const targetLine = (stage: OpsStage, values: OpsValues, dataDir: string): string =>
  stage.deployed
    ? `on: ${values.stage === undefined ? 'the stage named by resource flags' : `stage ${values.stage}`} ` +
      `(region ${stage.region ?? `${process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'of the SDK default chain'}`}` +
      `${stage.bucket === undefined ? '' : `, bucket ${stage.bucket}`}${stage.table === undefined ? '' : `, table ${stage.table}`})`
    : `on: the local npm start (${dataDir})`;

const need = (stage: OpsStage, resource: Parameters<typeof requireResource>[1], command: string): string => {
  try {
    return requireResource(stage, resource, command);
  } catch (error) {
    throw asUsageError(error);
  }
};

/**
 * The parked-events store and the events queue. The ledger modules are imported here, on demand, so the
 * doctor (pure ATS calls) never loads them. (The ops modules below are imported one after the other: Jest's
 * ESM loader fails on two concurrent first imports of the same Node built-in.)
 */
const connect = async (stage: OpsStage, command: string, needsQueue: boolean) => {
  const [{ ParkingLot }, { EventQueue }, { sdkPutObject, sdkSendMessage }] = await Promise.all([
    import('../functions/ledger/parking-lot.js'),
    import('../functions/queue/event-queue.js'),
    import('../functions/platform/clients.js'),
  ]);
  const table = need(stage, 'table', command);
  return {
    parking: new ParkingLot({ client: stage.dynamodb, tableName: table }),
    queue: needsQueue
      ? new EventQueue({
          sendMessage: sdkSendMessage(stage.sqs),
          putObject: sdkPutObject(stage.s3),
          queueUrl: need(stage, 'events', command),
          bucket: need(stage, 'bucket', command),
        })
      : undefined,
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
  const stage = await stageOf(values, dataDir);
  try {
    const manifest = new ArchiveManifest({
      client: stage.dynamodb,
      tableName: need(stage, 'table', 'media'),
    });
    // What the manifest lists: an id it knows nothing of exits 1, as `status` of one found nowhere does (a
    // mistyped id, or the local npm start asked for a deployed stage's interview, must not read as done).
    let listed = 0;
    const lines = await mediaCommand({
      manifest: {
        list: async (...args: Parameters<typeof manifest.list>) => {
          const objects = await manifest.list(...args);
          listed += objects.length;
          return objects;
        },
      },
      s3: stage.s3,
      bucket: need(stage, 'bucket', 'media'),
      interviewId,
      ...(vendor === undefined ? {} : { vendor }),
      ...(expires === undefined ? {} : { expiresInSeconds: expires }),
      ...(values.save === undefined ? {} : { saveDir: values.save }),
    });
    if (listed === 0) return { lines: [...lines, targetLine(stage, values, dataDir)], exitCode: 1 };
    return { lines, exitCode: 0 };
  } finally {
    stage.destroy();
  }
};

const isParkedKind = (value: string | undefined): value is 'unmatched' | 'failed' =>
  value === 'unmatched' || value === 'failed';

const kindOf = (value: string | undefined) => {
  if (!isParkedKind(value)) throw new OpsUsageError('say which parked events: unmatched or failed');
  return value;
};

const runParked = async (
  command: 'parked' | 'replay',
  values: OpsValues,
  kindArg: string | undefined,
  dataDir: string,
): Promise<OpsResult> => {
  const kind = kindOf(kindArg);
  if (command === 'replay' && values.all !== true && (values.key === undefined || values.key.length === 0)) {
    throw new OpsUsageError('replay needs --all or at least one --key <dedupe key>');
  }
  const stage = await stageOf(values, dataDir);
  const on = targetLine(stage, values, dataDir);
  try {
    const target = await connect(stage, command, command === 'replay');
    if (command === 'parked') {
      // Without their envelopes (each up to ~350 KiB): thousands may be parked after an outage.
      const parked = await target.parking.listSummaries(kind);
      if (parked.length === 0) return { lines: [`no ${kind} events parked`, on], exitCode: 0 };
      return {
        lines: [
          ...parked.map((p) => `${p.parkedAt}  ${p.vendor}  ${p.eventType}  ${p.dedupeKey}  — ${p.reason}`),
          on,
        ],
        exitCode: 0,
      };
    }
    const { replayParkedEvents } = await import('../functions/ledger/replay.js');
    const queue = target.queue as NonNullable<typeof target.queue>;
    const outcome = await replayParkedEvents({
      parking: target.parking,
      publish: (event) => queue.publish(event),
      kind,
      dedupeKeys: values.all === true ? undefined : values.key,
    });
    return {
      lines: [
        `replayed ${outcome.replayed.length} ${kind} event(s)${outcome.replayed.length ? `: ${outcome.replayed.join(', ')}` : ''}`,
        ...outcome.skipped.map((s) => `skipped ${s.dedupeKey}: ${s.reason}`),
        ...outcome.notParked.map(
          (key) => `not parked as ${kind}: ${key} (\`npm run ops -- parked ${kind}\` lists them)`,
        ),
        on,
      ],
      // Something asked for was not replayed: a script must not take the replay for complete.
      exitCode: outcome.skipped.length + outcome.notParked.length > 0 ? 1 : 0,
    };
  } finally {
    stage.destroy();
  }
};

const positiveInt = (text: string | undefined, flag: string): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new OpsUsageError(`${flag} is a whole number above 0`);
  return value;
};

const runRawReplay = async (values: OpsValues, dataDir: string, ops: OpsOptions): Promise<OpsResult> => {
  const vendor = values.vendor;
  if (vendor !== 'round0' && vendor !== 'micro1') {
    throw new OpsUsageError('replay from the raw event store needs --vendor round0|micro1 and --since');
  }
  const { parseWhen } = await import('./ops/raw-store.js');
  const { notADelivery, rawReplayLines, replayRawEvents } = await import('./ops/replay-raw.js');
  const since = values.since === undefined ? undefined : parseWhen(values.since, 'start');
  if (since === undefined)
    throw new OpsUsageError(
      '--since is a day (yyyy-mm-dd, UTC) or an ISO 8601 time with its offset (2024-05-01T12:00:00Z)',
    );
  const until = values.until === undefined ? undefined : parseWhen(values.until, 'end');
  if (values.until !== undefined && until === undefined) {
    throw new OpsUsageError(
      '--until is a day (yyyy-mm-dd, UTC) or an ISO 8601 time with its offset (2024-05-01T12:00:00Z)',
    );
  }
  if (until !== undefined && until < since) throw new OpsUsageError('--until is before --since');
  const stage = await stageOf(values, dataDir);
  try {
    const { queue } = await connect(stage, 'replay', true);
    const options: RawReplayOptions = {
      s3: stage.s3,
      bucket: need(stage, 'bucket', 'replay'),
      vendor,
      since,
      ...(until === undefined ? {} : { until }),
      ...(values.type === undefined ? {} : { type: values.type }),
      force: values.force === true,
      publish: (event: InterviewEvent) => (queue as NonNullable<typeof queue>).publish(event),
      ...(ops.progress === undefined ? {} : { progress: ops.progress }),
    };
    const outcome = await replayRawEvents(options);
    // A delivery of the vendor it could not replay (refused by today's parser, gone since it was listed): said,
    // and exit code 1. What is no delivery of it (another vendor's entry in a batch) is said only.
    const notReplayed = outcome.unreadable.filter(({ reason }) => reason !== notADelivery);
    return {
      lines: [...rawReplayLines(options, outcome), targetLine(stage, values, dataDir)],
      exitCode: notReplayed.length > 0 ? 1 : 0,
    };
  } finally {
    stage.destroy();
  }
};

const runRedrive = async (
  values: OpsValues,
  which: string | undefined,
  dataDir: string,
  ops: OpsOptions,
): Promise<OpsResult> => {
  if (which !== 'events' && which !== 'archive') throw new OpsUsageError('redrive events or redrive archive');
  const max = positiveInt(values.max, '--max');
  const { claimCheckStoredIn, redrive, redriveLines, sourceQueueOf } = await import('./ops/redrive.js');
  const { ParkingLot } = await import('../functions/ledger/parking-lot.js');
  const stage = await stageOf(values, dataDir);
  try {
    const from = need(stage, which === 'events' ? 'deadLetter' : 'archiveDeadLetter', `redrive ${which}`);
    // Deployed, the source queue need not be given: SQS knows which queue dead-letters into the DLQ.
    const to =
      stage.queues[which] ??
      (stage.deployed ? await sourceQueueOf(stage.sqs, from) : undefined) ??
      need(stage, which, `redrive ${which}`);
    const outcome = await redrive({
      sqs: stage.sqs,
      which,
      from,
      to,
      ...(max === undefined ? {} : { max }),
      ...(stage.table === undefined
        ? {}
        : { parking: new ParkingLot({ client: stage.dynamodb, tableName: stage.table }) }),
      claimCheckStored: claimCheckStoredIn(stage.s3),
      ...(ops.progress === undefined ? {} : { progress: ops.progress }),
      ...(ops.signal === undefined ? {} : { signal: ops.signal }),
    });
    const lines = redriveLines(which, outcome);
    if (stage.table === undefined && outcome.moved > 0) {
      lines.push("their parked 'failed' copies stay listed (pass --table to forget them)");
    }
    lines.push(targetLine(stage, values, dataDir));
    // Messages left on the DLQ because the source queue refused them: a script must not take it for done.
    // Hidden messages were not moved: a script must not take the DLQ for drained.
    const incomplete =
      outcome.refused > 0 || outcome.hidden > 0 || outcome.stoppedEarly || outcome.interrupted;
    return { lines, exitCode: incomplete ? 1 : 0 };
  } finally {
    stage.destroy();
  }
};

/** Everything `status` by e-mail and `erase` read: the sources, read once, and the pseudonym key. */
const loadCandidate = async (stage: OpsStage, values: OpsValues, ops: OpsOptions, command: string) => {
  const { loadCandidateSources } = await import('./ops/candidate.js');
  const { isVersioned } = await import('./ops/s3-objects.js');
  const table = need(stage, 'table', command);
  const bucket = need(stage, 'bucket', command);
  // Deployed without the secret's ARN there is no key: pseudonyms are then not looked for (and said so).
  const arn = stage.integrationSecretArn ?? values['integration-secret-arn'];
  const secrets =
    stage.deployed && arn === undefined
      ? undefined
      : (
          await readIntegrationSecrets(
            { 'integration-secret-arn': arn, region: stage.region ?? values.region },
            ops,
            stage.secretsFile,
          )
        ).secrets;
  const versioned = await isVersioned(stage.s3, bucket, stage.deployed);
  const sources = await loadCandidateSources({
    dynamodb: stage.dynamodb,
    s3: stage.s3,
    table,
    bucket,
    versioned,
    ...(ops.progress === undefined ? {} : { progress: ops.progress }),
  });
  const notes =
    secrets?.pseudonymKey === undefined
      ? [
          stage.deployed && arn === undefined
            ? 'e-mail pseudonyms not looked for: pass --stage (or --integration-secret-arn) for the pseudonymKey'
            : 'no pseudonymKey in the integration secret: no e-mail pseudonyms were written, none looked for',
        ]
      : [];
  return { table, bucket, versioned, sources, pseudonymKey: secrets?.pseudonymKey, notes };
};

const looksLikeEmail = (text: string) => /^[^\s@]+@[^\s@]+$/.test(text.trim());

const runStatus = async (
  values: OpsValues,
  subject: string | undefined,
  dataDir: string,
  ops: OpsOptions,
): Promise<OpsResult> => {
  if (subject === undefined || subject.trim() === '') {
    throw new OpsUsageError(
      'status needs an interview id (ROUND0 interview id, micro1 report id or key) or an e-mail',
    );
  }
  const { findCandidate } = await import('./ops/candidate.js');
  const { interviewLines, interviewsForId, isFound, readInterviews } = await import('./ops/status.js');
  const { ParkingLot } = await import('../functions/ledger/parking-lot.js');
  const stage = await stageOf(values, dataDir);
  const on = targetLine(stage, values, dataDir);
  try {
    const table = need(stage, 'table', 'status');
    const reader = {
      dynamodb: stage.dynamodb,
      table,
      parking: new ParkingLot({ client: stage.dynamodb, tableName: table }),
    };
    if (!looksLikeEmail(subject)) {
      const records = (await readInterviews(reader, interviewsForId(subject.trim()))).filter(isFound);
      if (records.length === 0) {
        return {
          lines: [
            `no interview ${subject} in the ledger, the archive or the parked events ` +
              '(a micro1 interview.* item is keyed session:<interview id>:<candidate id>: pass that key)',
            on,
          ],
          exitCode: 1,
        };
      }
      return {
        lines: [...records.flatMap((record, i) => [...(i > 0 ? [''] : []), ...interviewLines(record)]), on],
        exitCode: 0,
      };
    }
    const loaded = await loadCandidate(stage, values, ops, 'status');
    const findings = findCandidate(loaded.sources, {
      emails: [subject],
      candidateIds: [],
      ...(loaded.pseudonymKey === undefined ? {} : { pseudonymKey: loaded.pseudonymKey }),
    });
    const header = [
      `${findings.interviews.length} interview(s) of the candidate with this e-mail (found in ` +
        `${findings.events.length} stored or parked event(s) and ${findings.states.length} ledger item(s))`,
      ...loaded.notes,
    ];
    if (findings.interviews.length === 0) return { lines: [...header, on], exitCode: 1 };
    const records = await readInterviews(reader, findings.interviews);
    return {
      lines: [...header, ...records.flatMap((record) => ['', ...interviewLines(record)]), on],
      exitCode: 0,
    };
  } finally {
    stage.destroy();
  }
};

const runErase = async (values: OpsValues, dataDir: string, ops: OpsOptions): Promise<OpsResult> => {
  const email = values.email?.trim();
  const candidateId = values['candidate-id']?.trim();
  if ((email === undefined || email === '') && (candidateId === undefined || candidateId === '')) {
    throw new OpsUsageError('erase needs --email <e-mail> or --candidate-id <id>');
  }
  if (email !== undefined && !looksLikeEmail(email))
    throw new OpsUsageError('--email is not an e-mail address');
  const { findCandidate } = await import('./ops/candidate.js');
  const erase = await import('./ops/erase.js');
  const { queueDepth } = await import('./queue-depth.js');
  const stage = await stageOf(values, dataDir);
  try {
    // Past the raw events' 30 days an interview holds the e-mail only as its keyed pseudonym (its ledger item,
    // its archive's batch item): erasing by e-mail without the key would miss them and read as "nothing held".
    const arn = stage.integrationSecretArn ?? values['integration-secret-arn'];
    // By candidate id too: the e-mails found by it are looked for as pseudonyms as well.
    if (stage.deployed && arn === undefined) {
      throw new OpsUsageError(
        `erase ${email !== undefined && email !== '' ? '--email' : '--candidate-id'} against a deployed stage needs the pseudonym key: pass --stage <stage> or ` +
          '--integration-secret-arn <arn> (without it an interview known by its e-mail pseudonym is not found)',
      );
    }
    const target = targetLine(stage, values, dataDir);
    const loaded = await loadCandidate(stage, values, ops, 'erase');
    const findings = findCandidate(loaded.sources, {
      emails: email === undefined || email === '' ? [] : [email],
      candidateIds: candidateId === undefined || candidateId === '' ? [] : [candidateId],
      ...(loaded.pseudonymKey === undefined ? {} : { pseudonymKey: loaded.pseudonymKey }),
    });
    const plan = await erase.planErase(loaded.sources, findings, { client: stage.s3, bucket: loaded.bucket });
    // Nothing stored is not nothing held: an event dead-lettered before the worker stored anything (a worker
    // failing at start) is on a DLQ alone, and only the sweep reads it.
    const nothingStored = erase.planIsEmpty(plan);
    const planned = [
      ...(nothingStored
        ? [
            'nothing held on this candidate in the ledger or the bucket; the dead-letter queues are still to sweep',
            ...erase.notSearchedLines(plan),
          ]
        : erase.planLines(plan)),
      ...loaded.notes,
      target,
    ];
    if (values.yes !== true) {
      if (ops.confirm === undefined) {
        return {
          lines: [...planned, 'not erased: re-run with --yes (no terminal to ask on)'],
          exitCode: 2,
        };
      }
      if (!(await ops.confirm(planned))) return { lines: ['not erased'], exitCode: 1 };
    }
    // The dead-letter queues first, while every claim check their messages point to can still be read.
    const sweeps = await erase.sweepDeadLetterQueues(plan, findings, {
      sqs: stage.sqs,
      s3: stage.s3,
      queues: [
        { queue: 'deadLetter', label: 'events DLQ', url: stage.queues.deadLetter },
        { queue: 'archiveDeadLetter', label: 'archive DLQ', url: stage.queues.archiveDeadLetter },
      ],
      ...(ops.progress === undefined ? {} : { progress: ops.progress }),
    });
    const depths = async () => {
      const found: Array<{ name: string; depth: number | undefined }> = [];
      // Every queue of the stage, given or not: a queue whose URL the flags (or the stack's outputs) left out
      // was never looked at, and may hold the candidate's messages as much as one that could not be read.
      const names = ['events', 'deadLetter', 'archive', 'archiveDeadLetter'] as const;
      for (const name of names) {
        const url = stage.queues[name];
        if (url === undefined) {
          found.push({ name: `${name} (no URL given)`, depth: undefined });
          continue;
        }
        // Unknown (no permission, throttled) is said as such, never taken for empty. Delayed messages count:
        // an archive task waiting for another task's lease comes back later (functions/archive.ts).
        found.push({
          name,
          depth: await queueDepth(stage.sqs, url, { includeDelayed: true }).catch(() => undefined),
        });
      }
      return found;
    };
    // A DLQ not read (or a message of the candidate left on it): partial, a script must not take it for done.
    // Queues still holding messages (or not read): done for now, to be run again once they are empty (3).
    // Objects too large to search, or records that mention the candidate without an identity of theirs: the
    // erase cannot say they hold nothing of the candidate's either.
    const sweepExitCode = erase.sweepIncomplete(sweeps) || erase.leftForHand(plan) ? 1 : 0;
    const finalExitCode = (queues: Awaited<ReturnType<typeof depths>>) =>
      sweepExitCode === 0 && erase.rerunNeeded(queues, sweeps) ? 3 : sweepExitCode;
    if (nothingStored) {
      const deleted = sweeps.reduce((sum, sweep) => sum + sweep.deleted, 0);
      const queues = await depths();
      const exitCode = finalExitCode(queues);
      if (deleted === 0 && exitCode === 0) {
        return {
          lines: ['nothing held on this candidate: nothing to erase', ...loaded.notes, target],
          exitCode,
        };
      }
      return {
        lines: [
          deleted === 0 && sweepExitCode === 0
            ? 'nothing held on this candidate now'
            : 'nothing held on this candidate in the ledger or the bucket',
          ...erase.deadLetterLines(sweeps),
          ...erase.notSearchedLines(plan),
          ...loaded.notes,
          ...erase.caveatLines(queues, sweeps),
          target,
        ],
        exitCode,
      };
    }
    let outcome: Awaited<ReturnType<typeof erase.executeErase>>;
    try {
      outcome = await erase.executeErase(plan, {
        dynamodb: stage.dynamodb,
        s3: stage.s3,
        table: loaded.table,
        bucket: loaded.bucket,
        versioned: loaded.versioned,
        ...(ops.progress === undefined ? {} : { progress: ops.progress }),
      });
    } catch (error) {
      // With --yes the plan was never shown: without it the operator could not tell what is left.
      return {
        lines: [...erase.stoppedLines(plan, findings.candidateIds, error), ...erase.deadLetterLines(sweeps)],
        exitCode: 1,
      };
    }
    const queues = await depths();
    return {
      lines: [
        ...erase.outcomeLines(plan, outcome, loaded.versioned),
        ...erase.deadLetterLines(sweeps),
        ...erase.notSearchedLines(plan),
        ...loaded.notes,
        ...erase.caveatLines(queues, sweeps),
        target,
      ],
      exitCode: finalExitCode(queues),
    };
  } finally {
    stage.destroy();
  }
};

const oneOf = <T extends string>(
  values: readonly string[] | undefined,
  allowed: readonly T[],
  flag: string,
): T[] =>
  (values ?? []).map((value) => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new OpsUsageError(`${flag} takes ${allowed.join(' or ')}, not "${value}"`);
    }
    return value as T;
  });

/** A Secrets Manager client in the stage's region, closed after `use`. */
const withSecretsClient = async <T>(
  outputs: StageOutputs,
  use: (client: SecretsManagerClient) => Promise<T>,
) => {
  const client = new SecretsManagerClient({ region: outputs.region });
  try {
    return await use(client);
  } catch (error) {
    throw asUsageError(error);
  } finally {
    client.destroy();
  }
};

const runSetupCommand = async (values: OpsValues, ops: OpsOptions): Promise<OpsResult> => {
  const { retirable, rotatable, runSetup } = await import('./ops/setup.js');
  const rotate = oneOf(values.rotate, rotatable, '--rotate');
  const retire = oneOf(values.retire, retirable, '--retire');
  const outputs = await outputsOf(values, 'setup');
  return withSecretsClient(outputs, (secrets) =>
    runSetup({
      outputs,
      secrets,
      rotate,
      retire,
      ...(values['round0-secret'] === undefined ? {} : { round0Secret: values['round0-secret'] }),
      ...(values['round0-api-key'] === undefined ? {} : { round0ApiKey: values['round0-api-key'] }),
      ...(values['micro1-api-key'] === undefined ? {} : { micro1ApiKey: values['micro1-api-key'] }),
      ...(values['ats-credentials'] === undefined ? {} : { atsCredentialsFile: values['ats-credentials'] }),
      ...(ops.askSecret === undefined ? {} : { askSecret: ops.askSecret }),
    }),
  );
};

const runUrlsCommand = async (values: OpsValues): Promise<OpsResult> => {
  const { runUrls } = await import('./ops/setup.js');
  const outputs = await outputsOf(values, 'urls');
  return withSecretsClient(outputs, (secrets) => runUrls(outputs, secrets));
};

/** Follows deliveries; the lines go to `ops.print` as they come, or are returned (`--once` in tests). */
const runWatch = async (values: OpsValues, dataDir: string, ops: OpsOptions): Promise<OpsResult> => {
  const { parseSince, watchDeployed, watchLocal } = await import('./ops/watch.js');
  const since =
    values.since === undefined ? new Date(Date.now() - 60_000) : parseSince(values.since, Date.now());
  if (since === undefined)
    throw new OpsUsageError(
      '--since is a duration ago (30s, 10m, 2h, 1d), a day (yyyy-mm-dd, UTC) or an ISO 8601 time with its offset (2024-05-01T12:00:00Z)',
    );
  const collected: string[] = [];
  const print = ops.print ?? ((line: string) => collected.push(line));
  const output = {
    print,
    since,
    once: values.once === true,
    ...(ops.signal === undefined ? {} : { signal: ops.signal }),
    ...(ops.color === undefined ? {} : { color: ops.color }),
  };
  const follow = values.once === true ? 'reading' : 'following';
  try {
    if (values.stage !== undefined) {
      const outputs = await outputsOf(values, 'watch');
      const ingest = usageErrorOf(() => requireOutput(outputs, 'ingestLogGroup'));
      const worker = outputs.values.workerLogGroup;
      if (values.once !== true) {
        print(
          `${follow} deliveries of stage ${outputs.stage} (${outputs.region}) since ${since.toISOString()} ` +
            `in ${[ingest, worker].filter(Boolean).join(' and ')} (a line appears a few seconds after it is logged; Ctrl-C stops)`,
        );
      }
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      const logs = new CloudWatchLogsClient({ region: outputs.region });
      try {
        await watchDeployed({
          ...output,
          logs,
          logGroups: { ingest, ...(worker === undefined ? {} : { worker }) },
        });
      } finally {
        logs.destroy();
      }
    } else {
      const info = await readRuntimeInfo(dataDir);
      if (info === undefined) {
        throw new OpsUsageError(
          'no local pipeline is running (start it with `npm start`), or pass --stage <stage>',
        );
      }
      if (info.consoleUrl === undefined) {
        throw new OpsUsageError(
          'the running npm start does not say where its console is (restart it: it was started by an older version)',
        );
      }
      if (values.once !== true) {
        print(
          `${follow} the local pipeline's deliveries since ${since.toISOString()} (what the worker was handed and ` +
            "what became of it; refused deliveries show in npm start's own output; Ctrl-C stops)",
        );
      }
      await watchLocal({ ...output, consoleUrl: info.consoleUrl });
    }
  } catch (error) {
    throw asUsageError(error);
  }
  return { lines: collected, exitCode: 0 };
};

/** The command `argv` names (`watch`, `setup`, …), or undefined when it cannot be parsed. */
export const opsCommandOf = (argv: readonly string[]): string | undefined => {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options: optionsSpec }).positionals[0];
  } catch {
    return undefined;
  }
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
  // Asked for: the usage on stdout and exit 0, where an unknown command prints it as an error (exit 2).
  if (values.help === true) return { lines: opsUsage.split('\n'), exitCode: 0 };
  const [command, argument] = positionals;
  switch (command) {
    case 'setup':
      return runSetupCommand(values, ops);
    case 'urls':
      return runUrlsCommand(values);
    case 'watch':
      return runWatch(values, dataDir, ops);
    case 'doctor':
      return runDoctor(values, ops, dataDir);
    case 'media':
      return runMedia(values, argument, dataDir);
    case 'parked':
      return runParked(command, values, argument, dataDir);
    case 'replay': {
      // `replay unmatched|failed` replays parked events; `replay --vendor … --since …` the raw event store.
      const raw = values.vendor !== undefined || values.since !== undefined;
      if (isParkedKind(argument) && raw) {
        throw new OpsUsageError(
          'replay takes a parked kind (unmatched|failed) or --vendor/--since, not both',
        );
      }
      // A flag of the other mode would be ignored: the operator would get more replayed (and, for parked
      // events, un-parked) than the flag meant.
      const foreign = raw
        ? (['key', 'all'] as const).filter((flag) => values[flag] !== undefined)
        : (['until', 'type', 'force'] as const).filter((flag) => values[flag] !== undefined);
      if (foreign.length > 0) {
        throw new OpsUsageError(
          `${foreign.map((flag) => `--${flag}`).join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not for ` +
            (raw
              ? 'a replay of the raw event store (--vendor/--since)'
              : 'a replay of parked events (unmatched|failed)'),
        );
      }
      if (raw) return runRawReplay(values, dataDir, ops);
      return runParked(command, values, argument, dataDir);
    }
    case 'redrive':
      return runRedrive(values, argument, dataDir, ops);
    case 'status':
      return runStatus(values, positionals.slice(1).join(' ') || undefined, dataDir, ops);
    case 'erase':
      return runErase(values, dataDir, ops);
    default:
      throw new OpsUsageError(opsUsage);
  }
};

/** Runs one ops command; returns the lines to print (see {@link runOpsCommand} for the exit code). */
export const runOps = async (
  argv: readonly string[],
  dataDir: string,
  ops: OpsOptions = {},
): Promise<string[]> => (await runOpsCommand(argv, dataDir, ops)).lines;
