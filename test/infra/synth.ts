/**
 * In-process synthesis for the infra tests, plus readers for the parts of a template the tests inspect.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { projectRoot } from '../../lib/constructs/service-function.js';
import { InterviewSyncStack, type InterviewSyncStackProps } from '../../lib/interview-sync-stack.js';

/** The feature flags from `cdk.json`, so an in-process synth renders what `cdk synth` renders. */
export const cdkJsonContext = (
  JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface SynthesizedStack {
  readonly stack: InterviewSyncStack;
  readonly template: Template;
}

/**
 * Synthesises one {@link InterviewSyncStack}. Bundling is skipped (the `aws:cdk:bundling-stacks` context):
 * the template does not depend on the bundle, and the esbuild run is covered once by the `cdk synth` test.
 */
export const synthesizeStack = (props: InterviewSyncStackProps = {}): SynthesizedStack => {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new InterviewSyncStack(app, 'InterviewSync-test', props);
  return { stack, template: Template.fromStack(stack) };
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
