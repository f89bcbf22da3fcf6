/**
 * The enriched view of a ROUND0 event. On `interview_ended` the vendor's guide says to fetch the interview
 * from the API: the webhook's `responses` may be partial, order is not guaranteed, and `audio_url`s expire
 * 24 h after issue (shared/vendors/round0.md), so the API's data wins and the webhook's only fills gaps.
 */
import * as v from 'valibot';
import type { InterviewEvent } from '../vendors/envelope.js';
import type { EnrichedInterview, EnrichedResponse, EnrichedStatus } from './enriched-interview.js';
import { VendorResourceNotFoundError } from './errors.js';
import {
  compact,
  isoTimestampOf,
  nonEmpty,
  numberOf,
  optionalPart,
  readableItems,
  readEventPayload,
  textOf,
} from './payload-values.js';
import { type Round0ApiClient, type Round0Response, round0ResponseSchema } from './round0-api.js';

const text = optionalPart(v.string());

const jobSchema = v.looseObject({ title: text, department: text, location: text });

/**
 * What enrichment reads of a ROUND0 webhook. Each part is optional and read as absent when badly typed (see
 * `optionalPart`): ingest checks `responses` on `interview_ended` only, and none of them on event types it
 * does not know. Only `data` itself must be an object, as ingest requires.
 */
const round0WebhookSchema = v.looseObject({
  data: v.nullish(
    v.looseObject({
      interview: optionalPart(v.looseObject({ id: text, started_at: text, completed_at: text })),
      job: optionalPart(jobSchema),
      responses: readableItems(round0ResponseSchema),
    }),
  ),
});

const statusByType: Readonly<Record<string, EnrichedStatus>> = {
  interview_started: 'in_progress',
  interview_ended: 'completed',
};

type Job = v.InferOutput<typeof jobSchema>;

const jobOf = (job: Job | null | undefined): EnrichedInterview['job'] => {
  const title = textOf(job?.title);
  if (title === undefined) return undefined;
  return compact({ title, department: textOf(job?.department), location: textOf(job?.location) });
};

const responseOf = (response: Round0Response, position: number): EnrichedResponse =>
  compact({
    index: position + 1,
    questionId: textOf(response.question_id),
    question: response.question_text ?? '',
    questionType: textOf(response.question_type),
    answer: response.transcript ?? '',
    score: numberOf(response.score),
    feedback: textOf(response.feedback),
    durationSeconds: numberOf(response.duration_seconds),
    answeredAt: isoTimestampOf(response.answered_at),
    audioUrl: textOf(response.audio_url),
  });

/**
 * Entries of `response` that hold a value: null, absent and blank text carry nothing to prefer (an API that
 * lags may list an answer before its transcript, and the note is written once).
 */
const definedEntries = (response: Round0Response): Partial<Round0Response> =>
  Object.fromEntries(
    Object.entries(response).filter(
      ([, value]) =>
        value !== null && value !== undefined && !(typeof value === 'string' && value.trim() === ''),
    ),
  );

/** A question's text as compared across the API's and the webhook's lists (spacing and case aside). */
const questionTextOf = (response: Round0Response): string | undefined => {
  const text = response.question_text?.trim().replace(/\s+/g, ' ').toLowerCase();
  return text === undefined || text === '' ? undefined : text;
};

/**
 * The API's answers, each completed field by field from the webhook's answer to the same question, with the
 * webhook's answers to questions the API does not list where the webhook has them (after the answer the
 * webhook lists before them); the webhook's list when the API returned none. The same question is the same `question_id`, or, for an API answer without one (or with
 * one of another type, read as none), the same question text.
 */
function mergeResponses(fromApi: readonly Round0Response[], fromWebhook: readonly Round0Response[]) {
  if (fromApi.length === 0) return fromWebhook;
  // A question answered twice (a retake: ROUND0 does not say an id is answered once) has two answers under
  // one id. The API's answers to an id are completed from the webhook's in order, from the latest ones when the
  // API lists fewer (it shows the retake, not the first take): never all from the last, nor a retake from the
  // first take.
  const apiCountById = new Map<string, number>();
  for (const response of fromApi) {
    if (response.question_id)
      apiCountById.set(response.question_id, (apiCountById.get(response.question_id) ?? 0) + 1);
  }
  const webhookById = new Map<string, Round0Response[]>();
  for (const response of fromWebhook) {
    if (response.question_id)
      webhookById.set(response.question_id, [...(webhookById.get(response.question_id) ?? []), response]);
  }
  for (const [id, answers] of webhookById) {
    const listed = apiCountById.get(id) ?? 0;
    if (listed > 0 && answers.length > listed) webhookById.set(id, answers.slice(-listed));
  }
  const apiIds = new Set(fromApi.map((response) => response.question_id).filter(Boolean));
  /** Webhook answers with an id the API does not list, by question text: what an id-less API answer may be. */
  const unlistedByText = new Map<string, Round0Response>();
  for (const response of fromWebhook) {
    const text = questionTextOf(response);
    if (response.question_id && !apiIds.has(response.question_id) && text !== undefined) {
      if (!unlistedByText.has(text)) unlistedByText.set(text, response);
    }
  }
  const matchedByText = new Set<Round0Response>();
  /** Where each webhook answer that completed an API answer is in the merged list. */
  const mergedAt = new Map<Round0Response, number>();
  const merged = fromApi.map((response, position) => {
    let fallback = response.question_id ? webhookById.get(response.question_id)?.shift() : undefined;
    const text = questionTextOf(response);
    if (!response.question_id && text !== undefined) {
      fallback = unlistedByText.get(text);
      if (fallback !== undefined) {
        matchedByText.add(fallback);
        unlistedByText.delete(text);
      }
    }
    if (fallback === undefined) return response;
    mergedAt.set(fallback, position);
    return { ...fallback, ...definedEntries(response) };
  });
  // An API that lags the webhook must not cost the candidate an answer: the note is written once. So the
  // webhook's answers to questions the API does not list are added — by id, and not when the API lists the
  // same question text (under no id or another one: it would be listed twice, in the note and in the score's
  // mean). A webhook answer without an id cannot be told apart from the API's and is not added.
  const apiTexts = new Set(fromApi.map(questionTextOf).filter((text) => text !== undefined));
  const onlyInWebhook = new Set(
    fromWebhook.filter((response) => {
      if (!response.question_id || apiIds.has(response.question_id) || matchedByText.has(response))
        return false;
      const text = questionTextOf(response);
      return text === undefined || !apiTexts.has(text);
    }),
  );
  // Each goes after the merged answer the webhook lists last before it (first when there is none): the note
  // numbers answers by position, so one appended at the end would number the API's later answers wrongly.
  const addedAfter = new Map<number, Round0Response[]>();
  let anchor = -1;
  for (const response of fromWebhook) {
    const at = mergedAt.get(response);
    if (at !== undefined) anchor = at;
    else if (onlyInWebhook.has(response))
      addedAfter.set(anchor, [...(addedAfter.get(anchor) ?? []), response]);
  }
  return [
    ...(addedAfter.get(-1) ?? []),
    ...merged.flatMap((response, position) => [response, ...(addedAfter.get(position) ?? [])]),
  ];
}

/** Enriches a ROUND0 event; see {@link enrichEvent} in `enrich.ts` for the rules. */
export async function enrichRound0Event(
  event: InterviewEvent,
  client: Pick<Round0ApiClient, 'getInterview'> | undefined,
): Promise<EnrichedInterview> {
  const data = readEventPayload('round0', event.type, round0WebhookSchema, event.payload).data ?? {};
  const interviewId = event.interviewId ?? textOf(data.interview?.id);
  const webhookResponses = data.responses ?? [];
  const fromWebhook: EnrichedInterview = compact({
    vendor: 'round0',
    eventType: event.type,
    status: statusByType[event.type] ?? 'unknown',
    source: 'webhook',
    interviewId,
    startedAt: isoTimestampOf(data.interview?.started_at),
    completedAt: isoTimestampOf(data.interview?.completed_at),
    job: jobOf(data.job),
    responses: nonEmpty(webhookResponses.map(responseOf)),
  });
  if (event.type !== 'interview_ended' || client === undefined || interviewId === undefined)
    return fromWebhook;

  let interview: Awaited<ReturnType<Round0ApiClient['getInterview']>>;
  try {
    interview = await client.getInterview(interviewId);
  } catch (error) {
    // An interview deleted at ROUND0, or an API of another account or environment: the webhook's data is all
    // there is, flagged. Anything else (auth, transient) propagates: transient ones are retried by the
    // queue, auth ones need an operator.
    if (error instanceof VendorResourceNotFoundError) return { ...fromWebhook, apiNotFound: true };
    throw error;
  }
  const responses = mergeResponses(interview.responses, webhookResponses);
  return compact({
    ...fromWebhook,
    source: 'api',
    startedAt:
      isoTimestampOf(interview.started_at ?? interview.interview?.started_at) ?? fromWebhook.startedAt,
    completedAt:
      isoTimestampOf(interview.completed_at ?? interview.interview?.completed_at) ?? fromWebhook.completedAt,
    job: jobOf(interview.job) ?? fromWebhook.job,
    responses: nonEmpty(responses.map(responseOf)),
  });
}
