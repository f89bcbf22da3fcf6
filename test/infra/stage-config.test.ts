/**
 * The stage configuration (lib/config/stage-config.ts): cdk.json's `stages`, `-c` overrides (the context keys
 * of earlier versions among them), and validation errors that name the bad key and fail the synth.
 */
import { readStageConfig, StageConfigError } from '../../lib/config/stage-config.js';
import { deployEnvironmentOf } from '../../lib/interview-sync-stage.js';
import { cdkJsonStages, environmentOf, synthesizeFromContext } from './synth.js';

/** A context reader over a plain object, as `app.node.tryGetContext` reads cdk.json and `-c` keys. */
const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

/** The message of the error `read` throws (fails the test when it throws none or another kind). */
const errorOf = (read: () => unknown): string => {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a StageConfigError');
};

describe('stage configuration', () => {
  it('is empty (every default) for a stage cdk.json does not name', () => {
    // Act
    const config = readStageConfig('alice', contextOf({}));

    // Assess
    expect(config).toEqual({});
  });

  it.each(Object.keys(cdkJsonStages))('accepts the settings of stage %s in cdk.json', (stage) => {
    // Act
    const config = readStageConfig(stage, contextOf({ stages: cdkJsonStages }));

    // Assess
    expect(config).toEqual(cdkJsonStages[stage]);
  });

  it('reads the keys of earlier versions from -c strings, typed as before', () => {
    // Act
    const config = readStageConfig(
      'prod',
      contextOf({
        atsAdapter: 'lever',
        atsConfig: '{"performAs":"u-1"}',
        atsCompletedStageId: 'stage-1',
        atsScoreFieldId: 'field-1',
        slackNotifications: 'true',
        round0ApiBaseUrl: 'https://round0.example.test',
        micro1ApiBaseUrl: 'https://micro1.example.test',
        archiveMediaHosts: '{"micro1":["*.micro1.ai"],"round0":["storage.round0.io"]}',
        archiveVariants: 'all',
        archiveTransitionAfterDays: '45',
      }),
    );

    // Assess
    expect(config).toEqual({
      atsAdapter: 'lever',
      atsConfig: { performAs: 'u-1' },
      atsCompletedStageId: 'stage-1',
      atsScoreFieldId: 'field-1',
      slackNotifications: true,
      round0ApiBaseUrl: 'https://round0.example.test',
      micro1ApiBaseUrl: 'https://micro1.example.test',
      archiveMediaHosts: { micro1: ['*.micro1.ai'], round0: ['storage.round0.io'] },
      archiveVariants: 'all',
      archiveTransitionAfterDays: 45,
    });
  });

  it('reads tracing and source maps for the three functions or per function, from cdk.json or -c', () => {
    // Act
    const fromFile = readStageConfig(
      'prod',
      contextOf({ stages: { prod: { tracing: { worker: false }, sourceMaps: true } } }),
    );
    const fromCommandLine = readStageConfig(
      'prod',
      contextOf({ tracing: 'false', sourceMaps: '{"ingest":true,"archive":false}' }),
    );

    // Assess
    expect(fromFile).toEqual({ tracing: { worker: false }, sourceMaps: true });
    expect(fromCommandLine).toEqual({ tracing: false, sourceMaps: { ingest: true, archive: false } });
  });

  it('lets a -c key override the stage file, key by key', () => {
    // Act
    const config = readStageConfig(
      'prod',
      contextOf({
        stages: { prod: { rawEventRetentionDays: 30, logLevel: 'WARN' } },
        rawEventRetentionDays: '7',
        alarms: '{"atsMinimumWrites":2}',
      }),
    );

    // Assess
    expect(config).toEqual({ rawEventRetentionDays: 7, logLevel: 'WARN', alarms: { atsMinimumWrites: 2 } });
  });

  it.each([
    ['a negative retention', { rawEventRetentionDays: -3 }, 'rawEventRetentionDays: expected at least 1 day'],
    [
      'a fraction of a day',
      { ledgerRetentionDays: 1.5 },
      'ledgerRetentionDays: expected a whole number of days',
    ],
    ['a misspelt key', { rawEventRetentionDay: 7 }, 'rawEventRetentionDay: unknown key'],
    [
      'an unknown ATS',
      { atsAdapter: 'workday' },
      'atsAdapter: expected one of log, greenhouse, lever, ashby, generic',
    ],
    ['a retention CloudWatch Logs lacks', { logRetentionDays: 31 }, 'logRetentionDays: expected one of'],
    [
      'a vendor without hosts',
      { archiveMediaHosts: { micro1: [] } },
      'archiveMediaHosts.round0: missing (required here)',
    ],
    [
      'an unknown vendor',
      { archiveMediaHosts: { micro1: [], round0: [], hirevue: [] } },
      'archiveMediaHosts.hirevue: unknown key',
    ],
    [
      'an http API URL',
      { round0ApiBaseUrl: 'http://round0.example.test' },
      'round0ApiBaseUrl: expected an https:// URL',
    ],
    ['a bad e-mail', { alarmEmail: 'oncall' }, 'alarmEmail: expected an e-mail address'],
    [
      'a bad alarm threshold',
      { alarms: { atsFailureRatePercent: 150 } },
      'alarms.atsFailureRatePercent: expected 1 to 100',
    ],
    ['an unknown alarm', { alarms: { diskFull: 1 } }, 'alarms.diskFull: unknown key'],
    [
      'a silence CloudWatch cannot evaluate',
      { alarms: { webhookSilenceHours: 25 } },
      'alarms.webhookSilenceHours: expected 1 to 24 hours',
    ],
    [
      'a silence of part of an hour',
      { alarms: { webhookSilenceHours: 1.5 } },
      'alarms.webhookSilenceHours: expected whole hours',
    ],
    [
      'a dead-letter age SQS outlives',
      { alarms: { deadLetterMaxAgeDays: 14 } },
      'alarms.deadLetterMaxAgeDays: expected at most 12 days',
    ],
    [
      'a dead-letter age the time before the move can outlive',
      { alarms: { deadLetterMaxAgeDays: 13 } },
      'alarms.deadLetterMaxAgeDays: expected at most 12 days',
    ],
    [
      'a ledger that forgets before a stored delivery can be replayed',
      { ledgerRetentionDays: 20 },
      'ledgerRetentionDays: expected at least rawEventRetentionDays (default 30) and 30 days',
    ],
    [
      'a raw event store kept longer than the default ledger (180 days)',
      { rawEventRetentionDays: 365 },
      'ledgerRetentionDays: expected at least rawEventRetentionDays (default 30) and 30 days',
    ],
    [
      'a ledger that forgets before a parked event can be replayed',
      { ledgerRetentionDays: 14, rawEventRetentionDays: 14 },
      'ledgerRetentionDays: expected at least rawEventRetentionDays (default 30) and 30 days',
    ],
    [
      'a ledger that forgets before a dead letter can be redriven',
      { ledgerRetentionDays: 10, rawEventRetentionDays: 7 },
      'ledgerRetentionDays: expected at least rawEventRetentionDays (default 30) and 30 days',
    ],
    [
      'an expiry before the transition',
      { archiveExpirationDays: 60 },
      'archiveExpirationDays: expected more days than archiveTransitionAfterDays',
    ],
    [
      'a log level Powertools lacks',
      { logLevel: 'VERBOSE' },
      'logLevel: expected one of DEBUG, INFO, WARN, ERROR, SILENT',
    ],
    [
      'a Greenhouse atsConfig without its required userId',
      { atsAdapter: 'greenhouse', atsConfig: {} },
      'atsConfig: invalid for the greenhouse adapter: userId: Invalid key: Expected "userId"',
    ],
    [
      'a misspelt atsConfig key',
      { atsAdapter: 'greenhouse', atsConfig: { userId: '4080', statusTagIDs: { completed: 1 } } },
      'atsConfig: unknown key(s) for the greenhouse adapter (misspelt?): statusTagIDs; it takes',
    ],
    [
      'an atsConfig key of another adapter than the one named (the log adapter by default)',
      { atsConfig: { performAs: 'u-1' } },
      'atsConfig: unknown key(s) for the log adapter (misspelt?): performAs',
    ],
    [
      'a log adapter writing to a file (read-only on Lambda)',
      { atsConfig: { path: '.data/ats-writes.jsonl' } },
      'atsConfig: path: expected "stdout" or none',
    ],
    [
      'a media host with a scheme',
      { archiveMediaHosts: { micro1: ['*.micro1.ai'], round0: ['https://storage.round0.io'] } },
      'archiveMediaHosts.round0.0: expected a host name, *.suffix or IP literal, without scheme or path',
    ],
    [
      'an alarm webhook that is not https',
      { alarmWebhookUrls: ['http://pager.example/hook'] },
      'alarmWebhookUrls.0: expected an https URL',
    ],
    [
      'an alarm webhook reference with text after it',
      { alarmWebhookUrls: ['{{resolve:secretsmanager:pager}}x'] },
      'alarmWebhookUrls.0: expected an https URL (a pager’s SNS integration endpoint), or {{resolve:secretsmanager:<secret>}} holding one',
    ],
    [
      'an alarm webhook reference left unclosed',
      { alarmWebhookUrls: ['{{resolve:secretsmanager:pager'] },
      'alarmWebhookUrls.0: expected an https URL (a pager’s SNS integration endpoint), or {{resolve:secretsmanager:<secret>}} holding one',
    ],
    [
      'an alarm webhook referenced from another store than Secrets Manager (ssm is plain text)',
      { alarmWebhookUrls: ['{{resolve:ssm:/pager/url}}'] },
      'alarmWebhookUrls.0: expected an https URL (a pager’s SNS integration endpoint), or {{resolve:secretsmanager:<secret>}} holding one',
    ],
    [
      'a media host wildcard over a shared hosting domain',
      { archiveMediaHosts: { micro1: ['*.micro1.ai', '*.cloudfront.net'], round0: [] } },
      'archiveMediaHosts.micro1.1: expected the host itself, not a wildcard over a domain where anyone can get a host',
    ],
    [
      'a media host with a path',
      { archiveMediaHosts: { micro1: ['cdn.example.test/media'], round0: [] } },
      'archiveMediaHosts.micro1.0: expected a host name',
    ],
    ['a string for a switch', { tracing: 'off' }, 'tracing: expected true or false, or per function'],
    [
      'a misspelt function in a per-function switch',
      { sourceMaps: { ingset: true } },
      'sourceMaps: expected true or false, or per function an object of ingest, worker, archive',
    ],
    [
      'a string in a per-function switch',
      { tracing: { worker: 'yes' } },
      'tracing: expected true or false, or per function',
    ],
  ])('refuses %s, naming the key', (_case, settings, message) => {
    // Act
    const error = errorOf(() => readStageConfig('prod', contextOf({ stages: { prod: settings } })));

    // Assess
    expect(error).toContain('Invalid configuration of stage "prod"');
    expect(error).toContain(`  - ${message}`);
  });

  it('reads the throttled-deliveries threshold, and refuses one that is not a positive count', () => {
    // Act
    const config = readStageConfig(
      'prod',
      contextOf({ stages: { prod: { alarms: { webhookThrottledPer5Minutes: 3 } } } }),
    );
    const zero = errorOf(() =>
      readStageConfig(
        'prod',
        contextOf({ stages: { prod: { alarms: { webhookThrottledPer5Minutes: 0 } } } }),
      ),
    );

    // Assess
    expect(config.alarms).toEqual({ webhookThrottledPer5Minutes: 3 });
    expect(zero).toMatch(/alarms\.webhookThrottledPer5Minutes: expected at least 1/);
  });

  it('takes a pager URL kept in Secrets Manager as a dynamic reference, beside a plain one', () => {
    // Act
    const config = readStageConfig(
      'prod',
      contextOf({
        stages: {
          prod: {
            alarmWebhookUrls: [
              'https://events.pagerduty.example/integration/abc/enqueue',
              '{{resolve:secretsmanager:interview-sync/prod/pager:SecretString:url}}',
            ],
          },
        },
      }),
    );

    // Assess
    expect(config.alarmWebhookUrls).toEqual([
      'https://events.pagerduty.example/integration/abc/enqueue',
      '{{resolve:secretsmanager:interview-sync/prod/pager:SecretString:url}}',
    ]);
  });

  it('names every bad key at once', () => {
    // Act
    const error = errorOf(() =>
      readStageConfig('prod', contextOf({ stages: { prod: { rawEventRetentionDays: 0, tracing: 'yes' } } })),
    );

    // Assess
    expect(error).toMatch(/rawEventRetentionDays: .*\n.*tracing: /);
  });

  it('refuses a -c value that is not JSON where JSON is expected, naming the key', () => {
    // Act
    const error = errorOf(() => readStageConfig('prod', contextOf({ atsConfig: '{userId: 4080}' })));

    // Assess
    expect(error).toMatch(/^context "atsConfig": not valid JSON/);
  });

  it('refuses a -c number that is not a number, naming the key', () => {
    // Act
    const error = errorOf(() => readStageConfig('prod', contextOf({ archiveTransitionAfterDays: 'ninety' })));

    // Assess
    expect(error).toContain('archiveTransitionAfterDays: expected a number of days (got "ninety")');
  });

  it.each([['prod stage'], ['-prod'], ['a'.repeat(26)]])('refuses the stage name %j', (stage) => {
    // Assess
    expect(errorOf(() => readStageConfig(stage, contextOf({})))).toContain('is not a valid stage name');
  });

  it('refuses a "stages" context that is not an object of settings', () => {
    // Assess
    expect(errorOf(() => readStageConfig('prod', contextOf({ stages: ['prod'] })))).toContain(
      'context "stages"',
    );
    expect(errorOf(() => readStageConfig('prod', contextOf({ stages: { prod: 'big' } })))).toContain(
      'context "stages.prod"',
    );
  });
});

describe('the app with a stage configuration (what bin/app.ts does)', () => {
  it.each([
    ['no credentials (the CLI still defaults the region)', { CDK_DEFAULT_REGION: 'us-east-1' }, undefined],
    [
      'credentials',
      { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' },
      { account: '123456789012', region: 'eu-west-1' },
    ],
  ])('deploys environment-agnostic unless the CLI found an account: %s', (_case, variables, expected) => {
    // Assess
    expect(deployEnvironmentOf(variables)).toEqual(expected);
  });

  it('fails the synth on a bad value, naming the key', () => {
    // Act
    const error = errorOf(() => synthesizeFromContext({ stage: 'prod', rawEventRetentionDays: '-3' }));

    // Assess
    expect(error).toContain('rawEventRetentionDays: expected at least 1 day (got -3)');
  });

  it('builds the stage named by -c stage from cdk.json stages and -c keys', () => {
    // Act
    const { stateful, stateless, statelessTemplate } = synthesizeFromContext({
      stage: 'qa',
      stages: { qa: { logLevel: 'DEBUG' } },
      atsAdapter: 'ashby',
    });

    // Assess
    expect([stateful.stackName, stateless.stackName]).toEqual([
      'InterviewSync-qa-Stateful',
      'InterviewSync-qa-Stateless',
    ]);
    expect(environmentOf(stateless, statelessTemplate, stateless.worker.function)).toMatchObject({
      ATS_ADAPTER: 'ashby',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
  });

  it('builds the stage dev when no stage is given', () => {
    // Act
    const { stateful } = synthesizeFromContext({});

    // Assess
    expect(stateful.stackName).toBe('InterviewSync-dev-Stateful');
  });
});
