/**
 * Worker benchmarks (`npm run bench`, part `worker`). Every role in a process of its own: the emulators and
 * the vendor API fakes (services-process.ts), the ingest and the worker (function-process.ts, each with the
 * environment the stage deploys it with: log level, tracing, metrics on, enrichment from the vendor API
 * fakes), the load generator (load-process.ts).
 *
 * Each round has two legs, alternating (the order flips every round):
 * - **pipeline**: N fresh ROUND0 `interview_ended` events (distinct interviews) are delivered through HTTP →
 *   ingest → SQS first (not timed); then the worker's event source mapping is started and timed until every
 *   ATS write has landed and the queue is empty: the worker's DynamoDB requests per second;
 * - **raw**: conditional `PutItem`s (`attribute_not_exists`) from the load process for the same dynalite,
 *   as many in flight as the worker can have (concurrency × batch size), for a fixed time.
 * Each round's ratio is kept. Then the last round's events are delivered again (ROUND0 redeliveries) to
 * count what a duplicate costs, and a few fresh events are drained one per invocation (a trickle) to count
 * the log bytes an event costs when its invocation is its own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resources } from '../../lib/resources.js';
import { totalRequests } from '../dynamo-request-counter.js';
import { silentLog } from '../log.js';
import { queueDepth } from '../queue-depth.js';
import { ensureSecretsFile } from '../secrets-file.js';
import { startSqsPoller } from '../sqs-poller.js';
import { type BenchChild, spawnBenchChild } from './child.js';
import type { DeployedStage } from './deployed.js';
import { localFunctionEnvironment } from './function-env.js';
import type { WorkerCounts } from './function-process.js';
import { coldStart, type InitSample, type RatioSummary, summarizeRatios } from './init-bench.js';
import type { LegResult } from './load-process.js';
import type { BenchServices } from './services-process.js';
import { median, round } from './stats.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** Events drained one per invocation for the trickle's CPU time and log bytes. */
const trickleEvents = 50;
/** Interviews delivered as they happen (started, then ended), whose ledger items price the writes. */
const livedInterviews = 20;
/** Cold starts of the worker's bundle, for its INIT (billed, and longer the less memory it has). */
const workerColdStarts = 7;

/** What one drain of the events queue did: the worker's counts, its time, the event source's CPU. */
interface DrainResult extends WorkerCounts {
  readonly seconds: number;
  /** CPU ms of the event source mapping (this process) during the drain: Lambda's on AWS, not billed. */
  readonly eventSourceCpuMs: number;
}

export interface WorkerBenchOptions {
  readonly deployed: DeployedStage;
  readonly rounds: number;
  /** Events per pipeline leg. */
  readonly events: number;
  /** Seconds of each raw leg. */
  readonly seconds: number;
  readonly progress: (line: string) => void;
}

export interface WorkerRound {
  readonly round: number;
  readonly order: 'pipeline-first' | 'raw-first';
  readonly pipeline: {
    readonly seconds: number;
    readonly eventsPerSecond: number;
    readonly dynamoDbRequests: number;
    readonly dynamoDbPerSecond: number;
  };
  readonly raw: LegResult;
  readonly ratio: number;
  /** CPU ms per event (pipeline leg) of the worker and the services, and per PutItem (raw leg). */
  readonly cpuMs: {
    readonly workerPerEvent: number;
    readonly servicesPerEvent: number;
    /** The event source mapping's (receives, deletes; on AWS Lambda's); absent from older results. */
    readonly eventSourcePerEvent?: number;
    readonly servicesPerPutItem: number;
    readonly loadPerPutItem: number;
  };
}

export interface WorkerBenchResult {
  readonly eventsPerRound: number;
  readonly concurrency: { readonly batches: number; readonly batchSize: number; readonly rawWriters: number };
  readonly settings: Readonly<Record<string, string>>;
  readonly rounds: readonly WorkerRound[];
  readonly ratio: RatioSummary;
  readonly eventsPerSecond: number;
  readonly dynamoDbPerSecond: number;
  readonly rawPutItemPerSecond: number;
  readonly atsWritesPerEvent: number;
  readonly dynamoDbPerEvent: {
    readonly fresh: number;
    readonly duplicate: number;
    readonly freshByCommand: Record<string, number>;
    readonly duplicateByCommand: Record<string, number>;
  };
  /**
   * The raw event store's S3 PUTs per fresh event: in the rounds (the batches the poller received) and one
   * event per invocation. Absent from results written before it was measured (one PUT per event then).
   */
  readonly rawStorePutsPerEvent?: { readonly batched: number; readonly alone: number };
  /**
   * The worker's own SQS requests per fresh event in the rounds (the archive tasks of an invocation's
   * ended interviews, sent together). Absent from results written before it was measured.
   */
  readonly sqsRequestsPerEvent?: number;
  /**
   * The same for fresh events drained one per invocation (a trickle: each event's tasks a request of its
   * own). Absent from results written before it was measured.
   */
  readonly sqsRequestsPerEventAlone?: number;
  /**
   * CloudWatch Logs bytes per event: the worker's lines per fresh event (batches as the rounds drain them,
   * and one event per invocation), the ingest's per delivery.
   */
  readonly logs: {
    readonly workerBytesPerEvent: number;
    readonly workerLinesPerEvent: number;
    /** Absent from results written before it was measured. */
    readonly workerBytesPerEventAlone?: number;
    readonly workerLinesPerEventAlone?: number;
    readonly ingestBytesPerRequest: number;
  };
  /** The worker's CPU ms per fresh event (median of the rounds). */
  readonly workerCpuMsPerEvent: number;
  /**
   * The same for fresh events drained one per invocation (a trickle: each pays a whole invocation's raw
   * event store PUT and metrics flush). Absent from results written before it was measured.
   */
  readonly workerCpuMsPerEventAlone?: number;
  /**
   * Cold starts of the worker's bundle as deployed (a fresh process, its environment, `NODE_OPTIONS`
   * included; the first call an empty batch): medians. Absent from results written before it was measured.
   */
  readonly init?: {
    readonly coldStarts: number;
    readonly initMs: number;
    readonly initCpuMs: number;
    readonly bundleKb: number;
    readonly nodeOptions: string;
  };
  /**
   * Largest ledger item of an interview that was started, then ended, once both are done (DynamoDB's size
   * rule, approximated): what the ended event's writes are billed on.
   */
  readonly ledgerItemBytes: number;
  /** The same for an interview whose only event was `interview_ended` (absent in runs before it was kept). */
  readonly ledgerItemBytesEndedOnly?: number;
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export const runWorkerBench = async (options: WorkerBenchOptions): Promise<WorkerBenchResult> => {
  const loadAtStart = loadavg()[0] ?? 0;
  const { deployed, progress } = options;
  const dir = mkdtempSync(join(tmpdir(), 'interview-sync-worker-bench-'));
  const secretsFile = await ensureSecretsFile(join(dir, 'secrets.local.json'));
  const secret = secretsFile.secrets.webhook.round0SigningSecrets[0] ?? '';
  const children: BenchChild[] = [];
  try {
    const services = await spawnBenchChild('local/bench/services-process.ts', {
      BENCH_SECRETS_FILE: secretsFile.path,
    });
    children.push(services);
    const info = await services.call<BenchServices>('info');
    const envOf = (role: 'ingest' | 'worker'): Record<string, string> => ({
      ...localFunctionEnvironment(deployed.functions[role], info, { secretsFile: secretsFile.path }),
      BENCH_ROLE: role,
    });
    const ingest = await spawnBenchChild('local/bench/function-process.ts', envOf('ingest'));
    children.push(ingest);
    const workerEnv = envOf('worker');
    const worker = await spawnBenchChild('local/bench/function-process.ts', workerEnv);
    children.push(worker);
    const load = await spawnBenchChild('local/bench/load-process.ts', info.env);
    children.push(load);
    const webhookUrl = `${await ingest.call<string>('listen')}/webhooks/round0`;

    // Distinct interviews, each known to ROUND0's API fake (the worker enriches every one from it).
    const template = JSON.parse(readFileSync(join(fixturesDir, 'round0', 'interview_ended.json'), 'utf8'));
    const batchOf = (count: number) =>
      Array.from({ length: count }, () => {
        const event = structuredClone(template);
        event.id = `evt_${randomBytes(16).toString('hex')}`;
        event.data.interview.id = randomUUID();
        return JSON.stringify(event) as string;
      });
    // A whole round's worth: the first round measured warm, as the later ones.
    const warmUp = batchOf(options.events);
    const batches = Array.from({ length: options.rounds }, () => batchOf(options.events));
    const alone = batchOf(trickleEvents);
    // Interviews as they happen, `interview_started` and then `interview_ended`: their ledger items, which
    // hold every event's records, size what the ended event's writes are billed (the larger of the item
    // before and after each write).
    const lived = batchOf(livedInterviews);
    const startedTemplate = JSON.parse(
      readFileSync(join(fixturesDir, 'round0', 'interview_started.json'), 'utf8'),
    );
    const startedOf = (ended: string) => {
      const event = structuredClone(startedTemplate);
      event.id = `evt_${randomBytes(16).toString('hex')}`;
      event.data.interview.id = JSON.parse(ended).data.interview.id;
      return JSON.stringify(event) as string;
    };
    await services.call('seedRound0', [...warmUp, ...batches.flat(), ...alone, ...lived]);

    const rawWriters = resources.worker.maxConcurrency * resources.worker.batchSize;
    let atsWrites = 0;
    const deliver = (bodies: readonly string[]) =>
      load.call<number>('deliver', { url: webhookUrl, bodies, secret, concurrency: 16 });
    const eventSource = new SQSClient({
      region: info.env.AWS_REGION,
      endpoint: info.env.AWS_ENDPOINT_URL_SQS,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    /**
     * The worker's event source mapping, in this process (as deployed: batch size, batching window,
     * concurrency; `batchSize` 1 for a trickle): on AWS it is Lambda's, so its receives, deletes and this
     * loop's queue checks are not the worker's CPU. Each batch is one `invoke` of the worker process. Runs
     * until every expected ATS write has landed and the queue is empty.
     */
    const drain = async (expectedAtsWrites: number, batchSize?: number): Promise<DrainResult> => {
      await worker.call<WorkerCounts>('counts');
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const poller = startSqsPoller({
        sqs: eventSource,
        queueUrl: info.queueUrls.events,
        queueArn: info.queueArns.events,
        createHandler: () => (event) => worker.call('invoke', { event }),
        ...(batchSize === undefined ? {} : { batchSize }),
        // Its own timeout a little past the worker's, whose invocation times out in the worker's process.
        function: {
          functionName: resources.worker.serviceName,
          timeoutSeconds: resources.worker.timeoutSeconds + 5,
          memoryMb: resources.worker.memoryMb,
          region: info.env.AWS_REGION ?? 'us-east-1',
          accountId: '123456789012',
        },
        log: silentLog,
      });
      const deadline = Date.now() + 600_000;
      let seconds: number;
      try {
        // The worker is asked only once the queue is empty: its process does nothing but invocations.
        while (
          (await queueDepth(eventSource, info.queueUrls.events)) !== 0 ||
          (await worker.call<number>('atsWrites')) < expectedAtsWrites
        ) {
          if (Date.now() > deadline) throw new Error('drain timed out');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        seconds = (performance.now() - started) / 1000;
      } finally {
        // Not timed: the poller's last long poll on the empty queue ends here.
        await poller.stop();
      }
      const cpu = process.cpuUsage(cpuBefore);
      const counts = await worker.call<WorkerCounts>('counts');
      return { ...counts, seconds, eventSourceCpuMs: (cpu.user + cpu.system) / 1000 };
    };
    const raw = (seconds: number) =>
      load.call<LegResult>('dynamodb', {
        table: resources.ledgerTable.name,
        seconds,
        concurrency: rawWriters,
      });

    progress('worker warm-up');
    await deliver(warmUp);
    const warm = await drain(2 * warmUp.length);
    atsWrites = warm.atsWrites;
    const atsWritesPerEvent = warm.atsWrites / warmUp.length;
    await raw(options.seconds);
    await Promise.all([worker.call('logs'), ingest.call('logs')]);

    const rounds: WorkerRound[] = [];
    let workerLogBytes = 0;
    let workerLogLines = 0;
    let ingestLogBytes = 0;
    let fresh: Record<string, number> = {};
    let roundPuts = 0;
    let roundSqsRequests = 0;
    for (let index = 0; index < options.rounds; index += 1) {
      const order = index % 2 === 0 ? 'pipeline-first' : 'raw-first';
      const bodies = batches[index] as string[];
      let pipeline: WorkerRound['pipeline'] | undefined;
      let rawLeg: LegResult | undefined;
      const cpu = {
        workerPerEvent: 0,
        servicesPerEvent: 0,
        eventSourcePerEvent: 0,
        servicesPerPutItem: 0,
        loadPerPutItem: 0,
      };
      for (const leg of order === 'pipeline-first' ? ['pipeline', 'raw'] : ['raw', 'pipeline']) {
        if (leg === 'pipeline') {
          await deliver(bodies);
          ingestLogBytes += (await ingest.call<{ bytes: number }>('logs')).bytes;
          const before = { worker: worker.cpuMs(), services: services.cpuMs() };
          atsWrites += Math.round(atsWritesPerEvent * bodies.length);
          const drained = await drain(atsWrites);
          cpu.workerPerEvent = round((worker.cpuMs() - before.worker) / bodies.length, 3);
          cpu.servicesPerEvent = round((services.cpuMs() - before.services) / bodies.length, 3);
          cpu.eventSourcePerEvent = round(drained.eventSourceCpuMs / bodies.length, 3);
          const logs = await worker.call<{ bytes: number; lines: number; problems: string[] }>('logs');
          if (logs.problems.length > 0) progress(`worker warnings/errors:\n${logs.problems.join('\n')}`);
          workerLogBytes += logs.bytes;
          workerLogLines += logs.lines;
          fresh = drained.dynamoDb;
          roundPuts += drained.s3.PutObjectCommand ?? 0;
          roundSqsRequests += totalRequests(drained.sqs);
          const requests = totalRequests(drained.dynamoDb);
          pipeline = {
            seconds: round(drained.seconds, 2),
            eventsPerSecond: round(bodies.length / drained.seconds),
            dynamoDbRequests: requests,
            dynamoDbPerSecond: round(requests / drained.seconds),
          };
        } else {
          const before = { load: load.cpuMs(), services: services.cpuMs() };
          rawLeg = await raw(options.seconds);
          const operations = Math.max(1, rawLeg.operations);
          cpu.servicesPerPutItem = round((services.cpuMs() - before.services) / operations, 3);
          cpu.loadPerPutItem = round((load.cpuMs() - before.load) / operations, 3);
        }
      }
      if (pipeline === undefined || rawLeg === undefined) throw new Error('a leg did not run');
      rounds.push({
        round: index + 1,
        order,
        pipeline,
        raw: { ...rawLeg, perSecond: round(rawLeg.perSecond) },
        ratio: round(pipeline.dynamoDbPerSecond / rawLeg.perSecond, 3),
        cpuMs: cpu,
      });
      progress(
        `worker round ${index + 1}/${options.rounds}: ${pipeline.eventsPerSecond} events/s, ${pipeline.dynamoDbPerSecond} DynamoDB req/s; raw PutItem ${round(rawLeg.perSecond)}/s`,
      );
    }

    // Duplicates: the last round's events again (ROUND0 redelivers with the same id, a new signature).
    const last = batches.at(-1) ?? [];
    await deliver(last);
    const redelivered = await drain(atsWrites);
    if (redelivered.atsWrites !== atsWrites) throw new Error('a duplicate produced an ATS write');
    const duplicate = redelivered.dynamoDb;

    // A trickle: each event in an invocation of its own, so its share of the per-invocation lines is whole.
    await worker.call('logs');
    await deliver(alone);
    atsWrites += Math.round(atsWritesPerEvent * alone.length);
    const workerCpuBeforeAlone = worker.cpuMs();
    const drainedAlone = await drain(atsWrites, 1);
    const alonePuts = drainedAlone.s3.PutObjectCommand ?? 0;
    const aloneSqsRequests = totalRequests(drainedAlone.sqs);
    const workerCpuAlone = worker.cpuMs() - workerCpuBeforeAlone;
    const aloneLogs = await worker.call<{ bytes: number; lines: number }>('logs');

    // The lived interviews: each started (drained: its writes are whatever the status advance makes), then
    // ended.
    await deliver(lived.map(startedOf));
    atsWrites = (await drain(atsWrites)).atsWrites;
    await deliver(lived);
    atsWrites += Math.round(atsWritesPerEvent * lived.length);
    await drain(atsWrites);
    await worker.call('logs');
    const livedIds = new Set(lived.map((body) => String(JSON.parse(body).data.interview.id)));

    progress('worker cold starts');
    const { BENCH_ROLE: _role, ...deployedEnv } = workerEnv;
    const coldStarts: InitSample[] = [];
    for (let index = 0; index < workerColdStarts; index += 1) {
      coldStarts.push(await coldStart(deployed.functions.worker.bundle, deployedEnv, { Records: [] }));
    }

    const ledgerItems = await ledgerItemSizes(info, livedIds);
    const events = options.events * options.rounds;
    return {
      eventsPerRound: options.events,
      concurrency: {
        batches: resources.worker.maxConcurrency,
        batchSize: resources.worker.batchSize,
        rawWriters,
      },
      settings: {
        POWERTOOLS_LOG_LEVEL: workerEnv.POWERTOOLS_LOG_LEVEL ?? 'INFO',
        POWERTOOLS_TRACE_ENABLED: workerEnv.POWERTOOLS_TRACE_ENABLED ?? '(unset)',
        POWERTOOLS_METRICS_DISABLED: workerEnv.POWERTOOLS_METRICS_DISABLED ?? '(unset: metrics on)',
        NODE_OPTIONS: workerEnv.NODE_OPTIONS ?? '',
        ATS_ADAPTER: workerEnv.ATS_ADAPTER ?? '',
        enrichment: 'ROUND0 API fake (every event enriched)',
      },
      rounds,
      ratio: summarizeRatios(rounds.map((r) => r.ratio)),
      eventsPerSecond: round(median(rounds.map((r) => r.pipeline.eventsPerSecond))),
      dynamoDbPerSecond: round(median(rounds.map((r) => r.pipeline.dynamoDbPerSecond))),
      rawPutItemPerSecond: round(median(rounds.map((r) => r.raw.perSecond))),
      atsWritesPerEvent: round(atsWritesPerEvent, 2),
      dynamoDbPerEvent: {
        fresh: round(totalRequests(fresh) / options.events, 2),
        duplicate: round(totalRequests(duplicate) / last.length, 2),
        freshByCommand: fresh,
        duplicateByCommand: duplicate,
      },
      rawStorePutsPerEvent: {
        batched: round(roundPuts / events, 3),
        alone: round(alonePuts / alone.length, 3),
      },
      sqsRequestsPerEvent: round(roundSqsRequests / events, 3),
      sqsRequestsPerEventAlone: round(aloneSqsRequests / alone.length, 3),
      logs: {
        workerBytesPerEvent: round(workerLogBytes / events),
        workerLinesPerEvent: round(workerLogLines / events, 2),
        workerBytesPerEventAlone: round(aloneLogs.bytes / alone.length),
        workerLinesPerEventAlone: round(aloneLogs.lines / alone.length, 2),
        ingestBytesPerRequest: round(ingestLogBytes / events),
      },
      workerCpuMsPerEvent: round(median(rounds.map((r) => r.cpuMs.workerPerEvent)), 3),
      workerCpuMsPerEventAlone: round(workerCpuAlone / alone.length, 3),
      init: {
        coldStarts: coldStarts.length,
        initMs: round(median(coldStarts.map((sample) => sample.initMs)), 1),
        initCpuMs: round(median(coldStarts.map((sample) => sample.initCpuMs)), 1),
        bundleKb: round(deployed.functions.worker.bundleBytes / 1024, 1),
        nodeOptions: deployedEnv.NODE_OPTIONS ?? '',
      },
      ledgerItemBytes: ledgerItems.lived.max,
      ledgerItemBytesEndedOnly: ledgerItems.endedOnly.max,
      loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0] ?? 0, 2) },
    };
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * An item's size as DynamoDB bills it, approximately: attribute names and values in UTF-8, numbers at about
 * one byte per two digits, 3 bytes per map or list plus 1 per element.
 */
const itemBytes = (value: AttributeValue): number => {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.SS !== undefined) return value.SS.reduce((sum, item) => sum + Buffer.byteLength(item), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, item) => sum + Math.ceil(item.length / 2) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, item) => sum + 1 + itemBytes(item), 0);
  if (value.M !== undefined) return 3 + attributesBytes(value.M);
  return 1;
};
const attributesBytes = (attributes: Record<string, AttributeValue>): number =>
  Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + itemBytes(value),
    0,
  );

/**
 * The largest interview item of the ledger: of the lived interviews (started, then ended) and of the others
 * (ended only). Every page of the Scan (the bench's raw items fill many before the filter applies).
 */
const ledgerItemSizes = async (info: BenchServices, livedIds: ReadonlySet<string>) => {
  const client = new DynamoDBClient({
    region: info.env.AWS_REGION,
    endpoint: info.env.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const lived: number[] = [];
  const endedOnly: number[] = [];
  try {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: resources.ledgerTable.name,
          FilterExpression: 'begins_with(pk, :interview)',
          ExpressionAttributeValues: { ':interview': { S: 'INTERVIEW#' } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk?.S !== 'STATE') continue;
        const pk = item.pk?.S ?? '';
        const interviewId = pk.slice(pk.lastIndexOf('#') + 1);
        (livedIds.has(interviewId) ? lived : endedOnly).push(attributesBytes(item));
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  } finally {
    client.destroy();
  }
  if (lived.length !== livedIds.size) {
    throw new Error(`${lived.length} ledger items of ${livedIds.size} lived interviews`);
  }
  const max = (sizes: readonly number[]) => ({ max: sizes.length === 0 ? 0 : Math.max(...sizes) });
  return { lived: max(lived), endedOnly: max(endedOnly) };
};
