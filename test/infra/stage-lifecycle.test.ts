/**
 * Retention and termination protection per stage: retained and protected by default, except on the stage
 * named `dev`; both configurable either way.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { StageConfig } from '../../lib/config/stage-config.js';
import { synthesizeStage } from './synth.js';

const dataTypes = [
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::SQS::Queue',
  'AWS::SecretsManager::Secret',
];

/** The deletion policy of every resource holding data, deduplicated: one value when all agree. */
const deletionPolicies = (template: Template): string[] => [
  ...new Set(
    Object.values(template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter((resource) => dataTypes.includes(resource.Type))
      .map((resource) => resource.DeletionPolicy ?? 'Delete'),
  ),
];

/** The deletion policy of the stateless stack's log groups, deduplicated. */
const logGroupPolicies = (template: Template): string[] => [
  ...new Set(
    Object.values(template.findResources('AWS::Logs::LogGroup')).map(
      (logGroup) => (logGroup.DeletionPolicy as string | undefined) ?? 'Delete',
    ),
  ),
];

describe.each([
  // stage, configuration, retained, protected
  ['dev', {}, false, false],
  ['prod', {}, true, true],
  ['staging', {}, true, true],
  ['dev', { retain: true, terminationProtection: true }, true, true],
  ['prod', { retain: false, terminationProtection: false }, false, false],
  ['prod', { retain: true, terminationProtection: false }, true, false],
] as const)('stage %s with %j', (stage, config, retained, terminationProtected) => {
  let synthesized: ReturnType<typeof synthesizeStage>;

  beforeAll(() => {
    // Prepare & Act
    synthesized = synthesizeStage({ stage, config: config as StageConfig });
  });

  it(`${retained ? 'retains' : 'deletes'} the data and the logs with the stacks`, () => {
    // Assess
    expect(deletionPolicies(synthesized.statefulTemplate)).toEqual([retained ? 'Retain' : 'Delete']);
    expect(logGroupPolicies(synthesized.statelessTemplate)).toEqual([retained ? 'Retain' : 'Delete']);
  });

  it(`${retained ? 'protects' : 'does not protect'} the ledger table from deletion`, () => {
    // Assess: a retained ledger must not go to a stray DeleteTable either; a throw-away one must be deletable
    const [table] = Object.values(synthesized.statefulTemplate.findResources('AWS::DynamoDB::Table'));
    expect(table?.Properties?.DeletionProtectionEnabled).toBe(retained);
  });

  it(`${retained ? 'keeps the buckets' : 'empties the buckets before deleting them'}`, () => {
    // Assess
    synthesized.statefulTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', retained ? 0 : 2);
  });

  it(`${retained ? 'denies' : 'does not deny'} erasing access-log versions (the auto-delete must empty a deleted stage's bucket)`, () => {
    // Assess
    const denies = Object.values(synthesized.statefulTemplate.findResources('AWS::S3::BucketPolicy')).flatMap(
      (policy) =>
        (policy.Properties.PolicyDocument.Statement as { Sid?: string }[]).filter(
          (statement) =>
            statement.Sid === 'DenyErasingAccessLogs' || statement.Sid === 'DenyOverwritingAccessLogs',
        ),
    );
    expect(denies).toHaveLength(retained ? 2 : 0);
  });

  it(`${terminationProtected ? 'protects' : 'does not protect'} the stateful stack from termination, never the stateless one`, () => {
    // Assess
    expect(synthesized.stateful.terminationProtection).toBe(terminationProtected);
    expect(synthesized.stateless.terminationProtection).toBe(false);
  });
});
