/**
 * The real `cdk synth` CLI, offline: runs `bin/app.ts` through `cdk.json`, bundles the three handlers with the
 * local esbuild and writes a cloud assembly. Catches what the in-process tests skip (bundling, the app
 * entry point, cdk.json).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../lib/constructs/service-function.js';

const run = promisify(execFile);

interface SynthResult {
  readonly exitCode: number;
  readonly output: string;
  readonly seconds: number;
}

const cdkSynth = async (outdir: string): Promise<SynthResult> => {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', outdir], {
      cwd: projectRoot,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { exitCode: 0, output: stdout + stderr, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      exitCode: failure.code ?? 1,
      output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`,
      seconds: (Date.now() - started) / 1000,
    };
  }
};

describe('cdk synth (CLI, offline)', () => {
  let outdir: string;
  let result: SynthResult;

  beforeAll(async () => {
    // Prepare
    outdir = await mkdtemp(join(tmpdir(), 'interview-sync-cdk-out-'));

    // Act
    result = await cdkSynth(outdir);
  }, 180_000);

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('exits 0', () => {
    // Assess (the CLI's output is in the failure message)
    expect({ exitCode: result.exitCode, output: result.output }).toEqual({
      exitCode: 0,
      output: expect.any(String),
    });
  });

  it('writes the dev stage template with the three functions', async () => {
    // Act
    const template = JSON.parse(await readFile(join(outdir, 'InterviewSync-dev.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };

    // Assess
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
  });

  it('runs the cdk-nag AWS Solutions checks and every finding is acknowledged', async () => {
    // Act
    const report = JSON.parse(await readFile(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
    };

    // Assess
    expect(report.pluginReports).toEqual([
      expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'success', violations: [] }),
    ]);
  });

  it('logs bucket access instead of acknowledging it away (no AwsSolutions-S1 suppression)', async () => {
    // Act
    const report = JSON.parse(await readFile(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { suppressedViolations: { ruleName: string }[] }[];
    };

    // Assess
    const suppressed = report.pluginReports.flatMap((r) => r.suppressedViolations.map((v) => v.ruleName));
    expect(suppressed).not.toContain('AwsSolutions-S1');
  });

  it('bundles each handler as ESM with the require shim, a source map and the AWS SDK inside', async () => {
    // Prepare
    const assetDirs = (await readdir(outdir)).filter((name) => name.startsWith('asset.'));

    // Act
    const bundles = await Promise.all(
      assetDirs.map(async (dir) => ({
        files: (await readdir(join(outdir, dir))).sort(),
        code: await readFile(join(outdir, dir, 'index.mjs'), 'utf8'),
      })),
    );

    // Assess
    expect(bundles).toHaveLength(3);
    for (const { files, code } of bundles) {
      expect(files).toEqual(['index.mjs', 'index.mjs.map']);
      expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(")).toBe(
        true,
      );
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    }
  });
});
