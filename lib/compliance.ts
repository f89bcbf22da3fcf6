/**
 * cdk-nag's AWS Solutions checks, and the one way to acknowledge a finding: next to the resource it is
 * about, with the reason. An unacknowledged finding fails `cdk synth`.
 */
import { Stack, type Stage, Validations } from 'aws-cdk-lib';
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

/**
 * Acknowledges the `IAM5` finding of a grant on the objects under `prefix` of `bucket`, on `scope` (the
 * grantee) only.
 *
 * cdk-nag names the finding after the resource as the template renders it: `<Bucket.Arn>/claim-checks/*` in
 * the bucket's own stack, but `<export name>/claim-checks/*` when the bucket lives in another stack (the
 * stateful one) and the ARN arrives through `Fn::ImportValue`, whose export name CDK only picks while it
 * resolves cross-stack references. So the finding is computed from the very ARN expression the grant uses,
 * once references are resolved: in a construct validation, which CDK runs after `prepareApp` (references
 * resolved) and before the validation plugins (cdk-nag) read the acknowledgements. The acknowledgement stays
 * exact: one resource, one prefix.
 */
export const acknowledgeObjectWildcard = (
  scope: IConstruct,
  bucket: IBucket,
  prefix: string,
  reason: string,
): void => {
  let acknowledged = false;
  scope.node.addValidation({
    validate: () => {
      if (!acknowledged) {
        const resource = flattenReference(Stack.of(scope).resolve(bucket.arnForObjects(`${prefix}*`)));
        acknowledgeAwsSolutions(scope, `IAM5[Resource::${resource}]`, reason);
        acknowledged = true;
      }
      return [];
    },
  });
};

/**
 * A resolved CloudFormation value as cdk-nag writes it in a finding (its `flattenCfnReference`, which the
 * package does not export): `Fn::Join` joined, `Fn::GetAtt` as `<Id.Attr>`, `Ref` as `<Id>`,
 * `Fn::ImportValue` as the export name.
 */
const flattenReference = (node: unknown): string => {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if (Array.isArray(value['Fn::Join'])) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (value['Fn::Sub'] !== undefined) return flattenReference(value['Fn::Sub']);
  if (Array.isArray(value['Fn::GetAtt'])) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (value['Fn::ImportValue'] !== undefined) return flattenReference(value['Fn::ImportValue']);
  if (value.Ref !== undefined) return `<${flattenReference(value.Ref)}>`;
  return JSON.stringify(node);
};
