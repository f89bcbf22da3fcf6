import * as v from 'valibot';

/**
 * Shapes of the two secrets. The ingest Lambda may read only the webhook secret and the worker only the
 * integration secret (least privilege); the archive reads the integration secret for `round0ApiKey` alone.
 * Locally both live in one git-ignored JSON file, `{ "webhook": WebhookSecrets, "integration":
 * IntegrationSecrets }`.
 */

/** Secrets that authenticate incoming webhooks. Several values of each are valid at once (rotation). */
export interface WebhookSecrets {
  /** ROUND0 endpoint signing secrets (HMAC-SHA256 keys). */
  readonly round0SigningSecrets: readonly string[];
  /** High-entropy tokens accepted in `/webhooks/micro1/{token}`. */
  readonly micro1Tokens: readonly string[];
}

/** Credentials the worker uses to call the vendors' and the ATS's APIs. */
export interface IntegrationSecrets {
  readonly round0ApiKey?: string;
  readonly micro1ApiKey?: string;
  /** Credentials of the configured ATS adapter, e.g. `{ "clientId", "clientSecret" }` or `{ "apiKey" }`. */
  readonly ats?: Readonly<Record<string, string>>;
  /** Slack incoming-webhook URL (the URL is the secret). */
  readonly slackWebhookUrl?: string;
  /**
   * Key of the keyed e-mail pseudonyms (`email-hmac:…`) the log and generic adapters write instead of an
   * e-mail. Random, at least 32 characters; changing it changes every pseudonym. Without it no e-mail-derived
   * id is written.
   */
  readonly pseudonymKey?: string;
}

/** Validates the webhook secret; at least one value per vendor so a misconfigured stage fails loudly. */
export const webhookSecretsSchema = v.object({
  round0SigningSecrets: v.pipe(v.array(v.pipe(v.string(), v.minLength(8))), v.minLength(1)),
  micro1Tokens: v.pipe(v.array(v.pipe(v.string(), v.minLength(32))), v.minLength(1)),
}) satisfies v.GenericSchema<unknown, WebhookSecrets>;

/** Validates the integration secret; every credential is optional until an adapter needs it. */
export const integrationSecretsSchema = v.looseObject({
  round0ApiKey: v.optional(v.string()),
  micro1ApiKey: v.optional(v.string()),
  ats: v.optional(v.record(v.string(), v.string())),
  slackWebhookUrl: v.optional(v.string()),
  // Short keys are guessable offline against a list of e-mails: refuse them loudly rather than use them.
  pseudonymKey: v.optional(v.pipe(v.string(), v.minLength(32))),
}) satisfies v.GenericSchema<unknown, IntegrationSecrets>;
