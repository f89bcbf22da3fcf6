/**
 * The git-ignored `secrets.local.json` that stands in for Secrets Manager on one machine. The functions read
 * it through `LOCAL_SECRETS_FILE`, each its own sections; `npm run send` reads it to sign what it sends.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import {
  type IntegrationSecrets,
  integrationSecretsSchema,
  type VendorApiSecrets,
  vendorApiSecretsSchema,
  type WebhookSecrets,
  webhookSecretsSchema,
} from '../functions/platform/secrets-shape.js';
import { generateWebhookToken } from '../functions/vendors/micro1/token.js';
import { LocalSecretsFileError } from './errors.js';

/** The file's content: the three deployed secrets side by side. */
export interface LocalSecrets {
  readonly webhook: WebhookSecrets;
  readonly integration: IntegrationSecrets;
  readonly vendorApi: VendorApiSecrets;
}

/** `<repo root>/secrets.local.json` (listed in `.gitignore`). */
export const defaultSecretsFilePath = fileURLToPath(new URL('../secrets.local.json', import.meta.url));

/**
 * The secrets file the running `npm start` checks with, as the tools find it: `SECRETS_FILE` as npm start
 * reads it, else the file its runtime info names (`runningFile`), else the default.
 */
export const runningSecretsFilePath = (
  environment: Readonly<Record<string, string | undefined>>,
  runningFile: string | undefined,
): string =>
  environment.SECRETS_FILE ? resolve(environment.SECRETS_FILE) : (runningFile ?? defaultSecretsFilePath);

// `vendorApi` may be missing (a file written before that secret existed): read as `{}`, then upgraded.
const localSecretsSchema = v.object({
  webhook: webhookSecretsSchema,
  integration: integrationSecretsSchema,
  vendorApi: vendorApiSecretsSchema,
});

/** A ROUND0-style endpoint signing secret (`whsec_` prefix like Stripe's, which ROUND0's scheme follows). */
const generateSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** The key of the log adapter's e-mail pseudonyms (`email-hmac:…`): 256 random bits. */
const generatePseudonymKey = (): string => randomBytes(32).toString('base64url');

const serialise = (secrets: LocalSecrets) => `${JSON.stringify(secrets, null, 2)}\n`;

/**
 * Why a file operation failed, without the path the message names already: `EACCES: permission denied`
 * (Node's message is `<code>: <description>, <syscall> '<path>'`). Never the file's content.
 */
const fsReason = (error: unknown): string => {
  const { code, message } = error as Partial<NodeJS.ErrnoException>;
  return (typeof message === 'string' ? message.split(', ')[0] : undefined) || code || 'unknown error';
};

/** Reads and validates the secrets file; names the failing paths, never the values. */
export const readSecretsFile = async (path: string = defaultSecretsFilePath): Promise<LocalSecrets> => {
  let content: unknown;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LocalSecretsFileError(`cannot read ${path}: ${fsReason(error)}`, { cause: error });
  }
  try {
    content = JSON.parse(text);
  } catch {
    // Not the parser's error, not even as a cause: V8's message quotes the text around the fault, a secret.
    throw new LocalSecretsFileError(
      `${path} is not valid JSON (fix it by hand, or move it away for a new one)`,
    );
  }
  const result = v.safeParse(localSecretsSchema, content);
  if (!result.success) {
    const paths = result.issues.map((issue) => v.getDotPath(issue) ?? '(root)').join(', ');
    throw new LocalSecretsFileError(`${path} is malformed at: ${paths}`);
  }
  return result.output;
};

type JsonObject = Record<string, unknown>;
const objectOr = (value: unknown): JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};

/**
 * A file written by an older version brought up to date, or undefined when it is: a `pseudonymKey` added
 * when it has none, and vendor API keys still in `integration` moved to `vendorApi` (as `npm run ops --
 * setup` moves them in a deployed stage). Made on the file's JSON as it is, not on what the schemas read of
 * it, so every other value is kept, keys the schemas do not know included (a note, an ATS setting of a newer
 * version).
 */
const upgraded = (file: JsonObject, secrets: LocalSecrets): JsonObject | undefined => {
  const { round0ApiKey, micro1ApiKey } = secrets.integration;
  const moves = round0ApiKey !== undefined || micro1ApiKey !== undefined;
  if (secrets.integration.pseudonymKey && !moves) return undefined;
  const { round0ApiKey: _r0, micro1ApiKey: _m1, ...integration } = objectOr(file.integration);
  const vendorApi = objectOr(file.vendorApi);
  return {
    ...file,
    integration: { ...integration, pseudonymKey: secrets.integration.pseudonymKey || generatePseudonymKey() },
    vendorApi: {
      ...vendorApi,
      // A key already in `vendorApi` wins (the functions read it first); an empty one is none.
      ...(secrets.vendorApi.round0ApiKey || !round0ApiKey ? {} : { round0ApiKey }),
      ...(secrets.vendorApi.micro1ApiKey || !micro1ApiKey ? {} : { micro1ApiKey }),
    },
  };
};

/** Writes `secrets` to a temporary file renamed over `path`: a crash never leaves a half-written file. */
const replaceSecretsFile = async (path: string, content: JsonObject): Promise<void> => {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    // Never left behind: it holds every secret, beside the repository's files.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new LocalSecretsFileError(`cannot update ${path}: ${fsReason(error)}`, { cause: error });
  }
};

/**
 * Returns the secrets file, creating it (mode 0600, and its directory 0700 when missing) with fresh random
 * secrets on first use, and bringing a file of an older version up to date (`updated`: see {@link upgraded}).
 * `created` tells the caller to say so once.
 */
export const ensureSecretsFile = async (
  path: string = defaultSecretsFilePath,
): Promise<{
  readonly path: string;
  readonly secrets: LocalSecrets;
  readonly created: boolean;
  readonly updated: boolean;
}> => {
  const secrets: LocalSecrets = {
    webhook: { round0SigningSecrets: [generateSigningSecret()], micro1Tokens: [generateWebhookToken()] },
    integration: { pseudonymKey: generatePseudonymKey() },
    vendorApi: {
      // Keys of the local vendor API fakes (`npm start` starts them): the worker enriches events from them
      // exactly as it would from ROUND0's and micro1's APIs.
      round0ApiKey: `r0_local_${randomBytes(16).toString('hex')}`,
      micro1ApiKey: `m1_local_${randomBytes(16).toString('hex')}`,
    },
  };
  try {
    // Its directory too (SECRETS_FILE may name one that does not exist yet): the owner's only, as the data
    // directory. A directory that exists is left as it is.
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LocalSecretsFileError(`cannot create ${dirname(path)} (for ${path}): ${fsReason(error)}`, {
      cause: error,
    });
  }
  try {
    // `wx` fails when the file exists, so a concurrent start never overwrites secrets already handed out.
    await writeFile(path, serialise(secrets), { mode: 0o600, flag: 'wx' });
    return { path, secrets, created: true, updated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new LocalSecretsFileError(`cannot create ${path}: ${fsReason(error)}`, { cause: error });
    }
  }
  // The owner's only, whoever created it (a copy, an editor that saved it 0644).
  await chmod(path, 0o600).catch(() => undefined);
  const existing = await readSecretsFile(path);
  // Parsed again as plain JSON: readSecretsFile succeeded, so it is an object.
  const update = upgraded(objectOr(JSON.parse(await readFile(path, 'utf8'))), existing);
  if (update === undefined) return { path, secrets: existing, created: false, updated: false };
  await replaceSecretsFile(path, update);
  return { path, secrets: await readSecretsFile(path), created: false, updated: true };
};
