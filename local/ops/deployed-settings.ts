/**
 * The settings a deployed stage's worker runs with, read from its stateless stack's deployed template
 * (CloudFormation GetTemplate): the worker's environment there holds them as literal strings. This is what
 * the last `cdk deploy` made — cdk.json's stage *and* the `-c` keys it was given — where cdk.json alone
 * would miss a deploy's overrides.
 */
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { isAccessDenied, StageError } from './errors.js';
import type { StageOutputs } from './stack-outputs.js';

/**
 * `POWERTOOLS_SERVICE_NAME` of the worker function, as `lib/stateless-stack.ts` sets it (an ops test reads a
 * synthesised template with it). Not imported from there: that module loads aws-cdk-lib.
 */
const workerServiceName = 'interview-sync-worker';

interface TemplateFunction {
  readonly Type?: unknown;
  readonly Properties?: { readonly Environment?: { readonly Variables?: Record<string, unknown> } };
}

/**
 * The worker's environment in `template`: the variables whose value is a literal string (not an intrinsic),
 * and the names of all of them (an ARN imported from the stateful stack is an intrinsic, but its name says
 * what the worker reads).
 */
const workerEnvironmentOf = (
  template: unknown,
): { values: Readonly<Record<string, string>>; names: ReadonlySet<string> } | undefined => {
  const resources = (template as { Resources?: Record<string, TemplateFunction> } | null)?.Resources ?? {};
  for (const resource of Object.values(resources)) {
    if (resource?.Type !== 'AWS::Lambda::Function') continue;
    const variables = resource.Properties?.Environment?.Variables ?? {};
    if (variables.POWERTOOLS_SERVICE_NAME !== workerServiceName) continue;
    return {
      values: Object.fromEntries(
        Object.entries(variables).flatMap(([name, value]) =>
          typeof value === 'string' ? [[name, value]] : [],
        ),
      ),
      names: new Set(Object.keys(variables)),
    };
  }
  return undefined;
};

export interface DeployedWorkerSettings {
  /** Its environment variables with a literal value. */
  readonly environment: Readonly<Record<string, string>>;
  /** The names of all its environment variables, literal or not. */
  readonly variableNames: ReadonlySet<string>;
  /** Where they were read, for the report: the stack and its region. */
  readonly source: string;
}

/**
 * The deployed worker's environment (literal values) of the stage in `outputs`. A StageError, saying what to
 * do, when the template cannot be read (permission) or holds no worker (an older or foreign stack).
 */
export const readDeployedWorkerSettings = async (outputs: StageOutputs): Promise<DeployedWorkerSettings> => {
  const stackName = outputs.stackNames.stateless;
  const client = new CloudFormationClient({ region: outputs.region });
  try {
    let body: string | undefined;
    try {
      // `Original`: the template as CDK uploaded it (JSON); `Processed` differs only for transforms.
      ({ TemplateBody: body } = await client.send(
        new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
      ));
    } catch (error) {
      if (isAccessDenied(error)) {
        throw new StageError(
          `not allowed to read the template of stack ${stackName} (cloudformation:GetTemplate), where the ` +
            `deployed worker's ATS settings are: use credentials that may, or name them with --adapter and --config`,
          { cause: error },
        );
      }
      throw error;
    }
    let template: unknown;
    try {
      template = JSON.parse(body ?? '');
    } catch (error) {
      throw new StageError(`the template of stack ${stackName} is not the JSON CDK deploys`, {
        cause: error,
      });
    }
    const worker = workerEnvironmentOf(template);
    if (worker === undefined) {
      throw new StageError(
        `stack ${stackName} (${outputs.region}) has no worker function (${workerServiceName}): ` +
          `deploy the stage again (npm run cdk -- deploy --all -c stage=${outputs.stage})`,
      );
    }
    return {
      environment: worker.values,
      variableNames: worker.names,
      source: `the deployed worker (stack ${stackName}, ${outputs.region})`,
    };
  } finally {
    client.destroy();
  }
};
