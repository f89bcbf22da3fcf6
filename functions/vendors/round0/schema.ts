/**
 * Schemas of ROUND0 webhook bodies (source: ../../../shared/seeds/round0-webhook-events.md and the
 * vendor's samples). Strict about what processing depends on: the event `id` (idempotency), `type`,
 * `created`, the interview and candidate ids and the types of scores. Every other field may be null or
 * absent, and unknown fields pass through untouched.
 */
import * as v from 'valibot';
import { eventType, keyPart, objectOf, optionalPercent, optionalText } from '../schema-parts.js';

/** Event types this version understands. Others are still accepted (see {@link round0EnvelopeSchema}). */
export const round0EventTypes = ['interview_started', 'interview_ended'] as const;
export type Round0EventType = (typeof round0EventTypes)[number];

/** Largest `created` accepted: 9999-12-31T23:59:59Z, beyond which a Date cannot print as ISO 8601. */
const maxUnixSeconds = 253_402_300_799;

/** Unix seconds, an integer (the vendor documents `created` as "Unix timestamp in seconds (integer)"). */
const unixSeconds = v.pipe(
  v.number(),
  v.integer('Invalid type: expected an integer number of seconds'),
  v.minValue(0, 'Invalid value: expected seconds since 1970'),
  v.maxValue(maxUnixSeconds, 'Invalid value: expected seconds before year 10000'),
);

const envelopeEntries = {
  /** `evt_` + 32 hex in production, `evt_test_…` from the dashboard: the idempotency key. */
  id: keyPart,
  type: eventType,
  created: unixSeconds,
  data: objectOf({}),
};

/** The envelope every ROUND0 event shares; enough to accept an event type this version does not know. */
export const round0EnvelopeSchema = objectOf(envelopeEntries);
export type Round0Envelope = v.InferOutput<typeof round0EnvelopeSchema>;

const interviewSchema = objectOf({
  /** Documented as a UUID; samples are not (`test-interview-id`). */
  id: keyPart,
  status: optionalText,
  started_at: optionalText,
  completed_at: optionalText,
  expires_at: optionalText,
  created_at: optionalText,
});

/** `department` and `location` are documented as nullable. */
const jobSchema = objectOf({
  id: optionalText,
  title: optionalText,
  department: optionalText,
  location: optionalText,
});

/** `email` and `title` are documented as nullable; `title` is null in the dashboard's test event. */
const candidateSchema = objectOf({
  id: keyPart,
  name: optionalText,
  email: optionalText,
  title: optionalText,
});

/**
 * One answer. `score`/`feedback` are documented nullable and are absent from test events, `audio_url`
 * may be absent, and `question_type` is any string (the documented list is not a closed set).
 */
const responseSchema = objectOf({
  question_id: optionalText,
  question_text: optionalText,
  question_type: optionalText,
  transcript: optionalText,
  audio_url: optionalText,
  score: optionalPercent,
  feedback: optionalText,
  duration_seconds: v.nullish(v.number()),
  answered_at: optionalText,
});

/** `interview_started`: a candidate began an interview (invited → in_progress). */
export const round0InterviewStartedSchema = objectOf({
  ...envelopeEntries,
  type: v.literal('interview_started'),
  data: objectOf({
    interview: interviewSchema,
    job: v.nullish(jobSchema),
    candidate: candidateSchema,
  }),
});
export type Round0InterviewStarted = v.InferOutput<typeof round0InterviewStartedSchema>;

/** `interview_ended`: a candidate completed an interview (in_progress → completed), with the responses. */
export const round0InterviewEndedSchema = objectOf({
  ...envelopeEntries,
  type: v.literal('interview_ended'),
  data: objectOf({
    interview: interviewSchema,
    job: v.nullish(jobSchema),
    candidate: candidateSchema,
    // The worker re-fetches the interview from the API on this event anyway (vendor guidance), so a
    // missing list is not a reason to refuse the event.
    responses: v.nullish(v.array(responseSchema)),
  }),
});
export type Round0InterviewEnded = v.InferOutput<typeof round0InterviewEndedSchema>;

/** Schema of each known event type. */
export const round0EventSchemas = {
  interview_started: round0InterviewStartedSchema,
  interview_ended: round0InterviewEndedSchema,
} as const satisfies Record<Round0EventType, v.GenericSchema>;

export type Round0KnownEvent = Round0InterviewStarted | Round0InterviewEnded;
