/**
 * cdk-nag's AWS Solutions checks, and the one way to acknowledge a finding: next to the resource it is
 * about, with the reason. An unacknowledged finding fails `cdk synth`.
 */
import { type CfnElement, Stack, type Stage, Validations } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Runs the AWS Solutions rule pack on every stack of `stage` (an `App` or a `Stage`) at synthesis. */
export const addComplianceChecks = (stage: Stage): void => {
  Validations.of(stage).addPlugins(new AwsSolutionsChecks(stage));
};

/**
 * Acknowledges AWS Solutions rule `finding` (e.g. `S1`, `IAM5[Resource::*]`) on `scope` and its children.
 */
export const acknowledgeAwsSolutions = (scope: IConstruct, finding: string, reason: string): void => {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
};

/** The `IAM5` finding for a grant on the objects under `prefix` of a bucket defined in this app. */
export const objectWildcardFinding = (bucket: IBucket, prefix: string): string => {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  return `IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`;
};
