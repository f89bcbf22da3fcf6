/**
 * Per-interview state: one item per (vendor, interview key) that every event of that interview updates,
 * whatever order the events arrive in. It is the one record of what happened to an interview:
 *
 * - **status** only moves forward: a higher lifecycle rank advances it, an event of a lower rank arriving
 *   late never takes it back (it is reported `stale`). Within one rank the newest event wins.
 * - **fields** merge per field: a value is written when the field is absent or the event is newer than the
 *   one that wrote it (per-field stamps), so a late, older event cannot overwrite newer data.
 * - **events**: each event's claim and outcome, keyed by its dedupe key. This is the event-level dedupe
 *   (a duplicate costs one read) and the lease that keeps two deliveries of one event from running at once.
 * - **effects**: each ATS write the interview needed, keyed by a name that says what was written
 *   (`note`, `status:completed`, `proctoring:85`), with its claim or its outcome. Effects live as long as the
 *   interview's state, so a vendor re-sending an event months later still finds them.
 *
 * Everything here is pure (no I/O): the store (`interview-ledger.ts`) reads the item, the sync decides on
 * this model, and one conditional write records the decision. Concurrent workers are kept apart by the
 * item's `version`: a write made from a stale read fails and is redone from a fresh one.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { VendorName } from '../vendors/envelope.js';
import { InvalidInterviewUpdateError } from './errors.js';

/**
 * A fresh claim or commit token: 96 random bits, 16 characters. Tokens only tell one attempt's writes from
 * another's on one item, and the item is read and written whole by every event (billed per started KB):
 * a UUID's 36 characters, stored once per event as `settledBy`, pushed a two-event interview over 1 KB.
 */
export const newToken = (): string => randomBytes(12).toString('base64url');

/** One event's contribution to an interview's state. */
export interface InterviewUpdate {
  readonly vendor: VendorName;
  /** From `interviewKeyOf(event)`. */
  readonly interviewKey: string;
  /** From `lifecycleOf(event)`; `undefined` for events that only add fields. */
  readonly rank: number | undefined;
  /** From `lifecycleOf(event)`; written only when `rank` is defined. */
  readonly status: string;
  /** When the event happened (ISO 8601); orders events of the same rank and field writes. */
  readonly occurredAt: string;
  /** The event's dedupe key: identifies a retried event and breaks ties between simultaneous events. */
  readonly eventKey: string;
  /**
   * Values to merge (JSON-compatible; `undefined` members are ignored). The item is read and written whole
   * by every event: store ids, scores and links, never transcripts (keep it near 1 KB: one write unit).
   */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Which event wrote a field (or the status), to decide whether a later event may overwrite it. */
export interface WriteStamp {
  /** `occurredAt` of the writing event, normalised to `Date#toISOString` so strings compare as times. */
  readonly at: string;
  /**
   * Breaks ties between events of the same time: {@link tieOf} the writing event's key. Any fixed order of
   * the events makes every arrival order agree; a 72-bit digest does so in 12 characters where the key
   * took 40 to 90, once per stamped field and the status (the item is billed per started KB).
   */
  readonly tie: string;
}

/** The {@link WriteStamp.tie} of an event key: its SHA-256, 72 bits in base64url. */
export const tieOf = (eventKey: string): string =>
  createHash('sha256').update(eventKey).digest('base64url').slice(0, 12);

/** The stamp of the event `update`. */
export const stampOf = (update: Pick<InterviewUpdate, 'occurredAt' | 'eventKey'>): WriteStamp => ({
  at: update.occurredAt,
  tie: tieOf(update.eventKey),
});

/** An event's record on its interview. */
export interface EventRecord {
  /** Whether the event moved the status to a higher rank (answered the same way on every retry). */
  readonly advanced: boolean;
  /** Processed to the end: every effect it claimed is recorded. A later delivery is a duplicate. */
  readonly done?: boolean;
  /** Claim token of the attempt processing it now (absent once done). */
  readonly owner?: string;
  /**
   * Claim token of the attempt that recorded it done: how that attempt knows the write is its own when its
   * answer was lost and another write landed before the SDK sent it again.
   */
  readonly settledBy?: string;
  /** Epoch ms until which `owner` holds the event. */
  readonly leaseUntil?: number;
  /** Set aside (candidate not found in the ATS); a replay processes it again. */
  readonly parked?: boolean;
}

/**
 * `claimed`: an attempt holds it and may be calling the ATS now (or died doing so, once the lease is over).
 * `done`: recorded after the ATS call returned. `failed`: the call was made and failed, so it may still have
 * landed: the next attempt checks the ATS first where it can.
 */
export type EffectState = 'claimed' | 'done' | 'failed';

/** One ATS write of an interview. */
export interface EffectRecord {
  readonly state: EffectState;
  /** Claims so far. */
  readonly attempts: number;
  /** Claim token while `claimed`. */
  readonly owner?: string;
  /** Epoch ms until which `owner` holds it. */
  readonly leaseUntil?: number;
  /** The event whose processing claimed (or did) it. */
  readonly eventKey?: string;
  /** How a done effect ended when it was not a plain write: `found`, `already-there`, `moved-on`, `uncertain`, … */
  readonly outcome?: string;
  /** The note's late-arriving parts it already included (`proctoring:85`, `recording:screen`). */
  readonly parts?: readonly string[];
}

/** Where the interview's record is in the ATS (ids only, never PII). */
export interface AtsMatchRecord {
  readonly candidateId: string;
  readonly applicationId?: string;
  /** The application's stage when interview-sync first found it: stage moves start only from there. */
  readonly stageAtStart?: string;
}

export interface InterviewState {
  readonly vendor: VendorName;
  readonly interviewKey: string;
  /** Furthest status reached; absent while only fields-only events have arrived. */
  readonly status?: string;
  readonly rank?: number;
  /** Which event set the status (the newest of the highest rank). */
  readonly statusStamp?: WriteStamp;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly fieldStamps: Readonly<Record<string, WriteStamp>>;
  readonly events: Readonly<Record<string, EventRecord>>;
  readonly effects: Readonly<Record<string, EffectRecord>>;
  readonly atsMatch?: AtsMatchRecord;
  /**
   * Another interview item took over this one's ATS status (micro1: the report's item closes the item of
   * the `interview.*` events, so a late `interview.started` cannot write "in progress" after "completed").
   */
  readonly closedBy?: string;
  /** Incremented by every write (optimistic concurrency). */
  readonly version: number;
  readonly updatedAt?: string;
}

export interface MergeResult {
  /** The event moved the status to a higher rank (for a retried event: whether it did the first time). */
  readonly advanced: boolean;
  /** The event's rank is below the status already reached: it arrived late and did not change the status. */
  readonly stale: boolean;
  /** The event had been applied before (a retry): status and fields were left as they are. */
  readonly replayed: boolean;
  readonly state: InterviewState;
}

/** The state of an interview no event has touched yet. */
export const emptyInterviewState = (vendor: VendorName, interviewKey: string): InterviewState => ({
  vendor,
  interviewKey,
  fields: {},
  fieldStamps: {},
  events: {},
  effects: {},
  version: 0,
});

/** `a` was written by a later event than `b` (ties on time broken by {@link tieOf}, so every order agrees). */
const isNewer = (a: WriteStamp, b: WriteStamp): boolean => a.at > b.at || (a.at === b.at && a.tie > b.tie);

/** Validates an update and normalises its time and fields to what is stored. */
export function normaliseUpdate(input: InterviewUpdate): InterviewUpdate {
  if (input.interviewKey === '') throw new InvalidInterviewUpdateError('interviewKey is empty');
  if (input.eventKey === '') throw new InvalidInterviewUpdateError('eventKey is empty');
  if (input.rank !== undefined && !Number.isFinite(input.rank)) {
    throw new InvalidInterviewUpdateError(`rank ${input.rank} is not a finite number`);
  }
  const time = Date.parse(input.occurredAt);
  if (Number.isNaN(time))
    throw new InvalidInterviewUpdateError(`occurredAt ${input.occurredAt} is not a date`);
  return {
    ...input,
    occurredAt: new Date(time).toISOString(),
    // Through JSON once, so what is stored is exactly what later merges compare against.
    fields: JSON.parse(JSON.stringify(input.fields)) as Record<string, unknown>,
  };
}

/**
 * Merges one (normalised) update into a state. An event applied before leaves status and fields as they
 * are (`replayed`), so a retry answers as the first attempt did. The event's own record is not written
 * here: {@link claimEvent} and the sync decide it.
 */
export function mergeInterviewUpdate(
  current: InterviewState | undefined,
  update: InterviewUpdate,
  nowIso: string,
): MergeResult {
  const base = current ?? emptyInterviewState(update.vendor, update.interviewKey);
  const stale = update.rank !== undefined && base.rank !== undefined && update.rank < base.rank;
  const previous = base.events[update.eventKey];
  if (previous !== undefined) {
    return { state: base, advanced: previous.advanced, stale, replayed: true };
  }

  const stamp = stampOf(update);
  let status = { status: base.status, rank: base.rank, statusStamp: base.statusStamp };
  let advanced = false;
  if (update.rank !== undefined) {
    if (base.rank === undefined || update.rank > base.rank) {
      status = { status: update.status, rank: update.rank, statusStamp: stamp };
      advanced = true;
    } else if (
      update.rank === base.rank &&
      (base.statusStamp === undefined || isNewer(stamp, base.statusStamp))
    ) {
      status = { status: update.status, rank: update.rank, statusStamp: stamp };
    }
  }

  const fields: Record<string, unknown> = { ...base.fields };
  const fieldStamps: Record<string, WriteStamp> = { ...base.fieldStamps };
  for (const [name, value] of Object.entries(update.fields)) {
    const written = fieldStamps[name];
    if (value === undefined || (written !== undefined && !isNewer(stamp, written))) continue;
    fields[name] = value;
    fieldStamps[name] = stamp;
  }

  return {
    state: { ...base, ...status, fields, fieldStamps, updatedAt: nowIso },
    advanced,
    stale,
    replayed: false,
  };
}

/** What an event's record says about a delivery of it. */
export type EventClaimCheck =
  /** Processed before: this delivery is a duplicate. */
  | { readonly kind: 'done' }
  /** Another attempt holds it now (a concurrent delivery): retry later. */
  | { readonly kind: 'held'; readonly leaseUntil: number }
  /** Nobody holds it: never seen, parked, or an earlier attempt died (`unfinished`). */
  | { readonly kind: 'free'; readonly unfinished: boolean };

export const checkEvent = (
  state: InterviewState | undefined,
  eventKey: string,
  nowMs: number,
): EventClaimCheck => {
  const record = state?.events[eventKey];
  if (record === undefined) return { kind: 'free', unfinished: false };
  if (record.done === true) return { kind: 'done' };
  if (record.owner !== undefined && (record.leaseUntil ?? 0) >= nowMs) {
    return { kind: 'held', leaseUntil: record.leaseUntil ?? nowMs };
  }
  return { kind: 'free', unfinished: record.owner !== undefined };
};

/** How an effect stands for an attempt that holds the claim token `token`. */
export type EffectCheck =
  | { readonly kind: 'done'; readonly record: EffectRecord }
  /** Claimed by another live attempt: that attempt does it (its message is not acknowledged until it has). */
  | { readonly kind: 'held'; readonly record: EffectRecord }
  /**
   * Free to claim. `unfinished`: an earlier attempt made (or may have made) the call and never recorded the
   * end (it failed, or died and its lease ran out): check the ATS before repeating a write that is not
   * idempotent.
   */
  | { readonly kind: 'free'; readonly unfinished: boolean; readonly record?: EffectRecord };

export const checkEffect = (
  state: InterviewState,
  key: string,
  token: string,
  nowMs: number,
): EffectCheck => {
  const record = state.effects[key];
  if (record === undefined) return { kind: 'free', unfinished: false };
  if (record.state === 'done') return { kind: 'done', record };
  if (record.state === 'claimed' && record.owner !== token && (record.leaseUntil ?? 0) >= nowMs) {
    return { kind: 'held', record };
  }
  return { kind: 'free', unfinished: true, record };
};

/** A claim on an effect for the attempt `owner`, counting the attempt. */
export const claimedEffect = (
  previous: EffectRecord | undefined,
  owner: string,
  eventKey: string,
  leaseUntil: number,
  parts?: readonly string[],
): EffectRecord => ({
  state: 'claimed',
  attempts: (previous?.attempts ?? 0) + 1,
  owner,
  leaseUntil,
  eventKey,
  ...(parts === undefined ? {} : { parts }),
});

/** The effect as recorded once its call returned. */
export const doneEffect = (claimed: EffectRecord, outcome?: string): EffectRecord => ({
  state: 'done',
  attempts: claimed.attempts,
  ...(claimed.eventKey === undefined ? {} : { eventKey: claimed.eventKey }),
  ...(outcome === undefined ? {} : { outcome }),
  ...(claimed.parts === undefined ? {} : { parts: claimed.parts }),
});

/**
 * The effect as recorded when its call failed (it may still have landed). `settlingUntil`: the call got no
 * answer and may still be on its way to the receiver, so no attempt should check for it and repeat it before
 * then (see `planWrites`).
 */
export const failedEffect = (claimed: EffectRecord, settlingUntil?: number): EffectRecord => ({
  state: 'failed',
  attempts: claimed.attempts,
  ...(settlingUntil === undefined ? {} : { leaseUntil: settlingUntil }),
  ...(claimed.eventKey === undefined ? {} : { eventKey: claimed.eventKey }),
  ...(claimed.parts === undefined ? {} : { parts: claimed.parts }),
});

/** Whether `record` is a failed call that may still be landing (see {@link failedEffect}). */
export const isSettling = (record: EffectRecord | undefined, nowMs: number): boolean =>
  record?.state === 'failed' && (record.leaseUntil ?? 0) >= nowMs;
