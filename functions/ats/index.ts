/**
 * The ATS adapters behind one interface. Configuration, not code, decides the ATS:
 * `ATS_ADAPTER` names the adapter, `ATS_CONFIG` (JSON, no secrets) holds its settings and the integration
 * secret's `ats` object its credentials.
 *
 * @example
 * ```ts
 * const ats = createAtsAdapter('greenhouse', JSON.parse(process.env.ATS_CONFIG ?? '{}'), secrets.ats, {
 *   pseudonymKey: secrets.pseudonymKey,
 * });
 * const match = await ats.findApplication({ email, atsApplicationId });
 * ```
 */
import { ConfigurationError } from '../platform/errors.js';
import { ashbyConfigSchema, createAshbyAdapter } from './ashby/adapter.js';
import { createGenericAdapter, genericConfigSchema } from './generic/adapter.js';
import { createGreenhouseAdapter, greenhouseConfigSchema } from './greenhouse/adapter.js';
import { createLeverAdapter, leverConfigSchema } from './lever/adapter.js';
import { createLogAdapter, logConfigSchema } from './log/adapter.js';
import type { AtsAdapter, AtsAdapterDeps } from './types.js';

export const atsAdapterNames = ['log', 'greenhouse', 'lever', 'ashby', 'generic'] as const;
export type AtsAdapterName = (typeof atsAdapterNames)[number];

/**
 * Each adapter's `ATS_CONFIG` schema, the one its factory parses: the CDK app checks a stage's `atsConfig`
 * against it at synth, so a setting the worker would refuse at its first event stops the deploy instead.
 */
export const atsConfigSchemas = {
  log: logConfigSchema,
  greenhouse: greenhouseConfigSchema,
  lever: leverConfigSchema,
  ashby: ashbyConfigSchema,
  generic: genericConfigSchema,
} as const satisfies Record<AtsAdapterName, { readonly entries: Readonly<Record<string, unknown>> }>;

/** Whether `name` is a known adapter (for validating `ATS_ADAPTER`). */
export const isAtsAdapterName = (name: string): name is AtsAdapterName =>
  (atsAdapterNames as readonly string[]).includes(name);

/**
 * Creates the adapter `name` from its parsed `ATS_CONFIG` and its credentials. Throws
 * `ConfigurationError` for an unknown name, an invalid config or missing credentials — at cold start.
 * `deps.pseudonymKey` (the integration secret's `pseudonymKey`) keys the e-mail pseudonyms of the log and
 * generic adapters; without it they write no e-mail-derived id.
 *
 * | adapter    | ATS_CONFIG (required → optional)                                                  | credentials                 |
 * |------------|-----------------------------------------------------------------------------------|-----------------------------|
 * | log        | → path                                                                             | none                        |
 * | greenhouse | userId → baseUrl, authUrl, noteVisibility, statusTagIds, perPage, rateLimit, http | clientId, clientSecret      |
 * | lever      | performAs → baseUrl, noteSecret, statusTags, addLinks, rateLimit, http            | apiKey                      |
 * | ashby      | → baseUrl, statusTagIds, statusField, fieldObjectType, rateLimit, http            | apiKey                      |
 * | generic    | url → rateLimit, http                                                              | signingSecret (`whsec_…`)   |
 */
export const createAtsAdapter = (
  name: string,
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  if (!isAtsAdapterName(name)) {
    throw new ConfigurationError(
      `unknown ATS adapter "${name}" (expected one of ${atsAdapterNames.join(', ')})`,
    );
  }
  switch (name) {
    case 'log':
      return createLogAdapter(config, deps);
    case 'greenhouse':
      return createGreenhouseAdapter(config, credentials, deps);
    case 'lever':
      return createLeverAdapter(config, credentials, deps);
    case 'ashby':
      return createAshbyAdapter(config, credentials, deps);
    case 'generic':
      return createGenericAdapter(config, credentials, deps);
  }
};

export {
  AtsNotFoundError,
  AtsPermanentError,
  AtsTransientError,
  NotificationUncertainError,
} from './errors.js';
export { emailPseudonym, unidentifiedCandidateId } from './pseudonym.js';
export { buildSlackMessage, notifySlack, type SlackNotification } from './slack.js';
export type {
  ApplicationLookup,
  AtsAdapter,
  AtsAdapterDeps,
  AtsContext,
  AtsLink,
  AtsMatch,
  AtsWriteAction,
  ScreeningNote,
  ScreeningNoteSection,
  ScreeningStatus,
  StageMove,
  StageMoveOutcome,
} from './types.js';
export { screeningStatusLabels } from './types.js';
