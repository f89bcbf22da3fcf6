/**
 * The stack's resources and every documented default, asserted on one in-process synth with default props.
 * Expected values are written out literally (not read back from `lib/`), so a drifting default fails here.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { archiveMetricNames, ingestMetricNames, workerMetricNames } from '../../lib/constructs/dashboard.js';
import type { InterviewSyncStack } from '../../lib/interview-sync-stack.js';
import { environmentOf, logicalIdOf, synthesizeStack } from './synth.js';

describe('InterviewSyncStack with default props', () => {
  let stack: InterviewSyncStack;
  let template: Template;
  const id = (construct: Parameters<typeof logicalIdOf>[1]): string => logicalIdOf(stack, construct);
  const getAtt = (construct: Parameters<typeof logicalIdOf>[1], attribute: string) => ({
    'Fn::GetAtt': [id(construct), attribute],
  });

  beforeAll(() => {
    // Prepare & Act
    ({ stack, template } = synthesizeStack());
  });

  it('creates exactly the resources of the design', () => {
    // Assess
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  describe('bucket', () => {
    it('blocks public access, encrypts, versions and is retained', () => {
      // Assess
      template.hasResource('AWS::S3::Bucket', {
        Properties: Match.objectLike({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
        }),
        DeletionPolicy: 'Retain',
      });
    });

    it('expires claim checks after 30 days and aborts stale multipart uploads', () => {
      // Assess
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'claim-checks/', ExpirationInDays: 30, Status: 'Enabled' }),
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          ]),
        },
      });
    });

    it('moves archived interview media (interviews/) to Glacier Instant Retrieval after 90 days', () => {
      // Prepare
      const rules = template.toJSON().Resources[id(stack.storage.bucket)].Properties.LifecycleConfiguration
        .Rules as { Id: string }[];

      // Assess
      expect(rules.find((rule) => rule.Id === 'archive-to-glacier-instant-retrieval')).toEqual({
        Id: 'archive-to-glacier-instant-retrieval',
        Prefix: 'interviews/',
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      });
      expect(rules.map((rule) => rule.Id)).toEqual([
        'expire-claim-checks',
        'archive-to-glacier-instant-retrieval',
        'abort-incomplete-uploads',
      ]);
    });

    it('denies requests without TLS', () => {
      // Assess
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id(stack.storage.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('bucket access logs', () => {
    it('the archive bucket logs every request to the access-log bucket, under archive-bucket/, by date', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.storage.bucket)].Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: id(stack.storage.accessLogsBucket) },
        LogFilePrefix: 'archive-bucket/',
        TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
      });
    });

    it('the access-log bucket blocks public access, uses SSE-S3, disables ACLs and is retained', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.storage.accessLogsBucket)]).toMatchObject({
        Properties: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          // Log delivery cannot use the AWS-managed aws/s3 KMS key.
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(template.toJSON().Resources[id(stack.storage.accessLogsBucket)].Properties).not.toHaveProperty(
        'AccessControl',
      );
    });

    it('the access-log bucket expires logs after 365 days, and has no other lifecycle rule', () => {
      // Assess
      expect(
        template.toJSON().Resources[id(stack.storage.accessLogsBucket)].Properties.LifecycleConfiguration,
      ).toEqual({ Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365, Status: 'Enabled' }] });
    });

    it('only S3 log delivery for the archive bucket of this account may write, under archive-bucket/', () => {
      // Prepare
      const policy = Object.values(
        template.findResources('AWS::S3::BucketPolicy', {
          Properties: { Bucket: { Ref: id(stack.storage.accessLogsBucket) } },
        }),
      );

      // Act
      const allows = (
        policy[0]?.Properties.PolicyDocument.Statement as { Effect: string }[] | undefined
      )?.filter((statement) => statement.Effect === 'Allow');

      // Assess
      expect(policy).toHaveLength(1);
      expect(allows).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: {
            'Fn::Join': ['', [getAtt(stack.storage.accessLogsBucket, 'Arn'), '/archive-bucket/*']],
          },
          Condition: {
            ArnLike: { 'aws:SourceArn': getAtt(stack.storage.bucket, 'Arn') },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ]);
    });

    it('the access-log bucket denies requests without TLS', () => {
      // Assess
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id(stack.storage.accessLogsBucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('tables', () => {
    const retained = {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    };

    it('ledger table: pk "pk" + sk "sk" (strings), TTL "expiresAt", on demand, PITR, retained', () => {
      // Assess
      template.hasResource('AWS::DynamoDB::Table', {
        ...retained,
        Properties: Match.objectLike({
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      });
    });
  });

  describe('queues', () => {
    it('events queue: SQS-managed SSE, 14-day retention, redrive to the DLQ after 10 receives', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(stack.events.deadLetterQueue, 'Arn'),
          maxReceiveCount: 10,
        },
      });
    });

    it('events queue: visibility timeout is 6 × the worker timeout', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const workerTimeout = resources[id(stack.worker.function)].Properties.Timeout as number;

      // Assess
      expect(resources[id(stack.events.queue)].Properties.VisibilityTimeout).toBe(6 * workerTimeout);
      expect(workerTimeout).toBe(60);
    });

    it('dead-letter queue: SQS-managed SSE and 14-day retention', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.events.deadLetterQueue)].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    });

    it('archive queue: SQS-managed SSE, 14-day retention, redrive to the archive DLQ after 5 receives', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.archiveQueue.queue)].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        VisibilityTimeout: 6 * 900,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(stack.archiveQueue.deadLetterQueue, 'Arn'),
          maxReceiveCount: 5,
        },
      });
    });

    it('archive queue: visibility timeout is 6 × the archive timeout', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const archiveTimeout = resources[id(stack.archive.function)].Properties.Timeout as number;

      // Assess
      expect(resources[id(stack.archiveQueue.queue)].Properties.VisibilityTimeout).toBe(6 * archiveTimeout);
      expect(archiveTimeout).toBe(900);
    });

    it('archive dead-letter queue: SQS-managed SSE and 14-day retention', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.archiveQueue.deadLetterQueue)].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    });

    it.each([
      ['events', 'queue'],
      ['events', 'deadLetterQueue'],
      ['archiveQueue', 'queue'],
      ['archiveQueue', 'deadLetterQueue'],
    ] as const)('%s.%s denies requests without TLS', (owner, queue) => {
      // Assess
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id(stack[owner][queue]) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('secrets', () => {
    it('creates the webhook secret with an empty, well-shaped JSON value', () => {
      // Prepare
      const secret = template.toJSON().Resources[id(stack.secrets.webhook)];

      // Assess
      expect(JSON.parse(secret.Properties.SecretString)).toEqual({
        round0SigningSecrets: [],
        micro1Tokens: [],
      });
    });

    it('creates the integration secret with a generated pseudonymKey and no credentials, none in the template', () => {
      // Prepare
      const secret = template.toJSON().Resources[id(stack.secrets.integration)];

      // Assess
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toEqual({
        SecretStringTemplate: '{}',
        GenerateStringKey: 'pseudonymKey',
        PasswordLength: 64,
        ExcludePunctuation: true,
      });
    });
  });

  describe('functions', () => {
    it.each([
      ['ingest', 512, 10],
      ['worker', 1024, 60],
      ['archive', 2048, 900],
    ] as const)(
      '%s: nodejs22.x on arm64, %i MB, %i s, active tracing, ESM handler',
      (name, memory, timeout) => {
        // Prepare
        const fn = stack[name].function;

        // Assess
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: Match.absent(),
          Role: getAtt(fn.role as NonNullable<typeof fn.role>, 'Arn'),
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: memory,
          Timeout: timeout,
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
        });
      },
    );

    it.each(['ingest', 'worker', 'archive'] as const)(
      '%s logs to its own log group kept one month',
      (name) => {
        // Prepare
        const resources = template.toJSON().Resources;
        const logGroupRef = resources[id(stack[name].function)].Properties.LoggingConfig.LogGroup
          .Ref as string;

        // Assess
        expect(resources[logGroupRef]).toMatchObject({
          Type: 'AWS::Logs::LogGroup',
          Properties: { RetentionInDays: 30 },
        });
      },
    );

    it('ingest: environment is exactly the queue, bucket, webhook secret and limits', () => {
      // Assess
      expect(environmentOf(stack, template, stack.ingest.function)).toEqual({
        QUEUE_URL: { Ref: id(stack.events.queue) },
        BUCKET_NAME: { Ref: id(stack.storage.bucket) },
        WEBHOOK_SECRETS_ARN: { Ref: id(stack.secrets.webhook) },
        MAX_BODY_BYTES: String(5 * 1024 * 1024),
        SQS_MAX_MESSAGE_BYTES: String(256 * 1024),
        SIGNATURE_TOLERANCE_SECONDS: '300',
        POWERTOOLS_SERVICE_NAME: 'interview-sync-ingest',
        POWERTOOLS_METRICS_NAMESPACE: 'InterviewSync',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('worker: environment has the tables, bucket, integration secret and documented defaults', () => {
      // Assess
      expect(environmentOf(stack, template, stack.worker.function)).toEqual({
        LEDGER_TABLE_NAME: { Ref: id(stack.storage.ledgerTable) },
        BUCKET_NAME: { Ref: id(stack.storage.bucket) },
        INTEGRATION_SECRETS_ARN: { Ref: id(stack.secrets.integration) },
        LEDGER_RETENTION_SECONDS: String(180 * 24 * 3600),
        CLAIM_LEASE_SECONDS: '120',
        ATS_ADAPTER: 'log',
        ATS_CONFIG: '{"path":"stdout"}',
        ROUND0_API_BASE_URL: 'https://rz-app-omega.vercel.app',
        MICRO1_API_BASE_URL: 'https://public.api.micro1.ai',
        SLACK_NOTIFICATIONS: 'false',
        DEAD_LETTER_QUEUE_URL: { Ref: id(stack.events.deadLetterQueue) },
        QUEUE_URL: { Ref: id(stack.events.queue) },
        ARCHIVE_QUEUE_URL: { Ref: id(stack.archiveQueue.queue) },
        POWERTOOLS_SERVICE_NAME: 'interview-sync-worker',
        POWERTOOLS_METRICS_NAMESPACE: 'InterviewSync',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('worker: consumes the events queue in batches of 10, 1 s window, at most 5 at once, partial failures', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(stack.events.queue, 'Arn'),
        FunctionName: { Ref: id(stack.worker.function) },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 5 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('archive: environment has the table, bucket, queues, integration secret and documented defaults', () => {
      // Assess
      expect(environmentOf(stack, template, stack.archive.function)).toEqual({
        LEDGER_TABLE_NAME: { Ref: id(stack.storage.ledgerTable) },
        BUCKET_NAME: { Ref: id(stack.storage.bucket) },
        QUEUE_URL: { Ref: id(stack.events.queue) },
        ARCHIVE_DEAD_LETTER_QUEUE_URL: { Ref: id(stack.archiveQueue.deadLetterQueue) },
        INTEGRATION_SECRETS_ARN: { Ref: id(stack.secrets.integration) },
        ROUND0_API_BASE_URL: 'https://rz-app-omega.vercel.app',
        ARCHIVE_MEDIA_HOSTS: '{"micro1":["micro1.ai","*.micro1.ai"],"round0":[]}',
        ARCHIVE_VARIANTS: 'highest',
        POWERTOOLS_SERVICE_NAME: 'interview-sync-archive',
        POWERTOOLS_METRICS_NAMESPACE: 'InterviewSync',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('archive: consumes the archive queue one asset at a time, at most 4 at once, partial failures', () => {
      // Assess
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: getAtt(stack.archiveQueue.queue, 'Arn') },
      });
      expect(Object.values(mappings).map((mapping) => mapping.Properties)).toEqual([
        {
          EventSourceArn: getAtt(stack.archiveQueue.queue, 'Arn'),
          FunctionName: { Ref: id(stack.archive.function) },
          BatchSize: 1,
          ScalingConfig: { MaximumConcurrency: 4 },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      ]);
    });
  });

  describe('HTTP API', () => {
    it.each(['POST /webhooks/round0', 'POST /webhooks/micro1/{token}'])(
      'routes %s to the ingest Lambda',
      (routeKey) => {
        // Assess
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          ApiId: { Ref: id(stack.ingest.api) },
          RouteKey: routeKey,
          AuthorizationType: 'NONE',
          Target: Match.anyValue(),
        });
      },
    );

    it('integrates the ingest Lambda with payload format 2.0', () => {
      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: getAtt(stack.ingest.function, 'Arn'),
        PayloadFormatVersion: '2.0',
      });
    });

    it('has no catch-all route', () => {
      // Assess
      const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (route) => route.Properties.RouteKey,
      );
      expect(routeKeys).not.toContain('$default');
    });

    it('throttles every route of the $default stage to 100 rps with bursts of 200', () => {
      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: id(stack.ingest.api) },
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      });
    });

    it('writes JSON access logs with the route key, never the path (the micro1 path holds the token)', () => {
      // Prepare
      const stage = template.toJSON().Resources[id(stack.ingest.stage)];
      const { DestinationArn, Format } = stage.Properties.AccessLogSettings;

      // Assess
      expect(DestinationArn).toEqual(getAtt(stack.ingest.accessLogGroup, 'Arn'));
      const fields = JSON.parse(Format) as Record<string, string>;
      expect(fields).toMatchObject({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
        responseLength: '$context.responseLength',
      });
      expect(Format).not.toMatch(/path/i);
    });

    it('keeps access logs one month', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.ingest.accessLogGroup)].Properties).toEqual({
        RetentionInDays: 30,
      });
    });
  });

  describe('alarms', () => {
    it('alarms as soon as one message is visible in the DLQ', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.events.deadLetterQueue, 'QueueName') }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        Statistic: 'Maximum',
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms as soon as one message is visible in the archive DLQ', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.archiveQueue.deadLetterQueue, 'QueueName') }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        Statistic: 'Maximum',
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms when the oldest archive task is older than 3 hours', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.archiveQueue.queue, 'QueueName') }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 3 * 3600,
        Statistic: 'Maximum',
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms when the oldest queued event is older than 30 minutes', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.events.queue, 'QueueName') }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 30 * 60,
        Statistic: 'Maximum',
      });
    });
  });

  describe('dashboard', () => {
    it('graphs the API, the three functions, the queues and every metric the handlers emit', () => {
      // Prepare
      const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(Object.values(dashboards)[0]?.Properties?.DashboardBody);

      // Assess
      expect(Object.keys(dashboards)).toHaveLength(1);
      for (const name of [...ingestMetricNames, ...workerMetricNames, ...archiveMetricNames])
        expect(body).toContain(`\\"${name}\\"`);
      expect(body).toContain('InterviewSync');
      expect(body).toContain('interview-sync-ingest');
      expect(body).toContain('interview-sync-worker');
      expect(body).toContain('interview-sync-archive');
      for (const construct of [
        stack.archive.function,
        stack.archiveQueue.queue,
        stack.archiveQueue.deadLetterQueue,
      ]) {
        expect(body).toContain(id(construct));
      }
      for (const metric of [
        'ApproximateAgeOfOldestMessage',
        'ApproximateNumberOfMessagesVisible',
        '5xx',
        'Latency',
        'Throttles',
      ]) {
        expect(body).toContain(metric);
      }
      for (const alarm of [
        stack.events.deadLetterAlarm,
        stack.events.oldestMessageAgeAlarm,
        stack.archiveQueue.deadLetterAlarm,
        stack.archiveQueue.oldestMessageAgeAlarm,
      ]) {
        expect(body).toContain(id(alarm));
      }
    });

    it('lists the metric names the handlers really emit', async () => {
      // Prepare: the handlers' source is the truth for the names
      const { readFile } = await import('node:fs/promises');
      const source = (file: string) => readFile(new URL(`../../functions/${file}`, import.meta.url), 'utf8');
      const [ingest, worker, archive] = await Promise.all([
        source('ingest.ts'),
        source('worker.ts'),
        source('archive.ts'),
      ]);

      // Assess
      for (const name of ingestMetricNames) expect(ingest).toContain(`'${name}'`);
      for (const name of workerMetricNames) expect(worker).toContain(`'${name}'`);
      for (const name of archiveMetricNames) expect(archive).toContain(`'${name}'`);
    });
  });

  describe('outputs', () => {
    const outputValue = (name: string): string => JSON.stringify(template.findOutputs(name)[name]?.Value);

    it('outputs the ROUND0 webhook URL', () => {
      // Assess
      expect(outputValue('Round0WebhookUrl')).toContain(id(stack.ingest.api));
      expect(outputValue('Round0WebhookUrl')).toMatch(/\/webhooks\/round0"/);
    });

    it('outputs the micro1 webhook URL base and says the token must be appended', () => {
      // Assess
      expect(outputValue('Micro1WebhookUrl')).toMatch(/\/webhooks\/micro1"/);
      template.hasOutput('Micro1WebhookUrl', { Description: Match.stringLikeRegexp('append /\\{token\\}') });
    });

    it.each([
      ['WebhookSecretsArn', 'webhook'],
      ['IntegrationSecretsArn', 'integration'],
    ] as const)('outputs %s for operators to fill in', (name, secret) => {
      // Assess
      template.hasOutput(name, { Value: { Ref: id(stack.secrets[secret]) } });
    });

    it('outputs what `npm run ops` needs: ledger table, events queue and bucket', () => {
      // Assess
      template.hasOutput('LedgerTableName', { Value: { Ref: id(stack.storage.ledgerTable) } });
      template.hasOutput('EventsQueueUrl', { Value: { Ref: id(stack.events.queue) } });
      template.hasOutput('BucketName', { Value: { Ref: id(stack.storage.bucket) } });
    });

    it('outputs the archive DLQ for operators to inspect and redrive', () => {
      // Assess
      template.hasOutput('ArchiveDeadLetterQueueUrl', {
        Value: { Ref: id(stack.archiveQueue.deadLetterQueue) },
      });
    });

    it('outputs where the bucket access logs go', () => {
      // Assess
      template.hasOutput('AccessLogsBucketName', { Value: { Ref: id(stack.storage.accessLogsBucket) } });
    });
  });
});
