/**
 * Where each vendor event puts an interview in its lifecycle, and which interview a vendor event is about.
 *
 * Vendors do not guarantee delivery order (ROUND0: "you should not rely on ordering … process based on
 * type"; micro1 documents no order), so the per-interview state moves by rank: a higher rank advances the
 * status, a lower one arriving late never takes it back.
 */
import { archiveEventTypes } from '../archive/events.js';
import { leadingKeyPart } from '../vendors/dedupe.js';
import type { InterviewEvent, VendorName } from '../vendors/envelope.js';
import { MissingInterviewKeyError } from './errors.js';

/** The lifecycle step of an event. */
export interface LifecycleStep {
  /** Position in the vendor's lifecycle; `undefined`: the event only adds fields and never moves the status. */
  readonly rank: number | undefined;
  /** Status the interview has once this step is reached (for fields-only events: what the event reports). */
  readonly status: string;
}

/** Statuses shared by both vendors, so the ATS mapping can be written once. */
export const interviewStatuses = {
  applied: 'applied',
  invited: 'invited',
  inProgress: 'in_progress',
  completed: 'completed',
  reportReady: 'report_ready',
  recordingReady: 'recording_ready',
} as const;

const step = (rank: number | undefined, status: string): LifecycleStep => ({ rank, status });

/**
 * micro1 (event types from the vendor's event reference, `shared/seeds/micro1-event-types.md`).
 * `applicant.updated`/`applicant.completed` (the applicant's profile or application form) and
 * `proctoring_score.completed` (a score computed alongside the report) say nothing about where the
 * interview is, so they only add fields. Both recording events mean "media ready" and share a rank.
 */
export const micro1Lifecycle: Readonly<Record<string, LifecycleStep>> = {
  'applicant.created': step(1, interviewStatuses.applied),
  'applicant.invited': step(2, interviewStatuses.invited),
  'applicant.updated': step(undefined, 'applicant_updated'),
  'applicant.completed': step(undefined, 'applicant_completed'),
  'interview.started': step(3, interviewStatuses.inProgress),
  'interview.completed': step(4, interviewStatuses.completed),
  'interview_report.created': step(5, interviewStatuses.reportReady),
  'interview_recording.completed': step(6, interviewStatuses.recordingReady),
  'interview_webcam_recording.completed': step(6, interviewStatuses.recordingReady),
  'proctoring_score.completed': step(undefined, 'proctoring_scored'),
};

/**
 * ROUND0 (`shared/seeds/round0-webhook-events.md`): `interview_started` moves invited → in_progress,
 * `interview_ended` in_progress → completed. `invited` has no event; it is listed so the ranks read as the
 * vendor's lifecycle.
 */
export const round0Lifecycle: Readonly<Record<string, LifecycleStep>> = {
  invited: step(1, interviewStatuses.invited),
  interview_started: step(2, interviewStatuses.inProgress),
  interview_ended: step(3, interviewStatuses.completed),
};

const lifecycles: Readonly<Record<VendorName, Readonly<Record<string, LifecycleStep>>>> = {
  micro1: micro1Lifecycle,
  round0: round0Lifecycle,
};

/**
 * The lifecycle step of an event. Event types this version does not know only add fields (`rank`
 * undefined): guessing a rank could move a status the wrong way.
 */
export function lifecycleOf(event: InterviewEvent): LifecycleStep {
  const table = lifecycles[event.vendor];
  return (Object.hasOwn(table, event.type) ? table[event.type] : undefined) ?? step(undefined, event.type);
}

const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/** micro1 events about one report (`report_id`): the report, its recordings and its proctoring score. */
const micro1ReportEvents: ReadonlySet<string> = new Set([
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
]);

/** micro1 events about a candidate's session of an interview (`interview_id` + `candidate_id`). */
const micro1SessionEvents: ReadonlySet<string> = new Set(['interview.started', 'interview.completed']);

const micro1SessionKey = (data: unknown): string | undefined => {
  const interviewId = nonEmptyString(field(data, 'interview_id'));
  const candidateId = nonEmptyString(field(data, 'candidate_id'));
  return interviewId === undefined || candidateId === undefined
    ? undefined
    : `session:${leadingKeyPart(interviewId)}:${candidateId}`;
};

/**
 * The key of the interview an event is about: one state item per (vendor, key).
 *
 * - ROUND0: `data.interview.id`, which both event types carry.
 * - micro1: one interview is one report. The report, both recording events and the proctoring score all
 *   carry `report_id` (micro1's event reference), so they meet in `report:<report_id>` — a candidate with
 *   two interviews (two jobs, two reports) has two items, each matched to its own ATS application.
 *   `interview.started`/`interview.completed` carry no `report_id`; they are keyed by the candidate's
 *   session of the interview, `session:<interview_id>:<candidate_id>`, which the report carries too: the
 *   report closes that item ({@link sessionKeyOf}) so a late `interview.started` cannot write "in progress"
 *   after the report's "completed". `applicant.*` events are about the application
 *   (`applicant:<micro1_job_application_id>`).
 * - The archive's internal events (`archive.completed`, `archive.task`) carry the key in `payload.interviewKey`.
 *
 * Assumed from micro1's samples (its reference names both fields `interview_id`): the report's `interview_id`
 * is the one `interview.started` carried. If micro1 ever sent different ids there, the session would simply
 * not be closed — a late start could then write "in progress" on its own item, never on the report's.
 *
 * ROUND0 falls back to the envelope's `interviewId` when the payload lacks it; micro1's envelope ids come from
 * the same payload fields, so there is nothing to fall back to.
 *
 * @throws {MissingInterviewKeyError} when the event carries no such id.
 */
export function interviewKeyOf(event: InterviewEvent): string {
  const key = findInterviewKey(event);
  if (key === undefined) throw new MissingInterviewKeyError(event.vendor, event.type);
  return key;
}

/** {@link interviewKeyOf}, or `undefined` when the event carries no such id. */
export function findInterviewKey(event: InterviewEvent): string | undefined {
  const data = field(event.payload, 'data');
  let key: string | undefined;
  if (event.type === archiveEventTypes.completed || event.type === archiveEventTypes.task) {
    // The archive's own events name the interview they belong to.
    key = nonEmptyString(field(event.payload, 'interviewKey'));
  } else if (event.vendor === 'round0') {
    key = nonEmptyString(field(field(data, 'interview'), 'id')) ?? nonEmptyString(event.interviewId);
  } else if (micro1ReportEvents.has(event.type)) {
    const reportId = nonEmptyString(field(data, 'report_id'));
    key = reportId === undefined ? undefined : `report:${reportId}`;
  } else if (micro1SessionEvents.has(event.type)) {
    key = micro1SessionKey(data);
  } else {
    const applicationId = nonEmptyString(field(data, 'micro1_job_application_id'));
    key = applicationId === undefined ? undefined : `applicant:${applicationId}`;
  }
  return key;
}

/**
 * The session item a micro1 report closes (`session:<interview_id>:<candidate_id>`), or `undefined` for
 * every other event (and for a report that lacks either id).
 */
export function sessionKeyOf(event: InterviewEvent): string | undefined {
  if (event.vendor !== 'micro1' || event.type !== 'interview_report.created') return undefined;
  return micro1SessionKey(field(event.payload, 'data'));
}
