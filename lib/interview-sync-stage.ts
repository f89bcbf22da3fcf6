/**
 * One stage of interview-sync: its stateful and stateless stacks, from the stage's validated configuration
 * (lib/config/stage-config.ts). The CDK app (bin/app.ts) and the infra tests build stages through this, so
 * the mapping from configuration keys to stack props exists once.
 */
import { Duration, type Environment, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from './config/stage-config.js';
import { days, InterviewSyncStatefulStack } from './stateful-stack.js';
import { InterviewSyncStatelessStack } from './stateless-stack.js';

export interface InterviewSyncStage {
  readonly stateful: InterviewSyncStatefulStack;
  readonly stateless: InterviewSyncStatelessStack;
}

/** Stack names of a stage. The stateless stack depends on the stateful one (`cdk deploy --all` orders them). */
export const stackNamesOf = (stage: string) =>
  ({ stateful: `InterviewSync-${stage}-Stateful`, stateless: `InterviewSync-${stage}-Stateless` }) as const;

const minutes = (count: number | undefined): Duration | undefined =>
  count === undefined ? undefined : Duration.minutes(count);

/**
 * Where the stacks deploy, from the CDK CLI's variables: pinned to the account and region only when the CLI
 * found an account (credentials), else environment-agnostic. The CLI sets `CDK_DEFAULT_REGION` (us-east-1 at
 * worst) even without credentials; pinning that alone would render us-east-1 into ARNs of an assembly
 * synthesised offline and deployed later elsewhere.
 */
export const deployEnvironmentOf = (
  variables: Readonly<Record<string, string | undefined>>,
): Environment | undefined =>
  variables.CDK_DEFAULT_ACCOUNT === undefined
    ? undefined
    : { account: variables.CDK_DEFAULT_ACCOUNT, region: variables.CDK_DEFAULT_REGION };

export const addInterviewSyncStage = (
  scope: Construct,
  stage: string,
  config: StageConfig,
  env?: Environment,
): InterviewSyncStage => {
  const names = stackNamesOf(stage);
  const stateful = new InterviewSyncStatefulStack(scope, names.stateful, {
    stage,
    env,
    description: `interview-sync (${stage}), stateful: ledger, bucket, queues, secrets`,
    retain: config.retain,
    terminationProtection: config.terminationProtection,
    rawEventRetention: days(config.rawEventRetentionDays),
    archiveTransitionAfter: days(config.archiveTransitionAfterDays),
    archiveExpiration: days(config.archiveExpirationDays),
    bucketAccessLogRetention: days(config.accessLogRetentionDays),
  });
  const alarms = config.alarms ?? {};
  const stateless = new InterviewSyncStatelessStack(scope, names.stateless, {
    stage,
    env,
    description: `interview-sync (${stage}), stateless: webhook API, functions, dashboard, alarms`,
    state: stateful,
    atsAdapter: config.atsAdapter,
    atsConfig: config.atsConfig,
    atsCompletedStageId: config.atsCompletedStageId,
    atsScoreFieldId: config.atsScoreFieldId,
    slackNotifications: config.slackNotifications,
    round0ApiBaseUrl: config.round0ApiBaseUrl,
    micro1ApiBaseUrl: config.micro1ApiBaseUrl,
    archiveMediaHosts: config.archiveMediaHosts,
    archiveVariants: config.archiveVariants,
    archiveExpiration: days(config.archiveExpirationDays),
    ledgerRetention: days(config.ledgerRetentionDays),
    logRetention: config.logRetentionDays,
    retainLogs: config.retain,
    logLevel: config.logLevel,
    tracing: config.tracing,
    sourceMaps: config.sourceMaps,
    alarmEmail: config.alarmEmail,
    alarmWebhookUrls: config.alarmWebhookUrls,
    alarmThresholds: {
      eventsQueueMaxAge: minutes(alarms.eventsQueueMaxAgeMinutes),
      archiveQueueMaxAge: minutes(alarms.archiveQueueMaxAgeMinutes),
      deadLetterMaxAge: days(alarms.deadLetterMaxAgeDays),
      apiServerErrorsPer5Minutes: alarms.apiServerErrorsPer5Minutes,
      webhookFailedPer5Minutes: alarms.webhookFailedPer5Minutes,
      webhookThrottledPer5Minutes: alarms.webhookThrottledPer5Minutes,
      webhookAuthFailuresPer5Minutes: alarms.webhookAuthFailuresPer5Minutes,
      webhookInvalidPer15Minutes: alarms.webhookInvalidPer15Minutes,
      webhookUnknownTypesPerHour: alarms.webhookUnknownTypesPerHour,
      atsFailureRatePercent: alarms.atsFailureRatePercent,
      atsMinimumWrites: alarms.atsMinimumWrites,
      archiveFailuresPer15Minutes: alarms.archiveFailuresPer15Minutes,
      enrichmentFallbacksPerHour: alarms.enrichmentFallbacksPerHour,
      endToEndLagP90: minutes(alarms.endToEndLagP90Minutes),
      functionErrorsPer5Minutes: alarms.functionErrorsPer5Minutes,
      webhookSilence:
        alarms.webhookSilenceHours === undefined ? undefined : Duration.hours(alarms.webhookSilenceHours),
    },
  });
  for (const stack of [stateful, stateless]) {
    Tags.of(stack).add('project', 'interview-sync');
    Tags.of(stack).add('stage', stage);
  }
  return { stateful, stateless };
};
