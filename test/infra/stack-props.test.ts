/**
 * Every stage setting overrides its default: one synth of a stage whose configuration sets every key to a
 * value that differs from the default (through lib/interview-sync-stage.ts, so the mapping from settings to
 * stack props is tested too).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { StageConfig } from '../../lib/config/stage-config.js';
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';
import { environmentOf, logicalIdOf, synthesizeStage } from './synth.js';

/** Settings that differ from every default. */
const customConfig: StageConfig = {
  atsAdapter: 'greenhouse',
  atsConfig: { userId: '4080', baseUrl: 'https://harvest.example.test/v3', perPage: 100 },
  atsCompletedStageId: 'stage-7',
  atsScoreFieldId: 'field-9',
  slackNotifications: true,
  round0ApiBaseUrl: 'https://round0.example.test',
  micro1ApiBaseUrl: 'https://micro1.example.test',
  archiveMediaHosts: { micro1: ['*.micro1.ai', 'cdn.example.test'], round0: ['storage.round0.io'] },
  archiveVariants: 'all',
  archiveTransitionAfterDays: 30,
  archiveExpirationDays: 730,
  rawEventRetentionDays: 14,
  ledgerRetentionDays: 365,
  logRetentionDays: 90,
  accessLogRetentionDays: 90,
  logLevel: 'WARN',
  // The opposite of each function's default.
  tracing: { ingest: true, worker: false, archive: false },
  sourceMaps: { ingest: true, worker: false, archive: false },
  retain: false,
  terminationProtection: false,
};

describe('a stage with every setting changed', () => {
  let stateful: InterviewSyncStatefulStack;
  let stateless: InterviewSyncStatelessStack;
  let statefulTemplate: Template;
  let template: Template;

  beforeAll(() => {
    // Prepare & Act
    ({
      stateful,
      stateless,
      statefulTemplate,
      statelessTemplate: template,
    } = synthesizeStage({
      stage: 'prod',
      config: customConfig,
    }));
  });

  it('passes the ATS adapter, its JSON config, stage and field ids, vendor API URLs and the Slack switch to the worker', () => {
    // Assess
    expect(environmentOf(stateless, template, stateless.worker.function)).toMatchObject({
      ATS_ADAPTER: 'greenhouse',
      ATS_CONFIG: JSON.stringify(customConfig.atsConfig),
      ATS_COMPLETED_STAGE_ID: 'stage-7',
      ATS_SCORE_FIELD_ID: 'field-9',
      ROUND0_API_BASE_URL: 'https://round0.example.test',
      MICRO1_API_BASE_URL: 'https://micro1.example.test',
      SLACK_NOTIFICATIONS: 'true',
      LEDGER_RETENTION_SECONDS: String(365 * 24 * 3600),
    });
  });

  it('round-trips the ATS config through the environment unchanged', () => {
    // Act
    const config = environmentOf(stateless, template, stateless.worker.function).ATS_CONFIG as string;

    // Assess
    expect(JSON.parse(config)).toEqual({
      userId: '4080',
      baseUrl: 'https://harvest.example.test/v3',
      perPage: 100,
    });
  });

  it('passes the media hosts, the variant choice, the ROUND0 API URL and the media expiration to the archive', () => {
    // Assess
    expect(environmentOf(stateless, template, stateless.archive.function)).toMatchObject({
      ARCHIVE_MEDIA_HOSTS: '{"micro1":["*.micro1.ai","cdn.example.test"],"round0":["storage.round0.io"]}',
      ARCHIVE_VARIANTS: 'all',
      // the manifest expires with the media it lists
      ARCHIVE_EXPIRATION_SECONDS: String(730 * 24 * 3600),
      ROUND0_API_BASE_URL: 'https://round0.example.test',
    });
  });

  it.each([
    ['ingest', true],
    ['worker', false],
    ['archive', false],
  ] as const)(
    '%s: the log level; tracing and source maps per function (tracing and source maps %s)',
    (name, on) => {
      // Prepare
      const fn = template.toJSON().Resources[logicalIdOf(stateless, stateless[name].function)];
      const environment = environmentOf(stateless, template, stateless[name].function);

      // Assess
      expect(environment).toMatchObject({
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_TRACE_ENABLED: String(on),
      });
      expect(fn.Properties.TracingConfig).toEqual(on ? { Mode: 'Active' } : undefined);
      expect(environment.NODE_OPTIONS).toBe(on ? '--enable-source-maps' : undefined);
    },
  );

  it('applies the log retention to the three functions and the access logs, and deletes them with the stack', () => {
    // Prepare
    const resources = template.toJSON().Resources;
    const functionLogGroup = (fn: typeof stateless.ingest.function): string =>
      resources[logicalIdOf(stateless, fn)].Properties.LoggingConfig.LogGroup.Ref;

    // Act
    const logGroups = [
      functionLogGroup(stateless.ingest.function),
      functionLogGroup(stateless.worker.function),
      functionLogGroup(stateless.archive.function),
      logicalIdOf(stateless, stateless.ingest.accessLogGroup),
    ].map((logGroupId) => ({
      retention: resources[logGroupId].Properties.RetentionInDays,
      deletion: resources[logGroupId].DeletionPolicy,
    }));

    // Assess
    expect(logGroups).toEqual(Array(4).fill({ retention: 90, deletion: 'Delete' }));
  });

  it('expires raw events, moves and expires archived media after the given ages', () => {
    // Prepare
    const rules = statefulTemplate.toJSON().Resources[logicalIdOf(stateful, stateful.storage.bucket)]
      .Properties.LifecycleConfiguration.Rules as { Id: string }[];

    // Assess
    expect(rules.find((rule) => rule.Id === 'expire-raw-events')).toMatchObject({
      Prefix: 'raw/',
      ExpirationInDays: 14,
    });
    expect(rules.find((rule) => rule.Id === 'archive-to-glacier-instant-retrieval')).toEqual({
      Id: 'archive-to-glacier-instant-retrieval',
      Prefix: 'interviews/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
      ExpirationInDays: 730,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });

  it('expires bucket access logs after the given retention, keeping none a day longer', () => {
    // Assess
    expect(
      statefulTemplate.toJSON().Resources[logicalIdOf(stateful, stateful.storage.accessLogsBucket)].Properties
        .LifecycleConfiguration,
    ).toEqual({
      Rules: [
        {
          Id: 'expire-access-logs',
          ExpirationInDays: 90,
          // Counted from the expiration, which made the record noncurrent.
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          Status: 'Enabled',
        },
        { Id: 'remove-expired-delete-markers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
      ],
    });
  });

  it('leaves the ingest Lambda unaffected by worker settings', () => {
    // Assess
    expect(Object.keys(environmentOf(stateless, template, stateless.ingest.function))).not.toContain(
      'ATS_ADAPTER',
    );
  });
});
