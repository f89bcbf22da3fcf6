/**
 * `npm run ops -- status <interview id | e-mail>`: what the system knows of an interview — its ledger item
 * (status, ids and links, ATS match, every event and every ATS write with its outcome), its archive
 * (manifest objects and batches) and its parked events with their reasons. By e-mail: every interview of
 * the candidate (found as `erase` finds them: raw events, claim checks, parked events, the ledger), each
 * printed the same way.
 *
 * Never printed: an e-mail, a name, a note, a transcript. Fields are printed only when they are ids or links
 * (names ending in `Id`, `Url`, `Link`, `Location`), a link whose query looks like a credential (a
 * presigned or tokenised URL) without its query; other fields are named without their value.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { archiveManifestPk } from '../../functions/archive/manifest.js';
import { withoutQuery } from '../../functions/archive/types.js';
import { interviewStatePk } from '../../functions/ledger/interview-ledger.js';
import { type EffectRecord, type EventRecord, isSettling } from '../../functions/ledger/interview-state.js';
import type { ParkedEvent, ParkingLot } from '../../functions/ledger/parking-lot.js';
import { effectKeyForLog } from '../../functions/sync/plan.js';
import { type InterviewRef, interviewsOf, refId } from './candidate.js';
import { humanSize } from './format.js';

/** The interviews an id may name: a ROUND0 interview id, a micro1 report id, or a full micro1 key. */
export const interviewsForId = (id: string): InterviewRef[] => {
  if (/^(report|session|applicant):/.test(id)) return [{ vendor: 'micro1', interviewKey: id }];
  return [
    { vendor: 'round0', interviewKey: id },
    { vendor: 'micro1', interviewKey: `report:${id}` },
    { vendor: 'micro1', interviewKey: `applicant:${id}` },
  ];
};

export interface InterviewRecord {
  readonly ref: InterviewRef;
  readonly state?: Record<string, unknown>;
  readonly archive: ReadonlyArray<Record<string, unknown>>;
  readonly parked: readonly ParkedEvent[];
}

export interface StatusReader {
  readonly dynamodb: DynamoDBClient;
  readonly table: string;
  readonly parking: Pick<ParkingLot, 'each'>;
}

/** Reads the ledger item, the archive partition and the parked events of each interview. */
export const readInterviews = async (
  reader: StatusReader,
  refs: readonly InterviewRef[],
): Promise<InterviewRecord[]> => {
  const document = DynamoDBDocumentClient.from(reader.dynamodb);
  // Read once for all the refs, a page at a time, keeping only theirs: thousands may be parked after an
  // outage, each envelope up to ~350 KiB.
  const wanted = new Map(refs.map((ref) => [refId(ref), [] as ParkedEvent[]]));
  for (const kind of ['unmatched', 'failed'] as const) {
    for await (const entry of reader.parking.each(kind)) {
      for (const id of new Set(interviewsOf(entry.event).map(refId))) wanted.get(id)?.push(entry);
    }
  }
  const records: InterviewRecord[] = [];
  for (const ref of refs) {
    const { Item } = await document.send(
      new GetCommand({
        TableName: reader.table,
        Key: { pk: interviewStatePk(ref.vendor, ref.interviewKey), sk: 'STATE' },
        ConsistentRead: true,
      }),
    );
    const archive: Array<Record<string, unknown>> = [];
    for await (const page of paginateQuery(
      { client: document },
      {
        TableName: reader.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': archiveManifestPk(ref.vendor, ref.interviewKey) },
        ConsistentRead: true,
      },
    )) {
      archive.push(...(page.Items ?? []));
    }
    records.push({
      ref,
      ...(Item === undefined ? {} : { state: Item }),
      archive,
      parked: wanted.get(refId(ref)) ?? [],
    });
  }
  return records;
};

export const isFound = (record: InterviewRecord): boolean =>
  record.state !== undefined || record.archive.length > 0 || record.parked.length > 0;

const idOrLink = /(Id|Url|Link|Location)$/;

/** Query parameters of signed or tokenised URLs: such a query is a credential and is never printed. */
const credentialQuery = /(signature|x-amz-|token|sig=|expires|credential|policy|key=|auth)/i;

const printableLink = (value: string): string => {
  const query = value.indexOf('?');
  return query >= 0 && credentialQuery.test(value.slice(query)) ? withoutQuery(value) : value;
};

const fieldLines = (fields: Record<string, unknown>): string[] => {
  const shown: string[] = [];
  const hidden: string[] = [];
  for (const [name, value] of Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))) {
    if (idOrLink.test(name) && typeof value === 'string') {
      shown.push(`${name}=${/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? printableLink(value) : value}`);
    } else if (value !== undefined && value !== null) {
      hidden.push(name);
    }
  }
  return [
    `  fields: ${shown.length === 0 ? 'none' : shown.join(', ')}`,
    ...(hidden.length === 0 ? [] : [`  other fields (values not shown): ${hidden.join(', ')}`]),
  ];
};

const eventLine = (key: string, record: EventRecord, now: number): string => {
  const state = record.done
    ? 'done'
    : record.parked
      ? 'parked'
      : record.owner !== undefined && (record.leaseUntil ?? 0) >= now
        ? `in progress (lease until ${new Date(record.leaseUntil ?? 0).toISOString()})`
        : 'unfinished (released: a redelivery or replay processes it)';
  return `    ${key}  ${state}${record.advanced ? ', advanced the status' : ''}`;
};

const effectLine = (key: string, record: EffectRecord, now: number): string => {
  const until = new Date(record.leaseUntil ?? 0).toISOString();
  const parts = [
    record.state,
    ...(record.state === 'claimed' && (record.leaseUntil ?? 0) >= now
      ? [`being made (lease until ${until})`]
      : []),
    ...(isSettling(record, now) ? [`no answer: may still land, left alone until ${until}`] : []),
    `attempts ${record.attempts}`,
    ...(record.outcome === undefined ? [] : [`outcome ${record.outcome}`]),
    ...(record.eventKey === undefined ? [] : [`by ${record.eventKey}`]),
    ...(record.parts === undefined || record.parts.length === 0
      ? []
      : [`parts ${record.parts.map(effectKeyForLog).join(' ')}`]),
  ];
  // Without the candidate's scores (a score field's and a proctoring part's keys carry them), as the
  // worker's log lines show them.
  return `    ${effectKeyForLog(key)}  ${parts.join(', ')}`;
};

/** The lines of one interview. */
export const interviewLines = (record: InterviewRecord, now: number = Date.now()): string[] => {
  const { ref, state } = record;
  const lines = [`${ref.vendor} interview ${ref.interviewKey}`];
  if (state === undefined) {
    lines.push('  ledger: no item (no event of it was processed, it expired, or it was erased)');
  } else {
    // `<at> <tie>`, or `{at, eventKey}` in an item written before stamps were strings.
    const stamp =
      typeof state.statusStamp === 'string'
        ? { at: state.statusStamp.split(' ')[0] }
        : (state.statusStamp as { at?: string } | undefined);
    lines.push(
      `  status: ${state.status === undefined ? 'none yet (only fields-only events)' : `${String(state.status)} (rank ${String(state.rank)}${stamp?.at ? `, as of ${stamp.at}` : ''})`}` +
        `, version ${String(state.version ?? 0)}${state.updatedAt ? `, updated ${String(state.updatedAt)}` : ''}`,
    );
    if (typeof state.closedBy === 'string') {
      lines.push(`  closed by ${state.closedBy}: that interview item writes its ATS status`);
    }
    const match = state.atsMatch as
      | { candidateId?: string; applicationId?: string; stageAtStart?: string }
      | undefined;
    lines.push(
      match?.candidateId === undefined
        ? '  ATS match: none yet'
        : `  ATS match: candidate ${match.candidateId}${match.applicationId ? `, application ${match.applicationId}` : ''}${match.stageAtStart ? `, stage at start ${match.stageAtStart}` : ''}`,
    );
    lines.push(...fieldLines((state.fields ?? {}) as Record<string, unknown>));
    const events = Object.entries((state.events ?? {}) as Record<string, EventRecord>).sort(([a], [b]) =>
      a.localeCompare(b),
    );
    lines.push(`  events (${events.length}):`, ...events.map(([key, e]) => eventLine(key, e, now)));
    const effects = Object.entries((state.effects ?? {}) as Record<string, EffectRecord>).sort(([a], [b]) =>
      a.localeCompare(b),
    );
    lines.push(`  ATS writes (${effects.length}):`, ...effects.map(([key, e]) => effectLine(key, e, now)));
  }
  const objects = record.archive.filter((item) => String(item.sk).startsWith('interviews/'));
  const batches = record.archive.filter((item) => String(item.sk).startsWith('BATCH#'));
  const bytes = objects.reduce((sum, item) => sum + Number(item.size ?? 0), 0);
  lines.push(`  archive: ${objects.length} object(s), ${humanSize(bytes)}`);
  for (const item of objects) {
    lines.push(
      `    ${String(item.sk)}  ${humanSize(Number(item.size ?? 0))}  ${String(item.contentType ?? '')}`,
    );
  }
  lines.push(`  archive batches (${batches.length}):`);
  for (const item of batches) {
    const done = item.done instanceof Set ? [...(item.done as Set<string>)].sort() : [];
    lines.push(
      `    ${String(item.sk).slice('BATCH#'.length)}  ${item.completedAt ? `complete at ${String(item.completedAt)}` : 'incomplete'}` +
        `  (archived: ${done.length === 0 ? 'none' : done.join(', ')})`,
    );
  }
  lines.push(`  parked (${record.parked.length}):`);
  for (const entry of record.parked) {
    lines.push(
      `    ${entry.kind}  ${entry.parkedAt}  ${entry.eventType}  ${entry.dedupeKey}  — ${entry.reason}`,
    );
  }
  return lines;
};
