/**
 * The synth-time gates on whole apps: the example app of `npx cdk synth` and a cluster using
 * every option, each synthesized once with cdk-nag's AwsSolutions pack and CloudFormation
 * Validate (`@aws-cdk/core:validateAgainstDefaultRules`), then linted with AWS's cfn-lint.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createExampleApp } from '../../bin/example-app';
import { BrokerImage } from '../../lib/broker-image';
import { DisklessKafkaCluster } from '../../lib/diskless-kafka-cluster';
import { packageRoot } from '../../lib/private/package-root';
import { WalFileSystem } from '../../lib/wal-file-system';
import { hasCommand, REGION, ZONES } from './support';

const VALIDATE_FLAG = '@aws-cdk/core:validateAgainstDefaultRules';
/**
 * What the CDK CLI adds to every app's context, so that tests synthesize what `cdk synth` writes:
 * resources carry `aws:cdk:path` metadata, and the template an AWS::CDK::Metadata resource, by
 * which cfn-lint recognizes CDK output (and accepts the literal zone names CDK writes for
 * explicit availability zones, W3010).
 */
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true };
const CFN_LINT = hasCommand('cfn-lint');

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations?: unknown[];
}

/**
 * What the validation plugins reported: each plugin's conclusion and number of violations. A
 * plugin that only saw acknowledged findings reports success with no violation.
 */
function validationFindings(outdir: string): { plugin: string; conclusion: string; violations: number }[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const { pluginReports } = JSON.parse(fs.readFileSync(file, 'utf8')) as { pluginReports: PluginReport[] };
  return pluginReports.map((report) => ({
    plugin: report.pluginName,
    conclusion: report.conclusion,
    violations: report.violations?.length ?? 0,
  }));
}

/** The plugins that failed or reported a violation (an empty list passes the gate). */
function unresolvedFindings(outdir: string): ReturnType<typeof validationFindings> {
  return validationFindings(outdir).filter((finding) => finding.conclusion !== 'success' || finding.violations > 0);
}

/** Synthesizes the app; returns what synth threw, or undefined. */
function synthesize(app: App): unknown {
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Every acknowledgement recorded in the app: where it sits, what it acknowledges, why. */
function acknowledgements(app: App): { path: string; id: string; reason: string; construct: IConstruct }[] {
  return app.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .map(([id, reason]) => ({ path: construct.node.path, id, reason, construct })));
}

function templatesIn(outdir: string): string[] {
  return fs.readdirSync(outdir).filter((file) => file.endsWith('.template.json')).map((file) => path.join(outdir, file));
}

/** cfn-lint's output on the templates, with the repository's config (ignored rules and their reasons). */
function cfnLint(templates: string[]): { status: number | null; output: string } {
  const result = spawnSync('cfn-lint', ['--config-file', path.join(packageRoot(), '.cfnlintrc.yaml'), '--', ...templates], {
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The parts of a template that change with every broker source edit or CDK release, replaced by placeholders. */
function stableTemplate(file: string): unknown {
  const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, unknown>; Conditions?: Record<string, unknown> };
  delete template.Resources.CDKMetadata;
  delete template.Conditions?.CDKMetadataAvailable;
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

const lintTest = CFN_LINT ? test : test.skip;
const lintTitle = (what: string) => (CFN_LINT ? what : `${what} (skipped: cfn-lint is not installed here; pip install cfn-lint)`);

describe('the example app (npx cdk synth)', () => {
  const outdir = tempDir('dk-example-');
  const { app, stack } = createExampleApp({ outdir, context: { ...CLI_CONTEXT, 'diskless-kafka:region': REGION } });
  const synthError = synthesize(app);

  test('synthesizes with the AwsSolutions pack and CloudFormation Validate on, and nothing reported', () => {
    expect(synthError).toBeUndefined();
    expect(app.node.tryGetContext(VALIDATE_FLAG)).toBe(true);
    expect(unresolvedFindings(outdir)).toEqual([]);
  });

  test("every acknowledgement of this package's own sits on one resource, with a specific reason", () => {
    const ours = acknowledgements(app).filter((ack) => !Stack.isStack(ack.construct) && !ack.id.startsWith('CloudFormation-Validate::'));
    expect(ours.map((ack) => ack.id)).toEqual(expect.arrayContaining([
      'Annotation::AwsSolutions-SMG4', 'Annotation::AwsSolutions-S1', 'Annotation::AwsSolutions-AS3', 'Annotation::AwsSolutions-ELB2',
    ]));
    for (const ack of ours) {
      expect([ack.path, CfnResource.isCfnResource(ack.construct.node.defaultChild)]).toEqual([ack.path, true]);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
    // What sits higher up comes from aws-cdk-lib itself (its own W3010 note on literal zone names).
    const stackLevel = acknowledgements(app).filter((ack) => Stack.isStack(ack.construct));
    expect(stackLevel.map((ack) => ack.id)).toEqual(['CloudFormation-Validate::W3010']);
  });

  test('is one stack in the region given, over three zones', () => {
    expect(templatesIn(outdir).map((file) => path.basename(file))).toEqual(['DisklessKafka.template.json']);
    expect(stack.region).toBe(REGION);
    expect(stack.cluster.vpc.availabilityZones).toEqual(ZONES);
  });

  test('matches the snapshot (asset hashes and CDK metadata masked)', () => {
    expect(stableTemplate(path.join(outdir, 'DisklessKafka.template.json'))).toMatchSnapshot();
  });

  lintTest(lintTitle('cfn-lint reports no error and no warning'), () => {
    expect(cfnLint(templatesIn(outdir))).toEqual({ status: 0, output: '' });
  });

  test('registers the AwsSolutions pack: an unacknowledged finding added to it fails synth', () => {
    const other = createExampleApp({ outdir: tempDir('dk-example-nag-'), context: { 'diskless-kafka:region': REGION } });
    new s3.Bucket(other.stack, 'UnloggedBucket', { enforceSSL: true });
    expect(() => other.app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('zones and region come from context', () => {
    const other = createExampleApp({
      outdir: tempDir('dk-example-context-'),
      context: { 'diskless-kafka:region': 'eu-west-1', 'diskless-kafka:availabilityZones': 'eu-west-1a, eu-west-1b, eu-west-1c' },
    });
    expect(other.stack.region).toBe('eu-west-1');
    expect(other.stack.cluster.vpc.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  test('TLS and SASL from context: the secret ARNs given, or a clear error for one that is not a complete secret ARN', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/tls-AbCdEf';
    const usersArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/users-GhIjKl';
    const secure = createExampleApp({
      outdir: tempDir('dk-example-tls-'),
      context: { 'diskless-kafka:region': REGION, 'diskless-kafka:tlsSecretArn': arn, 'diskless-kafka:saslUsersSecretArn': usersArn },
    });
    expect(secure.stack.cluster.securityProtocol).toBe('SASL_SSL');
    const launchTemplate = JSON.stringify(Template.fromStack(secure.stack).findResources('AWS::EC2::LaunchTemplate'));
    expect(launchTemplate).toContain(`readonly TLS_SECRET_ARN='${arn}'`);
    expect(launchTemplate).toContain(`readonly SASL_USERS_SECRET_ARN='${usersArn}'`);
    expect(stack.cluster.securityProtocol).toBe('PLAINTEXT');
    const partial = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/tls';
    expect(() => createExampleApp({ context: { 'diskless-kafka:tlsSecretArn': partial } })).toThrow(
      `diskless-kafka:tlsSecretArn must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>); got '${partial}'`,
    );
  });
});

describe('a cluster using every option', () => {
  const outdir = tempDir('dk-options-');
  const app = new App({ outdir, context: { ...CLI_CONTEXT, [VALIDATE_FLAG]: true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const env = { region: REGION };

  // Existing VPC, WAL, bucket with its KMS key, and a prebuilt image in ECR.
  const existing = new Stack(app, 'ExistingResources', { env });
  const vpc = ec2.Vpc.fromVpcAttributes(existing, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ZONES,
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa0', 'subnet-0bbbbbbbbbbbbbbb0', 'subnet-0ccccccccccccccc0'],
    privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa0', 'rtb-0bbbbbbbbbbbbbbb0', 'rtb-0ccccccccccccccc0'],
  });
  new DisklessKafkaCluster(existing, 'Kafka', {
    vpc,
    walFileSystem: WalFileSystem.fromAttributes(existing, 'Wal', {
      fileSystemId: 'fs-0123456789abcdef0',
      storageVirtualMachineId: 'svm-0123456789abcdef0',
      junctionPath: '/wal',
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(existing, 'WalGroup', 'sg-0123456789abcdef0')],
    }),
    walThroughputMBps: 768,
    dataBucket: s3.Bucket.fromBucketName(existing, 'Data', 'team-kafka-data'),
    encryptionKey: kms.Key.fromKeyArn(existing, 'Key', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    dataPrefix: 'clusters/orders',
    image: BrokerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(existing, 'Repo', 'diskless-kafka'), '1.0.0'),
    // TLS and SASL with secrets known by name only (their ARNs' random suffixes unknown).
    tls: { certificateSecret: secretsmanager.Secret.fromSecretNameV2(existing, 'Tls', 'kafka/orders-tls') },
    sasl: { usersSecret: secretsmanager.Secret.fromSecretNameV2(existing, 'Users', 'kafka/orders-users') },
  });

  // New resources, every knob turned: KMS, MULTI_AZ_1, x86 On-Demand base, notifications.
  const created = new Stack(app, 'EveryKnob', { env });
  const key = new kms.Key(created, 'Key', { enableKeyRotation: true });
  new DisklessKafkaCluster(created, 'Kafka', {
    availabilityZones: ZONES,
    walDeploymentType: 'MULTI_AZ_1',
    walThroughputMBps: 512,
    walStorageCapacityGiB: 2048,
    encryptionKey: key,
    onDemandBaseCapacity: 1,
    instanceTypes: [new ec2.InstanceType('m7i.large'), new ec2.InstanceType('m6i.large')],
    notificationTopic: new sns.Topic(created, 'Notifications', { masterKey: key, enforceSSL: true }),
    clusterId: 'every-knob',
    akus: 6,
    metricsPort: 9404,
    image: BrokerImage.fromRegistry('public.ecr.aws/acme/diskless-kafka:1.0.0'),
    // Mutual TLS, the certificate's secret encrypted with the stack's key.
    tls: {
      certificateSecret: secretsmanager.Secret.fromSecretAttributes(created, 'Tls', {
        secretCompleteArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/every-knob-tls-AbCdEf',
        encryptionKey: key,
      }),
      clientCertificateAuthorities: fs.readFileSync(path.join(packageRoot(), 'test', 'e2e', 'tls', 'client-ca.pem'), 'utf8'),
    },
  });
  const synthError = synthesize(app);

  test('synthesizes with the AwsSolutions pack and CloudFormation Validate on, and nothing reported', () => {
    expect(synthError).toBeUndefined();
    expect(unresolvedFindings(outdir)).toEqual([]);
    expect(templatesIn(outdir)).toHaveLength(2);
  });

  lintTest(lintTitle('cfn-lint reports no error and no warning'), () => {
    expect(cfnLint(templatesIn(outdir))).toEqual({ status: 0, output: '' });
  });
});

describe('the gates are live', () => {
  test('an unacknowledged AwsSolutions finding fails synth', () => {
    const app = new App({ outdir: tempDir('dk-nag-') });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new s3.Bucket(new Stack(app, 'Bare'), 'NoLogsNoTls');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('CloudFormation Validate fails synth on an invalid property when the flag is on', () => {
    const app = new App({ outdir: tempDir('dk-validate-'), context: { [VALIDATE_FLAG]: true } });
    new CfnResource(new Stack(app, 'Invalid'), 'Bucket', { type: 'AWS::S3::Bucket', properties: { NotAProperty: 1 } });
    expect(() => app.synth()).toThrow(/F3002/);
  });

  lintTest(lintTitle('cfn-lint reports a template error'), () => {
    const dir = tempDir('dk-lint-');
    const file = path.join(dir, 'bad.template.json');
    fs.writeFileSync(file, JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { Nope: Duration.seconds(1).toSeconds() } } } }));
    const { status, output } = cfnLint([file]);
    expect(status).not.toBe(0);
    expect(output).toContain('E3002');
  });
});
