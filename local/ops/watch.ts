/**
 * `npm run ops -- watch`: deliveries as they arrive, one line each — time, where it was seen, vendor, event
 * type, outcome and the event's key (ids only, never a field of the payload).
 *
 * - Deployed (`--stage`): polls the ingest's and the worker's log groups with FilterLogEvents and turns the
 *   handlers' own log lines into outcomes: accepted, refused (status and reason), test delivery, not
 *   queued (5xx) from the ingest; processed, duplicate, retried, parked, dead-lettered from the worker.
 *   Polling rather than StartLiveTail: one plain request a test can stub, and `--since` looks back too.
 *   Only named fields of the lines are read, so nothing else a line may carry is ever printed.
 * - Local (no `--stage`): follows the running `npm start`'s console (its Server-Sent Events), whose recent
 *   events are what the worker was handed and what became of it. Refused deliveries never reach the worker,
 *   so locally they show in `npm start`'s own output only (said in the header).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import type { ConsoleEvent, ConsoleSnapshot } from '../console/snapshot.js';
import { StageError } from './errors.js';
import { parseWhen } from './raw-store.js';

export type Print = (line: string) => void;

/** Which log a line came from. */
export type DeliverySource = 'ingest' | 'worker' | 'local';

type Tone = 'good' | 'info' | 'warn' | 'bad';

/** One delivery or outcome, as printed. */
export interface DeliveryLine {
  readonly time: number;
  readonly source: DeliverySource;
  readonly vendor: string;
  readonly eventType: string;
  readonly outcome: string;
  readonly tone: Tone;
  /** The event's dedupe key (vendor ids), when the line names it. */
  readonly key?: string;
}

const toneColor: Record<Tone, number> = { good: 32, info: 36, warn: 33, bad: 31 };

/** `2024-05-01T12:00:01Z  ingest  round0  interview_ended  accepted  round0:evt_1`, coloured on a terminal. */
export const formatDeliveryLine = (line: DeliveryLine, color = false): string => {
  const time = new Date(line.time).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const outcome = color ? `\u001b[${toneColor[line.tone]}m${line.outcome}\u001b[0m` : line.outcome;
  return [
    time,
    line.source.padEnd(6),
    line.vendor.padEnd(7),
    line.eventType.padEnd(36),
    outcome,
    ...(line.key === undefined ? [] : [line.key]),
  ].join('  ');
};

/** Longest refusal reason printed (a schema refusal lists paths; the line stays readable). */
const maxReasonLength = 160;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const clip = (value: string) =>
  value.length > maxReasonLength ? `${value.slice(0, maxReasonLength)}…` : value;

/**
 * The handlers' messages (functions/ingest.ts, functions/worker.ts) and how each reads — every message the
 * filter below lets through (watch.test.ts reads the handlers' sources to hold them to it); only these fields
 * of a line are looked at: `vendor`, `eventType`, `known`, `status`, `error`, `reason`, `outcome`, `effects`
 * (keys only), `correlation_id` and `eventKey` (dedupe keys, made of vendor ids).
 */
const outcomes: Record<string, (fields: Record<string, unknown>) => { outcome: string; tone: Tone }> = {
  'webhook accepted': (f) => ({
    outcome: f.known === false ? 'accepted (a type this version does not know: ignored)' : 'accepted',
    tone: 'good',
  }),
  'test delivery received': () => ({ outcome: 'test delivery: accepted', tone: 'info' }),
  'test delivery acknowledged': () => ({ outcome: 'test delivery: acknowledged, no effect', tone: 'info' }),
  'webhook refused': (f) => ({
    outcome: `refused ${f.status ?? ''}: ${clip(text(f.reason) ?? text(f.error) ?? 'no reason logged')}`,
    tone: 'bad',
  }),
  'webhook not queued': (f) => ({
    outcome: `5xx not queued (${f.status ?? 500} ${text(f.error) ?? ''}): the vendor retries`,
    tone: 'bad',
  }),
  'duplicate event acknowledged': () => ({
    outcome: 'duplicate (processed before: nothing written)',
    tone: 'info',
  }),
  'event processed': (f) => {
    const effects = f.effects !== null && typeof f.effects === 'object' ? Object.keys(f.effects) : [];
    const detail = [
      ...(effects.length > 0 ? [`ATS: ${effects.join(', ')}`] : []),
      ...(text(f.reason) === undefined ? [] : [clip(text(f.reason) as string)]),
    ];
    return {
      outcome: `${text(f.outcome) ?? 'processed'}${detail.length > 0 ? ` (${detail.join('; ')})` : ''}`,
      tone: 'good',
    };
  },
  'event will be retried': (f) => ({ outcome: `retrying (${text(f.error) ?? 'error'})`, tone: 'warn' }),
  'message will be retried': (f) => ({
    outcome: `retrying before processing (${text(f.error) ?? 'error'}: the raw store or claim check)`,
    tone: 'warn',
  }),
  'test delivery acknowledged without its raw delivery kept': () => ({
    outcome: 'test delivery: acknowledged, no effect (its raw delivery not kept)',
    tone: 'info',
  }),
  'candidate not found in the ATS; event parked for replay': () => ({
    outcome: 'parked: candidate not found in the ATS (npm run ops -- parked unmatched)',
    tone: 'warn',
  }),
  'event failed permanently; dead-lettered': (f) => ({
    outcome: `dead-lettered: ${clip(text(f.reason) ?? text(f.error) ?? 'permanent failure')}`,
    tone: 'bad',
  }),
  'event kept failing; dead-lettered': (f) => ({
    outcome: `dead-lettered: ${clip(text(f.reason) ?? text(f.error) ?? 'kept failing')}`,
    tone: 'bad',
  }),
  'message kept failing before processing; dead-lettered': (f) => ({
    outcome: `dead-lettered before processing: ${clip(text(f.reason) ?? text(f.error) ?? 'kept failing')}`,
    tone: 'bad',
  }),
  'candidate not found in the ATS and the event could not be parked; dead-lettered': (f) => ({
    outcome: `dead-lettered: ${clip(text(f.reason) ?? 'candidate not found, not parked')}`,
    tone: 'bad',
  }),
  'unreadable message dead-lettered': () => ({ outcome: 'dead-lettered: unreadable message', tone: 'bad' }),
};

/**
 * CloudWatch Logs' text filter for those messages: only lines that may be deliveries leave AWS. Each term
 * is a phrase (`?` = or).
 */
export const deliveryFilterPattern = [
  'webhook accepted',
  'test delivery',
  'webhook refused',
  'webhook not queued',
  'duplicate event acknowledged',
  'event processed',
  'will be retried',
  'event parked for replay',
  'dead-lettered',
]
  .map((phrase) => `?"${phrase}"`)
  .join(' ');

/** A Powertools JSON log line as a delivery line; `undefined` for any other line. */
export const deliveryLineOf = (
  message: string,
  timestamp: number,
  source: DeliverySource,
): DeliveryLine | undefined => {
  // Lambda may put a text prefix before the JSON (the function's text log format).
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(message.slice(start)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const read = typeof fields.message === 'string' ? outcomes[fields.message] : undefined;
  if (read === undefined) return undefined;
  const key = text(fields.eventKey) ?? text(fields.correlation_id);
  return {
    time: timestamp,
    source,
    vendor: text(fields.vendor) ?? '-',
    eventType: text(fields.eventType) ?? '-',
    ...read(fields),
    ...(key === undefined ? {} : { key }),
  };
};

/**
 * `--since`: `30s`, `10m`, `2h`, `1d` ago, or a time as `ops replay` reads one (a UTC day `yyyy-mm-dd`, or an
 * ISO 8601 time with its offset); `undefined` for anything else — a bare `10` was read as a date of 2001, and
 * a time without an offset in the machine's time zone.
 */
export const parseSince = (value: string, now: number): Date | undefined => {
  const ago = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (ago !== null) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(ago[1]) * unit);
  }
  return parseWhen(value.trim(), 'start');
};

interface WatchOutput {
  readonly print: Print;
  /** ANSI colours (a terminal). @default false */
  readonly color?: boolean;
  /** Stops following (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Print what is there since `since`, then return instead of following. @default false */
  readonly once?: boolean;
  readonly since: Date;
}

export interface DeployedWatchOptions extends WatchOutput {
  readonly logs: CloudWatchLogsClient;
  readonly logGroups: { readonly ingest: string; readonly worker?: string };
  /** Between two polls. @default 2000 */
  readonly pollMs?: number;
  /**
   * How far back each poll looks again: CloudWatch Logs makes a line searchable some seconds after it was
   * written, with its original timestamp. @default 60000
   */
  readonly overlapMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

const aborted = (signal: AbortSignal | undefined) => signal?.aborted === true;

/** Sleeps `ms`; false when stopped meanwhile. */
const pause = async (ms: number, signal: AbortSignal | undefined): Promise<boolean> => {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
    return true;
  } catch {
    return false;
  }
};

/** Follows (or, with `once`, reads) a deployed stage's deliveries in its log groups. */
export const watchDeployed = async (options: DeployedWatchOptions): Promise<void> => {
  const now = options.now ?? Date.now;
  const overlapMs = options.overlapMs ?? 60_000;
  const groups = Object.entries(options.logGroups).filter(
    (entry): entry is [DeliverySource, string] => entry[1] !== undefined,
  );
  /** Log event ids printed, with their timestamps (forgotten once older than the window). */
  const printed = new Map<string, number>();
  let from = options.since.getTime();
  while (!aborted(options.signal)) {
    const until = now();
    const found: Array<{ id: string; line: DeliveryLine }> = [];
    for (const [source, logGroupName] of groups) {
      try {
        const pages = paginateFilterLogEvents(
          { client: options.logs },
          { logGroupName, startTime: from, endTime: until, filterPattern: deliveryFilterPattern },
        );
        for await (const page of pages) {
          for (const event of page.events ?? []) {
            const id = event.eventId ?? `${logGroupName}:${event.timestamp}:${event.message}`;
            if (printed.has(id) || event.message === undefined) continue;
            const line = deliveryLineOf(event.message, event.timestamp ?? until, source);
            if (line !== undefined) found.push({ id, line });
            else printed.set(id, event.timestamp ?? until);
          }
        }
      } catch (error) {
        if (aborted(options.signal)) return;
        if ((error as { name?: string }).name === 'ResourceNotFoundException') {
          throw new StageError(`log group ${logGroupName} does not exist: deploy the stage again`, {
            cause: error,
          });
        }
        throw error;
      }
    }
    found.sort((a, b) => a.line.time - b.line.time);
    for (const { id, line } of found) {
      printed.set(id, line.time);
      options.print(formatDeliveryLine(line, options.color));
    }
    if (options.once) return;
    from = Math.max(options.since.getTime(), until - overlapMs);
    for (const [id, time] of printed) if (time < from) printed.delete(id);
    if (!(await pause(options.pollMs ?? 2000, options.signal))) return;
  }
};

/** A row of the console's recent events as a line; `undefined` for a row without a time. */
export const consoleEventLine = (event: ConsoleEvent): DeliveryLine | undefined => {
  if (event.time === undefined) return undefined;
  const tone: Tone =
    event.outcome === 'done'
      ? 'good'
      : event.outcome === 'parked' || event.outcome.startsWith('failed')
        ? 'bad'
        : 'info';
  const repeated = (event.deliveries ?? 1) > 1 ? ` (delivered ${event.deliveries} times)` : '';
  return {
    time: Date.parse(event.time),
    source: 'local',
    vendor: event.vendor,
    eventType: event.type ?? '-',
    outcome: `${event.outcome}${event.detail === undefined ? '' : `: ${clip(event.detail)}`}${repeated}`,
    tone,
    key: event.dedupeKey,
  };
};

export interface LocalWatchOptions extends WatchOutput {
  /** The running console's page, `http://127.0.0.1:<port>/console`. */
  readonly consoleUrl: string;
}

/** Prints each row whose state is new since the last snapshot and whose time is `since` or later. */
const snapshotPrinter = (options: LocalWatchOptions) => {
  const states = new Map<string, string>();
  return (snapshot: ConsoleSnapshot) => {
    const lines: DeliveryLine[] = [];
    for (const event of snapshot.events) {
      const state = `${event.outcome}|${event.deliveries ?? 0}|${event.detail ?? ''}`;
      if (states.get(event.dedupeKey) === state) continue;
      states.set(event.dedupeKey, state);
      const line = consoleEventLine(event);
      if (line !== undefined && line.time >= options.since.getTime()) lines.push(line);
    }
    lines.sort((a, b) => a.time - b.time);
    for (const line of lines) options.print(formatDeliveryLine(line, options.color));
  };
};

/** Follows (or, with `once`, reads) the running `npm start`'s deliveries through its console. */
export const watchLocal = async (options: LocalWatchOptions): Promise<void> => {
  const base = options.consoleUrl.replace(/\/+$/, '');
  const printSnapshot = snapshotPrinter(options);
  const init = options.signal === undefined ? {} : { signal: options.signal };
  try {
    if (options.once) {
      const response = await fetch(`${base}/api/snapshot`, init);
      if (!response.ok) throw new StageError(`the local console answered ${response.status}`);
      printSnapshot((await response.json()) as ConsoleSnapshot);
      return;
    }
    const response = await fetch(`${base}/api/stream`, init);
    if (!response.ok || response.body === null) {
      throw new StageError(`the local console answered ${response.status}`);
    }
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      // Server-Sent Events: messages end with a blank line; the snapshot is on a `data:` line.
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const message = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const lines = message.split('\n');
        const data = lines
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice('data: '.length))
          .join('\n');
        if (data === '') continue;
        if (lines.includes('event: status')) {
          // The console could not read the stores (or can again): said once, as it changes.
          const status = JSON.parse(data) as { ok: boolean; since?: string };
          options.print(
            status.ok
              ? 'the local stores can be read again'
              : `the local console cannot read the stores since ${status.since ?? '?'} (see npm start's output)`,
          );
          continue;
        }
        printSnapshot(JSON.parse(data) as ConsoleSnapshot);
      }
    }
    options.print('the local pipeline stopped (npm start ended)');
  } catch (error) {
    if (aborted(options.signal)) return;
    // By name, not instanceof: fetch's TypeError may come from another realm (jest's VM modules, a worker).
    const refused = error as { readonly name?: unknown; readonly cause?: unknown } | undefined;
    if (refused?.name === 'TypeError' && String(refused.cause).includes('ECONNREFUSED')) {
      throw new StageError(`the local console (${base}) does not answer: is npm start running?`, {
        cause: error,
      });
    }
    throw error;
  }
};
