/**
 * A stable, non-reversible stand-in for a candidate known only by e-mail (log lines, the generic adapter's
 * `candidate.id`). A plain hash of an e-mail is not a pseudonym: anyone with a list of addresses hashes
 * them and matches. A keyed HMAC-SHA256 is, as long as the key stays in the integration secret
 * (`pseudonymKey`). Without a key, nothing derived from the e-mail is written at all.
 */
import { createHmac } from 'node:crypto';

/**
 * The interview state's field holding the candidate's pseudonym (sync/sync-event.ts writes it, the erasure
 * in local/ops/candidate.ts finds the candidate's interviews by it).
 */
export const candidatePseudonymField = 'candidatePseudonym';

/** Prefix of every e-mail pseudonym, so a reader knows what the id stands for. */
export const emailPseudonymPrefix = 'email-hmac:';

/**
 * The candidate id used when only an e-mail is known and no `pseudonymKey` is configured. It carries
 * nothing about the person; adapters leave it out of what they write.
 */
export const unidentifiedCandidateId = 'unidentified';

/**
 * `email-hmac:<16 hex>`: HMAC-SHA256 of the trimmed, lower-cased address under `key`, truncated to 64 bits
 * (enough to tell candidates apart in one company's logs; collisions only merge two log lines).
 * `undefined` when there is no key.
 *
 * @example
 * emailPseudonym('Ada@Example.com', key) // 'email-hmac:3f1c…' — the same for 'ada@example.com '
 */
export const emailPseudonym = (email: string, key: string | undefined): string | undefined => {
  if (!key) return undefined;
  const digest = createHmac('sha256', key).update(email.trim().toLowerCase()).digest('hex');
  return `${emailPseudonymPrefix}${digest.slice(0, 16)}`;
};
