/**
 * The sync's world for integration tests: dynalite with the real ledger classes, the Lever fake behind the
 * real Lever adapter, and factories for vendor events (vendor samples with the changes a test is about,
 * normalised by the real vendor parsers), opportunities and misbehaving adapters.
 */

import { createAtsAdapter } from '../../../functions/ats/index.js';
import type { AtsAdapter, AtsMatch } from '../../../functions/ats/types.js';
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { InterviewLedger } from '../../../functions/ledger/interview-ledger.js';
import type { SyncDeps } from '../../../functions/sync/sync-event.js';
import { type InterviewEvent, parseVendorEvent, type VendorName } from '../../../functions/vendors/index.js';
import { resources } from '../../../lib/resources.js';
import {
  type FakeLever,
  type FakeLeverNote,
  type FakeLeverOpportunity,
  startFakeLever,
} from '../../../local/fakes/lever.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { type EventChanges, receivedAt, vendorEvent } from '../../unit/vendors/factories.js';
import { anOpportunity as aLeverOpportunity } from '../ats/factories.js';

export const ledgerTable = resources.ledgerTable.name;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const inProgressTag = 'AI screening in progress';
export const completedTag = 'AI screening completed';

/** The envelope ingest would queue for a vendor sample of `type` with `changes` applied. */
export const envelope = (vendor: VendorName, type: string, changes?: EventChanges): InterviewEvent => {
  const parsed = parseVendorEvent(vendor, vendorEvent(vendor, type, changes), receivedAt);
  if (!parsed.ok) throw new Error(`${vendor} ${type} does not parse: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
};

/**
 * A ROUND0 event of the sample interview `660f9511…` (candidate jane@example.com), or of `interviewId`
 * with a candidate of its own when given. `eventId` sets the ROUND0 event id (the dedupe key).
 */
export const round0 = (
  type: 'interview_started' | 'interview_ended',
  options: { eventId?: string; interviewId?: string; email?: string; created?: number } = {},
): InterviewEvent =>
  envelope('round0', type, {
    set: {
      ...(options.eventId === undefined ? {} : { id: options.eventId }),
      ...(options.interviewId === undefined ? {} : { 'data.interview.id': options.interviewId }),
      ...(options.email === undefined ? {} : { 'data.candidate.email': options.email }),
      ...(options.created === undefined ? {} : { created: options.created }),
    },
  });

/** The ATS factories' opportunity, as Jane (the vendor samples' candidate). */
export const anOpportunity = (overrides: Partial<FakeLeverOpportunity> = {}): FakeLeverOpportunity =>
  aLeverOpportunity({ id: 'opp-jane', contact: 'contact-jane', emails: ['jane@example.com'], ...overrides });

/** Opportunities of the vendor samples' candidates. */
export const sampleOpportunities = (): FakeLeverOpportunity[] => [
  anOpportunity(),
  anOpportunity({ id: 'opp-test', contact: 'contact-test', emails: ['test@example.com'] }),
  // micro1's report carries `ats_job_application_id: ABCD1234`; its interview events only the e-mail.
  anOpportunity({ id: 'ABCD1234', contact: 'contact-john', emails: ['john.doe@micro1.ai'] }),
];

export interface SyncWorld {
  readonly dynamo: LocalDynamo;
  readonly lever: FakeLever;
  /** The real Lever adapter against the fake. */
  readonly ats: AtsAdapter;
  /** Real ledger-backed deps with `overrides` (e.g. a wrapped adapter, options, a notifier). */
  deps(overrides?: Partial<SyncDeps>): SyncDeps;
  /** The ledger over dynalite (reads the interview items tests assert on). */
  readonly ledger: InterviewLedger;
  /** Notes posted to an opportunity. */
  notesOf(opportunityId: string): FakeLeverNote[];
  /** Current tags of an opportunity. */
  tagsOf(opportunityId: string): string[];
  close(): Promise<void>;
}

export interface SyncWorldOptions {
  readonly opportunities?: FakeLeverOpportunity[];
  /** Claim lease (a "crashed" attempt's claims expire after it). @default the sync's */
  readonly leaseMs?: number;
}

/** Starts dynalite and the Lever fake; each test gets its own, so vendor sample ids can be reused. */
export const startSyncWorld = async (options: SyncWorldOptions = {}): Promise<SyncWorld> => {
  const dynamo = await startDynalite();
  const lever = await startFakeLever({
    seed: {
      users: ['user-1'],
      stages: ['stage-applied', 'stage-screened'],
      opportunities: options.opportunities ?? sampleOpportunities(),
    },
  });
  const ats = createAtsAdapter(
    'lever',
    {
      baseUrl: `${lever.url}/v1`,
      performAs: 'user-1',
      // Lever's real 10 req/s would make the tests wait; the limiter itself is tested with the adapter.
      rateLimit: { perSecond: 1000, burst: 1000, maxConcurrent: 8 },
      http: { timeoutMs: 2000, maxAttempts: 2, baseDelayMs: 1 },
    },
    { apiKey: 'lever-key' },
  );
  const client = dynamo.client;
  const ledger = new InterviewLedger({ client, tableName: ledgerTable });
  const opportunity = (id: string) => {
    const found = lever.state.opportunities.find((o) => o.id === id);
    if (found === undefined) throw new Error(`no opportunity ${id}`);
    return found;
  };
  return {
    dynamo,
    lever,
    ats,
    ledger,
    deps: (overrides = {}) => ({
      ats,
      ledger,
      enrich: (event) => enrichEvent(event),
      ...overrides,
      options: {
        ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
        ...overrides.options,
      },
    }),
    notesOf: (opportunityId) => lever.state.notes.filter((n) => n.opportunityId === opportunityId),
    tagsOf: (opportunityId) => [...opportunity(opportunityId).tags].sort(),
    async close() {
      await lever.close();
      await dynamo.close();
    },
  };
};

/** Thrown by adapters that simulate the worker dying at a chosen point. */
export class SimulatedCrashError extends Error {
  constructor(where: string) {
    super(`simulated crash ${where}`);
    this.name = 'SimulatedCrashError';
  }
}

/**
 * `ats` whose `addNote` really posts, then dies before the caller can record it: the first `crashes` calls
 * throw (`'throw'`) or never return (`'hang'`, a process killed mid-flight).
 */
export const crashingAfterNote = (
  ats: AtsAdapter,
  options: { crashes?: number; mode?: 'throw' | 'hang' } = {},
): AtsAdapter => {
  let left = options.crashes ?? 1;
  return {
    ...ats,
    async addNote(match, note, ctx) {
      await ats.addNote(match, note, ctx);
      if (left <= 0) return;
      left -= 1;
      if (options.mode === 'hang') await new Promise<never>(() => undefined);
      throw new SimulatedCrashError('after the note was posted');
    },
  };
};

/** `ats` that waits `delayOf(call)` ms before each lookup and status write (to shuffle interleavings). */
export const withDelays = (
  ats: AtsAdapter,
  delayOf: (call: { method: 'findApplication' | 'setStatus'; status?: string }) => number,
): AtsAdapter => ({
  ...ats,
  async findApplication(lookup) {
    await sleep(delayOf({ method: 'findApplication' }));
    return ats.findApplication(lookup);
  },
  async setStatus(match: AtsMatch, status, ctx) {
    await sleep(delayOf({ method: 'setStatus', status }));
    return ats.setStatus(match, status, ctx);
  },
});

/** Resolves once `condition` holds (polling), or fails after `timeoutMs`. */
export const eventually = async (condition: () => boolean, timeoutMs = 3000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
};

/** A promise a test resolves when it chooses: `opened` settles once `open()` is called (again: no effect). */
export const aGate = () => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open: () => open() };
};
