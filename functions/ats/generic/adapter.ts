/**
 * Generic adapter for in-house ATSes and automation tools (Zapier, n8n, Make): every write is a JSON POST
 * to one configured URL, signed per Standard Webhooks (standardwebhooks.com, generic.md) with the
 * `standardwebhooks` package so receivers can verify it with the spec's published libraries.
 *
 * - `webhook-id` is derived from `ctx.eventKey` and the action, so it is identical on every retry of the
 *   same effect and receivers deduplicate on it; the body is deterministic for the same reason (the send
 *   time travels in `webhook-timestamp`, which is signed).
 * - `findApplication` does no lookup: it hands the lookup back as the match, and each payload carries it.
 *   The candidate's `id` is the ATS application id, else a keyed pseudonym of the e-mail (`email-hmac:…`,
 *   only with a `pseudonymKey`), else absent: an unsalted e-mail hash would be reversible.
 * - Stage moves are delivered as `interview-sync.stage` with `{ fromStageId?, toStageId }` and reported as
 *   `moved`: the receiver decides; links as `interview-sync.links`. There is no `currentStage`.
 * - 2xx is success; 410 Gone means "stop sending" (permanent); other 4xx permanent; 429/5xx transient.
 */
import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { Webhook } from 'standardwebhooks';
import * as v from 'valibot';
import { ConfigurationError } from '../../platform/errors.js';
import { AtsPermanentError } from '../errors.js';
import { renderNoteText } from '../note-render.js';
import { emailPseudonym, unidentifiedCandidateId } from '../pseudonym.js';
import { parseSettings, requireCredentials } from '../settings.js';
import { createAtsTransport, httpSettingsSchema, urlSchema } from '../transport.js';
import type { AtsAdapter, AtsAdapterDeps, AtsContext, AtsLink, AtsMatch, AtsWriteAction } from '../types.js';

const adapter = 'generic';

/** `ATS_CONFIG` of the generic adapter (no secrets). */
export const genericConfigSchema = v.object({
  /** Receiver URL (https in production). Required. */
  url: urlSchema,
  rateLimit: v.optional(
    v.object({
      /**
       * Parallel deliveries from one worker instance (up to 5 run at once: `lib/resources.ts`). Not divided
       * by ATS_RATE_SHARE: it bounds concurrency, not an account's rate, and a receiver that is overwhelmed
       * answers 429/5xx, which is retried. @default 2
       */
      maxConcurrent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2),
    }),
    {},
  ),
  http: httpSettingsSchema,
});
export type GenericConfig = v.InferInput<typeof genericConfigSchema>;

/** The JSON body of every delivery. Versioned so receivers can refuse what they cannot read. */
export interface GenericAtsEvent {
  readonly schemaVersion: 1;
  /**
   * `interview-sync.note`, `.status`, `.stage`, `.field` or `.links`.
   */
  readonly type: `interview-sync.${AtsWriteAction}`;
  readonly eventKey: string;
  readonly vendor: string;
  readonly interviewId?: string;
  /**
   * `id` is the match's candidate id — the ATS application id, or `email-hmac:…` (a keyed pseudonym of the
   * e-mail) — stable across events, and absent when only an e-mail is known and no pseudonym key is set;
   * `email` and `atsApplicationId` are the lookup as the vendor gave it (the receiver needs them to find the
   * record). A caller that remembers only ids between events sends `id` alone.
   */
  readonly candidate: { readonly id?: string; readonly email?: string; readonly atsApplicationId?: string };
  readonly note?: { readonly structured: unknown; readonly text: string };
  readonly status?: string;
  /** The move: `fromStageId` is where the application was when the sync first found it, when known. */
  readonly stage?: { readonly fromStageId?: string; readonly toStageId: string };
  readonly field?: { readonly id: string; readonly value: string };
  readonly links?: ReadonlyArray<AtsLink>;
}

/** A stable Standard Webhooks message id for one effect. */
export const genericWebhookId = (eventKey: string, action: AtsWriteAction): string =>
  `msg_${createHash('sha256').update(`${eventKey}\u0000${action}`).digest('base64url').slice(0, 32)}`;

/** Builds the signed delivery (pure apart from the signature's timestamp, which is passed in). */
export const buildGenericDelivery = (
  url: string,
  signer: Webhook,
  event: GenericAtsEvent,
  action: AtsWriteAction,
  sentAt: Date,
) => {
  const body = JSON.stringify(event);
  const id = genericWebhookId(event.eventKey, action);
  return {
    method: 'POST' as const,
    url,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signer.sign(id, sentAt, body),
    },
    body,
    // Receivers deduplicate on webhook-id, so repeating a delivery is harmless.
    idempotent: true,
    // A signed delivery (the candidate's data) follows no redirect to another origin, where it would go
    // without its signature: the receiver is the one URL configured.
    credentialHeaders: ['webhook-signature'],
    operation: `POST ${action}`,
  };
};

/**
 * Creates the generic adapter from `ATS_CONFIG` (see {@link genericConfigSchema}) and the credentials
 * `{ signingSecret }` (`whsec_<base64>`).
 */
export const createGenericAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const settings = parseSettings(adapter, genericConfigSchema, config);
  const { signingSecret } = requireCredentials(adapter, credentials, ['signingSecret']);
  let signer: Webhook;
  try {
    signer = new Webhook(signingSecret);
  } catch (error) {
    throw new ConfigurationError(`ATS credentials for ${adapter}: signingSecret is not a whsec_ secret`, {
      cause: error,
    });
  }
  const now = deps.now ?? Date.now;
  const transport = createAtsTransport({
    adapter,
    urls: [settings.url],
    limiter: new Bottleneck({ maxConcurrent: settings.rateLimit.maxConcurrent }),
    http: settings.http,
    deps,
  });

  const deliver = async (
    action: AtsWriteAction,
    match: AtsMatch,
    ctx: AtsContext,
    fields: Pick<GenericAtsEvent, 'note' | 'status' | 'stage' | 'field' | 'links'>,
  ) => {
    const event: GenericAtsEvent = {
      schemaVersion: 1,
      type: `interview-sync.${action}`,
      eventKey: ctx.eventKey,
      vendor: ctx.vendor,
      ...(ctx.interviewId ? { interviewId: ctx.interviewId } : {}),
      candidate: {
        ...(match.candidateId === unidentifiedCandidateId ? {} : { id: match.candidateId }),
        ...(match.email ? { email: match.email } : {}),
        ...(match.applicationId ? { atsApplicationId: match.applicationId } : {}),
      },
      ...fields,
    };
    await transport
      .send(buildGenericDelivery(settings.url, signer, event, action, new Date(now())))
      .catch((error) => {
        if (error instanceof AtsPermanentError && error.status === 410) {
          throw new AtsPermanentError(`${adapter}: receiver answered 410 Gone (stop sending)`, {
            adapter,
            status: 410,
            reason: 'gone',
          });
        }
        throw error;
      });
  };

  return {
    name: adapter,

    async findApplication(lookup) {
      if (!lookup.email && !lookup.atsApplicationId) return undefined;
      return {
        candidateId:
          lookup.atsApplicationId ??
          emailPseudonym(lookup.email ?? '', deps.pseudonymKey) ??
          unidentifiedCandidateId,
        ...(lookup.atsApplicationId ? { applicationId: lookup.atsApplicationId } : {}),
        ...(lookup.email ? { email: lookup.email } : {}),
      };
    },

    async addNote(match, note, ctx) {
      await deliver('note', match, ctx, { note: { structured: note, text: renderNoteText(note) } });
    },

    async setStatus(match, status, ctx) {
      await deliver('status', match, ctx, { status });
    },

    async moveStage(match, move, ctx) {
      await deliver('stage', match, ctx, {
        stage: {
          ...(move.fromStageId === undefined ? {} : { fromStageId: move.fromStageId }),
          toStageId: move.toStageId,
        },
      });
      return 'moved';
    },

    async setField(match, fieldId, value, ctx) {
      await deliver('field', match, ctx, { field: { id: fieldId, value } });
    },

    async addLinks(match, links, ctx) {
      if (links.length === 0) return;
      await deliver('links', match, ctx, { links: links.map(({ label, url }) => ({ label, url })) });
    },
  };
};
