/**
 * Finds everything the system holds on one candidate, from an e-mail or a candidate id: the basis of
 * `npm run ops -- status <e-mail>` and `npm run ops -- erase`.
 *
 * Sources, each read once:
 * - the raw event store (`raw/…`, every version in a versioned bucket): each delivery (one per object, or
 *   several in a batch object) parsed again into its envelope;
 * - the claim-check objects (`claim-checks/…`): envelopes too large for SQS;
 * - the ledger table, scanned: interview items (`INTERVIEW#…`), archive manifests (`ARCHIVE#…`), parked
 *   events (`PARKED#…`, with their envelopes) and any other item.
 *
 * Then a closure, to a fixed point, over the candidate's identities:
 * - an event is the candidate's when its candidate e-mail (case-insensitive) or vendor candidate id is one
 *   of theirs, or when it is about one of their interviews (`interviewKeyOf`, and the micro1 session a
 *   report closes) — micro1's recording and proctoring events carry no e-mail, only the report id; each
 *   such event adds its interviews, its e-mail, name and vendor candidate id to the candidate's;
 * - an interview item is the candidate's when it is one of their interviews, or its ATS match is one of
 *   their ids or e-mail pseudonyms (`email-hmac:…` under the integration secret's `pseudonymKey`, what the log
 *   and generic adapters store), or the pseudonym the worker keeps on it (`candidatePseudonym`) is theirs:
 *   it adds its interview and its ATS candidate id (never `unidentified`); a micro1 session item and the
 *   report item that closed it go together;
 * - an archive manifest's batch item whose `candidate` pseudonym is theirs adds its interview: the manifest
 *   has no TTL, so the archive is found after the interview item (180 days) and the raw events (30) expired.
 * An event or item that merely mentions one of the candidate's e-mails or pseudonyms (anywhere in it) is the
 * candidate's data too, but says nothing about who else is theirs: it is selected, and not followed.
 * Names are never followed (two people share a name); they only mark items of unknown kinds.
 */
import { gunzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import {
  candidatePseudonymField,
  emailPseudonym,
  unidentifiedCandidateId,
} from '../../functions/ats/pseudonym.js';
import { findInterviewKey, sessionKeyOf } from '../../functions/ledger/lifecycle.js';
import { rawBatchesPrefix, rawEventsPrefix } from '../../functions/queue/raw-events.js';
import type { InterviewEvent, VendorName } from '../../functions/vendors/envelope.js';
import { vendorNames } from '../../functions/vendors/envelope.js';
import { Progress, type ProgressStream } from './progress.js';
import { envelopeOfRaw, listRawEvents, rawBodyJson, readRawEvents } from './raw-store.js';
import { listAll, listLevel, type ObjectRef, readText } from './s3-objects.js';

/** Root of the claim-check objects (`EventQueue`'s default, `resources.bucket.claimCheckPrefix`). */
export const claimCheckPrefix = 'claim-checks/';

export interface InterviewRef {
  readonly vendor: VendorName;
  readonly interviewKey: string;
}
export const refId = (ref: InterviewRef): string => `${ref.vendor}#${ref.interviewKey}`;

/** How a record was found to be the candidate's (printed in the erase plan). */
export type MatchReason =
  | 'e-mail'
  | 'candidate id'
  | 'interview'
  | 'ats match'
  | 'pseudonym'
  | 'mention'
  | 'name';

/** Where an event lives. */
export type EventLocation =
  | {
      readonly kind: 'raw' | 'claim-check';
      readonly key: string;
      readonly versionId?: string;
      /** A delivery's place in a batch object of the raw event store (absent: the object is the delivery). */
      readonly index?: number;
    }
  | { readonly kind: 'parked'; readonly pk: string; readonly sk: string };

/** What an event says about whom it concerns (never its content). */
export interface EventFacts {
  readonly where: EventLocation;
  readonly vendor?: string;
  readonly type?: string;
  readonly dedupeKey?: string;
  readonly interviews: readonly InterviewRef[];
  readonly email?: string;
  readonly name?: string;
  readonly vendorCandidateId?: string;
  readonly mentionedEmails: ReadonlySet<string>;
  readonly mentionedPseudonyms: ReadonlySet<string>;
  matched?: MatchReason;
}

export interface StateFacts {
  readonly pk: string;
  readonly sk: string;
  readonly ref: InterviewRef;
  readonly atsCandidateId?: string;
  /** The candidate's e-mail pseudonym the worker kept on the item. */
  readonly candidatePseudonym?: string;
  readonly closedBy?: string;
  readonly mentionedEmails: ReadonlySet<string>;
  readonly mentionedPseudonyms: ReadonlySet<string>;
  matched?: MatchReason;
}

export interface ArchiveItemFacts {
  readonly pk: string;
  readonly sk: string;
  readonly ref: InterviewRef;
  /** A batch item's `candidate` pseudonym. */
  readonly candidatePseudonym?: string;
}

/** An item of a kind this version does not know: matched by its text. */
export interface OtherItem {
  readonly pk: string;
  readonly sk: string;
  /** Its JSON, lower-cased. */
  readonly text: string;
  matched?: MatchReason;
}

export interface CandidateSources {
  readonly events: EventFacts[];
  readonly states: StateFacts[];
  readonly archiveItems: ArchiveItemFacts[];
  readonly otherItems: OtherItem[];
  /** Objects of the bucket outside `raw/`, `claim-checks/` and `interviews/`. */
  readonly otherObjects: ObjectRef[];
  /** Raw objects that are not a stored delivery (kept out of the closure, listed for the operator). */
  readonly unreadableRaw: string[];
}

export interface CandidateQuery {
  readonly emails: readonly string[];
  readonly candidateIds: readonly string[];
  /** The integration secret's `pseudonymKey`; without it no pseudonym is looked for. */
  readonly pseudonymKey?: string;
}

export interface CandidateFindings {
  readonly interviews: readonly InterviewRef[];
  /** Lower-cased, the query's included. */
  readonly emails: ReadonlySet<string>;
  readonly pseudonyms: ReadonlySet<string>;
  readonly names: ReadonlySet<string>;
  /** Vendor and ATS candidate ids, the query's included. */
  readonly candidateIds: ReadonlySet<string>;
  readonly events: readonly EventFacts[];
  readonly states: readonly StateFacts[];
  readonly archiveItems: readonly ArchiveItemFacts[];
}

/**
 * An address with its whole local part (RFC 5322's atext and dots but `/`, `=`, `?`, separators of paths and
 * queries far more often): `a&brien@…` is not `brien@…`, `?email=jane@…` is `jane@…`.
 */
const emailPattern = /[a-z0-9.!#$%&'*+^_`{|}~-]+@[a-z0-9.-]+\.[a-z]{2,}/gi;
const pseudonymPattern = /email-hmac:[0-9a-f]{16}/g;

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** Every string inside a JSON value (keys too), depth-limited. */
const stringsOf = (value: unknown, into: string[] = [], depth = 0): string[] => {
  if (depth > 64) return into;
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, into, depth + 1);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      stringsOf(item, into, depth + 1);
    }
  }
  return into;
};

/** E-mail addresses and pseudonyms anywhere in a value, lower-cased. */
const mentionsOf = (value: unknown) => {
  const emails = new Set<string>();
  const pseudonyms = new Set<string>();
  for (const text of stringsOf(value)) {
    if (text.includes('@'))
      // (an apostrophe opening a quote is not the address's: `'jane@…'`)
      for (const match of text.match(emailPattern) ?? []) emails.add(match.replace(/^'+/, '').toLowerCase());
    if (text.includes('email-hmac:'))
      for (const match of text.match(pseudonymPattern) ?? []) pseudonyms.add(match);
  }
  return { mentionedEmails: emails, mentionedPseudonyms: pseudonyms };
};

const isVendor = (value: unknown): value is VendorName =>
  typeof value === 'string' && (vendorNames as readonly string[]).includes(value);

/** The interviews an envelope is about: its key, and the micro1 session its report closes. */
export const interviewsOf = (event: InterviewEvent): InterviewRef[] => {
  const refs: InterviewRef[] = [];
  // An event without any id to key interview state by has none (the worker ignores or dead-letters it).
  const key = findInterviewKey(event);
  if (key !== undefined) refs.push({ vendor: event.vendor, interviewKey: key });
  const session = sessionKeyOf(event);
  if (session !== undefined) refs.push({ vendor: event.vendor, interviewKey: session });
  return refs;
};

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** The facts of an envelope found at `where` (its payload's mentions included). */
export const eventFacts = (where: EventLocation, event: InterviewEvent): EventFacts => {
  const email = nonEmpty(event.candidate?.email);
  const name = nonEmpty(event.candidate?.name);
  const vendorCandidateId = nonEmpty(event.candidate?.vendorId);
  return {
    where,
    vendor: event.vendor,
    type: event.type,
    dedupeKey: event.dedupeKey,
    interviews: isVendor(event.vendor) ? interviewsOf(event) : [],
    ...(email === undefined ? {} : { email: normaliseEmail(email) }),
    ...(name === undefined ? {} : { name }),
    ...(vendorCandidateId === undefined ? {} : { vendorCandidateId }),
    ...mentionsOf(event),
  };
};

/** A parked item's envelope (JSON text, or gzipped JSON bytes: `functions/ledger/parking-lot.ts`). */
const parkedEnvelope = (item: Record<string, unknown>): InterviewEvent | undefined => {
  try {
    const json =
      item.eventGzip instanceof Uint8Array ? gunzipSync(item.eventGzip).toString('utf8') : String(item.event);
    return JSON.parse(json) as InterviewEvent;
  } catch {
    return undefined;
  }
};

/** `INTERVIEW#<vendor>#<key>` / `ARCHIVE#<vendor>#<key>` → the interview. */
const refOfPk = (pk: string, prefix: string): InterviewRef | undefined => {
  const rest = pk.slice(prefix.length);
  const at = rest.indexOf('#');
  const vendor = rest.slice(0, at);
  return at > 0 && isVendor(vendor) ? { vendor, interviewKey: rest.slice(at + 1) } : undefined;
};

/** JSON of an item, binary attributes as base64 (gunzipped first when they are parked envelopes). */
const itemText = (item: Record<string, unknown>): string =>
  JSON.stringify(item, (_key, value: unknown) =>
    value instanceof Uint8Array
      ? Buffer.from(value).toString('base64')
      : value instanceof Set
        ? [...value]
        : value,
  ).toLowerCase();

export interface LoadSourcesOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly table: string;
  readonly bucket: string;
  /** Read every version of the raw and claim-check objects. */
  readonly versioned: boolean;
  readonly progress?: ProgressStream;
}

const readConcurrency = 16;

/** Runs `work` on `items`, `readConcurrency` at a time, in order (erase.ts reads with it too). */
export const inChunks = async <T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += readConcurrency) {
    results.push(...(await Promise.all(items.slice(start, start + readConcurrency).map(work))));
  }
  return results;
};

/** Reads every source once (see the module comment). */
export const loadCandidateSources = async (options: LoadSourcesOptions): Promise<CandidateSources> => {
  const { s3, bucket, versioned } = options;
  const stream = options.progress === undefined ? {} : { stream: options.progress };
  const events: EventFacts[] = [];
  const unreadableRaw: string[] = [];

  const raw = await listRawEvents(s3, bucket, { versions: versioned });
  const rawProgress = new Progress('reading raw events', raw.objects.length, stream);
  await inChunks(raw.objects, async (ref) => {
    const stored = await readRawEvents(s3, bucket, ref);
    rawProgress.tick();
    // An object that is not a delivery, or a batch with entries that are not, is searched as text too.
    if (stored === undefined || stored.unreadable > 0) unreadableRaw.push(ref.key);
    stored?.events.forEach((delivery, index) => {
      if (delivery === undefined) return;
      const where: EventLocation = {
        kind: 'raw',
        key: ref.key,
        ...(ref.versionId === undefined ? {} : { versionId: ref.versionId }),
        ...(stored.batch ? { index } : {}),
      };
      const parsed = envelopeOfRaw(delivery);
      if (parsed.ok) {
        events.push(eventFacts(where, parsed.event));
        return;
      }
      // A body the parser refuses now still names whom it is about: its mentions count.
      events.push({
        where,
        vendor: delivery.vendor,
        type: delivery.type,
        dedupeKey: delivery.dedupeKey,
        interviews: [],
        ...mentionsOf(rawBodyJson(delivery) ?? Buffer.from(delivery.bodyBase64, 'base64').toString('utf8')),
      });
    });
  });
  rawProgress.done();

  const claimChecks: ObjectRef[] = [];
  for await (const ref of listAll(s3, bucket, claimCheckPrefix, versioned)) claimChecks.push(ref);
  const claimProgress = new Progress('reading claim checks', claimChecks.length, stream);
  await inChunks(claimChecks, async (ref) => {
    const text = await readText(s3, bucket, ref);
    claimProgress.tick();
    const where: EventLocation = {
      kind: 'claim-check',
      key: ref.key,
      ...(ref.versionId === undefined ? {} : { versionId: ref.versionId }),
    };
    let event: InterviewEvent | undefined;
    try {
      // `{ kind: 'event', event, raw }` (the whole message), or a bare envelope (claim checks written before
      // the raw delivery travelled with it). The raw body's mentions are the envelope's payload's.
      const content = JSON.parse(text) as { kind?: string; event?: InterviewEvent } & InterviewEvent;
      event = content.kind === 'event' ? content.event : content;
    } catch {
      event = undefined;
    }
    if (event !== undefined && typeof event === 'object' && event !== null && isVendor(event.vendor)) {
      events.push(eventFacts(where, event));
    } else {
      events.push({ where, interviews: [], ...mentionsOf(text) });
    }
  });
  claimProgress.done();

  const states: StateFacts[] = [];
  const archiveItems: ArchiveItemFacts[] = [];
  const otherItems: OtherItem[] = [];
  const document = DynamoDBDocumentClient.from(options.dynamodb);
  const scanProgress = new Progress('scanning the ledger table', undefined, stream);
  for await (const page of paginateScan(
    { client: document },
    { TableName: options.table, ConsistentRead: true },
  )) {
    for (const item of page.Items ?? []) {
      scanProgress.tick();
      const pk = String(item.pk);
      const sk = String(item.sk);
      if (pk.startsWith('INTERVIEW#')) {
        const ref = refOfPk(pk, 'INTERVIEW#');
        if (ref !== undefined) {
          const match = item.atsMatch as { candidateId?: unknown } | undefined;
          const atsCandidateId = nonEmpty(match?.candidateId);
          const candidatePseudonym = nonEmpty(
            (item.fields as Record<string, unknown> | undefined)?.[candidatePseudonymField],
          );
          const closedBy = nonEmpty(item.closedBy);
          states.push({
            pk,
            sk,
            ref,
            ...(atsCandidateId === undefined ? {} : { atsCandidateId }),
            ...(candidatePseudonym === undefined ? {} : { candidatePseudonym }),
            ...(closedBy === undefined ? {} : { closedBy }),
            ...mentionsOf(item),
          });
          continue;
        }
      }
      if (pk.startsWith('ARCHIVE#')) {
        const ref = refOfPk(pk, 'ARCHIVE#');
        if (ref !== undefined) {
          const candidatePseudonym = nonEmpty(item.candidate);
          archiveItems.push({
            pk,
            sk,
            ref,
            ...(candidatePseudonym === undefined ? {} : { candidatePseudonym }),
          });
          continue;
        }
      }
      if (pk.startsWith('PARKED#')) {
        const envelope = parkedEnvelope(item);
        if (envelope !== undefined) {
          events.push(eventFacts({ kind: 'parked', pk, sk }, envelope));
          continue;
        }
      }
      otherItems.push({ pk, sk, text: itemText(item) });
    }
  }
  scanProgress.done();

  // Everything else in the bucket: keys only for now (read when the needles are known).
  // Listed by top-level folder, so the archive's media (`interviews/`, possibly millions of segments) is
  // never listed whole.
  const known = new Set([rawEventsPrefix, claimCheckPrefix, 'interviews/']);
  const root = await listLevel(s3, bucket, '', versioned);
  const otherObjects: ObjectRef[] = [...root.objects];
  for (const folder of root.folders.filter((f) => !known.has(f))) {
    for await (const ref of listAll(s3, bucket, folder, versioned)) otherObjects.push(ref);
  }
  // Under raw/, what the raw event store does not list (`listRawEvents`: the current vendors' folders and the
  // batches): a removed vendor's deliveries, anything put there by hand. Searched like any other object,
  // rather than left unsaid.
  const rawKnown = new Set([
    ...vendorNames.map((vendor) => `${rawEventsPrefix}${vendor}/`),
    rawBatchesPrefix,
  ]);
  const rawLevel = await listLevel(s3, bucket, rawEventsPrefix, versioned);
  otherObjects.push(...rawLevel.objects);
  for (const folder of rawLevel.folders) {
    if (rawKnown.has(folder)) {
      // The store lists only the day folders below: an object beside them was put there by hand.
      otherObjects.push(...(await listLevel(s3, bucket, folder, versioned)).objects);
      continue;
    }
    for await (const ref of listAll(s3, bucket, folder, versioned)) otherObjects.push(ref);
  }
  return { events, states, archiveItems, otherItems, otherObjects, unreadableRaw };
};

const intersects = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => {
  for (const value of a) if (b.has(value)) return true;
  return false;
};

/** The closure of the module comment, over sources already read. Marks `matched` on what it selects. */
export const findCandidate = (sources: CandidateSources, query: CandidateQuery): CandidateFindings => {
  const emails = new Set(query.emails.map(normaliseEmail).filter((email) => email !== ''));
  const ids = new Set(query.candidateIds.filter((id) => id !== '' && id !== unidentifiedCandidateId));
  const names = new Set<string>();
  const interviews = new Map<string, InterviewRef>();
  const pseudonyms = new Set<string>();
  for (const event of sources.events) event.matched = undefined;
  for (const state of sources.states) state.matched = undefined;

  const addInterview = (ref: InterviewRef) => {
    if (interviews.has(refId(ref))) return false;
    interviews.set(refId(ref), ref);
    return true;
  };
  const addId = (id: string | undefined) => {
    if (id === undefined || id === unidentifiedCandidateId || ids.has(id)) return false;
    ids.add(id);
    return true;
  };

  for (let round = 0, changed = true; changed && round < 20; round++) {
    changed = false;
    for (const email of emails) {
      const pseudonym = emailPseudonym(email, query.pseudonymKey);
      if (pseudonym !== undefined) pseudonyms.add(pseudonym);
    }
    for (const event of sources.events) {
      if (event.matched !== undefined && event.matched !== 'mention') continue;
      const reason: MatchReason | undefined =
        event.email !== undefined && emails.has(event.email)
          ? 'e-mail'
          : event.vendorCandidateId !== undefined && ids.has(event.vendorCandidateId)
            ? 'candidate id'
            : event.interviews.some((ref) => interviews.has(refId(ref)))
              ? 'interview'
              : undefined;
      if (reason !== undefined) {
        event.matched = reason;
        changed = true;
        for (const ref of event.interviews) addInterview(ref);
        if (event.email !== undefined) emails.add(event.email);
        if (event.name !== undefined) names.add(event.name);
        addId(event.vendorCandidateId);
      } else if (
        intersects(event.mentionedEmails, emails) ||
        intersects(event.mentionedPseudonyms, pseudonyms)
      ) {
        event.matched = 'mention';
      }
    }
    for (const state of sources.states) {
      if (state.matched !== undefined && state.matched !== 'mention') continue;
      const closer =
        state.closedBy === undefined ? undefined : { vendor: state.ref.vendor, interviewKey: state.closedBy };
      const reason: MatchReason | undefined =
        interviews.has(refId(state.ref)) || (closer !== undefined && interviews.has(refId(closer)))
          ? 'interview'
          : state.atsCandidateId !== undefined &&
              (ids.has(state.atsCandidateId) || pseudonyms.has(state.atsCandidateId))
            ? 'ats match'
            : state.candidatePseudonym !== undefined && pseudonyms.has(state.candidatePseudonym)
              ? 'pseudonym'
              : undefined;
      if (reason !== undefined) {
        state.matched = reason;
        changed = true;
        addInterview(state.ref);
        if (closer !== undefined) addInterview(closer);
        if (state.atsCandidateId !== undefined && !pseudonyms.has(state.atsCandidateId))
          addId(state.atsCandidateId);
      } else if (
        intersects(state.mentionedEmails, emails) ||
        intersects(state.mentionedPseudonyms, pseudonyms)
      ) {
        state.matched = 'mention';
      }
    }
    for (const item of sources.archiveItems) {
      if (item.candidatePseudonym !== undefined && pseudonyms.has(item.candidatePseudonym))
        if (addInterview(item.ref)) changed = true;
    }
    // A session item closed by one of the candidate's reports is theirs (found by the state loop above on the
    // next round, since the report is now among their interviews).
  }

  return {
    interviews: [...interviews.values()].sort((a, b) => refId(a).localeCompare(refId(b))),
    emails,
    pseudonyms,
    names,
    candidateIds: ids,
    events: sources.events.filter((event) => event.matched !== undefined),
    states: sources.states.filter((state) => state.matched !== undefined),
    archiveItems: sources.archiveItems.filter((item) => interviews.has(refId(item.ref))),
  };
};
