/**
 * What the ledger table's partition keys start with, one prefix per kind of item. Each function's IAM is
 * scoped to the prefixes of its own items (`dynamodb:LeadingKeys`, lib/constructs): the worker's interview
 * state and parked events, the archive's manifest, leases and parked tasks.
 */

/** An interview's state item (ledger/interview-ledger.ts). */
export const interviewStatePkPrefix = 'INTERVIEW#';

/** An event or task parked for an operator (ledger/parking-lot.ts). */
export const parkedPkPrefix = 'PARKED#';

/** An interview's archive manifest: objects, batches, leases (archive/manifest.ts). */
export const archiveManifestPkPrefix = 'ARCHIVE#';
