/**
 * Ingest benchmarks (run by `npm run bench` in its own process):
 * - bundle size of the ingest and worker Lambdas, built with the CDK stack's esbuild options;
 * - module init time of the ingest bundle (cold-start proxy), in fresh Node processes;
 * - per-event handler time for each vendor fixture, calling the real handler against the emulators;
 * - ingest throughput over local HTTP at concurrency 32, as a ratio to raw `SendMessage` throughput
 *   against the same SQS emulator in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import autocannon from 'autocannon';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { signRound0Payload } from '../../functions/vendors/round0/signature.js';
import { createLambdaContext } from '../lambda-context.js';
import { silentLog } from '../log.js';
import { startLocalPipeline } from '../runtime.js';
import { median, percentile, round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixturesDir = join(root, 'local', 'fixtures');

/** The CDK stack's bundling options (lib/constructs/service-function.ts), SDK included. */
const bundle = async (entry: string, outfile?: string) => {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    write: outfile !== undefined,
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  return output?.bytes ?? 0;
};

/** Median milliseconds to import the bundle in a fresh process (what a cold start pays for our code). */
const measureInit = (file: string, runs: number): number[] => {
  const script =
    'const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));';
  const env = {
    ...process.env,
    QUEUE_URL: 'http://127.0.0.1:9/000000000000/q',
    BUCKET_NAME: 'b',
    LOCAL_SECRETS_FILE: '/dev/null',
    AWS_REGION: 'us-east-1',
  };
  return Array.from({ length: runs }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', script, file], {
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString(),
    ),
  );
};

export interface IngestBenchResult {
  readonly bundleKb: { readonly ingest: number; readonly worker: number };
  readonly initMs: { readonly median: number; readonly p90: number; readonly runs: number };
  readonly handler: ReadonlyArray<{ fixture: string; medianMs: number; p95Ms: number; iterations: number }>;
  readonly throughput: {
    readonly concurrency: number;
    readonly seconds: number;
    readonly httpPerSecond: number;
    readonly httpP99Ms: number;
    readonly httpNon2xx: number;
    readonly sendMessagePerSecond: number;
    readonly ratio: number;
  };
}

export const runIngestBench = async (options: {
  seconds: number;
  iterations: number;
}): Promise<IngestBenchResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'interview-sync-bench-'));
  const ingestFile = join(dir, 'ingest.mjs');
  const bundleKb = {
    ingest: round((await bundle('functions/ingest.ts', ingestFile)) / 1024),
    worker: round((await bundle('functions/worker.ts')) / 1024),
  };
  const initSamples = measureInit(ingestFile, 9);

  const pipeline = await startLocalPipeline({
    secretsFile: join(dir, 'secrets.local.json'),
    startWorker: false,
    log: silentLog,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  try {
    const { handler } = await import('../../functions/ingest.js');
    const secret = pipeline.secrets.webhook.round0SigningSecrets[0] ?? '';
    const token = pipeline.secrets.webhook.micro1Tokens[0] ?? '';
    const context = createLambdaContext({
      functionName: 'ingest',
      timeoutSeconds: 10,
      memoryMb: 512,
      region: 'us-east-1',
      accountId: '000000000000',
    });

    const handlerResults: Array<{ fixture: string; medianMs: number; p95Ms: number; iterations: number }> =
      [];
    for (const vendor of ['round0', 'micro1'] as const) {
      for (const file of readdirSync(join(fixturesDir, vendor)).sort()) {
        const raw = readFileSync(join(fixturesDir, vendor, file), 'utf8');
        const path = vendor === 'round0' ? '/webhooks/round0' : `/webhooks/micro1/${token}`;
        const samples: number[] = [];
        for (let i = 0; i < options.iterations; i++) {
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
          const result = (await handler(event, context)) as { statusCode: number };
          samples.push(performance.now() - started);
          if (result.statusCode !== 202) throw new Error(`${vendor}/${file} answered ${result.statusCode}`);
        }
        handlerResults.push({
          fixture: `${vendor}/${file.replace(/\.json$/, '')}`,
          medianMs: round(median(samples), 2),
          p95Ms: round(percentile(samples, 95), 2),
          iterations: samples.length,
        });
      }
    }
    await pipeline.sqs.send(new PurgeQueueCommand({ QueueUrl: pipeline.queueUrls.events }));

    // HTTP: micro1's route (no signature timestamp to expire during the run), 32 connections.
    const concurrency = 32;
    const body = readFileSync(join(fixturesDir, 'micro1', 'interview.started.json'), 'utf8');
    const http = await autocannon({
      url: pipeline.webhookUrls.micro1,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: concurrency,
      duration: options.seconds,
    });

    // Raw SendMessage against the same emulator: 32 concurrent senders for the same duration, into an
    // empty queue of its own (the HTTP run also started on an empty queue).
    const { QueueUrl: rawQueueUrl } = await pipeline.sqs.send(
      new CreateQueueCommand({ QueueName: 'bench-raw-send' }),
    );
    const envelopeBody = JSON.stringify({ kind: 'event', event: JSON.parse(body) });
    let sent = 0;
    const deadline = Date.now() + options.seconds * 1000;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline) {
          await pipeline.sqs.send(
            new SendMessageCommand({ QueueUrl: rawQueueUrl, MessageBody: envelopeBody }),
          );
          sent++;
        }
      }),
    );
    const sendMessagePerSecond = sent / ((Date.now() - started) / 1000);
    const httpPerSecond = http.requests.average;
    return {
      bundleKb,
      initMs: {
        median: round(median(initSamples), 1),
        p90: round(percentile(initSamples, 90), 1),
        runs: initSamples.length,
      },
      handler: handlerResults,
      throughput: {
        concurrency,
        seconds: options.seconds,
        httpPerSecond: round(httpPerSecond),
        httpP99Ms: http.latency.p99,
        httpNon2xx: http.non2xx,
        sendMessagePerSecond: round(sendMessagePerSecond),
        ratio: round(httpPerSecond / sendMessagePerSecond, 2),
      },
    };
  } finally {
    await pipeline.stop();
  }
};
