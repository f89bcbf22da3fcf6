import { contentDedupeKey, leadingKeyPart } from '../dedupe.js';
import type { CandidateRef, InterviewEvent } from '../envelope.js';
import { idAt, textAt, withoutUndefined } from '../fields.js';
import type { NormaliseContext } from '../normalise-context.js';
import { type Micro1Envelope, micro1DateToIso } from './schema.js';

/** Events about one report: each happens once per report (source: shared/vendors/micro1.md, Dedupe). */
const reportEvents: ReadonlySet<string> = new Set([
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
]);
const interviewEvents: ReadonlySet<string> = new Set(['interview.started', 'interview.completed']);
const applicantEvents: ReadonlySet<string> = new Set([
  'applicant.created',
  'applicant.invited',
  'applicant.updated',
  'applicant.completed',
]);

/** Longest id used in a key (mirrors the schemas' `keyPart`, for the lenient `interview.completed`, as does
 * refusing a blank one). */
const maxKeyPartLength = 255;

function keyPart(data: Record<string, unknown>, field: string): string | undefined {
  const value = textAt(data, field);
  return value !== undefined && value.trim() !== '' && value.length <= maxKeyPartLength ? value : undefined;
}

/**
 * micro1 sends no event id, so the key is built from the ids that make an event unique for its type; when
 * they are missing (unknown types, the undocumented `interview.completed`) from a hash of the content as
 * parsed (`payload`: the body before validation, see `contentDedupeKey`).
 */
export function micro1DedupeKey(body: Micro1Envelope, known: boolean, payload: unknown = body): string {
  const { event, data } = body;
  if (known && reportEvents.has(event)) {
    const reportId = keyPart(data, 'report_id');
    if (reportId !== undefined) return `micro1:${event}:${reportId}`;
  }
  if (known && interviewEvents.has(event)) {
    const interviewId = keyPart(data, 'interview_id');
    const candidateId = keyPart(data, 'candidate_id');
    if (interviewId !== undefined && candidateId !== undefined) {
      return `micro1:${event}:${leadingKeyPart(interviewId)}:${candidateId}`;
    }
  }
  if (known && applicantEvents.has(event)) {
    // An applicant event repeats legitimately on each change, which moves `date_modified`.
    const applicationId = keyPart(data, 'micro1_job_application_id');
    const modified = keyPart(data, 'date_modified');
    if (applicationId !== undefined && modified !== undefined) {
      return `micro1:${event}:${leadingKeyPart(applicationId)}:${modified}`;
    }
  }
  return contentDedupeKey('micro1', event, payload);
}

/**
 * The most specific time the event carries, as ISO UTC: last change, completion, start, creation.
 * `date_completed` is undocumented (`interview.completed`'s payload is): read when present and readable, so
 * a completion is not dated by its interview's start. Not `report_date`, a day (`YYYY-MM-DD`): read as its
 * midnight it dated a report up to 24 h early, which the end-to-end lag counted; the receipt dates it.
 */
function occurredAt(data: Record<string, unknown>): string | undefined {
  for (const field of ['date_modified', 'date_completed', 'date_started', 'date_created']) {
    const text = textAt(data, field);
    const iso = text === undefined ? undefined : micro1DateToIso(text);
    if (iso !== undefined) return iso;
  }
  return undefined;
}

/** Turns a validated micro1 body into the vendor-neutral envelope. */
export function normaliseMicro1Event(body: Micro1Envelope, context: NormaliseContext): InterviewEvent {
  const { data } = body;
  const candidate: CandidateRef = withoutUndefined({
    // Interview and report events say `candidate_email_id`, applicant events `email_id`.
    email: textAt(data, 'candidate_email_id') ?? textAt(data, 'email_id'),
    name: textAt(data, 'candidate_name'),
    vendorId: textAt(data, 'candidate_id'),
    atsApplicationId: idAt(data, 'ats_job_application_id'),
    atsJobId: idAt(data, 'ats_job_id'),
  });
  return {
    schemaVersion: 1,
    vendor: 'micro1',
    type: body.event,
    known: context.known,
    dedupeKey: micro1DedupeKey(body, context.known, context.payload),
    ...withoutUndefined({ occurredAt: occurredAt(data) }),
    receivedAt: context.receivedAt.toISOString(),
    // Recording and proctoring events carry only `report_id`: the worker maps it to the interview.
    ...withoutUndefined({ interviewId: textAt(data, 'interview_id') }),
    candidate,
    payload: context.payload,
  };
}
