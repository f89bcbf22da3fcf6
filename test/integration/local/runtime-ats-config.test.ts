/**
 * The runtime's ATS settings for an adapter other than the log adapter, named without its `ATS_CONFIG`:
 * the log adapter's file path (its setting alone) is not given to it, nor a stray `ATS_CONFIG` of the shell,
 * so the worker's configuration check says what the adapter lacks. (The log adapter's default is asserted
 * in runtime.test.ts; one pipeline per test file: the handlers keep the configuration they were imported
 * with.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAtsAdapter } from '../../../functions/ats/index.js';
import { optionalEnv } from '../../../functions/platform/config.js';
import { silentLog } from '../../../local/log.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/runtime.js';

let pipeline: LocalPipeline;
let tempDir: string;
const shellAtsConfig = process.env.ATS_CONFIG;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'runtime-ats-config-test-'));
  // A value left in the developer's shell, for another adapter
  process.env.ATS_CONFIG = JSON.stringify({ path: join(tempDir, 'shell-ats-writes.jsonl') });
  pipeline = await startLocalPipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    dataDir: join(tempDir, 'data'),
    startWorker: false,
    log: silentLog,
    env: { ATS_ADAPTER: 'greenhouse', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  if (shellAtsConfig === undefined) delete process.env.ATS_CONFIG;
  else process.env.ATS_CONFIG = shellAtsConfig;
  await rm(tempDir, { recursive: true, force: true });
});

describe('local runtime: ATS settings of an adapter other than the log adapter', () => {
  it('gives greenhouse named without ATS_CONFIG no config: not the log adapter’s file, not the shell’s', () => {
    // Assess: empty, which the worker reads as unset
    expect(pipeline.env.ATS_ADAPTER).toBe('greenhouse');
    expect(pipeline.env.ATS_CONFIG).toBe('');
    expect(optionalEnv(process.env, 'ATS_CONFIG')).toBeUndefined();
  });

  it('lets the worker’s configuration check say what greenhouse lacks', () => {
    // Act: as the worker reads its ATS settings (functions/worker.ts)
    const config = JSON.parse(optionalEnv(process.env, 'ATS_CONFIG') ?? '{}') as unknown;
    const create = () =>
      createAtsAdapter(optionalEnv(process.env, 'ATS_ADAPTER') ?? 'log', config, {
        clientId: 'client',
        clientSecret: 'secret',
      });

    // Assess
    expect(config).toEqual({});
    expect(create).toThrow(/ATS_CONFIG for greenhouse is invalid: .*userId/s);
  });
});
