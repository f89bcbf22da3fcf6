/**
 * Cost per million events on AWS, from what the bench measured (CPU time per request and per event, DynamoDB
 * requests per event, log bytes per event, cold-start init) and the memory sizes of lib/resources.ts, at
 * public us-east-1 list prices. What cannot be measured here (AWS request latencies, the cold-start rate) is
 * an assumption, stated beside the figure.
 */
import type { accessLogFields } from '../../lib/constructs/ingest-api.js';
import { serviceFunctionDefaults } from '../../lib/constructs/service-function.js';
import { storageDefaults } from '../../lib/constructs/storage.js';
import { resources } from '../../lib/resources.js';
import type { IngestBenchResult } from './ingest-bench.js';
import type { WorkerBenchResult } from './worker-bench.js';

/** AWS bills a GB of storage, logs and Lambda memory as 2^30 bytes. */
const bytesPerGb = 1024 ** 3;

/** us-east-1 list prices (USD), as found on the date below; confirm on the AWS pricing pages before relying on them. */
export const prices = {
  checked: '2026-12-02',
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  httpApiRequest: 1.0 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3Put: 0.005 / 1000,
  s3StandardGbMonth: 0.023,
  dynamoDbStorageGbMonth: 0.25,
  dynamoDbPitrGbMonth: 0.2,
  secretsManagerApiCall: 0.05 / 10_000,
  dynamoDbWriteUnit: 0.625 / 1e6,
  dynamoDbReadUnit: 0.125 / 1e6,
  logsIngestedGb: 0.5,
  logsStoredGbMonth: 0.03,
  xrayTrace: 5.0 / 1e6,
  sources: [
    'Lambda: aws.amazon.com/lambda/pricing (Arm $0.0000133334 per GB-s for the first 7.5 billion GB-s, $0.20 per million requests; INIT billed since 2025-08-01, aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase)',
    'API Gateway: aws.amazon.com/api-gateway/pricing (HTTP API $1.00 per million for the first 300 million, metered per 512 KB)',
    'SQS: aws.amazon.com/sqs/pricing (standard $0.40 per million requests, each 64 KB chunk one request)',
    'S3: aws.amazon.com/s3/pricing (Standard PUT $0.005 per 1,000, storage $0.023 per GB-month)',
    'DynamoDB: aws.amazon.com/dynamodb/pricing (on-demand $0.625 per million write units, $0.125 per million read units, after the November 2024 cut; Standard table storage $0.25 per GB-month, point-in-time recovery $0.20 per GB-month)',
    'Secrets Manager: aws.amazon.com/secrets-manager/pricing ($0.05 per 10,000 API calls; $0.40 per secret-month, fixed)',
    'CloudWatch Logs: aws.amazon.com/cloudwatch/pricing ($0.50 per GB ingested, the first tier of Lambda logs; $0.03 per GB-month stored, of the compressed bytes)',
    'X-Ray: aws.amazon.com/xray/pricing ($5.00 per million traces recorded)',
    'Hookdeck: hookdeck.com/pricing (Team from $39/month, events $1.00 per additional 100k, "as low as $0.33 per 100k" at volume)',
    'Svix: svix.com/pricing (Professional from $490/month with 50,000 messages, then $0.0001 per message)',
  ],
} as const;

/**
 * Typical values of the access log's `$context` fields (lib/constructs/ingest-api.ts), to size its line: an
 * IPv6 source address and micro1's longer route key, so the line is not undersized.
 */
const typicalAccessLogValues: Readonly<Record<keyof typeof accessLogFields, string>> = {
  requestId: 'JxRq2gVFoAMEbXw=',
  requestTime: '02/Dec/2026:10:24:08 +0000',
  ip: '2001:db8:85a3:8d3:1319:8a2e:370:7348',
  routeKey: 'POST /webhooks/micro1/{token}',
  status: '202',
  latency: '38',
  integrationLatency: '35',
  integrationError: '-',
  responseLength: '151',
};

/** Assumptions: what the bench cannot measure on this machine. */
export const assumptions = {
  /** Lambda gives one vCPU at 1,769 MB, proportionally less below: CPU time stretches by 1769 / memory. */
  fullVcpuMemoryMb: 1769,
  /** In-region latencies awaited per request, warm connections (ms). */
  sqsSendMs: 8,
  s3PutMs: 20,
  dynamoDbGetMs: 4,
  dynamoDbUpdateMs: 6,
  /** Cold starts per invocation (AWS: "under 1% of invocations" in production workloads). */
  coldStartRate: 0.01,
  /** Lambda's own START/END/REPORT lines per invocation, bytes. */
  platformLogBytesPerInvocation: 350,
  /** API Gateway access log line per request: the stage's format with typical values, bytes. */
  accessLogBytesPerRequest: Buffer.byteLength(`${JSON.stringify(typicalAccessLogValues)}\n`),
  /** DynamoDB's storage overhead per item, bytes (its pricing page: 100 B per item). */
  dynamoDbItemOverheadBytes: 100,
  /**
   * Events that share one interview's ledger item, as the bench's lived interviews have them: a ROUND0
   * interview's `interview_started` and `interview_ended` (the README has ROUND0 send all its events to the
   * one URL). A micro1 interview's item is shared by more (invited, started, recordings, report, proctoring).
   */
  eventsPerInterviewItem: 2,
  /** Days in a month, as the storage prices' GB-month counts them. */
  daysPerMonth: 30.4,
  /**
   * Secrets read at a cold start: the ingest the webhook secret, the worker the integration and vendor API
   * secrets (functions/worker.ts reads both); each again past its 5-minute cache (not priced: one read per
   * container and 5 minutes, spread over the events of a busy stream).
   */
  secretsPerColdStart: { ingest: 1, worker: 2 },
  /** Events per worker invocation: a trickle of webhooks fills batches of one (bursts fill up to 10). */
  eventsPerWorkerInvocation: 1,
  /** ATS writes and vendor API reads are awaited, not computed: priced apart, per 100 ms. */
} as const;

export interface CostLine {
  readonly item: string;
  readonly perEvent: string;
  readonly usdPerMillion: number;
  readonly arithmetic: string;
  /** Part of the core path (HTTP → ingest → queue → worker → ledger), or an option of the stage. */
  readonly core: boolean;
  /** What an event with media adds (its archive tasks and their completion); not in the core path. */
  readonly media?: boolean;
}

export interface CostModel {
  readonly lines: readonly CostLine[];
  readonly coreUsdPerMillion: number;
  readonly coreWithoutRawStoreUsdPerMillion: number;
  /** What an event with media adds to the core path (the worker's side of the archive). */
  readonly mediaUsdPerMillion: number;
  /** The raw event store's PUTs. */
  readonly rawStoreUsdPerMillion: number;
  readonly perHundredMsAwaitedUsdPerMillion: number;
  readonly ingestBilledMs: number;
  readonly workerBilledMs: number;
}

/** Lambda gives one vCPU at 1,769 MB and proportionally less below: local CPU time stretches by this. */
const stretch = (memoryMb: number): number => Math.max(1, assumptions.fullVcpuMemoryMb / memoryMb);

const usd = (value: number): string => `$${value.toFixed(value < 0.1 ? 3 : 2)}`;
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/**
 * The worker's CPU ms per event at `batch` events per invocation: measured one per invocation for a trickle
 * (each event then pays a whole invocation's raw event store PUT and metrics flush), in the
 * rounds' full batches otherwise; a result from before the trickle was measured has the batches' alone.
 */
export const workerCpuMsPerEventAt = (worker: WorkerBenchResult, batch: number): number =>
  batch === 1 ? (worker.workerCpuMsPerEventAlone ?? worker.workerCpuMsPerEvent) : worker.workerCpuMsPerEvent;

/** The cost per million events of the core path, line by line with its arithmetic. */
export const costPerMillion = (
  ingest: IngestBenchResult,
  worker: WorkerBenchResult,
  tracing: { readonly ingest: boolean; readonly worker: boolean },
  /** Events per worker invocation: 1 at a trickle, up to 10 (the batch size) when busy. */
  eventsPerWorkerInvocation: number = assumptions.eventsPerWorkerInvocation,
  /** The worker's memory size: the deployed one, or one weighed against it ({@link workerMemoryChoices}). */
  workerMemoryMb: number = resources.worker.memoryMb,
  /** Share of invocations that start cold (INIT billed): see {@link assumptions}. */
  coldStartRate: number = assumptions.coldStartRate,
): CostModel => {
  const a = { ...assumptions, coldStartRate };
  const batch = eventsPerWorkerInvocation;
  const million = 1e6;
  const ingestGb = resources.ingest.memoryMb / 1024;
  const workerGb = workerMemoryMb / 1024;

  const ingestCpuMs = ingest.throughput.cpuMsPerOperation.ingest.ingest;
  const ingestVariant = ingest.init.variants.find((v) => v.role === 'ingest');
  const ingestInitMs = (ingestVariant?.initCpuMs.median ?? 0) * stretch(resources.ingest.memoryMb);
  // The ingest awaits SQS alone; the worker stores the raw delivery (one S3 PUT) before processing.
  const ingestIoMs = a.sqsSendMs;
  const ingestBilledMs = Math.ceil(
    ingestCpuMs * stretch(resources.ingest.memoryMb) + ingestIoMs + a.coldStartRate * ingestInitMs,
  );

  const byCommand = worker.dynamoDbPerEvent.freshByCommand;
  const events = worker.eventsPerRound;
  const reads = (byCommand.GetItemCommand ?? 0) / events;
  const writes = ((byCommand.UpdateItemCommand ?? 0) + (byCommand.PutItemCommand ?? 0)) / events;
  const workerIoMs = a.s3PutMs + reads * a.dynamoDbGetMs + writes * a.dynamoDbUpdateMs + a.sqsSendMs;
  // Billed per invocation, rounded up to the millisecond as Lambda bills it, then shared by its events: the
  // batch's CPU time, its waiting (the batch's records are processed in parallel: an invocation waits about
  // as long for ten as for one) and its share of cold starts.
  const workerInitMs = (worker.init?.initCpuMs ?? 0) * stretch(workerMemoryMb);
  const workerCpuMs = workerCpuMsPerEventAt(worker, batch);
  const workerInvocationMs = Math.ceil(
    batch * workerCpuMs * stretch(workerMemoryMb) + workerIoMs + a.coldStartRate * workerInitMs,
  );
  const workerBilledMs = workerInvocationMs / batch;
  const invocations = 1 / batch;
  const writeUnits = Math.max(1, Math.ceil(worker.ledgerItemBytes / 1024));
  const readUnits = Math.max(1, Math.ceil(worker.ledgerItemBytes / 4096));
  // The worker's lines per event, measured at the same batching: an invocation's own lines (the aggregate
  // metrics, Lambda's) are shared by the events of a batch, and so are breakdown lines of the same values.
  const workerLogBytes =
    batch === 1
      ? (worker.logs.workerBytesPerEventAlone ?? worker.logs.workerBytesPerEvent)
      : worker.logs.workerBytesPerEvent;
  const logBytes =
    ingest.logs.bytesPerRequest +
    workerLogBytes +
    a.accessLogBytesPerRequest +
    a.platformLogBytesPerInvocation * (1 + invocations);

  // The worker's archive-task requests per event as measured at this batching (an invocation's sent together).
  const workerSends =
    batch === 1
      ? (worker.sqsRequestsPerEventAlone ?? worker.sqsRequestsPerEvent)
      : worker.sqsRequestsPerEvent;
  // The raw event store's PUTs per event as measured at this batching (one per invocation and day).
  const measuredPuts =
    batch === 1 ? worker.rawStorePutsPerEvent?.alone : worker.rawStorePutsPerEvent?.batched;
  const rawPuts = measuredPuts ?? 1;
  const rawPutsSource =
    measuredPuts === undefined
      ? 'one per event: not measured by this result'
      : batch === 1
        ? 'measured, one event per invocation'
        : "measured in the worker rounds' batches";
  const rawStoreUsd = rawPuts * prices.s3Put * million;
  // SQS bills a request per 64 KB of payload: a send by its message's size, a receive by its batch's (the
  // messages measured for every vendor sample); a delete carries none.
  const sizes = ingest.messageBytes;
  const sendChunks = sizes?.chunksPerSend ?? 1;
  // A lone message's receive is billed as its send; a batch's by its bytes (from the mean size: an estimate).
  const receiveChunks =
    sizes === undefined
      ? 1
      : batch === 1
        ? sendChunks
        : Math.max(1, Math.ceil((batch * sizes.mean) / 65_536));
  const sqsRequestsPerEvent = sendChunks + (receiveChunks + 1) * invocations;
  const sqsArithmetic =
    sizes === undefined
      ? `${round(sqsRequestsPerEvent, 3)} requests (each taken as ≤ 64 KB: message sizes not measured by this result) × $0.40 per million`
      : `(${sendChunks} × 64 KB chunks a send + (${receiveChunks} a receive of ${batch === 1 ? 'that message' : `${batch} × ${Math.round(sizes.mean)} B, estimated from the mean`} + 1 delete) / ${batch}) = ${round(sqsRequestsPerEvent, 3)} requests × $0.40 per million (messages ${Math.round(sizes.mean)} B mean, ${sizes.max} B largest, over the vendor samples)`;
  const lines: CostLine[] = [
    {
      item: 'API Gateway HTTP API',
      perEvent: '1 request',
      usdPerMillion: prices.httpApiRequest * million,
      arithmetic: '1 × $1.00 per million',
      core: true,
    },
    {
      item: 'ingest Lambda, requests',
      perEvent: '1 invocation',
      usdPerMillion: prices.lambdaRequest * million,
      arithmetic: '1 × $0.20 per million',
      core: true,
    },
    {
      item: 'ingest Lambda, duration',
      perEvent: `${ingestBilledMs} ms at ${resources.ingest.memoryMb} MB`,
      usdPerMillion: (ingestBilledMs / 1000) * ingestGb * prices.lambdaArmGbSecond * million,
      arithmetic: `(${ingestCpuMs} ms CPU × ${round(stretch(resources.ingest.memoryMb))} + ${ingestIoMs} ms awaited + ${a.coldStartRate} × ${Math.round(ingestInitMs)} ms init) = ${ingestBilledMs} ms × ${ingestGb} GB × $0.0000133334 per GB-s`,
      core: true,
    },
    {
      item: 'SQS events queue',
      perEvent: `1 send + ${invocations} receive + ${invocations} delete`,
      usdPerMillion: sqsRequestsPerEvent * prices.sqsRequest * million,
      arithmetic: sqsArithmetic,
      core: true,
    },
    {
      item: 'SQS archive queue, the worker’s sends',
      perEvent:
        workerSends === undefined ? '1 send (not measured by this result)' : `${workerSends} request(s)`,
      usdPerMillion: (workerSends ?? 1) * prices.sqsRequest * million,
      arithmetic: `${workerSends ?? 1} × $0.40 per million (the archive tasks of ${batch === 1 ? 'an event alone in its invocation: its own request' : "an invocation's events' tasks sent together, as measured"}; an event with media: every bench event is an ended interview with audio; the archive's own receives are the archive's)`,
      core: false,
      media: true,
    },
    {
      item: 'S3 raw event store',
      perEvent: `${round(rawPuts, 3)} PUT (the worker's: one per invocation and day)`,
      usdPerMillion: rawStoreUsd,
      arithmetic: `${round(rawPuts, 3)} × $0.005 per 1,000 (${rawPutsSource}; its storage is the line below)`,
      core: true,
    },
    {
      item: 'DynamoDB ledger',
      perEvent: `${round(reads)} strongly consistent read(s), ${round(writes)} write(s); item ~${worker.ledgerItemBytes} B`,
      usdPerMillion:
        (reads * readUnits * prices.dynamoDbReadUnit + writes * writeUnits * prices.dynamoDbWriteUnit) *
        million,
      arithmetic: `${round(reads)} × ${readUnits} RRU × $0.125 + ${round(writes)} × ${writeUnits} WRU × $0.625 per million`,
      core: true,
    },
    {
      item: 'worker Lambda, requests',
      perEvent: `${invocations} invocation(s)`,
      usdPerMillion: invocations * prices.lambdaRequest * million,
      arithmetic: `${invocations} × $0.20 per million (batch of ${batch})`,
      core: true,
    },
    {
      item: 'worker Lambda, duration',
      perEvent: `${workerBilledMs} ms at ${workerMemoryMb} MB`,
      usdPerMillion: (workerBilledMs / 1000) * workerGb * prices.lambdaArmGbSecond * million,
      arithmetic: `(${batch === 1 ? '' : `${batch} × `}${workerCpuMs} ms CPU${batch === 1 && worker.workerCpuMsPerEventAlone !== undefined ? ' (measured one event per invocation)' : ''} × ${round(stretch(workerMemoryMb))} + ${round(workerIoMs, 1)} ms awaited${worker.init === undefined ? '' : ` + ${a.coldStartRate} × ${Math.round(workerInitMs)} ms init`} = ${workerInvocationMs} ms an invocation${batch === 1 ? '' : ` / ${batch}`}) = ${workerBilledMs} ms × ${workerGb} GB × $0.0000133334 per GB-s`,
      core: true,
    },
    {
      item: 'CloudWatch Logs',
      perEvent: `${Math.round(logBytes)} B`,
      usdPerMillion: (logBytes / bytesPerGb) * prices.logsIngestedGb * million,
      arithmetic: `(${ingest.logs.bytesPerRequest} ingest + ${workerLogBytes} worker${batch === 1 ? ' (one event per invocation)' : ` (batches of ${worker.concurrency.batchSize})`}, measured; + ${a.accessLogBytesPerRequest} access log, its format with typical values; + ${a.platformLogBytesPerInvocation} × ${1 + invocations} platform lines, assumed) B × $0.50 per GB`,
      core: true,
    },
  ];
  // The ledger keeps an interview's item for the retention after its last write, and point-in-time recovery
  // (lib/constructs/storage.ts) bills the table's size again. The item is the interview's, not the event's:
  // the largest measured of an interview started and then ended, shared by its two events.
  const retentionDays = resources.worker.ledgerRetentionSeconds / 86_400;
  const storedBytes = (worker.ledgerItemBytes + a.dynamoDbItemOverheadBytes) / a.eventsPerInterviewItem;
  const storedMonths = retentionDays / a.daysPerMonth;
  const ledgerStorageUsd =
    (storedBytes / bytesPerGb) *
    storedMonths *
    (prices.dynamoDbStorageGbMonth + prices.dynamoDbPitrGbMonth) *
    million;
  // The raw event store keeps each delivery (about its queue message's size) for the stage's retention.
  const rawDays = storageDefaults.rawEventRetention.toDays();
  const rawBytes = sizes?.mean ?? 2048;
  const rawStorageUsd =
    (rawBytes / bytesPerGb) * (rawDays / a.daysPerMonth) * prices.s3StandardGbMonth * million;
  const secretReads =
    a.coldStartRate * (a.secretsPerColdStart.ingest + a.secretsPerColdStart.worker * invocations);
  // The log lines above are kept for the functions' log retention (the stage default), billed on their
  // compressed size: priced uncompressed, an overestimate.
  const logDays = serviceFunctionDefaults.logRetention as number;
  const logStorageUsd =
    (logBytes / bytesPerGb) * (logDays / a.daysPerMonth) * prices.logsStoredGbMonth * million;
  lines.push(
    {
      item: 'CloudWatch Logs, storage',
      perEvent: `${Math.round(logBytes)} B for ${logDays} days`,
      usdPerMillion: logStorageUsd,
      arithmetic: `${Math.round(logBytes)} B (the log bytes above, uncompressed: an overestimate) × ${round(logDays / a.daysPerMonth)} months (the default ${logDays}-day log retention) × $0.03 per GB-month`,
      core: true,
    },
    {
      item: 'DynamoDB ledger, storage and backups',
      perEvent: `${round(storedBytes)} B for ${retentionDays} days`,
      usdPerMillion: ledgerStorageUsd,
      arithmetic: `(${worker.ledgerItemBytes} B item, the largest measured of an interview started and then ended, + ${a.dynamoDbItemOverheadBytes} B overhead) / ${a.eventsPerInterviewItem} events sharing it × ${round(storedMonths)} months (the ledger's ${retentionDays}-day retention) × ($0.25 storage + $0.20 point-in-time recovery) per GB-month${worker.ledgerItemBytesEndedOnly === undefined ? '' : `; an interview whose only event is \`interview_ended\` (a subscription to it alone) keeps ${worker.ledgerItemBytesEndedOnly} B + ${a.dynamoDbItemOverheadBytes} B for its one event`}`,
      core: true,
    },
    {
      item: 'S3 raw event store, storage',
      perEvent: `${Math.round(rawBytes)} B for ${rawDays} days`,
      usdPerMillion: rawStorageUsd,
      arithmetic: `${Math.round(rawBytes)} B (${sizes === undefined ? 'assumed: message sizes not measured by this result' : 'the queue messages’ mean size, which carry the raw delivery'}) × ${round(rawDays / a.daysPerMonth)} months (the default ${rawDays}-day retention) × $0.023 per GB-month`,
      core: true,
    },
    {
      item: 'Secrets Manager reads',
      perEvent: `${round(secretReads, 3)} read(s)`,
      usdPerMillion: secretReads * prices.secretsManagerApiCall * million,
      arithmetic: `${a.coldStartRate} cold starts × (${a.secretsPerColdStart.ingest} ingest + ${a.secretsPerColdStart.worker} worker × ${invocations}) secrets × $0.05 per 10,000 (re-reads past the 5-minute cache: one per container and 5 minutes, not priced)`,
      core: true,
    },
  );
  // Every bench event has audio: the archive publishes `archive.completed` onto the events queue once the
  // event's assets are stored, and the worker processes it as one more event (the bench has no archive, so
  // it is not measured): priced as a second pass of the worker's measured path, an overestimate (no
  // enrichment, one ATS write).
  const secondPass = [
    'SQS events queue',
    'DynamoDB ledger',
    'worker Lambda, requests',
    'worker Lambda, duration',
  ];
  const secondPassUsd =
    lines
      .filter((line) => secondPass.includes(line.item))
      .reduce((sum, line) => sum + line.usdPerMillion, 0) +
    ((workerLogBytes + a.platformLogBytesPerInvocation * invocations) / bytesPerGb) *
      (prices.logsIngestedGb + (logDays / a.daysPerMonth) * prices.logsStoredGbMonth) *
      million;
  lines.push({
    item: '`archive.completed` back through the worker',
    perEvent: '1 more event (estimated)',
    usdPerMillion: secondPassUsd,
    arithmetic: `the lines ${secondPass.join(', ')} once more, and the worker's log bytes (ingested and stored): not measured (the bench runs no archive), priced as a second ended event (an overestimate: no enrichment, one ATS write); none for an event without media`,
    core: false,
    media: true,
  });
  if (tracing.worker || tracing.ingest) {
    const traces = (tracing.worker ? invocations : 0) + (tracing.ingest ? 1 : 0);
    lines.push({
      item: 'X-Ray (tracing on for the stage)',
      perEvent: `≤ ${traces} trace(s)`,
      usdPerMillion: traces * prices.xrayTrace * million,
      arithmetic: `${traces} × $5.00 per million (the default sampling rule records 1 per second + 5%: all of a trickle, a fraction of bursts)`,
      core: false,
    });
  }
  const core = lines.filter((line) => line.core).reduce((sum, line) => sum + line.usdPerMillion, 0);
  const media = lines.filter((line) => line.media).reduce((sum, line) => sum + line.usdPerMillion, 0);
  return {
    lines: lines.map((line) => ({ ...line, usdPerMillion: round(line.usdPerMillion, 3) })),
    coreUsdPerMillion: round(core, 2),
    coreWithoutRawStoreUsdPerMillion: round(core - rawStoreUsd, 2),
    mediaUsdPerMillion: round(media, 2),
    rawStoreUsdPerMillion: round(rawStoreUsd, 3),
    perHundredMsAwaitedUsdPerMillion: round(0.1 * workerGb * prices.lambdaArmGbSecond * million, 2),
    ingestBilledMs,
    workerBilledMs,
  };
};

/** The worker at one memory size, from the same measurements: what it would cost and how fast it would be. */
export interface WorkerMemoryChoice {
  readonly memoryMb: number;
  /** CPU time per event at this size (the measured CPU ms stretched). */
  readonly cpuMsPerEvent: number;
  /** INIT at this size (the measured init CPU stretched); undefined when not measured. */
  readonly coldStartMs: number | undefined;
  /** Worker duration, $ per million events at a trickle, with the core path's own waits only. */
  readonly durationUsdPerMillion: number;
  /** The same, also waiting `awaitedMs` per event on the ATS and the vendor API. */
  readonly durationWithWaitsUsdPerMillion: number;
  /** The core path at a trickle with the worker at this size. */
  readonly coreUsdPerMillion: number;
}

/**
 * The worker's duration cost and speed at each of `sizes` (MB), priced as {@link costPerMillion} prices the
 * deployed size: why the worker has the memory it has. `awaitedMs` is the time an event waits on the ATS
 * and the vendor API, which the bench's fakes do not make realistic: billed at every size alike.
 */
export const workerMemoryChoices = (
  ingest: IngestBenchResult,
  worker: WorkerBenchResult,
  tracing: { readonly ingest: boolean; readonly worker: boolean },
  sizes: readonly number[],
  awaitedMs: number,
): WorkerMemoryChoice[] =>
  sizes.map((memoryMb) => {
    const model = costPerMillion(ingest, worker, tracing, 1, memoryMb);
    const duration = model.lines.find((line) => line.item === 'worker Lambda, duration');
    const waitsUsd = (awaitedMs / 1000) * (memoryMb / 1024) * prices.lambdaArmGbSecond * 1e6;
    return {
      memoryMb,
      cpuMsPerEvent: round(workerCpuMsPerEventAt(worker, 1) * stretch(memoryMb), 1),
      coldStartMs:
        worker.init === undefined ? undefined : Math.round(worker.init.initCpuMs * stretch(memoryMb)),
      durationUsdPerMillion: round(duration?.usdPerMillion ?? 0, 3),
      durationWithWaitsUsdPerMillion: round((duration?.usdPerMillion ?? 0) + waitsUsd, 2),
      coreUsdPerMillion: model.coreUsdPerMillion,
    };
  });

export const formatUsd = usd;
