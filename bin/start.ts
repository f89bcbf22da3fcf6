/**
 * `npm start`: the whole pipeline on this machine — local API Gateway, ingest, SQS, worker, DynamoDB and
 * S3 — with data kept under `.data/` between runs. Ctrl-C drains work in flight; a second Ctrl-C quits.
 */
import { fileURLToPath } from 'node:url';
import { envNames } from '../functions/platform/env.js';
import { LocalPipelineError } from '../local/errors.js';
import { startLocalPipeline } from '../local/runtime.js';

const dataDir = fileURLToPath(new URL('../.data/', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(2);
}

const pipeline = await startLocalPipeline({ dataDir, port }).catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`port ${port} is in use: stop what holds it or choose another, e.g. PORT=3001 npm start`);
  } else if (error instanceof LocalPipelineError) {
    console.error(error.message);
  } else {
    console.error('the local pipeline could not start:', error);
  }
  process.exit(1);
});

console.log(`interview-sync is running locally on ${pipeline.url}

Webhook URLs (register these with the vendors, or use npm run send):
  ROUND0  POST ${pipeline.webhookUrls.round0}   (signed with X-Webhook-Signature)
  micro1  POST ${pipeline.webhookUrls.micro1}

Secrets: ${pipeline.secretsFile.path}${
  pipeline.secretsFile.created ? '  (created now with random values; git-ignored)' : ''
}
Data:    ${dataDir}  (DynamoDB and S3 survive a restart; SQS messages do not)
ATS:     ${pipeline.env[envNames.atsAdapter]} adapter

Send a sample:  npm run send -- round0 interview_ended
List samples:   npm run send -- --list
Ctrl-C stops (waits for requests and batches in flight); press it twice to quit at once.`);

let stopping = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) {
    console.error(`\n${signal} again: exiting without waiting`);
    process.exit(130);
  }
  stopping = true;
  console.error(`\n${signal}: stopping — draining requests and worker batches in flight…`);
  pipeline.stop().then(
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
