/**
 * The pipeline `npm run load` runs against: `npm start` itself (`bin/start.ts`) in a child process, so the
 * load generator never shares the pipeline's event loop, with a fresh temporary data directory and secrets
 * file of its own (`.data/` and `secrets.local.json` are never touched), free ports, the `log` ATS adapter
 * (whatever ATS the shell names), and the vendor API and media fakes as `npm start` starts them, the API fakes
 * also knowing the traffic's interviews (`vendorApiSeed`, through `VENDOR_API_SEED_FILE`). Its output
 * (Powertools JSON at `logLevel`, EMF metrics) goes to `pipeline.log` in the data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { envNames } from '../../functions/platform/env.js';
import { LocalPipelineError } from '../errors.js';
import type { VendorApiSeed } from '../runtime.js';
import { type RuntimeInfo, readRuntimeInfo } from '../runtime-info.js';
import { type LocalSecrets, readSecretsFile } from '../secrets-file.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface LoadPipelineOptions {
  /** Visibility timeout of the events queue (how soon a failed event is retried). @default the deployed one */
  readonly eventsVisibilityTimeoutSeconds?: number;
  /** Powertools log level of the handlers. @default 'WARN' */
  readonly logLevel?: string;
  /** How long to wait for the pipeline to serve. @default 120000 */
  readonly startTimeoutMs?: number;
  /** Keep the data directory after `stop` (to look at the ledger or the log). @default false */
  readonly keepData?: boolean;
  /** What the vendor API fakes know besides the samples: the traffic's interviews. @default nothing more */
  readonly vendorApiSeed?: VendorApiSeed;
}

export interface LoadPipeline {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly dataDir: string;
  /** The log adapter's file: one line per ATS write. */
  readonly atsWritesFile: string;
  readonly logFile: string;
  readonly info: RuntimeInfo;
  readonly secrets: LocalSecrets;
  /** An SQS client of the pipeline's emulator. */
  readonly sqs: SQSClient;
  /**
   * Stops the child (SIGTERM: it drains what is in flight) and keeps the data directory: the ATS file can
   * be read once nothing can write to it any more. The emulators stop with it.
   */
  stopProcesses(): Promise<void>;
  /** `stopProcesses`, then removes the data directory. */
  stop(): Promise<void>;
}

/** Settings of the shell that would send the writes to another ATS or to Slack. */
const atsSettings = [
  envNames.atsAdapter,
  envNames.atsConfig,
  envNames.atsCompletedStageId,
  envNames.atsScoreFieldId,
  envNames.slackNotifications,
];

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** Starts `bin/start.ts` in a child process and resolves once it serves (its runtime info written). */
export const startLoadPipeline = async (options: LoadPipelineOptions = {}): Promise<LoadPipeline> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'interview-sync-load-'));
  const logFile = join(dataDir, 'pipeline.log');
  const log = createWriteStream(logFile);
  const seedFile = join(dataDir, 'vendor-api-seed.json');
  if (options.vendorApiSeed !== undefined) await writeFile(seedFile, JSON.stringify(options.vendorApiSeed));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...atsSettings, 'NODE_OPTIONS', 'VENDOR_API_SEED_FILE']) delete env[name];
  Object.assign(env, {
    DATA_DIR: dataDir,
    SECRETS_FILE: join(dataDir, 'secrets.local.json'),
    PORT: '0',
    CONSOLE_PORT: '0',
    LOG_FORMAT: 'json',
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(options.vendorApiSeed === undefined ? {} : { VENDOR_API_SEED_FILE: seedFile }),
    ...(options.eventsVisibilityTimeoutSeconds === undefined
      ? {}
      : { EVENTS_VISIBILITY_TIMEOUT_SECONDS: String(options.eventsVisibilityTimeoutSeconds) }),
  });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/start.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log, { end: false });

  const removeData = () =>
    options.keepData ? Promise.resolve() : rm(dataDir, { recursive: true, force: true });
  let stopping: Promise<void> | undefined;
  const stopChild = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // It waits for the queue (empty by now) and requests in flight; past 40 s it is stuck.
        const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
        await exited(child);
        clearTimeout(killer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    })();
    return stopping;
  };

  try {
    // The banner's first line names the API's URL; it is printed after the runtime info is written.
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new LocalPipelineError(
              `the pipeline did not start within ${options.startTimeoutMs ?? 120_000} ms`,
            ),
          ),
        options.startTimeoutMs ?? 120_000,
      );
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        const match = /running locally on (http:\/\/\S+)/.exec(line);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new LocalPipelineError(`the pipeline exited (${signal ?? code}) before serving`));
      });
    });
    const info = await readRuntimeInfo(dataDir);
    if (info === undefined) throw new LocalPipelineError(`no runtime info in ${dataDir}`);
    const secrets = await readSecretsFile(info.secretsFile ?? join(dataDir, 'secrets.local.json'));
    const sqs = new SQSClient({
      region: info.region,
      endpoint: info.endpoints.sqs,
      credentials: info.credentials,
    });
    return {
      url,
      dataDir,
      atsWritesFile: join(dataDir, 'ats-writes.jsonl'),
      logFile,
      info,
      secrets,
      sqs,
      stopProcesses: async () => {
        sqs.destroy();
        await stopChild();
      },
      stop: async () => {
        sqs.destroy();
        await stopChild();
        await removeData();
      },
    };
  } catch (error) {
    await stopChild();
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
    await removeData();
    throw new LocalPipelineError(`${(error as Error).message}\n${tail}`, { cause: error });
  }
};
