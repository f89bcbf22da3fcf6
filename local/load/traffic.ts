/**
 * The traffic of `npm run load`: distinct interviews made from the vendors' samples (new ids, a candidate
 * e-mail each), their events, the re-deliveries, all in a shuffled order — and what each interview's
 * accepted events imply for the ATS.
 *
 * Interviews (shares of all interviews):
 * - ROUND0: `interview_started` + `interview_ended` (30 %), `interview_ended` alone (15 %),
 *   `interview_started` alone (5 %);
 * - micro1: `interview.started` + `interview_report.created` + `proctoring_score.completed` (25 %), the
 *   report alone (15 %), `interview.started` alone (10 %).
 *
 * Enrichment: the vendor API fakes of the load's pipeline are seeded with every interview's API view
 * ({@link Traffic.vendorApi}), and each webhook carries less than that view, as the vendors' may: a ROUND0
 * `interview_ended` lists its first answer only (the API lists all), a micro1 report has no transcript (the
 * API has it). So every end is looked up, found, and its note must hold the API's parts (the audit checks
 * each note's summary, `notes.ts`). The API views differ in size from one interview to the next (2 to 6
 * answers, 1 to 5 transcript turns), so a note made from a neighbouring interview's view has another summary.
 *
 * No media: the events and the API views carry no media URL (ROUND0 answers without `audio_url`, micro1
 * reports without `report_url` or recording), so nothing is archived. The media fake makes its files with
 * ffmpeg, and thousands of archives would measure ffmpeg and s3rver rather than the pipeline; the archive
 * has its own benchmark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VendorName } from '../../functions/vendors/envelope.js';
import { micro1ReportFromWebhook } from '../fakes/micro1-api.js';
import { round0InterviewFromWebhook } from '../fakes/round0-api.js';
import type { VendorApiSeed } from '../runtime.js';
import { fixturesDir } from '../send.js';

/** What an event is within its interview. */
export type EventRole = 'started' | 'ended' | 'report' | 'proctoring';

export interface LoadEvent {
  readonly vendor: VendorName;
  readonly role: EventRole;
  /** The dedupe key the ingest gives it (and answers with). */
  readonly dedupeKey: string;
  /** The ledger item the worker records it on: `INTERVIEW#<vendor>#<ledgerKey>`. */
  readonly ledgerKey: string;
  /** Index of its interview in {@link Traffic.interviews}. */
  readonly interview: number;
  /** Sent byte for byte (ROUND0: signed at send time). */
  readonly body: string;
}

export interface LoadInterview {
  readonly vendor: VendorName;
  /** ROUND0: the interview id. micro1: the report id, interview id and candidate id. */
  readonly ids: { readonly interviewId: string; readonly reportId?: string; readonly candidateId?: string };
  /**
   * The ATS record its writes name (the log adapter's match): found by the candidate's e-mail (its keyed
   * pseudonym), or by the ATS application id a micro1 report carries.
   */
  readonly candidate: { readonly email: string; readonly applicationId?: string };
  /** Indexes of its events in {@link Traffic.events}. */
  readonly events: readonly number[];
}

/** One request of the run: an event, or a re-delivery of one (the same bytes; ROUND0 signed anew). */
export interface Delivery {
  readonly event: number;
  readonly redelivery: boolean;
}

export interface Traffic {
  readonly interviews: readonly LoadInterview[];
  readonly events: readonly LoadEvent[];
  /** In sending order. */
  readonly deliveries: readonly Delivery[];
  /**
   * What the vendors' APIs know: the views of the interviews with an end (ROUND0 `interview_ended`, micro1
   * report). The load seeds its pipeline's API fakes with it.
   */
  readonly vendorApi: VendorApiSeed;
  readonly seed: number;
}

/** An ATS write some accepted event of an interview implies: `<vendor>:<ledger key>:<write key>`. */
export interface ExpectedWrite {
  readonly vendor: VendorName;
  readonly ledgerKey: string;
  readonly writeKey: string;
  /** The interview (index in {@link Traffic.interviews}) whose ATS record the write must name. */
  readonly interview: number;
  /**
   * For an order-dependent write: the dedupe key of the event whose ledger record says whether it is due
   * (`advanced`: that event moved the status up, so its status write is owed).
   */
  readonly witness?: string;
}

export interface InterviewExpectation {
  /** Written exactly once whatever the order of processing. */
  readonly required: readonly ExpectedWrite[];
  /**
   * Written once or never, depending on the order the worker processed the events in: the in-progress
   * status of an interview whose end was accepted too is written only when the start was processed first
   * (a start after the end is "behind" and writes nothing). The audit takes the start event's own record
   * (`advanced`) as the order's witness, not the record of the write, which the code under test writes with
   * it.
   */
  readonly orderDependent: readonly ExpectedWrite[];
}

/** The key of an ATS write in the log adapter's `ats-writes.jsonl` (`eventKey`, see functions/sync/apply.ts). */
export const atsKeyOf = (write: ExpectedWrite): string =>
  `${write.vendor}:${write.ledgerKey}:${write.writeKey}`;

type Json = Record<string, unknown>;

const scenarios = [
  { vendor: 'round0', roles: ['started', 'ended'], weight: 30 },
  { vendor: 'round0', roles: ['ended'], weight: 15 },
  { vendor: 'round0', roles: ['started'], weight: 5 },
  { vendor: 'micro1', roles: ['started', 'report', 'proctoring'], weight: 25 },
  { vendor: 'micro1', roles: ['report'], weight: 15 },
  { vendor: 'micro1', roles: ['started'], weight: 10 },
] as const satisfies ReadonlyArray<{ vendor: VendorName; roles: readonly EventRole[]; weight: number }>;

/** The scenario at `point` of the weights laid end to end (`point` below their sum). */
const drawScenario = (point: number) => {
  let end = 0;
  for (const scenario of scenarios) {
    end += scenario.weight;
    if (point < end) return scenario;
  }
  return scenarios[0];
};

/** mulberry32: a small seeded generator, so a run's traffic can be made again (`--seed`). */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Ids drawn from a seeded generator: the same seed makes the same ids, so a failing run can be made again. */
interface SeededIds {
  uuid(): string;
  hex(bytes: number): string;
  /** A micro1-style report id (10 letters and digits, like the sample's `h0gqkAcaDJ`). */
  reportId(): string;
}

const seededIds = (random: () => number): SeededIds => {
  const bytes = (count: number) =>
    Buffer.from(Array.from({ length: count }, () => Math.floor(random() * 256)));
  const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return {
    uuid: () => {
      const b = bytes(16);
      // RFC 9562 version 4 and variant bits, as randomUUID sets them.
      b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
      b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    hex: (count) => bytes(count).toString('hex'),
    reportId: () =>
      Array.from({ length: 10 }, () => alphanumeric[Math.floor(random() * alphanumeric.length)]).join(''),
  };
};

const readSample = (vendor: VendorName, name: string): Json =>
  JSON.parse(readFileSync(join(fixturesDir, vendor, `${name}.json`), 'utf8')) as Json;

const samples = {
  round0Started: readSample('round0', 'interview_started'),
  round0Ended: readSample('round0', 'interview_ended'),
  micro1Started: readSample('micro1', 'interview.started'),
  micro1Report: readSample('micro1', 'interview_report.created'),
  micro1Proctoring: readSample('micro1', 'proctoring_score.completed'),
};

const clone = (sample: Json): Json => structuredClone(sample);
const dataOf = (event: Json): Json => event.data as Json;

interface Candidate {
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

/** The API views made while building a traffic. */
interface ApiViews {
  readonly round0Interviews: Record<string, Json>;
  readonly micro1Reports: Json[];
}

/**
 * How much more than the sample an interview's API view holds (0 to 4 answers or transcript turns), by its
 * number: consecutive interviews differ, so their notes' summaries (counts only) differ too.
 */
const extraPartsOf = (interviewNumber: number): number => interviewNumber % 5;

const round0Events = (
  roles: ReadonlyArray<'started' | 'ended'>,
  candidate: Candidate,
  apiViews: ApiViews,
  extraParts: number,
  ids: SeededIds,
) => {
  const interviewId = ids.uuid();
  const bodyOf = (role: EventRole): Json => {
    const event = clone(role === 'started' ? samples.round0Started : samples.round0Ended);
    event.id = `evt_${ids.hex(16)}`;
    const data = dataOf(event);
    data.interview = { ...(data.interview as Json), id: interviewId };
    data.candidate = { ...(data.candidate as Json), ...candidate };
    if (Array.isArray(data.responses)) {
      // No media: an answer without `audio_url` is not archived.
      data.responses = (data.responses as Json[]).map(({ audio_url: _audio, ...answer }) => ({
        ...answer,
        question_id: ids.uuid(),
      }));
    }
    return event;
  };
  /**
   * The end's API view lists every answer (without audio: no media), its webhook the first one only: the
   * vendor's guide says the webhook's list may be partial, and the note must show the API's.
   */
  const partial = (ended: Json): Json => {
    const { body } = round0InterviewFromWebhook(ended, { audioBaseUrl: 'http://unused.invalid' });
    const answers = (body.responses as Json[]).map(({ audio_url: _audio, ...answer }) => answer);
    const last = answers.at(-1) as Json;
    const extra = Array.from({ length: extraParts }, (_, index) => ({
      ...last,
      question_id: ids.uuid(),
      question_text: `Follow-up question ${index + 1}`,
    }));
    apiViews.round0Interviews[interviewId] = { ...body, responses: [...answers, ...extra] };
    const data = dataOf(ended);
    return { ...ended, data: { ...data, responses: (data.responses as Json[]).slice(0, 1) } };
  };
  return {
    ids: { interviewId },
    events: roles.map((role) => {
      const body = role === 'ended' ? partial(bodyOf(role)) : bodyOf(role);
      return { role, dedupeKey: `round0:${body.id}`, ledgerKey: interviewId, body };
    }),
  };
};

const micro1Events = (
  roles: ReadonlyArray<'started' | 'report' | 'proctoring'>,
  candidate: Candidate,
  applicationId: string,
  apiViews: ApiViews,
  extraParts: number,
  ids: SeededIds,
) => {
  const interviewId = ids.uuid();
  const reportId = ids.reportId();
  const sessionKey = `session:${interviewId}:${candidate.id}`;
  const reportKey = `report:${reportId}`;
  const started = () => {
    const event = clone(samples.micro1Started);
    Object.assign(dataOf(event), {
      candidate_id: candidate.id,
      candidate_name: candidate.name,
      candidate_email_id: candidate.email,
      interview_id: interviewId,
      date_started: '2024-01-01 10:00:00',
    });
    return {
      role: 'started' as const,
      dedupeKey: `micro1:interview.started:${interviewId}:${candidate.id}`,
      ledgerKey: sessionKey,
      body: event,
    };
  };
  const report = () => {
    const event = clone(samples.micro1Report);
    const {
      report_url: _report,
      interview_recording_url: _recording,
      ...data
    } = dataOf(event) as Json & { report_url?: unknown; interview_recording_url?: unknown };
    const full: Json = {
      ...data,
      report_id: reportId,
      interview_id: interviewId,
      session_id: interviewId,
      candidate_id: candidate.id,
      candidate_name: candidate.name,
      candidate_email_id: candidate.email,
      ats_job_application_id: applicationId,
      report_date: '2024-01-01',
      date_created: '2024-01-01 11:00:00',
      date_modified: '2024-01-01 11:00:00',
      interview_transcript: [
        ...((data.interview_transcript as Json[] | undefined) ?? []),
        ...Array.from({ length: extraParts }, (_, index) => ({
          timestamp: 200 + index * 60,
          role: index % 2 === 0 ? 'candidate' : 'interviewer',
          content: `Turn ${index + 2} of the conversation.`,
        })),
      ],
    };
    // The API's report has the transcript (and the player URL the fake adds), the webhook lacks it: the
    // worker reads the report from the API for the missing part (no media either way).
    apiViews.micro1Reports.push(micro1ReportFromWebhook({ ...event, data: full }));
    const { interview_transcript: _transcript, ...withoutTranscript } = full;
    event.data = withoutTranscript;
    return {
      role: 'report' as const,
      dedupeKey: `micro1:interview_report.created:${reportId}`,
      ledgerKey: reportKey,
      body: event,
    };
  };
  const proctoring = () => {
    const event = clone(samples.micro1Proctoring);
    // The report's own score: whichever comes first, the note shows it and no follow-up is due.
    const score = dataOf(samples.micro1Report).proctoring_score;
    Object.assign(dataOf(event), {
      report_id: reportId,
      candidate_id: candidate.id,
      proctoring_score: score,
    });
    return {
      role: 'proctoring' as const,
      dedupeKey: `micro1:proctoring_score.completed:${reportId}`,
      ledgerKey: reportKey,
      body: event,
    };
  };
  const make = { started, report, proctoring };
  return {
    ids: { interviewId, reportId, candidateId: candidate.id },
    events: roles.map((role) => make[role]()),
  };
};

export interface TrafficOptions {
  /** Requests in all, re-deliveries included. */
  readonly requests: number;
  /** Share of the requests that re-deliver an event already in the traffic. @default 0.1 */
  readonly redeliveryShare?: number;
  /** @default a random seed */
  readonly seed?: number;
  /** Distinguishes the candidates' e-mails of one run from another's. @default drawn from the seed */
  readonly runId?: string;
}

/**
 * Builds the traffic: interviews of the scenarios above (by weight) until the distinct events number
 * `requests` minus the re-deliveries, then re-deliveries of events picked at random, all shuffled.
 */
export const buildTraffic = (options: TrafficOptions): Traffic => {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  // Ids from a stream of their own: the scenarios and the order are drawn as before any id was.
  const ids = seededIds(seededRandom(seed ^ 0x5eed1d5));
  const runId = options.runId ?? ids.hex(3);
  const redeliveries = Math.round(options.requests * (options.redeliveryShare ?? 0.1));
  const distinct = options.requests - redeliveries;
  if (distinct < 1) throw new RangeError('the traffic needs at least one distinct event');
  const totalWeight = scenarios.reduce((sum, scenario) => sum + scenario.weight, 0);

  const interviews: LoadInterview[] = [];
  const events: LoadEvent[] = [];
  const apiViews: ApiViews = { round0Interviews: {}, micro1Reports: [] };
  while (events.length < distinct) {
    const drawn = drawScenario(random() * totalWeight);
    // The last interview is cut to the events left (its first roles).
    const left = distinct - events.length;
    const n = interviews.length + 1;
    const candidate: Candidate = {
      id: ids.uuid(),
      name: `Load Candidate ${n}`,
      email: `load-${runId}-${n}@example.com`,
    };
    const applicationId = `LOAD-${runId}-${n}`;
    const made =
      drawn.vendor === 'round0'
        ? round0Events(drawn.roles.slice(0, left), candidate, apiViews, extraPartsOf(n), ids)
        : micro1Events(drawn.roles.slice(0, left), candidate, applicationId, apiViews, extraPartsOf(n), ids);
    const interview = interviews.length;
    const indexes = made.events.map((event) => {
      events.push({
        vendor: drawn.vendor,
        role: event.role,
        dedupeKey: event.dedupeKey,
        ledgerKey: event.ledgerKey,
        interview,
        body: JSON.stringify(event.body),
      });
      return events.length - 1;
    });
    interviews.push({
      vendor: drawn.vendor,
      ids: made.ids,
      candidate: { email: candidate.email, ...(drawn.vendor === 'micro1' ? { applicationId } : {}) },
      events: indexes,
    });
  }

  const deliveries: Delivery[] = [
    ...events.map((_, event) => ({ event, redelivery: false })),
    ...Array.from({ length: redeliveries }, () => ({
      event: Math.floor(random() * events.length),
      redelivery: true,
    })),
  ];
  // Fisher–Yates: a re-delivery may well go out before the first delivery of its event.
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j] as Delivery, deliveries[i] as Delivery];
  }
  return { interviews, events, deliveries, vendorApi: apiViews, seed };
};

/**
 * The ATS writes an interview's accepted events imply (functions/sync/plan.ts with the log adapter: no
 * stage move, score field or notification configured; links only for report or recording URLs, which the
 * load's events do not carry):
 * - an end (ROUND0 `interview_ended`, micro1 report): `status:completed` and `note` on its item;
 * - a start: `status:in_progress` on its item (micro1: the session's), order-dependent when the end was
 *   accepted too;
 * - a micro1 proctoring score equal to the report's: nothing (it is part of the note, whichever comes first).
 */
export const expectedWritesOf = (
  interview: LoadInterview,
  events: readonly LoadEvent[],
  accepted: (event: number) => boolean,
): InterviewExpectation => {
  const acceptedEvents = interview.events.filter(accepted).map((index) => events[index] as LoadEvent);
  const end = acceptedEvents.find((event) => event.role === 'ended' || event.role === 'report');
  const start = acceptedEvents.find((event) => event.role === 'started');
  const write = (event: LoadEvent, writeKey: string): ExpectedWrite => ({
    vendor: event.vendor,
    ledgerKey: event.ledgerKey,
    writeKey,
    interview: event.interview,
  });
  const required: ExpectedWrite[] = [];
  const orderDependent: ExpectedWrite[] = [];
  if (end !== undefined) required.push(write(end, 'status:completed'), write(end, 'note'));
  if (start !== undefined && end === undefined) required.push(write(start, 'status:in_progress'));
  if (start !== undefined && end !== undefined)
    orderDependent.push({ ...write(start, 'status:in_progress'), witness: start.dedupeKey });
  return { required, orderDependent };
};
