/**
 * What `npm start` (bin/start.ts, spawned as a user runs it, on free ports and directories of its own)
 * checks before it starts anything: the ATS settings a developer sets in the shell (`ATS_ADAPTER`,
 * `ATS_CONFIG`) as `cdk synth` checks a stage's, and the adapter's credentials in the secrets file, which the
 * worker would otherwise refuse at every event (each one dead-lettered); and a secrets file it cannot use,
 * said in one sentence, never with a stack. A refusal comes before any emulator: the data directory is never
 * made. No ffmpeg on its PATH: no media fake to make when it does start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { projectRoot } from '../../../lib/constructs/service-function.js';
import { runSendCli } from '../../../local/send.js';

let root: string;
/** The pipeline's data directory: not made beforehand, so a refusal can be seen to have started nothing. */
let dataDir: string;
let secretsFile: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'start-checks-'));
  dataDir = join(root, 'data');
  // Its directory exists (as the repository's does): only the tests of a missing one leave it out.
  secretsFile = join(root, 'secrets', 'secrets.local.json');
  await mkdir(dirname(secretsFile));
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  child = undefined;
  await rm(root, { recursive: true, force: true });
});

/** Variables of this shell that would change what bin/start.ts does. */
const shellSettings = [
  'ATS_ADAPTER',
  'ATS_CONFIG',
  'ATS_COMPLETED_STAGE_ID',
  'ATS_SCORE_FIELD_ID',
  'SLACK_NOTIFICATIONS',
  'VENDOR_API_SEED_FILE',
  'LOG_FORMAT',
];

interface StartOutcome {
  /** Exit code, or undefined when it started (and is still running). */
  readonly code: number | null | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs bin/start.ts with `env` over a clean environment until it exits or says it is running (then it is
 * left running; afterEach kills it).
 */
const start = async (env: Readonly<Record<string, string>> = {}): Promise<StartOutcome> => {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !shellSettings.includes(name)),
  );
  const started = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'bin', 'start.ts')], {
    cwd: projectRoot,
    env: {
      ...inherited,
      PORT: '0',
      CONSOLE_PORT: '0',
      DATA_DIR: dataDir,
      SECRETS_FILE: secretsFile,
      // Node alone: without ffmpeg there is no media fake to generate
      PATH: dirname(process.execPath),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stdout = '';
  let stderr = '';
  started.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = once(started, 'exit').then(([code]) => code as number | null);
  const running = new Promise<undefined>((resolve) => {
    const check = setInterval(() => {
      if (stdout.includes('interview-sync is running locally')) {
        clearInterval(check);
        resolve(undefined);
      }
    }, 100);
    void exited.then(() => clearInterval(check));
  });
  const code = await Promise.race([exited, running]);
  // The last of its output after an exit
  if (code !== undefined) await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr };
};

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** `stderr` is one line, no stack under it. */
const oneLine = (stderr: string) => ({
  lines: stderr.trimEnd().split('\n').length,
  stack: /^\s+at /m.test(stderr),
});

/** A secrets file as `npm start` writes one, with `ats` credentials for the integration. */
const writeSecrets = async (ats: Record<string, string>) => {
  await writeFile(
    secretsFile,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['whsec_local-test-secret'], micro1Tokens: ['t'.repeat(43)] },
      integration: { pseudonymKey: 'k'.repeat(43), ats },
      vendorApi: {},
    }),
    { mode: 0o600 },
  );
};

describe('npm start: ATS settings', () => {
  it('refuses ATS_ADAPTER=greenhouse without its ATS_CONFIG, in one sentence naming the missing key, before starting anything', async () => {
    // Act
    const outcome = await start({ ATS_ADAPTER: 'greenhouse' });

    // Assess: the synth's message, not the log adapter's `path` handed to greenhouse
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/^ATS_CONFIG: invalid for the greenhouse adapter: userId: /);
    expect(outcome.stderr).not.toMatch(/path|ats-writes/);
    expect(oneLine(outcome.stderr)).toEqual({ lines: 1, stack: false });
    expect(outcome.stdout).toBe('');
    expect({ dataDir: await exists(dataDir), secretsFile: await exists(secretsFile) }).toEqual({
      dataDir: false,
      secretsFile: false,
    });
  }, 60_000);

  it.each([
    [
      'an unknown adapter',
      { ATS_ADAPTER: 'greenhose' },
      /^ATS_ADAPTER "greenhose": expected one of log, greenhouse, lever, ashby, generic/,
    ],
    [
      'ATS_CONFIG that is not JSON',
      { ATS_ADAPTER: 'lever', ATS_CONFIG: "{performAs: 'u'}" },
      /^ATS_CONFIG is not valid JSON/,
    ],
    [
      'ATS_CONFIG that is not an object',
      { ATS_CONFIG: '["stdout"]' },
      /^ATS_CONFIG: expected a JSON object of adapter settings/,
    ],
    [
      'a key the adapter does not know (the synth refuses it; the worker would drop it silently)',
      { ATS_ADAPTER: 'ashby', ATS_CONFIG: '{"statusTagIDs": {}}' },
      /^ATS_CONFIG: unknown key\(s\) for the ashby adapter \(misspelt\?\): statusTagIDs; it takes /,
    ],
    [
      "the greenhouse adapter's settings without ATS_ADAPTER (the log adapter's then)",
      { ATS_CONFIG: '{"userId": 4080}' },
      /^ATS_CONFIG: unknown key\(s\) for the log adapter \(misspelt\?\): userId; it takes path/,
    ],
    [
      'a bad value',
      { ATS_ADAPTER: 'generic', ATS_CONFIG: '{"url": "not a url"}' },
      /^ATS_CONFIG: invalid for the generic adapter: url: /,
    ],
  ])(
    'refuses %s with exit code 2 and one sentence',
    async (_, env, message) => {
      // Act
      const outcome = await start(env);

      // Assess
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toMatch(message);
      expect(outcome.stderr).toMatch(/the worker would dead-letter every event with it/);
      expect(oneLine(outcome.stderr)).toEqual({ lines: 1, stack: false });
      expect(await exists(dataDir)).toBe(false);
    },
    60_000,
  );

  it('refuses an adapter whose credentials the secrets file lacks, naming the keys and where they go (never a value)', async () => {
    // Prepare: credentials of another adapter
    await writeSecrets({ apiKey: 'lever-key-not-to-print' });

    // Act
    const outcome = await start({ ATS_ADAPTER: 'greenhouse', ATS_CONFIG: '{"userId": 4080}' });

    // Assess
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^ATS credentials for greenhouse lack: clientId, clientSecret /);
    expect(outcome.stderr).toContain(`"integration.ats" of ${secretsFile};`);
    expect(outcome.stderr).not.toContain('lever-key-not-to-print');
    expect(oneLine(outcome.stderr)).toEqual({ lines: 1, stack: false });
    expect(await exists(dataDir)).toBe(false);
  }, 60_000);

  it('creates a missing secrets file before it refuses missing credentials, and says so', async () => {
    // Act
    const outcome = await start({
      ATS_ADAPTER: 'generic',
      ATS_CONFIG: '{"url": "https://ats.example.com/hooks"}',
    });

    // Assess: the file to add them to is there
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^ATS credentials for generic lack: signingSecret /);
    expect(outcome.stderr).toContain(`"integration.ats" of ${secretsFile}, created now;`);
    expect(await exists(secretsFile)).toBe(true);
    expect(await exists(dataDir)).toBe(false);
  }, 60_000);

  it('starts an adapter whose settings and credentials are whole (no request made to the ATS)', async () => {
    // Prepare
    await writeSecrets({ clientId: 'id', clientSecret: 'secret' });

    // Act
    const outcome = await start({ ATS_ADAPTER: 'greenhouse', ATS_CONFIG: '{"userId": 4080}' });

    // Assess
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: undefined, stderr: '' });
    expect(outcome.stdout).toMatch(/^ATS: {5}greenhouse adapter$/m);
  }, 120_000);

  it("starts the log adapter with a file of the developer's own, says so, and writes there (deployed it may only print)", async () => {
    // Act
    const own = join(root, 'writes.jsonl');
    const outcome = await start({ ATS_ADAPTER: 'log', ATS_CONFIG: JSON.stringify({ path: own }) });
    const sent = await runSendCli(
      ['round0', 'interview_ended'],
      { out: () => undefined, err: () => undefined },
      { DATA_DIR: dataDir, SECRETS_FILE: secretsFile },
      dataDir,
    );

    // Assess: the worker got the settings checked (its writes in the developer's file, not the default)
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: undefined, stderr: '' });
    expect(outcome.stdout).toContain(`ATS:     log adapter: every ATS write is appended to ${own}`);
    expect(sent).toBe(0);
    const deadline = Date.now() + 30_000;
    while (!(await exists(own)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await exists(own)).toBe(true);
    expect(await exists(join(dataDir, 'ats-writes.jsonl'))).toBe(false);
  }, 120_000);

  it('takes an empty ATS_ADAPTER and ATS_CONFIG as unset: the log adapter', async () => {
    // Act
    const outcome = await start({ ATS_ADAPTER: '', ATS_CONFIG: '' });

    // Assess
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: undefined, stderr: '' });
    expect(outcome.stdout).toMatch(/^ATS: {5}log adapter: every ATS write is appended to /m);
  }, 120_000);
});

describe('npm start: the secrets file', () => {
  it.each([
    ['not JSON', '{"webhook": ', 'is not valid JSON (fix it by hand, or move it away for a new one)'],
    [
      'of the wrong shape',
      JSON.stringify({ webhook: { round0SigningSecrets: [], micro1Tokens: [] }, integration: {} }),
      'is malformed at: webhook.round0SigningSecrets, webhook.micro1Tokens',
    ],
  ])(
    'says in one sentence, without a stack, that the file is %s',
    async (_, content, message) => {
      // Prepare
      await writeFile(secretsFile, content, { mode: 0o600 });

      // Act
      const outcome = await start();

      // Assess
      expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({
        code: 1,
        stderr: `${secretsFile} ${message}\n`,
      });
    },
    60_000,
  );

  it('says in one sentence, with the reason and without a stack, that it cannot create the file', async () => {
    // Prepare: where its directory should be, a file
    secretsFile = join(root, 'taken', 'secrets.local.json');
    await writeFile(dirname(secretsFile), '');

    // Act
    const outcome = await start();

    // Assess
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      `cannot create ${dirname(secretsFile)} (for ${secretsFile}): EEXIST: file already exists\n`,
    );
  }, 60_000);

  it("creates the secrets file's directory (the owner's only) when SECRETS_FILE names one that does not exist", async () => {
    // Prepare
    secretsFile = join(root, 'new', 'nested', 'secrets.local.json');

    // Act
    const outcome = await start();

    // Assess
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: undefined, stderr: '' });
    expect(outcome.stdout).toContain(
      `Secrets: ${secretsFile}  (created now with random values; git-ignored)`,
    );
    expect((await stat(dirname(secretsFile))).mode & 0o777).toBe(0o700);
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(secretsFile, 'utf8'))).toHaveProperty('webhook');
  }, 120_000);
});
