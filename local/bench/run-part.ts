/**
 * Runs one benchmark part and prints its JSON result on the last stdout line. Each part runs in its own
 * process: the handlers read their configuration once per process, and the ingest figures must not share
 * the two cores with a worker draining the queue.
 */
// Local only: Lambda runs Node 22; on this Node 20 machine the SDK would warn at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runArchiveBench } from './archive-bench.js';
import { runIngestBench } from './ingest-bench.js';
import { runWorkerBench } from './worker-bench.js';

const part = process.argv[2];
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const run = () => {
  switch (part) {
    case 'ingest':
      return runIngestBench({ seconds, iterations: Number(process.env.BENCH_ITERATIONS ?? 200) });
    case 'worker':
      return runWorkerBench({ events: Number(process.env.BENCH_EVENTS ?? 500) });
    case 'archive':
      return runArchiveBench({
        sizeMiB: Number(process.env.BENCH_ARCHIVE_MB ?? 512),
        rounds: Number(process.env.BENCH_ARCHIVE_ROUNDS ?? 3),
      });
    default:
      throw new Error(`unknown bench part ${part}: ingest, worker or archive`);
  }
};
const result = await run();
process.stdout.write(`\n${JSON.stringify(result)}\n`);
process.exit(0);
