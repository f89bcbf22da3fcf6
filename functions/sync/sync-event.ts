/**
 * Turns one queued interview event into its ATS writes, exactly once and robust to order:
 *
 * 1. read the interview's item: an event already done is a duplicate (one read, nothing else);
 * 2. enrich the event (vendor API where the webhook is not enough);
 * 3. merge it into the state (forward-only status, per-field stamps) and plan the writes (`plan.ts`);
 * 4. find the ATS record once per interview (its own ATS application id, else e-mail + ATS job);
 * 5. one conditional write: the merged state, the match, the event's claim and a claim on every planned
 *    write — a stale read redoes 3–5 instead of writing;
 * 6. make the writes (`apply.ts`), then one write records how each ended and the event done.
 *
 * Knows nothing of Lambda or SQS: the worker handler wires it and classifies its errors.
 */
import { type ArchiveCompletedPayload, archiveEventTypes } from '../archive/events.js';
import { archiveTasksOf } from '../archive/tasks.js';
import type { ArchiveTask } from '../archive/types.js';
import { AtsPermanentError, AtsTransientError, mayStillLand } from '../ats/errors.js';
import { candidatePseudonymField, emailPseudonym } from '../ats/pseudonym.js';
import type { AtsAdapter, ScreeningStatus } from '../ats/types.js';
import type { EnrichedInterview } from '../enrichment/enriched-interview.js';
import { EffectClaimLostError, EventInProgressError, MissingInterviewKeyError } from '../ledger/errors.js';
import type { InterviewLedger } from '../ledger/interview-ledger.js';
import {
  type AtsMatchRecord,
  checkEffect,
  checkEvent,
  claimedEffect,
  doneEffect,
  type EffectRecord,
  type EventRecord,
  failedEffect,
  type InterviewState,
  mergeInterviewUpdate,
  newToken,
  normaliseUpdate,
} from '../ledger/interview-state.js';
import { findInterviewKey, lifecycleOf, sessionKeyOf } from '../ledger/lifecycle.js';
import type { InterviewEvent } from '../vendors/envelope.js';
import { type AppliedWrites, applyWrites, type CrashPoints } from './apply.js';
import { EffectBusyError, UnmatchedCandidateError } from './errors.js';
import {
  notificationKey,
  type Plan,
  type PlanContext,
  type PlannedWrite,
  planFields,
  planWrites,
  statusEffectKeys,
  statusLevelOf,
} from './plan.js';
import { averageScore, buildFollowUpNote, buildScreeningNote } from './screening-note.js';

/** A Slack-style notification: names and links only, never transcripts or scores. */
export interface ScreeningNotification {
  readonly status: ScreeningStatus;
  readonly vendor: string;
  readonly candidateName?: string;
  readonly jobTitle?: string;
}

export interface SyncOptions {
  /** Stage to move the application to once the screening is completed (an ATS stage id). */
  readonly completedStageId?: string;
  /** Custom field that receives the screening score (0–100) once completed. */
  readonly scoreFieldId?: string;
  /**
   * How long an attempt holds its claims on the event and its writes. Longer than the worker's timeout
   * (60 s: a live worker never loses a claim, even with a slow ATS) and shorter than the queue's visibility
   * timeout (6 min: a redelivery after a crash finds the claims free).
   * @default 120000
   */
  readonly leaseMs?: number;
  /**
   * How long to wait for another attempt's write that must land first (a status of another level, the note
   * a follow-up depends on) before giving up; the message is then retried.
   * @default 3000
   */
  readonly waitMs?: number;
  /**
   * How long a write whose call got no answer (a timeout: it may still land) is left alone before another
   * attempt checks the ATS for it and repeats it if absent. Past the ATS calls' own timeout (10 s), so that a
   * request the ATS was still working on has landed by then.
   * @default 30000
   */
  readonly unansweredSettleMs?: number;
  /**
   * The integration secret's `pseudonymKey`: the candidate's e-mail pseudonym is then kept on the interview's
   * item and its archive tasks (never the e-mail), so an erasure by e-mail finds them after the raw events
   * that name the e-mail have expired.
   */
  readonly pseudonymKey?: string;
}

export interface SyncDeps {
  readonly ats: AtsAdapter;
  /**
   * Sends archive tasks to the archive queue (at least once: a retried event sends again, and archiving is
   * idempotent per object). Without it nothing is archived.
   */
  readonly archive?: (tasks: readonly ArchiveTask[]) => Promise<void>;
  readonly ledger: InterviewLedger;
  readonly enrich: (event: InterviewEvent) => Promise<EnrichedInterview>;
  readonly notify?: (notification: ScreeningNotification) => Promise<void>;
  readonly options?: SyncOptions;
  /** @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  /** Where tests kill the process; never set in deployed code. */
  readonly crashPoints?: CrashPoints;
}

/** What a sync did: logged by the worker, so small and free of PII. */
export interface SyncResult {
  readonly outcome: 'synced' | 'ignored' | 'duplicate';
  readonly reason?: string;
  readonly interviewKey?: string;
  readonly status?: string;
  readonly advanced?: boolean;
  readonly stale?: boolean;
  /** Each write this event planned and how it ended (`held`: another event's attempt makes it). */
  readonly effects: Readonly<Record<string, string>>;
}

/** The archive's link, for a note written after the media was archived (it then needs no follow-up). */
const archiveLinksOf = (state: InterviewState): Array<{ label: string; url: string }> => {
  const link = state.fields[planFields.archiveLink];
  return typeof link === 'string' ? [{ label: 'Archive (recordings, report)', url: link }] : [];
};

/** Events whose data is the interview's result: they carry the note. */
const noteEvents: ReadonlySet<string> = new Set([
  'round0:interview_ended',
  'micro1:interview_report.created',
]);

/** Event types that never carry the candidate's e-mail or ATS ids (micro1's event reference; the archive's). */
const identitylessEvents: ReadonlySet<string> = new Set([
  'micro1:interview_recording.completed',
  'micro1:interview_webcam_recording.completed',
  'micro1:proctoring_score.completed',
  `round0:${archiveEventTypes.completed}`,
  `micro1:${archiveEventTypes.completed}`,
]);

/**
 * Ids, scores and links kept on the state (never PII; the e-mail only as its keyed pseudonym): what later
 * events, the plan and an erasure need.
 */
const stateFieldsOf = (
  event: InterviewEvent,
  enriched: EnrichedInterview,
  candidate: string | undefined,
): Record<string, unknown> =>
  event.type === archiveEventTypes.completed
    ? {
        [planFields.archiveLocation]: (event.payload as ArchiveCompletedPayload).location,
        [planFields.archiveLink]: (event.payload as ArchiveCompletedPayload).link,
      }
    : vendorStateFieldsOf(event, enriched, candidate);

const vendorStateFieldsOf = (
  event: InterviewEvent,
  enriched: EnrichedInterview,
  candidate: string | undefined,
): Record<string, unknown> => ({
  [candidatePseudonymField]: candidate,
  atsApplicationId: event.candidate.atsApplicationId,
  atsJobId: event.candidate.atsJobId,
  [planFields.reportUrl]: enriched.reportUrl,
  [planFields.screenRecordingLink]: enriched.recordingUrls?.screenPlayer,
  [planFields.webcamRecordingLink]: enriched.recordingUrls?.webcamPlayer,
  [planFields.proctoringScore]: enriched.proctoring?.score,
  // The score written to the configured custom field: the answers' mean, else micro1's AI match score.
  [planFields.screeningScore]: noteEvents.has(`${event.vendor}:${event.type}`)
    ? (averageScore(enriched)?.average ?? enriched.aiMatchScore)
    : undefined,
});

/** Plan-apply-settle rounds of one event (see the loop). */
const maxRounds = 4;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ignored = (reason: string): SyncResult => ({ outcome: 'ignored', reason, effects: {} });

/** The event types of each vendor that can lead to an ATS write (a status, a note, a late part). */
const effectfulEvents: ReadonlySet<string> = new Set([
  'round0:interview_started',
  'round0:interview_ended',
  'micro1:interview.started',
  'micro1:interview.completed',
  ...noteEvents,
  ...identitylessEvents,
]);

export const syncInterviewEvent = async (event: InterviewEvent, deps: SyncDeps): Promise<SyncResult> => {
  if (!event.known) return ignored('unknown event type');
  // An operator replayed a parked archive task: it goes back to the archive queue, nothing else.
  if (event.type === archiveEventTypes.task) {
    if (deps.archive === undefined) return ignored('archiving is not configured');
    await deps.archive([event.payload as ArchiveTask]);
    return { outcome: 'synced', reason: 'archive task sent back to the archive queue', effects: {} };
  }
  // micro1's applicant events (profile, application form) change nothing the ATS shows: no read, no write.
  if (!effectfulEvents.has(`${event.vendor}:${event.type}`))
    return ignored('no ATS effect for this event type');
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const options = deps.options ?? {};
  const leaseMs = options.leaseMs ?? 120_000;
  const { ledger } = deps;
  const vendor = event.vendor;
  const interviewKey = findInterviewKey(event);
  if (interviewKey === undefined) {
    // micro1's `interview.completed` is undocumented and may come without the session's ids (a capture of
    // its docs shows the recording's `report_id` and `candidate_id` only). It then names no item; the report
    // carries the same "completed" and is the event that writes it, so this one is counted as ignored
    // (kept in the raw event store) instead of dead-lettered, and paging someone, on every interview.
    if (event.vendor === 'micro1' && event.type === 'interview.completed')
      return ignored(
        'interview.completed without interview_id and candidate_id: the report writes its status',
      );
    throw new MissingInterviewKeyError(event.vendor, event.type);
  }
  const eventKey = event.dedupeKey;

  let state = await ledger.read(vendor, interviewKey);
  const seen = checkEvent(state, eventKey, now());
  if (seen.kind === 'done') return { outcome: 'duplicate', interviewKey, effects: {} };
  if (seen.kind === 'held') throw new EventInProgressError(eventKey);
  const firstRecord = state === undefined;

  // The archive's own events carry no vendor data to enrich.
  const enriched: EnrichedInterview =
    event.type === archiveEventTypes.completed
      ? { vendor, eventType: event.type, status: 'unknown', source: 'webhook' }
      : await deps.enrich(event);
  // Media first: vendor URLs expire (ROUND0 audio after 24 h), and archiving needs no ATS record.
  const email = event.candidate.email;
  const candidate = email === undefined ? undefined : emailPseudonym(email, options.pseudonymKey);
  // An event without the e-mail (a micro1 recording names only its report) archives under the pseudonym its
  // interview already holds: what an erasure by e-mail finds the archive by once the interview item expired.
  const archiveCandidate =
    candidate ?? (state === undefined ? undefined : stringField(state, candidatePseudonymField));
  const archiveTasks =
    deps.archive === undefined ? [] : archiveTasksOf(event, interviewKey, enriched, archiveCandidate);
  if (archiveTasks.length > 0) await deps.archive?.(archiveTasks);
  const step = lifecycleOf(event);
  const update = normaliseUpdate({
    vendor,
    interviewKey,
    rank: step.rank,
    status: step.status,
    occurredAt: event.occurredAt ?? event.receivedAt,
    eventKey,
    fields: stateFieldsOf(event, enriched, candidate),
  });
  const owner = newToken();
  const deadline = now() + (options.waitMs ?? 3_000);
  const waitOrGiveUp = async (what: string) => {
    if (now() >= deadline) throw new EffectBusyError(what);
    await sleep(100 + Math.floor(Math.random() * 150));
  };

  // A micro1 report takes over its session's ATS status (see `sessionKeyOf`): it learns whether the session
  // already wrote "completed" (`interview.completed`) and the stage the application had at the start.
  const sessionKey = sessionKeyOf(event);
  let session: InterviewState | undefined;
  if (sessionKey !== undefined) {
    // Its stage move too: one in flight could land after the report's own (the generic adapter cannot tell).
    // And its "completed" notification: one on its way may still fail (Slack's 429), and a report that closed
    // the session meanwhile would have taken the claim for an announcement and never sent its own. Its
    // "in progress" one too: sent after the report's "completed", Slack would end on "in progress".
    const awaited = [
      ...statusEffectKeys,
      completedNotificationKey,
      notificationKey('in_progress'),
      ...(options.completedStageId === undefined ? [] : [`stage:${options.completedStageId}`]),
    ];
    for (;;) {
      const closed = await ledger.close(vendor, sessionKey, interviewKey, awaited);
      if (closed.kind === 'closed') {
        session = closed.before;
        break;
      }
      await waitOrGiveUp(`status of ${sessionKey}`);
    }
  }

  const planContext: PlanContext = {
    eventKey,
    owner,
    now: now(),
    carriesNote: noteEvents.has(`${vendor}:${event.type}`),
    ...(options.completedStageId === undefined ? {} : { completedStageId: options.completedStageId }),
    ...(options.scoreFieldId === undefined ? {} : { scoreFieldId: options.scoreFieldId }),
    notifications: deps.notify !== undefined,
    can: {
      moveStage: deps.ats.moveStage !== undefined,
      setField: deps.ats.setField !== undefined,
      addLinks: deps.ats.addLinks !== undefined,
    },
  };

  const notify =
    deps.notify === undefined
      ? undefined
      : (status: ScreeningStatus) =>
          (deps.notify as NonNullable<SyncDeps['notify']>)({
            status,
            vendor,
            ...(event.candidate.name === undefined ? {} : { candidateName: event.candidate.name }),
            ...(enriched.job?.title === undefined ? {} : { jobTitle: enriched.job.title }),
          });

  let lookedUp: AtsMatchRecord | undefined;
  // Whether this attempt already looked the record up again after a refused write (once per attempt).
  let matchRechecked = false;
  let merged = mergeInterviewUpdate(state, update, new Date(now()).toISOString());
  // What the session did counts only on the record the report is about: micro1's interview events carry an
  // e-mail alone, which can find another application of the candidate than the one the report names.
  if (inheritsFromSession(session) && merged.state.atsMatch === undefined) {
    lookedUp = await findMatch(event, merged.state, session, deps.ats, options);
  }
  /** What this event plans from the item `from`, as each round does. */
  const planFrom = (from: InterviewState | undefined) => {
    const mergedFrom = mergeInterviewUpdate(from, update, new Date(now()).toISOString());
    const current = inheritFromSession(
      mergedFrom.state,
      session,
      mergedFrom.state.atsMatch ?? lookedUp,
      eventKey,
    );
    return { merged: mergedFrom, current, plan: planWrites(current, { ...planContext, now: now() }) };
  };
  const summary: Record<string, string> = {};
  // Rounds: each settle returns the item as it now is, and the event plans again from it until nothing is
  // left for it. The second round sends the notification of a status the first wrote (alone, see the plan);
  // a write can also appear while this event writes (a recording arrives while its note is posted, and the
  // note turns out not to include it). Four rounds cover every case the plan has, with a margin.
  for (let round = 1; round <= maxRounds; round++) {
    let decided: { plan: Plan; claimed: InterviewState; before: InterviewState | undefined } | undefined;
    // What giving back the claims of a commit that threw writes (each write's record as it was before).
    let givingBack: Record<string, EffectRecord | null> = {};
    try {
      while (decided === undefined) {
        const planned = planFrom(state);
        merged = planned.merged;
        const { current, plan } = planned;
        if (plan.blockedBy !== undefined) {
          await waitOrGiveUp(plan.blockedBy);
          state = await reread(ledger, vendor, interviewKey, eventKey, now(), owner, round > 1);
          continue;
        }
        for (const key of plan.heldByOthers) summary[key] ??= 'held';
        // A later round with nothing left, the event recorded done by the last settle. Had that settle kept the
        // claim (it expected more), the commit below records the event done.
        if (round > 1 && plan.writes.length === 0 && state?.events[eventKey]?.done === true)
          return result(interviewKey, step.status, merged, summary);
        let next = current;
        if (plan.writes.length > 0 && current.atsMatch === undefined) {
          // Without a match no write can be made. Recordings and proctoring precede the report (they carry
          // no identity) and an event behind the interview's status (a late start) raised nothing itself: the
          // event that did makes the writes, so these record themselves done. Any other event looks the
          // record up; if the ATS has none it is recorded anyway (ordering holds for later events) and stays
          // open, parked, for a replay once the record exists.
          const waitsForIdentity = identitylessEvents.has(`${vendor}:${event.type}`);
          const behind =
            statusLevelOf(step.status) < statusLevelOf(current.status) && !planContext.carriesNote;
          if (!waitsForIdentity && !behind)
            lookedUp ??= await findMatch(event, current, session, deps.ats, options);
          if (lookedUp === undefined) {
            const parked = !waitsForIdentity && !behind;
            const record: EventRecord = parked
              ? { advanced: merged.advanced, parked: true }
              : { advanced: merged.advanced, done: true };
            if (
              !(await ledger.commit(
                { ...current, events: withEvent(current, eventKey, record) },
                state?.version,
              ))
            ) {
              state = await reread(ledger, vendor, interviewKey, eventKey, now(), owner, round > 1);
              continue;
            }
            if (parked) throw unmatchedError(event, current);
            return {
              ...result(interviewKey, step.status, merged, {}),
              reason: waitsForIdentity
                ? 'awaiting the candidate identity from another event of this interview'
                : 'behind the interview: left to the event that moved it on',
            };
          }
          next = { ...current, atsMatch: lookedUp };
        }
        const claimUntil = now() + leaseMs;
        const effects: Record<string, EffectRecord> = { ...next.effects };
        for (const write of plan.writes) {
          const previous = next.effects[write.key];
          // A note claimed over an unfinished attempt keeps that attempt's parts: if the marker check finds
          // the note it posted, those are the parts the ATS shows (they only grow, so the earliest attempt's
          // are the safe answer: at worst a part is shown twice, never lost).
          const parts = write.kind === 'note' ? (previous?.parts ?? write.parts) : undefined;
          effects[write.key] = claimedEffect(previous, owner, eventKey, claimUntil, parts);
        }
        const eventRecord: EventRecord =
          plan.writes.length === 0
            ? { advanced: merged.advanced, done: true }
            : { advanced: merged.advanced, owner, leaseUntil: claimUntil };
        next = { ...next, effects, events: withEvent(next, eventKey, eventRecord) };
        // Not when this commit creates the item: a redelivery must then find the claims unfinished and check
        // the ATS, as the ledger's silence before it was no proof that nothing had been posted.
        givingBack =
          state === undefined
            ? {}
            : Object.fromEntries(plan.writes.map((write) => [write.key, current.effects[write.key] ?? null]));
        // `eventKey`: its record names this attempt, so a resent commit that landed is known as this one's.
        if (await ledger.commit(next, state?.version, eventKey)) {
          decided = { plan, claimed: next, before: state };
        } else {
          // Someone wrote since the read: decide again from the item as it is now.
          givingBack = {};
          state = await reread(ledger, vendor, interviewKey, eventKey, now(), owner, round > 1);
        }
      }
    } catch (error) {
      // Giving up before this round's writes (still blocked, a DynamoDB error past the SDK's retries) gives
      // back what this attempt holds, or a redelivery would wait out the lease and then find a claim it cannot
      // tell from a call in flight (a notification claimed, never sent, would read "uncertain" and never go).
      // A claim commit that threw may have landed: its claims go back to their records before it, untried.
      // From round 2 the event also holds its own claim, kept by the last settle. Best effort, as below; each
      // settle is conditional on this attempt owning what it writes, so a commit that did not land, a claim
      // another attempt took over or a parked record are left alone. (A commit still on its way when the SDK
      // gave up may land after the give-back: its claims then wait out the lease, as before.)
      const release = (effects: Record<string, EffectRecord | null>) =>
        ledger
          .settle(vendor, interviewKey, {
            owner,
            eventKey,
            event: { advanced: merged.advanced, owner, leaseUntil: 0 },
            effects,
          })
          .then(
            () => 'released' as const,
            // Not ours (the commit did not land, or was taken over): nothing of this attempt is left to give.
            (settleError: unknown) => (settleError instanceof EffectClaimLostError ? 'not-ours' : 'failed'),
          );
      const givenBack = Object.keys(givingBack).length > 0 ? await release(givingBack) : 'nothing';
      // The event's own claim (round 2 on) goes too, unless the give-back failed: its claims then stay live
      // until their lease, and the event freed alone would let a duplicate delivery find them "held by
      // others" and record the event done without their writes. Both wait out the lease instead.
      if (round > 1 && (givenBack === 'nothing' || givenBack === 'not-ours')) await release({});
      throw error;
    }

    const { plan, claimed, before } = decided;
    if (plan.writes.length === 0) return result(interviewKey, step.status, merged, summary);
    const unfinished = new Set(
      plan.writes
        .filter((write) => {
          const check = before === undefined ? undefined : checkEffect(before, write.key, owner, now());
          return check?.kind === 'free' && check.unfinished;
        })
        .map((write) => write.key),
    );
    // Notes posted again without a look (an adapter with no `hasNote`, the generic receiver: it dedupes the
    // repeat by its idempotency key and keeps the first attempt's note, whatever this one says).
    const postedBlind = new Set(deps.ats.hasNote === undefined ? unfinished : []);
    const noteView = withStateParts(enriched, claimed);
    const applied: AppliedWrites = [];
    try {
      await applyWrites(
        plan.writes,
        {
          ats: deps.ats,
          match: claimed.atsMatch as AtsMatchRecord,
          ...(event.candidate.email === undefined ? {} : { candidateEmail: event.candidate.email }),
          vendor,
          interviewKey,
          buildNote: (marker) => buildScreeningNote(noteView, marker, archiveLinksOf(claimed)),
          buildFollowUp: (write, marker) => buildFollowUpNote(vendor, write.part, marker),
          ...(notify === undefined ? {} : { notify }),
          unfinished,
          firstRecord,
          ...(deps.crashPoints === undefined ? {} : { crashPoints: deps.crashPoints }),
        },
        applied,
      );
    } catch (error) {
      // Record what landed, mark the failed write (it may have landed too), give back what was never
      // tried, and release the event so a redelivery may take it at once. Best effort: if this write fails
      // as well, the leases running out free everything, and the caller needs the ATS's error, not this one's.
      const failedWrite = plan.writes[applied.length];
      const failedKey = failedWrite?.key;
      if (failedKey !== undefined && typeof error === 'object' && error !== null)
        failedWrites.set(error, failedKey);
      // A write refused on the record an earlier event matched: a recruiter may have merged that candidate
      // into another since (the stored id then names nothing, for every later write of the interview). The
      // record is looked up again by the interview's own identity, once: another one → the settle below
      // replaces the stored match with it and the round is made again on it (a failed note is checked for
      // first, as after any failure); the same one, none or a look-up that fails → the refusal stands (or
      // the look-up's own error, when it may pass). Any permanent refusal qualifies: what the ATS answers
      // for a merged id is unconfirmed, and a genuine refusal (a wrong tag id) finds the same record. None
      // found: the interview's record is no longer in the ATS (deleted since), so the event is parked as
      // unmatched, as one whose candidate was never found is, for `ops replay` once it is back.
      const stored = claimed.atsMatch;
      let rematch: AtsMatchRecord | undefined;
      let lookupError: unknown;
      let goneFromAts = false;
      if (
        !matchRechecked &&
        lookedUp === undefined &&
        stored !== undefined &&
        mayBeStaleMatch(failedWrite, error)
      ) {
        matchRechecked = true;
        try {
          const found = await findMatch(event, claimed, session, deps.ats, options);
          // Gone only when the ATS was asked: an event with nothing to look the record up by (a micro1
          // part event carries no e-mail) says nothing of it, and its refusal stands.
          goneFromAts = found === undefined && lookupIdentityOf(event, claimed) !== undefined;
          if (found !== undefined && !sameIds(found, stored)) {
            // The same application under another candidate keeps the stage the interview started at: a
            // stage a recruiter moved it to since is never undone (apply.ts).
            rematch =
              found.applicationId !== undefined && found.applicationId === stored.applicationId
                ? withStageAtStart(found, stored.stageAtStart)
                : found;
          }
        } catch (thrown) {
          lookupError = thrown;
        }
      }
      let settleError: unknown;
      const settled = await ledger
        .settle(vendor, interviewKey, {
          owner,
          eventKey,
          event: { advanced: merged.advanced, owner, leaseUntil: 0 },
          effects: settledEffects(claimed, before, plan, applied, failedKey, error, {
            nowMs: now(),
            unansweredSettleMs: options.unansweredSettleMs ?? 30_000,
            postedBlind,
          }),
          ...(rematch === undefined || stored === undefined
            ? {}
            : { replaceMatch: { from: stored, to: rematch } }),
        })
        .catch((thrown: unknown) => {
          settleError = thrown;
          return undefined;
        });
      if (rematch !== undefined) {
        // Not recorded (DynamoDB failed, or another attempt changed the match meanwhile): retried, and the
        // retry looks again, rather than the refusal of a record that is no longer the interview's standing.
        if (settled === undefined) throw settleError;
        for (const { key, outcome } of applied) summary[key] = outcome;
        lookedUp = rematch;
        state = settled;
        round--; // the same round again, on the record found now
        continue;
      }
      if (lookupError instanceof AtsTransientError) throw lookupError;
      if (goneFromAts && settleError === undefined) {
        throw new UnmatchedCandidateError(
          'the ATS record the interview was matched to is gone, and a new look-up finds none',
        );
      }
      throw error;
    }
    // The event is recorded done only when its next round will have nothing to do: a crash between rounds
    // would otherwise leave a redelivery to find it done (a duplicate) and never send what that round would
    // have (a notification of the status just written, a follow-up for a part the found note lacks). So:
    // the next round is planned from the item as this settle will leave it; if it has work, or someone else
    // wrote the item meanwhile (a part merged while the note was posted), the event keeps its claim, and a
    // redelivery after a crash takes it over once the lease is out. The last round records it done anyway.
    const records = settledEffects(claimed, before, plan, applied, undefined, undefined, {
      nowMs: now(),
      unansweredSettleMs: 0,
      postedBlind,
    });
    const doneRecord: EventRecord = { advanced: merged.advanced, done: true, settledBy: owner };
    const keepRecord: EventRecord = {
      advanced: merged.advanced,
      owner,
      leaseUntil: now() + leaseMs,
      settledBy: owner,
    };
    const claimedVersion = (before?.version ?? 0) + 1;
    const expected: InterviewState = {
      ...claimed,
      version: claimedVersion + 1,
      events: withEvent(claimed, eventKey, doneRecord),
      effects: withSettled(claimed.effects, records),
    };
    const lastRound = round === maxRounds;
    const next = lastRound ? undefined : planFrom(expected).plan;
    const moreToDo = next !== undefined && (next.writes.length > 0 || next.blockedBy !== undefined);
    state = await ledger.settle(vendor, interviewKey, {
      owner,
      eventKey,
      event: moreToDo ? keepRecord : doneRecord,
      effects: records,
      ...(moreToDo || lastRound
        ? {}
        : { unchangedSince: { version: claimedVersion, otherwise: keepRecord } }),
    });
    for (const { key, outcome } of applied) summary[key] = outcome;
  }
  return result(interviewKey, step.status, merged, summary);
};

/** The effect key of the write each error thrown by {@link syncInterviewEvent} came from. */
const failedWrites = new WeakMap<object, string>();

/**
 * The effect key of the ATS write `error` came from, when {@link syncInterviewEvent} threw it from a write;
 * `undefined` for an error from before the writes (the candidate look-up, the ledger).
 */
export const failedWriteOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null ? failedWrites.get(error) : undefined;

const result = (
  interviewKey: string,
  status: string,
  merged: ReturnType<typeof mergeInterviewUpdate>,
  effects: Record<string, string>,
): SyncResult => ({
  outcome: 'synced',
  interviewKey,
  status,
  advanced: merged.advanced,
  stale: merged.stale,
  effects,
});

const withEvent = (state: InterviewState, eventKey: string, record: EventRecord) => ({
  ...state.events,
  [eventKey]: record,
});

/** `effects` with a settle's records applied (`null` removes the claim). */
const withSettled = (
  effects: InterviewState['effects'],
  records: Readonly<Record<string, EffectRecord | null>>,
): InterviewState['effects'] => {
  const settled: Record<string, EffectRecord> = {};
  for (const [key, record] of Object.entries(effects)) if (record !== undefined) settled[key] = record;
  for (const [key, record] of Object.entries(records)) {
    if (record === null) delete settled[key];
    else settled[key] = record;
  }
  return settled;
};

/**
 * Re-reads after a lost race. A concurrent delivery of the same event may hold it now or have finished it:
 * this copy then steps back and SQS redelivers it later (as a duplicate, once the other is done).
 */
const reread = async (
  ledger: InterviewLedger,
  vendor: InterviewEvent['vendor'],
  interviewKey: string,
  eventKey: string,
  nowMs: number,
  owner: string,
  afterFirstRound: boolean,
): Promise<InterviewState | undefined> => {
  const state = await ledger.read(vendor, interviewKey);
  const seen = checkEvent(state, eventKey, nowMs);
  // After its first round this attempt itself recorded the event done, or kept its claim for the next round:
  // only another attempt's live claim, or a done record before any settle of this one, means stepping back.
  const ownClaim = state?.events[eventKey]?.owner === owner;
  if ((seen.kind === 'held' && !ownClaim) || (seen.kind === 'done' && !afterFirstRound)) {
    throw new EventInProgressError(eventKey);
  }
  return state;
};

/**
 * The records the settle writes: done for what was applied, failed for the write that threw (released
 * instead when it certainly did not reach the receiver: a notification refused with 429), and the previous
 * record (or none) for writes never tried (but a note of an item this attempt created stays unfinished).
 */
const settledEffects = (
  claimed: InterviewState,
  before: InterviewState | undefined,
  plan: Plan,
  applied: AppliedWrites,
  failedKey: string | undefined,
  error: unknown,
  settling: {
    readonly nowMs: number;
    readonly unansweredSettleMs: number;
    /** Notes posted again without a look: the receiver may keep the earlier attempt's. */
    readonly postedBlind: ReadonlySet<string>;
  },
): Record<string, EffectRecord | null> => {
  const records: Record<string, EffectRecord | null> = {};
  const outcomes = new Map(applied.map(({ key, outcome }) => [key, outcome]));
  for (const write of plan.writes) {
    const claimRecord = claimed.effects[write.key] as EffectRecord;
    // Which event made a write is read back only for a status (its notification is that event's): other
    // records leave it out, which keeps the interview's item, read and written whole, small.
    const { eventKey: _eventKey, ...withoutEventKey } = claimRecord;
    const claim = write.kind === 'status' ? claimRecord : withoutEventKey;
    const outcome = outcomes.get(write.key);
    const previous = before?.effects[write.key];
    if (outcome !== undefined) {
      const done = doneEffect(claim, outcome === 'ran' ? undefined : outcome);
      // A note posted now shows the parts it was built with; one found shows the claim's (see the claim), and
      // so does one posted again blind: the receiver may have kept the earlier attempt's (the same
      // idempotency key), so a part only this one carries gets its follow-up (at worst shown twice, never lost).
      const shownAsBuilt = outcome === 'ran' && !settling.postedBlind.has(write.key);
      records[write.key] = write.kind === 'note' && shownAsBuilt ? { ...done, parts: write.parts } : done;
    } else if (write.key === failedKey && !(write.kind === 'notify' && error instanceof AtsTransientError)) {
      // A call that got no answer may still land: left alone a while, or a duplicate delivery could check
      // the ATS before it lands and post it again (see `planWrites`).
      const settlesAt = mayStillLand(error) ? settling.nowMs + settling.unansweredSettleMs : undefined;
      records[write.key] = failedEffect(claim, settlesAt);
    } else if (previous === undefined && before === undefined && write.kind === 'note') {
      // Never tried, by the attempt that created the item: its first-record check for the note (the ledger's
      // silence is no proof that nothing was posted: an expired or erased item) is still owed. Recorded
      // unfinished, the next attempt makes it; given back, it would post without looking.
      records[write.key] = failedEffect(claim);
    } else {
      records[write.key] = previous ?? null;
    }
  }
  return records;
};

const completedNotificationKey = notificationKey('completed');

/** The session's writes a report takes over when they were made on its record: "completed", a stage move. */
const inheritedKey = (key: string) => key === 'status:completed' || key.startsWith('stage:');

const inheritsFromSession = (session: InterviewState | undefined): boolean =>
  Object.entries(session?.effects ?? {}).some(
    ([key, record]) => inheritedKey(key) && record?.state === 'done',
  );

/**
 * micro1: what the closed session item already did for this interview, on the same ATS record as the
 * report's (`match`). A "completed" or a stage move it made is not made again, and the stage it saw at the
 * interview's start is where a stage move starts from (`findMatch`). The notification of its "completed" is
 * the report's to send when the session never claimed it: a closed session plans nothing more.
 */
const inheritFromSession = (
  state: InterviewState,
  session: InterviewState | undefined,
  match: AtsMatchRecord | undefined,
  eventKey: string,
): InterviewState => {
  const sessionMatch = session?.atsMatch;
  if (session === undefined || match === undefined || sessionMatch === undefined) return state;
  // An adapter that names no application for an e-mail (generic, log) cannot tell two records apart: the
  // session's writes stand for the report's, as the receiver is the one to resolve identities. The same
  // application is the same record even under another candidate id: a recruiter's merge moved it.
  const sameRecord =
    sessionMatch.applicationId === undefined || sessionMatch.applicationId === match.applicationId;
  if (!sameRecord) return state;
  const effects = { ...state.effects };
  for (const [key, record] of Object.entries(session.effects)) {
    if (!inheritedKey(key) || record?.state !== 'done' || effects[key] !== undefined) continue;
    const announced = key !== 'status:completed' || session.effects[completedNotificationKey] !== undefined;
    effects[key] = { ...record, outcome: 'inherited', ...(announced ? {} : { eventKey }) };
  }
  return { ...state, effects };
};

const trimmed = (value: string | undefined): string | undefined => value?.trim() || undefined;

/**
 * Whether `error`, from `write`, may come from a stored match gone stale: the ATS refused the write for good,
 * and not for the credentials (the worker's rotation retry handles those) nor as Slack (no ATS record).
 */
const mayBeStaleMatch = (write: PlannedWrite | undefined, error: unknown): boolean =>
  write !== undefined &&
  write.kind !== 'notify' &&
  error instanceof AtsPermanentError &&
  error.reason !== 'unauthorized' &&
  error.reason !== 'forbidden';

/** `match` with the stage a move starts from set to `stageAtStart` (none when undefined). */
const withStageAtStart = (match: AtsMatchRecord, stageAtStart: string | undefined): AtsMatchRecord => {
  const { stageAtStart: _found, ...ids } = match;
  return stageAtStart === undefined ? ids : { ...ids, stageAtStart };
};

/** Whether two matches carry the same ids (a merge keeps the application and changes its candidate). */
const sameIds = (a: AtsMatchRecord, b: AtsMatchRecord | undefined): boolean =>
  b !== undefined && a.candidateId === b.candidateId && a.applicationId === b.applicationId;

/**
 * What the interview's ATS record can be looked up by: its ATS application id, its e-mail; undefined when
 * the event and the item carry neither. Trimmed: a vendor's stray space must not make the ATS's filter miss
 * (or refuse) the record.
 */
const lookupIdentityOf = (
  event: InterviewEvent,
  state: InterviewState,
): { readonly atsApplicationId?: string; readonly email?: string } | undefined => {
  const atsApplicationId = trimmed(
    event.candidate.atsApplicationId ?? stringField(state, 'atsApplicationId'),
  );
  const email = trimmed(event.candidate.email);
  if (atsApplicationId === undefined && email === undefined) return undefined;
  return {
    ...(atsApplicationId === undefined ? {} : { atsApplicationId }),
    ...(email === undefined ? {} : { email }),
  };
};

/** Finds the interview's ATS record: the event's own ATS ids, else the e-mail (with the ATS job). */
const findMatch = async (
  event: InterviewEvent,
  state: InterviewState,
  session: InterviewState | undefined,
  ats: AtsAdapter,
  options: SyncOptions,
): Promise<AtsMatchRecord | undefined> => {
  const identity = lookupIdentityOf(event, state);
  if (identity === undefined) return undefined;
  const { atsApplicationId, email } = identity;
  const atsJobId = trimmed(event.candidate.atsJobId ?? stringField(state, 'atsJobId'));
  const found = await ats.findApplication({
    ...(atsApplicationId === undefined ? {} : { atsApplicationId }),
    ...(atsJobId === undefined ? {} : { atsJobId }),
    ...(email === undefined ? {} : { email }),
  });
  if (found === undefined) return undefined;
  // The stage a later move starts from: the session's (read when the interview started) for the same
  // application, else the stage now. Read only when a stage move is configured.
  const sessionMatch = session?.atsMatch;
  let stageAtStart: string | undefined;
  if (options.completedStageId !== undefined && ats.moveStage !== undefined) {
    stageAtStart =
      sessionMatch?.applicationId !== undefined && sessionMatch.applicationId === found.applicationId
        ? sessionMatch.stageAtStart
        : await ats.currentStage?.(found);
  }
  // Ids only: the generic adapter's match may carry the e-mail, which is never stored.
  return {
    candidateId: found.candidateId,
    ...(found.applicationId === undefined ? {} : { applicationId: found.applicationId }),
    ...(stageAtStart === undefined ? {} : { stageAtStart }),
  };
};

const unmatchedError = (event: InterviewEvent, state: InterviewState): UnmatchedCandidateError => {
  const applicationId = event.candidate.atsApplicationId ?? stringField(state, 'atsApplicationId');
  if (applicationId === undefined && event.candidate.email === undefined) {
    return new UnmatchedCandidateError('the event carries neither an ATS application id nor an e-mail');
  }
  return new UnmatchedCandidateError(
    applicationId === undefined ? 'no candidate with this e-mail' : 'no application with this ATS id',
  );
};

const stringField = (state: InterviewState, name: string): string | undefined => {
  const value = state.fields[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The enriched interview with the parts the state knows of (a proctoring score or recording that came first). */
const withStateParts = (enriched: EnrichedInterview, state: InterviewState): EnrichedInterview => {
  const score = state.fields[planFields.proctoringScore];
  const screen = stringField(state, planFields.screenRecordingLink);
  const webcam = stringField(state, planFields.webcamRecordingLink);
  return {
    ...enriched,
    ...(typeof score === 'number' ? { proctoring: { ...enriched.proctoring, score } } : {}),
    recordingUrls: {
      ...enriched.recordingUrls,
      ...(screen === undefined ? {} : { screenPlayer: screen }),
      ...(webcam === undefined ? {} : { webcamPlayer: webcam }),
    },
  };
};
