/**
 * One function of the pipeline in a process of its own, like a Lambda execution environment: the real
 * handler (the sources, through tsx), configured by the environment the stage deploys it with (filled in by
 * the bench: emulator endpoints, queue URLs, the local secrets file, the vendor API fakes).
 *
 * - BENCH_ROLE=ingest: behind the local API Gateway (`listen`); `fixtures` calls the handler directly,
 *   each call with a fresh Lambda context and its own timeout, as Lambda invokes it.
 * - BENCH_ROLE=worker: `invoke` runs the worker's handler on a batch from the event source mapping, which
 *   runs in the bench's own process (on AWS it is Lambda's, not the function's: its receives and deletes
 *   are not the function's CPU); `counts` gives the ATS writes so far (the log adapter's lines, printed as
 *   deployed) and the worker's DynamoDB and S3 requests by command.
 *
 * The function's log lines (stdout and stderr) are counted, not written: `logs` returns what was written
 * since the last call.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { dynamoDbClient, smallObjectS3Client, sqsClient } from '../../functions/platform/clients.js';
import { signRound0Payload } from '../../functions/vendors/round0/signature.js';
import { resources } from '../../lib/resources.js';
import { startHttpApi } from '../api-gateway.js';
import { countDynamoDbRequests, countS3Requests, countSqsRequests } from '../dynamo-request-counter.js';
import { invokeLocally, type LocalFunctionSettings, type LocalHandler } from '../lambda-context.js';
import { silentLog } from '../log.js';
import { ingestRouteKeys } from '../runtime.js';
import { readSecretsFile } from '../secrets-file.js';
import { countLogOutput, serveBenchCommands } from './child.js';
import { median, percentile, round } from './stats.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));
const env = process.env;
const role = env.BENCH_ROLE;
const settingsOf = (name: string, timeoutSeconds: number, memoryMb: number): LocalFunctionSettings => ({
  functionName: name,
  timeoutSeconds,
  memoryMb,
  region: env.AWS_REGION ?? 'us-east-1',
  accountId: '123456789012',
});

export interface FixtureTiming {
  readonly fixture: string;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly iterations: number;
}

export interface WorkerCounts {
  readonly atsWrites: number;
  readonly dynamoDb: Record<string, number>;
  /** The worker's S3 requests (the raw event store's PUTs), by command. */
  readonly s3: Record<string, number>;
  /** The worker's SQS requests (its archive tasks' sends; dead letters, delayed redeliveries), by command. */
  readonly sqs: Record<string, number>;
}

// The log ATS adapter prints one JSON line per ATS write (as deployed with ATS_CONFIG path `stdout`).
const logs = countLogOutput(/^\{"at":"[^"]*","adapter":"log",/);

const ingestCommands = async () => {
  const { handler, createIngestHandler } = await import('../../functions/ingest.js');
  const settings = settingsOf(
    resources.ingest.serviceName,
    resources.ingest.timeoutSeconds,
    resources.ingest.memoryMb,
  );
  const secrets = await readSecretsFile(env.LOCAL_SECRETS_FILE);
  return {
    listen: async () => {
      const api = await startHttpApi({
        routes: ingestRouteKeys,
        // One per request in flight, as Lambda's environments (created during the warm-up).
        createHandler: createIngestHandler,
        function: settings,
        log: silentLog,
      });
      return api.url;
    },
    /** Each fixture `iterations` times, every call through `invokeLocally` (fresh context, own timeout). */
    fixtures: async ({ iterations }: { iterations: number }): Promise<FixtureTiming[]> => {
      const secret = secrets.webhook.round0SigningSecrets[0] ?? '';
      const token = secrets.webhook.micro1Tokens[0] ?? '';
      const timings: FixtureTiming[] = [];
      for (const vendor of ['round0', 'micro1'] as const) {
        for (const file of readdirSync(join(fixturesDir, vendor)).sort()) {
          if (!file.endsWith('.json')) continue;
          const raw = readFileSync(join(fixturesDir, vendor, file), 'utf8');
          const path = vendor === 'round0' ? '/webhooks/round0' : `/webhooks/micro1/${token}`;
          const samples: number[] = [];
          for (let i = 0; i < iterations; i++) {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (vendor === 'round0') {
              headers['x-webhook-signature'] = signRound0Payload(raw, secret, Math.floor(Date.now() / 1000));
            }
            const event = {
              version: '2.0',
              routeKey: vendor === 'round0' ? 'POST /webhooks/round0' : 'POST /webhooks/micro1/{token}',
              rawPath: path,
              ...(vendor === 'micro1' ? { pathParameters: { token } } : {}),
              rawQueryString: '',
              headers,
              requestContext: { http: { method: 'POST', path }, requestId: String(i) },
              body: raw,
              isBase64Encoded: false,
            } as unknown as APIGatewayProxyEventV2;
            const started = performance.now();
            const result = (await invokeLocally(handler, event, settings)) as { statusCode: number };
            samples.push(performance.now() - started);
            if (result.statusCode !== 202) throw new Error(`${vendor}/${file} answered ${result.statusCode}`);
          }
          timings.push({
            fixture: `${vendor}/${file.replace(/\.json$/, '')}`,
            medianMs: round(median(samples), 2),
            p95Ms: round(percentile(samples, 95), 2),
            iterations: samples.length,
          });
        }
      }
      return timings;
    },
  };
};

const workerCommands = async () => {
  const worker = await import('../../functions/worker.js');
  const counter = countDynamoDbRequests(dynamoDbClient());
  const s3Counter = countS3Requests(smallObjectS3Client());
  const sqsCounter = countSqsRequests(sqsClient());
  const settings = settingsOf(
    resources.worker.serviceName,
    resources.worker.timeoutSeconds,
    resources.worker.memoryMb,
  );
  // One handler per concurrent invocation, reused when it is free (an execution environment each).
  const idle: LocalHandler<SQSEvent, unknown>[] = [];
  return {
    /**
     * One invocation with a batch from the event source mapping (which runs in the bench's own process, as
     * on AWS it is not the function's): a fresh context and its own timeout, as Lambda invokes it.
     */
    invoke: async ({ event }: { event: SQSEvent }): Promise<unknown> => {
      const handler = idle.pop() ?? worker.createWorkerHandler();
      try {
        return await invokeLocally(handler, event, settings);
      } finally {
        idle.push(handler);
      }
    },
    /** ATS writes so far (the log adapter's lines). */
    atsWrites: async (): Promise<number> => logs.apartTotal(),
    /** ATS writes so far, and the DynamoDB, S3 and SQS requests since the last call. */
    counts: async (): Promise<WorkerCounts> => ({
      atsWrites: logs.apartTotal(),
      dynamoDb: counter.take(),
      s3: s3Counter.take(),
      sqs: sqsCounter.take(),
    }),
  };
};

const commands = role === 'ingest' ? await ingestCommands() : role === 'worker' ? await workerCommands() : {};
serveBenchCommands({ ...commands, logs: async () => logs.take() });
