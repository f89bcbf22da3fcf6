/**
 * `npm run ops -- setup --stage` and `urls --stage`: the stage's two secrets filled from flags (Secrets
 * Manager and CloudFormation through aws-sdk-client-mock, in memory), written once and only when something
 * changed, checked with the functions' own schemas, and the URLs to paste printed with nothing else secret.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as v from 'valibot';
import {
  integrationSecretsSchema,
  vendorApiSecretsSchema,
  webhookSecretsSchema,
} from '../../../functions/platform/secrets-shape.js';
import { micro1EventTypes } from '../../../functions/vendors/micro1/schema.js';
import { OpsUsageError, runOpsCommand } from '../../../local/ops.js';
import { synthesizeFromContext } from '../../infra/synth.js';
import {
  cloudFormation,
  deployStage,
  freshSecrets,
  integrationSecretArn,
  minimalStatelessTemplate,
  pseudonymKey,
  region,
  secretsManager,
  stageSecrets,
  vendorApiSecretArn,
  webhookSecretArn,
} from './deployed-stage.js';

const dataDir = '/nonexistent/.data/';
const round0Secret = 'whsec_round0-dashboard-secret';
const micro1Base = 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/micro1';
const stageFlags = ['--stage', 'prod', '--region', region];
let dir: string;
/** What setup wrote to stderr (its warnings) in the current test; kept off the test output. */
let stderr: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-setup-'));
});

beforeEach(() => {
  deployStage();
  stderr = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  cloudFormation.restore();
  secretsManager.restore();
  await rm(dir, { recursive: true, force: true });
});

const setup = (flags: string[], options: Parameters<typeof runOpsCommand>[2] = {}) =>
  runOpsCommand(['setup', ...stageFlags, ...flags], dataDir, options);

/** `… | npm run ops`: stdin is `text`, piped (not a terminal). */
const pipeToStdin = (text: string) =>
  jest.spyOn(process, 'stdin', 'get').mockReturnValue(
    Object.assign(Readable.from(text === '' ? [] : [Buffer.from(text)]), {
      isTTY: false,
    }) as unknown as typeof process.stdin,
  );

describe('npm run ops -- setup --stage', () => {
  it('on a fresh stage: creates the micro1 token, stores the ROUND0 secret, prints the URLs and the next step', async () => {
    // Prepare
    const secrets = stageSecrets(freshSecrets());

    // Act
    const { lines, exitCode } = await setup(['--round0-secret', round0Secret]);

    // Assess: one write, of the webhook secret, valid for the ingest
    expect(exitCode).toBe(0);
    expect(secrets.writes.map((write) => write.arn)).toEqual([webhookSecretArn]);
    const webhook = v.parse(webhookSecretsSchema, secrets.webhook());
    expect(webhook.round0SigningSecrets).toEqual([round0Secret]);
    expect(webhook.micro1Tokens).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    const token = webhook.micro1Tokens[0] as string;
    expect(secrets.integration()).toEqual({ pseudonymKey });
    expect(secrets.vendorApi()).toEqual({});

    const text = lines.join('\n');
    expect(text).toContain('Webhook secret: updated: micro1 token created; ROUND0 signing secret stored');
    expect(text).toContain('Integration secret: unchanged');
    expect(text).toContain('Vendor API secret: unchanged');
    expect(text).toContain('  ROUND0  https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/round0');
    expect(text).toContain(`  micro1  ${micro1Base}/${token}`);
    expect(text).toMatch(/SECRET: the token in this URL is what authenticates micro1/);
    expect(text).toContain(`register it for each event type: ${micro1EventTypes.join(', ')}`);
    expect(text).toContain('npm run ops -- watch --stage prod');
    // Nothing secret but the micro1 URL: not the ROUND0 secret, not the pseudonym key.
    expect(text).not.toContain(round0Secret);
    expect(text).not.toContain(pseudonymKey);
    expect(text.split(token)).toHaveLength(2);
  });

  it('a second run with the same flags writes nothing and says so, keeping the same token', async () => {
    // Prepare
    const secrets = stageSecrets(freshSecrets());
    await setup(['--round0-secret', round0Secret]);
    const first = secrets.webhook();

    // Act
    const { lines, exitCode } = await setup(['--round0-secret', round0Secret]);

    // Assess
    expect(exitCode).toBe(0);
    expect(secrets.writes).toHaveLength(1);
    expect(secrets.webhook()).toEqual(first);
    expect(lines).toContain('Nothing to change: the secrets are set up already (nothing written).');
    expect(lines.join('\n')).toContain(`${micro1Base}/${first.micro1Tokens?.[0]}`);
  });

  it('creates a token only when there is none: an existing one is kept and printed', async () => {
    // Prepare
    const existing = 'e'.repeat(43);
    const secrets = stageSecrets({
      webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: [existing] },
      integration: { pseudonymKey },
    });

    // Act
    const { lines } = await setup([]);

    // Assess
    expect(secrets.writes).toHaveLength(0);
    expect(lines.join('\n')).toContain(`  micro1  ${micro1Base}/${existing}`);
  });

  it('--rotate micro1-token adds a token and keeps the old one; --retire micro1-token drops the old later', async () => {
    // Prepare
    const old = 'o'.repeat(43);
    const secrets = stageSecrets({
      webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: [old] },
      integration: { pseudonymKey },
    });

    // Act
    const rotated = await setup(['--rotate', 'micro1-token']);
    const afterRotation = secrets.webhook().micro1Tokens ?? [];
    const retired = await setup(['--retire', 'micro1-token']);

    // Assess: both valid during the window, the new one printed; then only the new one
    expect(afterRotation).toEqual([old, expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    const fresh = afterRotation[1] as string;
    expect(rotated.lines.join('\n')).toContain(`${micro1Base}/${fresh}`);
    expect(rotated.lines.join('\n')).not.toContain(old);
    expect(rotated.lines.join('\n')).toContain('1 older micro1 token(s) still accepted');
    expect(rotated.lines.join('\n')).toMatch(/register the new URL in micro1 30 s from now or later/);
    expect(secrets.webhook().micro1Tokens).toEqual([fresh]);
    expect(retired.lines.join('\n')).toContain('1 older micro1 token(s) retired');
    expect(secrets.writes).toHaveLength(2);
  });

  it('stores vendor API keys in the vendor API secret and ATS credentials in the integration secret, keeping pseudonymKey and every other value, printing none', async () => {
    // Prepare
    const secrets = stageSecrets({
      webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: ['t'.repeat(43)] },
      integration: { pseudonymKey, slackWebhookUrl: 'https://hooks.slack.com/services/T/B/x' },
    });
    const credentialsFile = join(dir, 'ats.json');
    await writeFile(
      credentialsFile,
      JSON.stringify({ clientId: 'gh-client', clientSecret: 'gh-secret-value' }),
    );

    // Act
    const { lines } = await setup([
      '--round0-api-key',
      'r0-api-key-value',
      '--micro1-api-key',
      'm1-api-key-value',
      '--ats-credentials',
      credentialsFile,
    ]);

    // Assess
    expect(secrets.writes.map((write) => write.arn)).toEqual([vendorApiSecretArn, integrationSecretArn]);
    expect(v.parse(integrationSecretsSchema, secrets.integration())).toEqual({
      pseudonymKey,
      slackWebhookUrl: 'https://hooks.slack.com/services/T/B/x',
      ats: { clientId: 'gh-client', clientSecret: 'gh-secret-value' },
    });
    expect(v.parse(vendorApiSecretsSchema, secrets.vendorApi())).toEqual({
      round0ApiKey: 'r0-api-key-value',
      micro1ApiKey: 'm1-api-key-value',
    });
    const text = lines.join('\n');
    expect(text).toContain(
      'Integration secret: updated: ats credentials stored (clientId, clientSecret) (pseudonymKey kept as it is)',
    );
    expect(text).toContain('Vendor API secret: updated: round0ApiKey stored; micro1ApiKey stored');
    for (const value of [
      'r0-api-key-value',
      'm1-api-key-value',
      'gh-secret-value',
      'gh-client',
      pseudonymKey,
    ]) {
      expect(text).not.toContain(value);
    }
  });

  it('moves vendor API keys a stage set up before the vendor API secret keeps in the integration secret: written there first, then removed here', async () => {
    // Prepare
    const secrets = stageSecrets({
      webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: ['t'.repeat(43)] },
      integration: {
        pseudonymKey,
        round0ApiKey: 'r0-old-key',
        micro1ApiKey: 'm1-old-key',
        ats: { apiKey: 'k' },
      },
      vendorApi: { micro1ApiKey: 'm1-newer-key', round0ApiKey: '' },
    });

    // Act
    const { lines, exitCode } = await setup([]);
    const again = await setup([]);

    // Assess
    expect(exitCode).toBe(0);
    expect(secrets.writes.map((write) => write.arn)).toEqual([vendorApiSecretArn, integrationSecretArn]);
    expect(secrets.vendorApi()).toEqual({ round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-newer-key' });
    expect(secrets.integration()).toEqual({ pseudonymKey, ats: { apiKey: 'k' } });
    const text = lines.join('\n');
    expect(text).toContain('Vendor API secret: updated: round0ApiKey moved here from the integration secret');
    expect(text).toContain(
      'Integration secret: updated: round0ApiKey removed (it belongs in the vendor API secret); micro1ApiKey removed',
    );
    for (const value of ['r0-old-key', 'm1-old-key', 'm1-newer-key']) expect(text).not.toContain(value);
    expect(again.lines).toContain('Nothing to change: the secrets are set up already (nothing written).');
    expect(secrets.writes).toHaveLength(2);
  });

  describe('keeps the vendor API keys in the integration secret while the deployed worker may still read them only there', () => {
    const oldStage = () =>
      stageSecrets({
        webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: ['t'.repeat(43)] },
        integration: { pseudonymKey, round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-old-key' },
      });
    const { WorkerFunction } = minimalStatelessTemplate.Resources;
    const { VENDOR_API_SECRETS_ARN: _, ...olderVariables } = WorkerFunction.Properties.Environment.Variables;
    /** A worker deployed before the vendor API secret existed (or rolled back to one). */
    const olderWorkerTemplate = {
      Resources: {
        WorkerFunction: { ...WorkerFunction, Properties: { Environment: { Variables: olderVariables } } },
      },
    };

    it('a deployed worker that does not read the vendor API secret: the keys are copied there and kept here; setup says to deploy and run it again', async () => {
      // Prepare
      deployStage({ statelessTemplate: olderWorkerTemplate });
      const secrets = oldStage();

      // Act
      const { lines, exitCode } = await setup([]);

      // Assess: written to the vendor API secret, the integration secret untouched
      expect(exitCode).toBe(0);
      expect(secrets.writes.map((write) => write.arn)).toEqual([vendorApiSecretArn]);
      expect(secrets.vendorApi()).toEqual({ round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-old-key' });
      expect(secrets.integration()).toEqual({
        pseudonymKey,
        round0ApiKey: 'r0-old-key',
        micro1ApiKey: 'm1-old-key',
      });
      const text = lines.join('\n');
      expect(text).toContain('Integration secret: unchanged');
      expect(text).toContain('round0ApiKey copied here from the integration secret');
      expect(text).toContain(
        'The vendor API keys stay in the integration secret for now: the deployed worker (stack InterviewSync-prod-Stateless) does not read the vendor API secret yet: deploy the stage (npm run cdk -- deploy --all -c stage=prod), then run setup again.',
      );
      for (const value of ['r0-old-key', 'm1-old-key']) expect(text).not.toContain(value);

      // Act: deployed now, setup again
      deployStage();
      const after = await setup([]);

      // Assess: removed from the integration secret only now
      expect(secrets.integration()).toEqual({ pseudonymKey });
      expect(secrets.vendorApi()).toEqual({ round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-old-key' });
      expect(after.lines.join('\n')).not.toContain('stay in the integration secret');
    });

    it('a deploy in progress, or a template it may not read: kept, with the reason', async () => {
      // Prepare
      deployStage({ statelessStatus: 'UPDATE_IN_PROGRESS' });
      const during = oldStage();

      // Act
      const inProgress = await setup([]);

      // Assess
      expect(during.integration()).toMatchObject({ round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-old-key' });
      expect(inProgress.lines.join('\n')).toContain(
        'stay in the integration secret for now: stack InterviewSync-prod-Stateless is UPDATE_IN_PROGRESS',
      );

      // Prepare
      deployStage();
      cloudFormation.on(GetTemplateCommand).rejects(
        Object.assign(new Error('User is not authorized to perform: cloudformation:GetTemplate'), {
          name: 'AccessDeniedException',
        }),
      );
      const denied = oldStage();

      // Act
      const noTemplate = await setup([]);

      // Assess
      expect(denied.integration()).toMatchObject({ round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-old-key' });
      expect(noTemplate.lines.join('\n')).toMatch(
        /stay in the integration secret for now: cannot tell whether the deployed worker reads the vendor API secret \(not allowed to read the template/,
      );
    });

    it('the worker this code deploys reads the vendor API secret: with its synthesised template the keys move', async () => {
      // Prepare
      const { statelessTemplate } = synthesizeFromContext({ stage: 'prod' });
      deployStage({ statelessTemplate: statelessTemplate.toJSON() });
      const secrets = oldStage();

      // Act
      await setup([]);

      // Assess
      expect(secrets.integration()).toEqual({ pseudonymKey });
      expect(secrets.vendorApi()).toEqual({ round0ApiKey: 'r0-old-key', micro1ApiKey: 'm1-old-key' });
    });
  });

  it('says which integration values are still missing, with the flag that sets each', async () => {
    // Prepare
    stageSecrets(freshSecrets());

    // Act
    const { lines } = await setup(['--round0-secret', round0Secret]);

    // Assess
    expect(lines).toEqual(
      expect.arrayContaining([
        '  --round0-api-key - (ROUND0 answers and audio)',
        '  --micro1-api-key - (micro1 reports)',
      ]),
    );
  });

  it('piped without a ROUND0 signing secret: writes nothing, says where to get it and which flag to pass', async () => {
    // Prepare
    const secrets = stageSecrets(freshSecrets());

    // Act
    const { lines, exitCode } = await setup([]);

    // Assess
    expect(exitCode).toBe(2);
    expect(secrets.writes).toHaveLength(0);
    expect(lines.join('\n')).toContain('https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/round0');
    expect(lines.join('\n')).toContain(
      'printf %s "$ROUND0_SIGNING_SECRET" | npm run ops -- setup --stage prod --round0-secret -',
    );
  });

  it('on a terminal asks for the ROUND0 signing secret (hidden input) when none is stored', async () => {
    // Prepare
    const secrets = stageSecrets(freshSecrets());
    const prompts: string[] = [];

    // Act
    const { exitCode } = await setup([], {
      askSecret: async (prompt) => {
        prompts.push(prompt);
        return `  ${round0Secret}\n`;
      },
    });

    // Assess
    expect(exitCode).toBe(0);
    expect(prompts).toEqual([expect.stringContaining('ROUND0 signing secret')]);
    expect(secrets.webhook().round0SigningSecrets).toEqual([round0Secret]);
  });

  describe('a secret flag given as - keeps the value off the command line npm echoes', () => {
    const withRound0Secret = () =>
      stageSecrets({
        webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: ['t'.repeat(43)] },
        integration: { pseudonymKey },
      });

    type Stage = ReturnType<typeof stageSecrets>;
    it.each([
      ['--round0-api-key', 'r0-piped-key/+=value', (stage: Stage) => stage.vendorApi().round0ApiKey],
      ['--micro1-api-key', 'm1-piped-key/+=value', (stage: Stage) => stage.vendorApi().micro1ApiKey],
      [
        '--round0-secret',
        'whsec_rotated-piped',
        (stage: Stage) => stage.webhook().round0SigningSecrets?.at(-1),
      ],
    ])(
      'piped: %s - stores one line of stdin exactly as given and prints it nowhere',
      async (flag, value, stored) => {
        // Prepare
        const secrets = withRound0Secret();
        pipeToStdin(`${value}\n`);

        // Act
        const { lines, exitCode } = await setup([flag, '-']);

        // Assess
        expect(exitCode).toBe(0);
        expect(stored(secrets)).toBe(value);
        expect(secrets.writes).toHaveLength(1);
        expect(lines.join('\n')).not.toContain(value);
        expect(stderr.join('')).toBe('');
      },
    );

    it('on a terminal: --round0-secret - asks for it (hidden) even when one is stored, for a rotation', async () => {
      // Prepare
      const secrets = withRound0Secret();
      const prompts: string[] = [];
      const rotated = 'whsec_rotated-typed-secret';

      // Act
      const { lines, exitCode } = await setup(['--round0-secret', '-', '--round0-api-key', '-'], {
        askSecret: async (prompt) => {
          prompts.push(prompt);
          return prompt.includes('signing secret') ? rotated : 'r0-typed-key';
        },
      });

      // Assess: both asked, both stored (the new signing secret beside the old), neither printed
      expect(exitCode).toBe(0);
      expect(prompts).toEqual([
        expect.stringContaining("Paste the ROUND0 endpoint's signing secret here (not shown)"),
        'Paste the ROUND0 API key here (not shown): ',
      ]);
      expect(secrets.webhook().round0SigningSecrets).toEqual([round0Secret, rotated]);
      expect(secrets.vendorApi().round0ApiKey).toBe('r0-typed-key');
      expect(lines.join('\n')).not.toMatch(/whsec_rotated-typed-secret|r0-typed-key/);
    });

    it('a value on the command line is still taken, with a one-line warning on stderr naming the flag and recommending -', async () => {
      // Prepare
      const secrets = withRound0Secret();

      // Act
      const { lines, exitCode } = await setup(['--round0-api-key', 'r0-argv-key']);

      // Assess
      expect(exitCode).toBe(0);
      expect(secrets.vendorApi().round0ApiKey).toBe('r0-argv-key');
      expect(stderr).toEqual([
        'warning: --round0-api-key given on the command line: npm run echoed the value and your shell history ' +
          'keeps it; pass --round0-api-key - to be asked for it (hidden) or pipe it to stdin\n',
      ]);
      expect(stderr.join('')).not.toContain('r0-argv-key');
      expect(lines.join('\n')).not.toContain('r0-argv-key');
    });

    it('an empty stdin is refused naming the flag, and nothing is written', async () => {
      // Prepare
      const secrets = withRound0Secret();
      pipeToStdin('\n');

      // Act
      const refused = setup(['--micro1-api-key', '-']);

      // Assess: a usage error (exit 2) saying how to pipe the value
      await expect(refused).rejects.toBeInstanceOf(OpsUsageError);
      await expect(refused).rejects.toThrow(
        '--micro1-api-key -: stdin was empty, nothing was written; pipe the value in, e.g. ' +
          'printf %s "$VALUE" | npm run ops -- setup --stage prod --micro1-api-key -',
      );
      expect(secrets.writes).toHaveLength(0);
      expect(secrets.vendorApi()).toEqual({});
    });

    it('refuses, writing nothing: two flags piped at once, more than one line, and a terminal stdin whose output is not a terminal', async () => {
      // Prepare
      const secrets = withRound0Secret();

      // Act & Assess
      pipeToStdin('r0-key\n');
      await expect(setup(['--round0-api-key', '-', '--micro1-api-key', '-'])).rejects.toThrow(
        '--round0-api-key, --micro1-api-key all given as -: piped, stdin holds one value; run setup once for each',
      );
      pipeToStdin('r0-key\nm1-key\n');
      await expect(setup(['--round0-api-key', '-'])).rejects.toThrow(
        '--round0-api-key -: stdin holds more than one line',
      );
      jest.spyOn(process, 'stdin', 'get').mockReturnValue({ isTTY: true } as unknown as typeof process.stdin);
      await expect(setup(['--round0-api-key', '-'])).rejects.toThrow(
        '--round0-api-key -: stdin is a terminal but the output is not',
      );
      expect(secrets.writes).toHaveLength(0);
    });

    it('refuses two flags piped at once before any Secrets Manager call', async () => {
      // Prepare: a Secrets Manager whose every call fails, so any read would show as another error
      secretsManager.reset();
      secretsManager.onAnyCommand().rejects(new Error('no Secrets Manager call expected'));
      pipeToStdin('r0-key\n');

      // Act
      const refused = setup(['--round0-api-key', '-', '--micro1-api-key', '-']);

      // Assess
      await expect(refused).rejects.toThrow(
        '--round0-api-key, --micro1-api-key all given as -: piped, stdin holds one value; run setup once for each',
      );
      expect(secretsManager.calls()).toHaveLength(0);
    });
  });

  it('refuses what the functions would refuse, before writing anything', async () => {
    // Prepare
    const secrets = stageSecrets(freshSecrets());
    const badCredentials = join(dir, 'bad-ats.json');
    await writeFile(badCredentials, JSON.stringify({ clientId: 42 }));

    // Act & Assess
    await expect(setup(['--round0-secret', 'short'])).rejects.toThrow(
      'the ROUND0 signing secret is shorter than 8 characters',
    );
    await expect(
      setup(['--round0-secret', round0Secret, '--ats-credentials', badCredentials]),
    ).rejects.toThrow(/ATS credentials file .* is malformed at: clientId/);
    await expect(setup(['--rotate', 'round0-secret'])).rejects.toThrow(OpsUsageError);
    expect(secrets.writes).toHaveLength(0);
  });
});

describe('npm run ops -- urls --stage', () => {
  it('prints both URLs, micro1 with its token and marked secret, and writes nothing', async () => {
    // Prepare
    const token = 'u'.repeat(43);
    const secrets = stageSecrets({
      webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: [token] },
      integration: { pseudonymKey },
    });

    // Act
    const { lines, exitCode } = await runOpsCommand(['urls', ...stageFlags], dataDir);

    // Assess
    expect(exitCode).toBe(0);
    expect(lines.slice(0, 3)).toEqual([
      'Webhook URLs of stage prod (eu-west-1):',
      '  ROUND0  https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/round0',
      expect.stringContaining('ROUND0 dashboard'),
    ]);
    expect(lines[3]).toBe(`  micro1  ${micro1Base}/${token}`);
    expect(lines[4]).toMatch(/^ {10}SECRET: /);
    expect(lines.join('\n')).not.toContain(round0Secret);
    expect(secrets.writes).toHaveLength(0);
  });

  it('says to run setup when the stage has no micro1 token yet', async () => {
    // Prepare
    stageSecrets(freshSecrets());

    // Act
    const { lines, exitCode } = await runOpsCommand(['urls', ...stageFlags], dataDir);

    // Assess
    expect(exitCode).toBe(1);
    expect(lines).toContain('  micro1  no token yet: run npm run ops -- setup --stage prod');
  });
});
