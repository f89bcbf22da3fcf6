/**
 * The worker in a process of its own, for the fault test that kills it mid-batch: the real worker handler
 * behind the local SQS event source (`local/sqs-poller.ts`), configured by the environment the parent
 * hands over (the pipeline's handler environment, plus `FAULTS_EVENTS_QUEUE_ARN`, and
 * `FAULTS_VISIBILITY_TIMEOUT_SECONDS` to receive with another visibility timeout than the queue's). Prints `ready` once
 * loaded, starts polling when it reads `go` on stdin (so a test can load a spare worker ahead of time), and
 * on SIGTERM lets the batch in flight finish, then exits. Run with `node --import tsx`.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { envNames } from '../../functions/platform/env.js';
import { resources } from '../../lib/resources.js';
import { silentLog } from '../../local/log.js';
import { startSqsPoller } from '../../local/sqs-poller.js';

const env = process.env;
const queueUrl = env[envNames.queueUrl];
const queueArn = env.FAULTS_EVENTS_QUEUE_ARN;
if (!queueUrl || !queueArn) throw new Error(`${envNames.queueUrl} and FAULTS_EVENTS_QUEUE_ARN are required`);
const visibilityTimeoutSeconds =
  env.FAULTS_VISIBILITY_TIMEOUT_SECONDS === undefined
    ? undefined
    : Number(env.FAULTS_VISIBILITY_TIMEOUT_SECONDS);

// Imported only now, as the runtime does: the handler reads its configuration at import.
const { createWorkerHandler } = await import('../../functions/worker.js');
// Endpoint, region and credentials come from the emulators' AWS_* variables.
const sqs = new SQSClient({});
const poll = () =>
  startSqsPoller({
    sqs,
    queueUrl,
    queueArn,
    createHandler: () => createWorkerHandler(),
    function: {
      functionName: 'interview-sync-worker',
      timeoutSeconds: resources.worker.timeoutSeconds,
      memoryMb: resources.worker.memoryMb,
      region: env.AWS_REGION ?? 'us-east-1',
      accountId: '123456789012',
    },
    maxBatchingWindowSeconds: 0,
    ...(visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds }),
    log: silentLog,
  });

let poller: ReturnType<typeof poll> | undefined;
process.stdin.on('data', (chunk: Buffer) => {
  if (chunk.toString('utf8').includes('go')) poller ??= poll();
});
process.once('SIGTERM', () => {
  void (poller?.stop() ?? Promise.resolve()).then(() => {
    sqs.destroy();
    process.exit(0);
  });
});
process.stdout.write('ready\n');
