/**
 * `npm run ops -- doctor --stage`: the ATS credentials from the stage's integration secret (its ARN a stack
 * output) and the ATS settings of cdk.json's stage, as a deploy without `-c` keys uses them; flags still win.
 */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { runOpsCommand } from '../../../local/ops.js';
import {
  cloudFormation,
  deployStage,
  integrationSecretArn,
  pseudonymKey,
  region,
  secretsManager,
  stageSecrets,
} from './deployed-stage.js';

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
  it("reads the credentials from the stage's integration secret and the adapter from cdk.json's stage", async () => {
    // Act
    const { lines } = await runOpsCommand(
      ['doctor', '--stage', 'prod', '--region', region, '--json'],
      '/nonexistent/',
    );

    // Assess: cdk.json's prod names no ATS, so the default log adapter
    const report = JSON.parse(lines.join('\n')) as { adapter: string; credentialsFrom: string };
    expect(report.adapter).toBe('log');
    expect(report.credentialsFrom).toBe('the integration secret (Secrets Manager)');
    expect(secretsManager.calls().map((call) => call.args[0].input)).toEqual([
      { SecretId: integrationSecretArn },
    ]);
    expect(lines.join('\n')).not.toContain('never-printed-key');
  });

  it('lets --adapter override the stage setting', async () => {
    // Act
    const { lines } = await runOpsCommand(
      ['doctor', '--stage', 'prod', '--region', region, '--json', '--adapter', 'generic', '--config', '{}'],
      '/nonexistent/',
    );

    // Assess
    expect((JSON.parse(lines.join('\n')) as { adapter: string }).adapter).toBe('generic');
  });
});
