/**
 * The git-ignored `secrets.local.json` that stands in for Secrets Manager on one machine. The ingest and
 * worker read it through `LOCAL_SECRETS_FILE`; `npm run send` reads it to sign what it sends.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import {
  type IntegrationSecrets,
  integrationSecretsSchema,
  type WebhookSecrets,
  webhookSecretsSchema,
} from '../functions/platform/secrets-shape.js';
import { generateWebhookToken } from '../functions/vendors/micro1/token.js';
import { LocalSecretsFileError } from './errors.js';

/** The file's content: both deployed secrets side by side. */
export interface LocalSecrets {
  readonly webhook: WebhookSecrets;
  readonly integration: IntegrationSecrets;
}

/** `<repo root>/secrets.local.json` (listed in `.gitignore`). */
export const defaultSecretsFilePath = fileURLToPath(new URL('../secrets.local.json', import.meta.url));

const localSecretsSchema = v.object({ webhook: webhookSecretsSchema, integration: integrationSecretsSchema });

/** A ROUND0-style endpoint signing secret (`whsec_` prefix like Stripe's, which ROUND0's scheme follows). */
const generateSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** Reads and validates the secrets file; names the failing paths, never the values. */
export const readSecretsFile = async (path: string = defaultSecretsFilePath): Promise<LocalSecrets> => {
  let content: unknown;
  try {
    content = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new LocalSecretsFileError(`cannot read ${path} as JSON`, { cause: error });
  }
  const result = v.safeParse(localSecretsSchema, content);
  if (!result.success) {
    const paths = result.issues.map((issue) => v.getDotPath(issue) ?? '(root)').join(', ');
    throw new LocalSecretsFileError(`${path} is malformed at: ${paths}`);
  }
  return result.output;
};

/**
 * Returns the secrets file, creating it (mode 0600) with fresh random webhook secrets on first use.
 * `created` tells the caller to say so once.
 */
export const ensureSecretsFile = async (
  path: string = defaultSecretsFilePath,
): Promise<{ readonly path: string; readonly secrets: LocalSecrets; readonly created: boolean }> => {
  const secrets: LocalSecrets = {
    webhook: { round0SigningSecrets: [generateSigningSecret()], micro1Tokens: [generateWebhookToken()] },
    // Keys of the local vendor API fakes (`npm start` starts them): the worker enriches events from them
    // exactly as it would from ROUND0's and micro1's APIs.
    integration: {
      round0ApiKey: `r0_local_${randomBytes(16).toString('hex')}`,
      micro1ApiKey: `m1_local_${randomBytes(16).toString('hex')}`,
    },
  };
  try {
    // `wx` fails when the file exists, so a concurrent start never overwrites secrets already handed out.
    await writeFile(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return { path, secrets, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new LocalSecretsFileError(`cannot create ${path}`, { cause: error });
    }
  }
  return { path, secrets: await readSecretsFile(path), created: false };
};
