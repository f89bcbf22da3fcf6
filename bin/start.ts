/**
 * `npm start`: the whole pipeline on this machine — local API Gateway, ingest, SQS, worker, DynamoDB and
 * S3 — with data kept under `.data/` between runs. Ctrl-C drains work in flight; a second Ctrl-C quits.
 */
// Local only: Lambda runs Node 22; on this Node 20 machine the SDK would warn at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import { createAtsAdapter } from '../functions/ats/index.js';
import { stdoutPath } from '../functions/ats/log/adapter.js';
import { envNames } from '../functions/platform/env.js';
import { ConfigurationError } from '../functions/platform/errors.js';
import { resources } from '../lib/resources.js';
import { LocalPipelineError, LocalSecretsFileError } from '../local/errors.js';
import { prettyPrintPowertoolsLogs } from '../local/log.js';
import { ffmpegAvailable } from '../local/media/generate.js';
import { describeLostMessages, startLocalPipeline, type VendorApiSeed } from '../local/runtime.js';
import {
  dataDirFromEnv,
  removeRuntimeInfo,
  runtimeInfoFor,
  runtimeInfoPath,
  writeRuntimeInfo,
} from '../local/runtime-info.js';
import { defaultSecretsFilePath, ensureSecretsFile } from '../local/secrets-file.js';

// DATA_DIR and SECRETS_FILE let `npm run load` run a pipeline of its own that never touches `.data/`.
const dataDir = dataDirFromEnv(process.env);
const secretsFile = process.env.SECRETS_FILE ? resolve(process.env.SECRETS_FILE) : undefined;
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(2);
}

const consolePort = Number(process.env.CONSOLE_PORT ?? 3001);
if (!Number.isInteger(consolePort) || consolePort < 0 || consolePort > 65535) {
  console.error(`CONSOLE_PORT must be a port number, got "${process.env.CONSOLE_PORT}"`);
  process.exit(2);
}
/** Events queue visibility timeout (how soon a failed event is retried); the deployed value when unset. */
const eventsVisibilityTimeout = process.env.EVENTS_VISIBILITY_TIMEOUT_SECONDS
  ? Number(process.env.EVENTS_VISIBILITY_TIMEOUT_SECONDS)
  : undefined;
if (
  eventsVisibilityTimeout !== undefined &&
  !(Number.isInteger(eventsVisibilityTimeout) && eventsVisibilityTimeout > 0)
) {
  console.error(
    `EVENTS_VISIBILITY_TIMEOUT_SECONDS must be a positive integer, got "${process.env.EVENTS_VISIBILITY_TIMEOUT_SECONDS}"`,
  );
  process.exit(2);
}

/**
 * Why the pipeline could not start, printed as one sentence and the process ended: a problem of the set-up
 * (a port taken, a data directory in use, a broken secrets file) says what to fix; anything else is a bug
 * and keeps its stack.
 */
function cannotStart(error: unknown): never {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(
      `port ${port} is in use: stop what holds it or choose others, e.g. PORT=0 CONSOLE_PORT=0 npm start ` +
        '(free ports; npm run send finds them)',
    );
  } else if (error instanceof LocalPipelineError || error instanceof LocalSecretsFileError) {
    console.error(error.message);
  } else {
    console.error('the local pipeline could not start:', error);
  }
  process.exit(1);
}

const atsWritesFile = join(dataDir, 'ats-writes.jsonl');
// Unset or empty: the worker's default, the log adapter.
const atsAdapter = process.env[envNames.atsAdapter] || 'log';
const atsConfigText = process.env[envNames.atsConfig] || undefined;

/**
 * What is wrong with `ATS_ADAPTER`/`ATS_CONFIG`, checked as `cdk synth` checks a stage's `atsAdapter` and
 * `atsConfig` (lib/config/stage-config.ts: a known adapter, the schema its factory parses, no unknown key),
 * so that a setting the worker would refuse stops the start instead of dead-lettering every event. Only the
 * synth's rule that the deployed log adapter can only print is not checked: here it appends to a file.
 */
const atsSettingsProblem = async (): Promise<string | undefined> => {
  let config: unknown = {};
  if (atsConfigText !== undefined) {
    try {
      config = JSON.parse(atsConfigText);
    } catch {
      return `${envNames.atsConfig} is not valid JSON`;
    }
  }
  // The stage's schema reads an array as a record of its indexes ("unknown key(s): 0"): say it plainly.
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return `${envNames.atsConfig}: expected a JSON object of adapter settings`;
  }
  const { path } = config as { path?: unknown };
  const localLogPath = atsAdapter === 'log' && typeof path === 'string' && path !== '';
  // Imported only when there is something to check: the stage's schema loads aws-cdk-lib (about a second).
  const { stageConfigSchema } = await import('../lib/config/stage-config.js');
  const result = v.safeParse(stageConfigSchema, {
    atsAdapter,
    atsConfig: localLogPath ? { ...config, path: stdoutPath } : config,
  });
  if (result.success) return undefined;
  return result.issues
    .map((issue) =>
      v.getDotPath(issue) === 'atsAdapter'
        ? `${envNames.atsAdapter} "${atsAdapter}": ${issue.message}`
        : `${envNames.atsConfig}: ${issue.message}`,
    )
    .join('; ');
};

// Without ATS_ADAPTER and ATS_CONFIG the settings are the log adapter's own, below: nothing to check.
if (process.env[envNames.atsAdapter] || atsConfigText !== undefined) {
  const problem = await atsSettingsProblem();
  if (problem !== undefined) {
    console.error(
      `${problem} (the worker would dead-letter every event with it: fix it, or unset ` +
        `${envNames.atsAdapter} and ${envNames.atsConfig} for the log adapter)`,
    );
    process.exit(2);
  }
}

/**
 * An adapter that calls an ATS needs its credentials from the secrets file's `integration.ats` (the log
 * adapter needs none). The worker builds the adapter from them at its first event and dead-letters every
 * event when they are missing, so build it once here the same way (`createAtsAdapter`, which makes no
 * request): whether the ATS accepts them is `npm run ops -- doctor`'s to say, not a start's.
 */
let secretsFileCreated = false;
if (atsAdapter !== 'log') {
  const file = await ensureSecretsFile(secretsFile ?? defaultSecretsFilePath).catch(cannotStart);
  secretsFileCreated = file.created;
  try {
    createAtsAdapter(atsAdapter, JSON.parse(atsConfigText ?? '{}'), file.secrets.integration.ats);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) cannotStart(error);
    console.error(
      `${error.message} (the ${atsAdapter} adapter's credentials go in "integration.ats" of ` +
        `${file.path}${file.created ? ', created now' : ''}; the worker would dead-letter every event without them)`,
    );
    process.exit(1);
  }
}

// The handlers log Powertools JSON as deployed; here each line reaches the terminal as one readable line.
// LOG_FORMAT=json keeps the JSON (to pipe into jq).
if (process.env.LOG_FORMAT !== 'json') prettyPrintPowertoolsLogs();

/** Worker settings a developer may set in the shell to try a real ATS locally (credentials go in the secrets file). */
const passThrough = [
  envNames.atsCompletedStageId,
  envNames.atsScoreFieldId,
  envNames.slackNotifications,
].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string] as const] : []));
// The media fake makes its media with ffmpeg; without it the pipeline still runs, archiving nothing locally.
const media = await ffmpegAvailable();
const pipeline = await startLocalPipeline({
  dataDir,
  port,
  ...(secretsFile === undefined ? {} : { secretsFile }),
  ...(eventsVisibilityTimeout === undefined
    ? {}
    : { workerVisibilityTimeoutSeconds: eventsVisibilityTimeout }),
  // `npm run load` names a file of its traffic's interviews, for the vendor API fakes to know them too.
  vendorApis: process.env.VENDOR_API_SEED_FILE
    ? {
        seed: JSON.parse(await readFile(resolve(process.env.VENDOR_API_SEED_FILE), 'utf8')) as VendorApiSeed,
      }
    : true,
  media,
  console: { port: consolePort },
  env: {
    // The default ATS is the log adapter: it appends what the ATS would receive to .data/ats-writes.jsonl.
    [envNames.atsAdapter]: atsAdapter,
    // The log file's path is the log adapter's setting only; another adapter gets its own ATS_CONFIG or none.
    [envNames.atsConfig]:
      atsConfigText ?? (atsAdapter === 'log' ? JSON.stringify({ path: atsWritesFile }) : '{}'),
    ...Object.fromEntries(passThrough),
  },
}).catch(cannotStart);

/** Where the log adapter writes: the developer's own `path` (checked above), else `.data/ats-writes.jsonl`. */
function logAdapterTarget(): string {
  const { path } = JSON.parse(pipeline.env[envNames.atsConfig] ?? '{}') as { path?: string };
  return path === stdoutPath
    ? 'every ATS write is printed'
    : `every ATS write is appended to ${path ?? atsWritesFile}`;
}

// Lets `npm run ops` find the emulators (they listen on random ports).
await writeRuntimeInfo(dataDir, runtimeInfoFor(pipeline));

console.log(`interview-sync is running locally on ${pipeline.url}

Console: ${pipeline.consoleUrl}   (events, interviews, effects, parked, dead letters, archived media)

Webhook URLs (register these with the vendors, or use npm run send):
  ROUND0  POST ${pipeline.webhookUrls.round0}   (signed with X-Webhook-Signature)
  micro1  POST ${pipeline.webhookUrls.micro1}

Secrets: ${pipeline.secretsFile.path}${
  pipeline.secretsFile.created || secretsFileCreated ? '  (created now with random values; git-ignored)' : ''
}
Data:    ${dataDir}  (DynamoDB and S3 survive a restart; SQS messages do not)
ATS:     ${pipeline.env[envNames.atsAdapter]} adapter${
  pipeline.env[envNames.atsAdapter] === 'log' ? `: ${logAdapterTarget()}` : ''
}
Vendor APIs (local fakes used for enrichment): ROUND0 ${pipeline.vendorApiUrls?.round0}, micro1 ${pipeline.vendorApiUrls?.micro1}
${
  pipeline.media === undefined
    ? 'Media:   no media fake (ffmpeg is not on the PATH: apt-get install -y ffmpeg), so nothing is archived locally'
    : `Media:   ${pipeline.media.url}  (local media fake; ${
        pipeline.media.generation.cached
          ? 'media reused from'
          : `media made in ${(pipeline.media.generation.milliseconds / 1000).toFixed(1)} s into`
      } ${pipeline.media.dir})
         ROUND0 audio_urls point here; archives land in S3 under ${resources.bucket.archivePrefix}
Archive a recording:  npm run send -- micro1 interview_report.created.local   (report PDF + screen recording)
                      npm run send -- micro1 interview_webcam_recording.completed.local
  (the vendors' own micro1 samples name micro1.ai URLs: with internet micro1 refuses them and the task is
   parked as failed (npm run ops -- parked failed); offline they are retried, and parked after 5 receives, ~6 h)`
}

Send a sample:  npm run send -- round0 interview_ended   (archives each answer's audio)
List samples:   npm run send -- --list
Parked events:  npm run ops -- parked unmatched   (replay: npm run ops -- replay unmatched --all)
Logs:    one line per entry (LOG_FORMAT=json npm start keeps the handlers' Powertools JSON)
Ctrl-C stops (waits for requests and batches in flight); press it twice to quit at once.`);

let stoppingSince: number | undefined;
const shutdown = (signal: NodeJS.Signals) => {
  // Ctrl-C reaches this process twice at once: from the terminal (the whole process group) and relayed by
  // npm/tsx. Only a second press, a moment later, means "quit now".
  if (stoppingSince !== undefined) {
    if (Date.now() - stoppingSince < 1000) return;
    console.error(`\n${signal} again: exiting without waiting`);
    // Synchronously: a runtime.json left behind would send `npm run ops` to ports nobody listens on.
    rmSync(runtimeInfoPath(dataDir), { force: true });
    process.exit(130);
  }
  stoppingSince = Date.now();
  console.error(`\n${signal}: stopping — draining requests in flight and the events queue (up to 30 s)…`);
  Promise.all([pipeline.stop({ drainQueueMs: 30_000 }), removeRuntimeInfo(dataDir)]).then(
    ([{ lostMessages }]) => {
      const lost = describeLostMessages(lostMessages);
      if (lost !== undefined) console.error(lost);
      console.error('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      console.error('stop failed', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
