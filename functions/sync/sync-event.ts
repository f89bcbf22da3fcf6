/**
 * Turns one queued interview event into its ATS effects, exactly once and robust to order:
 *
 * 1. enrich the event (vendor API where the webhook is not enough);
 * 2. advance the per-interview state (forward-only; a late, older event changes no status);
 * 3. find the candidate's record (ATS application id, else e-mail; remembered on the state);
 * 4. effects, each recorded in the effects ledger so a retry repeats only what did not happen:
 *    the screening status (guarded so the ATS never shows an older status), one note per completed
 *    interview, an optional stage move and custom field, an optional Slack message.
 *
 * Knows nothing of Lambda or SQS: the worker handler wires it and classifies its errors.
 */
import type { AtsAdapter, AtsContext, AtsMatch, ScreeningStatus } from '../ats/types.js';
import type { EnrichedInterview } from '../enrichment/enriched-interview.js';
import type { EffectOutcome, EffectsLedger } from '../ledger/effects-ledger.js';
import type { InterviewState, InterviewStateStore } from '../ledger/interview-state.js';
import { interviewKeyOf, interviewStatuses, lifecycleOf } from '../ledger/lifecycle.js';
import type { AtsStatusSync } from '../ledger/status-sync.js';
import type { InterviewEvent } from '../vendors/envelope.js';
import { StatusSyncBusyError, UnmatchedCandidateError } from './errors.js';
import { averageScore, buildScreeningNote } from './screening-note.js';

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
   * How long a worker may hold an interview's status-sync lease. Longer than the worker's timeout (60 s):
   * a lease that ran out while its holder was still writing (a slow ATS: each request may take up to
   * 4 attempts of 10 s) would let a newer status be written first and the older one land last.
   * @default 120000
   */
  readonly statusLeaseMs?: number;
  /**
   * How long to wait for another worker's status-sync lease before giving up (the message is retried).
   * @default 3000
   */
  readonly statusWaitMs?: number;
}

export interface SyncDeps {
  readonly ats: AtsAdapter;
  readonly effects: EffectsLedger;
  readonly states: InterviewStateStore;
  readonly statusSync: AtsStatusSync;
  readonly enrich: (event: InterviewEvent) => Promise<EnrichedInterview>;
  readonly notify?: (notification: ScreeningNotification) => Promise<void>;
  readonly options?: SyncOptions;
  /** @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a sync did; stored as the event's idempotent result, so keep it small and free of PII. */
export interface SyncResult {
  readonly outcome: 'synced' | 'ignored';
  readonly reason?: string;
  readonly interviewKey?: string;
  readonly status?: string;
  readonly advanced?: boolean;
  readonly stale?: boolean;
  /** Each effect this event was responsible for, and whether it ran now or had run before. */
  readonly effects: Readonly<Record<string, EffectOutcome | 'superseded'>>;
}

/** The ATS wording level of each state status: the ATS shows only "in progress" and "completed". */
const atsStatusOf = (status: string): { status: ScreeningStatus; level: number } | undefined => {
  switch (status) {
    case interviewStatuses.inProgress:
      return { status: 'in_progress', level: 1 };
    case interviewStatuses.completed:
    case interviewStatuses.reportReady:
    case interviewStatuses.recordingReady:
      return { status: 'completed', level: 2 };
    default:
      return undefined;
  }
};

/** Events whose data is the interview's result: they carry the note. */
const noteEvents: Readonly<Record<string, readonly string[]>> = {
  round0: ['interview_ended'],
  micro1: ['interview_report.created'],
};

/** Ids (never PII) kept on the state so later events without them (micro1 recordings) still find the record. */
const stateFieldsOf = (event: InterviewEvent, enriched: EnrichedInterview): Record<string, unknown> => ({
  atsApplicationId: event.candidate.atsApplicationId,
  atsJobId: event.candidate.atsJobId,
  reportId: enriched.reportId,
  interviewId: enriched.interviewId,
  reportUrl: enriched.reportUrl,
  screenRecordingUrl: enriched.recordingUrls?.screen,
  webcamRecordingUrl: enriched.recordingUrls?.webcam,
  proctoringScore: enriched.proctoring?.score,
  aiMatchScore: enriched.aiMatchScore,
});

/** The score written to the configured custom field: the answers' mean, else micro1's AI match score. */
const screeningScore = (enriched: EnrichedInterview): number | undefined =>
  averageScore(enriched)?.average ?? enriched.aiMatchScore;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const syncInterviewEvent = async (event: InterviewEvent, deps: SyncDeps): Promise<SyncResult> => {
  if (!event.known) return { outcome: 'ignored', reason: 'unknown event type', effects: {} };
  const options = deps.options ?? {};
  const step = lifecycleOf(event);
  const interviewKey = interviewKeyOf(event);
  const scope = `${event.vendor}:${interviewKey}`;
  const enriched = await deps.enrich(event);

  const advance = await deps.states.advance({
    vendor: event.vendor,
    interviewKey,
    rank: step.rank,
    status: step.status,
    occurredAt: event.occurredAt ?? event.receivedAt,
    eventKey: event.dedupeKey,
    fields: stateFieldsOf(event, enriched),
  });

  const atsStatus = step.rank === undefined ? undefined : atsStatusOf(step.status);
  const writesNote = noteEvents[event.vendor]?.includes(event.type) ?? false;
  const effects: Record<string, EffectOutcome | 'superseded'> = {};
  // Only what the result declares: the state (every applied event, all fields) is not stored as the result.
  const result = (): SyncResult => ({
    outcome: 'synced',
    interviewKey,
    status: step.status,
    advanced: advance.advanced,
    stale: advance.stale,
    effects,
  });

  // The ATS shows the wording of the state's status, whichever event brought it there: the event may
  // write the status (and announce it) only when the state's wording is the event's own. A late event of
  // a lower wording never does; a late event of the same wording still may (micro1: a recording event
  // advanced the state first but could not be matched, then the report arrives "stale" and must still
  // mark the record completed). The claim's condition on the state's rank keeps this race-free.
  const stateRank = advance.state.rank;
  const stateLevel =
    stateRank === undefined || advance.state.status === undefined
      ? undefined
      : atsStatusOf(advance.state.status)?.level;
  const statusRank =
    atsStatus !== undefined && stateRank !== undefined && stateLevel === atsStatus.level
      ? stateRank
      : undefined;
  // Once completed, the optional stage move and score field (each once per interview, like the note).
  const completed = atsStatus?.status === 'completed';
  const stageId = completed ? options.completedStageId : undefined;
  const fieldId = completed ? options.scoreFieldId : undefined;
  const score = screeningScore(enriched);
  const moveStage = stageId === undefined ? undefined : deps.ats.moveStage?.bind(deps.ats);
  const setField =
    fieldId === undefined || score === undefined ? undefined : deps.ats.setField?.bind(deps.ats);
  // Nothing to write (a late start, a fields-only event): no ATS lookup either.
  if (statusRank === undefined && !writesNote && moveStage === undefined && setField === undefined) {
    return result();
  }

  // micro1's recording and proctoring events carry only `report_id` and `candidate_id`: until an event
  // with the candidate's identity (the report) has matched the record, there is nothing to look up. That
  // event writes the status itself (same ATS wording), so waiting is enough — parking would only be noise.
  if (advance.state.atsMatch === undefined && identitylessEvents.has(`${event.vendor}:${event.type}`)) {
    return { ...result(), reason: 'awaiting the candidate identity from another event of this interview' };
  }

  const match = await findMatch(event, advance.state, deps);
  const context = (action: string): AtsContext => ({
    vendor: event.vendor,
    interviewId: interviewKey,
    eventKey: `${scope}:${action}`,
  });

  if (atsStatus !== undefined && statusRank !== undefined) {
    effects['ats.status'] = await syncStatus(
      event,
      interviewKey,
      statusRank,
      atsStatus,
      match,
      deps,
      context('status'),
    );
  }

  if (writesNote) {
    // One note per interview (not per event): a second `interview_ended` for the same interview, or a
    // retry after a crash, never posts another note.
    const marker = `interview-sync:${scope}`;
    effects['ats.note'] = await deps.effects.runOnce(
      scope,
      'ats.note',
      async ({ previousAttemptUnfinished }) => {
        // An earlier attempt may have posted the note and crashed before recording it: look first.
        if (
          previousAttemptUnfinished &&
          deps.ats.hasNote !== undefined &&
          (await deps.ats.hasNote(match, marker))
        ) {
          return;
        }
        await deps.ats.addNote(match, buildScreeningNote(enriched, marker), context('note'));
      },
    );
  }

  if (moveStage !== undefined && stageId !== undefined) {
    effects['ats.stage'] = await deps.effects.runOnce(scope, 'ats.stage', () =>
      moveStage(match, stageId, context('stage')),
    );
  }
  if (setField !== undefined && fieldId !== undefined && score !== undefined) {
    effects['ats.field'] = await deps.effects.runOnce(scope, 'ats.field', () =>
      setField(match, fieldId, String(score), context('field')),
    );
  }

  const notify = deps.notify;
  if (notify !== undefined && atsStatus !== undefined && statusRank !== undefined) {
    effects[`notify.${atsStatus.status}`] = await deps.effects.runOnce(
      scope,
      `notify.${atsStatus.status}`,
      () =>
        notify({
          status: atsStatus.status,
          vendor: event.vendor,
          candidateName: event.candidate.name,
          jobTitle: enriched.job?.title,
        }),
    );
  }

  return result();
};

/** Event types that never carry the candidate's e-mail or ATS ids (micro1's event reference). */
const identitylessEvents = new Set([
  'micro1:interview_recording.completed',
  'micro1:interview_webcam_recording.completed',
  'micro1:proctoring_score.completed',
]);

const findMatch = async (event: InterviewEvent, state: InterviewState, deps: SyncDeps): Promise<AtsMatch> => {
  const remembered = state.atsMatch;
  if (remembered?.candidateId !== undefined) {
    return { candidateId: remembered.candidateId, applicationId: remembered.applicationId };
  }
  const atsApplicationId = event.candidate.atsApplicationId ?? stringField(state, 'atsApplicationId');
  const atsJobId = event.candidate.atsJobId ?? stringField(state, 'atsJobId');
  const email = event.candidate.email;
  if (atsApplicationId === undefined && email === undefined) {
    throw new UnmatchedCandidateError('the event carries neither an ATS application id nor an e-mail');
  }
  const match = await deps.ats.findApplication({ atsApplicationId, atsJobId, email });
  if (match === undefined) {
    throw new UnmatchedCandidateError(
      atsApplicationId === undefined ? 'no candidate with this e-mail' : 'no application with this ATS id',
    );
  }
  // Remember ids only (the generic adapter's match may carry the e-mail: not stored).
  await deps.states.setAtsMatch(event.vendor, interviewKeyOf(event), {
    candidateId: match.candidateId,
    ...(match.applicationId === undefined ? {} : { applicationId: match.applicationId }),
  });
  return match;
};

const stringField = (state: InterviewState, name: string): string | undefined => {
  const value = state.fields[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** Writes the status under the status-sync lease, waiting briefly when another worker holds it. */
const syncStatus = async (
  event: InterviewEvent,
  interviewKey: string,
  rank: number,
  atsStatus: { status: ScreeningStatus; level: number },
  match: AtsMatch,
  deps: SyncDeps,
  ctx: AtsContext,
): Promise<EffectOutcome | 'superseded'> => {
  const leaseMs = deps.options?.statusLeaseMs ?? 120_000;
  const deadline = Date.now() + (deps.options?.statusWaitMs ?? 3_000);
  const sleep = deps.sleep ?? defaultSleep;
  for (;;) {
    const claim = await deps.statusSync.claim(event.vendor, interviewKey, rank, atsStatus.level, leaseMs);
    if (claim.outcome === 'superseded') return 'superseded';
    if (claim.outcome === 'claimed') {
      try {
        await deps.ats.setStatus(match, atsStatus.status, ctx);
      } catch (error) {
        // Best effort: if the release fails too, the lease running out frees the status anyway, and the
        // caller needs the ATS's error (it decides retry or dead-letter), not the release's.
        await deps.statusSync.release(event.vendor, interviewKey, claim.token).catch(() => undefined);
        throw error;
      }
      await deps.statusSync.complete(event.vendor, interviewKey, atsStatus.level, claim.token);
      return 'ran';
    }
    if (Date.now() >= deadline) throw new StatusSyncBusyError();
    await sleep(Math.min(250, Math.max(10, claim.leaseUntil - Date.now())));
  }
};
