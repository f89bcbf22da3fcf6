/**
 * Schemas of micro1 webhook bodies `{ event, data }` (source: ../../../shared/seeds/micro1-event-types.md
 * and ../../../shared/vendors/micro1.md). micro1 sends no event id, so the schemas insist on the ids the
 * dedupe key is built from; otherwise they check the types processing reads and let everything else through.
 */
import * as v from 'valibot';
import {
  eventType,
  keyPart,
  objectOf,
  optionalAtsId,
  optionalKeyPart,
  optionalPercent,
  optionalText,
  percent,
} from '../schema-parts.js';

/**
 * Event types this version understands: the registration enum. `interview.completed` is in the enum but
 * its payload is undocumented, so its schema is lenient.
 */
export const micro1EventTypes = [
  'interview.started',
  'interview.completed',
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
  'applicant.created',
  'applicant.invited',
  'applicant.updated',
  'applicant.completed',
] as const;
export type Micro1EventType = (typeof micro1EventTypes)[number];

const dateTimePattern = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A micro1 date (`2024-01-01 10:00:00`) or report date (`2024-01-01`) as an ISO 8601 UTC instant, or
 * undefined when the text is not such a date. The vendor gives no zone: read as UTC (inferred). A
 * calendar-impossible date (`2024-02-30`) is refused rather than rolled over.
 */
export function micro1DateToIso(text: string): string | undefined {
  const dateTime = dateTimePattern.exec(text);
  const [day, time] = dateTime
    ? [dateTime[1], dateTime[2]]
    : datePattern.test(text)
      ? [text, '00:00:00']
      : [];
  if (day === undefined || time === undefined) return undefined;
  const instant = new Date(`${day}T${time}Z`);
  if (Number.isNaN(instant.getTime())) return undefined;
  const iso = instant.toISOString();
  return iso.slice(0, 19) === `${day}T${time}` ? iso : undefined;
}

/** `YYYY-MM-DD HH:mm:ss`, a real calendar instant (one check, so a bad date is one issue). */
export const micro1DateTime = v.pipe(
  v.string(),
  v.check(
    (text) => dateTimePattern.test(text) && micro1DateToIso(text) !== undefined,
    'Invalid date: expected a calendar date "YYYY-MM-DD HH:mm:ss"',
  ),
);

/** `YYYY-MM-DD` (`report_date`), a real calendar day. */
export const micro1Date = v.pipe(
  v.string(),
  v.check(
    (text) => datePattern.test(text) && micro1DateToIso(text) !== undefined,
    'Invalid date: expected a calendar date "YYYY-MM-DD"',
  ),
);

/**
 * `resume_score` is a decimal string in every sample (`"99.99"`). A number is refused: a vendor changing
 * the type is a contract change worth a 400 and a look, not something to coerce silently.
 */
export const resumeScore = v.pipe(
  v.string(),
  v.regex(/^\d{1,3}(\.\d+)?$/, 'Invalid format: expected a decimal string such as "99.99"'),
);

/** Candidate and ATS fields shared by interview and report events. */
const candidateEntries = {
  candidate_id: optionalKeyPart,
  candidate_name: optionalText,
  candidate_email_id: optionalText,
  ats_job_id: optionalAtsId,
  ats_job_application_id: optionalAtsId,
};

function eventSchema<const TEvent extends Micro1EventType, const TData extends v.ObjectEntries>(
  event: TEvent,
  data: TData,
) {
  return objectOf({ event: v.literal(event), data: objectOf(data) });
}

/** The `{ event, data }` body every micro1 event shares; enough to accept a type this version does not know. */
export const micro1EnvelopeSchema = objectOf({
  event: eventType,
  data: objectOf({}),
});
export type Micro1Envelope = v.InferOutput<typeof micro1EnvelopeSchema>;

export const micro1InterviewStartedSchema = eventSchema('interview.started', {
  ...candidateEntries,
  candidate_id: keyPart,
  interview_id: keyPart,
  interview_name: optionalText,
  job_id: optionalText,
  job_name: optionalText,
  date_started: v.nullish(micro1DateTime),
});
export type Micro1InterviewStarted = v.InferOutput<typeof micro1InterviewStartedSchema>;

/**
 * Undocumented payload, presumably like `interview.started` (inferred). Nothing is required and dates are
 * not format-checked: an unreadable date leaves `occurredAt` unset and missing ids fall back to a content
 * hash, instead of refusing an event nobody has seen yet.
 */
export const micro1InterviewCompletedSchema = eventSchema('interview.completed', {
  ...candidateEntries,
  interview_id: optionalKeyPart,
  interview_name: optionalText,
  job_id: optionalText,
  job_name: optionalText,
});
export type Micro1InterviewCompleted = v.InferOutput<typeof micro1InterviewCompletedSchema>;

const transcriptEntrySchema = objectOf({
  timestamp: v.nullish(v.number()),
  role: optionalText,
  content: optionalText,
});

export const micro1InterviewReportCreatedSchema = eventSchema('interview_report.created', {
  ...candidateEntries,
  /** A short id (`h0gqkAcaDJ`), not a UUID. */
  report_id: keyPart,
  interview_id: optionalKeyPart,
  session_id: optionalText,
  interview_name: optionalText,
  job_applicant_id: optionalText,
  report_date: v.nullish(micro1Date),
  report_url: optionalText,
  interview_recording_url: optionalText,
  proctoring_score: optionalPercent,
  ai_match_score: optionalPercent,
  interview_transcript: v.nullish(v.array(transcriptEntrySchema)),
  date_created: v.nullish(micro1DateTime),
  date_modified: v.nullish(micro1DateTime),
  status: optionalText,
});
export type Micro1InterviewReportCreated = v.InferOutput<typeof micro1InterviewReportCreatedSchema>;

/** The URL is what the event exists for (the archive step fetches it), so it is required. */
const mediaUrl = v.pipe(v.string(), v.minLength(1, 'Invalid length: expected a URL'));

export const micro1InterviewRecordingCompletedSchema = eventSchema('interview_recording.completed', {
  report_id: keyPart,
  candidate_id: optionalText,
  /** An HLS playlist (`.m3u8`). */
  interview_recording_url: mediaUrl,
  /** A player page, not media. */
  interview_recording_player_url: optionalText,
});
export type Micro1InterviewRecordingCompleted = v.InferOutput<typeof micro1InterviewRecordingCompletedSchema>;

export const micro1InterviewWebcamRecordingCompletedSchema = eventSchema(
  'interview_webcam_recording.completed',
  {
    report_id: keyPart,
    candidate_id: optionalText,
    interview_webcam_recording_url: mediaUrl,
    interview_webcam_recording_player_url: optionalText,
  },
);
export type Micro1InterviewWebcamRecordingCompleted = v.InferOutput<
  typeof micro1InterviewWebcamRecordingCompletedSchema
>;

export const micro1ProctoringScoreCompletedSchema = eventSchema('proctoring_score.completed', {
  report_id: keyPart,
  candidate_id: optionalText,
  proctoring_score: percent,
});
export type Micro1ProctoringScoreCompleted = v.InferOutput<typeof micro1ProctoringScoreCompletedSchema>;

/** The four applicant events share one payload (the vendor's samples are identical). */
const applicantEntries = {
  /** With `date_modified`, the dedupe key: the same applicant event legitimately repeats on a later change. */
  micro1_job_application_id: keyPart,
  date_modified: micro1DateTime,
  date_created: v.nullish(micro1DateTime),
  // Nullable because an applicant exists before micro1 scores the resume (`applicant.completed`).
  resume_score: v.nullish(resumeScore),
  resume_url: optionalText,
  micro1_job_id: optionalText,
  candidate_id: optionalText,
  candidate_name: optionalText,
  /** Applicant events name the e-mail `email_id`, interview events `candidate_email_id`. */
  email_id: optionalText,
  ats_job_id: optionalAtsId,
  ats_job_application_id: optionalAtsId,
  job_name: optionalText,
  stage: optionalText,
};

export const micro1ApplicantCreatedSchema = eventSchema('applicant.created', applicantEntries);
export const micro1ApplicantInvitedSchema = eventSchema('applicant.invited', applicantEntries);
export const micro1ApplicantUpdatedSchema = eventSchema('applicant.updated', applicantEntries);
export const micro1ApplicantCompletedSchema = eventSchema('applicant.completed', applicantEntries);
export type Micro1ApplicantEvent = v.InferOutput<
  | typeof micro1ApplicantCreatedSchema
  | typeof micro1ApplicantInvitedSchema
  | typeof micro1ApplicantUpdatedSchema
  | typeof micro1ApplicantCompletedSchema
>;

/** Schema of each known event type. */
export const micro1EventSchemas = {
  'interview.started': micro1InterviewStartedSchema,
  'interview.completed': micro1InterviewCompletedSchema,
  'interview_report.created': micro1InterviewReportCreatedSchema,
  'interview_recording.completed': micro1InterviewRecordingCompletedSchema,
  'interview_webcam_recording.completed': micro1InterviewWebcamRecordingCompletedSchema,
  'proctoring_score.completed': micro1ProctoringScoreCompletedSchema,
  'applicant.created': micro1ApplicantCreatedSchema,
  'applicant.invited': micro1ApplicantInvitedSchema,
  'applicant.updated': micro1ApplicantUpdatedSchema,
  'applicant.completed': micro1ApplicantCompletedSchema,
} as const satisfies Record<Micro1EventType, v.GenericSchema>;

export type Micro1KnownEvent =
  | Micro1InterviewStarted
  | Micro1InterviewCompleted
  | Micro1InterviewReportCreated
  | Micro1InterviewRecordingCompleted
  | Micro1InterviewWebcamRecordingCompleted
  | Micro1ProctoringScoreCompleted
  | Micro1ApplicantEvent;
