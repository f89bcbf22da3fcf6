/**
 * The stateless half of a stage: the HTTP API, the three functions and their event sources, the dashboard,
 * the alarms and their SNS topic. Nothing here holds data that a redeploy (or `cdk destroy` and deploy) of
 * this stack would lose, apart from its logs (retained like the data, see `retainLogs`); but a destroy gives
 * the new HTTP API a new hostname, so both webhook URLs must be registered with the vendors again.
 *
 * It uses the stateful stack's resources through props ({@link StatefulResources}); CDK turns each use into an
 * Export of the stateful stack and an `Fn::ImportValue` here: strong references, set explicitly in cdk.json
 * (`@aws-cdk/core:defaultCrossStackReferences`). Strong on purpose: CloudFormation then refuses to delete or
 * replace a queue, the bucket or the table while the functions use it. The price is a lock-in: a rename of a
 * stateful construct, a replacement, or simply no longer using a value here fails the stateful deploy with
 * "Export … cannot be deleted as it is in use by …". A rename or replacement therefore takes two deploys:
 *   1. keep the old export alive while this stack moves off it: in the stateful stack,
 *      `this.exportValue(<old resource>.<attribute>)` (or `CrossStackReferences.of(<old resource>)
 *      .produce(ReferenceStrength.BOTH)`); deploy both stacks (`--all`; this one now uses the new value);
 *   2. remove that line (and the old resource); deploy again.
 * On a throw-away stage, destroying this stack first (it holds no data) and deploying both again does the
 * same in one step (with new webhook URLs).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  type AlarmThresholds,
  AlarmTopic,
  alarmThresholdDefaults,
  ServiceAlarms,
} from './constructs/alarms.js';
import {
  ArchiveFunction,
  type ArchiveMediaHosts,
  type ArchiveVariants,
} from './constructs/archive-function.js';
import { dashboardUrl, ServiceDashboard } from './constructs/dashboard.js';
import { IngestApi, webhookRoutes } from './constructs/ingest-api.js';
import {
  type FunctionObservability,
  type FunctionRole,
  type LogLevel,
  type PerFunctionSwitch,
  serviceFunctionDefaults,
  switchFor,
} from './constructs/service-function.js';
import { Worker } from './constructs/worker.js';
import { metricsNamespaceOf, resources } from './resources.js';
import type { StatefulResources } from './stateful-stack.js';

export interface InterviewSyncStatelessStackProps extends StackProps {
  /** The stage's name: part of the dashboard's and the alarms' names; `dev` changes `retainLogs`' default. */
  readonly stage: string;
  /** The stateful stack's resources (cross-stack references: see the file's comment on renames). */
  readonly state: StatefulResources;
  /**
   * ATS adapter the worker uses (`ATS_ADAPTER`); `log` only logs the effects it would have.
   * @default 'log'
   */
  readonly atsAdapter?: string;
  /**
   * Settings of the ATS adapter (`ATS_CONFIG`, as JSON): base URL, stage ids, custom field ids. Never
   * credentials: those belong in the integration secret.
   * @default {}
   */
  readonly atsConfig?: Readonly<Record<string, unknown>>;
  /**
   * ATS stage id an application moves to once its AI screening is completed (`ATS_COMPLETED_STAGE_ID`).
   * @default undefined (no stage move)
   */
  readonly atsCompletedStageId?: string;
  /**
   * ATS custom field id that receives the screening score, 0–100 (`ATS_SCORE_FIELD_ID`).
   * @default undefined (no field written)
   */
  readonly atsScoreFieldId?: string;
  /**
   * Whether the worker posts notifications to Slack (`SLACK_NOTIFICATIONS`); the webhook URL is read from
   * the integration secret.
   * @default false
   */
  readonly slackNotifications?: boolean;
  /**
   * Base URL of ROUND0's API (`ROUND0_API_BASE_URL`).
   * @default 'https://rz-app-omega.vercel.app'
   */
  readonly round0ApiBaseUrl?: string;
  /**
   * Base URL of micro1's public API (`MICRO1_API_BASE_URL`).
   * @default 'https://public.api.micro1.ai'
   */
  readonly micro1ApiBaseUrl?: string;
  /**
   * Per vendor, the hosts the archive may fetch media from (`ARCHIVE_MEDIA_HOSTS`), in the URL guard's
   * syntax: `host`, `*.domain` (subdomains only), optionally `:port`.
   * @default { micro1: ['micro1.ai', '*.micro1.ai'], round0: ['storage.round0.io'] } (`resources.ts`)
   */
  readonly archiveMediaHosts?: ArchiveMediaHosts;
  /**
   * Which variants of an HLS master playlist the archive keeps (`ARCHIVE_VARIANTS`).
   * @default 'highest'
   */
  readonly archiveVariants?: ArchiveVariants;
  /** The bucket's expiration of archived media (the stateful stack's `archiveExpiration`): the manifest goes with it. */
  readonly archiveExpiration?: Duration;
  /**
   * How long an interview's ledger item is kept after its last write (`LEDGER_RETENTION_SECONDS`, the
   * item's TTL).
   * @default Duration.days(180)
   */
  readonly ledgerRetention?: Duration;
  /**
   * Retention of the functions' logs and the API's access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Whether the log groups outlive the stack.
   * @default true, false for the stage `dev`
   */
  readonly retainLogs?: boolean;
  /**
   * Powertools log level of the three functions (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * X-Ray active tracing, for the three functions or per function. Off for the ingest by default: the
   * Tracer (the X-Ray SDK and its async hooks) is most of its cold start, and API Gateway's own metrics and
   * access logs cover its latency. Off for the worker by default: it runs once per event, and X-Ray's
   * default sampling (1 per second + 5%) records every invocation of a trickle of webhooks, $5.00 per
   * million events — as much as the rest of the core path — besides the async-hook tax on every await; its
   * metrics (ATS writes by outcome, end-to-end lag) and logs say where an event went. Turn it on for a stage
   * while investigating (`-c 'tracing={"worker":true}'`). On for the archive: one invocation per asset, minutes
   * of streaming whose segments are worth seeing.
   * @default { ingest: false, worker: false, archive: true }
   */
  readonly tracing?: PerFunctionSwitch;
  /**
   * Source maps (stack traces naming the TypeScript sources), for the three functions or per function. Off
   * for the ingest by default: Node reads and parses the map at every cold start, and the ingest's errors
   * are refusals it names itself.
   * @default { ingest: false, worker: true, archive: true }
   */
  readonly sourceMaps?: PerFunctionSwitch;
  /**
   * E-mail address subscribed to the alarm topic.
   * @default undefined (no subscription)
   */
  readonly alarmEmail?: string;
  /**
   * https endpoints subscribed to the alarm topic (a pager's SNS integration: PagerDuty, Opsgenie…). Owned by
   * the stack, they survive its re-creation, which a subscription added by hand does not (the topic is new).
   * @default none
   */
  readonly alarmWebhookUrls?: readonly string[];
  /**
   * Alarm thresholds; each member left out keeps its default ({@link alarmThresholdDefaults}).
   * @default alarmThresholdDefaults
   */
  readonly alarmThresholds?: AlarmThresholds;
}

/** Every default of {@link InterviewSyncStatelessStackProps}, in one place. */
export const statelessStackDefaults = {
  atsAdapter: 'log',
  atsConfig: {},
  slackNotifications: false,
  round0ApiBaseUrl: 'https://rz-app-omega.vercel.app',
  micro1ApiBaseUrl: 'https://public.api.micro1.ai',
  archiveMediaHosts: resources.archive.mediaHosts,
  archiveVariants: resources.archive.variants,
  ledgerRetention: Duration.seconds(resources.worker.ledgerRetentionSeconds),
  logRetention: serviceFunctionDefaults.logRetention,
  retainLogs: (stage: string): boolean => stage !== 'dev',
  logLevel: serviceFunctionDefaults.logLevel,
  tracing: { ingest: false, worker: false, archive: true },
  sourceMaps: { ingest: false, worker: true, archive: true },
  alarmThresholds: alarmThresholdDefaults,
} as const;

/**
 * The CloudWatch dashboard name of a stage in a region: dashboards are global to the account (not regional),
 * so one stage deployed in two regions needs two names.
 */
export const dashboardNameOf = (stage: string, region: string): string => `InterviewSync-${stage}-${region}`;

export class InterviewSyncStatelessStack extends Stack {
  public readonly ingest: IngestApi;
  public readonly worker: Worker;
  public readonly archive: ArchiveFunction;
  public readonly alarmTopic: AlarmTopic;
  public readonly alarms: ServiceAlarms;
  public readonly dashboard: ServiceDashboard;

  constructor(scope: Construct, id: string, props: InterviewSyncStatelessStackProps) {
    super(scope, id, props);
    const defaults = statelessStackDefaults;
    const { state } = props;
    const round0ApiBaseUrl = props.round0ApiBaseUrl ?? defaults.round0ApiBaseUrl;
    const metricsNamespace = metricsNamespaceOf(props.stage);
    const observabilityOf = (role: FunctionRole): FunctionObservability => ({
      metricsNamespace,
      logRetention: props.logRetention ?? defaults.logRetention,
      retainLogs: props.retainLogs ?? defaults.retainLogs(props.stage),
      logLevel: props.logLevel ?? defaults.logLevel,
      tracing: switchFor(props.tracing, role, defaults.tracing),
      sourceMaps: switchFor(props.sourceMaps, role, defaults.sourceMaps),
    });

    this.ingest = new IngestApi(this, 'Ingest', {
      queue: state.eventsQueue,
      bucket: state.bucket,
      webhookSecret: state.webhookSecret,
      observability: observabilityOf('ingest'),
    });

    this.worker = new Worker(this, 'Worker', {
      queue: state.eventsQueue,
      deadLetterQueue: state.eventsDeadLetterQueue,
      archiveQueue: state.archiveQueue,
      bucket: state.bucket,
      ledgerTable: state.ledgerTable,
      integrationSecret: state.integrationSecret,
      vendorApiSecret: state.vendorApiSecret,
      ledgerRetention: props.ledgerRetention ?? defaults.ledgerRetention,
      atsAdapter: props.atsAdapter ?? defaults.atsAdapter,
      atsConfig: props.atsConfig ?? defaults.atsConfig,
      atsCompletedStageId: props.atsCompletedStageId,
      atsScoreFieldId: props.atsScoreFieldId,
      round0ApiBaseUrl,
      micro1ApiBaseUrl: props.micro1ApiBaseUrl ?? defaults.micro1ApiBaseUrl,
      slackNotifications: props.slackNotifications ?? defaults.slackNotifications,
      observability: observabilityOf('worker'),
    });

    this.archive = new ArchiveFunction(this, 'Archive', {
      queue: state.archiveQueue,
      deadLetterQueue: state.archiveDeadLetterQueue,
      eventsQueue: state.eventsQueue,
      bucket: state.bucket,
      ledgerTable: state.ledgerTable,
      vendorApiSecret: state.vendorApiSecret,
      mediaHosts: props.archiveMediaHosts ?? defaults.archiveMediaHosts,
      variants: props.archiveVariants ?? defaults.archiveVariants,
      round0ApiBaseUrl,
      ...(props.archiveExpiration === undefined ? {} : { expiration: props.archiveExpiration }),
      observability: observabilityOf('archive'),
    });

    const thresholds = { ...defaults.alarmThresholds, ...props.alarmThresholds };
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      email: props.alarmEmail,
      webhookUrls: props.alarmWebhookUrls ?? [],
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', {
      stage: props.stage,
      metricsNamespace,
      topic: this.alarmTopic,
      api: this.ingest.api,
      apiAccessLogGroup: this.ingest.accessLogGroup,
      ingestFunction: this.ingest.function,
      workerFunction: this.worker.function,
      archiveFunction: this.archive.function,
      eventsQueue: state.eventsQueue,
      eventsDeadLetterQueue: state.eventsDeadLetterQueue,
      archiveQueue: state.archiveQueue,
      archiveDeadLetterQueue: state.archiveDeadLetterQueue,
      thresholds: props.alarmThresholds,
    });

    const dashboardName = dashboardNameOf(props.stage, this.region);
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      dashboardName,
      metricsNamespace,
      api: this.ingest.api,
      ingestFunction: this.ingest.function,
      workerFunction: this.worker.function,
      archiveFunction: this.archive.function,
      eventsQueue: state.eventsQueue,
      eventsDeadLetterQueue: state.eventsDeadLetterQueue,
      archiveQueue: state.archiveQueue,
      archiveDeadLetterQueue: state.archiveDeadLetterQueue,
      ledgerTable: state.ledgerTable,
      alarms: this.alarms.alarms,
      atsMinimumWrites: thresholds.atsMinimumWrites ?? alarmThresholdDefaults.atsMinimumWrites,
    });

    new CfnOutput(this, 'Round0WebhookUrl', {
      description:
        'Webhook URL to register in ROUND0 (requests are signed with a round0SigningSecrets value).',
      value: this.ingest.urlOf(webhookRoutes.round0),
    });
    new CfnOutput(this, 'Micro1WebhookUrl', {
      description:
        'Base of the webhook URL to register in micro1: append /{token}, where {token} is one of the ' +
        'micro1Tokens in the webhook secret (the token authenticates micro1, so keep the full URL secret).',
      value: this.ingest.urlOf(webhookRoutes.micro1.replace('/{token}', '')),
    });
    // `npm run ops -- watch` follows deliveries in these (FilterLogEvents).
    new CfnOutput(this, 'IngestLogGroupName', {
      description: "The ingest function's log group: every delivery accepted, refused or not queued.",
      value: this.ingest.function.logGroup.logGroupName,
    });
    new CfnOutput(this, 'WorkerLogGroupName', {
      description:
        "The worker function's log group: what became of each event (processed, duplicate, parked, …).",
      value: this.worker.function.logGroup.logGroupName,
    });
    // The runbook's queries read these too: their names are generated, not guessable.
    new CfnOutput(this, 'ArchiveLogGroupName', {
      description: "The archive function's log group: each asset archived, sent to wait, parked or failed.",
      value: this.archive.function.logGroup.logGroupName,
    });
    new CfnOutput(this, 'ApiAccessLogGroupName', {
      description: "The HTTP API's access log group: every request with its status, route and latency.",
      value: this.ingest.accessLogGroup.logGroupName,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The CloudWatch dashboard of this stage.',
      value: dashboardUrl(dashboardName),
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description:
        'SNS topic every alarm notifies. Subscribe a pager through alarmWebhookUrls: a subscription added by ' +
        'hand is lost when this stack is re-created.',
      value: this.alarmTopic.topic.topicArn,
    });
  }
}
