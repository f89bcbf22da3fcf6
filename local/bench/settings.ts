/** The bench's knobs (environment variables of `npm run bench`), with their defaults. */
export const benchParts = ['ingest', 'worker', 'archive'] as const;
export type BenchPart = (typeof benchParts)[number];

export interface BenchSettings {
  /** BENCH_PARTS: which parts run (comma-separated); the others keep their last results. */
  readonly parts: readonly BenchPart[];
  /** BENCH_STAGE: the stage of cdk.json whose settings the functions run with. */
  readonly stage: string;
  /** BENCH_ROUNDS: rounds of every side-by-side comparison (at least 5). */
  readonly rounds: number;
  /** BENCH_SECONDS: length of a timed throughput leg. */
  readonly seconds: number;
  /** BENCH_INIT_ROUNDS: cold starts per variant. */
  readonly initRounds: number;
  /** BENCH_ITERATIONS: handler calls per fixture. */
  readonly iterations: number;
  /** BENCH_EVENTS: events through the worker per round. */
  readonly events: number;
  /** BENCH_ARCHIVE_MB: size of the archived file, MiB. */
  readonly archiveMiB: number;
  /** BENCH_ARCHIVE_ROUNDS: rounds of the archive/raw comparison. */
  readonly archiveRounds: number;
}

const count = (value: string | undefined, fallback: number, minimum = 1): number => {
  const parsed = Number(value ?? fallback);
  if (!Number.isFinite(parsed) || parsed < minimum) {
    throw new Error(`bench: expected a number ≥ ${minimum}, got ${value}`);
  }
  return parsed;
};

export const benchSettings = (env: Readonly<Record<string, string | undefined>>): BenchSettings => {
  const parts = (env.BENCH_PARTS ?? benchParts.join(','))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const part of parts) {
    if (!(benchParts as readonly string[]).includes(part)) {
      throw new Error(`bench: unknown part ${part} in BENCH_PARTS (${benchParts.join(', ')})`);
    }
  }
  return {
    parts: parts as BenchPart[],
    stage: env.BENCH_STAGE ?? 'prod',
    rounds: count(env.BENCH_ROUNDS, 5, 5),
    seconds: count(env.BENCH_SECONDS, 3),
    initRounds: count(env.BENCH_INIT_ROUNDS, 15, 5),
    iterations: count(env.BENCH_ITERATIONS, 100),
    events: count(env.BENCH_EVENTS, 300, 10),
    archiveMiB: count(env.BENCH_ARCHIVE_MB, 512),
    archiveRounds: count(env.BENCH_ARCHIVE_ROUNDS, 5, 5),
  };
};

/** The command that reproduces a run: `npm run bench` with the BENCH_* variables that were set. */
export const benchCommand = (env: Readonly<Record<string, string | undefined>>): string => {
  const set = Object.entries(env)
    .filter(([name, value]) => name.startsWith('BENCH_') && value !== undefined && !name.endsWith('_FILE'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`);
  return [...set, 'npm run bench'].join(' ');
};
