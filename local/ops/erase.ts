/**
 * `npm run ops -- erase --email <e> | --candidate-id <id> [--yes]`: removes everything the system holds on
 * one candidate. What is the candidate's is decided by `candidate.ts` (raw events, claim checks, parked
 * events and ledger items, followed to a fixed point); this module turns that into a plan, prints it
 * without PII (counts, table keys, object keys — ids only) and carries it out.
 *
 * Deleted, in this order (so that an erase cut short can simply be run again, by e-mail or by ATS candidate
 * id: the records that lead to the rest go last — from the e-mail, the raw events, parked events and claim
 * checks; from an ATS id, the interview items, whose ATS match is the only record of it):
 * 1. the archive manifests of their interviews (`ARCHIVE#…`: objects and `BATCH#…` items);
 * 2. the archived media, every object under `interviews/<id>/` of each of their interviews (and under the
 *    prefixes the manifests name);
 * 3. any other ledger item that contains one of their e-mails, names, e-mail pseudonyms, candidate ids or
 *    interview ids (an item kind this version does not know);
 * 4. the objects outside the known prefixes that contain (or whose key contains) any of those;
 * 5. the claim-check objects whose envelope is theirs or mentions them;
 * 6. their parked events;
 * 7. their raw events;
 * 8. their interview items (`INTERVIEW#…`: state, event and effect records).
 * In a versioned bucket (the deployed one), every version and delete marker of each key goes.
 *
 * Not touched, and said so in the output: messages still on the queues (a message in flight may re-create
 * an interview item or an archive after the erase: wait until the queues are empty — or purge a DLQ after
 * checking what it holds — and erase again), the ATS itself (notes, tags, stages: erase there), and logs
 * (Lambda logs and the bucket's access logs: ids and keys only, expired by their retention).
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { archiveSegment } from '../../functions/archive/tasks.js';
import {
  type CandidateFindings,
  type CandidateSources,
  claimCheckPrefix,
  type InterviewRef,
  type OtherItem,
} from './candidate.js';
import { capped } from './format.js';
import { Progress, type ProgressStream } from './progress.js';
import { deleteEverywhere, type ObjectRef, readText } from './s3-objects.js';

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
  /**
   * Object keys and item keys (`pk / sk`) of the plan that contain the candidate's e-mail, name or pseudonym
   * (an `exports/jane@example.com.json`): printed as a digest, never as they are.
   */
  readonly keysNamingCandidate: ReadonlySet<string>;
  /** How many e-mails, names, pseudonyms and candidate ids were looked for (never which). */
  readonly identities: { emails: number; names: number; pseudonyms: number; candidateIds: number };
}

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

/** Whether a (lower-cased) text contains one of the candidate's needles. */
export const needleMatcher = (findings: CandidateFindings): ((text: string) => boolean) => {
  const namesCandidate = candidateNamer(findings);
  const tokens = idTokensOf(findings);
  const tokenPattern =
    tokens.length === 0
      ? undefined
      : new RegExp(`(?<![a-z0-9])(?:${tokens.map(escapeRegExp).join('|')})(?![a-z0-9])`);
  return (text) => namesCandidate(text) || (tokenPattern?.test(text) ?? false);
};

/** Reads other objects no larger than this to look for the needles (larger ones: by key only). */
const maxScannedObjectBytes = 1024 * 1024;

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
  const matches = needleMatcher(findings);
  const namesCandidate = candidateNamer(findings);
  const otherItems = sources.otherItems.filter((item: OtherItem) => matches(item.text));
  const otherObjects: string[] = [];
  // Objects under raw/ that are not deliveries were not parsed for the candidate: searched like any other.
  const unreadableRaw: ObjectRef[] = sources.unreadableRaw.map((key) => ({ key }));
  for (const ref of [...(sources.otherObjects as ObjectRef[]), ...unreadableRaw]) {
    if (matches(ref.key.toLowerCase())) {
      otherObjects.push(ref.key);
      continue;
    }
    if ((ref.size ?? 0) > maxScannedObjectBytes) continue;
    const text = (await readText(s3.client, s3.bucket, ref)).toLowerCase();
    if (matches(text)) otherObjects.push(ref.key);
  }
  const keysOf = (kind: 'raw' | 'claim-check') => [
    ...new Set(findings.events.flatMap((event) => (event.where.kind === kind ? [event.where.key] : []))),
  ];
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
    claimChecks: keysOf('claim-check').sort(),
    rawEvents: keysOf('raw').sort(),
    keysNamingCandidate: new Set(
      [...otherObjects, ...otherItems.map(tableKey)].filter((key) => namesCandidate(key.toLowerCase())),
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
    plan.rawEvents.length ===
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
  return lines;
};

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
  readonly mediaKeys: readonly string[];
}

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
    plan.rawEvents.length;
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

  await deleteItems(plan.archiveItems);
  const mediaDeleted = await deleteObjects([], plan.mediaPrefixes);
  media = mediaDeleted.count;
  progress.setTotal(total + media);
  await deleteItems(plan.otherItems);
  const otherObjects = (await deleteObjects(plan.otherObjects)).count;
  const claimChecks = (await deleteObjects(plan.claimChecks)).count;
  await deleteItems(plan.parked);
  const rawEvents = (await deleteObjects(plan.rawEvents)).count;
  await deleteItems(plan.states);
  progress.done();
  return { items, media, otherObjects, claimChecks, rawEvents, mediaKeys: mediaDeleted.deleted };
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
    `bucket: ${outcome.rawEvents} raw event ${objects}, ${outcome.claimChecks} claim-check ${objects}, ` +
      `${outcome.otherObjects} other ${objects}`,
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

/** Said after every erase: what it cannot reach. */
export const caveatLines = (
  queueDepths: ReadonlyArray<{ name: string; depth: number | undefined }>,
): string[] => {
  const busy = queueDepths.filter((queue) => queue.depth !== undefined && queue.depth > 0);
  const unknown = queueDepths.filter((queue) => queue.depth === undefined).map((queue) => queue.name);
  return [
    busy.length > 0
      ? `queues still hold messages (${busy.map((q) => `${q.name}: ${q.depth}`).join(', ')}): they may carry ` +
        'this candidate and re-create state when processed. Wait until the queues are empty (inspect the DLQs, ' +
        'then redrive or purge them), and run the erase again.'
      : queueDepths.length === 0 || unknown.length > 0
        ? `queues: not checked (${unknown.length > 0 ? `could not read ${unknown.join(', ')}` : 'no queue given'}): ` +
          'messages waiting there may carry this candidate and re-create state. Inspect the queues and their ' +
          'DLQs, and run the erase again once they are empty.'
        : 'queues: empty now. Messages in flight during the erase could still re-create an interview item or an archive: run the erase again to be sure.',
    "not touched: the ATS itself (notes, tags, stage: erase the candidate there too), the log adapter's " +
      "file, and the logs (Lambda logs and the bucket's access logs: ids and keys only; they expire with " +
      'their retention).',
  ];
};
