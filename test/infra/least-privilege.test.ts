/**
 * What each Lambda's execution role may do. The ingest Lambda faces the internet, so it may only enqueue,
 * write claim checks and read the webhook secret; the worker must never see the webhook secret.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { InterviewSyncStack } from '../../lib/interview-sync-stack.js';
import {
  environmentOf,
  logicalIdOf,
  type Statement,
  statementsOfFunctionRole,
  synthesizeStack,
} from './synth.js';

describe('least privilege of the Lambda roles', () => {
  let stack: InterviewSyncStack;
  let template: Template;
  let ingest: Statement[];
  let worker: Statement[];
  const id = (construct: Parameters<typeof logicalIdOf>[1]): string => logicalIdOf(stack, construct);
  const actionsOf = (statements: Statement[]): string[] =>
    [...new Set(statements.flatMap((s) => s.actions))].sort();
  const withActionPrefix = (statements: Statement[], prefix: string): Statement[] =>
    statements.filter((s) => s.actions.some((action) => action.startsWith(prefix)));
  /** A resource (ARN or intrinsic) as a string that can be compared and searched. */
  const describeResource = (resource: unknown): string => JSON.stringify(resource);

  beforeAll(() => {
    // Prepare & Act
    ({ stack, template } = synthesizeStack());
    ingest = statementsOfFunctionRole(stack, template, stack.ingest.function);
    worker = statementsOfFunctionRole(stack, template, stack.worker.function);
  });

  it('grants only Allow statements', () => {
    // Assess
    expect([...ingest, ...worker].every((s) => s.effect === 'Allow')).toBe(true);
  });

  describe('ingest', () => {
    it('may only send to SQS, put S3 objects, read a secret and write traces', () => {
      // Assess
      expect(actionsOf(ingest)).toEqual(
        [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          's3:PutObject',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:SendMessage',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
    });

    it('has no DynamoDB action', () => {
      // Assess
      expect(actionsOf(ingest).filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
    });

    it('sends only to the events queue, not the DLQ', () => {
      // Assess
      const resources = withActionPrefix(ingest, 'sqs:').flatMap((s) => s.resources);
      expect(resources).toEqual([{ 'Fn::GetAtt': [id(stack.events.queue), 'Arn'] }]);
    });

    it('puts objects under claim-checks/ only', () => {
      // Assess
      const resources = withActionPrefix(ingest, 's3:').flatMap((s) => s.resources);
      expect(resources).toEqual([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(stack.storage.bucket), 'Arn'] }, '/claim-checks/*']] },
      ]);
    });

    it('reads the webhook secret and no other', () => {
      // Assess
      const resources = withActionPrefix(ingest, 'secretsmanager:').flatMap((s) => s.resources);
      expect(resources).toEqual([{ Ref: id(stack.secrets.webhook) }]);
    });

    it('does not know the integration secret', () => {
      // Assess
      const integrationId = id(stack.secrets.integration);
      expect(JSON.stringify(ingest)).not.toContain(integrationId);
      expect(JSON.stringify(environmentOf(stack, template, stack.ingest.function))).not.toContain(
        integrationId,
      );
    });
  });

  describe('worker', () => {
    it('cannot read the webhook secret, nor is it told where it is', () => {
      // Assess
      const webhookId = id(stack.secrets.webhook);
      expect(JSON.stringify(worker)).not.toContain(webhookId);
      expect(JSON.stringify(environmentOf(stack, template, stack.worker.function))).not.toContain(webhookId);
    });

    it('reads the integration secret and no other', () => {
      // Assess
      const resources = withActionPrefix(worker, 'secretsmanager:').flatMap((s) => s.resources);
      expect(resources).toEqual([{ Ref: id(stack.secrets.integration) }]);
    });

    it('reads and writes both tables and no other DynamoDB resource', () => {
      // Prepare
      const dynamodb = withActionPrefix(worker, 'dynamodb:');
      const tableArns = [stack.storage.idempotencyTable, stack.storage.ledgerTable].map((table) =>
        describeResource({ 'Fn::GetAtt': [id(table), 'Arn'] }),
      );

      // Assess
      const resources = new Set(dynamodb.flatMap((s) => s.resources.map(describeResource)));
      expect([...resources].sort()).toEqual([...tableArns].sort());
      for (const tableArn of tableArns) {
        const onTable = dynamodb.filter((s) => s.resources.map(describeResource).includes(tableArn));
        expect(actionsOf(onTable)).toEqual(
          expect.arrayContaining([
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:Query',
          ]),
        );
      }
    });

    it('reads claim checks, reads and uploads recordings, lists the bucket: no other S3 action', () => {
      // Prepare
      const bucketArn = { 'Fn::GetAtt': [id(stack.storage.bucket), 'Arn'] };
      const objects = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] });

      // Act
      const grants = withActionPrefix(worker, 's3:').flatMap((s) =>
        s.resources.map((resource) => ({ resource, actions: [...s.actions].sort() })),
      );

      // Assess
      expect(grants).toHaveLength(3);
      expect(grants).toEqual(
        expect.arrayContaining([
          { resource: objects('claim-checks/'), actions: ['s3:GetObject'] },
          {
            resource: objects('recordings/'),
            actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          },
          { resource: bucketArn, actions: ['s3:ListBucket'] },
        ]),
      );
    });

    it('consumes the events queue and sends only to the dead-letter queue', () => {
      // Assess
      expect(actionsOf(worker)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
      const senders = withActionPrefix(worker, 'sqs:').filter((s) => s.actions.includes('sqs:SendMessage'));
      expect(senders.flatMap((s) => s.resources)).toEqual([
        { 'Fn::GetAtt': [id(stack.events.deadLetterQueue), 'Arn'] },
      ]);
      const consumers = withActionPrefix(worker, 'sqs:').filter((s) =>
        s.actions.includes('sqs:ReceiveMessage'),
      );
      expect(consumers.flatMap((s) => s.resources)).toEqual([
        { 'Fn::GetAtt': [id(stack.events.queue), 'Arn'] },
      ]);
    });
  });

  it.each(['ingest', 'worker'] as const)('%s role has only the basic Lambda managed policy', (name) => {
    // Prepare
    const role = stack[name].function.role;
    if (role === undefined) throw new Error('function has no role');

    // Assess
    const managed = template.toJSON().Resources[id(role)].Properties.ManagedPolicyArns;
    expect(JSON.stringify(managed)).toContain('service-role/AWSLambdaBasicExecutionRole');
    expect(managed).toHaveLength(1);
  });
});
