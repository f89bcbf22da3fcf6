/**
 * `npm run ops -- doctor --stage`: the ATS credentials from the stage's integration secret (its ARN a stack
 * output) and the ATS settings the deployed worker runs with, read from the stateless stack's deployed
 * template (a deploy's `-c` keys included, which cdk.json alone would miss); flags still win.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startFakeGreenhouse } from '../../../local/fakes/greenhouse.js';
import { resolveDoctorTarget, runOpsCommand } from '../../../local/ops.js';
import { synthesizeFromContext } from '../../infra/synth.js';
import {
  cloudFormation,
  deployStage,
  integrationSecretArn,
  pseudonymKey,
  region,
  secretsManager,
  stageSecrets,
} from './deployed-stage.js';

type DoctorValues = Parameters<typeof resolveDoctorTarget>[0];

/** Answers GetTemplate with the stateless template CDK synthesises for `cdk deploy -c stage=prod` + `context`. */
const deployProdWith = (context: Record<string, string>) => {
  const { statelessTemplate } = synthesizeFromContext({ stage: 'prod', ...context });
  deployStage({ statelessTemplate: statelessTemplate.toJSON() });
};

beforeEach(() => {
  deployStage();
  stageSecrets({
    webhook: { round0SigningSecrets: [], micro1Tokens: [] },
    integration: { pseudonymKey, ats: { apiKey: 'never-printed-key' } },
  });
});

afterAll(() => {
  cloudFormation.restore();
  secretsManager.restore();
});

describe('npm run ops -- doctor --stage', () => {
  it("reads the credentials from the stage's integration secret and the adapter from the deployed worker", async () => {
    // Act
    const { lines } = await runOpsCommand(
      ['doctor', '--stage', 'prod', '--region', region, '--json'],
      '/nonexistent/',
    );

    // Assess: the deployed prod stage runs the log adapter
    const report = JSON.parse(lines.join('\n')) as {
      adapter: string;
      credentialsFrom: string;
      settingsFrom: string;
    };
    expect(report.adapter).toBe('log');
    expect(report.credentialsFrom).toBe('the integration secret (Secrets Manager)');
    expect(report.settingsFrom).toBe(`the deployed worker (stack InterviewSync-prod-Stateless, ${region})`);
    expect(secretsManager.calls().map((call) => call.args[0].input)).toEqual([
      { SecretId: integrationSecretArn },
    ]);
    expect(cloudFormation.commandCalls(GetTemplateCommand).map((call) => call.args[0].input)).toEqual([
      { StackName: 'InterviewSync-prod-Stateless', TemplateStage: 'Original' },
    ]);
    expect(lines.join('\n')).not.toContain('never-printed-key');
  });

  it('warns, naming no value, when the vendor API keys are still in the integration secret (a stage set up before the vendor API secret)', async () => {
    // Prepare
    stageSecrets({
      webhook: { round0SigningSecrets: [], micro1Tokens: [] },
      integration: { pseudonymKey, ats: { apiKey: 'never-printed-key' }, round0ApiKey: 'r0-never-printed' },
    });

    // Act
    const { lines } = await runOpsCommand(['doctor', '--stage', 'prod', '--region', region], '/nonexistent/');
    const clean = await (async () => {
      stageSecrets({
        webhook: { round0SigningSecrets: [], micro1Tokens: [] },
        integration: { pseudonymKey, ats: { apiKey: 'never-printed-key' } },
      });
      return runOpsCommand(['doctor', '--stage', 'prod', '--region', region], '/nonexistent/');
    })();

    // Assess
    const text = lines.join('\n');
    expect(text).toContain(
      'warning: round0ApiKey still in the integration secret: the worker reads it there, but the archive cannot ' +
        'refresh an expired ROUND0 audio URL until it is in the vendor API secret: run npm run ops -- setup ' +
        '--stage prod to move it',
    );
    expect(text).not.toContain('r0-never-printed');
    expect(clean.lines.join('\n')).not.toContain('warning:');
  });

  it('takes the settings a deploy with -c keys made, from the template CDK synthesises for it', async () => {
    // Prepare: cdk.json's prod names no ATS; the deploy's -c keys do
    deployProdWith({
      atsAdapter: 'greenhouse',
      atsConfig: '{"userId":"4080"}',
      atsCompletedStageId: '501',
      atsScoreFieldId: '90',
    });

    // Act
    const target = await resolveDoctorTarget({ stage: 'prod', region } as DoctorValues, {});

    // Assess
    expect(target.adapter).toBe('greenhouse');
    expect(target.config).toEqual({ userId: '4080' });
    expect(target.options).toEqual({ completedStageId: '501', scoreFieldId: '90' });
    expect(target.credentials).toEqual({ apiKey: 'never-printed-key' });
  });

  it('lets --adapter, --config and the id flags override the deployed settings', async () => {
    // Prepare
    deployProdWith({ atsAdapter: 'greenhouse', atsConfig: '{"userId":"4080"}', atsCompletedStageId: '501' });

    // Act
    const target = await resolveDoctorTarget(
      {
        stage: 'prod',
        region,
        adapter: 'generic',
        config: '{}',
        'completed-stage-id': '777',
      } as DoctorValues,
      {},
    );
    const { lines } = await runOpsCommand(
      ['doctor', '--stage', 'prod', '--region', region, '--json', '--adapter', 'generic', '--config', '{}'],
      '/nonexistent/',
    );

    // Assess
    expect([target.adapter, target.config, target.options]).toEqual([
      'generic',
      {},
      { completedStageId: '777' },
    ]);
    expect((JSON.parse(lines.join('\n')) as { adapter: string }).adapter).toBe('generic');
  });

  it("refuses an ATS base URL the deployed worker's SSRF guard refuses (plain http to a private address), as a local doctor does not", async () => {
    // Prepare: a Greenhouse on this machine over http, deployed by mistake
    const fake = await startFakeGreenhouse({ seed: { candidates: [] } });
    const dir = await mkdtemp(join(tmpdir(), 'doctor-stage-'));
    try {
      const atsConfig = JSON.stringify({
        baseUrl: `${fake.url}/v3`,
        authUrl: `${fake.url}/token`,
        userId: '42',
      });
      const ats = { clientId: 'gh-client', clientSecret: 'gh-secret' };
      deployProdWith({ atsAdapter: 'greenhouse', atsConfig });
      stageSecrets({
        webhook: { round0SigningSecrets: [], micro1Tokens: [] },
        integration: { pseudonymKey, ats },
      });
      const secretsFile = join(dir, 'secrets.local.json');
      await writeFile(
        secretsFile,
        JSON.stringify({
          webhook: { round0SigningSecrets: ['whsec_local-test'], micro1Tokens: ['t'.repeat(43)] },
          integration: { ats },
        }),
      );
      const authenticateOf = (lines: readonly string[]) =>
        (JSON.parse(lines.join('\n')) as { checks: Array<{ name: string; status: string }> }).checks.find(
          (check) => check.name === 'authenticate',
        )?.status;
      const tokenRequests = () => fake.log.count({ path: /^\/token$/ });

      // Act
      const deployed = await runOpsCommand(
        ['doctor', '--stage', 'prod', '--region', region, '--json'],
        '/nonexistent/',
      );
      const tokenRequestsOfDeployed = tokenRequests();
      const local = await runOpsCommand(['doctor', '--json'], dir, {
        env: { ATS_ADAPTER: 'greenhouse', ATS_CONFIG: atsConfig },
        secretsFile,
      });

      // Assess: the deployed check is refused before any request is made; the local one reaches the fake
      expect([authenticateOf(deployed.lines), deployed.exitCode, tokenRequestsOfDeployed]).toEqual([
        'fail',
        1,
        0,
      ]);
      expect([authenticateOf(local.lines), tokenRequests()]).toEqual(['ok', 1]);
    } finally {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says which permission is missing when the template cannot be read', async () => {
    // Prepare
    cloudFormation.on(GetTemplateCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudformation:GetTemplate'), {
        name: 'AccessDenied',
      }),
    );

    // Act
    const result = runOpsCommand(['doctor', '--stage', 'prod', '--region', region], '/nonexistent/');

    // Assess
    await expect(result).rejects.toThrow(/cloudformation:GetTemplate.*--adapter and --config/);
  });

  it('refuses a stack without the worker function, naming the stack and the deploy that fixes it', async () => {
    // Prepare
    deployStage({ statelessTemplate: { Resources: {} } });

    // Act
    const result = runOpsCommand(['doctor', '--stage', 'prod', '--region', region], '/nonexistent/');

    // Assess
    await expect(result).rejects.toThrow(
      /InterviewSync-prod-Stateless .* has no worker function .*deploy --all -c stage=prod/,
    );
  });
});
