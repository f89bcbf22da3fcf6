/**
 * The vendors registry the ingest handler uses: authentication (per vendor), validation and normalisation
 * of a body to the vendor-neutral {@link InterviewEvent}. No AWS or Lambda types in here.
 */
import * as v from 'valibot';
import { type InterviewEvent, type VendorName, vendorNames } from './envelope.js';
import { parseConfig, toVendorEventIssues, type VendorEventIssue } from './issues.js';
import { normaliseMicro1Event } from './micro1/normalise.js';
import { micro1EnvelopeSchema, micro1EventSchemas, micro1EventTypes } from './micro1/schema.js';
import { normaliseRound0Event } from './round0/normalise.js';
import { round0EnvelopeSchema, round0EventSchemas, round0EventTypes } from './round0/schema.js';
import { isTestDelivery } from './test-delivery.js';

export { canonicalJson, contentDedupeKey } from './dedupe.js';
export type { CandidateRef, InterviewEvent, QueueMessage, VendorName } from './envelope.js';
export { vendorNames } from './envelope.js';
export { WebhookConfigurationError } from './errors.js';
export { parseConfig, shownKey, toVendorEventIssues, type VendorEventIssue } from './issues.js';
export { micro1DedupeKey } from './micro1/normalise.js';
export type { Micro1EventType, Micro1KnownEvent } from './micro1/schema.js';
export {
  generateWebhookToken,
  micro1TokenShapeOk,
  minMicro1TokenLength,
  verifyMicro1Token,
} from './micro1/token.js';
export type { Round0EventType, Round0KnownEvent } from './round0/schema.js';
export {
  defaultRound0ToleranceSeconds,
  type Round0SignatureFailure,
  type Round0SignatureResult,
  round0HeaderFailure,
  round0SignatureHeader,
  round0SignedContent,
  signRound0Payload,
  type VerifyRound0SignatureOptions,
  verifyRound0Signature,
} from './round0/signature.js';
export { isTestDelivery } from './test-delivery.js';
export { bodyText, nonFiniteNumberPath, withUnpairedSurrogatesReplaced } from './well-formed.js';

export type ParseVendorEventResult =
  | { readonly ok: true; readonly event: InterviewEvent }
  | { readonly ok: false; readonly issues: VendorEventIssue[] };

/** Event types each vendor's schemas know; anything else is queued with `known: false`. */
export const knownEventTypes: Record<VendorName, readonly string[]> = {
  micro1: micro1EventTypes,
  round0: round0EventTypes,
};

export function isVendorName(name: string): name is VendorName {
  return (vendorNames as readonly string[]).includes(name);
}

function hasOwn<T extends object>(record: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(record, key);
}

function parseRound0(body: unknown, receivedAt: Date): ParseVendorEventResult {
  const envelope = v.safeParse(round0EnvelopeSchema, body, parseConfig);
  if (!envelope.success) return { ok: false, issues: toVendorEventIssues(envelope.issues) };
  const type = envelope.output.type;
  if (!hasOwn(round0EventSchemas, type)) {
    return {
      ok: true,
      event: normaliseRound0Event(envelope.output, { payload: body, known: false, receivedAt }),
    };
  }
  const known = v.safeParse(round0EventSchemas[type], body, parseConfig);
  if (!known.success) return { ok: false, issues: toVendorEventIssues(known.issues) };
  return { ok: true, event: normaliseRound0Event(known.output, { payload: body, known: true, receivedAt }) };
}

function parseMicro1(body: unknown, receivedAt: Date): ParseVendorEventResult {
  const envelope = v.safeParse(micro1EnvelopeSchema, body, parseConfig);
  if (!envelope.success) return { ok: false, issues: toVendorEventIssues(envelope.issues) };
  const type = envelope.output.event;
  if (!hasOwn(micro1EventSchemas, type)) {
    return {
      ok: true,
      event: normaliseMicro1Event(envelope.output, { payload: body, known: false, receivedAt }),
    };
  }
  const known = v.safeParse(micro1EventSchemas[type], body, parseConfig);
  if (!known.success) return { ok: false, issues: toVendorEventIssues(known.issues) };
  return { ok: true, event: normaliseMicro1Event(known.output, { payload: body, known: true, receivedAt }) };
}

/**
 * Validates an authenticated body (already parsed from JSON) and normalises it. A known type must match
 * its schema; an unknown type needs only a valid envelope and comes back with `known: false` (vendors
 * add event types; those are queued, not refused). Issues carry dotted paths (`data.responses.0.score`)
 * and messages that never quote the received value (it may be PII). A test delivery from the vendor's
 * dashboard comes back flagged `test: true` (see `test-delivery.ts`).
 *
 * @example
 * const result = parseVendorEvent('round0', JSON.parse(rawBody), new Date());
 * if (!result.ok) return badRequest(result.issues);
 * await enqueue(result.event);
 */
export function parseVendorEvent(
  vendor: VendorName,
  body: unknown,
  receivedAt: Date,
): ParseVendorEventResult {
  const parsed = vendor === 'round0' ? parseRound0(body, receivedAt) : parseMicro1(body, receivedAt);
  if (!parsed.ok || !isTestDelivery(vendor, body)) return parsed;
  return { ok: true, event: { ...parsed.event, test: true } };
}
