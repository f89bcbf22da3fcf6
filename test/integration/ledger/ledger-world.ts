/** What the ledger's dynalite tests share: the table, one vendor, a fixed clock and lease, claimed states. */
import { randomUUID } from 'node:crypto';
import {
  type EffectRecord,
  type InterviewState,
  type InterviewUpdate,
  mergeInterviewUpdate,
} from '../../../functions/ledger/interview-state.js';
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';

export const tableName = resources.ledgerTable.name;
export const vendor: VendorName = 'round0';
export const t0 = Date.UTC(2024, 0, 16, 14, 0);
export const lease = 120_000;
export const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A fresh interview key per test: the table is shared by the whole file. */
export const anInterviewKey = (): string => `int-${randomUUID()}`;

/** A state as the sync would commit it: merged from `update`, the event claimed by `owner`. */
export const aClaimedState = (
  update: InterviewUpdate,
  owner: string,
  effects: Record<string, EffectRecord> = {},
): InterviewState => {
  const merged = mergeInterviewUpdate(undefined, update, new Date(t0).toISOString());
  return {
    ...merged.state,
    events: { [update.eventKey]: { advanced: merged.advanced, owner, leaseUntil: t0 + lease } },
    effects,
  };
};
