/**
 * The functions as a stage deploys them: the CDK app is synthesised in-process with bundling on, so each
 * function's bundle is the one `NodejsFunction` builds (same esbuild options, source map or not) and its
 * environment is the template's (`NODE_OPTIONS`, log level, tracing). A bench-only stack beside the stage
 * holds the baseline of the cold-start comparison: a minimal handler (`minimal-handler.ts`) bundled by the
 * same construct with the ingest's settings.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { readStageConfig, type StageConfig } from '../../lib/config/stage-config.js';
import { ServiceFunction } from '../../lib/constructs/service-function.js';
import { addInterviewSyncStage, stackNamesOf } from '../../lib/interview-sync-stage.js';
import { resources } from '../../lib/resources.js';

/** The functions of a stage by role, plus the bench's baseline. */
export type FunctionRole = 'ingest' | 'worker' | 'archive' | 'minimal';

export interface DeployedFunction {
  readonly role: FunctionRole;
  /** The bundle (`index.mjs`) CDK built, in the synth's output directory. */
  readonly bundle: string;
  readonly bundleBytes: number;
  /** Bytes of the source map beside the bundle (0: none). */
  readonly sourceMapBytes: number;
  readonly memoryMb: number;
  /**
   * The function's environment from the template; a value CloudFormation resolves at deploy time (a queue
   * URL, a table name) is `null`: the bench fills those with the local emulators' values.
   */
  readonly environment: Readonly<Record<string, string | null>>;
}

export interface DeployedStage {
  readonly stage: string;
  /** The stage's validated settings (cdk.json `stages.<stage>`), plus the bench's overrides. */
  readonly config: StageConfig;
  readonly functions: Readonly<Record<FunctionRole, DeployedFunction>>;
}

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

const serviceRoles: Readonly<Record<string, FunctionRole>> = {
  [resources.ingest.serviceName]: 'ingest',
  [resources.worker.serviceName]: 'worker',
  [resources.archive.serviceName]: 'archive',
  'interview-sync-bench-minimal': 'minimal',
};

interface TemplateFunction {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties: {
    readonly MemorySize?: number;
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/**
 * Synthesises `stage` (its cdk.json settings, then `overrides`) with bundling, and the baseline function
 * with the ingest's settings, into a new directory under `parentDir` (the caller removes it: ~15 MB of
 * bundles and maps). Takes a few seconds per function (esbuild).
 */
export const synthesizeDeployedStage = (
  stage: string,
  overrides: Partial<StageConfig> = {},
  parentDir: string = tmpdir(),
): DeployedStage => {
  const outdir = mkdtempSync(join(parentDir, 'cdk-'));
  const context: Record<string, unknown> = { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true };
  const fromStage = readStageConfig(stage, (key) => context[key]);
  const config = { ...fromStage, ...overrides } as StageConfig;
  const app = new App({ outdir, context });
  addInterviewSyncStage(app, stage, config);

  // The baseline: bundled by the same construct as the ingest, with its memory and timeout.
  const baseline = new Stack(app, `InterviewSyncBench-${stage}-Baseline`);
  new ServiceFunction(baseline, 'Minimal', {
    entry: 'local/bench/minimal-handler.ts',
    memoryMb: resources.ingest.memoryMb,
    timeoutSeconds: resources.ingest.timeoutSeconds,
    serviceName: 'interview-sync-bench-minimal',
    metricsNamespace: resources.metricsNamespace,
    // The least a function can load: no tracer, no source map.
    tracing: false,
    sourceMaps: false,
    environment: {},
  });

  const assembly = app.synth();
  const functions: Partial<Record<FunctionRole, DeployedFunction>> = {};
  for (const stackName of [stackNamesOf(stage).stateless, baseline.stackName]) {
    const template = assembly.getStackByName(stackName).template as {
      Resources: Record<string, TemplateFunction>;
    };
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const variables = resource.Properties.Environment?.Variables ?? {};
      const role = serviceRoles[String(variables.POWERTOOLS_SERVICE_NAME)];
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (role === undefined || typeof assetPath !== 'string') continue;
      const bundle = join(outdir, assetPath, 'index.mjs');
      const sourceMap = `${bundle}.map`;
      functions[role] = {
        role,
        bundle,
        bundleBytes: statSync(bundle).size,
        sourceMapBytes: statSync(sourceMap, { throwIfNoEntry: false })?.size ?? 0,
        memoryMb: resource.Properties.MemorySize ?? 128,
        environment: Object.fromEntries(
          Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : null]),
        ),
      };
    }
  }
  const missing = Object.keys(serviceRoles)
    .map((name) => serviceRoles[name] as FunctionRole)
    .filter((role) => functions[role] === undefined);
  if (missing.length > 0) throw new Error(`the synth produced no bundle for: ${missing.join(', ')}`);
  return { stage, config, functions: functions as Record<FunctionRole, DeployedFunction> };
};
