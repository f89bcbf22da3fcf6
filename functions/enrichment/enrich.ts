/**
 * Turns a queued {@link InterviewEvent} into the vendor-neutral {@link EnrichedInterview} the ATS note and
 * the archive need, calling the vendor's API where the webhook alone is not enough.
 */
import type { InterviewEvent } from '../vendors/envelope.js';
import type { EnrichedInterview } from './enriched-interview.js';
import type { Micro1ApiClient } from './micro1-api.js';
import { enrichMicro1Event } from './micro1-enrich.js';
import type { Round0ApiClient } from './round0-api.js';
import { enrichRound0Event } from './round0-enrich.js';

export type {
  EnrichedCustomQuestion,
  EnrichedEvaluation,
  EnrichedInterview,
  EnrichedPart,
  EnrichedProctoring,
  EnrichedRecordingUrls,
  EnrichedResponse,
  EnrichedSkill,
  EnrichedSoftSkill,
  EnrichedStatus,
  EnrichedTranscriptLine,
} from './enriched-interview.js';

/** The vendor API clients available; a vendor without one (no API key configured) is enriched from its webhook. */
export interface EnrichmentClients {
  readonly round0?: Pick<Round0ApiClient, 'getInterview'>;
  readonly micro1?: Pick<Micro1ApiClient, 'getReport'>;
}

/**
 * The enriched view of `event`.
 *
 * - ROUND0 `interview_ended`: the interview is fetched from the API (the webhook's responses may be partial
 *   and its audio URLs expire after 24 h) and the API's data is preferred, answer by answer, with `source:
 *   'api'`; answers the webhook has and the API does not list keep their place among them. When no client is
 *   configured, the webhook's data is used with `source: 'webhook'`; when the API does not know the
 *   interview (404), too, flagged `apiNotFound`.
 * - micro1 `interview_report.created`: the webhook's report is used; when it lacks a part (transcript,
 *   skills, proctoring, report or recording URL…) and a client is configured, the report is read from the
 *   API and only the missing parts are taken from it (listed in `filledFromApi`). When that read fails for
 *   good, the webhook's report is used as it is, flagged `apiNotFound` (404) or `apiFailure` (a refused key
 *   or request, an answer of another shape); a transient failure is thrown (see {@link enrichWithoutApi}).
 * - Any other event: what the webhook carries.
 *
 * Optional parts of the payload that are badly typed read as absent, list items that are not objects are
 * left out: ingest lets them through, and refusing the event for them would dead-letter it.
 *
 * @throws HttpTransientError when a ROUND0 API call fails transiently (retry the message)
 * @throws VendorApiAuthError, VendorApiRequestError, VendorApiResponseError on permanent ROUND0 API failures
 * @throws UnreadableEventPayloadError when the payload's `data` is not an object
 */
export async function enrichEvent(
  event: InterviewEvent,
  clients: EnrichmentClients = {},
): Promise<EnrichedInterview> {
  switch (event.vendor) {
    case 'round0':
      return enrichRound0Event(event, clients.round0);
    case 'micro1':
      return enrichMicro1Event(event, clients.micro1);
  }
}

/**
 * The enriched view of `event` without its vendor's API, for the last attempt of an event whose API read
 * kept failing transiently (`failure`: the error's class name): a micro1 report as its webhook carries it,
 * flagged `apiFailure`, since that webhook is the report and the API only tops up parts it lacks: better
 * written without them than dead-lettered for an outage. `undefined` for any other event: a ROUND0
 * `interview_ended` is dead-lettered and redriven once the API is back, because its webhook's answers may
 * be partial and the note, written once, could never be completed.
 */
export async function enrichWithoutApi(
  event: InterviewEvent,
  failure: string,
): Promise<EnrichedInterview | undefined> {
  if (event.vendor !== 'micro1' || event.type !== 'interview_report.created') return undefined;
  return { ...(await enrichMicro1Event(event, undefined)), apiFailure: failure };
}
