/**
 * What the local console shows, read from the pipeline's own stores each time: the ledger table
 * (interviews with their events and effects, parked events, archive manifests and batches), a peek at the
 * two dead-letter queues, and the worker tap (type and time of this process's deliveries). Nothing is
 * copied or cached beyond the last DLQ peek and the interview of each parked entry (a parked item never
 * changes), so the page shows what `npm run ops` would find. Only the most recently updated interviews are
 * read (`maxInterviews`), and parked entries without their envelopes: the console shares its event loop
 * with the pipeline, and `.data/` only grows.
 *
 * Only ids, statuses and reasons leave here: no payloads, no field values (the ledger's fields and the
 * parked envelopes may hold candidate data; the console is local, but it has no need for them).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { ArchiveManifest, type ManifestEntry } from '../../functions/archive/manifest.js';
import { InterviewLedger } from '../../functions/ledger/interview-ledger.js';
import type { EventRecord, InterviewState } from '../../functions/ledger/interview-state.js';
import { interviewKeyOf } from '../../functions/ledger/lifecycle.js';
import { type ParkedEvent, type ParkedSummary, ParkingLot } from '../../functions/ledger/parking-lot.js';
import { type VendorName, vendorNames } from '../../functions/vendors/envelope.js';
import { isRecordingEntry } from '../ops-media.js';
import type { TappedEvent, WorkerTap } from './worker-tap.js';

/** How an archived object is shown. */
export type MediaKind = 'audio' | 'hls' | 'document' | 'part';

export interface ConsoleMediaObject {
  readonly key: string;
  readonly kind: MediaKind;
  readonly contentType: string;
  readonly size: number;
  readonly archivedAt: string;
}

export interface ConsoleEffect {
  /** The effect's key: what was written (`note`, `status:completed`, `proctoring:85`). */
  readonly name: string;
  readonly state: string;
  readonly outcome?: string;
  readonly attempts: number;
  readonly parts?: readonly string[];
}

/** One event's record on its interview's ledger item. */
export interface ConsoleLedgerEvent {
  readonly dedupeKey: string;
  readonly outcome: string;
  readonly advanced: boolean;
}

export interface ConsoleInterview {
  /** `<vendor>:<interview key>`: the page's key for the interview. */
  readonly id: string;
  readonly vendor: string;
  readonly interviewKey: string;
  readonly status?: string;
  readonly updatedAt?: string;
  readonly closedBy?: string;
  /** ATS ids only. */
  readonly atsMatch?: { readonly candidateId: string; readonly applicationId?: string };
  readonly effects: readonly ConsoleEffect[];
  readonly events: readonly ConsoleLedgerEvent[];
  /** Present when something was archived or is being archived for it. */
  readonly archive?: {
    readonly batchesComplete: number;
    readonly batchesPending: number;
    readonly objects: readonly ConsoleMediaObject[];
  };
}

/** What a test delivery's row says under its outcome. */
const testDeliveryDetail = "test delivery from the vendor's dashboard: acknowledged, nothing synced";

/** One row of the recent events: the ledger's record joined with the tap's and the parking lot's. */
export interface ConsoleEvent {
  readonly dedupeKey: string;
  readonly vendor: string;
  /** Unknown for an event only the ledger knows whose key does not name its type (ROUND0's `round0:<id>`). */
  readonly type?: string;
  /** The console id of its interview, when known. */
  readonly interview?: string;
  /** When the worker last had it in this process, else when it was parked. */
  readonly time?: string;
  readonly outcome: string;
  /** The parking reason, when parked; what a test delivery did. */
  readonly detail?: string;
  /** Deliveries to the worker in this process. */
  readonly deliveries?: number;
}

export interface ConsoleParkedEvent {
  readonly kind: string;
  readonly parkedAt: string;
  readonly vendor: string;
  readonly type: string;
  readonly dedupeKey: string;
  readonly reason: string;
  /** The console id of its interview, when its envelope names one. */
  readonly interview?: string;
}

export interface ConsoleDeadLetter {
  readonly messageId: string;
  readonly failedAt?: string;
  readonly errorName?: string;
  /** The `failureReason` attribute the worker or the archive attached (none after a plain SQS redrive). */
  readonly reason?: string;
  readonly vendor?: string;
  readonly type?: string;
  readonly dedupeKey?: string;
  readonly interview?: string;
  /** Archive tasks: the asset that could not be archived. */
  readonly asset?: string;
}

export interface ConsoleDeadLetterQueue {
  /** Messages in the queue (visible, as SQS counts them). */
  readonly total: number;
  /** Up to 10 of them: one receive, which is all a peek that takes nothing can see. */
  readonly shown: readonly ConsoleDeadLetter[];
}

export interface ConsoleSnapshot {
  readonly events: readonly ConsoleEvent[];
  /** The most recently updated ones, at most `maxInterviews`. */
  readonly interviews: readonly ConsoleInterview[];
  /** How many interviews there are in all (more than shown when over `maxInterviews`). */
  readonly interviewsTotal: number;
  readonly parked: readonly ConsoleParkedEvent[];
  readonly deadLetters: { readonly events: ConsoleDeadLetterQueue; readonly archive: ConsoleDeadLetterQueue };
}

export interface ConsoleDataOptions {
  readonly dynamodb: DynamoDBClient;
  /** The ledger table (interviews, parked events and archive manifests share it). */
  readonly tableName: string;
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrls: { readonly events: string; readonly archive: string };
  /** Type and time of the worker's deliveries in this process. @default none */
  readonly tap?: WorkerTap;
  /** Rows in the recent events. @default 200 */
  readonly maxEvents?: number;
  /**
   * Interviews shown, the most recently updated first: each costs two reads every refresh, on the event loop
   * the emulators, the ingest and the worker share. @default 100
   */
  readonly maxInterviews?: number;
  /**
   * A DLQ is peeked again when its message count changed, or after this long. Each peek is a receive, and
   * even with a zero visibility timeout it counts as one: peeking every second would inflate the messages'
   * `ApproximateReceiveCount` for nothing.
   * @default 15000
   */
  readonly deadLetterPeekMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

const isVendor = (value: string): value is VendorName => (vendorNames as readonly string[]).includes(value);

/** `<PREFIX>#<vendor>#<interview key>` → vendor and key (the key may itself hold `#`). */
const partitionOf = (
  pk: string,
  prefix: string,
): { vendor: VendorName; interviewKey: string } | undefined => {
  if (!pk.startsWith(`${prefix}#`)) return undefined;
  const rest = pk.slice(prefix.length + 1);
  const at = rest.indexOf('#');
  const vendor = rest.slice(0, Math.max(at, 0));
  if (at <= 0 || !isVendor(vendor)) return undefined;
  return { vendor, interviewKey: rest.slice(at + 1) };
};

const consoleId = (vendor: string, interviewKey: string) => `${vendor}:${interviewKey}`;

/**
 * The type a dedupe key names: micro1's and the archive's keys are `<vendor>:<type>:<ids>`; ROUND0's is
 * `round0:<event id>`, which names none.
 */
export const typeFromDedupeKey = (dedupeKey: string): string | undefined => {
  const parts = dedupeKey.split(':');
  return parts.length >= 3 && parts[0] !== 'round0' ? parts[1] : undefined;
};

/** How an object of the archive is shown: a player for MP3s and HLS recordings, a link for a PDF. */
export const mediaKindOf = (entry: Pick<ManifestEntry, 'key' | 'contentType'>): MediaKind => {
  // What a recording's entry plays: its variants' and renditions' (`v<n>/`, `r<n>/`) playlists, segments,
  // init sections and keys — a separate audio rendition's segments too, never a player each.
  if (/^interviews\/[^/]+\/[^/]+\/[vr]\d+\/[^/]+$/.test(entry.key)) return 'part';
  // A recording's entry playlist (`<camera>/index.m3u8`), stored once the recording is archived whole: a
  // master names the video and any separate audio, which a variant's playlist alone would play silent.
  if (isRecordingEntry(entry.key)) return 'hls';
  if (entry.contentType.startsWith('audio/')) return 'audio';
  if (entry.contentType === 'application/pdf') return 'document';
  return 'part';
};

/** An event record's state in words; `nowMs` decides whether a claim is still held. */
export const ledgerOutcome = (record: EventRecord, nowMs: number): string => {
  if (record.parked) return 'parked';
  if (record.done) return 'done';
  if (record.owner !== undefined) {
    return (record.leaseUntil ?? 0) > nowMs ? 'processing' : 'claim expired (retried on redelivery)';
  }
  return 'recorded';
};

/** The outcome the console shows for a test delivery the worker acknowledged. */
export const testDeliveryOutcome = 'test';

const tapOutcome = (event: TappedEvent): string =>
  event.result === 'running'
    ? 'processing'
    : event.result === 'failed'
      ? 'failed (SQS delivers it again)'
      : event.test
        ? testDeliveryOutcome
        : 'processed (no ledger record)';

const stringAttribute = (message: Message, name: string): string | undefined =>
  message.MessageAttributes?.[name]?.StringValue;

/** The ids of a dead letter's body: a queue message (events DLQ) or an archive task (archive DLQ). */
const deadLetterOf = (message: Message): ConsoleDeadLetter => {
  const base: ConsoleDeadLetter = {
    messageId: message.MessageId ?? '',
    ...optional('failedAt', stringAttribute(message, 'failedAt')),
    ...optional('errorName', stringAttribute(message, 'failureErrorName')),
    ...optional('reason', stringAttribute(message, 'failureReason')),
  };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(message.Body ?? '') as Record<string, unknown>;
  } catch {
    return base;
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  if (body.kind === 'event' || body.kind === 'claim-check') {
    const event = (body.kind === 'event' ? body.event : body) as Record<string, unknown> | undefined;
    return {
      ...base,
      ...optional('vendor', text(event?.vendor)),
      ...optional('type', text(event?.type)),
      ...optional('dedupeKey', text(event?.dedupeKey)),
    };
  }
  const vendor = text(body.vendor);
  const interviewKey = text(body.interviewKey);
  const asset = (body.asset ?? {}) as Record<string, unknown>;
  return {
    ...base,
    ...optional('vendor', vendor),
    ...(vendor !== undefined && interviewKey !== undefined
      ? { interview: consoleId(vendor, interviewKey), type: 'archive task' }
      : {}),
    ...optional('asset', text(asset.name)),
  };
};

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** An interview found by the scan: its key, its archive batches' progress and its latest time seen. */
interface ScannedPartition {
  readonly vendor: VendorName;
  readonly interviewKey: string;
  readonly id: string;
  state: boolean;
  complete: number;
  pending: number;
  /** The latest `updatedAt` (ledger) or `archivedAt` (archive manifest) of its items, ISO 8601. */
  latest: string;
}

/** The console's reader: one instance per console, holding the clients and the last DLQ peek. */
export class ConsoleData {
  readonly #options: ConsoleDataOptions;
  readonly #documents: DynamoDBDocumentClient;
  readonly #ledger: InterviewLedger;
  readonly #parking: ParkingLot;
  readonly #manifest: ArchiveManifest;
  readonly #now: () => number;
  readonly #peeks = new Map<string, { total: number; at: number; queue: ConsoleDeadLetterQueue }>();
  /**
   * The interview of each parked entry (`null`: none), by its item's key. A parked item is never changed,
   * so its envelope (up to ~350 KiB) is read once, not on every refresh.
   */
  readonly #parkedInterviews = new Map<string, string | null>();

  constructor(options: ConsoleDataOptions) {
    this.#options = options;
    const table = { client: options.dynamodb, tableName: options.tableName };
    this.#documents = DynamoDBDocumentClient.from(options.dynamodb);
    this.#ledger = new InterviewLedger(table);
    this.#parking = new ParkingLot(table);
    this.#manifest = new ArchiveManifest(table);
    this.#now = options.now ?? Date.now;
  }

  /** The manifest the console's media routes check keys against. */
  get manifest(): ArchiveManifest {
    return this.#manifest;
  }

  async read(): Promise<ConsoleSnapshot> {
    const [keys, parked, events, archive] = await Promise.all([
      this.#scanKeys(),
      this.#parked(),
      this.#peek(this.#options.deadLetterQueueUrls.events),
      this.#peek(this.#options.deadLetterQueueUrls.archive),
    ]);
    // The newest first, by what the scan saw (the ledger's `updatedAt`, the archive's `archivedAt`): only
    // those shown are read.
    const newest = [...keys.values()]
      .sort((a, b) => b.latest.localeCompare(a.latest) || a.id.localeCompare(b.id))
      .slice(0, this.#options.maxInterviews ?? 100);
    const interviews = await Promise.all(newest.map((partition) => this.#interview(partition)));
    interviews.sort((a, b) => latest(b).localeCompare(latest(a)) || a.id.localeCompare(b.id));
    return {
      events: this.#events(interviews, parked),
      interviews,
      interviewsTotal: keys.size,
      parked: parked
        .map((p) => ({
          kind: p.kind,
          parkedAt: p.parkedAt,
          vendor: p.vendor,
          type: p.eventType,
          dedupeKey: p.dedupeKey,
          reason: p.reason,
          ...optional('interview', p.interview),
        }))
        .sort((a, b) => b.parkedAt.localeCompare(a.parkedAt)),
      deadLetters: { events, archive },
    };
  }

  /** The parked entries, each with its interview (its envelope read once, see {@link #parkedInterviews}). */
  async #parked(): Promise<Array<ParkedSummary & { readonly interview?: string }>> {
    const summaries = (
      await Promise.all([this.#parking.listSummaries('unmatched'), this.#parking.listSummaries('failed')])
    ).flat();
    const keyOf = (entry: ParkedSummary) => `${entry.kind}#${entry.parkedAt}#${entry.dedupeKey}`;
    const present = new Set(summaries.map(keyOf));
    for (const key of this.#parkedInterviews.keys())
      if (!present.has(key)) this.#parkedInterviews.delete(key);
    const parked: Array<ParkedSummary & { readonly interview?: string }> = [];
    for (const summary of summaries) {
      const key = keyOf(summary);
      let interview = this.#parkedInterviews.get(key);
      if (interview === undefined) {
        const entry = await this.#parking.get(summary);
        if (entry === undefined) continue; // replayed meanwhile
        interview = parkedInterview(entry) ?? null;
        this.#parkedInterviews.set(key, interview);
      }
      parked.push(interview === null ? summary : { ...summary, interview });
    }
    return parked;
  }

  /**
   * Every interview that has a ledger item or an archive partition, with its archive batches' progress.
   * One Scan of keys (and batch completion): the table is local and small, and the ledger has no index of
   * its interviews (on AWS nothing lists them; they are read by key).
   */
  async #scanKeys() {
    const found = new Map<string, ScannedPartition>();
    const entry = (partition: { vendor: VendorName; interviewKey: string }) => {
      const id = consoleId(partition.vendor, partition.interviewKey);
      const existing = found.get(id) ?? {
        ...partition,
        id,
        state: false,
        complete: 0,
        pending: 0,
        latest: '',
      };
      found.set(id, existing);
      return existing;
    };
    const pages = paginateScan(
      { client: this.#documents },
      {
        TableName: this.#options.tableName,
        ProjectionExpression: '#pk, #sk, #completedAt, #updatedAt, #archivedAt',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#sk': 'sk',
          '#completedAt': 'completedAt',
          '#updatedAt': 'updatedAt',
          '#archivedAt': 'archivedAt',
        },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const pk = String(item.pk);
        const sk = String(item.sk);
        const interview = partitionOf(pk, 'INTERVIEW');
        const partition = interview ?? partitionOf(pk, 'ARCHIVE');
        const at = [item.updatedAt, item.archivedAt].filter((value) => typeof value === 'string');
        if (partition !== undefined) {
          for (const time of at as string[]) {
            const scanned = entry(partition);
            if (time > scanned.latest) scanned.latest = time;
          }
        }
        if (interview !== undefined && sk === 'STATE') entry(interview).state = true;
        const archive = partitionOf(pk, 'ARCHIVE');
        if (archive !== undefined && sk.startsWith('BATCH#')) {
          const progress = entry(archive);
          if (item.completedAt === undefined) progress.pending += 1;
          else progress.complete += 1;
        } else if (archive !== undefined) {
          entry(archive);
        }
      }
    }
    return found;
  }

  async #interview(partition: ScannedPartition): Promise<ConsoleInterview> {
    const { vendor, interviewKey } = partition;
    const [state, objects] = await Promise.all([
      partition.state ? this.#ledger.read(vendor, interviewKey) : Promise.resolve(undefined),
      this.#manifest.list(vendor, interviewKey),
    ]);
    const hasArchive = objects.length > 0 || partition.complete + partition.pending > 0;
    return {
      id: consoleId(vendor, interviewKey),
      vendor,
      interviewKey,
      ...stateFields(state),
      effects: Object.entries(state?.effects ?? {})
        .map(([name, effect]) => ({
          name,
          state: effect.state,
          attempts: effect.attempts,
          ...optional('outcome', effect.outcome),
          ...optional('parts', effect.parts),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      events: Object.entries(state?.events ?? {})
        .map(([dedupeKey, record]) => ({
          dedupeKey,
          outcome: ledgerOutcome(record, this.#now()),
          advanced: record.advanced,
        }))
        .sort((a, b) => a.dedupeKey.localeCompare(b.dedupeKey)),
      ...(hasArchive
        ? {
            archive: {
              batchesComplete: partition.complete,
              batchesPending: partition.pending,
              objects: objects.map((object) => ({
                key: object.key,
                kind: mediaKindOf(object),
                contentType: object.contentType,
                size: object.size,
                archivedAt: object.archivedAt,
              })),
            },
          }
        : {}),
    };
  }

  /** The ledger's events of every interview, joined with the tap (type, time) and the parking lot. */
  #events(
    interviews: readonly ConsoleInterview[],
    parked: ReadonlyArray<ParkedSummary & { readonly interview?: string }>,
  ): ConsoleEvent[] {
    const tapped = new Map((this.#options.tap?.events() ?? []).map((event) => [event.dedupeKey, event]));
    const parkedByKey = new Map<string, ParkedSummary & { readonly interview?: string }>();
    // Oldest first, so the latest parking of a key wins.
    for (const entry of [...parked].sort((a, b) => a.parkedAt.localeCompare(b.parkedAt))) {
      parkedByKey.set(entry.dedupeKey, entry);
    }
    const rows = new Map<string, ConsoleEvent>();
    const row = (
      dedupeKey: string,
      vendor: string,
      interview: string | undefined,
      ledger: string | undefined,
    ): ConsoleEvent => {
      const tap = tapped.get(dedupeKey);
      const park = parkedByKey.get(dedupeKey);
      const outcome =
        park !== undefined
          ? `parked (${park.kind})`
          : (ledger ?? (tap === undefined ? 'recorded' : tapOutcome(tap)));
      return {
        dedupeKey,
        vendor,
        ...optional('type', tap?.type ?? park?.eventType ?? typeFromDedupeKey(dedupeKey)),
        ...optional('interview', interview),
        ...optional('time', tap?.lastDeliveryAt ?? park?.parkedAt),
        outcome,
        ...optional('detail', park?.reason ?? (tap?.test ? testDeliveryDetail : undefined)),
        ...optional('deliveries', tap?.deliveries),
      };
    };
    for (const interview of interviews) {
      for (const event of interview.events) {
        rows.set(event.dedupeKey, row(event.dedupeKey, interview.vendor, interview.id, event.outcome));
      }
    }
    for (const tap of tapped.values()) {
      if (rows.has(tap.dedupeKey)) continue;
      const interview = tap.interviewKey === undefined ? undefined : consoleId(tap.vendor, tap.interviewKey);
      rows.set(tap.dedupeKey, row(tap.dedupeKey, tap.vendor, interview, undefined));
    }
    for (const park of parkedByKey.values()) {
      if (!rows.has(park.dedupeKey))
        rows.set(park.dedupeKey, row(park.dedupeKey, park.vendor, park.interview, undefined));
    }
    return [...rows.values()]
      .sort((a, b) => (b.time ?? '').localeCompare(a.time ?? '') || a.dedupeKey.localeCompare(b.dedupeKey))
      .slice(0, this.#options.maxEvents ?? 200);
  }

  /**
   * Up to 10 messages of a DLQ without taking them: a receive with a zero visibility timeout leaves each
   * visible to anyone else at once (nothing polls a DLQ here; an operator's redrive or a test's drain still
   * finds them). local-aws-sqs returns a message several times in such a receive: deduplicated by id.
   */
  async #peek(queueUrl: string): Promise<ConsoleDeadLetterQueue> {
    const { Attributes = {} } = await this.#options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const total = Number(Attributes.ApproximateNumberOfMessages ?? 0);
    const last = this.#peeks.get(queueUrl);
    const now = this.#now();
    if (
      last !== undefined &&
      last.total === total &&
      now - last.at < (this.#options.deadLetterPeekMs ?? 15_000)
    ) {
      return last.queue;
    }
    let shown: ConsoleDeadLetter[] = [];
    if (total > 0) {
      const { Messages = [] } = await this.#options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      const unique = new Map(Messages.map((message) => [message.MessageId, message]));
      shown = [...unique.values()]
        .map(deadLetterOf)
        .sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''));
    }
    const queue = { total, shown };
    this.#peeks.set(queueUrl, { total, at: now, queue });
    return queue;
  }
}

/** The console id of a parked event's interview, from its envelope (the archive's tasks name theirs). */
const parkedInterview = (parked: ParkedEvent): string | undefined => {
  try {
    return consoleId(parked.vendor, interviewKeyOf(parked.event));
  } catch {
    return undefined;
  }
};

const stateFields = (state: InterviewState | undefined) => ({
  ...optional('status', state?.status),
  ...optional('updatedAt', state?.updatedAt),
  ...optional('closedBy', state?.closedBy),
  ...(state?.atsMatch === undefined
    ? {}
    : {
        atsMatch: {
          candidateId: state.atsMatch.candidateId,
          ...optional('applicationId', state.atsMatch.applicationId),
        },
      }),
});

/** When an interview last changed, for the order of the page: its item's write, else its last archived object. */
const latest = (interview: ConsoleInterview): string =>
  [
    interview.updatedAt ?? '',
    ...(interview.archive?.objects ?? []).map((object) => object.archivedAt),
  ].reduce((a, b) => (a > b ? a : b), '');
