/**
 * Per-stage configuration of the CDK app: one typed schema (valibot), validated at synth, so a bad value
 * fails `cdk synth` with a message naming the key instead of deploying something unintended.
 *
 * Where the values live: cdk.json, context `stages`, one object per stage, e.g.
 * `"stages": { "dev": { "logLevel": "DEBUG" }, "prod": { "alarmEmail": "oncall@example.com" } }`. Each key
 * may also be given on the command line (`-c rawEventRetentionDays=14`, objects as JSON), which overrides
 * the stage's value: the context keys of earlier versions (`atsAdapter`, `atsConfig`, `archiveMediaHosts`, …)
 * keep working unchanged. A key left out takes the default of the stack prop it maps to (`@default` in
 * lib/stateful-stack.ts, lib/stateless-stack.ts and lib/constructs/alarms.ts), so defaults live in one place.
 *
 * Why cdk.json context rather than a TypeScript file under lib/config/: the values are deploy-time data an
 * operator changes per stage (an ATS id, a media host, an e-mail address), and the CDK CLI already reads and
 * overrides context; TypeScript types would not check `-c` overrides anyway, so the schema below is what
 * guarantees the shape, for the file and the command line alike. The top level of the repository is fixed
 * (no `config/` folder), and cdk.json is already there.
 */
import * as v from 'valibot';
import { type AtsAdapterName, atsAdapterNames, atsConfigSchemas } from '../../functions/ats/index.js';
import { stdoutPath } from '../../functions/ats/log/adapter.js';
import { parkedRetentionSeconds } from '../../functions/ledger/parking-lot.js';
import { isAllowedHostEntry, isSharedHostingWildcard } from '../../functions/platform/url-guard.js';
import { vendorNames } from '../../functions/vendors/envelope.js';
import { functionRoles, logLevels } from '../constructs/service-function.js';
import { resources } from '../resources.js';
import { statefulStackDefaults } from '../stateful-stack.js';

/** Retention periods CloudWatch Logs accepts, in days. */
const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const wholeDays = v.pipe(
  v.number('expected a number of days'),
  v.integer('expected a whole number of days'),
  v.minValue(1, 'expected at least 1 day'),
);
const wholeMinutes = v.pipe(
  v.number('expected a number of minutes'),
  v.integer('expected a whole number of minutes'),
  v.minValue(1, 'expected at least 1 minute'),
);
const positiveCount = v.pipe(
  v.number('expected a number'),
  v.integer('expected a whole number'),
  v.minValue(1, 'expected at least 1'),
);
const nonEmptyString = v.pipe(v.string('expected a string'), v.nonEmpty('expected a non-empty string'));
const httpsUrl = v.pipe(
  v.string('expected a URL'),
  v.url('expected a URL'),
  v.startsWith('https://', 'expected an https:// URL'),
);
const unknownKey = 'unknown key (misspelt?)';

/**
 * One media host as the archive's URL guard parses it (functions/platform/url-guard.ts): an entry it would
 * refuse (a scheme, a path) stops the synth here, where the archive Lambda would fail at every cold start.
 */
/** Whether `text` is an absolute https URL. */
const isHttpsUrl = (text: string): boolean => {
  try {
    return new URL(text).protocol === 'https:';
  } catch {
    return false;
  }
};

/**
 * Whether `text` is a CloudFormation dynamic reference to a Secrets Manager secret (or one JSON key of it):
 * `{{resolve:secretsmanager:<name or ARN>[:SecretString:<key>…]}}`, resolved by CloudFormation at deploy.
 */
const isSecretsManagerReference = (text: string): boolean =>
  /^\{\{resolve:secretsmanager:[^{}\s]+\}\}$/.test(text);

const mediaHost = v.pipe(
  nonEmptyString,
  v.check(
    (entry) => !isSharedHostingWildcard(entry),
    'expected the host itself, not a wildcard over a domain where anyone can get a host (*.cloudfront.net, ' +
      '*.amazonaws.com…): e.g. "d111111abcdef8.cloudfront.net"',
  ),
  v.check(
    isAllowedHostEntry,
    'expected a host name, *.suffix or IP literal, without scheme or path (e.g. "storage.round0.io")',
  ),
);
const mediaHostsSchema = v.strictObject(
  Object.fromEntries(
    vendorNames.map((vendor) => [
      vendor,
      v.array(mediaHost, 'expected a list of host names (e.g. ["*.micro1.ai"])'),
    ]),
  ) as Record<(typeof vendorNames)[number], v.ArraySchema<typeof mediaHost, string>>,
  unknownKey,
);

/**
 * What is wrong with `atsConfig` for `adapter` (the worker's default, `log`, when none is named), checked with
 * the schema the adapter's factory parses: a key it does not know (a misspelt optional key would otherwise
 * be dropped without a word), a missing required one, a bad value. Deployed, the log adapter can only print
 * (the Lambda's file system is read-only; the stack sets `stdout` when `path` is left out).
 */
const atsConfigProblem = (
  adapter: AtsAdapterName | undefined,
  config: Readonly<Record<string, unknown>> | undefined,
): string | undefined => {
  if (config === undefined) return undefined;
  const name = adapter ?? 'log';
  const schema = atsConfigSchemas[name];
  const unknown = Object.keys(config).filter((key) => !Object.hasOwn(schema.entries, key));
  if (unknown.length > 0)
    return `unknown key(s) for the ${name} adapter (misspelt?): ${unknown.join(', ')}; it takes ${Object.keys(schema.entries).join(', ')}`;
  const result = v.safeParse(schema, config);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(settings)'}: ${issue.message}`);
    return `invalid for the ${name} adapter: ${problems.join('; ')}`;
  }
  if (name === 'log' && config.path !== undefined && config.path !== stdoutPath)
    return `path: expected "${stdoutPath}" or none (deployed, the Lambda's file system is read-only)`;
  return undefined;
};

const alarmsSchema = v.strictObject(
  {
    /** Oldest event on the events queue, minutes (default 30). */
    eventsQueueMaxAgeMinutes: v.optional(wholeMinutes),
    /** Oldest task on the archive queue, minutes (default 180). */
    archiveQueueMaxAgeMinutes: v.optional(wholeMinutes),
    /**
     * Oldest dead letter, days (default 10). SQS deletes a dead letter 14 days after it was first sent to
     * the *source* queue, while the DLQ's age metric counts from its move: an event spends up to ~31 h in
     * the events queue before it is dead-lettered (10 receives, throttled ones held up to 3 h), so an alarm
     * later than 12 days could come after the message is gone.
     */
    deadLetterMaxAgeDays: v.optional(
      v.pipe(
        wholeDays,
        v.maxValue(
          12,
          'expected at most 12 days (SQS deletes a dead letter 14 days after it was first queued, up to ~31 h of it spent before the move)',
        ),
      ),
    ),
    /** API 5xx answers per 5 minutes (default 5). */
    apiServerErrorsPer5Minutes: v.optional(positiveCount),
    /** Deliveries the ingest could not queue (503, `WebhookFailed`) per 5 minutes (default 1). */
    webhookFailedPer5Minutes: v.optional(positiveCount),
    /** Deliveries API Gateway throttled (429) per 5 minutes (default 1). */
    webhookThrottledPer5Minutes: v.optional(positiveCount),
    /** Refused signatures/tokens per 5 minutes (default 20). */
    webhookAuthFailuresPer5Minutes: v.optional(positiveCount),
    /** Authenticated deliveries refused as not JSON or against the schema per 15 minutes (default 1). */
    webhookInvalidPer15Minutes: v.optional(positiveCount),
    /** Accepted events of an unknown type per hour (default 1). */
    webhookUnknownTypesPerHour: v.optional(positiveCount),
    /** Failed ATS writes over 15 minutes, % (default 20). */
    atsFailureRatePercent: v.optional(
      v.pipe(
        v.number('expected a percentage'),
        v.minValue(1, 'expected 1 to 100'),
        v.maxValue(100, 'expected 1 to 100'),
      ),
    ),
    /** ATS writes per 15 minutes below which the rate is not judged (default 5). */
    atsMinimumWrites: v.optional(positiveCount),
    /** Archive tasks failed permanently per 15 minutes (default 3). */
    archiveFailuresPer15Minutes: v.optional(positiveCount),
    /** Events synced without the vendor's API per hour (default 5). */
    enrichmentFallbacksPerHour: v.optional(positiveCount),
    /** p90 of vendor event → ATS write, minutes (default 15). */
    endToEndLagP90Minutes: v.optional(wholeMinutes),
    /** Errors + throttles of one function per 5 minutes (default 1). */
    functionErrorsPer5Minutes: v.optional(positiveCount),
    /** Hours without an accepted webhook before the silence alarm fires (default: no such alarm). */
    webhookSilenceHours: v.optional(
      v.pipe(
        v.number('expected whole hours'),
        v.integer('expected whole hours'),
        v.minValue(1, 'expected 1 to 24 hours'),
        v.maxValue(24, 'expected 1 to 24 hours (CloudWatch evaluates at most a day)'),
      ),
    ),
  },
  unknownKey,
);

const switchMessage = `expected true or false, or per function an object of ${functionRoles.join(', ')} (each true or false)`;
/** A switch for the three functions at once (`true`), or per function (`{ "worker": true }`). */
const perFunctionSwitch = v.union(
  [
    v.boolean(switchMessage),
    v.strictObject(
      Object.fromEntries(functionRoles.map((role) => [role, v.optional(v.boolean(switchMessage))])) as Record<
        (typeof functionRoles)[number],
        v.OptionalSchema<v.BooleanSchema<string>, undefined>
      >,
      unknownKey,
    ),
  ],
  switchMessage,
);

/** The settings of one stage. Every key is optional; see lib/config/stage-config.ts for where they live. */
export const stageConfigSchema = v.pipe(
  v.strictObject(
    {
      // ATS
      atsAdapter: v.optional(v.picklist(atsAdapterNames, `expected one of ${atsAdapterNames.join(', ')}`)),
      atsConfig: v.optional(v.record(v.string(), v.unknown(), 'expected a JSON object of adapter settings')),
      atsCompletedStageId: v.optional(nonEmptyString),
      atsScoreFieldId: v.optional(nonEmptyString),
      slackNotifications: v.optional(v.boolean('expected true or false')),
      round0ApiBaseUrl: v.optional(httpsUrl),
      micro1ApiBaseUrl: v.optional(httpsUrl),
      // Archive
      archiveMediaHosts: v.optional(mediaHostsSchema),
      archiveVariants: v.optional(v.picklist(['highest', 'all'], 'expected "highest" or "all"')),
      archiveTransitionAfterDays: v.optional(wholeDays),
      archiveExpirationDays: v.optional(wholeDays),
      // Retention
      rawEventRetentionDays: v.optional(wholeDays),
      ledgerRetentionDays: v.optional(wholeDays),
      logRetentionDays: v.optional(
        v.picklist(
          logRetentionDays,
          `expected one of CloudWatch Logs' retentions: ${logRetentionDays.join(', ')}`,
        ),
      ),
      accessLogRetentionDays: v.optional(wholeDays),
      // Operations
      alarmEmail: v.optional(
        v.pipe(v.string('expected an e-mail address'), v.email('expected an e-mail address')),
      ),
      alarmWebhookUrls: v.optional(
        v.array(
          v.pipe(
            v.string('expected an https URL'),
            // A pager's URL holds its integration key: a reference keeps it out of cdk.json and the template.
            v.check(
              (text) => isHttpsUrl(text) || isSecretsManagerReference(text),
              'expected an https URL (a pager’s SNS integration endpoint), or {{resolve:secretsmanager:<secret>}} holding one',
            ),
          ),
          'expected a list of https URLs',
        ),
      ),
      alarms: v.optional(alarmsSchema),
      logLevel: v.optional(v.picklist(logLevels, `expected one of ${logLevels.join(', ')}`)),
      tracing: v.optional(perFunctionSwitch),
      sourceMaps: v.optional(perFunctionSwitch),
      // Lifecycle of the stateful stack
      retain: v.optional(v.boolean('expected true or false')),
      terminationProtection: v.optional(v.boolean('expected true or false')),
    },
    unknownKey,
  ),
  v.forward(
    v.check(
      (config) => atsConfigProblem(config.atsAdapter, config.atsConfig) === undefined,
      (issue) => {
        const config = issue.input as { atsAdapter?: AtsAdapterName; atsConfig?: Record<string, unknown> };
        return atsConfigProblem(config.atsAdapter, config.atsConfig) ?? 'invalid';
      },
    ),
    ['atsConfig'],
  ),
  v.forward(
    v.check(
      (config) =>
        config.archiveExpirationDays === undefined ||
        config.archiveExpirationDays >
          (config.archiveTransitionAfterDays ?? statefulStackDefaults.archiveTransitionAfter.toDays()),
      'expected more days than archiveTransitionAfterDays (default 90): S3 cannot expire media before it moves',
    ),
    ['archiveExpirationDays'],
  ),
  v.forward(
    v.check(
      (config) =>
        (config.ledgerRetentionDays ?? resources.worker.ledgerRetentionSeconds / 86_400) >=
        Math.max(
          config.rawEventRetentionDays ?? statefulStackDefaults.rawEventRetention.toDays(),
          14,
          parkedRetentionSeconds / 86_400,
        ),
      'expected at least rawEventRetentionDays (default 30) and 30 days (a parked event is kept 30, a dead ' +
        'letter 14; the ledger keeps 180 unless set): an event replayed or redriven after its interview left ' +
        'the ledger would make its ATS writes again, and find nothing of what the interview’s other events left',
    ),
    ['ledgerRetentionDays'],
  ),
);

export type StageConfig = v.InferOutput<typeof stageConfigSchema>;
export type StageConfigKey = keyof StageConfig;

/** How a `-c key=value` string becomes the value the schema checks (values in cdk.json are typed already). */
const commandLineKinds: Readonly<
  Record<StageConfigKey, 'string' | 'number' | 'boolean' | 'switch' | 'json'>
> = {
  atsAdapter: 'string',
  atsConfig: 'json',
  atsCompletedStageId: 'string',
  atsScoreFieldId: 'string',
  slackNotifications: 'boolean',
  round0ApiBaseUrl: 'string',
  micro1ApiBaseUrl: 'string',
  archiveMediaHosts: 'json',
  archiveVariants: 'string',
  archiveTransitionAfterDays: 'number',
  archiveExpirationDays: 'number',
  rawEventRetentionDays: 'number',
  ledgerRetentionDays: 'number',
  logRetentionDays: 'number',
  accessLogRetentionDays: 'number',
  alarmEmail: 'string',
  alarmWebhookUrls: 'json',
  alarms: 'json',
  logLevel: 'string',
  tracing: 'switch',
  sourceMaps: 'switch',
  retain: 'boolean',
  terminationProtection: 'boolean',
};

/** The configuration keys, each also accepted as a `-c` context key. */
export const stageConfigKeys = Object.keys(commandLineKinds) as StageConfigKey[];

/** A stage's configuration is invalid; the message names every bad key. */
export class StageConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StageConfigError';
  }
}

/** Stage names end up in stack, alarm and dashboard names. */
const stageNamePattern = /^[A-Za-z][A-Za-z0-9-]{0,24}$/;

/**
 * The validated configuration of `stage`: cdk.json's `stages.<stage>`, overridden key by key by `-c` context
 * keys. `context` reads a context key (`app.node.tryGetContext`).
 * @throws StageConfigError naming each bad key
 */
export const readStageConfig = (stage: string, context: (key: string) => unknown): StageConfig => {
  if (!stageNamePattern.test(stage)) {
    throw new StageConfigError(
      `context "stage": "${stage}" is not a valid stage name (a letter, then letters, digits or "-", at most 25)`,
    );
  }
  const stages = context('stages');
  if (stages !== undefined && (typeof stages !== 'object' || stages === null || Array.isArray(stages))) {
    throw new StageConfigError('context "stages" must be an object of stage name → settings (see cdk.json)');
  }
  const fromFile = (stages as Record<string, unknown> | undefined)?.[stage] ?? {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new StageConfigError(`context "stages.${stage}" must be an object of settings`);
  }
  const fromCommandLine: Record<string, unknown> = {};
  for (const key of stageConfigKeys) {
    const value = context(key);
    if (value !== undefined) fromCommandLine[key] = fromContextValue(key, value);
  }

  const result = v.safeParse(stageConfigSchema, { ...fromFile, ...fromCommandLine });
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const path = v.getDotPath(issue) ?? '(settings)';
    // valibot reports a missing member of a strict object (a vendor of `archiveMediaHosts`) with the
    // object's own message, meant for unknown keys.
    if (issue.type === 'strict_object' && issue.input === undefined)
      return `  - ${path}: missing (required here)`;
    return `  - ${path}: ${issue.message}${issue.received === undefined ? '' : ` (got ${issue.received})`}`;
  });
  throw new StageConfigError(
    `Invalid configuration of stage "${stage}" (cdk.json context "stages.${stage}", overridden by -c keys):\n` +
      problems.join('\n'),
  );
};

/** A `-c` value arrives as a string; a value from cdk.json keeps its JSON type. */
const fromContextValue = (key: StageConfigKey, value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  switch (commandLineKinds[key]) {
    case 'string':
      return value;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'switch':
      // `-c tracing=false` or `-c 'tracing={"worker":true}'`.
      if (value === 'true' || value === 'false') return value === 'true';
      return value.trim().startsWith('{') ? parseJson(key, value) : value;
    case 'json':
      return parseJson(key, value);
  }
};

const parseJson = (key: StageConfigKey, value: string): unknown => {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new StageConfigError(`context "${key}": not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
};
