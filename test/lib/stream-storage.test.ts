import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { StreamStorage } from '../../lib/stream-storage';
import { logicalIdOf, propertiesOf, testStack } from './support';

/** The broker role's policy statements, after a grant. */
function grantedStatements(template: Template): Record<string, unknown>[] {
  const [policy] = propertiesOf(template, 'AWS::IAM::Policy');
  return policy.PolicyDocument.Statement as Record<string, unknown>[];
}

function brokerRole(storage: StreamStorage): iam.Role {
  const role = new iam.Role(storage, 'BrokerRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  storage.grantBrokerAccess(role);
  return role;
}

describe('StreamStorage', () => {
  describe('a new data bucket (defaults)', () => {
    const stack = testStack();
    const storage = new StreamStorage(stack, 'Storage');
    brokerRole(storage);
    const template = Template.fromStack(stack);
    const bucketId = logicalIdOf(storage.bucket);
    const logBucketId = logicalIdOf(storage.serverAccessLogsBucket!);

    test('blocks public access, encrypts with SSE-S3, aborts incomplete multipart uploads after a day', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LifecycleConfiguration: { Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logBucketId }, LogFilePrefix: 'data-bucket/' },
      });
    });

    test('both buckets refuse requests without TLS', () => {
      for (const id of [bucketId, logBucketId]) {
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            })]),
          },
        });
      }
    });

    test('the log bucket lets only S3 logging from the data bucket of this account write, without ACLs', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logBucketId, 'Arn'] }, '/data-bucket/*']] },
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }]),
        },
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
      });
    });

    test('both buckets are retained on stack deletion', () => {
      const buckets = template.findResources('AWS::S3::Bucket');
      expect(Object.keys(buckets)).toHaveLength(2);
      for (const bucket of Object.values(buckets)) {
        expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    });

    test('brokers may get, put, delete and abort uploads under the prefix, and list it: no wildcard action', () => {
      expect(grantedStatements(template)).toEqual([
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/kafka/*']] },
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
          Condition: { StringLikeIfExists: { 's3:prefix': 'kafka/*' } },
        },
      ]);
    });

    test('the object store URL is s3://<bucket>/kafka', () => {
      expect(stack.resolve(storage.objectStoreUrl)).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/kafka']] });
    });
  });

  describe('KMS key', () => {
    test('encrypts with SSE-KMS and a bucket key; brokers may decrypt and generate data keys', () => {
      const stack = testStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const storage = new StreamStorage(stack, 'Storage', { encryptionKey: key });
      brokerRole(storage);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] } },
          }],
        },
      });
      expect(grantedStatements(template)).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] },
      });
    });
  });

  describe('an existing bucket', () => {
    test('creates no bucket; grants scoped to that bucket and prefix; its key granted', () => {
      const stack = testStack();
      const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
      const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'team-kafka-data');
      const storage = new StreamStorage(stack, 'Storage', { bucket, prefix: 'clusters/orders', encryptionKey: key });
      brokerRole(storage);
      const template = Template.fromStack(stack);

      template.resourceCountIs('AWS::S3::Bucket', 0);
      const objects = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-kafka-data/clusters/orders/*']] };
      const statements = grantedStatements(template);
      expect(statements).toContainEqual(expect.objectContaining({ Resource: objects }));
      expect(statements).toContainEqual(expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLikeIfExists: { 's3:prefix': 'clusters/orders/*' } },
      }));
      expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key.keyArn }));
      expect(storage.objectStoreUrl).toBe('s3://team-kafka-data/clusters/orders');
    });

    test('an empty prefix grants the whole bucket without a prefix condition', () => {
      const stack = testStack();
      const storage = new StreamStorage(stack, 'Storage', { bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'kafka-only'), prefix: '' });
      brokerRole(storage);
      const statements = grantedStatements(Template.fromStack(stack));
      expect(statements[0].Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::kafka-only/*']] });
      expect(statements[1]).not.toHaveProperty('Condition');
      expect(storage.objectStoreUrl).toBe('s3://kafka-only');
    });

    test('an access-log bucket for an existing bucket fails synth', () => {
      const stack = testStack();
      expect(() => new StreamStorage(stack, 'Storage', {
        bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'data'),
        serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'logs'),
      })).toThrow('StreamStorage serverAccessLogsBucket applies only to a bucket this construct creates; configure access logging on the existing bucket itself');
    });
  });

  describe('options', () => {
    test('an existing access-log bucket receives the logs and no log bucket is created', () => {
      const stack = testStack();
      new StreamStorage(stack, 'Storage', { serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'central-logs') });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: 'central-logs' } });
    });

    test('RemovalPolicy.DESTROY applies to both buckets', () => {
      const stack = testStack();
      new StreamStorage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY });
      for (const bucket of Object.values(Template.fromStack(stack).findResources('AWS::S3::Bucket'))) {
        expect(bucket).toMatchObject({ DeletionPolicy: 'Delete' });
      }
    });

    test.each(['/kafka', 'kafka/', 'a//b', 'kafka prefix', "it's"])('prefix %j fails synth', (prefix) => {
      expect(() => new StreamStorage(testStack(), 'Storage', { prefix })).toThrow(
        `StreamStorage prefix must be '' or path segments of [A-Za-z0-9._-] joined by '/', with no leading or trailing '/'; got '${prefix}'`,
      );
    });
  });
});
