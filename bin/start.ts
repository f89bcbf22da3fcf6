/**
 * `npm start`: the whole pipeline on this machine — local API Gateway, ingest, SQS, worker, DynamoDB and
 * S3 — with data kept under `.data/` between runs. Ctrl-C drains work in flight; a second Ctrl-C quits.
 */
// Local only: Lambda runs Node 22; on this Node 20 machine the SDK would warn at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { fileURLToPath } from 'node:url';
import { envNames } from '../functions/platform/env.js';
import { LocalPipelineError } from '../local/errors.js';
import { startLocalPipeline } from '../local/runtime.js';
import { removeRuntimeInfo, runtimeInfoFor, writeRuntimeInfo } from '../local/runtime-info.js';

const dataDir = fileURLToPath(new URL('../.data/', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(2);
}

const atsWritesFile = `${dataDir}ats-writes.jsonl`;
/** Worker settings a developer may set in the shell to try a real ATS locally (credentials go in the secrets file). */
const passThrough = [
  envNames.atsAdapter,
  envNames.atsConfig,
  envNames.atsCompletedStageId,
  envNames.atsScoreFieldId,
  envNames.slackNotifications,
].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string] as const] : []));
const pipeline = await startLocalPipeline({
  dataDir,
  port,
  vendorApis: true,
  env: {
    // The default ATS is the log adapter: it appends what the ATS would receive to .data/ats-writes.jsonl.
    [envNames.atsAdapter]: 'log',
    [envNames.atsConfig]: JSON.stringify({ path: atsWritesFile }),
    ...Object.fromEntries(passThrough),
  },
}).catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`port ${port} is in use: stop what holds it or choose another, e.g. PORT=3001 npm start`);
  } else if (error instanceof LocalPipelineError) {
    console.error(error.message);
  } else {
    console.error('the local pipeline could not start:', error);
  }
  process.exit(1);
});

// Lets `npm run ops` find the emulators (they listen on random ports).
await writeRuntimeInfo(dataDir, runtimeInfoFor(pipeline));

console.log(`interview-sync is running locally on ${pipeline.url}

Webhook URLs (register these with the vendors, or use npm run send):
  ROUND0  POST ${pipeline.webhookUrls.round0}   (signed with X-Webhook-Signature)
  micro1  POST ${pipeline.webhookUrls.micro1}

Secrets: ${pipeline.secretsFile.path}${
  pipeline.secretsFile.created ? '  (created now with random values; git-ignored)' : ''
}
Data:    ${dataDir}  (DynamoDB and S3 survive a restart; SQS messages do not)
ATS:     ${pipeline.env[envNames.atsAdapter]} adapter${
  pipeline.env[envNames.atsAdapter] === 'log' ? `: every ATS write is appended to ${atsWritesFile}` : ''
}
Vendor APIs (local fakes used for enrichment): ROUND0 ${pipeline.vendorApiUrls?.round0}, micro1 ${pipeline.vendorApiUrls?.micro1}

Send a sample:  npm run send -- round0 interview_ended
List samples:   npm run send -- --list
Parked events:  npm run ops -- parked unmatched   (replay: npm run ops -- replay unmatched --all)
Ctrl-C stops (waits for requests and batches in flight); press it twice to quit at once.`);

let stoppingSince: number | undefined;
const shutdown = (signal: NodeJS.Signals) => {
  // Ctrl-C reaches this process twice at once: from the terminal (the whole process group) and relayed by
  // npm/tsx. Only a second press, a moment later, means "quit now".
  if (stoppingSince !== undefined) {
    if (Date.now() - stoppingSince < 1000) return;
    console.error(`\n${signal} again: exiting without waiting`);
    process.exit(130);
  }
  stoppingSince = Date.now();
  console.error(`\n${signal}: stopping — draining requests in flight and the events queue (up to 30 s)…`);
  Promise.all([pipeline.stop({ drainQueueMs: 30_000 }), removeRuntimeInfo(dataDir)]).then(
    () => {
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
