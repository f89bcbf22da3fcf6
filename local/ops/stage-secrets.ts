/**
 * The two Secrets Manager secrets of a deployed stage, read and written by `npm run ops -- setup`, `urls`
 * and `npm run send -- --stage`. Errors name the secret and its problem, never a value.
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import { StageError } from './errors.js';

/**
 * The webhook secret as stored, before it is complete: the stack creates it with both lists empty, which
 * the ingest's schema refuses (`webhookSecretsSchema`: at least one value each). Other keys are kept.
 */
export const storedWebhookSecretsSchema = v.looseObject({
  round0SigningSecrets: v.optional(v.array(v.string()), []),
  micro1Tokens: v.optional(v.array(v.string()), []),
});
export type StoredWebhookSecrets = v.InferOutput<typeof storedWebhookSecretsSchema>;

const describeFailure = (error: unknown, what: string, action: 'read' | 'write'): Error => {
  const { name } = error as { name?: string };
  if (name === 'ResourceNotFoundException') {
    return new StageError(`the ${what} does not exist: deploy the stage again`, { cause: error });
  }
  if (name === 'AccessDeniedException') {
    return new StageError(
      `not allowed to ${action} the ${what} (secretsmanager:${action === 'read' ? 'GetSecretValue' : 'PutSecretValue'}): ` +
        'use credentials of an operator of this stage',
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
};

/** The secret's string; `what` names it in errors (`webhook secret`). */
export const readSecretString = async (
  client: SecretsManagerClient,
  arn: string,
  what: string,
): Promise<string> => {
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (SecretString === undefined) throw new StageError(`the ${what} holds no secret string`);
    return SecretString;
  } catch (error) {
    throw describeFailure(error, what, 'read');
  }
};

/** Stores a new version of the secret (the functions pick it up within their secrets cache time). */
export const writeSecretString = async (
  client: SecretsManagerClient,
  arn: string,
  what: string,
  value: string,
): Promise<void> => {
  try {
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }));
  } catch (error) {
    throw describeFailure(error, what, 'write');
  }
};

/** `text` parsed as JSON and checked by `schema`; errors name the failing paths, never the content. */
export const parseSecretJson = <T>(text: string, what: string, schema: v.GenericSchema<unknown, T>): T => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StageError(`the ${what} is not JSON`, { cause: error });
  }
  const result = v.safeParse(schema, json);
  if (result.success) return result.output;
  const paths = result.issues.map((issue) => v.getDotPath(issue) ?? '(root)').join(', ');
  throw new StageError(`the ${what} is malformed at: ${paths}`);
};

/**
 * The value in use of a list that accepts several during a rotation: the newest, which setup appends last
 * (a vendor switched to it; the older ones only wait to be retired).
 */
export const newestOf = (values: readonly string[]): string | undefined => values.at(-1);

/** micro1's full webhook URL: the stack output's base and `/<token>`. */
export const micro1UrlWithToken = (base: string, token: string): string =>
  `${base.replace(/\/+$/, '')}/${encodeURIComponent(token)}`;
