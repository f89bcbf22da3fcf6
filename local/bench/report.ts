/**
 * BENCHMARKS.md, rendered from the parts' stored results (local/bench/results/<part>.json): every section
 * names the command and the date that produced its figures, so a part left out of a run keeps its last
 * figures and says how old they are. local/bench/results/before/ holds the figures measured before the
 * speed work, shown beside the current ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resources } from '../../lib/resources.js';
import type { ArchiveBenchResult } from './archive-bench.js';
import { assumptions, costPerMillion, prices, workerCpuMsPerEventAt, workerMemoryChoices } from './cost.js';
import type { IngestBenchResult } from './ingest-bench.js';
import type { InitVariantResult, RatioSummary } from './init-bench.js';
import { median, round } from './stats.js';
import type { WorkerBenchResult } from './worker-bench.js';

export const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

/** One part's stored result and how it was produced. */
export interface PartRecord<T = unknown> {
  readonly part: string;
  readonly command: string;
  /** ISO 8601. */
  readonly date: string;
  /** The commit measured (absent in records written before it was kept). */
  readonly commit?: string;
  /** Whether the working tree had uncommitted changes to tracked files. */
  readonly dirty?: boolean;
  readonly machine: string;
  /** 1-minute load average at the start and the end of the part (the machine is shared). */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly result: T;
  /**
   * Not stored: set when rendering, the folders of the measured code (functions/, lib/, local/bench/) that
   * changed between `commit` and the code the report is written from.
   */
  readonly changedSince?: readonly string[];
}

const read = <T>(file: string): PartRecord<T> | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PartRecord<T>) : undefined;

const day = (record: PartRecord) => record.date.slice(0, 10);
const codeOf = (record: PartRecord) =>
  record.commit === undefined
    ? ''
    : ` at ${record.commit}${record.dirty ? ' (with uncommitted changes)' : ''}`;
const staleness = (record: PartRecord) =>
  record.changedSince === undefined || record.changedSince.length === 0
    ? ''
    : ` **The code measured has changed since** (${record.changedSince.join(', ')}): these figures are that commit's; rerun the part to measure this code.`;
const provenance = (record: PartRecord) =>
  `\`${record.command}\` on ${day(record)}${codeOf(record)} (${record.machine}; load average ${record.loadAverage.start} at the start, ${record.loadAverage.end} at the end).${staleness(record)}`;
/** The hosted alternatives' price sources (the others are AWS's). */
const hostedSource = /^(Hookdeck|Svix):/;

const ratio = (r: RatioSummary) => `**${r.median}** (min ${r.min}, max ${r.max})`;
const n = (value: number, digits = 1) => Number(value.toFixed(digits)).toLocaleString('en-US');

/**
 * The throughput target's verdict, and what it means: a "met" against an SDK sender that ran at its own
 * CPU's limit (within 15 % of one core's worth of its sends) says the ingest keeps up with an SDK-based
 * forwarder on these cores, not with the emulator, which the signed sender drives much faster.
 */
export const throughputVerdict = (
  t: IngestBenchResult['throughput'],
  cpu: IngestBenchResult['throughput']['cpuMsPerOperation'],
): string => {
  if (t.ratioToSendMessage.median < 0.8) return 'missed';
  const sdkCap = 1000 / cpu.sendMessage.load;
  if (t.perSecond.sendMessage < 0.85 * sdkCap) return 'met';
  return `met against the SDK sender only: it ran at its own CPU's limit (${cpu.sendMessage.load} ms a send, at most ${n(sdkCap)}/s on one core; ${n(t.perSecond.sendMessage)}/s measured), so the baseline is the load generator, not the emulator; against the emulator driven by the signed sender (${n(t.perSecond.signedSend)}/s) the ingest reaches ${t.ratioToSignedSend.median}${t.ratioToSignedSend.median >= 0.8 ? '' : ', which misses 0.8'}`;
};

const initRow = (v: InitVariantResult) =>
  `| ${v.label} | ${v.settings.tracing ? 'on' : 'off'} / ${v.settings.sourceMaps ? 'on' : 'off'} | ${n(v.bundleKb)} | ${v.sourceMapKb === 0 ? '–' : n(v.sourceMapKb)} | ${v.nodeOptions === '' ? '–' : `\`${v.nodeOptions}\``} | ${v.initMs.median} (${v.initMs.min}) | ${v.initCpuMs.median} | ${v.firstCallMs.median} | ${v.initPlusFirstCallMs.median} | ${v.ratio === undefined ? '1' : `${ratio(v.ratio.init)}; CPU ${v.ratio.initCpu.median}; + first call ${v.ratio.initPlusFirstCall.median}`} |`;

const ingestSection = (record: PartRecord<IngestBenchResult>): string => {
  const r = record.result;
  const t = r.throughput;
  const cpu = t.cpuMsPerOperation;
  const deployed = r.init.variants[1];
  return `## Ingest

${provenance(record)}

### Cold start, as deployed

Each bundle exactly as CDK's \`NodejsFunction\` builds it for the stage (an in-process \`cdk synth\` with bundling,
local/bench/deployed.ts), imported by a fresh \`node\` process with the function's own environment from the
template (its \`NODE_OPTIONS\` included), then called once against the emulators. ${r.init.rounds} rounds; in each,
every variant once, the order rotating every round; the ratio to the baseline is taken per round. The baseline
is a minimal handler bundled by the same construct: the SQS client and one \`SendMessage\` per call
(local/bench/minimal-handler.ts, no tracer, no source map). *init* = \`await import(bundle)\` (parse, compile and
top-level code: Lambda's INIT phase of our code), *first call* = the first invocation (what is loaded lazily is
paid there). Milliseconds, median (min).

| variant | tracing / source maps | bundle KB | map KB | NODE_OPTIONS | init ms | init CPU ms | first call ms | init + first call ms | ratio to baseline: init; init CPU; init + first call |
|---|---|---|---|---|---|---|---|---|---|
${r.init.variants.map(initRow).join('\n')}

**Ingest init / minimal handler: ${deployed?.ratio === undefined ? '–' : `${deployed.ratio.init.median} median, ${deployed.ratio.init.max} max`}** (target ≤ 1.2${deployed?.ratio === undefined ? '' : `: the median ${deployed.ratio.init.median <= 1.2 ? 'meets' : 'misses'} it, the slowest round ${deployed.ratio.init.max <= 1.2 ? 'too' : 'does not'}`}), init + first call ${deployed?.ratio?.initPlusFirstCall.median ?? '–'}.
What the deployed ingest does not load: the Tracer and the X-Ray SDK (tracing is off for the ingest by
default; where a stage turns it on they are bundled and loaded, the second row), its source map (off by
default), and neither the SQS nor the S3 client of the SDK: its one write per accepted request, the
\`SendMessage\` (the raw delivery travels in the message; the worker stores it), and the rare claim check's PUT (an
event larger than an SQS message) are requests it signs itself with the SDK's own signer
(\`@smithy/signature-v4\`; functions/platform/message-send.ts, object-put.ts), with the credentials Lambda puts
in its environment.
*init + first call* is what a cold request waits for, besides the runtime's own start and one thing this
bench leaves out: deployed, the first call reads the webhook secret from Secrets Manager (its client built
then, one HTTPS request, cached after), where here it reads the local secrets file; the baseline reads no
secret at all.
Worker bundle ${n(r.bundles.worker?.kb ?? 0)} KB (map ${n(r.bundles.worker?.sourceMapKb ?? 0)} KB), archive ${n(r.bundles.archive?.kb ?? 0)} KB (map ${n(r.bundles.archive?.sourceMapKb ?? 0)} KB).

### Handler time per fixture

The ingest handler called directly in its process (authenticate, validate, normalise, \`SendMessage\` of the
envelope and the raw delivery to the emulator in another process), each call with a fresh Lambda context and its
own timeout, as Lambda invokes it.

| fixture | median ms | p95 ms | calls |
|---|---|---|---|
${r.handler.map((h) => `| ${h.fixture} | ${h.medianMs} | ${h.p95Ms} | ${h.iterations} |`).join('\n')}

### Throughput at ${t.concurrency} concurrent connections

Three processes: the emulators; the ingest behind the local API Gateway (configured as deployed); the load
generator (autocannon for HTTP, a loop of senders for the raw legs; one process, warm, for every leg). Three
legs of ${t.seconds} s per round, the order rotating every round, after one warm-up leg each:

- **ingest**: \`POST /webhooks/micro1/{token}\` (\`interview.started\`): the ingest authenticates and validates it,
  sends the envelope with the raw delivery to SQS and answers 202;
- **SendMessage**: raw \`SendMessage\` of the very message the ingest sends for that body (body and attributes
  captured from the ingest's own code: its envelope and the raw delivery), ${t.concurrency} senders, through the AWS SDK's SQS client (the functions' own, \`cacheMiddleware\`
  on): the target's baseline, what a handler forwarding to SQS would use;
- **signed send**: the same message through the ingest's own sender (functions/platform/message-send.ts: one
  SigV4-signed request, no SDK client), like for like: the ratio to it is what the ingest adds beyond its send.

| round | order | ingest req/s | SendMessage/s | signed send/s | ingest / SendMessage | ingest / signed send |
|---|---|---|---|---|---|---|
${t.rounds
  .map(
    (round) =>
      `| ${round.round} | ${round.order.join(' → ')} | ${n(round.legs.ingest.perSecond)} | ${n(round.legs.sendMessage.perSecond)} | ${n(round.legs.signedSend.perSecond)} | ${round.ratioToSendMessage} | ${round.ratioToSignedSend} |`,
  )
  .join('\n')}

**Ingest / raw SendMessage (SDK): ${ratio(t.ratioToSendMessage)}** (target ≥ 0.8, ${throughputVerdict(t, cpu)}).
Like for like, ingest / raw signed send: ${ratio(t.ratioToSignedSend)}${t.ratioToSignedSend.median >= 0.8 ? '' : ' (below 0.8)'}.
Medians ${n(t.perSecond.ingest)} req/s, ${n(t.perSecond.sendMessage)} SendMessage/s, ${n(t.perSecond.signedSend)} signed sends/s; ingest p99 ≤ ${t.p99Ms} ms, ${t.non2xx} non-2xx answers.

Where the time goes: CPU milliseconds per request (or raw operation) of each process, median of the rounds
(from /proc: the machine's other load does not inflate them the way it inflates wall time):

| leg | load generator | ingest process | emulators |
|---|---|---|---|
| ingest | ${cpu.ingest.load} | ${cpu.ingest.ingest} | ${cpu.ingest.services} |
| SendMessage (SDK) | ${cpu.sendMessage.load} | – | ${cpu.sendMessage.services} |
| signed send | ${cpu.signedSend.load} | – | ${cpu.signedSend.services} |

Each leg is bound by CPU (two shared cores, one event loop per process): the ingest process spends
${cpu.ingest.ingest} ms per request (at most ${n(1000 / cpu.ingest.ingest)} requests/s on one core), the SDK's sender
${cpu.sendMessage.load} ms per send, the signed sender ${cpu.signedSend.load} ms. The ingest sends with the signed
sender, so its request costs ${round(cpu.ingest.ingest - cpu.signedSend.load, 3)} ms beyond its send: the webhook's
HTTP exchange (reading it and writing the answer), the API Gateway event, the HMAC, valibot, its log and EMF
lines. Against the signed send alone the ingest stays below 1: a raw signed send costs all the processes
${round(cpu.signedSend.load + cpu.signedSend.services, 3)} ms of CPU, an ingest request ${round(cpu.ingest.load + cpu.ingest.ingest + cpu.ingest.services, 3)} ms (its webhook's HTTP exchange
and its own work on top of the same send), on the same two cores.

Before its 202 the ingest writes once, to SQS: the raw delivery rides in the message and the worker keeps it in
the raw event store (S3) before it does anything else with the event. Its answer no longer waits for S3 (on
AWS an S3 PUT is the slower of the two writes), and an S3 outage no longer refuses deliveries that fit an SQS
message.

Log output of the ingest: ${r.logs.bytesPerRequest} bytes (${r.logs.linesPerRequest} lines) per request, measured from its
actual log lines (Powertools JSON and the EMF metrics blob).
`;
};

const workerSection = (record: PartRecord<WorkerBenchResult>): string => {
  const r = record.result;
  const by = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([command, count]) => `${command.replace('Command', '')} ${count}`)
      .join(', ');
  // CPU time per operation across every process of each leg (the machine's two cores are shared by all).
  const pipelineCpuMs = median(
    r.rounds.map(
      (x) => x.cpuMs.workerPerEvent + x.cpuMs.servicesPerEvent + (x.cpuMs.eventSourcePerEvent ?? 0),
    ),
  );
  const eventSourceSeparate = r.rounds.every((x) => x.cpuMs.eventSourcePerEvent !== undefined);
  const rawCpuMs = median(r.rounds.map((x) => x.cpuMs.loadPerPutItem + x.cpuMs.servicesPerPutItem));
  const dynamoDbPerEvent = r.dynamoDbPerEvent.fresh;
  return `## Worker

${provenance(record)}

Every role in its own process: the emulators and the vendor API fakes; the ingest; the worker; the load
generator${eventSourceSeparate ? "; the worker's event source mapping (receives, deletes: Lambda's on AWS, not the function's) runs in the bench's own process and invokes the worker's process with each batch, a fresh context and timeout per invocation" : ''}. The worker runs as the stage deploys it: ${Object.entries(
    r.settings,
  )
    .map(([name, value]) => `${name} ${value === '' ? '(unset)' : value}`)
    .join(
      ', ',
    )}; the local event source mapping as deployed (${r.concurrency.batches} batches of ${r.concurrency.batchSize} at once).
Each round: **pipeline** — ${r.eventsPerRound} fresh ROUND0 \`interview_ended\` events (distinct interviews, each
enriched from the ROUND0 API fake) are delivered through HTTP → ingest → SQS first, then the worker drains the
queue, timed until every ATS write landed (log adapter) and the queue is empty; **raw** — conditional
\`PutItem\`s (\`attribute_not_exists\`) on the same dynalite from the load process, ${r.concurrency.rawWriters} in flight (as many
as the worker can have). The legs alternate, the order flipping every round.

| round | order | events/s | DynamoDB requests/s | raw PutItem/s | ratio | CPU ms per event: worker, emulators${eventSourceSeparate ? ', event source' : ''} | CPU ms per PutItem: load generator, emulators |
|---|---|---|---|---|---|---|---|
${r.rounds
  .map(
    (round) =>
      `| ${round.round} | ${round.order} | ${round.pipeline.eventsPerSecond} | ${round.pipeline.dynamoDbPerSecond} | ${round.raw.perSecond} | ${round.ratio} | ${round.cpuMs.workerPerEvent}, ${round.cpuMs.servicesPerEvent}${round.cpuMs.eventSourcePerEvent === undefined ? '' : `, ${round.cpuMs.eventSourcePerEvent}`} | ${round.cpuMs.loadPerPutItem}, ${round.cpuMs.servicesPerPutItem} |`,
  )
  .join('\n')}

**DynamoDB requests/s through the pipeline / raw conditional PutItem/s: ${ratio(r.ratio)}** (target ≥ 0.8).
Medians: ${r.eventsPerSecond} events/s, ${r.dynamoDbPerSecond} DynamoDB requests/s, ${r.rawPutItemPerSecond} raw PutItem/s; ${r.atsWritesPerEvent} ATS writes per event
(the log adapter prints them, as the stage deploys it; counted apart, not as logs).

Why the ratio stays far below 1 on this machine: with every process on two shared cores, throughput is CPU
time. A raw \`PutItem\` costs its client and dynalite together ${round(rawCpuMs, 2)} ms; an event costs all the processes
of the pipeline ${round(pipelineCpuMs, 1)} ms (medians of the rounds). CPU time alone thus predicts a ratio of
${round((dynamoDbPerEvent / pipelineCpuMs) * rawCpuMs, 2)}; 0.8 would need the whole pipeline to spend at most ${round((dynamoDbPerEvent * rawCpuMs) / 0.8, 1)} ms per event, when its
${dynamoDbPerEvent} DynamoDB requests alone, at a raw \`PutItem\`'s cost, take ${round(dynamoDbPerEvent * rawCpuMs, 1)} ms. An event costs the
worker ${r.workerCpuMsPerEvent} ms (median) for its three DynamoDB requests plus everything else an event needs: ${eventSourceSeparate ? 'its invocation (the batch handed over and the answer returned, as the runtime API does)' : 'the SQS receive and delete'}, its share of the raw event store's S3 PUT (one per invocation), the ROUND0 API read (enrichment), the archive tasks' \`SendMessageBatch\`, the two ATS writes, its
log lines and metrics — and most of it inside the AWS SDK, whose per-request work is the same as the raw
client's. Per DynamoDB request the worker spends several times what the raw writer spends, so its requests
per second cannot approach the raw writer's here. On AWS the worker's throughput is not bounded by one CPU:
up to ${r.concurrency.batches} instances run at once (the ATS's rate limit sets that cap), each waiting on the network far more than
computing.

| per event | DynamoDB requests |
|---|---|
| fresh \`interview_ended\` | ${r.dynamoDbPerEvent.fresh} (${by(r.dynamoDbPerEvent.freshByCommand)}, last round) |
| duplicate delivery | ${r.dynamoDbPerEvent.duplicate} (${by(r.dynamoDbPerEvent.duplicateByCommand)}) |

A fresh \`interview_ended\` costs the interview's ledger item read (strongly consistent), one conditional write
recording the status advance, the ATS match, the event's claim and a claim on each ATS write, and one write
recording how each write ended and the event done. A duplicate costs the read alone. Ledger item once done,
of an interview started and then ended (its item keeps both events' records): ${r.ledgerItemBytes} bytes at
most${r.ledgerItemBytesEndedOnly === undefined ? '' : ` (${r.ledgerItemBytesEndedOnly} for an interview whose one event was \`interview_ended\`)`}${r.ledgerItemBytes > 1024 ? `, over 1 KB: each write of the ended event is billed ${Math.ceil(r.ledgerItemBytes / 1024)} write units (on the larger of the item before and after it)` : ''}. Log output: the worker ${r.logs.workerBytesPerEvent} bytes (${r.logs.workerLinesPerEvent} lines) per fresh event in
the rounds' batches${r.logs.workerBytesPerEventAlone === undefined ? '' : ` and ${r.logs.workerBytesPerEventAlone} bytes (${r.logs.workerLinesPerEventAlone} lines) per event alone in its invocation (a trickle)`}, the
ingest ${r.logs.ingestBytesPerRequest} bytes per delivery, measured from their actual log lines. An invocation's breakdown
metrics are one EMF line per distinct set of dimension values (functions/platform/metrics.ts), so a batch
shares them.${r.workerCpuMsPerEventAlone === undefined ? '' : ` CPU per fresh event alone in its invocation (${r.workerCpuMsPerEventAlone} ms, measured over the trickle's events drained one per invocation) against ${r.workerCpuMsPerEvent} ms in the rounds' batches: the trickle's cost below is priced on the former.`}
`;
};

const costSection = (
  ingest: PartRecord<IngestBenchResult>,
  worker: PartRecord<WorkerBenchResult>,
): string => {
  const deployed = ingest.result.init.variants[1];
  const tracing = {
    ingest: deployed?.settings.tracing ?? false,
    worker: worker.result.settings.POWERTOOLS_TRACE_ENABLED !== 'false',
  };
  const model = costPerMillion(ingest.result, worker.result, tracing);
  const busy = costPerMillion(ingest.result, worker.result, tracing, 10);
  const busyChanges = busy.lines.filter(
    (line, index) => line.core && line.usdPerMillion !== model.lines[index]?.usdPerMillion,
  );
  const fixedPerRequest = model.lines
    .filter((line) => line.core && /API Gateway|requests|SQS|DynamoDB ledger$/.test(line.item))
    .reduce((sum, line) => sum + line.usdPerMillion, 0);
  const a = assumptions;
  const rawStorePut = (prices.s3Put * 1e6).toFixed(2);
  const coldSensitivity = [0.1, 1].map((rate) => ({
    rate,
    model: costPerMillion(ingest.result, worker.result, tracing, 1, resources.worker.memoryMb, rate),
  }));
  const tracingLine = model.lines.find((line) => !line.core && line.media !== true);
  return `## Cost per million events

Computed by the bench from the figures above (ingest: ${day(ingest)}${codeOf(ingest)}, worker: ${day(worker)}${codeOf(worker)}${ingest.commit !== worker.commit || ingest.dirty || worker.dirty ? '; **not measured on one and the same committed code**: rerun both parts together to compare like with like' : ''}), the memory sizes of
lib/resources.ts and us-east-1 list prices as found on ${prices.checked} (confirm them before relying on this:
${prices.sources.filter((source) => !hostedSource.test(source)).join('; ')}). One event = one webhook accepted and processed once; free tiers left out.

Measured: CPU ms per request of the ingest process and per event of the worker process, DynamoDB requests per
event and the ledger item's size, log bytes per event, the ingest's and the worker's init CPU time. Assumed (not measurable
here): Lambda gives a full vCPU at ${a.fullVcpuMemoryMb} MB and proportionally less below, so local CPU time stretches by
${a.fullVcpuMemoryMb} / memory (a local core taken as one Lambda vCPU); in-region latencies awaited per call, warm
connections: SQS send ${a.sqsSendMs} ms, S3 PUT ${a.s3PutMs} ms (the worker's raw event), DynamoDB read ${a.dynamoDbGetMs} ms, write ${a.dynamoDbUpdateMs} ms;
a cold start on ${a.coldStartRate * 100}% of invocations (INIT is billed); ${a.eventsPerWorkerInvocation} event per worker invocation (a trickle of webhooks;
bursts batch up to 10 and divide the per-invocation lines); Lambda's START/END/REPORT lines ${a.platformLogBytesPerInvocation} B per
invocation and an access log line of ${a.accessLogBytesPerRequest} B per request (the stage's format, lib/constructs/ingest-api.ts,
with typical values: an IPv6 source address, micro1's route).

| item | per event | $ per million events | arithmetic |
|---|---|---|---|
${[...model.lines.filter((line) => line.core), ...model.lines.filter((line) => !line.core)].map((line) => `| ${line.item}${line.media === true ? ' *(media)*' : line.core ? '' : ' *(option)*'} | ${line.perEvent} | ${line.usdPerMillion.toFixed(3)} | ${line.arithmetic} |`).join('\n')}

**Core path (HTTP → ingest → SQS → worker → ledger, logs included), at a trickle: $${model.coreUsdPerMillion.toFixed(2)} per million events**
(target ≤ $5); **$${model.coreWithoutRawStoreUsdPerMillion.toFixed(2)}** without the raw event store's PUT, which is $${model.rawStoreUsdPerMillion.toFixed(2)} of it on its own:
the worker keeps an invocation's deliveries in one S3 object per day (functions/queue/raw-events.ts), so a
delivery alone in its invocation costs a whole PUT ($${rawStorePut} per million) and a batch of 10 shares one. Cheaper ways to keep them
at a trickle, none built: S3 Express One Zone ($0.00113 per 1,000 PUTs: $1.13 per million), batching deliveries
into one object per minute through Firehose (billed per 5 KB record: ~$0.15 per million at $0.029 per GB), or
keeping the raw body only in the SQS message and the DLQ (no replay after 14 days).

When busy (the worker's batches full, 10 events per invocation) the per-invocation items shrink:
${busyChanges.map((line) => `${line.item} $${line.usdPerMillion.toFixed(3)} (${line.arithmetic})`).join('; ')}.
**Core path when busy: $${busy.coreUsdPerMillion.toFixed(2)} per million events** (target ≤ $5, ${busy.coreUsdPerMillion <= 5 ? 'met' : 'missed'}), $${busy.coreWithoutRawStoreUsdPerMillion.toFixed(2)} without the raw event store.
The ledger's storage is $${busy.lines.find((line) => line.item.startsWith('DynamoDB ledger, storage'))?.usdPerMillion.toFixed(2)} of it: each interview's item kept ${resources.worker.ledgerRetentionSeconds / 86_400} days after its last write, with point-in-time recovery; a shorter
retention (\`ledgerRetentionSeconds\`, lib/resources.ts) lowers it in proportion.
An event with media (ROUND0 answers' audio, micro1 recordings and reports) adds the worker's side of its archive:
$${model.mediaUsdPerMillion.toFixed(2)} at a trickle, $${busy.mediaUsdPerMillion.toFixed(2)} when busy (the lines marked media below the core ones: its archive tasks' send, and
\`archive.completed\` back through the worker, estimated); the archive's own per-asset costs are apart.
The ${a.coldStartRate * 100}% cold starts hold for a steady stream; the fewer the webhooks, the likelier each invocation
starts cold, and INIT is billed: at a trickle with ${coldSensitivity.map(({ rate }) => `${rate * 100}%`).join(' and ')} cold starts the core
path costs ${coldSensitivity.map(({ rate, model: m }) => `$${m.coreUsdPerMillion.toFixed(2)} (${rate * 100}%)`).join(' and ')} per million events (both functions' INIT as measured above).
Why $5 is out of reach at a trickle: the per-request prices of the services the shape requires (API Gateway,
two Lambda invocations, three SQS requests, the ledger's read and two writes) already come to
$${fixedPerRequest.toFixed(2)} per million before any compute or log byte, and the raw event store's PUT of a lone delivery is $${model.rawStoreUsdPerMillion.toFixed(2)} on its own.
${tracingLine === undefined ? '' : `X-Ray, on for the stage's ${[tracing.ingest ? 'ingest' : '', tracing.worker ? 'worker' : ''].filter(Boolean).join(' and ')}, adds up to $${tracingLine.usdPerMillion.toFixed(2)} (one trace per invocation of a trickle).\n`}Not in the core path: waiting on the vendor API (enrichment) and the ATS, which the worker's Lambda bills while it
waits: $${model.perHundredMsAwaitedUsdPerMillion.toFixed(2)} per million events per 100 ms awaited (e.g. 2 ATS writes and one enrichment read of
~150 ms each: $${((atsAndVendorWaitMs / 1000) * (resources.worker.memoryMb / 1024) * prices.lambdaArmGbSecond * 1e6).toFixed(2)}); the archive (per asset: SQS, the archive Lambda's streaming time, S3 storage).

Hosted alternatives, published prices (same date; ${prices.sources.filter((source) => hostedSource.test(source)).join('; ')}):

| | per million events | fixed |
|---|---|---|
| interview-sync core path (this table) | $${model.coreUsdPerMillion.toFixed(2)} | none (alarms, dashboard and secrets: ~$10 per month) |
| Hookdeck Event Gateway | $10.00 (pay-as-you-go $1.00 per 100k), down to $3.30 at volume | Team from $39 per month |
| Svix | $100.00 ($0.0001 per message) | Professional from $490 per month |

Both hosted services only receive and forward the webhook (retries, a dashboard, replay): the worker, its
ledger and the ATS writes would still run and be paid for behind them.

${workerMemorySection(ingest, worker, tracing)}`;
};

/** Worker waits per event on the ATS and the vendor API priced in the memory table: 2 writes and 1 read. */
const atsAndVendorWaitMs = 450;

const workerMemorySection = (
  ingest: PartRecord<IngestBenchResult>,
  worker: PartRecord<WorkerBenchResult>,
  tracing: { readonly ingest: boolean; readonly worker: boolean },
): string => {
  const deployedMb = resources.worker.memoryMb;
  const choices = workerMemoryChoices(
    ingest.result,
    worker.result,
    tracing,
    [256, 512, 1024, assumptions.fullVcpuMemoryMb],
    atsAndVendorWaitMs,
  );
  const init = worker.result.init;
  const deployed = choices.find((choice) => choice.memoryMb === deployedMb);
  const smallest = choices[0];
  const row = (choice: (typeof choices)[number]) =>
    `| ${choice.memoryMb === deployedMb ? `**${choice.memoryMb} MB (deployed)**` : `${choice.memoryMb} MB`} | ${choice.cpuMsPerEvent} ms | ${choice.coldStartMs === undefined ? '–' : `${choice.coldStartMs} ms`} | ${choice.durationUsdPerMillion.toFixed(3)} | ${choice.durationWithWaitsUsdPerMillion.toFixed(2)} | ${choice.coreUsdPerMillion.toFixed(2)} |`;
  return `### The worker's memory size

The worker computes for ${workerCpuMsPerEventAt(worker.result, 1)} ms per event here${worker.result.workerCpuMsPerEventAlone === undefined ? '' : ` when each event has its invocation to itself (a trickle; ${worker.result.workerCpuMsPerEvent} in full batches)`} and waits far longer: on the core path's own requests
(the latencies assumed above) and on the ATS's and the vendor API's answers (not realistic in the fakes: priced
below at ${atsAndVendorWaitMs} ms per event, 2 ATS writes and one enrichment read of ~150 ms). Lambda bills every millisecond at
the memory size, so each size below is priced from the same measurements as the table above (CPU stretched by
${assumptions.fullVcpuMemoryMb} / memory; ${init === undefined ? 'the cold start not measured in this run' : `cold start: the deployed bundle (${init.bundleKb} KB${init.nodeOptions === '' ? '' : `, \`${init.nodeOptions}\``}) imported ${init.coldStarts} times in a fresh process, median ${init.initCpuMs} ms of CPU, stretched likewise`}).

| worker memory | CPU per event | cold start | worker duration, $ per million (trickle) | + ${atsAndVendorWaitMs} ms of ATS and vendor waits | core path, $ per million (trickle) |
|---|---|---|---|---|---|
${choices.map(row).join('\n')}

Halving the memory halves what the waiting costs and doubles the CPU time. ${deployedMb} MB: ${deployed === undefined ? '' : `${deployed.cpuMsPerEvent} ms of CPU per event and a ${deployed.coldStartMs ?? '(unmeasured)'} ms cold start (an upper bound: Lambda's INIT is said to run with burst CPU, so its import is not stretched by the memory size as here), for $${deployed.durationWithWaitsUsdPerMillion.toFixed(2)} per million events with the waits`}${smallest === undefined || smallest === deployed ? '' : `; ${smallest.memoryMb} MB would save $${((deployed?.durationWithWaitsUsdPerMillion ?? 0) - smallest.durationWithWaitsUsdPerMillion).toFixed(2)} more and stretch the cold start to ${smallest.coldStartMs ?? '(unmeasured)'} ms`}.
`;
};

const archiveSection = (record: PartRecord<ArchiveBenchResult>): string => {
  const a = record.result;
  const mid = (values: readonly number[]) =>
    [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)] ?? Number.NaN;
  const rss = (setup: ArchiveBenchResult['rss']['summary'][number]['setup']) =>
    a.rss.summary.find((summary) => summary.setup === setup);
  const archiveOnly = rss('archive-only');
  const rawOnly = rss('raw-only');
  const largest = (summary: typeof archiveOnly) => summary?.bySize.at(-1);
  const sizes = a.rssSizesMiB;
  const first = sizes[0] ?? 0;
  const last = sizes.at(-1) ?? 0;
  const rssRow = (label: string, summary: typeof archiveOnly) =>
    summary === undefined
      ? ''
      : `| ${label} | ${summary.bySize.map((s) => `${s.peakMiB} MiB (+${s.growthMiB})`).join(' | ')} | ${summary.ratio} (max ${summary.ratioMax ?? '–'}) | ${largest(summary)?.miBps.join(', ')} |`;
  const rawSeconds = mid(a.rounds.map((r) => r.rawSeconds));
  const rawComplete = mid(a.rounds.map((r) => r.rawCompleteSeconds));
  return `## Archive

${provenance(record)} The archive part took ${a.seconds} s. One ${a.sizeMiB} MiB file (MiB = 2^20 bytes; MB/s
below are MiB/s), served over node:http on 127.0.0.1 from a pseudo-random 1 MiB block repeated, uploaded to
s3rver (objects on disk in a temporary directory, deleted after every run) in ${a.partSizeMiB} MiB parts, ${a.queueSize} in
flight, on both sides, all in one process:

- **archive**: \`archiveMediaFile\` as the archive Lambda runs a file task: manifest read (dynalite), fetch
  through \`createMediaSource\` (URL guard; local relaxation, policy naming the server's host:port), body
  streamed into \`createS3ArchiveStore\` (SHA-256 on the way, lib-storage multipart, self-copy for the
  \`sha256\` metadata), manifest write;
- **raw**: the node:http response piped straight into lib-storage's \`Upload\` (no hashing, no manifest).

The sides alternate within each round and the order flips every round; every stored object is checked (its
size, and the archive's SHA-256 against the served bytes). One warm-up run per side (not shown) first.

| round | order | archive MB/s | raw MB/s | archive / raw | archive: Complete + self-copy | raw: Complete |
|---|---|---|---|---|---|---|
${a.rounds
  .map(
    (r) =>
      `| ${r.round} | ${r.order} | ${r.archiveMiBps} (${r.archiveSeconds} s) | ${r.rawMiBps} (${r.rawSeconds} s) | ${r.ratio} | ${r.archiveCompleteSeconds} s + ${r.archiveCopySeconds} s | ${r.rawCompleteSeconds} s |`,
  )
  .join('\n')}

**Archive / raw throughput: median ${a.ratio.median}, min ${a.ratio.min}** (max ${a.ratio.max}; median MB/s ${a.archiveMiBps.median}
vs ${a.rawMiBps.median}). Reading alone from the same server, no S3 (one run each): node:http ${a.ceilings.httpDrainMiBps} MB/s, the
media source ${a.ceilings.mediaSourceDrainMiBps} MB/s, the media source through SHA-256 ${a.ceilings.mediaSourceSha256MiBps} MB/s.

Peak RSS against file size, each run in a fresh child process; measured as ${a.rss.method}. In brackets the growth over
the RSS measured once everything was set up, just before the upload started; the last column is the
throughput of each ${last} MiB run (cold process, indicative only).

| child process runs | ${sizes.map((size) => `${size} MiB`).join(' | ')} | ${last} / ${first} | MB/s at ${last} MiB |
|---|${sizes.map(() => '---|').join('')}---|---|
${[
  rssRow('archive path + media server + s3rver + dynalite', rss('all-in-child')),
  rssRow('**archive path alone** (servers in the bench process)', archiveOnly),
  rssRow('raw `Upload` alone (reference; servers in the bench process)', rawOnly),
]
  .filter((row) => row !== '')
  .join('\n')}

**Peak RSS of the archive process, ${last} MiB / ${first} MiB: median ${archiveOnly?.ratio ?? '–'}, max ${archiveOnly?.ratioMax ?? '–'}** over the runs (each run's own ratio; target ≤ 1.2: memory does not grow with
the file).

What dominates: the emulator, on the same thread as both sides: s3rver hashes every byte with MD5 twice and
writes it to disk twice (the parts, then the object it reassembles at CompleteMultipartUpload, ${rawComplete} s of the
raw side's ${rawSeconds} s), and the SDK signs each part with a SHA-256 of its body over plain http; the archive side
adds its own SHA-256, undici's fetch and its stream layers on that one thread, which is the gap the ratio
shows (with the servers in another process, as in the RSS runs, the archive path alone ran at
${largest(archiveOnly)?.miBps.join(' and ')} MB/s against ${largest(rawOnly)?.miBps.join(' and ')} for the raw \`Upload\`).
`;
};

/** Before (local/bench/results/before/) and now, side by side: the figures the speed work aimed at. */
const beforeAfterSection = (
  now: { ingest?: PartRecord<IngestBenchResult>; worker?: PartRecord<WorkerBenchResult> },
  before: { ingest?: PartRecord<IngestBenchResult>; worker?: PartRecord<WorkerBenchResult> },
  beforeSignedSend?: PartRecord<IngestBenchResult>,
): string => {
  const rows: string[] = [];
  const notes: string[] = [];
  const deployed = (record?: PartRecord<IngestBenchResult>) => record?.result.init.variants[1];
  if (now.ingest !== undefined && before.ingest !== undefined) {
    const [b, a] = [deployed(before.ingest), deployed(now.ingest)];
    rows.push(
      `| ingest init / minimal handler (median, max) | ${b?.ratio?.init.median}, ${b?.ratio?.init.max} | ${a?.ratio?.init.median}, ${a?.ratio?.init.max} | ≤ 1.2 |`,
      `| ingest init + first call / minimal handler (median) | ${b?.ratio?.initPlusFirstCall.median} | ${a?.ratio?.initPlusFirstCall.median} | |`,
      `| ingest bundle KB (source map KB) | ${b?.bundleKb} (${b?.sourceMapKb}) | ${a?.bundleKb} (${a?.sourceMapKb}) | |`,
      `| ingest CPU ms per request | ${before.ingest.result.throughput.cpuMsPerOperation.ingest.ingest} | ${now.ingest.result.throughput.cpuMsPerOperation.ingest.ingest} | |`,
      `| ingest / raw SendMessage (median, min) | ${before.ingest.result.throughput.ratioToSendMessage.median}, ${before.ingest.result.throughput.ratioToSendMessage.min} | ${now.ingest.result.throughput.ratioToSendMessage.median}, ${now.ingest.result.throughput.ratioToSendMessage.min} | ≥ 0.8 |`,
      `| ingest log bytes per request | ${before.ingest.result.logs.bytesPerRequest} | ${now.ingest.result.logs.bytesPerRequest} | |`,
    );
  }
  if (now.ingest !== undefined && beforeSignedSend !== undefined) {
    const [b, a] = [beforeSignedSend.result.throughput, now.ingest.result.throughput];
    rows.push(
      `| ingest CPU ms per request, before the signed SendMessage² | ${b.cpuMsPerOperation.ingest.ingest} | ${a.cpuMsPerOperation.ingest.ingest} | |`,
      `| ingest / raw SendMessage (median, min), before the signed SendMessage² | ${b.ratioToSendMessage.median}, ${b.ratioToSendMessage.min} | ${a.ratioToSendMessage.median}, ${a.ratioToSendMessage.min} | ≥ 0.8 |`,
    );
    notes.push(
      `² The same bench on the code just before the ingest sent its SendMessage itself (the SDK's SQS client ` +
        `until then, commit f7f39e1): ${beforeSignedSend.command} on ${beforeSignedSend.date.slice(0, 10)}, ` +
        `load average ${beforeSignedSend.loadAverage.start}, kept in local/bench/results/before-signed-send/.`,
    );
  }
  if (now.worker !== undefined && before.worker !== undefined) {
    const [b, a] = [before.worker.result, now.worker.result];
    rows.push(
      `| worker DynamoDB req/s / raw PutItem/s (median, min) | ${b.ratio.median}, ${b.ratio.min} | ${a.ratio.median}, ${a.ratio.min} | ≥ 0.8 |`,
      `| worker CPU ms per event | ${b.workerCpuMsPerEvent} | ${a.workerCpuMsPerEvent} | |`,
      `| worker log bytes per event | ${b.logs.workerBytesPerEvent} | ${a.logs.workerBytesPerEvent} | |`,
    );
    notes.push(
      'The worker rows compare runs as much as code. Between them the worker lost the Tracer (tracing is off ' +
        'for it by default), gained the raw event store (one S3 PUT per event, which the ingest used to make) ' +
        'and writes its metrics in fewer lines (log bytes per event in batches of 10). The before run also ' +
        'wrote the log ATS adapter to a file it re-reads on every note (a bench artifact, since replaced by ' +
        'its printed lines, as deployed) on a machine at load ~10, which slowed the raw writer more than the worker.',
    );
  }
  if (rows.length === 0) return '';
  return `## Before and after

The figures of the same bench on the code before the speed work (${[before.ingest, before.worker]
    .filter((record) => record !== undefined)
    .map(
      (record) =>
        `${record?.part}: \`${record?.command}\` on ${record === undefined ? '' : day(record)}, load average ${record?.loadAverage.start}`,
    )
    .join('; ')}), kept in local/bench/results/before/, beside the current ones. Ratios are
comparable across runs (each measured side by side); absolute rates and times are not (the machine is shared).

| figure | before | now | target |
|---|---|---|---|
${rows.join('\n')}
${notes.length === 0 ? '' : `\n${notes.join('\n\n')}\n`}`;
};

/** The whole of BENCHMARKS.md from the stored results. */
export const renderBenchmarks = (
  dir: string = resultsDir,
  /** The measured code's folders changed between a commit and the code written from (git, in bin/bench.ts). */
  changedSince?: (commit: string) => readonly string[],
): string => {
  const current = <T>(record: PartRecord<T> | undefined): PartRecord<T> | undefined =>
    record?.commit === undefined || changedSince === undefined
      ? record
      : { ...record, changedSince: changedSince(record.commit) };
  const ingest = current(read<IngestBenchResult>(join(dir, 'ingest.json')));
  const worker = current(read<WorkerBenchResult>(join(dir, 'worker.json')));
  const archive = current(read<ArchiveBenchResult>(join(dir, 'archive.json')));
  const before = {
    ingest: read<IngestBenchResult>(join(dir, 'before', 'ingest.json')),
    worker: read<WorkerBenchResult>(join(dir, 'before', 'worker.json')),
  };
  const sections = [
    ingest === undefined ? undefined : ingestSection(ingest),
    worker === undefined ? undefined : workerSection(worker),
    ingest === undefined || worker === undefined ? undefined : costSection(ingest, worker),
    beforeAfterSection(
      { ingest, worker },
      before,
      read<IngestBenchResult>(join(dir, 'before-signed-send', 'ingest.json')),
    ),
    archive === undefined ? undefined : archiveSection(archive),
  ].filter((section): section is string => section !== undefined && section !== '');
  return `# Benchmarks

Written by \`npm run bench\` (bin/bench.ts, local/bench/): everything runs on this machine against the embedded
emulators (local-aws-sqs, dynalite, s3rver) and the local fakes, each role (emulators, function, load
generator) in a process of its own. The machine is shared with other work: absolute figures vary from run
to run; each ratio is measured side by side, its two sides interleaved over rounds, and reported as the
median and the minimum of the rounds. Each section names the command and the date of its figures:
\`BENCH_PARTS=ingest,worker npm run bench\` reruns two parts and keeps the others' last figures
(local/bench/results/).

${sections.join('\n')}`;
};
