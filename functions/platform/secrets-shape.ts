import * as v from 'valibot';

/**
 * Shapes of the three secrets, split so each Lambda reads only what it needs (least privilege; IAM cannot
 * narrow a grant to one JSON key): the ingest reads the webhook secret alone; the worker the integration
 * secret and the vendor API secret; the archive the vendor API secret alone (ROUND0's key, to refresh
 * expired audio URLs), never the ATS credentials, the Slack URL or the pseudonym key. Locally all three
 * live in one git-ignored JSON file, `{ "webhook": …, "integration": …, "vendorApi": … }`.
 */

/** Secrets that authenticate incoming webhooks. Several values of each are valid at once (rotation). */
export interface WebhookSecrets {
  /** ROUND0 endpoint signing secrets (HMAC-SHA256 keys). */
  readonly round0SigningSecrets: readonly string[];
  /** High-entropy tokens accepted in `/webhooks/micro1/{token}`. */
  readonly micro1Tokens: readonly string[];
}

/** Credentials the worker uses to call the ATS and Slack, and the key of its e-mail pseudonyms. */
export interface IntegrationSecrets {
  /**
   * Where the vendor API keys were kept before the vendor API secret existed. The worker still reads them
   * here when the vendor API secret has none (a stage deployed before the split); `npm run ops -- setup`
   * moves them, after which the archive can refresh ROUND0 audio URLs again.
   */
  readonly round0ApiKey?: string;
  /** As {@link round0ApiKey}: read by the worker until `ops setup` moves it. */
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

/** The vendors' API keys: the worker enriches events with them, the archive refreshes ROUND0 audio URLs. */
export interface VendorApiSecrets {
  readonly round0ApiKey?: string;
  readonly micro1ApiKey?: string;
}

/** Validates the webhook secret; at least one value per vendor so a misconfigured stage fails loudly. */
export const webhookSecretsSchema = v.object({
  round0SigningSecrets: v.pipe(v.array(v.pipe(v.string(), v.minLength(8))), v.minLength(1)),
  // At most 512: a longer token is refused as a presented one before any secret is read
  // (`micro1TokenShapeOk`, functions/vendors/micro1/token.ts), so every delivery would be a silent 401.
  micro1Tokens: v.pipe(v.array(v.pipe(v.string(), v.minLength(32), v.maxLength(512))), v.minLength(1)),
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

/**
 * Validates the vendor API secret; both keys optional (an event is then synced without enrichment). A local
 * secrets file written before this secret existed has no `vendorApi` section: read as no keys.
 */
export const vendorApiSecretsSchema = v.optional(
  v.looseObject({
    round0ApiKey: v.optional(v.string()),
    micro1ApiKey: v.optional(v.string()),
  }),
  {},
) satisfies v.GenericSchema<unknown, VendorApiSecrets>;
