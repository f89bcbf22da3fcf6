/**
 * The real `cdk synth` CLI, offline: runs `bin/app.ts` through `cdk.json`, bundles the three handlers with the
 * local esbuild and writes a cloud assembly with both stacks of the `dev` stage. Catches what the in-process
 * tests skip (bundling, the app entry point, cdk.json and its `stages`, cdk-nag over both stacks).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

const cdkSynth = async (outdir: string, context: readonly string[] = []): Promise<SynthResult> => {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(
      'npx',
      ['cdk', 'synth', '--no-notices', '-q', '-o', outdir, ...context],
      {
        cwd: projectRoot,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
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

/**
 * cfn-lint (AWS's CloudFormation linter: every resource's registry schema, value ranges, references) where
 * the machine has it: nothing here was ever deployed, and it refuses what CloudFormation would refuse at
 * deploy time (a wrong property, a value out of range), which the CDK's types let through.
 */
const cfnLintVersion = (() => {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
})();
const withCfnLint = cfnLintVersion === undefined ? it.skip : it;
if (cfnLintVersion === undefined) console.warn('cfn-lint not found: the templates are not linted');

interface CfnLintFinding {
  readonly Rule: { readonly Id: string };
  readonly Filename: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
  readonly Message: string;
}

/**
 * Findings the templates are known to have and that CloudFormation accepts:
 * - W3005, a `DependsOn` also implied by a `GetAtt`: how the CDK writes every function and its role;
 * - E3002 on a dashboard's `Tags`: AWS::CloudWatch::Dashboard takes `Tags` (the CloudFormation template
 *   reference, aws-resource-cloudwatch-dashboard, and the CDK's CfnDashboard), newer than the schemas of
 *   cfn-lint 1.51.
 */
const acceptedFinding = (finding: CfnLintFinding, template: Record<string, unknown>): boolean => {
  if (finding.Rule.Id === 'W3005') return true;
  const [section, logicalId, properties, property] = finding.Location.Path;
  const resources = template.Resources as Record<string, { Type: string }>;
  return (
    finding.Rule.Id === 'E3002' &&
    section === 'Resources' &&
    properties === 'Properties' &&
    property === 'Tags' &&
    resources[String(logicalId)]?.Type === 'AWS::CloudWatch::Dashboard'
  );
};

const cfnLint = async (files: readonly string[]): Promise<CfnLintFinding[]> => {
  try {
    await run('cfn-lint', ['--format', 'json', '--regions', 'us-east-1', '--', ...files], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return [];
  } catch (error) {
    // cfn-lint exits non-zero when it finds anything; its findings are on stdout either way
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout === undefined || stdout.trim() === '') throw error;
    return JSON.parse(stdout) as CfnLintFinding[];
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

  it('writes the two stacks of the dev stage: the data, and the three functions that use it', async () => {
    // Act
    const template = async (name: string) =>
      JSON.parse(await readFile(join(outdir, `${name}.template.json`), 'utf8')) as {
        Resources: Record<string, { Type: string }>;
      };
    const [stateful, stateless] = await Promise.all([
      template('InterviewSync-dev-Stateful'),
      template('InterviewSync-dev-Stateless'),
    ]);
    const count = (t: typeof stateful, type: string) =>
      Object.values(t.Resources).filter((r) => r.Type === type).length;

    // Assess
    expect({
      stateful: {
        tables: count(stateful, 'AWS::DynamoDB::Table'),
        queues: count(stateful, 'AWS::SQS::Queue'),
      },
      stateless: {
        functions: count(stateless, 'AWS::Lambda::Function'),
        alarms: count(stateless, 'AWS::CloudWatch::Alarm'),
      },
    }).toEqual({ stateful: { tables: 1, queues: 4 }, stateless: { functions: 3, alarms: 24 } });
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

  it('bundles each handler as ESM with the require shim and the AWS SDK inside; a source map and the X-Ray SDK only where the stage turns them on', async () => {
    // Prepare: the handlers' bundles (the dev stage also has CDK's auto-delete handler, a plain index.js)
    const assetDirs = (await readdir(outdir)).filter((name) => name.startsWith('asset.'));
    const handlerDirs: string[] = [];
    for (const dir of assetDirs)
      if ((await readdir(join(outdir, dir))).includes('index.mjs')) handlerDirs.push(dir);

    // Act
    const bundles = await Promise.all(
      handlerDirs.map(async (dir) => ({
        files: (await readdir(join(outdir, dir))).sort(),
        code: await readFile(join(outdir, dir, 'index.mjs'), 'utf8'),
      })),
    );

    // Assess: the worker and the archive with source maps (the defaults), the ingest without
    expect(bundles).toHaveLength(3);
    for (const { code } of bundles) {
      expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(")).toBe(
        true,
      );
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    }
    const lean = bundles.filter(({ files }) => files.length === 1);
    const mapped = bundles.filter(({ files }) => files.length === 2);
    expect(lean.map(({ files }) => files)).toEqual([['index.mjs']]);
    expect(mapped.map(({ files }) => files)).toEqual([
      ['index.mjs', 'index.mjs.map'],
      ['index.mjs', 'index.mjs.map'],
    ]);
    for (const { code } of mapped) {
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    }
    // Tracing: on for the archive only (the worker runs per event: off by default, as the ingest)
    const worker = mapped.filter(({ code }) => code.includes('unreadable message dead-lettered'));
    const archive = mapped.filter(({ code }) => !code.includes('unreadable message dead-lettered'));
    expect([worker.length, archive.length]).toEqual([1, 1]);
    expect(worker[0]?.code).not.toContain('AWSXRay');
    expect(archive[0]?.code).toContain('AWSXRay');
    for (const { code } of lean) {
      expect(code).not.toContain('sourceMappingURL');
      expect(code).not.toContain('AWSXRay');
    }
  });

  withCfnLint(
    `passes cfn-lint (${cfnLintVersion ?? 'not installed'}): every resource as CloudFormation's schemas define it`,
    async () => {
      // Prepare
      const names = ['InterviewSync-dev-Stateful', 'InterviewSync-dev-Stateless'];
      const templates = new Map<string, Record<string, unknown>>();
      for (const name of names) {
        const file = `${name}.template.json`;
        templates.set(
          file,
          JSON.parse(await readFile(join(outdir, file), 'utf8')) as Record<string, unknown>,
        );
      }

      // Act
      const findings = await cfnLint(names.map((name) => join(outdir, `${name}.template.json`)));

      // Assess (the findings are the failure message)
      const unexpected = findings.filter(
        (finding) => !acceptedFinding(finding, templates.get(finding.Filename.split('/').pop() ?? '') ?? {}),
      );
      expect(unexpected.map((f) => `${f.Rule.Id} ${f.Location.Path.join('.')}: ${f.Message}`)).toEqual([]);
    },
    60_000,
  );

  withCfnLint(
    'cfn-lint refuses what CloudFormation refuses in these templates (a queue visibility timeout over 12 h)',
    async () => {
      // Prepare: the stateful template with one value CloudFormation's schema refuses
      const template = JSON.parse(
        await readFile(join(outdir, 'InterviewSync-dev-Stateful.template.json'), 'utf8'),
      ) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
      const [queueId, queue] = Object.entries(template.Resources).find(
        ([, resource]) => resource.Type === 'AWS::SQS::Queue',
      ) ?? ['', undefined];
      if (queue === undefined) throw new Error('no queue in the stateful template');
      queue.Properties.VisibilityTimeout = 43_201;
      const broken = join(outdir, 'broken.template.json');
      await writeFile(broken, JSON.stringify(template));

      // Act
      const findings = await cfnLint([broken]);

      // Assess
      expect(findings.map((f) => f.Location.Path.join('.'))).toContain(
        `Resources.${queueId}.Properties.VisibilityTimeout`,
      );
    },
    60_000,
  );

  it('fails on an invalid setting, naming the key, before bundling anything', async () => {
    // Prepare
    const badOutdir = await mkdtemp(join(tmpdir(), 'interview-sync-cdk-out-bad-'));

    // Act
    const bad = await cdkSynth(badOutdir, ['-c', 'stage=prod', '-c', 'rawEventRetentionDays=-3']);
    await rm(badOutdir, { recursive: true, force: true });

    // Assess
    expect(bad.exitCode).not.toBe(0);
    expect(bad.output).toContain('rawEventRetentionDays: expected at least 1 day (got -3)');
    expect(bad.output).not.toContain('Bundling asset');
  }, 120_000);
});
