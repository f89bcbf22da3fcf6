/**
 * Runs one benchmark part in a process of its own and writes its JSON result to the file named by the second
 * argument; progress goes to stderr. The ingest and worker parts read the synthesised stage from
 * BENCH_DEPLOYED_FILE (written by bin/bench.ts).
 */
// Local only: Lambda runs Node 22; on this Node 20 machine the SDK would warn at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readFileSync, writeFileSync } from 'node:fs';
import { runArchiveBench } from './archive-bench.js';
import type { DeployedStage } from './deployed.js';
import { runIngestBench } from './ingest-bench.js';
import { benchSettings } from './settings.js';
import { runWorkerBench } from './worker-bench.js';

const [part, resultFile] = process.argv.slice(2);
const settings = benchSettings(process.env);
const progress = (line: string) => process.stderr.write(`bench ${part}: ${line}\n`);
const stages = () =>
  JSON.parse(readFileSync(process.env.BENCH_DEPLOYED_FILE ?? '', 'utf8')) as {
    deployed: DeployedStage;
    allOn?: DeployedStage;
  };

const run = () => {
  switch (part) {
    case 'ingest':
      return runIngestBench({
        ...stages(),
        rounds: settings.rounds,
        seconds: settings.seconds,
        initRounds: settings.initRounds,
        iterations: settings.iterations,
        progress,
      });
    case 'worker':
      return runWorkerBench({
        deployed: stages().deployed,
        rounds: settings.rounds,
        events: settings.events,
        seconds: settings.seconds,
        progress,
      });
    case 'archive':
      return runArchiveBench({ sizeMiB: settings.archiveMiB, rounds: settings.archiveRounds });
    default:
      throw new Error(`unknown bench part ${part}: ingest, worker or archive`);
  }
};
const result = await run();
writeFileSync(resultFile ?? '/dev/stdout', JSON.stringify(result, null, 1));
process.exit(0);
