/**
 * `.data/runtime.json` (local/runtime-info.ts): what tools read to reach a running `npm start`, and a file
 * an `npm start` left behind when it did not stop cleanly (a closed terminal, a crash) read as none running.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readRuntimeInfo, runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'runtime-info-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const info = runtimeInfoFor({
  endpoints: { sqs: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:3' },
  queueUrls: { events: 'http://127.0.0.1:1/q' },
  url: 'http://127.0.0.1:4',
});

describe('runtime info', () => {
  it('is read back while the process that wrote it runs', async () => {
    // Prepare
    await writeRuntimeInfo(dataDir, info);

    // Act
    const read = await readRuntimeInfo(dataDir);

    // Assess
    expect(read).toEqual({ ...info, pid: process.pid });
  });

  it('is read as no pipeline running once the process that wrote it is gone', async () => {
    // Prepare: written by a process that has exited since
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeRuntimeInfo(dataDir, { ...info, pid: gone.pid as number });

    // Act
    const read = await readRuntimeInfo(dataDir);

    // Assess
    expect(read).toBeUndefined();
  });
});
