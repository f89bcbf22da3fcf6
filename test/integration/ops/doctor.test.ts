/**
 * `npm run ops -- doctor`: the local target (ATS_ADAPTER/ATS_CONFIG + secrets.local.json) and a deployed one
 * (--adapter/--config + the integration secret by ARN), text and --json output, the exit code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeGreenhouse, startFakeGreenhouse } from '../../../local/fakes/greenhouse.js';
import { OpsUsageError, runOpsCommand } from '../../../local/ops.js';

const clientSecret = 'gh-secret-never-printed';
let fake: FakeGreenhouse;
let dir: string;
let secretsFile: string;

beforeAll(async () => {
  fake = await startFakeGreenhouse({
    clientSecret,
    limitedUsers: ['77'],
    seed: {
      candidates: [{ id: 11, email_addresses: [{ value: 'ada@example.com', type: 'personal' }] }],
      jobInterviewStages: [{ id: 501, name: 'AI Screen Done', job_id: 7, priority: 1 }],
      candidateTags: [{ id: 71, name: 'AI screening completed' }],
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'ops-doctor-'));
  secretsFile = join(dir, 'secrets.local.json');
  await writeFile(
    secretsFile,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['whsec_local-test'], micro1Tokens: ['t'.repeat(43)] },
      integration: { ats: { clientId: 'gh-client', clientSecret } },
    }),
  );
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const atsConfig = (userId: string) =>
  JSON.stringify({
    baseUrl: `${fake.url}/v3`,
    authUrl: `${fake.url}/token`,
    userId,
    http: { maxAttempts: 1 },
  });

describe('npm run ops -- doctor', () => {
  it('diagnoses the local ATS from ATS_ADAPTER, ATS_CONFIG and secrets.local.json, in readable text', async () => {
    // Prepare
    const env = { ATS_ADAPTER: 'greenhouse', ATS_CONFIG: atsConfig('42'), ATS_COMPLETED_STAGE_ID: '501' };

    // Act
    const { lines, exitCode } = await runOpsCommand(['doctor'], dir, { env, secretsFile });

    // Assess
    const text = lines.join('\n');
    expect(exitCode).toBe(0);
    expect(lines[0]).toBe('ATS doctor: greenhouse — no failures');
    expect(text).toMatch(/\[ok {2}\] completed stage: 501 is "AI Screen Done"/);
    expect(text).toMatch(/Interview stages \(for ATS_COMPLETED_STAGE_ID\):\n {2}501 {2}AI Screen Done/);
    expect(text).toContain(`credentials read from ${secretsFile} (integration.ats)`);
    expect(text).not.toContain(clientSecret);
  });

  it('reads a deployed integration secret by ARN, answers JSON and exits 1 when a check fails', async () => {
    // Prepare
    const asked: Array<[string, string | undefined]> = [];
    const readSecret = async (arn: string, region: string | undefined) => {
      asked.push([arn, region]);
      return JSON.stringify({ ats: { clientId: 'gh-client', clientSecret } });
    };
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:integration-AbCdEf';

    // Act
    const { lines, exitCode } = await runOpsCommand(
      [
        'doctor',
        '--json',
        '--adapter',
        'greenhouse',
        '--config',
        atsConfig('77'),
        '--integration-secret-arn',
        arn,
      ],
      dir,
      { env: {}, readSecret, secretsFile: join(dir, 'absent.json') },
    );

    // Assess
    const report = JSON.parse(lines.join('\n')) as { ok: boolean; advice: string[]; credentialsFrom: string };
    expect(asked).toStrictEqual([[arn, undefined]]);
    expect(exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.advice.join(' ')).toMatch(/Site Admin/);
    expect(report.credentialsFrom).toBe('the integration secret (Secrets Manager)');
    expect(lines.join('\n')).not.toContain(clientSecret);
  });

  it('refuses an ATS_CONFIG that is not JSON and unknown flags as usage errors', async () => {
    // Act
    const [badJson, badFlag] = await Promise.allSettled([
      runOpsCommand(['doctor'], dir, { env: { ATS_ADAPTER: 'greenhouse', ATS_CONFIG: '{' }, secretsFile }),
      runOpsCommand(['doctor', '--no-such-flag'], dir, { env: {}, secretsFile }),
    ]);

    // Assess
    expect(badJson).toEqual({ status: 'rejected', reason: expect.any(OpsUsageError) });
    expect(badFlag).toEqual({ status: 'rejected', reason: expect.any(OpsUsageError) });
  });
});
