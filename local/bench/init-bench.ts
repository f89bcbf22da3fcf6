/**
 * Cold start as deployed: each bundle CDK built (local/bench/deployed.ts), imported by a fresh Node process
 * with the function's own environment (its `NODE_OPTIONS` included, so `--enable-source-maps` where the
 * stage turns source maps on), then called once against the emulators, as Lambda's runtime does on a cold
 * start. The variants run interleaved, the order rotating every round, so that every variant meets the same
 * machine noise; each round's ratio to the baseline (the minimal SQS handler) is kept.
 *
 * Measured in the child: `init` = wall time of `await import(bundle)` (module loading: parse, compile,
 * top-level code; what Lambda's INIT phase runs of ours), its CPU time, and `first call` = the first
 * invocation (whatever is loaded lazily on first use is paid here, so `init + first call` is what a cold
 * request waits for, besides the runtime's own start).
 */
import { spawn } from 'node:child_process';
import type { DeployedFunction } from './deployed.js';
import { median, round } from './stats.js';

/** The child: imports the bundle, calls its handler once, reports on fd 3. */
const childScript = `
const [file, eventJson] = process.argv.slice(1);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const module = await import(file);
const t1 = performance.now();
const cpu1 = process.cpuUsage(cpu0);
const context = {
  functionName: 'bench', functionVersion: '$LATEST', memoryLimitInMB: '512', awsRequestId: 'cold-start',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000,
};
const result = await module.handler(JSON.parse(eventJson), context);
const t2 = performance.now();
const { writeSync } = await import('node:fs');
writeSync(3, JSON.stringify({
  initMs: t1 - t0, initCpuMs: (cpu1.user + cpu1.system) / 1000, firstCallMs: t2 - t1, status: result?.statusCode,
}));
process.exit(0);
`;

export interface InitSample {
  readonly initMs: number;
  readonly initCpuMs: number;
  readonly firstCallMs: number;
  readonly status: number | undefined;
}

/** One cold start of `bundle` in a fresh process with exactly `env`. */
export const coldStart = (bundle: string, env: Readonly<Record<string, string>>, event: unknown) =>
  new Promise<InitSample>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', childScript, bundle, JSON.stringify(event)],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
    );
    let report = '';
    let errors = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0 || report === '')
        reject(new Error(`cold start of ${bundle} failed (${code}): ${errors}`));
      else resolve(JSON.parse(report) as InitSample);
    });
  });

export interface InitVariant {
  /** What the row is called in BENCHMARKS.md. */
  readonly label: string;
  readonly fn: DeployedFunction;
  readonly env: Readonly<Record<string, string>>;
  /** The first call's event. */
  readonly event: unknown;
  /** The settings the stage deployed it with (shown beside the label). */
  readonly settings: { readonly tracing: boolean; readonly sourceMaps: boolean };
}

export interface InitVariantResult {
  readonly label: string;
  readonly role: DeployedFunction['role'];
  readonly settings: InitVariant['settings'];
  readonly nodeOptions: string;
  readonly bundleKb: number;
  readonly sourceMapKb: number;
  readonly initMs: { readonly median: number; readonly min: number };
  readonly initCpuMs: { readonly median: number; readonly min: number };
  readonly firstCallMs: { readonly median: number };
  readonly initPlusFirstCallMs: { readonly median: number };
  /** Ratios to the baseline, one per round (absent for the baseline itself). */
  readonly ratio?: {
    readonly init: RatioSummary;
    readonly initCpu: RatioSummary;
    readonly initPlusFirstCall: RatioSummary;
  };
}

export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export const summarizeRatios = (ratios: readonly number[]): RatioSummary => ({
  median: round(median(ratios), 2),
  min: round(Math.min(...ratios), 2),
  max: round(Math.max(...ratios), 2),
});

export interface InitBenchResult {
  readonly rounds: number;
  readonly baseline: string;
  readonly variants: readonly InitVariantResult[];
}

/**
 * `rounds` rounds; in each, every variant once (plus the baseline), in an order that rotates by one every
 * round. One warm-up round (not kept) first: the file system cache.
 */
export const runInitBench = async (
  baseline: InitVariant,
  variants: readonly InitVariant[],
  rounds: number,
  progress: (line: string) => void,
): Promise<InitBenchResult> => {
  const all = [baseline, ...variants];
  const samples = all.map(() => [] as InitSample[]);
  for (let index = -1; index < rounds; index += 1) {
    const order = all.map((_, i) => (i + Math.max(0, index)) % all.length);
    for (const i of order) {
      const variant = all[i] as InitVariant;
      const sample = await coldStart(variant.fn.bundle, variant.env, variant.event);
      if (sample.status !== 202)
        throw new Error(`${variant.label}: the first call answered ${sample.status}`);
      if (index >= 0) samples[i]?.push(sample);
    }
    if (index >= 0) progress(`init round ${index + 1}/${rounds}`);
  }
  const base = samples[0] as InitSample[];
  const perRound = (own: readonly InitSample[], of: (sample: InitSample) => number) =>
    summarizeRatios(own.map((sample, r) => of(sample) / of(base[r] as InitSample)));
  return {
    rounds,
    baseline: baseline.label,
    variants: all.map((variant, i) => {
      const own = samples[i] as InitSample[];
      const total = (s: InitSample) => s.initMs + s.firstCallMs;
      return {
        label: variant.label,
        role: variant.fn.role,
        settings: variant.settings,
        nodeOptions: variant.env.NODE_OPTIONS ?? '',
        bundleKb: round(variant.fn.bundleBytes / 1024),
        sourceMapKb: round(variant.fn.sourceMapBytes / 1024),
        initMs: {
          median: round(median(own.map((s) => s.initMs))),
          min: round(Math.min(...own.map((s) => s.initMs))),
        },
        initCpuMs: {
          median: round(median(own.map((s) => s.initCpuMs))),
          min: round(Math.min(...own.map((s) => s.initCpuMs))),
        },
        firstCallMs: { median: round(median(own.map((s) => s.firstCallMs))) },
        initPlusFirstCallMs: { median: round(median(own.map(total))) },
        ...(i === 0
          ? {}
          : {
              ratio: {
                init: perRound(own, (s) => s.initMs),
                initCpu: perRound(own, (s) => s.initCpuMs),
                initPlusFirstCall: perRound(own, total),
              },
            }),
      };
    }),
  };
};
