/**
 * Where a running `npm start` can be reached: written to `.data/runtime.json` on start, removed on stop,
 * so tools (`npm run ops`, `npm run send`) find the emulators and the media fake, which listen on random
 * ports.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resources } from '../lib/resources.js';
import { isRunning, localAws } from './emulators.js';

/**
 * Where `npm start` keeps its data and runtime info: `DATA_DIR` (`npm run load` runs a pipeline of its own
 * that never touches `.data/`), else the repository's `.data/`. `npm run send` reads it the same way.
 */
export const dataDirFromEnv = (env: Readonly<Record<string, string | undefined>>): string =>
  env.DATA_DIR ? resolve(env.DATA_DIR) : fileURLToPath(new URL('../.data/', import.meta.url));

export interface RuntimeInfo {
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string; readonly s3: string };
  readonly eventsQueueUrl: string;
  /**
   * Every queue of the pipeline (`npm run ops -- redrive` moves DLQ messages back to their source queue).
   * Absent in the file of an `npm start` of an earlier version.
   */
  readonly queueUrls?: {
    readonly events: string;
    readonly deadLetter?: string;
    readonly archive?: string;
    readonly archiveDeadLetter?: string;
  };
  readonly ledgerTable: string;
  readonly bucket: string;
  /** Origin of the local media fake, when it runs (`npm run send` fills `{{media}}` in media fixtures). */
  readonly mediaUrl?: string;
  /**
   * The secrets file the handlers read (`npm run ops -- erase` computes the e-mail pseudonym with its
   * `pseudonymKey`, as the ATS adapters do).
   */
  readonly secretsFile?: string;
  /** The local console's page, when it runs (`npm run ops -- watch` follows its events). */
  readonly consoleUrl?: string;
  /** The HTTP API's origin (`npm run send` posts there when `PORT` is not set). */
  readonly apiUrl?: string;
  /**
   * The process that wrote it: a file whose process is gone (a closed terminal, a crash) is read as no
   * pipeline running, not as ports nobody listens on. Absent in the file of an earlier version.
   */
  readonly pid?: number;
}

/** The record for emulators (or a pipeline) reachable at `endpoints`, with the resources of `lib/resources.ts`. */
export const runtimeInfoFor = (emulators: {
  readonly endpoints: RuntimeInfo['endpoints'];
  readonly queueUrls: NonNullable<RuntimeInfo['queueUrls']>;
  readonly media?: { readonly url: string };
  readonly secretsFile?: { readonly path: string };
  readonly consoleUrl?: string;
  /** The HTTP API's origin, for a pipeline. */
  readonly url?: string;
}): RuntimeInfo => ({
  region: localAws.region,
  credentials: localAws.credentials,
  endpoints: emulators.endpoints,
  eventsQueueUrl: emulators.queueUrls.events,
  queueUrls: {
    events: emulators.queueUrls.events,
    ...(emulators.queueUrls.deadLetter === undefined ? {} : { deadLetter: emulators.queueUrls.deadLetter }),
    ...(emulators.queueUrls.archive === undefined ? {} : { archive: emulators.queueUrls.archive }),
    ...(emulators.queueUrls.archiveDeadLetter === undefined
      ? {}
      : { archiveDeadLetter: emulators.queueUrls.archiveDeadLetter }),
  },
  ledgerTable: resources.ledgerTable.name,
  bucket: resources.bucket.name,
  ...(emulators.media === undefined ? {} : { mediaUrl: emulators.media.url }),
  ...(emulators.secretsFile === undefined ? {} : { secretsFile: emulators.secretsFile.path }),
  ...(emulators.consoleUrl === undefined ? {} : { consoleUrl: emulators.consoleUrl }),
  ...(emulators.url === undefined ? {} : { apiUrl: emulators.url }),
  pid: process.pid,
});

export const runtimeInfoPath = (dataDir: string) => join(dataDir, 'runtime.json');

export const writeRuntimeInfo = (dataDir: string, info: RuntimeInfo) =>
  writeFile(runtimeInfoPath(dataDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });

export const removeRuntimeInfo = (dataDir: string) => rm(runtimeInfoPath(dataDir), { force: true });

export const readRuntimeInfo = async (dataDir: string): Promise<RuntimeInfo | undefined> => {
  let info: RuntimeInfo;
  try {
    info = JSON.parse(await readFile(runtimeInfoPath(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
  // Left behind by an npm start that did not stop cleanly.
  return typeof info.pid === 'number' && !isRunning(info.pid) ? undefined : info;
};
