/**
 * Props override their defaults: one synth with every optional prop set.
 */
import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { InterviewSyncStack, InterviewSyncStackProps } from '../../lib/interview-sync-stack.js';
import { environmentOf, logicalIdOf, synthesizeStack } from './synth.js';

/** Props that differ from every default. */
const customProps = (overrides: Partial<InterviewSyncStackProps> = {}): InterviewSyncStackProps => ({
  atsAdapter: 'greenhouse',
  atsConfig: { baseUrl: 'https://harvest.greenhouse.io/v1', stageIds: { passed: 42 } },
  round0ApiBaseUrl: 'https://round0.example.test',
  micro1ApiBaseUrl: 'https://micro1.example.test',
  slackNotifications: true,
  logRetention: RetentionDays.THREE_MONTHS,
  oldestMessageAgeThreshold: Duration.minutes(10),
  bucketAccessLogRetention: Duration.days(90),
  archiveMediaHosts: { micro1: ['*.micro1.ai', 'cdn.example.test'], round0: ['storage.round0.io'] },
  archiveVariants: 'all',
  archiveTransitionAfter: Duration.days(30),
  archiveOldestMessageAgeThreshold: Duration.hours(1),
  ...overrides,
});

describe('InterviewSyncStack with custom props', () => {
  let stack: InterviewSyncStack;
  let template: Template;
  const props = customProps();

  beforeAll(() => {
    // Prepare & Act
    ({ stack, template } = synthesizeStack(props));
  });

  it('passes the ATS adapter, its JSON config, vendor API URLs and the Slack switch to the worker', () => {
    // Assess
    expect(environmentOf(stack, template, stack.worker.function)).toMatchObject({
      ATS_ADAPTER: 'greenhouse',
      ATS_CONFIG: JSON.stringify(props.atsConfig),
      ROUND0_API_BASE_URL: 'https://round0.example.test',
      MICRO1_API_BASE_URL: 'https://micro1.example.test',
      SLACK_NOTIFICATIONS: 'true',
    });
  });

  it('round-trips the ATS config through the environment unchanged', () => {
    // Act
    const config = environmentOf(stack, template, stack.worker.function).ATS_CONFIG as string;

    // Assess
    expect(JSON.parse(config)).toEqual({
      baseUrl: 'https://harvest.greenhouse.io/v1',
      stageIds: { passed: 42 },
    });
  });

  it('passes the media hosts, the variant choice and the ROUND0 API URL to the archive', () => {
    // Assess
    expect(environmentOf(stack, template, stack.archive.function)).toMatchObject({
      ARCHIVE_MEDIA_HOSTS: '{"micro1":["*.micro1.ai","cdn.example.test"],"round0":["storage.round0.io"]}',
      ARCHIVE_VARIANTS: 'all',
      ROUND0_API_BASE_URL: 'https://round0.example.test',
    });
  });

  it('moves archived media to Glacier Instant Retrieval after the given age', () => {
    // Prepare
    const rules = template.toJSON().Resources[logicalIdOf(stack, stack.storage.bucket)].Properties
      .LifecycleConfiguration.Rules as { Id: string }[];

    // Assess
    expect(rules.find((rule) => rule.Id === 'archive-to-glacier-instant-retrieval')).toMatchObject({
      Prefix: 'interviews/',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
    });
  });

  it('alarms on the oldest archive task at the given threshold', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(stack, stack.archiveQueue.queue), 'QueueName'] },
        },
      ],
      Threshold: 3600,
    });
  });

  it('applies the log retention to the three functions and the access logs', () => {
    // Prepare
    const resources = template.toJSON().Resources;
    const functionLogGroup = (fn: typeof stack.ingest.function): string =>
      resources[logicalIdOf(stack, fn)].Properties.LoggingConfig.LogGroup.Ref;

    // Act
    const retentions = [
      functionLogGroup(stack.ingest.function),
      functionLogGroup(stack.worker.function),
      functionLogGroup(stack.archive.function),
      logicalIdOf(stack, stack.ingest.accessLogGroup),
    ].map((logGroupId) => resources[logGroupId].Properties.RetentionInDays);

    // Assess
    expect(retentions).toEqual([90, 90, 90, 90]);
  });

  it('alarms on the oldest message age at the given threshold', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, stack.events.queue), 'QueueName'] } },
      ],
      Threshold: 600,
    });
  });

  it('expires bucket access logs after the given retention', () => {
    // Assess
    expect(
      template.toJSON().Resources[logicalIdOf(stack, stack.storage.accessLogsBucket)].Properties
        .LifecycleConfiguration,
    ).toEqual({ Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 90, Status: 'Enabled' }] });
  });

  it('leaves the ingest Lambda unaffected by worker settings', () => {
    // Assess
    expect(Object.keys(environmentOf(stack, template, stack.ingest.function))).not.toContain('ATS_ADAPTER');
  });
});
