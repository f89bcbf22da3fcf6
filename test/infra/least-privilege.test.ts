/**
 * What each Lambda's execution role may do, asserted exactly: for every resource (and condition) a role's
 * policies name, the whole set of actions on it. The expected tables below are written out by hand, not
 * read from `lib/permissions.ts`, so any new grant (a row added there, or a CDK `grant*` helper anywhere)
 * fails this test until it is added here too.
 */

import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { envNames } from '../../functions/platform/env.js';
import type { ObjectToPut } from '../../functions/platform/object-put.js';
import { EventQueue } from '../../functions/queue/event-queue.js';
import { rawEventKey } from '../../functions/queue/raw-events.js';
import type { InterviewEvent } from '../../functions/vendors/envelope.js';
import { ServiceFunction } from '../../lib/constructs/service-function.js';
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';
import {
  environmentOf,
  logicalIdOf,
  renderedIn,
  type Statement,
  statementsOfFunctionRole,
  synthesizeStage,
} from './synth.js';

/** The actions a role has on one resource, under one condition block (or none). */
interface ResourceGrant {
  readonly resource: unknown;
  readonly conditions?: unknown;
  readonly actions: readonly string[];
}

const keyOf = (grant: Pick<ResourceGrant, 'resource' | 'conditions'>): string =>
  JSON.stringify([grant.resource, grant.conditions ?? null]);

const sortGrants = (grants: ResourceGrant[]): ResourceGrant[] =>
  grants
    .map((grant) => ({ ...grant, actions: [...grant.actions].sort() }))
    .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

/** Statements regrouped per (resource, condition), so the shape CDK merged them into does not matter. */
const grantsOf = (statements: readonly Statement[]): ResourceGrant[] => {
  const byResource = new Map<string, { resource: unknown; conditions?: unknown; actions: Set<string> }>();
  for (const statement of statements) {
    for (const resource of statement.resources) {
      const key = keyOf({ resource, conditions: statement.conditions });
      const entry = byResource.get(key) ?? {
        resource,
        ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
        actions: new Set<string>(),
      };
      for (const action of statement.actions) entry.actions.add(action);
      byResource.set(key, entry);
    }
  }
  return sortGrants([...byResource.values()].map((entry) => ({ ...entry, actions: [...entry.actions] })));
};

/** A minimal envelope whose payload is larger than `bytes`. */
const largeEvent = (bytes: number): InterviewEvent => ({
  schemaVersion: 1,
  vendor: 'round0',
  type: 'interview_ended',
  known: true,
  dedupeKey: 'round0:evt_large',
  receivedAt: '2025-01-02T03:04:05.000Z',
  candidate: {},
  payload: { transcript: 'x'.repeat(bytes) },
});

describe('least privilege of the Lambda roles', () => {
  let stack: InterviewSyncStatelessStack;
  let state: InterviewSyncStatefulStack;
  let template: Template;
  let ingest: Statement[];
  let worker: Statement[];
  let archive: Statement[];
  /** A stateful resource's attribute as the stateless template renders it (an import of the export). */
  const ref = (token: string) => renderedIn(stack, token);
  const arnOf = (resource: { queueArn: string } | { tableArn: string } | { bucketArn: string }) =>
    ref(
      'queueArn' in resource
        ? resource.queueArn
        : 'tableArn' in resource
          ? resource.tableArn
          : resource.bucketArn,
    );
  const objectsOf = (bucket: { bucketArn: string }, pattern: string) => ({
    'Fn::Join': ['', [ref(bucket.bucketArn), `/${pattern}`]],
  });
  const secretOf = (secret: { secretArn: string }) => ref(secret.secretArn);
  /** Logical ids: a stateful one also appears in the names of its exports, so it finds imports too. */
  const statefulId = (construct: Parameters<typeof logicalIdOf>[1]) => logicalIdOf(state, construct);
  const id = (construct: Parameters<typeof logicalIdOf>[1]) => logicalIdOf(stack, construct);
  const grant = (resource: unknown, actions: string[], conditions?: unknown): ResourceGrant => ({
    resource,
    ...(conditions === undefined ? {} : { conditions }),
    actions,
  });
  /** Writing its own log group's streams (the group is the stack's: no CreateLogGroup, no other group). */
  const ownLogs = (fn: { logGroup: { logGroupArn: string } }) =>
    grant(ref(fn.logGroup.logGroupArn), ['logs:CreateLogStream', 'logs:PutLogEvents']);
  /** Active tracing: CDK grants these on `*` (X-Ray has no resource-level permissions). */
  const xray = () => grant('*', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

  beforeAll(() => {
    // Prepare & Act
    ({ stateless: stack, stateful: state, statelessTemplate: template } = synthesizeStage());
    ingest = statementsOfFunctionRole(stack, template, stack.ingest.function);
    worker = statementsOfFunctionRole(stack, template, stack.worker.function);
    archive = statementsOfFunctionRole(stack, template, stack.archive.function);
  });

  it('grants only Allow statements of Action and Resource (no NotAction, NotResource or Principal)', () => {
    // Assess
    for (const statement of [...ingest, ...worker, ...archive]) {
      expect({ effect: statement.effect, otherKeys: statement.otherKeys }).toEqual({
        effect: 'Allow',
        otherKeys: [],
      });
    }
  });

  describe('ingest', () => {
    it('has exactly: its own log streams, send to the events queue, put claim checks, read the webhook secret (no raw events, no traces: tracing is off by default)', () => {
      // Prepare
      const expected = [
        ownLogs(stack.ingest.function),
        grant(arnOf(state.events.queue), ['sqs:SendMessage']),
        grant(objectsOf(state.storage.bucket, 'claim-checks/*'), ['s3:PutObject']),
        grant(secretOf(state.secrets.webhook), ['secretsmanager:GetSecretValue']),
      ];

      // Act
      const actual = grantsOf(ingest);

      // Assess
      expect(actual).toEqual(sortGrants(expected));
    });

    it('does not know the integration secret', () => {
      // Assess
      const integrationId = statefulId(state.secrets.integration);
      expect(JSON.stringify(ingest)).not.toContain(integrationId);
      expect(JSON.stringify(environmentOf(stack, template, stack.ingest.function))).not.toContain(
        integrationId,
      );
    });
  });

  it('gives no function the local runtime’s relaxation of the SSRF guard, nor a local secrets file', () => {
    // Assess: every function the stack deploys
    for (const fn of [stack.ingest.function, stack.worker.function, stack.archive.function]) {
      const names = Object.keys(environmentOf(stack, template, fn));
      expect(names.length).toBeGreaterThan(0);
      expect(names).not.toContain(envNames.outboundAllowLocal);
      expect(names).not.toContain(envNames.localSecretsFile);
    }
  });

  describe('worker', () => {
    it('has exactly: its own log streams, consume the events queue, dead-letter, the ledger, read claim checks, put raw events, its two secrets, enqueue archive tasks (no traces: tracing is off by default)', () => {
      // Prepare
      const expected = [
        ownLogs(stack.worker.function),
        grant(arnOf(state.events.queue), [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ChangeMessageVisibility',
        ]),
        grant(arnOf(state.events.deadLetterQueue), ['sqs:SendMessage']),
        // Its own items only: interview state (updated, never put whole) and parked events (put only), not the
        // archive's manifest and leases.
        grant(arnOf(state.storage.ledgerTable), ['dynamodb:GetItem', 'dynamodb:UpdateItem'], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INTERVIEW#*'] },
        }),
        grant(arnOf(state.storage.ledgerTable), ['dynamodb:PutItem'], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PARKED#*'] },
        }),
        grant(objectsOf(state.storage.bucket, 'claim-checks/*'), ['s3:GetObject']),
        grant(arnOf(state.storage.bucket), ['s3:ListBucket'], {
          StringLike: { 's3:prefix': 'claim-checks/*' },
        }),
        grant(secretOf(state.secrets.integration), ['secretsmanager:GetSecretValue']),
        grant(secretOf(state.secrets.vendorApi), ['secretsmanager:GetSecretValue']),
        grant(arnOf(state.archive.queue), ['sqs:SendMessage']),
        grant(objectsOf(state.storage.bucket, 'raw/*'), ['s3:PutObject']),
      ];

      // Act
      const actual = grantsOf(worker);

      // Assess
      expect(actual).toEqual(sortGrants(expected));
    });

    it('cannot read the webhook secret, nor is it told where it is', () => {
      // Assess
      const webhookId = statefulId(state.secrets.webhook);
      expect(JSON.stringify(worker)).not.toContain(webhookId);
      expect(JSON.stringify(environmentOf(stack, template, stack.worker.function))).not.toContain(webhookId);
    });
  });

  describe('archive', () => {
    it('has exactly: its own log streams, consume the archive queue (and send a busy asset’s task back to wait), dead-letter, report to the events queue, the ledger, objects under interviews/ (no listing), the vendor API secret', () => {
      // Prepare
      const expected = [
        ownLogs(stack.archive.function),
        grant(arnOf(state.archive.queue), [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:SendMessage',
        ]),
        grant(arnOf(state.archive.deadLetterQueue), ['sqs:SendMessage']),
        grant(arnOf(state.events.queue), ['sqs:SendMessage']),
        // Its own items only: the manifest and its leases, and parked tasks written but never read (they
        // hold whole envelopes); never the interview state.
        grant(
          arnOf(state.storage.ledgerTable),
          ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ARCHIVE#*'] } },
        ),
        grant(arnOf(state.storage.ledgerTable), ['dynamodb:PutItem'], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PARKED#*'] },
        }),
        grant(objectsOf(state.storage.bucket, 'interviews/*'), [
          's3:GetObject',
          's3:PutObject',
          's3:AbortMultipartUpload',
        ]),
        grant(secretOf(state.secrets.vendorApi), ['secretsmanager:GetSecretValue']),
        xray(),
      ];

      // Act
      const actual = grantsOf(archive);

      // Assess
      expect(actual).toEqual(sortGrants(expected));
    });

    it('cannot read the webhook secret, nor is it told where it is', () => {
      // Assess
      const webhookId = statefulId(state.secrets.webhook);
      expect(JSON.stringify(archive)).not.toContain(webhookId);
      expect(JSON.stringify(environmentOf(stack, template, stack.archive.function))).not.toContain(webhookId);
    });

    it('cannot read the integration secret (ATS credentials, Slack URL, pseudonym key), nor is it told where it is', () => {
      // Assess
      const integrationId = statefulId(state.secrets.integration);
      expect(JSON.stringify(archive)).not.toContain(integrationId);
      expect(JSON.stringify(environmentOf(stack, template, stack.archive.function))).not.toContain(
        integrationId,
      );
    });

    it('cannot touch claim checks or raw events, nor the events DLQ', () => {
      // Assess
      expect(JSON.stringify(archive)).not.toContain('claim-checks/');
      expect(JSON.stringify(archive)).not.toContain('raw/');
      expect(JSON.stringify(archive)).not.toContain(statefulId(state.events.deadLetterQueue));
    });
  });

  it('no role may touch the access-log bucket', () => {
    // Assess
    const logBucketId = statefulId(state.storage.accessLogsBucket);
    expect(JSON.stringify([...ingest, ...worker, ...archive])).not.toContain(logBucketId);
  });

  it('claim checks the ingest code writes fall under the prefix both roles are granted', async () => {
    // Prepare: fakes that record what would be sent to AWS.
    const puts: ObjectToPut[] = [];
    const queue = new EventQueue({
      sendMessage: async () => ({ messageId: 'message-1' }),
      putObject: async (object) => {
        puts.push(object);
      },
      queueUrl: 'https://sqs.example.test/events',
      bucket: 'archive',
      // As the ingest Lambda builds it (functions/ingest.ts): no prefix given, the code's default applies.
      maxMessageBytes: 256 * 1024,
    });

    // Act
    const published = await queue.publish(largeEvent(300 * 1024));

    // Assess
    expect(published.claimCheck).toBe(true);
    expect(puts.map((put) => put.key)).toEqual([expect.stringMatching(/^claim-checks\//)]);
  });

  it.each(['ingest', 'worker', 'archive'] as const)(
    '%s role has no managed policy (AWSLambdaBasicExecutionRole would write any log group)',
    (name) => {
      // Prepare
      const role = stack[name].function.role;
      if (role === undefined) throw new Error('function has no role');

      // Assess: no managed policy, and no logs action on anything but its own group
      expect(template.toJSON().Resources[id(role)].Properties.ManagedPolicyArns).toBeUndefined();
      const statements = statementsOfFunctionRole(stack, template, stack[name].function);
      const logGrants = grantsOf(statements).filter((g) => g.actions.some((a) => a.startsWith('logs:')));
      expect(logGrants).toEqual([ownLogs(stack[name].function)]);
    },
  );

  it('keeps a managed policy added for a feature (a VPC), taking out only the basic execution one', () => {
    // Prepare: a function whose role also gets the policy CDK adds for a VPC
    const scope = new Stack(new App(), 'ManagedPolicies');
    const fn = new ServiceFunction(scope, 'Fn', {
      entry: 'functions/ingest.ts',
      memoryMb: 128,
      timeoutSeconds: 3,
      environment: {},
      serviceName: 'managed-policies',
      metricsNamespace: 'Test',
    });
    fn.role?.addManagedPolicy(
      ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
    );

    // Act
    const roles = Template.fromStack(scope).findResources('AWS::IAM::Role');

    // Assess
    const arns = JSON.stringify(Object.values(roles).map((role) => role.Properties.ManagedPolicyArns));
    expect(arns).toContain('service-role/AWSLambdaVPCAccessExecutionRole');
    expect(arns).not.toContain('service-role/AWSLambdaBasicExecutionRole');
  });

  it('raw event keys the worker writes fall under the prefix it is granted', () => {
    // Act
    const key = rawEventKey('micro1', new Date('2025-01-02T03:04:05Z'), 'micro1:report/../x');

    // Assess
    expect(key.startsWith('raw/')).toBe(true);
    expect(key).not.toContain('/../');
  });
});

describe('least privilege with tracing off', () => {
  let stage: ReturnType<typeof synthesizeStage>;

  beforeAll(() => {
    // Prepare
    stage = synthesizeStage({ config: { tracing: false } });
  });

  it.each(['ingest', 'worker', 'archive'] as const)('%s has no X-Ray grant and no grant on "*"', (name) => {
    // Prepare
    const { stateless, statelessTemplate } = stage;

    // Act
    const statements = statementsOfFunctionRole(stateless, statelessTemplate, stateless[name].function);

    // Assess
    expect(JSON.stringify(statements)).not.toContain('xray:');
    expect(statements.flatMap((statement) => statement.resources)).not.toContain('*');
  });
});
