/**
 * Every alarm of a stage, one row each, written out literally: its metric, statistic and period, threshold,
 * comparison, evaluation periods, missing-data policy, actions (the one topic, on alarm and on OK) and its
 * description, which must end with a README runbook anchor that exists. Then thresholds from the stage
 * configuration, and the topic's e-mail subscription.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { accessLogFields } from '../../lib/constructs/ingest-api.js';
import { projectRoot } from '../../lib/constructs/service-function.js';
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';
import { environmentOf, githubSlug, logicalIdOf, renderedIn, synthesizeStage } from './synth.js';

interface AlarmProperties {
  readonly AlarmName: string;
  readonly AlarmDescription: string;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly TreatMissingData: string;
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: unknown[];
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Period?: number;
  readonly Metrics?: {
    readonly Id: string;
    readonly Expression?: string;
    readonly ReturnData?: boolean;
    readonly MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] };
      Period: number;
      Stat: string;
    };
  }[];
}

/** The alarms of the template by name. */
const alarmsOf = (template: Template): Map<string, AlarmProperties> =>
  new Map(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => [
      (alarm.Properties as AlarmProperties).AlarmName,
      alarm.Properties as AlarmProperties,
    ]),
  );

/** What an alarm watches, in one comparable shape. */
const watched = (alarm: AlarmProperties): unknown =>
  alarm.Metrics === undefined
    ? {
        namespace: alarm.Namespace,
        metric: alarm.MetricName,
        dimensions: alarm.Dimensions,
        statistic: alarm.Statistic ?? alarm.ExtendedStatistic,
        period: alarm.Period,
      }
    : {
        expression: alarm.Metrics.find((metric) => metric.ReturnData !== false)?.Expression,
        metrics: Object.fromEntries(
          alarm.Metrics.filter((metric) => metric.MetricStat !== undefined).map((metric) => [
            metric.Id,
            {
              namespace: metric.MetricStat?.Metric.Namespace,
              metric: metric.MetricStat?.Metric.MetricName,
              dimensions: metric.MetricStat?.Metric.Dimensions,
              statistic: metric.MetricStat?.Stat,
              period: metric.MetricStat?.Period,
            },
          ]),
        ),
      };

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const readmeAnchors = new Set(
  readme
    .split('\n')
    .filter((line) => /^#{2,4} /.test(line))
    .map((line) => githubSlug(line.replace(/^#+ /, ''))),
);

/** The README's text under the heading whose anchor is given, up to the next heading of its level or above. */
const runbookSection = (anchor: string): string => {
  const lines = readme.split('\n');
  const start = lines.findIndex(
    (line) => /^#{2,4} /.test(line) && githubSlug(line.replace(/^#+ /, '')) === anchor,
  );
  if (start < 0) return '';
  const level = /^#+/.exec(lines[start] ?? '')?.[0].length ?? 0;
  const end = lines.findIndex((line, i) => i > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
};

describe('alarms with the default thresholds', () => {
  let stack: InterviewSyncStatelessStack;
  let state: InterviewSyncStatefulStack;
  let alarms: Map<string, AlarmProperties>;
  let template: Template;
  const ref = (token: string) => renderedIn(stack, token);
  const id = (construct: Parameters<typeof logicalIdOf>[1]) => logicalIdOf(stack, construct);
  const queueDimension = (queue: { queueName: string }) => [
    { Name: 'QueueName', Value: ref(queue.queueName) },
  ];
  const serviceDimension = (service: string) => [{ Name: 'service', Value: service }];
  const functionDimension = (fn: Parameters<typeof logicalIdOf>[1]) => [
    { Name: 'FunctionName', Value: { Ref: id(fn) } },
  ];
  const lambdaMath = (fn: Parameters<typeof logicalIdOf>[1]) => ({
    expression: 'FILL(errors, 0) + FILL(throttles, 0)',
    metrics: {
      errors: {
        namespace: 'AWS/Lambda',
        metric: 'Errors',
        dimensions: functionDimension(fn),
        statistic: 'Sum',
        period: 300,
      },
      throttles: {
        namespace: 'AWS/Lambda',
        metric: 'Throttles',
        dimensions: functionDimension(fn),
        statistic: 'Sum',
        period: 300,
      },
    },
  });

  /** A DLQ's messages, visible and in flight (a dead letter being read is still one). */
  const dlqHeld = (queue: Parameters<typeof queueDimension>[0]) => ({
    expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
    metrics: {
      visible: {
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesVisible',
        dimensions: queueDimension(queue),
        statistic: 'Maximum',
        period: 60,
      },
      inFlight: {
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesNotVisible',
        dimensions: queueDimension(queue),
        statistic: 'Maximum',
        period: 60,
      },
    },
  });

  beforeAll(() => {
    // Prepare & Act
    ({ stateless: stack, stateful: state, statelessTemplate: template } = synthesizeStage());
    alarms = alarmsOf(template);
  });

  /** [name suffix, watched, threshold, comparison, evaluation periods, missing data, runbook anchor] */
  const table = () =>
    [
      [
        'events-dlq-not-empty',
        dlqHeld(state.events.deadLetterQueue),
        0,
        'GreaterThanThreshold',
        1,
        'notBreaching',
        'runbook-events-dlq-not-empty',
      ],
      [
        'archive-dlq-not-empty',
        dlqHeld(state.archive.deadLetterQueue),
        0,
        'GreaterThanThreshold',
        1,
        'notBreaching',
        'runbook-archive-dlq-not-empty',
      ],
      [
        'events-dead-lettered',
        {
          namespace: 'AWS/SQS',
          metric: 'NumberOfMessagesSent',
          dimensions: queueDimension(state.events.deadLetterQueue),
          statistic: 'Sum',
          period: 300,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-events-dlq-not-empty',
      ],
      [
        'archive-dead-lettered',
        {
          namespace: 'AWS/SQS',
          metric: 'NumberOfMessagesSent',
          dimensions: queueDimension(state.archive.deadLetterQueue),
          statistic: 'Sum',
          period: 300,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-archive-dlq-not-empty',
      ],
      [
        'events-dlq-about-to-expire',
        {
          namespace: 'AWS/SQS',
          metric: 'ApproximateAgeOfOldestMessage',
          dimensions: queueDimension(state.events.deadLetterQueue),
          statistic: 'Maximum',
          period: 300,
        },
        10 * 24 * 3600,
        'GreaterThanThreshold',
        1,
        'notBreaching',
        'runbook-dead-letters-about-to-expire',
      ],
      [
        'archive-dlq-about-to-expire',
        {
          namespace: 'AWS/SQS',
          metric: 'ApproximateAgeOfOldestMessage',
          dimensions: queueDimension(state.archive.deadLetterQueue),
          statistic: 'Maximum',
          period: 300,
        },
        10 * 24 * 3600,
        'GreaterThanThreshold',
        1,
        'notBreaching',
        'runbook-dead-letters-about-to-expire',
      ],
      [
        'events-queue-backlog',
        {
          namespace: 'AWS/SQS',
          metric: 'ApproximateAgeOfOldestMessage',
          dimensions: queueDimension(state.events.queue),
          statistic: 'Maximum',
          period: 60,
        },
        30 * 60,
        'GreaterThanThreshold',
        1,
        'notBreaching',
        'runbook-events-queue-backlog',
      ],
      [
        'archive-queue-backlog',
        {
          namespace: 'AWS/SQS',
          metric: 'ApproximateAgeOfOldestMessage',
          dimensions: queueDimension(state.archive.queue),
          statistic: 'Maximum',
          period: 60,
        },
        3 * 3600,
        'GreaterThanThreshold',
        1,
        'notBreaching',
        'runbook-archive-queue-backlog',
      ],
      [
        'api-5xx',
        {
          namespace: 'AWS/ApiGateway',
          metric: '5xx',
          dimensions: [{ Name: 'ApiId', Value: { Ref: id(stack.ingest.api) } }],
          statistic: 'Sum',
          period: 300,
        },
        5,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-api-5xx',
      ],
      [
        'webhook-not-queued',
        {
          namespace: 'InterviewSync/test',
          metric: 'WebhookFailed',
          dimensions: serviceDimension('interview-sync-ingest'),
          statistic: 'Sum',
          period: 300,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-api-5xx',
      ],
      [
        'webhook-throttled',
        {
          namespace: 'InterviewSync/test',
          metric: 'WebhookThrottled',
          dimensions: undefined,
          statistic: 'Sum',
          period: 300,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-webhook-throttled',
      ],
      [
        'webhook-auth-failures',
        {
          namespace: 'InterviewSync/test',
          metric: 'WebhookAuthFailed',
          dimensions: serviceDimension('interview-sync-ingest'),
          statistic: 'Sum',
          period: 300,
        },
        20,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-webhook-auth-failures',
      ],
      [
        'webhook-invalid',
        {
          namespace: 'InterviewSync/test',
          metric: 'WebhookInvalid',
          dimensions: serviceDimension('interview-sync-ingest'),
          statistic: 'Sum',
          period: 900,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-webhook-invalid',
      ],
      [
        'webhook-unknown-types',
        {
          namespace: 'InterviewSync/test',
          metric: 'WebhookUnknownType',
          dimensions: serviceDimension('interview-sync-ingest'),
          statistic: 'Sum',
          period: 3600,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-webhook-unknown-types',
      ],
      [
        'ats-failure-rate',
        {
          expression: 'IF(writes >= 5, 100 * FILL(failed, 0) / writes, 0)',
          metrics: {
            writes: {
              namespace: 'InterviewSync/test',
              metric: 'AtsWrite',
              dimensions: serviceDimension('interview-sync-worker'),
              statistic: 'Sum',
              period: 900,
            },
            failed: {
              namespace: 'InterviewSync/test',
              metric: 'AtsWriteFailed',
              dimensions: serviceDimension('interview-sync-worker'),
              statistic: 'Sum',
              period: 900,
            },
          },
        },
        20,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-ats-failure-rate',
      ],
      [
        'enrichment-fallbacks',
        {
          expression: 'FILL(notFound, 0) + FILL(degraded, 0)',
          metrics: {
            notFound: {
              namespace: 'InterviewSync/test',
              metric: 'EnrichmentNotFound',
              dimensions: serviceDimension('interview-sync-worker'),
              statistic: 'Sum',
              period: 3600,
            },
            degraded: {
              namespace: 'InterviewSync/test',
              metric: 'EnrichmentDegraded',
              dimensions: serviceDimension('interview-sync-worker'),
              statistic: 'Sum',
              period: 3600,
            },
          },
        },
        5,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-enrichment-fallbacks',
      ],
      [
        'events-failing-repeatedly',
        {
          namespace: 'InterviewSync/test',
          metric: 'EventFailingRepeatedly',
          dimensions: serviceDimension('interview-sync-worker'),
          statistic: 'Sum',
          period: 900,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-events-queue-backlog',
      ],
      [
        'archive-tasks-failing-repeatedly',
        {
          namespace: 'InterviewSync/test',
          metric: 'ArchiveTaskFailingRepeatedly',
          dimensions: serviceDimension('interview-sync-archive'),
          statistic: 'Sum',
          period: 900,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-archive-queue-backlog',
      ],
      [
        'archive-failures',
        {
          namespace: 'InterviewSync/test',
          metric: 'ArchiveFailed',
          dimensions: serviceDimension('interview-sync-archive'),
          statistic: 'Sum',
          period: 900,
        },
        3,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-archive-failures',
      ],
      [
        'end-to-end-lag',
        {
          namespace: 'InterviewSync/test',
          metric: 'EndToEndLag',
          dimensions: serviceDimension('interview-sync-worker'),
          statistic: 'p90',
          period: 900,
        },
        15 * 60 * 1000,
        'GreaterThanThreshold',
        2,
        'notBreaching',
        'runbook-end-to-end-lag',
      ],
      [
        'ingest-errors',
        lambdaMath(stack.ingest.function),
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-lambda-errors-or-throttles',
      ],
      [
        'worker-errors',
        lambdaMath(stack.worker.function),
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-lambda-errors-or-throttles',
      ],
      [
        'archive-errors',
        lambdaMath(stack.archive.function),
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-lambda-errors-or-throttles',
      ],
      [
        'alarm-notifications-failed',
        {
          namespace: 'AWS/SNS',
          metric: 'NumberOfNotificationsFailed',
          dimensions: [
            { Name: 'TopicName', Value: { 'Fn::GetAtt': [id(stack.alarmTopic.topic), 'TopicName'] } },
          ],
          statistic: 'Sum',
          period: 300,
        },
        1,
        'GreaterThanOrEqualToThreshold',
        1,
        'notBreaching',
        'runbook-alarm-notifications-failed',
      ],
    ] as const;

  it('has no silence alarm unless the stage names a silence (a quiet stage is not a broken one)', () => {
    // Assess
    expect([...alarms.keys()].filter((name) => name.endsWith('silence'))).toEqual([]);
  });

  it('counts the API access log lines of status 429 as WebhookThrottled, in the stage namespace', () => {
    // Assess: the filter reads the access log, whose JSON lines carry the status as a string
    expect(JSON.parse(JSON.stringify(accessLogFields)).status).toBe('$context.status');
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
    expect(filters.map((filter) => filter.Properties)).toEqual([
      {
        LogGroupName: { Ref: id(stack.ingest.accessLogGroup) },
        FilterPattern: '{ $.status = "429" }',
        MetricTransformations: [
          { MetricNamespace: 'InterviewSync/test', MetricName: 'WebhookThrottled', MetricValue: '1' },
        ],
      },
    ]);
  });

  it('has exactly the alarms of the table', () => {
    // Assess
    expect([...alarms.keys()].sort()).toEqual(
      table()
        .map(([name]) => `interview-sync-test-${name}`)
        .sort(),
    );
  });

  it.each(
    [
      'events-dlq-not-empty',
      'archive-dlq-not-empty',
      'events-dead-lettered',
      'archive-dead-lettered',
      'events-dlq-about-to-expire',
      'archive-dlq-about-to-expire',
      'events-queue-backlog',
      'archive-queue-backlog',
      'api-5xx',
      'webhook-not-queued',
      'webhook-throttled',
      'webhook-auth-failures',
      'webhook-invalid',
      'webhook-unknown-types',
      'ats-failure-rate',
      'events-failing-repeatedly',
      'archive-tasks-failing-repeatedly',
      'archive-failures',
      'enrichment-fallbacks',
      'end-to-end-lag',
      'ingest-errors',
      'worker-errors',
      'archive-errors',
      'alarm-notifications-failed',
    ].map((name) => [name]),
  )('%s: metric, threshold, comparison, periods, missing data, actions, description', (name) => {
    // Prepare
    const row = table().find(([rowName]) => rowName === name);
    if (row === undefined) throw new Error(`no row ${name}`);
    const [, metric, threshold, comparison, periods, missing, runbook] = row;
    const topic = { Ref: id(stack.alarmTopic.topic) };

    // Act
    const alarm = alarms.get(`interview-sync-test-${name}`);

    // Assess
    if (alarm === undefined) throw new Error(`no alarm ${name}`);
    expect(watched(alarm)).toEqual(metric);
    expect({
      threshold: alarm.Threshold,
      comparison: alarm.ComparisonOperator,
      periods: alarm.EvaluationPeriods,
      datapoints: alarm.DatapointsToAlarm,
      missing: alarm.TreatMissingData,
      alarmActions: alarm.AlarmActions,
      okActions: alarm.OKActions,
    }).toEqual({
      threshold,
      comparison,
      periods,
      datapoints: undefined,
      missing,
      alarmActions: [topic],
      okActions: [topic],
    });
    // At least one sentence of meaning and one of what to do, then the runbook.
    expect(alarm.AlarmDescription).toMatch(/^[A-Z0-9`].{40,}\. .{20,}\. Runbook: README\.md#[a-z0-9-]+$/s);
    expect(alarm.AlarmDescription.endsWith(`Runbook: README.md#${runbook}`)).toBe(true);
  });

  it('points every alarm to a runbook section that exists in the README', () => {
    // Assess
    const anchors = [...alarms.values()].map((alarm) =>
      alarm.AlarmDescription.replace(/^.*README\.md#/s, ''),
    );
    for (const anchor of anchors)
      expect({ anchor, exists: readmeAnchors.has(anchor) }).toEqual({ anchor, exists: true });
  });

  it('gives in a description only the ops commands its runbook gives (a console reader runs what it reads)', () => {
    // Arrange
    const described = [...alarms.values()].flatMap((alarm) => {
      const anchor = alarm.AlarmDescription.replace(/^.*README\.md#/s, '');
      return [...alarm.AlarmDescription.matchAll(/`(npm run ops -- [^`]+)`/g)].map((m) => ({
        anchor,
        command: m[1] ?? '',
      }));
    });
    expect(described.length).toBeGreaterThan(3);
    // Assess
    expect(described.filter(({ anchor, command }) => !runbookSection(anchor).includes(command))).toEqual([]);
  });

  it("keeps every description within CloudWatch's 1024 characters", () => {
    // Assess
    for (const alarm of alarms.values()) expect(alarm.AlarmDescription.length).toBeLessThanOrEqual(1024);
  });
});

describe('alarms with thresholds from the stage configuration, and an alarm e-mail', () => {
  let alarms: Map<string, AlarmProperties>;
  let template: Template;

  beforeAll(() => {
    // Prepare & Act
    ({ statelessTemplate: template } = synthesizeStage({
      stage: 'prod',
      config: {
        alarmEmail: 'oncall@example.com',
        alarmWebhookUrls: [
          'https://events.pagerduty.example/integration/abc/enqueue',
          '{{resolve:secretsmanager:interview-sync/prod/pager:SecretString:url}}',
        ],
        alarms: {
          eventsQueueMaxAgeMinutes: 10,
          archiveQueueMaxAgeMinutes: 60,
          deadLetterMaxAgeDays: 7,
          apiServerErrorsPer5Minutes: 2,
          webhookFailedPer5Minutes: 3,
          webhookThrottledPer5Minutes: 25,
          webhookAuthFailuresPer5Minutes: 50,
          webhookInvalidPer15Minutes: 4,
          webhookUnknownTypesPerHour: 6,
          atsFailureRatePercent: 10,
          atsMinimumWrites: 20,
          archiveFailuresPer15Minutes: 1,
          enrichmentFallbacksPerHour: 12,
          endToEndLagP90Minutes: 5,
          functionErrorsPer5Minutes: 3,
          webhookSilenceHours: 6,
        },
      },
    }));
    alarms = alarmsOf(template);
  });

  it('fires the silence alarm after the configured hours without an accepted webhook, missing data included', () => {
    // Assess
    const silence = alarms.get('interview-sync-prod-webhook-silence');
    expect(silence === undefined ? undefined : watched(silence)).toEqual({
      namespace: 'InterviewSync/prod',
      metric: 'WebhookReceived',
      dimensions: [{ Name: 'service', Value: 'interview-sync-ingest' }],
      statistic: 'Sum',
      period: 3600,
    });
    expect(silence).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 6,
      // Nothing published is the silence itself: Powertools writes the counter only for a webhook.
      TreatMissingData: 'breaching',
    });
    expect(silence?.AlarmDescription).toMatch(
      /^No webhook was accepted for 6 hours: .*Runbook: README\.md#runbook-webhook-silence$/s,
    );
  });

  it('refuses a silence that is not whole hours from 1 to 24 (the stage configuration says so first)', () => {
    for (const webhookSilenceHours of [0, 1.5, 25]) {
      expect(() => synthesizeStage({ stage: 'prod', config: { alarms: { webhookSilenceHours } } })).toThrow(
        /^webhookSilence must be whole hours from 1 to 24/,
      );
    }
  });

  it.each([
    ['events-queue-backlog', 600],
    ['archive-queue-backlog', 3600],
    ['events-dlq-about-to-expire', 7 * 24 * 3600],
    ['archive-dlq-about-to-expire', 7 * 24 * 3600],
    ['api-5xx', 2],
    ['webhook-not-queued', 3],
    ['webhook-throttled', 25],
    ['webhook-auth-failures', 50],
    ['webhook-invalid', 4],
    ['webhook-unknown-types', 6],
    ['ats-failure-rate', 10],
    ['archive-failures', 1],
    ['enrichment-fallbacks', 12],
    ['end-to-end-lag', 5 * 60 * 1000],
    ['ingest-errors', 3],
    ['worker-errors', 3],
    ['archive-errors', 3],
  ] as const)('%s alarms at %d', (name, threshold) => {
    // Assess
    expect(alarms.get(`interview-sync-prod-${name}`)?.Threshold).toBe(threshold);
  });

  it('judges the ATS failure rate only above the configured volume', () => {
    // Assess
    expect(watched(alarms.get('interview-sync-prod-ats-failure-rate') as AlarmProperties)).toMatchObject({
      expression: 'IF(writes >= 20, 100 * FILL(failed, 0) / writes, 0)',
    });
  });

  it('subscribes the alarm e-mail and the pagers’ https endpoints (one given as a Secrets Manager reference) to the topic, owned by the stack', () => {
    // Assess
    template.resourceCountIs('AWS::SNS::Subscription', 3);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://events.pagerduty.example/integration/abc/enqueue',
    });
    // One kept in Secrets Manager reaches the template as the reference alone, resolved by CloudFormation
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: '{{resolve:secretsmanager:interview-sync/prod/pager:SecretString:url}}',
    });
    // The URL holds the integration key: no logical id is made from it
    const ids = Object.keys(template.findResources('AWS::SNS::Subscription'));
    expect(ids.some((id) => /pagerduty|integration|abc/i.test(id))).toBe(false);
  });
});

describe('two stages in one account', () => {
  it('keep their metrics apart: each stage’s alarms and dashboard read only the namespace its functions write', () => {
    // Prepare & Act
    const stages = ['dev', 'prod'].map((stage) => ({ stage, ...synthesizeStage({ stage }) }));

    // Assess
    const written = stages.map(({ stateless, statelessTemplate }) => {
      const namespaces = new Set(
        [stateless.ingest.function, stateless.worker.function, stateless.archive.function].map(
          (fn) => environmentOf(stateless, statelessTemplate, fn).POWERTOOLS_METRICS_NAMESPACE,
        ),
      );
      expect(namespaces.size).toBe(1);
      return [...namespaces][0] as string;
    });
    expect(new Set(written).size).toBe(2);
    stages.forEach(({ statelessTemplate }, index) => {
      const own = written[index] as string;
      const other = written[1 - index] as string;
      const text = JSON.stringify(statelessTemplate.toJSON());
      // Every custom metric an alarm watches is in the stage's own namespace
      const watched = [...alarmsOf(statelessTemplate).values()].flatMap((alarm) =>
        [alarm.Namespace, ...(alarm.Metrics ?? []).map((m) => m.MetricStat?.Metric?.Namespace)].filter(
          (namespace): namespace is string => typeof namespace === 'string' && !namespace.startsWith('AWS/'),
        ),
      );
      expect(watched.length).toBeGreaterThan(5);
      expect(new Set(watched)).toEqual(new Set([own]));
      // The dashboard names the stage's namespace and never the other's
      expect(text).toContain(`\\"${own}\\"`);
      expect(text).not.toContain(`\\"${other}\\"`);
    });
  });
});
