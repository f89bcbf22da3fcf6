/**
 * A deployed stage's resources, read from the CloudFormation outputs of its two stacks (DescribeStacks on
 * `InterviewSync-<stage>-Stateful` and `-Stateless`), so `--stage prod` replaces the table names, queue URLs,
 * secret ARNs and webhook URLs an operator would otherwise copy from `cdk deploy`'s output.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { isAccessDenied, StageError } from './errors.js';

/**
 * The stack names of a stage, as `lib/interview-sync-stage.ts` names them (an infra test holds the two
 * equal). Not imported from there: that module loads aws-cdk-lib, about 2 s at every ops command.
 */
export const stageStackNames = (stage: string) =>
  ({ stateful: `InterviewSync-${stage}-Stateful`, stateless: `InterviewSync-${stage}-Stateless` }) as const;

type StackKind = keyof ReturnType<typeof stageStackNames>;

/** Every output ops reads, by the name it has here, with the stack that prints it. */
export const stageOutputs = {
  ledgerTable: { stack: 'stateful', name: 'LedgerTableName' },
  bucket: { stack: 'stateful', name: 'BucketName' },
  eventsQueueUrl: { stack: 'stateful', name: 'EventsQueueUrl' },
  deadLetterQueueUrl: { stack: 'stateful', name: 'DeadLetterQueueUrl' },
  archiveQueueUrl: { stack: 'stateful', name: 'ArchiveQueueUrl' },
  archiveDeadLetterQueueUrl: { stack: 'stateful', name: 'ArchiveDeadLetterQueueUrl' },
  webhookSecretArn: { stack: 'stateful', name: 'WebhookSecretsArn' },
  integrationSecretArn: { stack: 'stateful', name: 'IntegrationSecretsArn' },
  vendorApiSecretArn: { stack: 'stateful', name: 'VendorApiSecretsArn' },
  round0WebhookUrl: { stack: 'stateless', name: 'Round0WebhookUrl' },
  /** The base of micro1's URL: `/<token>` is appended. */
  micro1WebhookUrl: { stack: 'stateless', name: 'Micro1WebhookUrl' },
  ingestLogGroup: { stack: 'stateless', name: 'IngestLogGroupName' },
  workerLogGroup: { stack: 'stateless', name: 'WorkerLogGroupName' },
} as const satisfies Record<string, { readonly stack: StackKind; readonly name: string }>;

export type StageOutputKey = keyof typeof stageOutputs;

export interface StageOutputs {
  readonly stage: string;
  /** The region the stacks were read in; every other client of the command uses it. */
  readonly region: string;
  readonly stackNames: ReturnType<typeof stageStackNames>;
  /** Each stack's status (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, …), for the error messages. */
  readonly stackStatus: Readonly<Record<StackKind, string>>;
  readonly values: Readonly<Partial<Record<StageOutputKey, string>>>;
}

/** Stage names end up in stack names (the rule of `lib/config/stage-config.ts`). */
const stageNamePattern = /^[A-Za-z][A-Za-z0-9-]{0,24}$/;

const deployHint = (stage: string) => `npm run cdk -- deploy --all -c stage=${stage}`;

/** The output `key`, or a StageError naming the stack that lacks it and what to do. */
export const requireOutput = (outputs: StageOutputs, key: StageOutputKey): string => {
  const value = outputs.values[key];
  if (value !== undefined && value !== '') return value;
  const { stack, name } = stageOutputs[key];
  throw new StageError(
    `stack ${outputs.stackNames[stack]} (${outputs.stackStatus[stack]}, ${outputs.region}) has no output ${name}: ` +
      `it was deployed by an older version or its last deploy failed; deploy the stage again (${deployHint(outputs.stage)})`,
  );
};

export interface ReadStageOutputsOptions {
  readonly stage: string;
  /** @default the SDK's default chain (AWS_REGION, the profile's region) */
  readonly region?: string;
}

/** How to get working credentials: the end of every credentials sentence. */
const signInHint =
  'sign in (aws sso login, or AWS_PROFILE=<profile>) or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';

/** A host of AWS's public endpoints (`sqs.eu-west-1.amazonaws.com`; `.amazonaws.com.cn` in China). */
const awsHostPattern = /\.amazonaws\.com(\.cn)?$/;

/** An access key AWS does not know (deleted, a typo): its name in the JSON services, the query ones and S3. */
const unknownKeyNames = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
]);

/**
 * The AWS SDK errors an operator causes, as one sentence saying what to check, for the CLI to print instead
 * of a stack; `undefined` for anything else (a bug, printed with its stack). `command`, the ops command, is
 * named when a refusal does not say which action it refused.
 */
export const explainAwsError = (error: unknown, command?: string): string | undefined => {
  const { name = '', message = '', code, hostname } = (error ?? {}) as Partial<Record<string, string>>;
  // A typo'd region (`--region eu-west1`) makes a host that does not exist: DNS answers ENOTFOUND, nothing more.
  if (code === 'ENOTFOUND' && hostname !== undefined && awsHostPattern.test(hostname)) {
    return `no AWS endpoint ${hostname}: check --region (or AWS_REGION, the profile's region; like eu-west-1) and any URL passed as a flag`;
  }
  // No credentials in the SDK's chain, or an SSO session expired or never started: thrown before sending
  // (@smithy/property-provider; TokenProviderError by the SSO token provider). Their message says which.
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return `no usable AWS credentials (${message}): ${signInHint}`;
  }
  // Temporary credentials past their expiry, as AWS answers it: S3 names it ExpiredToken, the other services
  // ExpiredTokenException (AWS's common errors).
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException') {
    return `the AWS credentials have expired (${name}): sign in again (aws sso login) or renew AWS_SESSION_TOKEN and its keys`;
  }
  // Keys that are set but wrong: retrying or a stack would not help, the credentials must change.
  if (unknownKeyNames.has(name)) {
    return `AWS does not know the access key in use (${name}): ${signInHint}`;
  }
  // A missing permission (EC2 calls it UnauthorizedOperation). The error does not carry its operation ($metadata
  // holds status, request id and attempts), but most services' messages name the action and the resource.
  if (isAccessDenied(error) || name === 'UnauthorizedOperation') {
    const [, action, resource] = /perform: (\S+)(?: on resource: "?([^"\s]+))?/.exec(message) ?? [];
    const during = command === undefined ? '' : ` (ops ${command})`;
    return action === undefined
      ? `not allowed${during}: ${name}: ${message}; give the role in use the actions the command needs (README, Permissions)`
      : `not allowed to ${action}${resource === undefined ? '' : ` on ${resource}`}${during}: give it to the role in use, ` +
          "or use credentials of the stage's account";
  }
  return undefined;
};

/**
 * DescribeStacks' errors an operator can fix, as StageErrors (a missing stack named); anything else is rethrown
 * as it is, for the CLI ({@link explainAwsError}).
 */
const explain = (error: unknown, stackName: string, options: ReadStageOutputsOptions, region: string) => {
  const { name, message } = error as { name?: string; message?: string };
  if (name === 'ValidationError' && /does not exist/.test(message ?? '')) {
    return new StageError(
      `stack ${stackName} does not exist in ${region}: deploy the stage first (${deployHint(options.stage)}), ` +
        `or check --stage (is "${options.stage}" the stage you deployed?) and --region (the stage may live in another region)`,
      { cause: error },
    );
  }
  if (name === 'CredentialsProviderError') {
    return new StageError(explainAwsError(error) ?? signInHint, { cause: error });
  }
  if (isAccessDenied(error)) {
    return new StageError(
      `not allowed to read stack ${stackName} (cloudformation:DescribeStacks): use credentials of the account that deployed it`,
      { cause: error },
    );
  }
  return error;
};

const outputsOf = (stack: Stack | undefined): Map<string, string> =>
  new Map(
    (stack?.Outputs ?? []).flatMap((output) =>
      output.OutputKey === undefined || output.OutputValue === undefined
        ? []
        : [[output.OutputKey, output.OutputValue] as const],
    ),
  );

/**
 * Reads both stacks of `stage`. A stack that does not exist, missing credentials or a missing region are a
 * {@link StageError} saying what to do; a missing output is one only when a command needs it
 * ({@link requireOutput}).
 */
export const readStageOutputs = async (options: ReadStageOutputsOptions): Promise<StageOutputs> => {
  if (!stageNamePattern.test(options.stage)) {
    throw new StageError(
      `--stage "${options.stage}" is not a stage name (a letter, then letters, digits or "-", at most 25)`,
    );
  }
  const client = new CloudFormationClient(options.region === undefined ? {} : { region: options.region });
  try {
    let region: string;
    try {
      region = await client.config.region();
    } catch (error) {
      throw new StageError(
        'no AWS region: pass --region <region> (where the stage is deployed) or set AWS_REGION or a profile region',
        { cause: error },
      );
    }
    const stackNames = stageStackNames(options.stage);
    const describe = async (kind: StackKind): Promise<Stack | undefined> => {
      try {
        const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackNames[kind] }));
        return Stacks[0];
      } catch (error) {
        throw explain(error, stackNames[kind], options, region);
      }
    };
    const stateful = await describe('stateful');
    const stateless = await describe('stateless');
    const byStack = { stateful: outputsOf(stateful), stateless: outputsOf(stateless) };
    const values: Partial<Record<StageOutputKey, string>> = {};
    for (const [key, { stack, name }] of Object.entries(stageOutputs)) {
      const value = byStack[stack].get(name);
      if (value !== undefined) values[key as StageOutputKey] = value;
    }
    return {
      stage: options.stage,
      region,
      stackNames,
      stackStatus: {
        stateful: stateful?.StackStatus ?? 'unknown status',
        stateless: stateless?.StackStatus ?? 'unknown status',
      },
      values,
    };
  } finally {
    client.destroy();
  }
};
