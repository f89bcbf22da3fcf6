/**
 * `npm run bench`: runs the benchmark parts (each in its own process, its roles in processes of their own)
 * and writes BENCHMARKS.md. Each part's result is kept in local/bench/results/<part>.json with the command
 * and date that produced it, so `BENCH_PARTS=ingest,worker npm run bench` reruns two parts and the archive
 * section keeps its last figures (and says when they were measured).
 *
 * Environment (defaults in local/bench/settings.ts): BENCH_PARTS (ingest,worker,archive), BENCH_STAGE
 * (prod), BENCH_ROUNDS (5, at least 5), BENCH_SECONDS (3), BENCH_INIT_ROUNDS (15), BENCH_ITERATIONS (100),
 * BENCH_EVENTS (300), BENCH_ARCHIVE_MB (512), BENCH_ARCHIVE_ROUNDS (5, at least 5).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeVersion } from '../local/bench/code-version.js';
import { type DeployedStage, synthesizeDeployedStage } from '../local/bench/deployed.js';
import { type PartRecord, renderBenchmarks, resultsDir } from '../local/bench/report.js';
import { benchCommand, benchSettings } from '../local/bench/settings.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const settings = benchSettings(process.env);
const command = benchCommand(process.env);
// The synthesised bundles and the parts' results: removed when the bench ends, whatever the outcome.
const scratch = mkdtempSync(join(tmpdir(), 'interview-sync-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

// The functions as the stage deploys them, bundled by CDK once for the parts that run them.
const childEnv: Record<string, string | undefined> = { ...process.env };
if (settings.parts.includes('ingest') || settings.parts.includes('worker')) {
  log(`synthesising the ${settings.stage} stage with bundling…`);
  const deployed = synthesizeDeployedStage(settings.stage, {}, scratch);
  const ingest = deployed.functions.ingest;
  // The earlier default beside it, when the stage turns either off for the ingest.
  const lean = ingest.environment.POWERTOOLS_TRACE_ENABLED === 'false' || ingest.sourceMapBytes === 0;
  const allOn: DeployedStage | undefined = lean
    ? synthesizeDeployedStage(settings.stage, { tracing: true, sourceMaps: true }, scratch)
    : undefined;
  const file = join(scratch, 'deployed.json');
  writeFileSync(file, JSON.stringify({ deployed, allOn }));
  childEnv.BENCH_DEPLOYED_FILE = file;
}

mkdirSync(resultsDir, { recursive: true });
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
// The code measured: the commit, whether the working tree differed from it, what changed since a kept part.
const code = codeVersion(root);
const { commit, dirty } = code;
for (const part of settings.parts) {
  log(`running ${part}…`);
  const loadAtStart = loadavg()[0] ?? 0;
  const resultFile = join(scratch, `${part}.json`);
  execFileSync(process.execPath, ['--import', 'tsx', 'local/bench/run-part.ts', part, resultFile], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const record: PartRecord = {
    part,
    command,
    date: new Date().toISOString(),
    ...(commit === undefined ? {} : { commit, dirty }),
    machine,
    loadAverage: {
      start: Math.round(loadAtStart * 100) / 100,
      end: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    },
    result: JSON.parse(readFileSync(resultFile, 'utf8')),
  };
  writeFileSync(join(resultsDir, `${part}.json`), `${JSON.stringify(record, null, 1)}\n`);
}

const markdown = renderBenchmarks(resultsDir, code.changedSince);
writeFileSync(join(root, 'BENCHMARKS.md'), markdown);
process.stdout.write(markdown);
