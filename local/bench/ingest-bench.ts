/**
 * Ingest benchmarks (`npm run bench`, part `ingest`). Every role in a process of its own: the emulators
 * (services-process.ts), the ingest function behind the local API Gateway (function-process.ts, configured
 * as the stage deploys it), the load generator (load-process.ts).
 * - cold start of the bundles as CDK builds them, against a minimal SQS handler (init-bench.ts);
 * - per-event handler time per vendor fixture, each call with a fresh Lambda context;
 * - throughput at 32 concurrent connections, as the ratio to raw `SendMessage`s of the same message (the
 *   envelope and the raw delivery: the one write the ingest makes before its 202) against the same
 *   emulator, from the same load process: the legs alternate within each round, the order flipping every
 *   round, and each round's ratio is kept. CPU time per request of each process is read
 *   from /proc, so the report can say where the time goes;
 * - log bytes per request, measured from the function's actual log lines.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { acceptWebhook } from '../../functions/intake/accept-webhook.js';
import type { MessageToSend } from '../../functions/platform/message-send.js';
import { EventQueue } from '../../functions/queue/event-queue.js';
import { signRound0Payload } from '../../functions/vendors/round0/signature.js';
import { resources } from '../../lib/resources.js';
import { ensureSecretsFile } from '../secrets-file.js';
import { type BenchChild, spawnBenchChild } from './child.js';
import type { DeployedStage } from './deployed.js';
import { localFunctionEnvironment } from './function-env.js';
import type { FixtureTiming } from './function-process.js';
import {
  type InitBenchResult,
  type InitVariant,
  type RatioSummary,
  runInitBench,
  summarizeRatios,
} from './init-bench.js';
import type { LegResult } from './load-process.js';
import type { BenchServices } from './services-process.js';
import { median, round } from './stats.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface IngestBenchOptions {
  /** The stage as deployed, and optionally the same stage with the ingest's tracing and source maps on. */
  readonly deployed: DeployedStage;
  readonly allOn?: DeployedStage;
  /** Throughput rounds (each: every leg once). */
  readonly rounds: number;
  /** Seconds per throughput leg. */
  readonly seconds: number;
  /** Cold-start rounds (each: every variant once, in a fresh process). */
  readonly initRounds: number;
  /** Handler calls per fixture. */
  readonly iterations: number;
  readonly progress: (line: string) => void;
}

/**
 * `sendMessage`: raw SendMessage through the SDK's SQS client (the target's baseline); `signedSend`: the same
 * message through the ingest's own signed sender (like for like: what the ingest adds beyond its send).
 */
type Leg = 'ingest' | 'sendMessage' | 'signedSend';
const legs: readonly Leg[] = ['ingest', 'sendMessage', 'signedSend'];

export interface IngestLegRun extends LegResult {
  /** CPU ms per operation of each process during the leg. */
  readonly cpuMsPerOperation: { readonly load: number; readonly ingest: number; readonly services: number };
}

export interface IngestRound {
  readonly round: number;
  readonly order: readonly Leg[];
  readonly legs: Readonly<Record<Leg, IngestLegRun>>;
  readonly ratioToSendMessage: number;
  readonly ratioToSignedSend: number;
}

export interface IngestBenchResult {
  readonly init: InitBenchResult;
  readonly bundles: Readonly<Record<string, { readonly kb: number; readonly sourceMapKb: number }>>;
  readonly handler: readonly FixtureTiming[];
  readonly throughput: {
    readonly concurrency: number;
    readonly seconds: number;
    readonly rounds: readonly IngestRound[];
    readonly perSecond: Readonly<Record<Leg, number>>;
    readonly ratioToSendMessage: RatioSummary;
    readonly ratioToSignedSend: RatioSummary;
    /** Median CPU ms per operation, per leg and process. */
    readonly cpuMsPerOperation: Readonly<Record<Leg, IngestLegRun['cpuMsPerOperation']>>;
    readonly non2xx: number;
    readonly p99Ms: number;
  };
  /** The ingest's log output per accepted request (HTTP legs): what CloudWatch Logs ingests. */
  readonly logs: { readonly bytesPerRequest: number; readonly linesPerRequest: number };
  /**
   * The SQS message the ingest sends for each vendor sample (body and attributes, in bytes as SQS counts
   * them): SQS bills a request per 64 KB of payload.
   */
  readonly messageBytes?: {
    readonly mean: number;
    readonly max: number;
    /** Mean over the samples of the 64 KB chunks one SendMessage of it is billed as. */
    readonly chunksPerSend: number;
  };
  readonly loadAverage: { readonly start: number; readonly end: number };
}

const concurrency = 32;

/** A message's size as SQS counts it: the body, and each attribute's name, type and value (UTF-8). */
const sqsBytesOf = (message: MessageToSend): number =>
  Buffer.byteLength(message.body) +
  Object.entries(message.attributes).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength('String') + Buffer.byteLength(value),
    0,
  );

/**
 * The message the ingest's own code (acceptWebhook, `queue`'s publish) sends for every vendor sample, signed
 * as the vendor signs it: its size, mean and largest, and the 64 KB chunks a send of it is billed as.
 */
const messageBytesOfSamples = async (
  queue: EventQueue,
  /** What `queue` sent last, taken (cleared): a sample that sent nothing is never counted as the previous. */
  takeSent: () => MessageToSend | undefined,
  secrets: { readonly round0SigningSecrets: readonly string[]; readonly micro1Tokens: readonly string[] },
): Promise<NonNullable<IngestBenchResult['messageBytes']>> => {
  const sizes: number[] = [];
  for (const vendor of ['round0', 'micro1'] as const) {
    for (const file of readdirSync(join(fixturesDir, vendor)).sort()) {
      if (!file.endsWith('.json')) continue;
      const raw = readFileSync(join(fixturesDir, vendor, file), 'utf8');
      const token = secrets.micro1Tokens[0] ?? '';
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (vendor === 'round0') {
        const secret = secrets.round0SigningSecrets[0] ?? '';
        headers['x-webhook-signature'] = signRound0Payload(raw, secret, Math.floor(Date.now() / 1000));
      }
      takeSent();
      await acceptWebhook(
        {
          path: vendor === 'round0' ? '/webhooks/round0' : `/webhooks/micro1/${token}`,
          headers,
          rawBody: Buffer.from(raw),
        },
        {
          readWebhookSecrets: async () => secrets,
          publish: (event, delivery) => queue.publish(event, delivery),
          maxBodyBytes: resources.ingest.maxBodyBytes,
          signatureToleranceSeconds: resources.ingest.signatureToleranceSeconds,
        },
      );
      const sent = takeSent();
      if (sent === undefined) throw new Error(`the ingest sent no message for ${vendor}/${file}`);
      sizes.push(sqsBytesOf(sent));
    }
  }
  const chunk = 64 * 1024;
  return {
    mean: round(sizes.reduce((sum, size) => sum + size, 0) / sizes.length),
    max: Math.max(...sizes),
    chunksPerSend: round(sizes.reduce((sum, size) => sum + Math.ceil(size / chunk), 0) / sizes.length, 3),
  };
};

export const runIngestBench = async (options: IngestBenchOptions): Promise<IngestBenchResult> => {
  const loadAtStart = loadavg()[0] ?? 0;
  const { deployed, progress } = options;
  const dir = mkdtempSync(join(tmpdir(), 'interview-sync-ingest-bench-'));
  const secretsFile = await ensureSecretsFile(join(dir, 'secrets.local.json'));
  const token = secretsFile.secrets.webhook.micro1Tokens[0] ?? '';
  const children: BenchChild[] = [];
  try {
    const services = await spawnBenchChild('local/bench/services-process.ts', {
      BENCH_SECRETS_FILE: secretsFile.path,
    });
    children.push(services);
    const info = await services.call<BenchServices>('info');
    const envOf = (stage: DeployedStage, role: 'ingest' | 'minimal') =>
      localFunctionEnvironment(stage.functions[role], info, { secretsFile: secretsFile.path });

    // Cold start: micro1's route (a token, no signature timestamp) on the first call.
    const body = readFileSync(join(fixturesDir, 'micro1', 'interview.started.json'), 'utf8');
    const micro1Path = `/webhooks/micro1/${token}`;
    const apiEvent = {
      version: '2.0',
      routeKey: 'POST /webhooks/micro1/{token}',
      rawPath: micro1Path,
      pathParameters: { token },
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', path: micro1Path }, requestId: 'cold-start' },
      body,
      isBase64Encoded: false,
    };
    const settingsOf = (stage: DeployedStage) => ({
      tracing: stage.functions.ingest.environment.POWERTOOLS_TRACE_ENABLED !== 'false',
      sourceMaps: stage.functions.ingest.sourceMapBytes > 0,
    });
    const variant = (label: string, stage: DeployedStage): InitVariant => ({
      label,
      fn: stage.functions.ingest,
      env: envOf(stage, 'ingest'),
      event: apiEvent,
      settings: settingsOf(stage),
    });
    const baseline: InitVariant = {
      label: 'minimal handler (SQS client, one SendMessage)',
      fn: deployed.functions.minimal,
      env: envOf(deployed, 'minimal'),
      event: { body },
      settings: { tracing: false, sourceMaps: deployed.functions.minimal.sourceMapBytes > 0 },
    };
    const init = await runInitBench(
      baseline,
      [
        variant(`ingest as the ${deployed.stage} stage deploys it`, deployed),
        ...(options.allOn === undefined
          ? []
          : [variant('ingest with tracing and source maps on', options.allOn)]),
      ],
      options.initRounds,
      progress,
    );

    const ingest = await spawnBenchChild('local/bench/function-process.ts', {
      ...envOf(deployed, 'ingest'),
      BENCH_ROLE: 'ingest',
    });
    children.push(ingest);
    const load = await spawnBenchChild('local/bench/load-process.ts', info.env);
    children.push(load);

    progress('handler time per fixture');
    const handler = await ingest.call<FixtureTiming[]>('fixtures', { iterations: options.iterations });

    const apiUrl = await ingest.call<string>('listen');
    const sqs = new SQSClient({
      region: info.env.AWS_REGION,
      endpoint: info.env.AWS_ENDPOINT_URL_SQS,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const { QueueUrl: rawQueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-raw' }));
    // What the ingest sends for this body, exactly: its own code (acceptWebhook, EventQueue.publish) run
    // with a sender that only keeps the message, for the raw legs to send the same bytes and attributes.
    let captured: MessageToSend | undefined;
    const capturing = new EventQueue({
      sendMessage: async (message) => {
        captured = message;
        return { messageId: 'bench' };
      },
      putObject: async () => {
        throw new Error('the bench body fits a message');
      },
      queueUrl: rawQueueUrl,
      bucket: resources.bucket.name,
    });
    await acceptWebhook(
      {
        path: micro1Path,
        headers: { 'content-type': 'application/json', 'user-agent': 'autocannon/7' },
        rawBody: Buffer.from(body),
      },
      {
        readWebhookSecrets: async () => secretsFile.secrets.webhook,
        publish: (event, raw) => capturing.publish(event, raw),
        maxBodyBytes: resources.ingest.maxBodyBytes,
        signatureToleranceSeconds: resources.ingest.signatureToleranceSeconds,
      },
    );
    // (Assigned in the callback above, which TypeScript's narrowing does not follow.)
    const message = captured as MessageToSend | undefined;
    if (message === undefined) throw new Error('the ingest sent no message for the bench body');
    progress('message size per sample');
    const messageBytes = await messageBytesOfSamples(
      capturing,
      () => {
        const sent = captured;
        captured = undefined;
        return sent;
      },
      secretsFile.secrets.webhook,
    );
    const { body: envelope, attributes } = message;
    const run = async (leg: Leg, seconds: number): Promise<IngestLegRun> => {
      const before = { load: load.cpuMs(), ingest: ingest.cpuMs(), services: services.cpuMs() };
      const result =
        leg === 'ingest'
          ? await load.call<LegResult>('http', {
              url: `${apiUrl}${micro1Path}`,
              body,
              headers: { 'content-type': 'application/json' },
              seconds,
              connections: concurrency,
            })
          : await load.call<LegResult>('sqs', {
              queueUrl: rawQueueUrl,
              body: envelope,
              attributes,
              seconds,
              concurrency,
              signed: leg === 'signedSend',
            });
      const per = (now: number, then: number) => round((now - then) / Math.max(1, result.operations), 3);
      return {
        ...result,
        cpuMsPerOperation: {
          load: per(load.cpuMs(), before.load),
          ingest: per(ingest.cpuMs(), before.ingest),
          services: per(services.cpuMs(), before.services),
        },
      };
    };

    // One untimed leg of each first, as long as the timed ones: the JIT of all three processes warms up.
    progress('throughput warm-up');
    for (const leg of legs) await run(leg, options.seconds);
    await ingest.call('logs');
    const rounds: IngestRound[] = [];
    let logBytes = 0;
    let logLines = 0;
    let httpRequests = 0;
    for (let index = 0; index < options.rounds; index += 1) {
      const order = legs.map((_, i) => legs[(i + index) % legs.length] as Leg);
      const results: Partial<Record<Leg, IngestLegRun>> = {};
      for (const leg of order) {
        results[leg] = await run(leg, options.seconds);
        if (leg === 'ingest') {
          const written = await ingest.call<{ bytes: number; lines: number }>('logs');
          logBytes += written.bytes;
          logLines += written.lines;
          httpRequests += results[leg].operations + (results[leg].non2xx ?? 0);
        }
      }
      const done = results as Record<Leg, IngestLegRun>;
      rounds.push({
        round: index + 1,
        order,
        legs: done,
        ratioToSendMessage: round(done.ingest.perSecond / done.sendMessage.perSecond, 3),
        ratioToSignedSend: round(done.ingest.perSecond / done.signedSend.perSecond, 3),
      });
      progress(
        `throughput round ${index + 1}/${options.rounds}: ${legs.map((leg) => `${leg} ${round(done[leg].perSecond)}/s`).join(', ')}`,
      );
    }
    sqs.destroy();

    const medianOf = (leg: Leg, of: (run: IngestLegRun) => number) =>
      median(rounds.map((r) => of(r.legs[leg])));
    const cpuOf = (leg: Leg) => ({
      load: round(
        medianOf(leg, (r) => r.cpuMsPerOperation.load),
        3,
      ),
      ingest: round(
        medianOf(leg, (r) => r.cpuMsPerOperation.ingest),
        3,
      ),
      services: round(
        medianOf(leg, (r) => r.cpuMsPerOperation.services),
        3,
      ),
    });
    const fn = (role: keyof DeployedStage['functions']) => ({
      kb: round(deployed.functions[role].bundleBytes / 1024),
      sourceMapKb: round(deployed.functions[role].sourceMapBytes / 1024),
    });
    return {
      init,
      bundles: { ingest: fn('ingest'), worker: fn('worker'), archive: fn('archive'), minimal: fn('minimal') },
      handler,
      throughput: {
        concurrency,
        seconds: options.seconds,
        rounds,
        perSecond: {
          ingest: round(medianOf('ingest', (r) => r.perSecond)),
          sendMessage: round(medianOf('sendMessage', (r) => r.perSecond)),
          signedSend: round(medianOf('signedSend', (r) => r.perSecond)),
        },
        ratioToSendMessage: summarizeRatios(rounds.map((r) => r.ratioToSendMessage)),
        ratioToSignedSend: summarizeRatios(rounds.map((r) => r.ratioToSignedSend)),
        cpuMsPerOperation: {
          ingest: cpuOf('ingest'),
          sendMessage: cpuOf('sendMessage'),
          signedSend: cpuOf('signedSend'),
        },
        non2xx: rounds.reduce((sum, r) => sum + (r.legs.ingest.non2xx ?? 0), 0),
        p99Ms: Math.max(...rounds.map((r) => r.legs.ingest.p99Ms ?? 0)),
      },
      logs: {
        bytesPerRequest: round(logBytes / Math.max(1, httpRequests)),
        linesPerRequest: round(logLines / Math.max(1, httpRequests), 2),
      },
      messageBytes,
      loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0] ?? 0, 2) },
    };
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
};
