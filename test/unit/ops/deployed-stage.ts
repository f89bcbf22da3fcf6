/**
 * A deployed stage as the AWS APIs `npm run ops` and `npm run send` call would show it: both stacks'
 * outputs and the stateless stack's template (CloudFormation), the two secrets (Secrets Manager, kept in memory so writes can be counted and
 * read back) — through aws-sdk-client-mock, as no emulator exists for either service.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  GetTemplateCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

export const region = 'eu-west-1';
export const webhookSecretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:Webhook-abc';
export const integrationSecretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:Integration-def';
export const vendorApiSecretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:VendorApi-ghi';
export const pseudonymKey = 'pk_'.padEnd(48, 'k');

export const statefulOutputs = {
  LedgerTableName: 'prod-ledger',
  BucketName: 'prod-bucket',
  AccessLogsBucketName: 'prod-access-logs',
  EventsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/prod-events',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/prod-events-dlq',
  ArchiveQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/prod-archive',
  ArchiveDeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/prod-archive-dlq',
  WebhookSecretsArn: webhookSecretArn,
  IntegrationSecretsArn: integrationSecretArn,
  VendorApiSecretsArn: vendorApiSecretArn,
};

export const statelessOutputs = {
  Round0WebhookUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/round0',
  Micro1WebhookUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/micro1',
  IngestLogGroupName: 'InterviewSync-prod-Stateless-IngestFunctionLogGroup-1',
  WorkerLogGroupName: 'InterviewSync-prod-Stateless-WorkerFunctionLogGroup-2',
  DashboardUrl:
    'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=InterviewSync-prod',
};

const asOutputs = (values: Record<string, string>): Output[] =>
  Object.entries(values).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));

export const cloudFormation = mockClient(CloudFormationClient);
export const secretsManager = mockClient(SecretsManagerClient);

/** What CloudFormation answers for a stack that does not exist (a `ValidationError`). */
const noSuchStack = (name: string) =>
  new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `Stack with id ${name} does not exist`,
  });

/**
 * The part of a stateless stack's template the doctor reads: the worker function and its environment as
 * `prod` deploys it by default (tests that care about its shape synthesise the real one).
 */
export const minimalStatelessTemplate = {
  Resources: {
    WorkerFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: 'interview-sync-worker',
            ATS_ADAPTER: 'log',
            ATS_CONFIG: '{"path":"stdout"}',
            QUEUE_URL: { 'Fn::ImportValue': 'InterviewSync-prod-Stateful:ExportsOutputRefEventsQueue' },
            VENDOR_API_SECRETS_ARN: {
              'Fn::ImportValue': 'InterviewSync-prod-Stateful:ExportsOutputRefVendorApiSecrets',
            },
          },
        },
      },
    },
  },
};

export interface StageOptions {
  /** @default the outputs above; `null`: the stack does not exist */
  readonly stateful?: Record<string, string> | null;
  readonly stateless?: Record<string, string> | null;
  /** What GetTemplate answers for the stateless stack (JSON-encoded). @default {@link minimalStatelessTemplate} */
  readonly statelessTemplate?: unknown;
  /** The stateless stack's status. @default UPDATE_COMPLETE */
  readonly statelessStatus?: string;
}

/** Answers DescribeStacks and GetTemplate for the stage `prod` (any other stack does not exist). */
export const deployStage = (options: StageOptions = {}) => {
  cloudFormation.reset();
  cloudFormation.on(GetTemplateCommand).callsFake(({ StackName }: { StackName: string }) => {
    if (StackName !== 'InterviewSync-prod-Stateless' || options.stateless === null)
      throw noSuchStack(StackName);
    return { TemplateBody: JSON.stringify(options.statelessTemplate ?? minimalStatelessTemplate) };
  });
  cloudFormation.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
    const outputs =
      StackName === 'InterviewSync-prod-Stateful'
        ? options.stateful === undefined
          ? statefulOutputs
          : options.stateful
        : StackName === 'InterviewSync-prod-Stateless'
          ? options.stateless === undefined
            ? statelessOutputs
            : options.stateless
          : null;
    if (outputs === null) throw noSuchStack(StackName);
    return {
      Stacks: [
        {
          StackName,
          StackStatus:
            StackName === 'InterviewSync-prod-Stateless'
              ? (options.statelessStatus ?? 'UPDATE_COMPLETE')
              : 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: asOutputs(outputs),
        },
      ],
    };
  });
};

/** The stage's three secrets, in memory (the vendor API secret `{}` unless given); `writes` lists every PutSecretValue. */
export const stageSecrets = (initial: { webhook: unknown; integration: unknown; vendorApi?: unknown }) => {
  const stored = new Map<string, string>([
    [webhookSecretArn, JSON.stringify(initial.webhook)],
    [integrationSecretArn, JSON.stringify(initial.integration)],
    [vendorApiSecretArn, JSON.stringify(initial.vendorApi ?? {})],
  ]);
  const writes: Array<{ arn: string; value: string }> = [];
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).callsFake(({ SecretId }: { SecretId: string }) => {
    const value = stored.get(SecretId);
    if (value === undefined) throw new Error(`no secret ${SecretId}`);
    return { ARN: SecretId, SecretString: value };
  });
  secretsManager
    .on(PutSecretValueCommand)
    .callsFake(({ SecretId, SecretString }: { SecretId: string; SecretString: string }) => {
      stored.set(SecretId, SecretString);
      writes.push({ arn: SecretId, value: SecretString });
      return { ARN: SecretId, VersionId: String(writes.length) };
    });
  return {
    writes,
    webhook: () => JSON.parse(stored.get(webhookSecretArn) ?? 'null') as Record<string, string[]>,
    integration: () => JSON.parse(stored.get(integrationSecretArn) ?? 'null') as Record<string, unknown>,
    vendorApi: () => JSON.parse(stored.get(vendorApiSecretArn) ?? 'null') as Record<string, unknown>,
  };
};

/** The secrets as the stateful stack creates them: empty lists, a generated pseudonymKey. */
export const freshSecrets = () => ({
  webhook: { round0SigningSecrets: [], micro1Tokens: [] },
  integration: { pseudonymKey },
});
