/**
 * The example app: one stack holding a DisklessKafkaCluster at its defaults, checked at synth by
 * cdk-nag's AwsSolutions pack, the package's own capacity policy pack (DisklessKafkaChecks) and
 * CloudFormation Validate. `npx cdk synth` runs it (through
 * bin/diskless-kafka.ts); tests synthesize exactly this app through createExampleApp().
 *
 * Context (cdk.json or `-c key=value`), all optional:
 * - `diskless-kafka:region`: the stack's region. Default: $CDK_DEFAULT_REGION, else us-east-1.
 * - `diskless-kafka:availabilityZones`: three zones, comma-separated. Default: <region>a,b,c.
 * - `diskless-kafka:tlsSecretArn`: the complete ARN of a Secrets Manager secret holding the
 *   brokers' TLS certificate and key (BrokerTlsOptions). Default: none, a plaintext listener.
 * - `diskless-kafka:saslUsersSecretArn`: the complete ARN of a secret holding a SASL users file
 *   (BrokerSaslOptions). Default: none, no authentication.
 * The stack names no account, so synth needs no AWS credentials; `cdk deploy` uses the account
 * of the credentials it runs with.
 */
import { App, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { DisklessKafkaChecks, DisklessKafkaCluster } from '../lib';

export const REGION_CONTEXT = 'diskless-kafka:region';
export const ZONES_CONTEXT = 'diskless-kafka:availabilityZones';
export const TLS_SECRET_CONTEXT = 'diskless-kafka:tlsSecretArn';
export const SASL_USERS_SECRET_CONTEXT = 'diskless-kafka:saslUsersSecretArn';
/** A complete secret ARN: the name is followed by '-' and the six characters Secrets Manager adds. */
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const DEFAULT_REGION = 'us-east-1';

export interface ExampleStackProps extends StackProps {
  /** The three Availability Zones of the cluster's VPC. */
  readonly availabilityZones: string[];
  /** The complete ARN of the brokers' TLS certificate secret. @default - plaintext */
  readonly tlsSecretArn?: string;
  /** The complete ARN of the SASL users secret. @default - no authentication */
  readonly saslUsersSecretArn?: string;
}

export class ExampleStack extends Stack {
  readonly cluster: DisklessKafkaCluster;
  readonly clients: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ExampleStackProps) {
    super(scope, id, props);
    const secret = (id: string, arn: string | undefined) => (arn === undefined ? undefined : secretsmanager.Secret.fromSecretCompleteArn(this, id, arn));
    const certificateSecret = secret('TlsCertificate', props.tlsSecretArn);
    const usersSecret = secret('SaslUsers', props.saslUsersSecretArn);
    this.cluster = new DisklessKafkaCluster(this, 'Kafka', {
      availabilityZones: props.availabilityZones,
      tls: certificateSecret && { certificateSecret },
      sasl: usersSecret && { usersSecret },
    });
    // The construct opens the Kafka port to nobody: clients get it by wearing this security group.
    this.clients = new ec2.SecurityGroup(this, 'KafkaClients', {
      vpc: this.cluster.vpc,
      description: 'Attach to Kafka clients of the diskless-kafka cluster',
    });
    this.cluster.connections.allowDefaultPortFrom(this.clients, 'Kafka clients');
    new CfnOutput(this, 'ClientSecurityGroup', {
      value: this.clients.securityGroupId,
      description: 'Attach to Kafka clients to let them reach the brokers',
    });
  }
}

export interface ExampleApp {
  readonly app: App;
  readonly stack: ExampleStack;
}

export interface ExampleAppOptions {
  /** Where to write the cloud assembly. @default - CDK's default (cdk.out, or a temporary directory) */
  readonly outdir?: string;
  /** Context values, overriding the defaults above. @default - none */
  readonly context?: Record<string, unknown>;
}

export function createExampleApp(options: ExampleAppOptions = {}): ExampleApp {
  const app = new App({
    outdir: options.outdir,
    // What cdk.json sets for `cdk synth`, so that tests synthesize the same app.
    context: { '@aws-cdk/core:validateAgainstDefaultRules': true, ...options.context },
  });
  const region = contextString(app, REGION_CONTEXT) ?? process.env.CDK_DEFAULT_REGION ?? DEFAULT_REGION;
  const zones = contextZones(app) ?? ['a', 'b', 'c'].map((letter) => `${region}${letter}`);
  const stack = new ExampleStack(app, 'DisklessKafka', {
    env: { region },
    availabilityZones: zones,
    tlsSecretArn: contextSecretArn(app, TLS_SECRET_CONTEXT),
    saslUsersSecretArn: contextSecretArn(app, SASL_USERS_SECRET_CONTEXT),
    description: 'diskless-kafka example: a Kafka-compatible cluster with its WAL on FSx for NetApp ONTAP and its data in S3',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new DisklessKafkaChecks());
  return { app, stack };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function contextZones(app: App): string[] | undefined {
  const value: unknown = app.node.tryGetContext(ZONES_CONTEXT);
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? value.split(',').map((zone) => zone.trim()) : undefined;
}

function contextSecretArn(app: App, key: string): string | undefined {
  const arn = contextString(app, key);
  if (arn !== undefined && !COMPLETE_SECRET_ARN.test(arn)) {
    throw new Error(
      `${key} must be the complete ARN of a Secrets Manager secret `
        + `(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>); got '${arn}'`,
    );
  }
  return arn;
}
