/**
 * A deployed function's environment made runnable here: the template's values as they are, and the values
 * CloudFormation fills at deploy time (queue URLs, table and bucket names) replaced by the emulators'. What
 * cannot exist locally is replaced and named: the secrets come from the local secrets file (no Secrets
 * Manager), and vendor APIs are the fakes (plain http on 127.0.0.1, hence `OUTBOUND_ALLOW_LOCAL`).
 */
import { envNames } from '../../functions/platform/env.js';
import { resources } from '../../lib/resources.js';
import type { DeployedFunction } from './deployed.js';
import type { BenchServices } from './services-process.js';

export interface LocalFunctionEnvironmentOptions {
  readonly secretsFile: string;
}

/** Every variable the function is deployed with, runnable against `services`. */
export const localFunctionEnvironment = (
  fn: DeployedFunction,
  services: BenchServices,
  options: LocalFunctionEnvironmentOptions,
): Record<string, string> => {
  const deployTime: Readonly<Record<string, string | undefined>> = {
    [envNames.queueUrl]: services.queueUrls.events,
    [envNames.deadLetterQueueUrl]: services.queueUrls.deadLetter,
    [envNames.archiveQueueUrl]: services.queueUrls.archive,
    [envNames.archiveDeadLetterQueueUrl]: services.queueUrls.archiveDeadLetter,
    [envNames.bucketName]: resources.bucket.name,
    [envNames.ledgerTableName]: resources.ledgerTable.name,
    // No Secrets Manager here: the local secrets file instead (below).
    [envNames.webhookSecretsArn]: undefined,
    [envNames.integrationSecretsArn]: undefined,
    [envNames.vendorApiSecretsArn]: undefined,
  };
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    if (value !== null) environment[name] = value;
    else if (!(name in deployTime)) {
      throw new Error(`the bench cannot fill ${name} of the ${fn.role} function (deploy-time value)`);
    } else if (deployTime[name] !== undefined) environment[name] = deployTime[name] as string;
  }
  return {
    ...environment,
    ...services.env,
    // The baseline reads the events queue's URL like the ingest does.
    ...(fn.role === 'minimal' ? { [envNames.queueUrl]: services.queueUrls.events } : {}),
    [envNames.localSecretsFile]: options.secretsFile,
    ...(envNames.round0ApiBaseUrl in environment
      ? {
          [envNames.round0ApiBaseUrl]: services.vendorApiUrls.round0,
          [envNames.micro1ApiBaseUrl]: services.vendorApiUrls.micro1,
          [envNames.outboundAllowLocal]: 'true',
        }
      : {}),
    // Lambda sets this for on-demand functions (Powertools reports cold starts by it).
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // Lambda runs Node 22; on this Node 20 machine the SDK would warn at every start.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
};
