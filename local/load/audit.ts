/**
 * The audit after a load run: did every accepted event reach the ledger, and did the ATS get exactly the
 * writes the events imply, each once?
 *
 * - **lost**: accepted events the ledger does not record as done (never processed, parked, or in flight),
 *   plus expected ATS writes missing from the log adapter's file, plus messages left in the DLQs.
 * - **duplicateEffects**: ATS writes beyond the expected: a second (third, …) write of one key, any write no
 *   accepted event implies, and any write of an expected key on another ATS record than its interview's
 *   (misdirected: it counts as missing too, unless the right record got it as well).
 * - **expectedEffects**: the writes the accepted events imply (`expectedWritesOf`), the order-dependent
 *   ones counted where the start event's ledger record says it advanced the status: which of those happen
 *   depends on the order the worker processed the events in, and that record is the witness of the order
 *   (not the write's own record: a worker that skipped both the write and its record would pass), except on
 *   a micro1 session item the report closed, where the write's record is. Such a write found in the ATS
 *   without its witness counts as unexpected.
 * - **statusRegressions**: interviews whose ATS record got "in progress" after "completed" (the log
 *   adapter's lines are in the order written), read from the file alone, not from the ledger: a worker that
 *   let a late start move the status back would record it as advanced and pass every count above.
 * - **notesWithoutApiData**: notes whose summary is not the one the vendor API's view of their interview
 *   makes (`notes.ts`): the pipeline wrote the webhook's data alone, or another interview's.
 * - The ATS file is read again once the pipeline stopped (`auditAfterStop`): a write an abandoned invocation
 *   makes after the drain is audited too.
 * - An event answered only 5xx or not at all may have been queued anyway; the ledger is the witness again:
 *   if it records the event done, its writes are expected too (it is never counted lost: the ingest did
 *   not promise it, and the run fails on its non-2xx answer already).
 */
import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { emailPseudonym } from '../../functions/ats/pseudonym.js';
import { InterviewLedger } from '../../functions/ledger/interview-ledger.js';
import type { InterviewState } from '../../functions/ledger/interview-state.js';
import type { VendorName } from '../../functions/vendors/envelope.js';
import { messagesIn } from './drain.js';
import { expectedNoteSummaries } from './notes.js';
import type { LoadPipeline } from './pipeline.js';
import { atsKeyOf, expectedWritesOf, type Traffic } from './traffic.js';

export interface AuditInput {
  readonly traffic: Traffic;
  /** Events answered 2xx at least once. */
  readonly acceptedEvents: ReadonlySet<number>;
  /** Events never answered 2xx but answered 5xx or not at all (maybe queued). @default none */
  readonly uncertainEvents?: ReadonlySet<number>;
  /** Every line of the log adapter's file, in order. */
  readonly atsWrites: readonly AtsWriteLine[];
  /**
   * The ids an interview's writes may name (its candidate's e-mail pseudonym, its ATS application id).
   * @default none: the record a write names is not checked
   */
  readonly targetsOf?: (interview: number) => ReadonlySet<string>;
  /** Ledger items by `<vendor>#<ledger key>` (absent: no item). */
  readonly ledger: ReadonlyMap<string, InterviewState>;
  /** Messages in the events DLQ and the archive DLQ. */
  readonly deadLetters: number;
  /**
   * The summary each note must have, by its ATS key (`expectedNoteSummaries`).
   * @default none: notes are not checked
   */
  readonly expectedNotes?: ReadonlyMap<string, string>;
}

export interface AuditResult {
  readonly lost: number;
  readonly duplicateEffects: number;
  readonly expectedEffects: number;
  /** Dedupe keys of accepted events the ledger does not record as done. */
  readonly lostEvents: readonly string[];
  /** ATS keys expected and not written. */
  readonly missingWrites: readonly string[];
  /** ATS keys written more than once (each listed once). */
  readonly repeatedWrites: readonly string[];
  /** ATS keys written that no accepted event implies. */
  readonly unexpectedWrites: readonly string[];
  /** ATS keys written on another record than their interview's (each listed once). */
  readonly misdirectedWrites: readonly string[];
  readonly deadLetters: number;
  /** Order-dependent writes the ledger recorded done (included in `expectedEffects`). */
  readonly orderDependentWritten: number;
  /** Events answered only 5xx or not at all that the ledger records done (their writes expected). */
  readonly uncertainProcessed: number;
  /** ATS keys of notes written without the vendor API's view of their interview (each listed once). */
  readonly notesWithoutApiData: readonly string[];
  /** ATS keys of "in progress" writes made after their interview's "completed" (each listed once). */
  readonly statusRegressions: readonly string[];
}

/**
 * The keys of "in progress" status writes that come after a "completed" one of the same interview, in
 * `lines` (the order they were written); `interviewOf` names each key's interview (micro1's two status
 * writes are on two items, so the keys alone do not tell).
 */
export const statusRegressionsOf = (
  lines: readonly Pick<AtsWriteLine, 'eventKey'>[],
  interviewOf: ReadonlyMap<string, number>,
): string[] => {
  const completed = new Set<number>();
  const regressions = new Set<string>();
  for (const { eventKey } of lines) {
    const interview = interviewOf.get(eventKey);
    if (interview === undefined) continue;
    if (eventKey.endsWith(':status:completed')) completed.add(interview);
    else if (eventKey.endsWith(':status:in_progress') && completed.has(interview)) regressions.add(eventKey);
  }
  return [...regressions];
};

export const ledgerId = (vendor: VendorName, ledgerKey: string) => `${vendor}#${ledgerKey}`;

/** What the audit reads of a line of the log adapter's file: the write's key and the record it named. */
export interface AtsWriteLine {
  readonly eventKey: string;
  readonly candidateId?: string;
  readonly applicationId?: string;
  /** The note's summary (`note: 3 sections, …`), on a note write. */
  readonly summary?: string;
}

/** The audit itself, on what was read (pure). */
export const auditLoad = (input: AuditInput): AuditResult => {
  const { traffic, acceptedEvents, ledger } = input;
  const done = (index: number) => {
    const event = traffic.events[index];
    return (
      event !== undefined &&
      ledger.get(ledgerId(event.vendor, event.ledgerKey))?.events[event.dedupeKey]?.done === true
    );
  };
  const uncertainProcessed = [...(input.uncertainEvents ?? [])].filter(done);
  const processed = new Set([...acceptedEvents, ...uncertainProcessed]);
  const accepted = (event: number) => processed.has(event);

  const lostEvents = [...acceptedEvents]
    .filter((index) => !done(index))
    .map((index) => traffic.events[index]?.dedupeKey ?? String(index));

  const expected = new Set<string>();
  /** The interview each expected key's write belongs to. */
  const interviewOf = new Map<string, number>();
  let orderDependentWritten = 0;
  for (const interview of traffic.interviews) {
    const { required, orderDependent } = expectedWritesOf(interview, traffic.events, accepted);
    for (const write of [...required, ...orderDependent]) interviewOf.set(atsKeyOf(write), write.interview);
    for (const write of required) expected.add(atsKeyOf(write));
    for (const write of orderDependent) {
      const item = ledger.get(ledgerId(write.vendor, write.ledgerKey));
      // The start's record: it advanced the status, and claimed its status write in the same commit. Not on
      // an item another owns (micro1: the report closed the session item): a start processed after the close
      // advances the item's status but owes nothing, and only the write's own record tells.
      const due =
        item?.closedBy === undefined
          ? write.witness !== undefined && item?.events[write.witness]?.advanced === true
          : item.effects[write.writeKey]?.state === 'done';
      if (due) {
        expected.add(atsKeyOf(write));
        orderDependentWritten++;
      }
    }
  }

  const written = new Map<string, number>();
  const misdirected = new Map<string, number>();
  const notesWithoutApiData = new Set<string>();
  for (const line of input.atsWrites) {
    const key = line.eventKey;
    const note = input.expectedNotes?.get(key);
    if (note !== undefined && line.summary !== note) notesWithoutApiData.add(key);
    const interview = interviewOf.get(key);
    const targets = interview === undefined ? undefined : input.targetsOf?.(interview);
    const onItsRecord =
      targets === undefined ||
      (line.candidateId !== undefined && targets.has(line.candidateId)) ||
      (line.applicationId !== undefined && targets.has(line.applicationId));
    const counts = onItsRecord ? written : misdirected;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const missingWrites = [...expected].filter((key) => !written.has(key));
  const repeatedWrites = [...written].filter(([, count]) => count > 1).map(([key]) => key);
  const unexpectedWrites = [...written.keys()].filter((key) => !expected.has(key));
  const duplicateEffects =
    [...written].reduce((sum, [key, count]) => sum + count - (expected.has(key) ? 1 : 0), 0) +
    [...misdirected.values()].reduce((sum, count) => sum + count, 0);

  return {
    lost: lostEvents.length + missingWrites.length + input.deadLetters,
    duplicateEffects,
    expectedEffects: expected.size,
    lostEvents,
    missingWrites,
    repeatedWrites,
    unexpectedWrites,
    misdirectedWrites: [...misdirected.keys()],
    deadLetters: input.deadLetters,
    orderDependentWritten,
    uncertainProcessed: uncertainProcessed.length,
    notesWithoutApiData: [...notesWithoutApiData],
    statusRegressions: statusRegressionsOf(input.atsWrites, interviewOf),
  };
};

/** The lines of the log adapter's file (none when it does not exist: nothing was written). */
export const readAtsWrites = async (file: string): Promise<AtsWriteLine[]> => {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { eventKey, candidateId, applicationId, summary } = JSON.parse(line) as AtsWriteLine;
      return {
        eventKey,
        ...(candidateId === undefined ? {} : { candidateId }),
        ...(applicationId === undefined ? {} : { applicationId }),
        ...(summary === undefined ? {} : { summary }),
      };
    });
};

/** Every ledger item the traffic's events are recorded on, read through the worker's own ledger code. */
export const readLedger = async (
  pipeline: Pick<LoadPipeline, 'info'>,
  traffic: Traffic,
): Promise<Map<string, InterviewState>> => {
  const { info } = pipeline;
  const client = new DynamoDBClient({
    region: info.region,
    endpoint: info.endpoints.dynamodb,
    credentials: info.credentials,
  });
  const ledger = new InterviewLedger({ client, tableName: info.ledgerTable });
  const items = new Map(
    traffic.events.map((event) => [ledgerId(event.vendor, event.ledgerKey), event] as const),
  );
  const states = new Map<string, InterviewState>();
  const pending = [...items];
  try {
    // A few reads at a time: the emulator shares the machine with the pipeline.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
          const [id, event] = next;
          const state = await ledger.read(event.vendor, event.ledgerKey);
          if (state !== undefined) states.set(id, state);
        }
      }),
    );
  } finally {
    client.destroy();
  }
  return states;
};

/** Messages in the events DLQ and the archive DLQ. */
export const countDeadLetters = async (sqs: SQSClient, pipeline: Pick<LoadPipeline, 'info'>) => {
  const urls = [pipeline.info.queueUrls?.deadLetter, pipeline.info.queueUrls?.archiveDeadLetter].filter(
    (url): url is string => url !== undefined,
  );
  const counts = await Promise.all(urls.map((url) => messagesIn(sqs, url)));
  return counts.reduce((sum, count) => sum + count, 0);
};

/**
 * The records each interview's writes may name, as the log adapter matches them: the candidate's e-mail
 * pseudonym under the pipeline's key, and the ATS application id a micro1 report carries. Without a key
 * (a secrets file before pseudonyms) the record is not checked.
 */
const targetsOfTraffic = (
  traffic: Traffic,
  pseudonymKey: string | undefined,
): { targetsOf?: (interview: number) => ReadonlySet<string> } => {
  if (pseudonymKey === undefined) return {};
  const targets = traffic.interviews.map(
    ({ candidate }) =>
      new Set(
        [emailPseudonym(candidate.email, pseudonymKey), candidate.applicationId].filter(
          (id): id is string => id !== undefined,
        ),
      ),
  );
  return { targetsOf: (interview) => targets[interview] ?? new Set() };
};

/** Reads what the audit needs of a running pipeline: the ATS file, the ledger, the DLQs, the notes' API view. */
export const readAuditInput = async (
  pipeline: Pick<LoadPipeline, 'info' | 'sqs' | 'atsWritesFile' | 'secrets'>,
  traffic: Traffic,
  sent: { readonly acceptedEvents: ReadonlySet<number>; readonly uncertainEvents?: ReadonlySet<number> },
): Promise<AuditInput> => ({
  traffic,
  acceptedEvents: sent.acceptedEvents,
  ...(sent.uncertainEvents === undefined ? {} : { uncertainEvents: sent.uncertainEvents }),
  atsWrites: await readAtsWrites(pipeline.atsWritesFile),
  ...targetsOfTraffic(traffic, pipeline.secrets.integration.pseudonymKey),
  ledger: await readLedger(pipeline, traffic),
  deadLetters: await countDeadLetters(pipeline.sqs, pipeline),
  expectedNotes: await expectedNoteSummaries(traffic),
});

/** Reads the ATS file, the ledger and the DLQs of a pipeline and audits them (the notes too). */
export const auditPipeline = async (
  pipeline: Pick<LoadPipeline, 'info' | 'sqs' | 'atsWritesFile' | 'secrets'>,
  traffic: Traffic,
  sent: { readonly acceptedEvents: ReadonlySet<number>; readonly uncertainEvents?: ReadonlySet<number> },
): Promise<AuditResult> => auditLoad(await readAuditInput(pipeline, traffic, sent));

/**
 * The audit once more on the ATS file as it stands after the pipeline stopped (the ledger and DLQs as read
 * before: the emulators stop with it). The queues drained does not mean nothing writes any more: an
 * invocation abandoned at its timeout keeps running in its process and may write later, a second time.
 * `lateWrites`: the lines written after `input` was read.
 */
export const auditAfterStop = async (
  input: AuditInput,
  atsWritesFile: string,
): Promise<{ readonly audit: AuditResult; readonly lateWrites: number }> => {
  const atsWrites = await readAtsWrites(atsWritesFile);
  return {
    audit: auditLoad({ ...input, atsWrites }),
    lateWrites: Math.max(0, atsWrites.length - input.atsWrites.length),
  };
};
