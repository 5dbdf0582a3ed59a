/** Shared fixtures of the construct tests: small stacks, three-zone VPCs, template helpers. */
import { execFileSync, spawnSync } from 'node:child_process';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';

export const REGION = 'us-east-1';
export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/** A region-only stack (no account: synth needs no credentials), with CloudFormation Validate on. */
export function testStack(id = 'Test'): Stack {
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  return new Stack(app, id, { env: { region: REGION } });
}

/** A VPC with one private subnet with egress in each of the three test zones. */
export function threeZoneVpc(scope: Stack, id = 'Vpc'): ec2.Vpc {
  return new ec2.Vpc(scope, id, { availabilityZones: ZONES, natGateways: 1 });
}

/** The logical id CloudFormation will use for a construct's primary resource. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(resource.logicalId) as string;
}

/** `{ 'Fn::GetAtt': [<security group>, 'GroupId'] }`, as templates reference a security group. */
export function groupIdOf(securityGroup: ec2.ISecurityGroup): unknown {
  return { 'Fn::GetAtt': [logicalIdOf(securityGroup), 'GroupId'] };
}

/**
 * The launch template's user data as the instance will see it, with each CloudFormation
 * reference (resolved only at deploy) replaced by a shell-safe placeholder.
 */
export function renderedUserData(template: Template): string {
  const templates = template.findResources('AWS::EC2::LaunchTemplate');
  const [launchTemplate] = Object.values(templates) as { Properties: { LaunchTemplateData: { UserData: unknown } } }[];
  const userData = launchTemplate.Properties.LaunchTemplateData.UserData as { 'Fn::Base64': unknown };
  const body = userData['Fn::Base64'] as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof body === 'string') return body;
  return body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'CFN_REFERENCE')).join('');
}

/** True when `command` can be run here. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** shellcheck's findings on a script (empty when clean). */
export function shellcheck(script: string): string {
  const result = spawnSync('shellcheck', ['--shell=bash', '-'], { input: script, encoding: 'utf8' });
  return result.status === 0 ? '' : `${result.stdout}${result.stderr}`;
}

/** Runs a bash snippet and returns its standard output. */
export function bash(script: string): string {
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' });
}

/** The Properties of every resource of `type` in the template. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON is untyped
export function propertiesOf(template: Template, type: string): Record<string, any>[] {
  return Object.values(template.findResources(type)).map((resource) => resource.Properties as Record<string, unknown>);
}
