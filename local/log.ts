/**
 * Logs of the local runtime, for a person at a terminal.
 *
 * - {@link LocalLog}: where the local runtime reports what it does (requests served, batches polled). The
 *   handlers log through Powertools on their own; these lines are the stand-ins for API Gateway access logs
 *   and the SQS event source mapping, so they carry route keys and ids, never paths with tokens or bodies.
 * - {@link prettyPrintPowertoolsLogs}: `npm start` turns the handlers' Powertools JSON lines into one
 *   compact line each (`time LEVEL service message key=value …`) as they reach the terminal. The handlers
 *   are untouched and log JSON exactly as deployed: the rewriting happens on this process's stdout/stderr,
 *   the way `pino-pretty` sits after a pino app. Why not Powertools' own switches: `POWERTOOLS_DEV=true`
 *   only indents the JSON (a dozen lines per entry) and also turns metrics off and makes Powertools think it
 *   is not in Lambda (cold starts); a custom `LogFormatter` cannot leave JSON (the Logger stringifies what it
 *   returns) and would be code in the deployed bundle.
 */
export interface LocalLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Keys every Powertools entry carries that say nothing to a person reading a local run. */
const noiseKeys = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
  'cold_start',
]);

const ansi = { red: 31, yellow: 33, cyan: 36, grey: 90 } as const;
const paint = (color: boolean, code: number, text: string) =>
  color ? `\u001b[${code}m${text}\u001b[0m` : text;

/** `value` as it reads in `key=value`: bare when it is a word, quoted JSON otherwise. */
const fieldValue = (value: unknown): string => {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
};

/** `HH:MM:SS.mmm` of an ISO time in local time (the date is the terminal's today). */
const clock = (iso: unknown): string => {
  const date = typeof iso === 'string' || typeof iso === 'number' ? new Date(iso) : new Date();
  if (Number.isNaN(date.getTime())) return String(iso);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
};

const levelColor = (level: string) =>
  level === 'ERROR' || level === 'CRITICAL' ? ansi.red : level === 'WARN' ? ansi.yellow : ansi.cyan;

export interface LineFormat {
  /** ANSI colours for the level and the quiet parts. @default false */
  readonly color?: boolean;
}

/** One compact line: `time LEVEL service message key=value …`, plus an error's stack indented below. */
export const formatLogLine = (
  entry: {
    readonly timestamp?: unknown;
    readonly level: string;
    readonly service: string;
    readonly message: string;
  },
  fields: Readonly<Record<string, unknown>>,
  format: LineFormat = {},
): string => {
  const color = format.color ?? false;
  const level = entry.level.toUpperCase();
  const parts: string[] = [];
  let stack: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const error = value as { name?: unknown; message?: unknown; stack?: unknown } | null;
    if (
      typeof error === 'object' &&
      error !== null &&
      typeof error.message === 'string' &&
      'stack' in error
    ) {
      // Powertools' error shape: name, location, message, stack (a string, or lines under POWERTOOLS_DEV).
      parts.push(`${key}=${fieldValue(`${String(error.name ?? 'Error')}: ${error.message}`)}`);
      const lines = Array.isArray(error.stack)
        ? error.stack.map(String)
        : String(error.stack ?? '').split('\n');
      stack = lines.slice(1).map((line) => `    ${line.trim()}`);
      continue;
    }
    parts.push(`${key}=${fieldValue(value)}`);
  }
  const head = [
    paint(color, ansi.grey, clock(entry.timestamp)),
    paint(color, levelColor(level), level.padEnd(5)),
    paint(color, ansi.grey, entry.service.padEnd(8)),
    entry.message,
  ].join(' ');
  const line = parts.length === 0 ? head : `${head} ${paint(color, ansi.grey, parts.join(' '))}`;
  return [line, ...stack.filter((l) => l.trim() !== '').map((l) => paint(color, ansi.grey, l))].join('\n');
};

/**
 * A Powertools JSON line (a log entry, or an EMF metrics blob) as one compact line; `undefined` for any
 * other text, which is left as it is.
 */
export const prettyPowertoolsLine = (line: string, format: LineFormat = {}): string | undefined => {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) return undefined;
  const aws = entry._aws as
    | { Timestamp?: number; CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name?: string; Unit?: string }> }> }
    | undefined;
  if (aws !== undefined) {
    // EMF: the metric values sit next to `_aws`; the rest are dimensions and metadata.
    const names = new Set((aws.CloudWatchMetrics ?? []).flatMap((m) => m.Metrics ?? []).map((m) => m.Name));
    const { _aws, service, ...rest } = entry;
    const metrics = Object.fromEntries(Object.entries(rest).filter(([key]) => names.has(key)));
    const dimensions = Object.fromEntries(Object.entries(rest).filter(([key]) => !names.has(key)));
    return formatLogLine(
      {
        timestamp: aws.Timestamp,
        level: 'METRIC',
        service: String(service ?? ''),
        message: fieldsText(metrics),
      },
      dimensions,
      format,
    );
  }
  if (typeof entry.level !== 'string' || typeof entry.message !== 'string' || !('timestamp' in entry))
    return undefined;
  const fields = Object.fromEntries(Object.entries(entry).filter(([key]) => !noiseKeys.has(key)));
  const requestId = typeof entry.function_request_id === 'string' ? entry.function_request_id : undefined;
  return formatLogLine(
    {
      timestamp: entry.timestamp,
      level: entry.level,
      service: String(entry.service ?? ''),
      message: entry.message,
    },
    // The invocation's id, shortened: enough to tell concurrent batches apart.
    { ...fields, ...(requestId === undefined ? {} : { req: requestId.slice(0, 8) }) },
    format,
  );
};

const fieldsText = (fields: Readonly<Record<string, unknown>>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key}=${fieldValue(value)}`)
    .join(' ');

/**
 * Rewrites every Powertools JSON line written to `streams` as {@link prettyPowertoolsLine} (the Logger's
 * and Metrics' consoles write one whole line per call); anything else passes through untouched.
 *
 * @returns a function that restores the streams' own `write`.
 */
export const prettyPrintPowertoolsLogs = (
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): (() => void) => {
  const restores = streams.map((stream) => {
    const write = stream.write;
    const color = stream.isTTY === true && process.env.NO_COLOR === undefined;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.endsWith('\n')) {
        const pretty = prettyPowertoolsLine(chunk, { color });
        if (pretty !== undefined)
          return (write as (...args: unknown[]) => boolean).call(stream, `${pretty}\n`, ...rest);
      }
      return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
};

/** The local runtime's own lines, in the same compact format, on stderr (stdout stays for output). */
const localLine =
  (level: string) =>
  (message: string, fields: Record<string, unknown> = {}): void => {
    console.error(
      formatLogLine({ timestamp: new Date().toISOString(), level, service: 'local', message }, fields, {
        color: process.stderr.isTTY === true && process.env.NO_COLOR === undefined,
      }),
    );
  };

/** Writes to stderr so that stdout stays for what a command prints on purpose. */
export const consoleLog: LocalLog = {
  info: localLine('INFO'),
  warn: localLine('WARN'),
  error: localLine('ERROR'),
};

/** Drops everything (tests). */
export const silentLog: LocalLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
