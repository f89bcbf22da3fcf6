/**
 * The enriched view of a micro1 event. micro1's webhooks carry their data in full (the report event holds
 * the whole report), so the webhook is the source; on `interview_report.created` the API is asked only for
 * the parts the webhook lacks (e.g. no transcript), when an API key is configured.
 */
import * as v from 'valibot';
import { HttpPermanentError } from '../platform/errors.js';
import type { InterviewEvent } from '../vendors/envelope.js';
import type {
  EnrichedEvaluation,
  EnrichedInterview,
  EnrichedPart,
  EnrichedStatus,
  EnrichedTranscriptLine,
} from './enriched-interview.js';
import {
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
  VendorResourceNotFoundError,
} from './errors.js';
import { type Micro1ApiClient, type Micro1Report, micro1ReportSchema } from './micro1-api.js';
import {
  compact,
  isoTimestampOf,
  nonEmpty,
  numberOf,
  optionalPart,
  readEventPayload,
  textOf,
} from './payload-values.js';

const text = optionalPart(v.string());

/**
 * Every field enrichment reads from any micro1 event's `data` (source: shared/seeds/micro1-event-types.md):
 * the report's fields, plus those of the interview, recording and applicant events. Each is optional and
 * read as absent when badly typed (see `optionalPart`); only `data` itself must be an object, as ingest
 * requires.
 */
const micro1DataSchema = v.looseObject({
  ...micro1ReportSchema.entries,
  job_name: text,
  date_started: text,
  /** `interview.completed` is undocumented; a completion date under this name is a guess (inferred). */
  date_completed: text,
  interview_webcam_recording_url: text,
  interview_webcam_recording_player_url: text,
  /** A decimal string (`"99.99"`). */
  resume_score: optionalPart(v.union([v.string(), v.number()])),
  resume_url: text,
  stage: text,
});
type Micro1Data = v.InferOutput<typeof micro1DataSchema>;

const micro1WebhookSchema = v.looseObject({ data: v.nullish(micro1DataSchema) });

const statusByType: Readonly<Record<string, EnrichedStatus>> = {
  'applicant.created': 'applied',
  'applicant.updated': 'applied',
  'applicant.completed': 'applied',
  'applicant.invited': 'invited',
  'interview.started': 'in_progress',
  'interview.completed': 'completed',
  'interview_report.created': 'completed',
  'interview_recording.completed': 'completed',
  'interview_webcam_recording.completed': 'completed',
  'proctoring_score.completed': 'completed',
};

type Evaluation = { feedback?: string | null; rating?: string | null } | null | undefined;

const evaluationOf = (evaluation: Evaluation): EnrichedEvaluation | undefined => {
  const view = compact({ rating: textOf(evaluation?.rating), feedback: textOf(evaluation?.feedback) });
  return Object.keys(view).length > 0 ? view : undefined;
};

const speakerOf = (role: string | undefined): EnrichedTranscriptLine['speaker'] =>
  role === 'user' ? 'candidate' : (role ?? 'unknown');

const decimalOf = (value: string | number | null | undefined): number | undefined =>
  numberOf(typeof value === 'string' ? Number(value) : value);

const subScoresOf = (subScore: Record<string, unknown> | null | undefined) => {
  const entries = Object.entries(subScore ?? {}).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
};

/** The part of the enriched view that a micro1 `data` object (webhook or API report) can carry. */
type View = Omit<
  EnrichedInterview,
  'vendor' | 'eventType' | 'status' | 'source' | 'filledFromApi' | 'interviewId' | 'reportId'
>;

function viewOf(data: Micro1Data): View {
  const proctoring = compact({
    score: numberOf(data.proctoring_score),
    violations: data.proctoring_violations?.map((violation) =>
      compact({
        type: violation.type ?? 'unknown',
        value:
          violation.value === null || violation.value === undefined ? undefined : String(violation.value),
        description: textOf(violation.description),
      }),
    ),
  });
  const recordingUrls = compact({
    screen: textOf(data.interview_recording_url),
    screenPlayer: textOf(data.interview_recording_player_url),
    webcam: textOf(data.interview_webcam_recording_url),
    webcamPlayer: textOf(data.interview_webcam_recording_player_url),
  });
  const jobTitle = textOf(data.job_name);
  return compact({
    interviewName: textOf(data.interview_name),
    startedAt: isoTimestampOf(data.date_started),
    completedAt: isoTimestampOf(data.date_completed),
    interviewDate: textOf(data.report_date),
    job: jobTitle === undefined ? undefined : { title: jobTitle },
    transcript: nonEmpty(
      (data.interview_transcript ?? []).map((line) =>
        compact({
          atSeconds: numberOf(line.timestamp),
          speaker: speakerOf(textOf(line.role)),
          text: line.content ?? '',
        }),
      ),
    ),
    skills: nonEmpty(
      (data.technical_skills_evaluation ?? []).map((item) =>
        compact({
          skill: item.skill ?? '',
          ...evaluationOf(item.ai_evaluation),
          atSeconds: numberOf(item.timestamp),
        }),
      ),
    ),
    softSkills: nonEmpty(
      (data.soft_skills_evaluation ?? []).map((item) =>
        compact({
          skill: item.skill ?? '',
          ...evaluationOf(item.ai_evaluation),
          subScores: subScoresOf(item.ai_evaluation?.sub_score),
        }),
      ),
    ),
    codingEvaluation: evaluationOf(data.coding_skills_evaluation),
    customExerciseEvaluation: evaluationOf(data.custom_exercise_evaluation),
    customQuestions: nonEmpty(
      (data.custom_question_evaluation ?? []).map((item) =>
        compact({
          question: item.question_text ?? '',
          answer: textOf(item.answer_text),
          ...evaluationOf(item.ai_evaluation),
        }),
      ),
    ),
    proctoring: Object.keys(proctoring).length > 0 ? proctoring : undefined,
    aiMatchScore: numberOf(data.ai_match_score),
    resumeScore: decimalOf(data.resume_score),
    resumeUrl: textOf(data.resume_url),
    applicationStage: textOf(data.stage),
    recordingUrls: Object.keys(recordingUrls).length > 0 ? recordingUrls : undefined,
    reportUrl: textOf(data.report_url),
  });
}

/** Parts whose absence from a report webhook is worth one API call. */
const partsWorthFetching: readonly EnrichedPart[] = [
  'transcript',
  'skills',
  'softSkills',
  'proctoring',
  'aiMatchScore',
  'reportUrl',
  'recordingUrls',
];

/** Parts filled from the API once it has been called. */
const fillableParts: readonly EnrichedPart[] = [
  ...partsWorthFetching,
  'codingEvaluation',
  'customExerciseEvaluation',
  'customQuestions',
];

/** Whether `view` lacks `part` (a proctoring without score and recordings without a screen URL count as lacking). */
const lacks = (view: View, part: EnrichedPart): boolean => {
  if (part === 'proctoring') return view.proctoring?.score === undefined;
  if (part === 'recordingUrls') return view.recordingUrls?.screen === undefined;
  return (view as Partial<Record<EnrichedPart, unknown>>)[part] === undefined;
};

/** `fromWebhook` with each lacking part taken from `fromApi` when the API has it. */
function fillFromApi(fromWebhook: View, fromApi: View): { view: View; filled: EnrichedPart[] } {
  const filled = fillableParts.filter((part) => lacks(fromWebhook, part) && !lacks(fromApi, part));
  // Objects are merged so what the webhook did carry (violations, player URLs) is kept.
  const patch = Object.fromEntries(
    filled.map((part) => {
      if (part === 'proctoring') {
        // A score and its violations go together: an empty list beside a missing score is proctoring not
        // yet finished when the webhook was sent, not a clean one, so the API's list is taken with its score.
        const fromWebhookViolations = fromWebhook.proctoring?.violations;
        const violations =
          fromWebhookViolations !== undefined && fromWebhookViolations.length > 0
            ? fromWebhookViolations
            : (fromApi.proctoring?.violations ?? fromWebhookViolations);
        return [part, compact({ ...fromApi.proctoring, ...fromWebhook.proctoring, violations })];
      }
      if (part === 'recordingUrls') return [part, { ...fromApi.recordingUrls, ...fromWebhook.recordingUrls }];
      return [part, fromApi[part]];
    }),
  ) as Partial<View>;
  return { view: { ...fromWebhook, ...patch }, filled };
}

/**
 * API failures that a retry would meet again: the vendor's refusals, and the HTTP client's own (a redirect
 * or address the URL guard refuses, a body over the size limit: `HttpPermanentError`).
 */
const permanentApiFailures = [
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
  HttpPermanentError,
];

/** What asking the API for the report gave. */
type ApiAnswer =
  | { readonly outcome: 'found'; readonly report: Micro1Report }
  | { readonly outcome: 'not-found' }
  /** `error`: the failure's class name, never its message (vendor messages may echo candidate data). */
  | { readonly outcome: 'failed'; readonly error: string };

/** The API's copy of the report, or why there is none; undefined when no id scopes a lookup. */
async function reportFromApi(
  client: Pick<Micro1ApiClient, 'getReport'>,
  reportId: string,
  interviewId: string | undefined,
  candidateId: string | undefined,
): Promise<ApiAnswer | undefined> {
  const scope =
    interviewId !== undefined
      ? { interviewId, candidateId }
      : candidateId !== undefined
        ? { candidateId }
        : undefined;
  if (scope === undefined) return undefined;
  try {
    return { outcome: 'found', report: await client.getReport({ reportId, ...scope }) };
  } catch (error) {
    if (error instanceof VendorResourceNotFoundError) return { outcome: 'not-found' };
    // The webhook carries the report; the API only tops up parts it lacks. A failure that will not go away
    // on its own (a refused key or request, a body of another shape or too large, a refused redirect) must
    // not dead-letter a report that can be written as it is: the webhook's data is used and the failure
    // named on the result (`apiFailure`).
    // An outage or a timeout is retried with the event: the note is written once, and a part skipped now
    // would never reach it. On the queue's last receive the worker syncs the webhook's report without the
    // API instead (`enrichWithoutApi`), rather than dead-letter it.
    if (permanentApiFailures.some((permanent) => error instanceof permanent)) {
      return { outcome: 'failed', error: (error as Error).name };
    }
    throw error;
  }
}

/** Enriches a micro1 event; see {@link enrichEvent} in `enrich.ts` for the rules. */
export async function enrichMicro1Event(
  event: InterviewEvent,
  client: Pick<Micro1ApiClient, 'getReport'> | undefined,
): Promise<EnrichedInterview> {
  const data = readEventPayload('micro1', event.type, micro1WebhookSchema, event.payload).data ?? {};
  const reportId = textOf(data.report_id);
  const base = {
    vendor: 'micro1',
    eventType: event.type,
    status: statusByType[event.type] ?? 'unknown',
    interviewId: event.interviewId ?? textOf(data.interview_id),
    reportId,
  } as const;
  const fromWebhook = viewOf(data);

  const worthFetching =
    event.type === 'interview_report.created' &&
    client !== undefined &&
    reportId !== undefined &&
    partsWorthFetching.some((part) => lacks(fromWebhook, part));
  if (!worthFetching) return compact({ ...base, source: 'webhook', ...fromWebhook });

  const answer = await reportFromApi(client, reportId, base.interviewId, textOf(data.candidate_id));
  if (answer === undefined) return compact({ ...base, source: 'webhook', ...fromWebhook });
  if (answer.outcome === 'not-found')
    return compact({ ...base, source: 'webhook', ...fromWebhook, apiNotFound: true });
  if (answer.outcome === 'failed')
    return compact({ ...base, source: 'webhook', ...fromWebhook, apiFailure: answer.error });
  const { view, filled } = fillFromApi(fromWebhook, viewOf(answer.report));
  return compact({ ...base, source: 'webhook', ...view, filledFromApi: nonEmpty(filled) });
}
