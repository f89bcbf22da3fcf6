/**
 * The plan: from an interview's merged state, the ATS writes this attempt must make — pure, no I/O, so every
 * order of events is a table-driven unit test. `apply.ts` executes it.
 *
 * Every write has a key that names its content (`status:completed`, `note`, `proctoring:85`,
 * `recording:screen`, `links:<hash>`, `stage:<id>`, `field:<id>:<value>`, `notify:completed`): a retry of
 * the same write repeats its key and a different write never does. The keys are the effects ledger's keys
 * and the receivers' idempotency keys (the generic adapter's `webhook-id`).
 *
 * What the ATS ends up showing, whatever order the events come in:
 * - the status of the interview's furthest step (never an older one: a status write waits while a status
 *   of another level is being written);
 * - one note per completed interview, written by the event that carries the result (ROUND0
 *   `interview_ended`, micro1 `interview_report.created`), including the parts known by then;
 * - one short follow-up note per part that arrived after the note (a proctoring score, a recording);
 * - once completed: the configured stage move, the score field, the record's links (Lever);
 * - a notification only from the event whose status write ran (a late `interview_started` announces
 *   nothing), planned once that write is recorded.
 */
import { createHash } from 'node:crypto';
import type { AtsLink, ScreeningStatus } from '../ats/types.js';
import { checkEffect, type InterviewState, isSettling } from '../ledger/interview-state.js';
import { interviewStatuses } from '../ledger/lifecycle.js';

/** Names of the state fields the plan reads (written by `sync-event.ts`). */
export const planFields = {
  proctoringScore: 'proctoringScore',
  screenRecordingLink: 'screenRecordingLink',
  webcamRecordingLink: 'webcamRecordingLink',
  reportUrl: 'reportUrl',
  screeningScore: 'screeningScore',
  /** `s3://…/interviews/<id>/` once the interview's media is archived (the archive's `archive.completed`). */
  archiveLocation: 'archiveLocation',
  /** A browser link to the archive (the S3 console's view of the prefix). */
  archiveLink: 'archiveLink',
} as const;

/** A part of the interview that may arrive after its note. */
export type NotePart =
  | { readonly kind: 'proctoring'; readonly key: string; readonly score: number }
  | {
      readonly kind: 'recording';
      readonly key: string;
      readonly camera: 'screen' | 'webcam';
      readonly url: string;
    }
  /** Where the interview's media was archived: given to the ATS once, whatever more is archived later. */
  | { readonly kind: 'archive'; readonly key: 'archive'; readonly location: string; readonly url: string };

export type PlannedWrite =
  | { readonly kind: 'status'; readonly key: string; readonly status: ScreeningStatus }
  | { readonly kind: 'note'; readonly key: 'note'; readonly parts: readonly string[] }
  | { readonly kind: 'follow-up'; readonly key: string; readonly part: NotePart }
  | { readonly kind: 'links'; readonly key: string; readonly links: readonly AtsLink[] }
  | { readonly kind: 'stage'; readonly key: string; readonly toStageId: string }
  | { readonly kind: 'field'; readonly key: string; readonly fieldId: string; readonly value: string }
  | { readonly kind: 'notify'; readonly key: string; readonly status: ScreeningStatus };

export interface PlanContext {
  /** The event being processed (its dedupe key). */
  readonly eventKey: string;
  /** The attempt's claim token (its own claims are not "held by another"). */
  readonly owner: string;
  /** Epoch ms: claims whose lease ended before are free. */
  readonly now: number;
  /** This event carries the interview's result, so it can write the note. */
  readonly carriesNote: boolean;
  /** Stage to move the application to once completed. */
  readonly completedStageId?: string;
  /** Custom field that receives the screening score once completed. */
  readonly scoreFieldId?: string;
  /** Whether to notify (Slack) when a status is written. */
  readonly notifications: boolean;
  /** What the configured ATS adapter can do. */
  readonly can: { readonly moveStage: boolean; readonly setField: boolean; readonly addLinks: boolean };
}

export interface Plan {
  /** Writes this attempt claims and makes, in order. */
  readonly writes: readonly PlannedWrite[];
  /** Writes another live attempt holds: it makes them (its message is not acknowledged before). */
  readonly heldByOthers: readonly string[];
  /**
   * Set when this attempt must not go on yet: another attempt is writing something that has to land first
   * (a status of another level, the note a follow-up depends on). Wait and plan again.
   */
  readonly blockedBy?: string;
}

/** Order of the ATS screening statuses: only a higher one is ever written after a lower one. */
const statusLevels: Readonly<Record<ScreeningStatus, number>> = { in_progress: 1, completed: 2 };

/** The ATS wording of a state status: the ATS shows only "in progress" and "completed". */
export const screeningStatusOf = (status: string | undefined): ScreeningStatus | undefined => {
  switch (status) {
    case interviewStatuses.inProgress:
      return 'in_progress';
    case interviewStatuses.completed:
    case interviewStatuses.reportReady:
    case interviewStatuses.recordingReady:
      return 'completed';
    default:
      return undefined;
  }
};

/** The ATS level of a state status: 0 (nothing shown), 1 (in progress), 2 (completed). */
export const statusLevelOf = (status: string | undefined): number => {
  const screening = screeningStatusOf(status);
  return screening === undefined ? 0 : statusLevels[screening];
};

const statusKey = (status: ScreeningStatus) => `status:${status}`;
/** The effect key of the Slack notification of `status` (sent at most once). */
export const notificationKey = (status: ScreeningStatus) => `notify:${status}`;
export const statusEffectKeys: readonly string[] = Object.keys(statusLevels).map((s) =>
  statusKey(s as ScreeningStatus),
);

const stringField = (state: InterviewState, name: string): string | undefined => {
  const value = state.fields[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const numberField = (state: InterviewState, name: string): number | undefined => {
  const value = state.fields[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/**
 * An effect key as a log line may show it: without the candidate's scores that two kinds of key carry
 * (`field:<id>:<score>` → `field:<id>`, `proctoring:<score>` → `proctoring`).
 */
export const effectKeyForLog = (key: string): string => {
  if (key.startsWith('field:')) return key.split(':', 2).join(':');
  if (key.startsWith('proctoring:')) return 'proctoring';
  return key;
};

/** The late-arriving parts the state knows of, in a fixed order. */
export const notePartsOf = (state: InterviewState): NotePart[] => {
  const parts: NotePart[] = [];
  const score = numberField(state, planFields.proctoringScore);
  if (score !== undefined) parts.push({ kind: 'proctoring', key: `proctoring:${score}`, score });
  const screen = stringField(state, planFields.screenRecordingLink);
  if (screen !== undefined) {
    parts.push({ kind: 'recording', key: 'recording:screen', camera: 'screen', url: screen });
  }
  const webcam = stringField(state, planFields.webcamRecordingLink);
  if (webcam !== undefined) {
    parts.push({ kind: 'recording', key: 'recording:webcam', camera: 'webcam', url: webcam });
  }
  const location = stringField(state, planFields.archiveLocation);
  const archiveLink = stringField(state, planFields.archiveLink);
  if (location !== undefined && archiveLink !== undefined) {
    parts.push({ kind: 'archive', key: 'archive', location, url: archiveLink });
  }
  return parts;
};

/** Links a recruiter can open from the record (the ATS's links where it has them, e.g. Lever). */
export const recordLinksOf = (state: InterviewState): AtsLink[] => {
  const links: AtsLink[] = [];
  const report = stringField(state, planFields.reportUrl);
  if (report !== undefined) links.push({ label: 'AI interview report (PDF)', url: report });
  const screen = stringField(state, planFields.screenRecordingLink);
  if (screen !== undefined) links.push({ label: 'AI interview screen recording', url: screen });
  const webcam = stringField(state, planFields.webcamRecordingLink);
  if (webcam !== undefined) links.push({ label: 'AI interview webcam recording', url: webcam });
  const archive = stringField(state, planFields.archiveLink);
  if (archive !== undefined) links.push({ label: 'AI interview archive (recordings, report)', url: archive });
  return links;
};

const linksKey = (links: readonly AtsLink[]) =>
  `links:${createHash('sha256')
    .update(
      links
        .map((link) => link.url)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 12)}`;

/** Everything the ATS should have received by now for this interview, in write order (ledger ignored). */
const desiredWrites = (state: InterviewState, context: PlanContext): PlannedWrite[] => {
  // Another item owns this interview's ATS writes (micro1: the report closed its session item).
  if (state.closedBy !== undefined) return [];
  const status = screeningStatusOf(state.status);
  if (status === undefined) return [];
  const writes: PlannedWrite[] = [{ kind: 'status', key: statusKey(status), status }];
  if (status === 'completed') {
    const parts = notePartsOf(state);
    if (context.carriesNote) writes.push({ kind: 'note', key: 'note', parts: parts.map((p) => p.key) });
    const note = state.effects.note;
    if (note?.state === 'done') {
      const included = new Set(note.parts ?? []);
      for (const part of parts) {
        if (!included.has(part.key)) writes.push({ kind: 'follow-up', key: part.key, part });
      }
    }
    const links = recordLinksOf(state);
    if (context.can.addLinks && links.length > 0) writes.push({ kind: 'links', key: linksKey(links), links });
    if (context.completedStageId !== undefined && context.can.moveStage) {
      const toStageId = context.completedStageId;
      writes.push({ kind: 'stage', key: `stage:${toStageId}`, toStageId });
    }
    const score = numberField(state, planFields.screeningScore);
    if (context.scoreFieldId !== undefined && context.can.setField && score !== undefined) {
      const fieldId = context.scoreFieldId;
      writes.push({ kind: 'field', key: `field:${fieldId}:${score}`, fieldId, value: String(score) });
    }
  }
  return writes;
};

/**
 * The plan of one attempt: the desired writes minus those done and those another live attempt holds, plus
 * the notification of the status this event writes.
 */
export const planWrites = (state: InterviewState, context: PlanContext): Plan => {
  const writes: PlannedWrite[] = [];
  const heldByOthers: string[] = [];
  let blockedBy: string | undefined;
  const check = (key: string) => checkEffect(state, key, context.owner, context.now);
  /** Another attempt's write being made, or whose call got no answer and may still land. */
  const inFlight = (key: string) => check(key).kind === 'held' || isSettling(state.effects[key], context.now);

  for (const write of desiredWrites(state, context)) {
    const current = check(write.key);
    if (current.kind === 'done') continue;
    if (current.kind === 'held') {
      heldByOthers.push(write.key);
      continue;
    }
    // An earlier call of this write got no answer and may still land: looking for it in the ATS now (a
    // note's marker, the record's links) could miss it and make it twice. A status too: made again and
    // recorded done, it would no longer read as maybe landing, and the next status (or micro1's report
    // closing the session) would not wait for the late request. Wait until it has had the time to land. A
    // stage move too: its read of the stage would find it not moved yet, and Lever and Ashby would be asked
    // to move it twice. A field too: the same value made again and recorded done no longer reads as maybe
    // landing, so a newer score (the field check below) would not wait for the late request, which could
    // then land last and stay.
    if (current.kind === 'free' && isSettling(current.record, context.now)) blockedBy ??= write.key;
    if (write.kind === 'status') {
      // A status of another level in flight (claimed, or unanswered and maybe still landing) could land after
      // this one: wait for it to be recorded, or to have had the time to land.
      const other = statusEffectKeys.find((key) => key !== write.key && inFlight(key));
      if (other !== undefined) blockedBy ??= other;
    }
    if (write.kind === 'links') {
      // Another set of links in flight (a recording's, while this event adds the webcam's): adding reads
      // the record's links and adds those it lacks, so two at once would both add a link both lack, twice.
      // The claims are one conditional write per version of the item, so the second attempt sees the first's.
      const other = Object.keys(state.effects).find(
        (key) => key !== write.key && key.startsWith('links:') && inFlight(key),
      );
      if (other !== undefined) blockedBy ??= other;
    }
    if (write.kind === 'field') {
      // Another value of this field in flight (an earlier score, claimed or unanswered and maybe still
      // landing) could land after this one and stay: nothing plans the newer value again once it is done.
      const prefix = `field:${write.fieldId}:`;
      const other = Object.keys(state.effects).find(
        (key) => key !== write.key && key.startsWith(prefix) && inFlight(key),
      );
      if (other !== undefined) blockedBy ??= other;
    }
    writes.push(write);
  }

  // Follow-ups are planned once the note is done and its parts known: while another attempt writes the
  // note, a part it does not include must wait for it.
  const note = check('note');
  if (note.kind === 'held' && !context.carriesNote) {
    const included = new Set(note.record.parts ?? []);
    if (notePartsOf(state).some((part) => !included.has(part.key))) blockedBy ??= 'note';
  }

  // Notify only the status this event wrote, and only in a round of its own once the writes it announces
  // are recorded: a notification is sent at most once, so a claim on it must mean "about to be sent", never
  // "planned behind writes that a crash may still interrupt".
  const status = screeningStatusOf(state.status);
  if (context.notifications && status !== undefined && state.closedBy === undefined && writes.length === 0) {
    const key = notificationKey(status);
    const statusWrite = state.effects[statusKey(status)];
    const wroteStatus = statusWrite?.state === 'done' && statusWrite.eventKey === context.eventKey;
    if (wroteStatus && check(key).kind === 'free') writes.push({ kind: 'notify', key, status });
  }

  return { writes, heldByOthers, ...(blockedBy === undefined ? {} : { blockedBy }) };
};
