/**
 * In-process synthesis for the infra tests, plus readers for the parts of a template the tests inspect.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { readStageConfig, type StageConfig } from '../../lib/config/stage-config.js';
import { projectRoot } from '../../lib/constructs/service-function.js';
import { addInterviewSyncStage } from '../../lib/interview-sync-stage.js';
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';

const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The stage settings of cdk.json (`stages`). */
export const cdkJsonStages = cdkJson.context.stages as Record<string, unknown>;

/**
 * The feature flags of cdk.json, so an in-process synth renders what `cdk synth` renders; without its
 * `stages`, so the tests see the code's defaults, not the settings of cdk.json's stages.
 */
export const cdkJsonContext = Object.fromEntries(
  Object.entries(cdkJson.context).filter(([key]) => key !== 'stages'),
);

export interface SynthesizedStage {
  readonly stateful: InterviewSyncStatefulStack;
  readonly stateless: InterviewSyncStatelessStack;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

export interface SynthesizeOptions {
  /** @default 'test' (not `dev`: the stage of the production defaults) */
  readonly stage?: string;
  /** @default {} (every default) */
  readonly config?: StageConfig;
}

/**
 * Synthesises one stage's two stacks. Bundling is skipped (the `aws:cdk:bundling-stacks` context): the
 * templates do not depend on the bundles, and the esbuild run is covered once by the `cdk synth` test.
 */
export const synthesizeStage = (options: SynthesizeOptions = {}): SynthesizedStage =>
  inTemporaryApp({}, (app) => addInterviewSyncStage(app, options.stage ?? 'test', options.config ?? {}));

/**
 * What `bin/app.ts` does with a context (cdk.json's flags plus `context`): read and validate the stage's
 * configuration, then build the stage. Throws `StageConfigError` like `cdk synth` would.
 */
export const synthesizeFromContext = (context: Record<string, unknown>): SynthesizedStage =>
  inTemporaryApp(context, (app) => {
    const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
    const config = readStageConfig(stage, (key) => app.node.tryGetContext(key) as unknown);
    return addInterviewSyncStage(app, stage, config);
  });

/**
 * Builds a stage in a new app (cdk.json's flags plus `context`, bundling skipped) and reads both templates
 * into memory. The app's output directory, which CDK makes in the system's temporary directory as soon as the
 * app exists (~400 KB once synthesised), is removed afterwards, even when the build throws: test runs leave
 * nothing behind.
 */
const inTemporaryApp = (
  context: Record<string, unknown>,
  build: (app: App) => { stateful: InterviewSyncStatefulStack; stateless: InterviewSyncStatelessStack },
): SynthesizedStage => {
  const app = new App({ context: { ...cdkJsonContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  try {
    const { stateful, stateless } = build(app);
    const statelessTemplate = Template.fromStack(stateless);
    return { stateful, stateless, statefulTemplate: Template.fromStack(stateful), statelessTemplate };
  } finally {
    rmSync(app.outdir, { recursive: true, force: true });
  }
};

/** Logical id of the CloudFormation resource behind an L2 construct. */
export const logicalIdOf = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** One IAM statement with its action and resource lists normalised to arrays. */
export interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
  /** The statement's `Condition` block, if any. */
  readonly conditions?: unknown;
  /** Keys other than Effect, Action, Resource and Condition (`NotAction`, `Principal`, …), sorted. */
  readonly otherKeys: readonly string[];
}

const toArray = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

/** Every statement of every inline policy attached to the function's execution role. */
export const statementsOfFunctionRole = (stack: Stack, template: Template, fn: IFunction): Statement[] => {
  if (fn.role === undefined) throw new Error(`${fn.node.path} has no role`);
  const roleId = logicalIdOf(stack, fn.role);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.values(policies).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]).map((statement) => ({
      effect: statement.Effect as string,
      actions: toArray(statement.Action as string | string[]),
      resources: toArray(statement.Resource),
      ...(statement.Condition === undefined ? {} : { conditions: statement.Condition }),
      otherKeys: Object.keys(statement)
        .filter((key) => !['Effect', 'Action', 'Resource', 'Condition'].includes(key))
        .sort(),
    })),
  );
};

/** The environment variables of a function as rendered in the template. */
export const environmentOf = (stack: Stack, template: Template, fn: IFunction): Record<string, unknown> => {
  const resource = template.toJSON().Resources[logicalIdOf(stack, fn)] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
};

/**
 * How `consumer`'s template renders `token` (a resource attribute): `{ Ref }`/`{ Fn::GetAtt }` in its own
 * stack, `{ Fn::ImportValue }` of the stateful stack's export in the other. Valid after synthesis.
 */
export const renderedIn = (consumer: Stack, token: string): unknown => consumer.resolve(token);

/** GitHub's anchor of a Markdown heading (lower case, punctuation dropped, spaces to hyphens). */
export const githubSlug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** One widget of a dashboard, its references replaced by `<ref:LogicalId.Attribute>` or `<import:ExportName>`. */
export interface DashboardWidget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly alarms?: readonly string[];
    readonly metrics?: readonly (readonly unknown[])[];
  };
}

/**
 * The widgets of the template's one dashboard. Its body is an `Fn::Join` of JSON text and references; each
 * reference is replaced by a readable placeholder so the JSON can be parsed and inspected.
 */
export const dashboardWidgets = (template: Template): DashboardWidget[] => {
  const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
  const body = dashboard?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const parts = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const value = part as Record<string, unknown>;
      if (value.Ref !== undefined) return `<ref:${String(value.Ref)}>`;
      if (Array.isArray(value['Fn::GetAtt'])) return `<ref:${(value['Fn::GetAtt'] as string[]).join('.')}>`;
      if (value['Fn::ImportValue'] !== undefined) return `<import:${String(value['Fn::ImportValue'])}>`;
      throw new Error(`unexpected part of the dashboard body: ${JSON.stringify(part)}`);
    })
    .join('');
  return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
};

/** The placeholder {@link dashboardWidgets} puts for a value of `consumer`'s template (a rendered reference). */
export const placeholderOf = (rendered: unknown): string => {
  const value = rendered as Record<string, unknown>;
  if (value.Ref !== undefined) return `<ref:${String(value.Ref)}>`;
  if (Array.isArray(value['Fn::GetAtt'])) return `<ref:${(value['Fn::GetAtt'] as string[]).join('.')}>`;
  if (value['Fn::ImportValue'] !== undefined) return `<import:${String(value['Fn::ImportValue'])}>`;
  throw new Error(`not a reference: ${JSON.stringify(rendered)}`);
};
