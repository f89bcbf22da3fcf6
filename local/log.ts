/**
 * Where the local runtime reports what it does (requests served, batches polled). The handlers log
 * through Powertools on their own; these lines are the stand-ins for API Gateway access logs and the SQS
 * event source mapping, so they carry route keys and ids, never paths with tokens or bodies.
 */
export interface LocalLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const line = (level: string, message: string, fields?: Record<string, unknown>): string =>
  `[local] ${level} ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`;

/** Writes to stderr so that stdout stays for what a command prints on purpose. */
export const consoleLog: LocalLog = {
  info: (message, fields) => console.error(line('info', message, fields)),
  warn: (message, fields) => console.error(line('warn', message, fields)),
  error: (message, fields) => console.error(line('error', message, fields)),
};

/** Drops everything (tests). */
export const silentLog: LocalLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
