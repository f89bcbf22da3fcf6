/**
 * The bench's processes: each role (the emulators, a function, the load generator) runs in a child process
 * of its own, so that none shares an event loop with another and each one's CPU time can be read apart.
 * Commands and answers travel over Node's IPC channel; a child's stdout is the function's log stream and
 * stays out of the way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Request {
  readonly id: number;
  readonly command: string;
  readonly args: unknown;
}
type Reply = { readonly id: number; readonly ok: true; readonly value: unknown } | FailedReply;
interface FailedReply {
  readonly id: number;
  readonly ok: false;
  readonly error: string;
}

export interface BenchChild {
  readonly pid: number;
  /** Runs `command` in the child and resolves with its answer. */
  call<T>(command: string, args?: unknown): Promise<T>;
  /** CPU time (user + system) the child has used so far, ms; NaN where /proc is not available. */
  cpuMs(): number;
  /** Asks the child to stop and waits for it to exit. */
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
const clockTicksPerSecond = 100;

/** CPU time of a process from /proc/<pid>/stat: utime + stime (fields 14 and 15). */
export const processCpuMs = (pid: number): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return Number.NaN;
  }
};

/**
 * Starts `script` (a path under the repository, run through tsx) and waits until it reports ready. The
 * child's environment is exactly `env` (plus PATH): nothing of the bench's own shell leaks into it.
 */
export const spawnBenchChild = async (
  script: string,
  env: Readonly<Record<string, string>>,
): Promise<BenchChild> => {
  // BENCH_CPU_PROF_DIR: every child writes a V8 CPU profile there when it ends (where the time goes).
  const profile = process.env.BENCH_CPU_PROF_DIR;
  const profiling = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const child: ChildProcess = spawn(process.execPath, [...profiling, '--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: Reply | { ready: true }) => {
    if ('ready' in message) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) waiting?.resolve(message.value);
    else waiting?.reject(new Error(`${script}: ${message.error}`));
  });
  child.once('exit', (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`${script} exited (${code})`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited before it was ready (${code})`)));
  });
  const pid = child.pid ?? 0;
  return {
    pid,
    call: <T>(command: string, args?: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, command, args } satisfies Request);
      }),
    cpuMs: () => processCpuMs(pid),
    stop: async () => {
      if (child.exitCode === null && child.connected)
        child.send({ id: -1, command: 'exit', args: undefined });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/**
 * The child's side: answers each command with its handler, then reports ready. `exit` runs `onExit` (if
 * any) and ends the process.
 */
export const serveBenchCommands = (
  handlers: Readonly<Record<string, (args: never) => Promise<unknown>>>,
  onExit?: () => Promise<void>,
): void => {
  process.on('message', async (request: Request) => {
    if (request.command === 'exit') {
      await onExit?.().catch(() => undefined);
      process.exit(0);
    }
    const handler = handlers[request.command];
    try {
      if (handler === undefined) throw new Error(`unknown command ${request.command}`);
      const value = await handler(request.args as never);
      process.send?.({ id: request.id, ok: true, value } satisfies Reply);
    } catch (error) {
      process.send?.({ id: request.id, ok: false, error: String(error) } satisfies Reply);
    }
  });
  // Without a parent (the IPC channel closed) there is nobody to answer: end.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true });
};

/**
 * Counts what the process writes to stdout and stderr (the function's log lines: Powertools JSON and EMF
 * metrics; CloudWatch Logs takes both) instead of writing it: bytes and lines since the last `take()`.
 * Lines matching `apart` (the log ATS adapter's writes, which a real ATS adapter makes over HTTP instead)
 * are counted on their own, in total.
 */
export const countLogOutput = (
  apart?: RegExp,
): { take(): { bytes: number; lines: number; problems: string[] }; apartTotal(): number } => {
  let bytes = 0;
  let lines = 0;
  let apartTotal = 0;
  // Warnings and errors are kept (the last few): a retried or failed event must not pass unnoticed.
  let problems: string[] = [];
  const counting = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (apart?.test(line)) {
        apartTotal += 1;
        continue;
      }
      bytes += Buffer.byteLength(line) + 1;
      lines += 1;
      if (/"level":"(WARN|ERROR|CRITICAL)"/.test(line))
        problems = [...problems, line.slice(0, 500)].slice(-10);
    }
    const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = counting;
  process.stderr.write = counting;
  return {
    take: () => {
      const taken = { bytes, lines, problems };
      bytes = 0;
      lines = 0;
      problems = [];
      return taken;
    },
    apartTotal: () => apartTotal,
  };
};
