/**
 * `DATA_DIR` names the npm start the tools work on, as `npm start` reads it (README: "give it the same
 * `DATA_DIR`/`SECRETS_FILE` when the pipeline was started with them"). `npm run ops` and `npm run send` run as
 * an operator runs them (bin/ops.ts, bin/send.ts in their own process). The running pipeline is its runtime
 * info (`<DATA_DIR>/runtime.json`, written by this process, so read as running) naming a dynalite ledger.
 *
 * Before, ops read `.data/` whatever DATA_DIR said (it answered for the default pipeline, or "no local
 * pipeline is running"), and send, finding no pipeline on DATA_DIR, sent to the one on port 3000, signed with
 * its secrets, and printed its 202.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import { resources } from '../../../lib/resources.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import { runSendCli } from '../../../local/send.js';
import { runCliProcess } from '../../helpers/cli-process.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { round0 } from '../sync/world.js';

/** Runs `bin/<script>.ts` as `npm run <script>` does, with `environment` instead of this shell's settings. */
const runCli = (script: 'ops' | 'send', args: readonly string[], environment: Record<string, string>) => {
  // The settings a developer's shell may hold that would pick another pipeline.
  const { DATA_DIR, SECRETS_FILE, PORT, ...inherited } = process.env;
  return runCliProcess(script, args, { ...inherited, ...environment });
};

let dynamo: LocalDynamo;
/** The data directory of a running npm start (its runtime info). */
let running: string;
/** A data directory no npm start runs on. */
let idle: string;
/** The secrets file of the npm start on `running`. */
let runningSecrets: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  running = await mkdtemp(join(tmpdir(), 'data-dir-running-'));
  idle = await mkdtemp(join(tmpdir(), 'data-dir-idle-'));
  // The secrets file that npm start was given (SECRETS_FILE), as its runtime info names it.
  runningSecrets = join(running, 'its-secrets.json');
  await writeFile(
    runningSecrets,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['whsec_data-dir'], micro1Tokens: ['t'.repeat(43)] },
      integration: {},
    }),
  );
  await writeRuntimeInfo(
    running,
    runtimeInfoFor({
      endpoints: { sqs: 'http://127.0.0.1:1', dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:1' },
      queueUrls: { events: 'http://127.0.0.1:1/queue/events' },
      secretsFile: { path: runningSecrets },
    }),
  );
  await new ParkingLot({ client: dynamo.client, tableName: resources.ledgerTable.name }).park(
    'failed',
    round0('interview_ended', { eventId: 'evt_on_its_own_data_dir' }),
    'parked on the DATA_DIR pipeline',
  );
});

afterAll(async () => {
  await dynamo?.close();
  await rm(running, { recursive: true, force: true });
  await rm(idle, { recursive: true, force: true });
});

describe('npm run ops with DATA_DIR', () => {
  it('works on the npm start of DATA_DIR and says so', async () => {
    // Act
    const { code, stdout, stderr } = await runCli('ops', ['parked', 'failed'], { DATA_DIR: running });

    // Assess
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('round0:evt_on_its_own_data_dir  — parked on the DATA_DIR pipeline');
    expect(stdout.trim().split('\n').at(-1)).toBe(`on: the local npm start (${running})`);
  });

  it('doctor reads the ATS credentials from the secrets file of the npm start of DATA_DIR, as the worker does', async () => {
    // Act
    const { code, stdout } = await runCli('ops', ['doctor'], { DATA_DIR: running });

    // Assess: the file npm start was given, not <repo>/secrets.local.json
    expect(code).toBe(0);
    expect(stdout).toContain(`credentials read from ${runningSecrets} (integration.ats)`);
  });

  it("doctor takes SECRETS_FILE over the running npm start's file, as npm start and send read it", async () => {
    // Prepare: another secrets file named in the shell
    const other = join(idle, 'other-secrets.json');
    await writeFile(other, await readFile(runningSecrets, 'utf8'));

    // Act
    const { code, stdout } = await runCli('ops', ['doctor'], { DATA_DIR: running, SECRETS_FILE: other });

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(`credentials read from ${other} (integration.ats)`);
  });

  it('says in one sentence, not a stack, that the secrets file cannot be read', async () => {
    // Act
    const missing = join(idle, 'no-such-secrets.json');
    const { code, stderr } = await runCli('ops', ['doctor'], { DATA_DIR: idle, SECRETS_FILE: missing });

    // Assess
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(`^cannot read ${missing}: ENOENT`)]);
  });
});

describe('npm run send with DATA_DIR', () => {
  it('refuses, in one sentence and exit 2, when no npm start runs on DATA_DIR, instead of sending to another pipeline', async () => {
    // Act
    const { code, stdout, stderr } = await runCli('send', ['round0', 'interview_ended'], { DATA_DIR: idle });

    // Assess: nothing sent (no HTTP status printed)
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.trim()).toBe(
      `no npm start is running on DATA_DIR ${idle}: start it with that DATA_DIR, or pass --url and --secret/--token`,
    );
  });

  const captured: string[] = [];
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      captured.push(request.url ?? '');
      request.resume();
      request.on('end', () => response.writeHead(202).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const quiet = { out: () => undefined, err: (text: string) => captured.push(`err: ${text}`) };

  it.each([
    ['PORT names its port but its secrets would be the default ones', ['round0', 'interview_ended']],
    ['a micro1 token would be the default one', ['micro1', 'interview.started', '--url', 'URL']],
  ])('refuses likewise when %s', async (_when, argv) => {
    // Prepare
    captured.length = 0;
    const port = new URL(url).port;

    // Act
    const code = await runSendCli(
      argv.map((arg) => (arg === 'URL' ? url : arg)),
      quiet,
      { DATA_DIR: idle, PORT: port },
    );

    // Assess
    expect({ code, captured }).toEqual({
      code: 2,
      captured: [expect.stringContaining(`err: no npm start is running on DATA_DIR ${idle}`)],
    });
  });

  it.each([
    ['--url and --secret name everything', ['--url', 'URL', '--secret', 'whsec_x'], { DATA_DIR: 'IDLE' }],
    ['PORT and --secret name everything', ['--secret', 'whsec_x'], { DATA_DIR: 'IDLE', PORT: 'PORT' }],
    ['DATA_DIR is not set (as before)', ['--secret', 'whsec_x'], { PORT: 'PORT' }],
    [
      'PORT and SECRETS_FILE name everything',
      [],
      { DATA_DIR: 'IDLE', PORT: 'PORT', SECRETS_FILE: 'SECRETS' },
    ],
  ])('still sends when %s', async (_when, flags, environment) => {
    // Prepare
    captured.length = 0;
    const port = new URL(url).port;
    const fill = (value: string) =>
      value === 'URL'
        ? url
        : value === 'IDLE'
          ? idle
          : value === 'PORT'
            ? port
            : value === 'SECRETS'
              ? runningSecrets
              : value;

    // Act
    const code = await runSendCli(
      ['round0', 'interview_ended', ...flags.map(fill)],
      quiet,
      Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, fill(value)])),
      // (the CLI's default: DATA_DIR, else `.data/`; an idle one here, whatever the machine runs)
      idle,
    );

    // Assess
    expect({ code, captured }).toEqual({ code: 0, captured: ['/webhooks/round0'] });
  });
});
