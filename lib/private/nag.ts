/**
 * Acknowledgements of cdk-nag findings that this package's design makes on purpose. Each one
 * names one finding on one construct (cdk-nag 3 matches acknowledgements by exact finding id).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges AwsSolutions-IAM5 for one resource ARN with a `*` in it, on the policy that holds
 * the statement. The finding id carries the ARN the way cdk-nag prints it: the resolved
 * CloudFormation value, with `<Logical.Attr>` for Fn::GetAtt, `<Name>` for Ref, and Fn::Join and
 * Fn::Sub flattened.
 */
export function acknowledgeWildcardResource(policy: IConstruct, resourceArn: string, reason: string): void {
  const resource = flattenCfnValue(Stack.of(policy).resolve(resourceArn));
  Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}

/**
 * The policy a grant to `grantee` lands in, when the grantee is a role of this app: its
 * `DefaultPolicy`. Undefined for imported roles and other principals.
 */
export function defaultPolicyOf(grantee: iam.IGrantable): IConstruct | undefined {
  const principal = grantee.grantPrincipal;
  return principal instanceof iam.Role ? principal.node.tryFindChild('DefaultPolicy') : undefined;
}

function flattenCfnValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenCfnValue).join(separator);
    }
    if ('Fn::Sub' in node) return flattenCfnValue(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [logicalId, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(logicalId)}.${flattenCfnValue(attribute)}>`;
    }
    if ('Fn::ImportValue' in node) return flattenCfnValue(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${flattenCfnValue(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
