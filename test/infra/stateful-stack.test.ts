/**
 * The stateful stack's resources and every documented default, asserted on one in-process synth of a stage
 * (not `dev`) with an empty configuration. Expected values are written out literally (not read back from
 * `lib/`), so a drifting default fails here.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';
import { logicalIdOf, synthesizeStage } from './synth.js';

describe('stateful stack with the default configuration', () => {
  let stack: InterviewSyncStatefulStack;
  let stateless: InterviewSyncStatelessStack;
  let template: Template;
  let statelessTemplate: Template;
  const id = (construct: Parameters<typeof logicalIdOf>[1]): string => logicalIdOf(stack, construct);
  const getAtt = (construct: Parameters<typeof logicalIdOf>[1], attribute: string) => ({
    'Fn::GetAtt': [id(construct), attribute],
  });

  /** A resource's properties without the stage's tags. */
  const untagged = (construct: Parameters<typeof logicalIdOf>[1]): Record<string, unknown> => {
    const { Tags: _tags, ...properties } = template.toJSON().Resources[id(construct)].Properties;
    return properties;
  };

  beforeAll(() => {
    // Prepare & Act
    ({ stateful: stack, stateless, statefulTemplate: template, statelessTemplate } = synthesizeStage());
  });

  it('holds the data and identity of the stage, and nothing that runs code', () => {
    // Assess
    expect(stack.stackName).toBe('InterviewSync-test-Stateful');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    // Retained: no auto-delete custom resource (its provider would be the only function here).
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });

  it('tags every taggable resource with the project and the stage', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: [
        { Key: 'project', Value: 'interview-sync' },
        { Key: 'stage', Value: 'test' },
      ],
    });
  });

  it('is termination-protected', () => {
    // Assess
    expect(stack.terminationProtection).toBe(true);
  });

  it('retains every resource that holds data: table, both buckets, all four queues, the three secrets', () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }
    >;
    const stateful = Object.entries(resources).filter(([, resource]) =>
      ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret'].includes(
        resource.Type,
      ),
    );

    // Assess
    expect(stateful).toHaveLength(10);
    for (const [logicalId, resource] of stateful) {
      expect({ logicalId, deletion: resource.DeletionPolicy, replace: resource.UpdateReplacePolicy }).toEqual(
        {
          logicalId,
          deletion: 'Retain',
          replace: 'Retain',
        },
      );
    }
  });

  it('keeps the TLS-only policies of the retained buckets and queues with them when the stack goes', () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string }
    >;
    const policies = Object.entries(resources).filter(([, resource]) =>
      ['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy'].includes(resource.Type),
    );

    // Assess: both buckets' and all four queues' policies
    expect(policies).toHaveLength(6);
    expect(policies.map(([logicalId, resource]) => [logicalId, resource.DeletionPolicy])).toEqual(
      policies.map(([logicalId]) => [logicalId, 'Retain']),
    );
  });

  it('keeps the logical ids of the former single stack (so its retained resources can be imported)', () => {
    // Assess
    expect({
      table: id(stack.storage.ledgerTable),
      bucket: id(stack.storage.bucket),
      accessLogs: id(stack.storage.accessLogsBucket),
      events: id(stack.events.queue),
      eventsDlq: id(stack.events.deadLetterQueue),
      archive: id(stack.archive.queue),
      archiveDlq: id(stack.archive.deadLetterQueue),
      webhook: id(stack.secrets.webhook),
      integration: id(stack.secrets.integration),
    }).toEqual({
      table: expect.stringMatching(/^StorageLedgerTable[0-9A-F]{8}$/),
      bucket: expect.stringMatching(/^StorageBucket[0-9A-F]{8}$/),
      accessLogs: expect.stringMatching(/^StorageAccessLogsBucket[0-9A-F]{8}$/),
      events: expect.stringMatching(/^EventsQueue[0-9A-F]{8}$/),
      eventsDlq: expect.stringMatching(/^EventsDeadLetterQueue[0-9A-F]{8}$/),
      archive: expect.stringMatching(/^ArchiveQueue[0-9A-F]{8}$/),
      archiveDlq: expect.stringMatching(/^ArchiveQueueDeadLetterQueue[0-9A-F]{8}$/),
      webhook: expect.stringMatching(/^SecretsWebhookSecrets[0-9A-F]{8}$/),
      integration: expect.stringMatching(/^SecretsIntegrationSecrets[0-9A-F]{8}$/),
    });
  });

  describe('bucket', () => {
    it('blocks public access, encrypts, versions and is retained', () => {
      // Assess: this bucket by its own id (the access-log bucket shares most of these settings, and a check
      // that some bucket has them passed on that one alone: an archive bucket unversioned or with ACLs on
      // passed here)
      expect(template.toJSON().Resources[id(stack.storage.bucket)]).toMatchObject({
        Properties: {
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
          // ACLs off: no object ACL can grant another account access
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        },
        DeletionPolicy: 'Retain',
      });
    });

    it('expires claim checks after 30 days and aborts stale multipart uploads', () => {
      // Assess
      expect(untagged(stack.storage.bucket)).toMatchObject({
        LifecycleConfiguration: {
          Rules: expect.arrayContaining([
            expect.objectContaining({ Prefix: 'claim-checks/', ExpirationInDays: 30, Status: 'Enabled' }),
            expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          ]),
        },
      });
    });

    it('expires raw events (raw/) after 30 days, their noncurrent versions a day later', () => {
      // Prepare
      const rules = template.toJSON().Resources[id(stack.storage.bucket)].Properties.LifecycleConfiguration
        .Rules as { Id: string }[];

      // Assess
      expect(rules.find((rule) => rule.Id === 'expire-raw-events')).toEqual({
        Id: 'expire-raw-events',
        Prefix: 'raw/',
        Status: 'Enabled',
        ExpirationInDays: 30,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      });
    });

    it('moves archived interview media (interviews/) to Glacier Instant Retrieval after 90 days, never expires it, and its noncurrent versions after 30 days', () => {
      // Prepare
      const rules = template.toJSON().Resources[id(stack.storage.bucket)].Properties.LifecycleConfiguration
        .Rules as { Id: string }[];

      // Assess
      expect(rules.find((rule) => rule.Id === 'archive-to-glacier-instant-retrieval')).toEqual({
        Id: 'archive-to-glacier-instant-retrieval',
        Prefix: 'interviews/',
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      });
      expect(rules.map((rule) => rule.Id)).toEqual([
        'expire-claim-checks',
        'expire-raw-events',
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

    it('the access-log bucket expires logs after 365 days, their noncurrent versions a day later, and has no other lifecycle rule', () => {
      // Assess
      expect(
        template.toJSON().Resources[id(stack.storage.accessLogsBucket)].Properties.LifecycleConfiguration,
      ).toEqual({
        Rules: [
          {
            Id: 'expire-access-logs',
            ExpirationInDays: 365,
            // Noncurrent days count from the expiration: 365 here kept a record 730 days.
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            Status: 'Enabled',
          },
          { Id: 'remove-expired-delete-markers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
        ],
      });
    });

    it('the access-log bucket keeps every version; no one may delete one, nor anyone but an AWS service overwrite or delete a record', () => {
      // Prepare
      const statements = Object.values(
        template.findResources('AWS::S3::BucketPolicy', {
          Properties: { Bucket: { Ref: id(stack.storage.accessLogsBucket) } },
        }),
      )[0]?.Properties.PolicyDocument.Statement as { Sid?: string }[];

      // Assess
      expect(
        template.toJSON().Resources[id(stack.storage.accessLogsBucket)].Properties.VersioningConfiguration,
      ).toEqual({ Status: 'Enabled' });
      const objects = { 'Fn::Join': ['', [getAtt(stack.storage.accessLogsBucket, 'Arn'), '/*']] };
      expect(statements.filter((statement) => statement.Sid?.endsWith('AccessLogs'))).toEqual([
        {
          Sid: 'DenyErasingAccessLogs',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:DeleteObjectVersion',
          Resource: objects,
        },
        {
          Sid: 'DenyOverwritingAccessLogs',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['s3:DeleteObject', 's3:PutObject'],
          Resource: objects,
          Condition: { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
        },
      ]);
    });

    it('keeps the access-log bucket’s policy when the stack is deleted or replaces it (the deny goes with it otherwise)', () => {
      // Assess
      template.hasResource('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: id(stack.storage.accessLogsBucket) } },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
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
          // RETAIN covers the stack; a stray DeleteTable would lose what makes the effects exactly-once
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      });
    });
  });

  describe('queues', () => {
    it('events queue: SQS-managed SSE, 14-day retention, 256 KiB messages, redrive to the DLQ after 10 receives', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        MaximumMessageSize: 256 * 1024,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(stack.events.deadLetterQueue, 'Arn'),
          maxReceiveCount: 10,
        },
      });
    });

    it('events queue: visibility timeout is 6 × the worker timeout plus its batching window', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const workerTimeout = statelessTemplate.toJSON().Resources[
        logicalIdOf(stateless, stateless.worker.function)
      ].Properties.Timeout as number;
      const windows = Object.values(statelessTemplate.findResources('AWS::Lambda::EventSourceMapping')).map(
        (mapping) => (mapping.Properties.MaximumBatchingWindowInSeconds ?? 0) as number,
      );
      const batchingWindow = Math.max(...windows);

      // Assess: AWS's guidance for SQS event sources
      expect(resources[id(stack.events.queue)].Properties.VisibilityTimeout).toBe(
        6 * workerTimeout + batchingWindow,
      );
      expect(workerTimeout).toBe(60);
      expect(batchingWindow).toBe(1);
    });

    it('dead-letter queue: SQS-managed SSE and 14-day retention, 1 MiB messages (room for the failure attributes)', () => {
      // Assess
      expect(untagged(stack.events.deadLetterQueue)).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        MaximumMessageSize: 1024 * 1024,
      });
    });

    it('archive queue: SQS-managed SSE, 14-day retention, redrive to the archive DLQ after 5 receives', () => {
      // Assess
      expect(untagged(stack.archive.queue)).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        VisibilityTimeout: 6 * 900,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(stack.archive.deadLetterQueue, 'Arn'),
          maxReceiveCount: 5,
        },
      });
    });

    it('archive queue: visibility timeout is 6 × the archive timeout', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const archiveTimeout = statelessTemplate.toJSON().Resources[
        logicalIdOf(stateless, stateless.archive.function)
      ].Properties.Timeout as number;

      // Assess
      expect(resources[id(stack.archive.queue)].Properties.VisibilityTimeout).toBe(6 * archiveTimeout);
      expect(archiveTimeout).toBe(900);
    });

    it('archive dead-letter queue: SQS-managed SSE and 14-day retention, 1 MiB messages (room for the failure attributes)', () => {
      // Assess
      expect(untagged(stack.archive.deadLetterQueue)).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        MaximumMessageSize: 1024 * 1024,
      });
    });

    it.each([
      ['events', 'queue'],
      ['events', 'deadLetterQueue'],
      ['archive', 'queue'],
      ['archive', 'deadLetterQueue'],
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

  // These values must never change for a deployed stage (lib/constructs/secrets.ts says why): a changed
  // one overwrites or regenerates the live secret on the next deploy.
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
      // Its description too: the vendor API keys moved out, but a deployed secret is left as it is.
      expect(secret.Properties.Description).toBe(
        'interview-sync integration secrets: { pseudonymKey, round0ApiKey?, micro1ApiKey?, ats?: {...}, slackWebhookUrl? }',
      );
    });

    it('creates the vendor API secret with an empty JSON object: no key, nothing secret in the template', () => {
      // Prepare
      const secret = template.toJSON().Resources[id(stack.secrets.vendorApi)];

      // Assess
      expect(JSON.parse(secret.Properties.SecretString)).toEqual({});
      expect(secret.Properties.GenerateSecretString).toBeUndefined();
    });
  });

  describe('outputs', () => {
    it.each([
      ['LedgerTableName', 'storage', 'ledgerTable'],
      ['BucketName', 'storage', 'bucket'],
      ['AccessLogsBucketName', 'storage', 'accessLogsBucket'],
      ['EventsQueueUrl', 'events', 'queue'],
      ['DeadLetterQueueUrl', 'events', 'deadLetterQueue'],
      ['ArchiveQueueUrl', 'archive', 'queue'],
      ['ArchiveDeadLetterQueueUrl', 'archive', 'deadLetterQueue'],
      ['WebhookSecretsArn', 'secrets', 'webhook'],
      ['IntegrationSecretsArn', 'secrets', 'integration'],
      ['VendorApiSecretsArn', 'secrets', 'vendorApi'],
    ] as const)('outputs %s for npm run ops', (name, owner, member) => {
      // Prepare
      const construct = (stack[owner] as unknown as Record<string, Parameters<typeof logicalIdOf>[1]>)[
        member
      ];
      if (construct === undefined) throw new Error(`no ${owner}.${member}`);

      // Assess
      template.hasOutput(name, { Value: { Ref: id(construct) }, Description: Match.stringLikeRegexp('.') });
    });
  });
});
