/**
 * `npm start`'s process (bin/start.ts) as a user runs it, on free ports and a data directory of its own:
 * Ctrl-C (SIGINT, which the terminal and npm both deliver, a moment apart) drains and stops it with
 * "stopped" and exit code 0, removing the runtime info `npm run ops` and `npm run send` read; a second
 * press a second later quits at once (130). No ffmpeg on its PATH: no media fake to make, a faster start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { projectRoot } from '../../../lib/constructs/service-function.js';
import { runtimeInfoPath } from '../../../local/runtime-info.js';

let dataDir: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'start-stop-'));
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  child = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts bin/start.ts and resolves once it prints that it is running; `output()` is everything it wrote. */
const startPipeline = async () => {
  const started = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'bin', 'start.ts')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      PORT: '0',
      CONSOLE_PORT: '0',
      DATA_DIR: dataDir,
      SECRETS_FILE: join(dataDir, 'secrets.local.json'),
      // Node alone: without ffmpeg there is no media fake to generate
      PATH: dirname(process.execPath),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let output = '';
  started.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = once(started, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('interview-sync is running locally')) {
        clearInterval(check);
        resolve();
      } else if (started.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`bin/start.ts exited ${started.exitCode}:\n${output}`));
      }
    }, 100);
  });
  return { process: started, exited, output: () => output };
};

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('npm start: stopping', () => {
  it('stops on Ctrl-C with "stopped" and exit code 0, the second signal of the same press ignored', async () => {
    // Prepare
    const pipeline = await startPipeline();
    expect(await exists(runtimeInfoPath(dataDir))).toBe(true);

    // Act: the terminal's SIGINT and npm's relayed one, a moment apart (two sent at once would be
    // delivered as one)
    pipeline.process.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    pipeline.process.kill('SIGINT');
    const [code] = await pipeline.exited;

    // Assess
    expect({ code, stopped: /\nstopped\n/.test(pipeline.output()) }).toEqual({ code: 0, stopped: true });
    expect(pipeline.output()).not.toMatch(/exiting without waiting/);
    expect(await exists(runtimeInfoPath(dataDir))).toBe(false);
  }, 120_000);

  it('quits at once on a second Ctrl-C a second later, while the first still waits for a request in flight', async () => {
    // Prepare: a delivery whose body never ends holds the drain
    const pipeline = await startPipeline();
    const url = /running locally on (http:\/\/\S+)/.exec(pipeline.output())?.[1];
    const held = request(`${url}/webhooks/round0`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '1000' },
    });
    held.on('error', () => undefined);
    held.write('{"id":');
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    pipeline.process.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stillStopping = pipeline.process.exitCode === null;
    pipeline.process.kill('SIGINT');
    const [code] = await pipeline.exited;

    // Assess
    held.destroy();
    expect({ stillStopping, code }).toEqual({ stillStopping: true, code: 130 });
    expect(pipeline.output()).toMatch(/SIGINT again: exiting without waiting/);
    expect(await exists(runtimeInfoPath(dataDir))).toBe(false);
  }, 120_000);
});
