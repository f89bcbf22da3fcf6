/**
 * The executor of a plan (`plan.ts`): makes each claimed write in the ATS and says how it ended. The sync
 * (`sync-event.ts`) has already claimed every write in the ledger, in the same conditional write as the
 * state advance, and records the outcomes afterwards; this module is the only place that knows how each
 * kind of write is made safe to repeat.
 *
 * What a retry does after a crash, per kind of write (a crash leaves the claim recorded and its lease runs
 * out; a failed call is recorded `failed`; either way the next attempt sees the write "unfinished"):
 *
 * | write | crash before the call | crash during (sent, no answer) | crash after (not recorded) |
 * |---|---|---|---|
 * | status (tags/field) | writes it | writes it again: setting a tag or a field twice is one state | same |
 * | note, follow-up note | looks for its marker in the ATS, finds none, posts | marker found → not posted again; else posts | marker found → not posted again |
 * | stage move | reads the stage: in `from` → moves | reads, once the call has had its settling time: already in `to` → done; else moves (the adapters never re-send a move blindly: a recruiter may have moved on) | `already-there` |
 * | score field | writes it | writes the same value again | same |
 * | links (Lever) | adds the missing ones | adds only those still missing | none missing |
 * | notification | recorded `uncertain`, not sent: at most once (Slack has no idempotency key), so a crash between the claim and the POST loses it | recorded `uncertain` | recorded `uncertain` |
 *
 * (Links are read, then the missing ones added, so two sets of links are never added at once: a new set
 * waits while another attempt adds an earlier one, `plan.ts`; else both would add a link both lack.)
 *
 * "Sent, no answer" without a crash (the call timed out: the ATS may still be working on it) is recorded
 * `failed` with a settling time (`SyncOptions.unansweredSettleMs`, 30 s): no attempt checks for the write
 * and repeats it before then (`plan.ts` waits), or a duplicate delivery arriving at once could look for the
 * note before the late request lands and post it twice. A request that lands later than that is posted twice.
 *
 * Writes planned in a later round of the same event (the notification of a status it just wrote, a follow-up
 * for a part the note it found lacks) have one crash point more: between the rounds. The event is recorded
 * done only by a settle after which nothing is left for it, so a crash there leaves the event claimed; its
 * redelivery takes it over once the lease is out and makes those writes ("crash before the call" above).
 *
 * A note is also checked for its marker when the ledger had no record of the interview before this event
 * (the item expired, or this is its first event): the ledger's silence is not proof that nothing was posted.
 * Adapters without `hasNote` (generic: the receiver dedupes on the effect key sent as `webhook-id`; the
 * deployed `log` adapter prints and cannot look back) post again.
 */
import { AtsPermanentError, AtsTransientError, NotificationUncertainError } from '../ats/errors.js';
import type { AtsAdapter, AtsContext, AtsMatch, ScreeningNote, ScreeningStatus } from '../ats/types.js';
import type { AtsMatchRecord } from '../ledger/interview-state.js';
import type { PlannedWrite } from './plan.js';

/** How a write ended, when it did not simply run. */
export type WriteOutcome =
  /** The ATS call ran. */
  | 'ran'
  /** A note already carried its marker (an earlier attempt posted it). */
  | 'found'
  /** Stage: the application already was in the target stage. */
  | 'already-there'
  /** Stage: a recruiter moved the application elsewhere; nothing written. */
  | 'moved-on'
  /** Stage: the target stage belongs to another job's interview plan than the application's; nothing written. */
  | 'other-plan'
  /** Notification: it may have been sent; never resent. */
  | 'uncertain'
  /** Notification: refused for good (a 4xx from Slack); the ATS writes stand, the event is not failed for it. */
  | 'refused';

/** Where the process may be killed in tests ("crash points"); never set in deployed code. */
export interface CrashPoints {
  /** Called after the write was claimed, just before the ATS call. Throwing here simulates a crash. */
  readonly beforeWrite?: (key: string) => void | Promise<void>;
  /** Called after the ATS call returned, before the outcome is recorded. Throwing simulates a crash. */
  readonly afterWrite?: (key: string) => void | Promise<void>;
}

export interface ApplyContext {
  readonly ats: AtsAdapter;
  readonly match: AtsMatchRecord;
  /**
   * The event's candidate e-mail, when it carries one: handed to the adapter with the match (the generic
   * adapter forwards it so the receiver can find its record), never stored in the ledger. PII.
   */
  readonly candidateEmail?: string;
  readonly vendor: string;
  readonly interviewKey: string;
  /** The main note with the parts it includes. */
  readonly buildNote: (marker: string) => ScreeningNote;
  /** A follow-up note for one late part. */
  readonly buildFollowUp: (
    write: Extract<PlannedWrite, { kind: 'follow-up' }>,
    marker: string,
  ) => ScreeningNote;
  /** Sends the notification, if configured. */
  readonly notify?: (status: ScreeningStatus) => Promise<void>;
  /** Writes whose previous attempt did not record its end. */
  readonly unfinished: ReadonlySet<string>;
  /** The ledger had no record of this interview before this event. */
  readonly firstRecord: boolean;
  readonly crashPoints?: CrashPoints;
}

/** What was applied so far (filled as writes complete, so a failure still knows what landed). */
export type AppliedWrites = Array<{ readonly key: string; readonly outcome: WriteOutcome }>;

/** The note's marker: unique per interview and write, so a retry can find a note it posted. */
export const markerOf = (vendor: string, interviewKey: string, key: string): string =>
  key === 'note'
    ? `interview-sync:${vendor}:${interviewKey}`
    : `interview-sync:${vendor}:${interviewKey}:${key}`;

/**
 * Makes `writes` in order, appending each outcome to `applied`. Stops at the first failure (the error
 * propagates; `applied` says what landed before it).
 */
export const applyWrites = async (
  writes: readonly PlannedWrite[],
  context: ApplyContext,
  applied: AppliedWrites,
): Promise<void> => {
  const match: AtsMatch = {
    candidateId: context.match.candidateId,
    ...(context.match.applicationId === undefined ? {} : { applicationId: context.match.applicationId }),
    ...(context.candidateEmail === undefined ? {} : { email: context.candidateEmail }),
  };
  for (const write of writes) {
    await context.crashPoints?.beforeWrite?.(write.key);
    const outcome = await applyOne(write, match, context);
    await context.crashPoints?.afterWrite?.(write.key);
    applied.push({ key: write.key, outcome });
  }
};

const applyOne = async (
  write: PlannedWrite,
  match: AtsMatch,
  context: ApplyContext,
): Promise<WriteOutcome> => {
  const { ats } = context;
  const ctx: AtsContext = {
    vendor: context.vendor,
    interviewId: context.interviewKey,
    eventKey: `${context.vendor}:${context.interviewKey}:${write.key}`,
  };
  const unfinished = context.unfinished.has(write.key);
  switch (write.kind) {
    case 'status':
      // Idempotent: the adapter sets the status's tag (or field) and clears the other one.
      await ats.setStatus(match, write.status, ctx);
      return 'ran';
    case 'note':
    case 'follow-up': {
      const marker = markerOf(context.vendor, context.interviewKey, write.key);
      const lookFirst = unfinished || (write.kind === 'note' && context.firstRecord);
      if (lookFirst && ats.hasNote !== undefined && (await ats.hasNote(match, marker))) return 'found';
      const note = write.kind === 'note' ? context.buildNote(marker) : context.buildFollowUp(write, marker);
      await ats.addNote(match, note, ctx);
      return 'ran';
    }
    case 'links':
      // Idempotent: the adapter adds only the links the record lacks.
      await ats.addLinks?.(match, write.links, ctx);
      return 'ran';
    case 'stage': {
      if (ats.moveStage === undefined) return 'moved-on';
      // Relative to the stage at the interview's start: a repeat finds it `already-there`, a recruiter's
      // manual move since then is never undone (`moved-on`).
      const fromStageId = context.match.stageAtStart;
      const moved = await ats.moveStage(
        match,
        { ...(fromStageId === undefined ? {} : { fromStageId }), toStageId: write.toStageId },
        ctx,
      );
      return moved === 'moved' ? 'ran' : moved;
    }
    case 'field':
      // Idempotent: the same value written twice is one state.
      await ats.setField?.(match, write.fieldId, write.value, ctx);
      return 'ran';
    case 'notify':
      return notifyAtMostOnce(write.status, unfinished, context.notify);
  }
};

/**
 * Slack incoming webhooks have no idempotency key, so a notification is sent at most once: an earlier
 * attempt that may have sent it (it died, or its answer was lost) is never repeated. A lost notification
 * costs a recruiter a ping; a duplicate one costs trust in every other.
 */
const notifyAtMostOnce = async (
  status: ScreeningStatus,
  unfinished: boolean,
  notify: ((status: ScreeningStatus) => Promise<void>) | undefined,
): Promise<WriteOutcome> => {
  if (notify === undefined) return 'refused';
  if (unfinished) return 'uncertain';
  try {
    await notify(status);
    return 'ran';
  } catch (error) {
    if (error instanceof NotificationUncertainError) return 'uncertain';
    // Certainly not delivered (429, connection refused): the event is retried and so is the notification.
    if (error instanceof AtsTransientError) throw error;
    if (error instanceof AtsPermanentError) return 'refused';
    throw error;
  }
};
