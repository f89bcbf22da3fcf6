/**
 * Runs one of the project's CLIs (`bin/<script>.ts`) in a process of its own, as `npm run <script>` does,
 * and collects its exit code and output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run <script> -- <args>` with `env` as its whole environment (`NODE_OPTIONS` cleared). */
export const runCliProcess = (
  script: 'ops' | 'send',
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<CliRun> => {
  const child = spawn('node_modules/.bin/tsx', [`bin/${script}.ts`, ...args], {
    cwd: repoRoot,
    env: { ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
};
