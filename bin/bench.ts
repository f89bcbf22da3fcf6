/**
 * `npm run bench`: runs the ingest and worker benchmarks (each in its own process) and writes
 * BENCHMARKS.md. Environment: BENCH_SECONDS (throughput run length, default 5), BENCH_ITERATIONS
 * (handler calls per fixture, default 200), BENCH_EVENTS (events through the worker, default 500).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { IngestBenchResult } from '../local/bench/ingest-bench.js';
import type { WorkerBenchResult } from '../local/bench/worker-bench.js';

const root = fileURLToPath(new URL('../', import.meta.url));

const runPart = <T>(part: 'ingest' | 'worker'): T => {
  process.stderr.write(`bench: running ${part}…\n`);
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'local/bench/run-part.ts', part], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
  const last = output.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as T;
};

const ingest = runPart<IngestBenchResult>('ingest');
const worker = runPart<WorkerBenchResult>('worker');

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
const markdown = `# Benchmarks

Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${machine}). Everything runs on
this machine against the embedded emulators (local-aws-sqs, dynalite, s3rver); absolute figures are for
comparing runs, ratios are measured side by side in the same run.

## Ingest

| what | value |
|---|---|
| ingest bundle (minified ESM, SDK included, as CDK builds it) | ${ingest.bundleKb.ingest} KB |
| worker bundle | ${ingest.bundleKb.worker} KB |
| ingest module init (fresh process, median of ${ingest.initMs.runs}) | ${ingest.initMs.median} ms (p90 ${ingest.initMs.p90} ms) |
| HTTP ingest throughput, ${ingest.throughput.concurrency} connections, ${ingest.throughput.seconds} s | ${ingest.throughput.httpPerSecond} req/s (p99 ${ingest.throughput.httpP99Ms} ms, non-2xx ${ingest.throughput.httpNon2xx}) |
| raw \`SendMessage\` to the same emulator, ${ingest.throughput.concurrency} concurrent | ${ingest.throughput.sendMessagePerSecond} msg/s |
| **HTTP ingest / raw SendMessage** | **${ingest.throughput.ratio}** |

Per-event ingest handler time (authenticate, validate, normalise, \`SendMessage\` to the emulator), handler
called in-process:

| fixture | median ms | p95 ms | calls |
|---|---|---|---|
${ingest.handler.map((h) => `| ${h.fixture} | ${h.medianMs} | ${h.p95Ms} | ${h.iterations} |`).join('\n')}

## Worker

| what | value |
|---|---|
| events through the pipeline (HTTP → ingest → SQS → worker → log adapter) | ${worker.events} ROUND0 \`interview_ended\`, distinct interviews |
| wall time until every ATS write landed and the queue was empty | ${worker.seconds} s |
| **worker throughput** | **${worker.eventsPerSecond} events/s** (${worker.atsWrites} ATS writes) |
| DynamoDB requests per fresh event | ${worker.dynamoDbPerEvent.fresh} (${Object.entries(
  worker.dynamoDbPerEvent.freshByCommand,
)
  .map(([k, v]) => `${k.replace('Command', '')} ${v}`)
  .join(', ')}) |
| DynamoDB requests per duplicate delivery | ${worker.dynamoDbPerEvent.duplicate} (${Object.entries(
  worker.dynamoDbPerEvent.duplicateByCommand,
)
  .map(([k, v]) => `${k.replace('Command', '')} ${v}`)
  .join(', ')}) |
| ratio duplicate / fresh | ${(worker.dynamoDbPerEvent.duplicate / worker.dynamoDbPerEvent.fresh).toFixed(2)} |

A fresh \`interview_ended\` costs: the interview's ledger item read (Get, strongly consistent), one
conditional write recording the status advance, the ATS match, the event's claim and a claim on each ATS
write together (Update), and one write recording how each write ended and the event done (Update). A
duplicate delivery costs the read alone: the event is found done on the item. A micro1 report adds one blind
conditional Update closing its session item (4 in all). The effects ledger lives on the interview's item,
so no request depends on how many ATS writes an event makes.

Billing on AWS: a conditional write whose condition fails is still billed as a write (write request units
for the size of the item as it is, at least one), so a lost race costs a write plus the re-read; they
happen only when two events of one interview are processed at the same moment. The duplicate path makes no
conditional write at all. (Powertools Idempotency, used before, sent \`ReturnValuesOnConditionCheckFailure:
ALL_OLD\` so that a duplicate's refused claim returned the stored record without a second read; dynalite
ignores that flag and the old bench counted a read after it.)
`;
writeFileSync(`${root}BENCHMARKS.md`, markdown);
process.stdout.write(markdown);
