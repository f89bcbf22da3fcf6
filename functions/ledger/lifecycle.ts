/**
 * Where each vendor event puts an interview in its lifecycle, and which interview a vendor event is about.
 *
 * Vendors do not guarantee delivery order (ROUND0: "you should not rely on ordering … process based on
 * type"; micro1 documents no order), so the per-interview state moves by rank: a higher rank advances the
 * status, a lower one arriving late never takes it back.
 */
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

/**
 * The key of the interview an event is about: one state item per (vendor, key).
 *
 * - ROUND0: `data.interview.id`, which both event types carry.
 * - micro1: `data.candidate_id`. micro1 events share no interview id: `applicant.*` carry
 *   `micro1_job_application_id`, `interview.*` carry `interview_id`, the report carries `report_id` and
 *   `interview_id`, but the recording and proctoring events carry only `report_id` and `candidate_id`.
 *   `candidate_id` is the one id every micro1 event has, so all of a candidate's events meet in one item.
 *   `ats_job_id` would split a candidate's interviews per job, but the recording and proctoring events do
 *   not carry it, so it cannot be part of the key. Consequence: a candidate interviewing for two micro1
 *   jobs at once shares one state item (the status is the furthest of the two); the ATS match is per
 *   application anyway (`ats_job_application_id`).
 *
 * The documented payload field is read first; the envelope's normalised fields are the fallback.
 *
 * @throws {MissingInterviewKeyError} when the event carries no such id.
 */
export function interviewKeyOf(event: InterviewEvent): string {
  const data = field(event.payload, 'data');
  const key =
    event.vendor === 'round0'
      ? (nonEmptyString(field(field(data, 'interview'), 'id')) ?? nonEmptyString(event.interviewId))
      : (nonEmptyString(field(data, 'candidate_id')) ?? nonEmptyString(event.candidate.vendorId));
  if (key === undefined) throw new MissingInterviewKeyError(event.vendor, event.type);
  return key;
}
