/**
 * What the worker does with an error: retry the message (transient), park it (candidate not in the ATS)
 * or dead-letter it with the reason (permanent). Unknown errors are transient: a bug or an outage must
 * never silently drop an acknowledged event; SQS's redrive still bounds the retries.
 */
import { ArchiveError } from '../archive/errors.js';
import { AtsPermanentError } from '../ats/errors.js';
import {
  UnreadableEventPayloadError,
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
} from '../enrichment/errors.js';
import { LedgerError } from '../ledger/errors.js';
import { ConfigurationError } from '../platform/errors.js';
import { HttpPermanentError } from '../platform/http.js';
import { UnreadableQueueMessageError } from '../queue/errors.js';
import { UnmatchedCandidateError } from './errors.js';

export type FailureDisposition =
  | { readonly kind: 'transient' }
  | { readonly kind: 'unmatched'; readonly reason: string }
  | { readonly kind: 'permanent'; readonly reason: string };

const permanentClasses = [
  AtsPermanentError,
  HttpPermanentError,
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
  UnreadableEventPayloadError,
  UnreadableQueueMessageError,
  ConfigurationError,
];

export const classifyFailure = (error: unknown): FailureDisposition => {
  if (error instanceof UnmatchedCandidateError) return { kind: 'unmatched', reason: error.reason };
  if (error instanceof AtsPermanentError) {
    return { kind: 'permanent', reason: `${error.adapter}: ${error.reason}` };
  }
  if (error instanceof ArchiveError) {
    // Messages of archive errors name object keys, never source URLs.
    return error.transient
      ? { kind: 'transient' }
      : { kind: 'permanent', reason: error.message.slice(0, 300) };
  }
  if (error instanceof LedgerError) {
    return error.transient ? { kind: 'transient' } : { kind: 'permanent', reason: error.name };
  }
  if (permanentClasses.some((permanent) => error instanceof permanent)) {
    // Messages of these classes name operations and statuses, never payload data.
    return { kind: 'permanent', reason: (error as Error).message.slice(0, 300) };
  }
  return { kind: 'transient' };
};
