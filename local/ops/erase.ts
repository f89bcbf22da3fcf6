/**
 * `npm run ops -- erase --email <e> | --candidate-id <id> [--yes]`: removes everything the system holds on
 * one candidate. What is the candidate's is decided by `candidate.ts` (raw events, claim checks, parked
 * events and ledger items, followed to a fixed point); this module turns that into a plan, prints it
 * without PII (counts, table keys, object keys — ids only) and carries it out.
 *
 * Deleted, in this order (so that an erase cut short can simply be run again, by e-mail or by ATS candidate
 * id: the records that lead to the rest go last — from the e-mail, the raw events, parked events and claim
 * checks; from an ATS id, the interview items, whose ATS match is the only record of it):
 * 1. the archived media, every object under `interviews/<id>/` of each of their interviews (and under the
 *    prefixes the manifests name), and the parts of any upload there left unfinished;
 * 2. the archive manifests of their interviews (`ARCHIVE#…`: objects, `BATCH#…` and `LEASE#…` items), after
 *    the media: once the interview items have expired (180 days), a batch item's candidate pseudonym is
 *    what leads from the e-mail to the recordings;
 * 3. any other ledger item that contains one of their e-mails, names, e-mail pseudonyms, candidate ids or
 *    interview ids (an item kind this version does not know);
 * 4. the objects outside the known prefixes that contain (or whose key contains) any of those;
 * 5. the claim-check objects whose envelope is theirs or mentions them;
 * 6. their parked events;
 * 7. their raw events: a batch object (a worker invocation's deliveries) that also holds others' deliveries
 *    is written again without theirs, and its other versions deleted (its retention restarts with it); an
 *    entry of a batch that no delivery of this version reads is theirs when it holds one of their identities
 *    (an e-mail, pseudonym or id as a whole token, never a name) and is dropped the same way;
 * 8. their interview items (`INTERVIEW#…`: state, event and effect records).
 * In a versioned bucket (the deployed one), every version and delete marker of each key goes.
 * Raw events and claim checks the parser refuses now (a schema changed after they were stored) were found by
 * their e-mail mentions only: the plan also takes those whose body holds any of the needles of step 3 (a
 * micro1 recording names only its report id).
 *
 * Before those steps, the dead-letter queues (events and archive) are swept as `redrive` reads them: every
 * message on the DLQ is received (to an empty receive: SQS's count at the start lags a fresh dead letter), the candidate's (its body, or the claim check it points to,
 * holds one of the needles of step 3) are deleted, and every other is released when the sweep ends (visible
 * again at once, not after its timeout). A redrive afterwards brings nothing of the candidate back.
 *
 * Not touched, and said so in the output: messages on the events and archive queues (a message in flight
 * may re-create an interview item or an archive after the erase: wait until the queues are empty and erase
 * again), a DLQ that could not be read (the erase then ends with exit code 1), the ATS itself (notes, tags,
 * stages: erase there), and logs (Lambda logs and the bucket's access logs: ids and keys only, expired by
 * their retention).
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { archiveSegment } from '../../functions/archive/tasks.js';
import {
  byDedupeKey,
  type RawEvent,
  type RawEventBatch,
  rawBatchesPrefix,
} from '../../functions/queue/raw-events.js';
import { queueCounts } from '../queue-depth.js';
import {
  type CandidateFindings,
  type CandidateSources,
  claimCheckPrefix,
  type EventFacts,
  type InterviewRef,
  inChunks,
  type OtherItem,
} from './candidate.js';
import { capped } from './format.js';
import { Progress, type ProgressStream } from './progress.js';
import { envelopeOfRaw, readRawEvent, readRawEvents } from './raw-store.js';
import { maxStaleReceives, receiveDeadLetters, releaseMessage, runVisibilitySecondsFor } from './redrive.js';
import {
  abortUploads,
  deleteEverywhere,
  isDeletedInVersionedBucket,
  listAll,
  type ObjectRef,
  readText,
  replaceObject,
} from './s3-objects.js';

export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

export interface ErasePlan {
  readonly interviews: readonly InterviewRef[];
  readonly states: readonly TableKey[];
  readonly archiveItems: readonly TableKey[];
  readonly otherItems: readonly TableKey[];
  readonly parked: readonly TableKey[];
  readonly mediaPrefixes: readonly string[];
  readonly otherObjects: readonly string[];
  readonly claimChecks: readonly string[];
  readonly rawEvents: readonly string[];
  /** Batch objects of the raw event store that also hold others' deliveries: rewritten without the candidate's. */
  readonly rawRewrites: readonly RawRewrite[];
  /**
   * Object keys and item keys (`pk / sk`) of the plan that contain the candidate's e-mail, name or pseudonym
   * (an `exports/jane@example.com.json`): printed as a digest, never as they are.
   */
  readonly keysNamingCandidate: ReadonlySet<string>;
  /** How many e-mails, names, pseudonyms and candidate ids were looked for (never which). */
  readonly identities: { emails: number; names: number; pseudonyms: number; candidateIds: number };
  /**
   * Objects outside the known prefixes too large to read ({@link maxScannedObjectBytes}), whose keys do not
   * name the candidate: not searched, so the erase cannot say they hold nothing of theirs (exit code 1).
   */
  readonly notSearched: readonly string[];
  /**
   * Ledger items (`pk / sk`) and objects outside the known prefixes that mention the candidate's name, or one
   * of their e-mails inside a longer address, but no identity of theirs: perhaps another person's (two people
   * share a name; `mary.jane@…` is not `jane@…`), so not erased; listed for a look by hand (exit code 1).
   */
  readonly mentionedOnly: readonly string[];
}

/** A batch object of the raw event store to write again without some of its deliveries. */
export interface RawRewrite {
  readonly key: string;
  /** The candidate's deliveries in it: `<version id>#<index>` (no version id in an unversioned bucket). */
  readonly drop: readonly string[];
  /** Their dedupe keys: the same delivery in another version of the object goes too. */
  readonly dropDedupeKeys: readonly string[];
  /**
   * Entries no delivery of this version reads that name the candidate by an identity, by the sha256 of their
   * JSON (the plan holds no PII): the same entry in another version of the object goes too.
   */
  readonly dropEntries: readonly string[];
}

/** How a plan names an entry of a batch that no delivery reads (`RawRewrite.dropEntries`). */
export const entryDigest = (entry: unknown): string =>
  createHash('sha256').update(JSON.stringify(entry)).digest('hex');

const placeOf = (versionId: string | undefined, index: number | undefined) =>
  `${versionId ?? ''}#${index ?? 0}`;

/** The id an interview's media is stored under: ROUND0's interview id, micro1's report id. */
const archiveIdOf = (ref: InterviewRef): string | undefined =>
  ref.vendor === 'round0'
    ? ref.interviewKey
    : ref.interviewKey.startsWith('report:')
      ? ref.interviewKey.slice('report:'.length)
      : undefined;

/** Ids that mark an item or object as the candidate's: interview keys and their ids, candidate ids. */
const idTokensOf = (findings: CandidateFindings): string[] => {
  const tokens = new Set<string>(findings.candidateIds);
  for (const ref of findings.interviews) {
    tokens.add(ref.interviewKey);
    const [kind, ...rest] = ref.interviewKey.split(':');
    if (ref.vendor === 'micro1' && (kind === 'report' || kind === 'applicant')) tokens.add(rest.join(':'));
    // `session:<interview id>:<candidate id>`: the interview id is micro1's interview (shared by every
    // candidate of a job), so only the candidate id is the candidate's.
    // The interview id's own colons are escaped (vendors/dedupe.ts `leadingKeyPart`); the candidate id's not.
    if (ref.vendor === 'micro1' && kind === 'session' && rest.length > 1) tokens.add(rest.slice(1).join(':'));
  }
  // Short ids would match inside anything.
  return [...tokens].filter((token) => token.length >= 6).map((token) => token.toLowerCase());
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a (lower-cased) text contains the candidate's e-mail, pseudonym or name (not an id). */
const candidateNamer = (findings: CandidateFindings): ((text: string) => boolean) => {
  const substrings = [
    ...findings.emails,
    ...findings.pseudonyms,
    ...[...findings.names].map((name) => name.trim().toLowerCase()).filter((name) => name.length >= 3),
  ];
  return (text) => substrings.some((needle) => text.includes(needle));
};

/** File extensions an object named after the candidate may carry (`exports/jane@example.com.json`). */
const fileExtension =
  /\.(?:json|jsonl|ndjson|txt|csv|tsv|md|log|pdf|html|xml|gz|zip|mp3|mp4|m4a|wav|webm|ts|m3u8|png|jpg|jpeg)$/;

/**
 * Whether a (lower-cased) object key names the candidate by an identity: the whole key, or one of its path
 * segments without its file extension (the e-mail check refuses what follows an address with a dot, so that
 * `jane@example.com.au` is not `jane@example.com`).
 */
const keyIdentifier = (identifies: (text: string) => boolean) => (key: string) =>
  identifies(key) ||
  key
    .split('/')
    .some((segment) => fileExtension.test(segment) && identifies(segment.replace(fileExtension, '')));

/**
 * Whether a (lower-cased) text names the candidate by an identity: one of their e-mails, pseudonyms,
 * candidate or interview ids, each as a whole token. Never by a name (two people share one) nor by an
 * e-mail inside another (`mary.jane@…`, `…@example.com.au`). What decides about records of a kind that
 * belongs to one candidate each (a dead letter, a stored delivery): taking another person's would delete
 * their data for good.
 */
export const identityMatcher = (findings: CandidateFindings): ((text: string) => boolean) => {
  const addresses = [...findings.emails, ...findings.pseudonyms];
  const ids = idTokensOf(findings);
  // An address is whole when no character of an address's local part (RFC 5322's atext and the dot, but
  // `/`, `=` and `?`, which separate paths and queries far more often than they start an address) goes
  // before it — `o'brien@…` and `a&brien@…` are not `brien@…` — except an apostrophe opening a quote
  // (`'jane@…'`), and no address character after it. An id is whole when no letter or digit goes on either
  // side (`backup/<id>.mp3`, `x-<id>_v2` are theirs), nor a digit and a dot (`1.<id>` is a number).
  const atext = 'a-z0-9.!#$%&*+^_`{|}~-';
  const patterns = [
    addresses.length === 0
      ? undefined
      : new RegExp(
          `(?<![${atext}])(?<![${atext}]')(?:${addresses.map(escapeRegExp).join('|')})(?![a-z0-9_%+-]|\\.[a-z0-9])`,
        ),
    ids.length === 0
      ? undefined
      : new RegExp(`(?<![a-z0-9])(?<![0-9]\\.)(?:${ids.map(escapeRegExp).join('|')})(?![a-z0-9]|\\.[0-9])`),
  ].filter((pattern): pattern is RegExp => pattern !== undefined);
  return (text) => patterns.some((pattern) => pattern.test(text));
};

/** Reads other objects no larger than this to look for the needles (larger ones: by key only). */
const maxScannedObjectBytes = 1024 * 1024;

const isGone = (error: unknown) =>
  error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NoSuchVersion');

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** `text` followed by `base64` decoded, when there is one: an e-mail in base64 bytes is not in `text` as such. */
const withDecoded = (text: string, base64: unknown): string =>
  typeof base64 === 'string' ? `${text}\n${Buffer.from(base64, 'base64').toString('utf8')}` : text;

/**
 * `text` (a queue message or a claim check: `{ kind: 'event', event, raw }`) followed by the raw delivery it
 * carries, decoded.
 */
const withRawBody = (text: string): string => {
  const value = parseJson(text) as { raw?: { bodyBase64?: unknown } } | undefined;
  return withDecoded(text, typeof value === 'object' && value !== null ? value.raw?.bodyBase64 : undefined);
};

/** `text` followed by the delivery it holds decoded, when it is a stored delivery (`{ bodyBase64, … }`). */
const withStoredBody = (text: string): string => {
  const value = parseJson(text) as { bodyBase64?: unknown } | undefined;
  return withDecoded(text, typeof value === 'object' && value !== null ? value.bodyBase64 : undefined);
};

/**
 * Whether an event was read without the facts an envelope gives: a claim check that is no envelope, or a
 * raw event with no interview, e-mail, name or candidate id (`candidate.ts` keeps a delivery the parser
 * refuses that way, found by its e-mail mentions only).
 */
const maybeUnparsed = (event: EventFacts): boolean =>
  event.where.kind === 'claim-check'
    ? event.vendor === undefined
    : event.where.kind === 'raw' &&
      event.interviews.length === 0 &&
      event.email === undefined &&
      event.name === undefined &&
      event.vendorCandidateId === undefined;

/**
 * The text to look for the needles in of an event that failed to parse (lower-cased: its key and body, the
 * raw delivery decoded), or undefined when it parses after all (an envelope without ids: nobody's) or is
 * gone.
 */
const unparsedText = async (
  s3: { readonly client: S3Client; readonly bucket: string },
  event: EventFacts,
): Promise<string | undefined> => {
  if (event.where.kind === 'parked') return undefined;
  const ref: ObjectRef = {
    key: event.where.key,
    ...(event.where.versionId === undefined ? {} : { versionId: event.where.versionId }),
  };
  if (event.where.kind === 'raw') {
    const stored = await readRawEvent(s3.client, s3.bucket, ref, event.where.index);
    if (stored === undefined || envelopeOfRaw(stored).ok) return undefined;
    return `${ref.key}\n${Buffer.from(stored.bodyBase64, 'base64').toString('utf8')}`.toLowerCase();
  }
  try {
    return `${ref.key}\n${withRawBody(await readText(s3.client, s3.bucket, ref))}`.toLowerCase();
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
};

/**
 * An opaque batch entry's text, lower-cased, with a top-level `bodyBase64` decoded after it: a stored delivery
 * of a vendor since removed keeps the vendor's body (the e-mail in it) only in base64.
 */
const opaqueEntryText = (entry: unknown): string =>
  withDecoded(JSON.stringify(entry), (entry as { bodyBase64?: unknown } | null)?.bodyBase64).toLowerCase();

/**
 * Of a batch of the raw event store, its entries that are not deliveries this version reads (its deliveries
 * were read for the candidate); undefined for any other object (and a batch gone since it was listed).
 */
const opaqueBatchEntries = async (
  s3: { readonly client: S3Client; readonly bucket: string },
  ref: ObjectRef,
): Promise<readonly unknown[] | undefined> => {
  if (!ref.key.startsWith(rawBatchesPrefix)) return undefined;
  const stored = await readRawEvents(s3.client, s3.bucket, ref);
  if (!stored?.batch) return undefined;
  return stored.entries.filter((_, index) => stored.events[index] === undefined);
};

/** A key shown without what names the candidate in it: a short digest to tell keys apart. */
const shownKey = (plan: ErasePlan, key: string): string =>
  plan.keysNamingCandidate.has(key)
    ? `(a key naming the candidate, sha256 ${createHash('sha256').update(key).digest('hex').slice(0, 12)})`
    : key;

export const planErase = async (
  sources: CandidateSources,
  findings: CandidateFindings,
  s3: { readonly client: S3Client; readonly bucket: string },
): Promise<ErasePlan> => {
  // Records of kinds and objects of places the tools do not know are erased whole, so only on an identity of
  // the candidate's (an e-mail, pseudonym or id as a whole token), never on a name or an e-mail inside another
  // (another person's data, deleted for good); those are listed for a look by hand.
  const identifies = identityMatcher(findings);
  const keyIdentifies = keyIdentifier(identifies);
  const namesCandidate = candidateNamer(findings);
  const mentionedOnly: string[] = [];
  const otherItems = sources.otherItems.filter((item: OtherItem) => {
    if (identifies(item.text)) return true;
    if (namesCandidate(item.text)) mentionedOnly.push(tableKey(item));
    return false;
  });
  const otherObjects: string[] = [];
  const notSearched: string[] = [];
  /** Raw event batch key → digests of its opaque entries that are the candidate's. */
  const opaqueTheirs = new Map<string, string[]>();
  // Objects under raw/ that are not deliveries were not parsed for the candidate: searched like any other.
  const unreadableRaw: ObjectRef[] = sources.unreadableRaw.map((key) => ({ key }));
  for (const ref of [...(sources.otherObjects as ObjectRef[]), ...unreadableRaw]) {
    const key = ref.key.toLowerCase();
    if (keyIdentifies(key)) {
      otherObjects.push(ref.key);
      continue;
    }
    if ((ref.size ?? 0) > maxScannedObjectBytes) {
      (namesCandidate(key) ? mentionedOnly : notSearched).push(ref.key);
      continue;
    }
    // A batch holds everyone's deliveries: an entry it holds is decided as a dead letter is, by identity (a
    // shared name is not enough), and only that entry goes (the batch is written again without it).
    const opaque = await opaqueBatchEntries(s3, ref);
    if (opaque !== undefined) {
      const theirs = opaque.filter((entry) => identifies(opaqueEntryText(entry)));
      if (theirs.length > 0) opaqueTheirs.set(ref.key, theirs.map(entryDigest));
      continue;
    }
    // Expired or deleted since it was listed: nothing left to search or erase there. A stored delivery this
    // version does not read (a removed vendor's) is searched with its body decoded.
    const text = await readText(s3.client, s3.bucket, ref).then(
      (found) => withStoredBody(found).toLowerCase(),
      (error: unknown) => {
        if (isGone(error)) return '';
        throw error;
      },
    );
    if (identifies(text)) otherObjects.push(ref.key);
    else if (namesCandidate(key) || namesCandidate(text)) mentionedOnly.push(ref.key);
  }
  // Deliveries and claim checks the parser refuses were matched by their e-mail mentions only (a micro1
  // recording names no e-mail, only its report id): their bodies are searched for the candidate's identities.
  const selected = new Set<EventFacts>(findings.events);
  const unparsed = sources.events.filter((event) => !selected.has(event) && maybeUnparsed(event));
  const texts = await inChunks(unparsed, (event) => unparsedText(s3, event));
  const matchedUnparsed = unparsed.filter((_event, index) => {
    const text = texts[index];
    return text !== undefined && identifies(text);
  });
  const keysOf = (kind: 'raw' | 'claim-check') => [
    ...new Set(
      [...findings.events, ...matchedUnparsed].flatMap((event) =>
        event.where.kind === kind ? [event.where.key] : [],
      ),
    ),
  ];
  // A batch object holds several people's deliveries: deleted only when every one of them is the candidate's
  // (and it holds no entry the tools cannot read; one of those is dropped when it is theirs, kept when not),
  // otherwise written again without theirs.
  const taken = new Set<EventFacts>([...findings.events, ...matchedUnparsed]);
  const partlyUnreadable = new Set(sources.unreadableRaw);
  const rawRewrites: RawRewrite[] = [];
  const rawKeys = keysOf('raw').filter((key) => {
    const inObject = sources.events.filter((event) => event.where.kind === 'raw' && event.where.key === key);
    if (inObject.every((event) => taken.has(event)) && !partlyUnreadable.has(key)) return true;
    const theirs = inObject.filter((event) => taken.has(event));
    rawRewrites.push({
      key,
      drop: theirs.flatMap(({ where }) =>
        where.kind === 'raw' ? [placeOf(where.versionId, where.index)] : [],
      ),
      dropDedupeKeys: [
        ...new Set(theirs.flatMap((event) => (event.dedupeKey === undefined ? [] : [event.dedupeKey]))),
      ],
      dropEntries: opaqueTheirs.get(key) ?? [],
    });
    return false;
  });
  // Batches where only an entry no delivery reads is theirs.
  const rewritten = new Set(rawRewrites.map((rewrite) => rewrite.key));
  for (const [key, digests] of opaqueTheirs) {
    if (!rewritten.has(key)) rawRewrites.push({ key, drop: [], dropDedupeKeys: [], dropEntries: digests });
  }
  const mediaPrefixes = new Set<string>();
  for (const ref of findings.interviews) {
    const id = archiveIdOf(ref);
    if (id !== undefined) mediaPrefixes.add(`interviews/${archiveSegment(id)}/`);
  }
  for (const item of findings.archiveItems) {
    const [root, id] = item.sk.split('/');
    if (root === 'interviews' && id !== undefined && id !== '') mediaPrefixes.add(`interviews/${id}/`);
  }
  return {
    interviews: findings.interviews,
    states: findings.states.map(({ pk, sk }) => ({ pk, sk })),
    archiveItems: findings.archiveItems.map(({ pk, sk }) => ({ pk, sk })),
    otherItems: otherItems.map(({ pk, sk }) => ({ pk, sk })),
    parked: findings.events.flatMap((event) =>
      event.where.kind === 'parked' ? [{ pk: event.where.pk, sk: event.where.sk }] : [],
    ),
    mediaPrefixes: [...mediaPrefixes].sort(),
    otherObjects: otherObjects.sort(),
    notSearched: notSearched.sort(),
    mentionedOnly: mentionedOnly.sort(),
    claimChecks: keysOf('claim-check').sort(),
    rawEvents: rawKeys.sort(),
    rawRewrites: rawRewrites.sort((a, b) => a.key.localeCompare(b.key)),
    keysNamingCandidate: new Set(
      [...otherObjects, ...otherItems.map(tableKey), ...mentionedOnly].filter((key) =>
        namesCandidate(key.toLowerCase()),
      ),
    ),
    identities: {
      emails: findings.emails.size,
      names: findings.names.size,
      pseudonyms: findings.pseudonyms.size,
      candidateIds: findings.candidateIds.size,
    },
  };
};

export const planIsEmpty = (plan: ErasePlan): boolean =>
  plan.interviews.length +
    plan.states.length +
    plan.archiveItems.length +
    plan.otherItems.length +
    plan.parked.length +
    plan.mediaPrefixes.length +
    plan.otherObjects.length +
    plan.claimChecks.length +
    plan.rawEvents.length +
    plan.rawRewrites.length ===
  0;

const tableKey = (key: TableKey) => `${key.pk} / ${key.sk}`;

/** The plan as printed before asking (ids and keys only). */
export const planLines = (plan: ErasePlan): string[] => {
  const { identities } = plan;
  const lines = [
    `looked for ${identities.emails} e-mail(s), ${identities.pseudonyms} e-mail pseudonym(s), ` +
      `${identities.names} name(s) and ${identities.candidateIds} candidate id(s) of the candidate (not printed)`,
    `interviews (${plan.interviews.length}):`,
    ...plan.interviews.map((ref) => `  ${ref.vendor} ${ref.interviewKey}`),
  ];
  const section = <T>(title: string, items: readonly T[], show: (item: T) => string, max = 50) => {
    lines.push(`${title} (${items.length})${items.length === 0 ? '' : ':'}`);
    lines.push(...capped(items, max, (item) => `  ${show(item)}`));
  };
  section('ledger: interview items', plan.states, tableKey);
  section('ledger: archive manifest items', plan.archiveItems, tableKey, 20);
  section('ledger: other items', plan.otherItems, (key) => shownKey(plan, tableKey(key)));
  section('ledger: parked events', plan.parked, tableKey);
  section('bucket: archived media under', plan.mediaPrefixes, (prefix) => `${prefix}…`);
  section('bucket: other objects', plan.otherObjects, (key) => shownKey(plan, key));
  section(`bucket: claim checks (${claimCheckPrefix})`, plan.claimChecks, (key) => key);
  section('bucket: raw events', plan.rawEvents, (key) => key);
  section(
    "bucket: raw event batches written again without the candidate's deliveries",
    plan.rawRewrites,
    (rewrite) => `${rewrite.key} (${rewrite.dropDedupeKeys.length + rewrite.dropEntries.length} of theirs)`,
  );
  lines.push(...notSearchedLines(plan));
  return lines;
};

/**
 * What the plan leaves for a look by hand (none: no line), said with the plan and with the outcome: objects
 * it could not search, and records that mention the candidate without an identity of theirs.
 */
export const notSearchedLines = (plan: ErasePlan): string[] => [
  ...(plan.notSearched.length === 0
    ? []
    : [
        `bucket: not searched, larger than ${maxScannedObjectBytes / 1024 / 1024} MiB outside raw/, ` +
          `${claimCheckPrefix} and interviews/ (their keys do not name the candidate; look inside them by ` +
          `hand: the exit code is 1) (${plan.notSearched.length}):`,
        ...capped(plan.notSearched, 50, (key) => `  ${key}`),
      ]),
  ...(plan.mentionedOnly.length === 0
    ? []
    : [
        "not erased: records that mention the candidate's name, or an address containing theirs, but no " +
          'e-mail, pseudonym or id of theirs (perhaps another person: look at them by hand; the exit code is ' +
          `1) (${plan.mentionedOnly.length}):`,
        ...capped(plan.mentionedOnly, 50, (key) => `  ${shownKey(plan, key)}`),
      ]),
];

/** Whether the plan leaves anything for a look by hand ({@link notSearchedLines}): the exit code is 1. */
export const leftForHand = (plan: ErasePlan): boolean =>
  plan.notSearched.length > 0 || plan.mentionedOnly.length > 0;

export interface EraseTarget {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly table: string;
  readonly bucket: string;
  readonly versioned: boolean;
  readonly progress?: ProgressStream;
}

export interface EraseOutcome {
  readonly items: number;
  /** Objects (or object versions) deleted, by step. */
  readonly media: number;
  readonly otherObjects: number;
  readonly claimChecks: number;
  readonly rawEvents: number;
  /** Batch objects written again without the candidate's deliveries (their old versions are counted in `rawEvents`). */
  readonly rawRewritten: number;
  readonly mediaKeys: readonly string[];
  /** Multipart uploads left open under the media prefixes (an archive cut off by its timeout), aborted. */
  readonly uploadsAborted: number;
}

/**
 * Writes a batch object of the raw event store again with every delivery of every version of it but the
 * candidate's (one copy per dedupe key, the one received last), and deletes its other versions; deletes
 * the key (every version) when nothing else is left, or when the batch is no longer current (expired).
 * Read at the time of the erase, so a version written since the plan (the same batch received again) is
 * covered too.
 */
const rewriteRawBatch = async (
  target: EraseTarget,
  rewrite: RawRewrite,
): Promise<{ readonly rewritten: boolean; readonly deleted: number }> => {
  const drop = new Set(rewrite.drop);
  const dropDedupeKeys = new Set(rewrite.dropDedupeKeys);
  const dropEntries = new Set(rewrite.dropEntries);
  const versions: ObjectRef[] = [];
  if (target.versioned) {
    for await (const ref of listAll(target.s3, target.bucket, rewrite.key, true))
      if (ref.key === rewrite.key) versions.push(ref);
  } else versions.push({ key: rewrite.key });
  // A batch the lifecycle rule expired (or someone deleted) has a delete marker for its current entry and
  // noncurrent versions until they expire too: written again, everyone else's deliveries in it would
  // come back for a whole new retention period. It is deleted for good instead, as nothing reads it.
  const expired =
    target.versioned && (await isDeletedInVersionedBucket(target.s3, target.bucket, rewrite.key));
  const kept = new Map<string, RawEvent>();
  // Entries that are not deliveries this version reads are kept as they are (once each), unless the plan
  // found them the candidate's (by identity, planErase).
  const opaque = new Map<string, unknown>();
  for (const ref of expired ? [] : versions) {
    const stored = await readRawEvents(target.s3, target.bucket, ref);
    stored?.events.forEach((raw, index) => {
      if (drop.has(placeOf(ref.versionId, index))) return;
      if (raw === undefined) {
        const entry = stored.entries[index];
        if (!dropEntries.has(entryDigest(entry))) opaque.set(JSON.stringify(entry), entry);
        return;
      }
      if (dropDedupeKeys.has(raw.dedupeKey)) return;
      const prior = kept.get(raw.dedupeKey);
      if (prior === undefined || prior.receivedAt <= raw.receivedAt) kept.set(raw.dedupeKey, raw);
    });
  }
  if (kept.size === 0 && opaque.size === 0) {
    let deleted = 0;
    await deleteEverywhere(
      target.s3,
      target.bucket,
      { keys: [rewrite.key], prefixes: [] },
      target.versioned,
      (count) => {
        deleted += count;
      },
    );
    return { rewritten: false, deleted };
  }
  // In the order the worker writes a batch in.
  const events = [...[...kept.values()].sort(byDedupeKey), ...opaque.values()];
  const batch = { schemaVersion: 2, events } as RawEventBatch;
  const deleted = await replaceObject(
    target.s3,
    target.bucket,
    rewrite.key,
    JSON.stringify(batch),
    target.versioned,
  );
  return { rewritten: true, deleted };
};

/** Carries out `plan` in the order of the module comment. */
export const executeErase = async (plan: ErasePlan, target: EraseTarget): Promise<EraseOutcome> => {
  const document = DynamoDBDocumentClient.from(target.dynamodb);
  const total =
    plan.states.length +
    plan.archiveItems.length +
    plan.otherItems.length +
    plan.parked.length +
    plan.otherObjects.length +
    plan.claimChecks.length +
    plan.rawEvents.length +
    plan.rawRewrites.length;
  // Media objects are counted as they are listed: the total grows.
  const progress = new Progress(
    'erase',
    total,
    target.progress === undefined ? {} : { stream: target.progress },
  );
  let items = 0;
  const deleteItems = async (keys: readonly TableKey[]) => {
    for (const key of keys) {
      await document.send(new DeleteCommand({ TableName: target.table, Key: { pk: key.pk, sk: key.sk } }));
      items += 1;
      progress.tick();
    }
  };
  let media = 0;
  const deleteObjects = async (keys: readonly string[], prefixes: readonly string[] = []) => {
    let count = 0;
    const deleted = await deleteEverywhere(
      target.s3,
      target.bucket,
      { keys, prefixes },
      target.versioned,
      (n) => {
        count += n;
        progress.tick(n);
      },
    );
    return { count, deleted };
  };

  // Unfinished uploads first: a recording's parts are the candidate's too, and no listing of objects shows them.
  let uploadsAborted = 0;
  for (const prefix of plan.mediaPrefixes)
    uploadsAborted += await abortUploads(target.s3, target.bucket, prefix);
  const mediaDeleted = await deleteObjects([], plan.mediaPrefixes);
  media = mediaDeleted.count;
  progress.setTotal(total + media);
  await deleteItems(plan.archiveItems);
  await deleteItems(plan.otherItems);
  const otherObjects = (await deleteObjects(plan.otherObjects)).count;
  const claimChecks = (await deleteObjects(plan.claimChecks)).count;
  await deleteItems(plan.parked);
  let rawEvents = (await deleteObjects(plan.rawEvents)).count;
  let rawRewritten = 0;
  for (const rewrite of plan.rawRewrites) {
    const outcome = await rewriteRawBatch(target, rewrite);
    rawEvents += outcome.deleted;
    if (outcome.rewritten) rawRewritten += 1;
    progress.tick();
  }
  await deleteItems(plan.states);
  progress.done();
  return {
    items,
    media,
    otherObjects,
    claimChecks,
    rawEvents,
    rawRewritten,
    mediaKeys: mediaDeleted.deleted,
    uploadsAborted,
  };
};

/** What was removed (counts and keys, no PII). */
export const outcomeLines = (plan: ErasePlan, outcome: EraseOutcome, versioned: boolean): string[] => {
  const objects = versioned ? 'object version(s)' : 'object(s)';
  return [
    `erased ${plan.interviews.length} interview(s) of the candidate:`,
    ...plan.interviews.map((ref) => `  ${ref.vendor} ${ref.interviewKey}`),
    `ledger: ${outcome.items} item(s) deleted (${plan.states.length} interview, ${plan.archiveItems.length} archive ` +
      `manifest, ${plan.parked.length} parked, ${plan.otherItems.length} other)`,
    ...capped(
      [...plan.states, ...plan.otherItems, ...plan.parked],
      50,
      (key) => `  ${shownKey(plan, tableKey(key))}`,
    ),
    `bucket: ${outcome.media} archived media ${objects} under ${plan.mediaPrefixes.join(', ') || '(none)'}`,
    ...capped(outcome.mediaKeys, 20, (key) => `  ${key}`),
    ...(outcome.uploadsAborted === 0
      ? []
      : [
          `bucket: ${outcome.uploadsAborted} unfinished upload(s) of their media aborted (their parts deleted)`,
        ]),
    `bucket: ${outcome.rawEvents} raw event ${objects}, ${outcome.claimChecks} claim-check ${objects}, ` +
      `${outcome.otherObjects} other ${objects}` +
      (plan.rawRewrites.length === 0
        ? ''
        : `; ${outcome.rawRewritten} raw event batch(es) written again without the candidate's deliveries`),
    ...capped(
      [...plan.rawEvents, ...plan.claimChecks, ...plan.otherObjects],
      50,
      (key) => `  ${shownKey(plan, key)}`,
    ),
  ];
};

/**
 * Said when the erase stopped part-way (a throttled delete, a refused one): what it had planned, the error's
 * class, and how to finish. What led from the e-mail to an interview may be gone already (raw events and
 * parked copies go before the interview items), so the ids to run it again with are printed too.
 */
export const stoppedLines = (plan: ErasePlan, candidateIds: Iterable<string>, error: unknown): string[] => {
  const ids = [...new Set(candidateIds)].sort();
  return [
    `erase stopped before the end (${error instanceof Error ? error.name : typeof error}): part of the plan below may be erased already`,
    ...planLines(plan),
    'finish it with the same command; if the e-mail no longer finds the rest, with:',
    ...(ids.length === 0
      ? ['  (no candidate id known: erase the interviews above by their ids with `ops status`)']
      : ids.map((id) => `  npm run ops -- erase --candidate-id ${id} --yes`)),
  ];
};

/** One dead-letter queue to sweep: its role (as {@link caveatLines} names queues), its label, its URL. */
export interface DeadLetterQueue {
  readonly queue: string;
  /** As printed: `events DLQ`, `archive DLQ`. */
  readonly label: string;
  /** Undefined when the command does not know it (said, and the erase counts as partial). */
  readonly url: string | undefined;
}

export interface DeadLetterTarget {
  readonly sqs: SQSClient;
  /** Where the claim checks the messages point to are read. */
  readonly s3: S3Client;
  readonly queues: readonly DeadLetterQueue[];
  readonly progress?: ProgressStream;
}

/** What the sweep of one dead-letter queue did (counts only). */
export interface DeadLetterSweep {
  readonly queue: string;
  readonly label: string;
  /** Messages the DLQ held when the sweep started (approximate, as SQS counts). */
  readonly found: number;
  /** Distinct messages received. */
  readonly read: number;
  /** The candidate's, deleted. */
  readonly deleted: number;
  /** The candidate's, whose delete SQS refused: still on the DLQ. */
  readonly notDeleted: number;
  /** Other candidates', released (visible again at once). */
  readonly released: number;
  /** Released ones whose release failed: visible again after the visibility timeout. */
  readonly notReleased: number;
  /** Left on the DLQ undecided: the claim check they point to could not be read. */
  readonly undecided: number;
  /** Why the DLQ could not be read (wholly or from some point on): an error class, or its URL unknown. */
  readonly failure?: string;
}

/** The sweep of a dead-letter queue that read nothing: every count 0 (its `failure` says why). */
export const emptySweep = (queue: string, label: string): DeadLetterSweep => ({
  queue,
  label,
  found: 0,
  read: 0,
  deleted: 0,
  notDeleted: 0,
  released: 0,
  notReleased: 0,
  undecided: 0,
});

/** Messages read past the DLQ's count at the start before a sweep of a DLQ still filling gives up. */
const maxReadsPastCount = 1000;

type Verdict = 'candidate' | 'other' | 'undecided';

/**
 * Whether a dead-lettered message is the candidate's: its body (`{ kind: 'event', event, raw }`, an archive
 * task) or the claim check it points to (`{ kind: 'claim-check', bucket, key }`, read from S3: one of the
 * plan's claim checks is the candidate's even once deleted) holds one of the needles.
 */
const verdictOf = async (
  body: string,
  matches: (text: string) => boolean,
  claimChecks: ReadonlySet<string>,
  s3: S3Client,
): Promise<Verdict> => {
  const texts = [withRawBody(body)];
  const value = parseJson(body) as { kind?: unknown; bucket?: unknown; key?: unknown } | undefined;
  let unread = false;
  if (
    typeof value === 'object' &&
    value !== null &&
    value.kind === 'claim-check' &&
    typeof value.bucket === 'string' &&
    typeof value.key === 'string'
  ) {
    if (claimChecks.has(value.key)) return 'candidate';
    try {
      texts.push(withRawBody(await readText(s3, value.bucket, { key: value.key })));
    } catch (error) {
      // Gone (expired, or erased): the message can no longer bring anything back. Otherwise: unknown.
      if (!isGone(error)) unread = true;
    }
  }
  if (matches(texts.join('\n').toLowerCase())) return 'candidate';
  return unread ? 'undecided' : 'other';
};

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

const sweepOne = async (
  queue: DeadLetterQueue,
  url: string,
  decide: (body: string) => Promise<Verdict>,
  target: DeadLetterTarget,
): Promise<DeadLetterSweep> => {
  const counts = { read: 0, deleted: 0, notDeleted: 0, released: 0, notReleased: 0, undecided: 0 };
  let found: number;
  let inFlight: number;
  try {
    ({ visible: found, inFlight } = await queueCounts(target.sqs, url));
  } catch (error) {
    return { ...emptySweep(queue.queue, queue.label), failure: errorName(error) };
  }
  // The other candidates' messages are held until the whole DLQ is read (a claim check read from S3 each).
  const hideSeconds = runVisibilitySecondsFor(found);
  const progress = new Progress(
    `erase: ${queue.label}`,
    found,
    target.progress === undefined ? {} : { stream: target.progress },
  );
  // Messages left on the DLQ, held hidden until the end (by id: one received again keeps its newest handle).
  const kept = new Map<string, { message: Message; undecided: boolean }>();
  const idOf = (message: Message) => message.MessageId ?? message.ReceiptHandle ?? '';
  let failure: string | undefined;
  let stale = 0;
  try {
    // To an empty receive, not to the count: SQS's count is approximate and lags a message dead-lettered
    // just before (the candidate's, it may be), and what it held is all hidden once read.
    for (;;) {
      if (counts.read >= found + maxReadsPastCount) {
        failure = `it kept filling while it was read (${counts.read} read, ${found} at the start)`;
        break;
      }
      const messages = await receiveDeadLetters(target.sqs, url, 10, hideSeconds);
      // Empty: nothing visible is left.
      if (messages.length === 0) break;
      const fresh = messages.filter((message) => {
        const seen = kept.get(idOf(message));
        if (seen === undefined) return true;
        kept.set(idOf(message), { ...seen, message });
        return false;
      });
      // Only messages judged before, visible again (the sweep outlasted their hiding): others may still be
      // unread behind them, so go on, but not for ever.
      if (fresh.length === 0) {
        stale += 1;
        if (stale >= maxStaleReceives) break;
        continue;
      }
      stale = 0;
      const theirs: Message[] = [];
      for (const message of fresh) {
        counts.read += 1;
        const verdict = await decide(message.Body ?? '');
        if (verdict === 'candidate') theirs.push(message);
        else {
          if (verdict === 'undecided') counts.undecided += 1;
          kept.set(idOf(message), { message, undecided: verdict === 'undecided' });
        }
      }
      if (theirs.length > 0) {
        const { Failed = [] } = await target.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: theirs.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
        counts.deleted += theirs.length - Failed.length;
        counts.notDeleted += Failed.length;
      }
      progress.tick(fresh.length);
    }
    // Not read to the end (messages the DLQ held were not all received), or some hidden at the start (an
    // interrupted sweep's, a redrive's): they may be the candidate's, so the erase is not complete.
    if (failure === undefined && counts.read < found)
      failure = `read ${counts.read} of the ${found} message(s) it held`;
    else if (failure === undefined && inFlight > 0)
      failure = `${inFlight} message(s) were in flight (hidden) and could not be read`;
  } catch (error) {
    failure = errorName(error);
  } finally {
    // Released at once, all of them (the undecided too, counted apart): visible again for a redrive.
    for (const { message, undecided } of kept.values()) {
      const released = await releaseMessage(target.sqs, url, message);
      if (!undecided) counts[released ? 'released' : 'notReleased'] += 1;
    }
    progress.done();
  }
  return {
    queue: queue.queue,
    label: queue.label,
    found,
    ...counts,
    ...(failure === undefined ? {} : { failure }),
  };
};

/**
 * Deletes the candidate's messages from the dead-letter queues (see the module comment) and releases every
 * other one. Never throws: a DLQ that cannot be read is reported in its {@link DeadLetterSweep}.
 */
export const sweepDeadLetterQueues = async (
  plan: ErasePlan,
  findings: CandidateFindings,
  target: DeadLetterTarget,
): Promise<DeadLetterSweep[]> => {
  // Identities only: a dead letter is one candidate's, and another's taken by a shared name is lost for good.
  const matches = identityMatcher(findings);
  const claimChecks = new Set(plan.claimChecks);
  const decide = (body: string) => verdictOf(body, matches, claimChecks, target.s3);
  const sweeps: DeadLetterSweep[] = [];
  for (const queue of target.queues) {
    if (queue.url === undefined || queue.url === '') {
      sweeps.push({ ...emptySweep(queue.queue, queue.label), failure: 'its URL is not known' });
      continue;
    }
    sweeps.push(await sweepOne(queue, queue.url, decide, target));
  }
  return sweeps;
};

/** Whether a sweep left something of the candidate possibly on a DLQ (the erase is then partial). */
export const sweepIncomplete = (sweeps: readonly DeadLetterSweep[]): boolean =>
  sweeps.some((sweep) => sweep.failure !== undefined || sweep.notDeleted > 0 || sweep.undecided > 0);

/** What the sweeps did (queue names and counts, no PII). */
export const deadLetterLines = (sweeps: readonly DeadLetterSweep[]): string[] =>
  sweeps.flatMap((sweep) => {
    const lines: string[] = [];
    if (sweep.read > 0 || sweep.failure === undefined) {
      lines.push(
        `${sweep.label}: ${sweep.deleted} message(s) of the candidate deleted, ${sweep.released} other ` +
          `message(s) left on it and released (${sweep.read} read)`,
      );
    }
    if (sweep.failure !== undefined) {
      lines.push(
        `${sweep.label}: ${sweep.read > 0 ? 'could not be read to the end' : 'not swept'} (${sweep.failure}): ` +
          'its messages may carry this candidate: do not redrive it, run the erase again once it can be read',
      );
    }
    if (sweep.notDeleted > 0) {
      lines.push(
        `${sweep.label}: ${sweep.notDeleted} message(s) of the candidate could not be deleted: run the erase ` +
          'again before any redrive',
      );
    }
    if (sweep.undecided > 0) {
      lines.push(
        `${sweep.label}: ${sweep.undecided} message(s) left on it whose claim check could not be read: they ` +
          'may be the candidate’s, run the erase again before any redrive',
      );
    }
    if (sweep.notReleased > 0) {
      lines.push(
        `${sweep.label}: ${sweep.notReleased} other message(s) could not be released: visible again within ` +
          `${runVisibilitySecondsFor(sweep.found)} s`,
      );
    }
    return lines;
  });

/**
 * Said after every erase: what it cannot reach. `sweeps`: the dead-letter queues swept (their candidate's
 * messages deleted: what is left there is other candidates'), left out of the queues still to wait for.
 */
/** What a sweep left on its DLQ: other candidates' messages, and the candidate's it could not delete or decide. */
const leftBySweep = (sweep: DeadLetterSweep): number =>
  sweep.released + sweep.notReleased + sweep.notDeleted + sweep.undecided;

/**
 * The queues not swept that hold messages, and those whose depth could not be read; and the swept DLQs that
 * hold more than their sweep left there: dead letters that arrived during the erase (an event of the
 * candidate still queued when the sweep ran may have reached its last receive since), never swept.
 */
const unsettledQueues = (
  queueDepths: ReadonlyArray<{ name: string; depth: number | undefined }>,
  sweeps: readonly DeadLetterSweep[],
) => {
  const swept = new Map(
    sweeps.filter((sweep) => sweep.failure === undefined).map((sweep) => [sweep.queue, leftBySweep(sweep)]),
  );
  const waiting = queueDepths.filter((queue) => !swept.has(queue.name));
  return {
    busy: waiting.filter((queue) => queue.depth !== undefined && queue.depth > 0),
    unknown: waiting.filter((queue) => queue.depth === undefined).map((queue) => queue.name),
    arrived: queueDepths.flatMap((queue) => {
      const left = swept.get(queue.name);
      return left !== undefined && queue.depth !== undefined && queue.depth > left
        ? [{ name: queue.name, arrived: queue.depth - left }]
        : [];
    }),
  };
};

/**
 * Whether the erase must be run again once the queues are empty: a queue holds messages (or could not be
 * read, or none was given) that may carry the candidate and re-create what was erased — a retried batch
 * writes its raw event object again under the same key. The tool then exits 3, not 0.
 */
export const rerunNeeded = (
  queueDepths: ReadonlyArray<{ name: string; depth: number | undefined }>,
  sweeps: readonly DeadLetterSweep[] = [],
): boolean => {
  const { busy, unknown, arrived } = unsettledQueues(queueDepths, sweeps);
  return queueDepths.length === 0 || busy.length > 0 || unknown.length > 0 || arrived.length > 0;
};

export const caveatLines = (
  queueDepths: ReadonlyArray<{ name: string; depth: number | undefined }>,
  sweeps: readonly DeadLetterSweep[] = [],
): string[] => {
  const { busy, unknown, arrived } = unsettledQueues(queueDepths, sweeps);
  return [
    ...(arrived.length > 0
      ? [
          `dead letters arrived during the erase (${arrived.map((q) => `${q.name}: ${q.arrived} more than the sweep left`).join(', ')}): ` +
            'they may be this candidate’s; run the erase again (it sweeps them).',
        ]
      : []),
    busy.length > 0
      ? `queues still hold messages, waiting, in flight or delayed (${busy.map((q) => `${q.name}: ${q.depth}`).join(', ')}): they may carry ` +
        'this candidate and re-create state when processed. Wait until the queues are empty, and run the ' +
        'erase again (it also deletes what of the candidate reached the dead-letter queues).'
      : queueDepths.length === 0 || unknown.length > 0
        ? `queues: not checked (${unknown.length > 0 ? `could not read ${unknown.join(', ')}` : 'no queue given'}): ` +
          'messages waiting there may carry this candidate and re-create state. Run the erase again once ' +
          'they are empty.'
        : arrived.length > 0
          ? 'queues: empty now.'
          : 'queues: empty now. Messages in flight during the erase could still re-create an interview item or an archive: run the erase again to be sure.',
    "not touched: the ATS itself (notes, tags, stage: erase the candidate there too), the log adapter's " +
      "file, the logs (Lambda logs and the bucket's access logs: ids and keys only; they expire with " +
      "their retention), and the ledger table's point-in-time recovery backups (35 days: a restore would " +
      'bring the erased items back, so erase again after one).',
  ];
};
