/**
 * `npm run ops -- watch` without `--stage`: the running local pipeline's deliveries, followed through its
 * console's event stream — a real pipeline (ingest, worker, emulators, vendor API fakes, console) and real
 * deliveries signed like ROUND0's; ids, types and outcomes only.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLog } from '../../../local/log.js';
import { OpsUsageError, runOpsCommand } from '../../../local/ops.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import { fixturesDir, sendEvent } from '../../../local/send.js';
import { eventually } from '../local/factories.js';

let pipeline: LocalPipeline;
let tempDir: string;
let dataDir: string;

/** ROUND0's `interview_ended` sample under a new event id (a new delivery each time). */
const sendInterviewEnded = async (eventId: string) => {
  const sample = JSON.parse(await readFile(join(fixturesDir, 'round0', 'interview_ended.json'), 'utf8'));
  sample.id = eventId;
  const sent = await sendEvent({
    vendor: 'round0',
    body: JSON.stringify(sample),
    baseUrl: pipeline.url,
    secret: pipeline.secrets.webhook.round0SigningSecrets[0] as string,
  });
  expect(sent.status).toBe(202);
  return sample as { data: { candidate: { name: string; email: string } } };
};

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'ops-watch-'));
  dataDir = join(tempDir, 'data');
  pipeline = await startLocalPipeline({
    dataDir,
    secretsFile: join(tempDir, 'secrets.local.json'),
    vendorApis: true,
    console: { port: 0 },
    worker: { maxBatchingWindowSeconds: 0 },
    log: silentLog,
  });
  await writeRuntimeInfo(dataDir, runtimeInfoFor(pipeline));
});

afterAll(async () => {
  await pipeline?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

describe('npm run ops -- watch (local)', () => {
  it('--once prints what the worker did with each delivery since --since, no candidate data', async () => {
    // Prepare
    const sample = await sendInterviewEnded('evt_watch_once');

    // Act
    const lines = await eventually(async () => {
      const { lines } = await runOpsCommand(['watch', '--once', '--since', '5m'], dataDir);
      expect(lines).toContainEqual(
        expect.stringMatching(/Z {2}local +round0 +interview_ended +done {2}round0:evt_watch_once$/),
      );
      return lines;
    });

    // Assess
    const text = lines.join('\n');
    expect(text).not.toContain(sample.data.candidate.email);
    expect(text).not.toContain(sample.data.candidate.name);
  });

  it('follows: a delivery sent while watching shows up, then Ctrl-C ends the watch', async () => {
    // Prepare
    const printed: string[] = [];
    const stop = new AbortController();
    const watching = runOpsCommand(['watch', '--since', new Date().toISOString()], dataDir, {
      print: (line) => printed.push(line),
      signal: stop.signal,
    });

    // Act
    // Sent at once: whether the stream is open yet or not, it shows (its time is after --since).
    await sendInterviewEnded('evt_watch_live');
    await eventually(() =>
      expect(printed).toContainEqual(
        expect.stringMatching(/interview_ended +done {2}round0:evt_watch_live$/),
      ),
    );
    stop.abort();

    // Assess
    await expect(watching).resolves.toEqual({ lines: [], exitCode: 0 });
    // Only what happened since --since: not the earlier test's delivery.
    expect(printed.join('\n')).not.toContain('evt_watch_once');
    expect(printed[0]).toMatch(
      /^following the local pipeline's deliveries since .*refused deliveries show in npm start's own output/,
    );
  });

  it('without a running npm start, says to start one or to name a stage', async () => {
    // Act & Assess
    await expect(runOpsCommand(['watch', '--once'], join(tempDir, 'no-pipeline'))).rejects.toThrow(
      new OpsUsageError('no local pipeline is running (start it with `npm start`), or pass --stage <stage>'),
    );
  });
});
