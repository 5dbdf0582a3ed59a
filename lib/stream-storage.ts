import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource, defaultPolicyOf } from './private/nag';
import { validatePattern } from './private/validate';

/** Where the brokers keep the data for good: an S3 bucket and a key prefix. */
export interface IStreamStorage {
  /** The data bucket. */
  readonly bucket: s3.IBucket;
  /** The key prefix of every object the brokers write, without a trailing `/` ('' for the whole bucket). */
  readonly prefix: string;
  /** The broker's object store location, `s3://<bucket>/<prefix>` (DK_OBJECT_STORE). */
  readonly objectStoreUrl: string;
  /** Grants what a broker needs on the data, and nothing else. */
  grantBrokerAccess(grantee: iam.IGrantable): void;
}

export interface StreamStorageProps {
  /**
   * An existing data bucket. Nothing is created then: configure its encryption, logging and
   * lifecycle yourself.
   *
   * @default - a new bucket (public access blocked, TLS only, encrypted, access-logged)
   */
  readonly bucket?: s3.IBucket;
  /**
   * The key prefix the brokers write under: path segments of [A-Za-z0-9._-] joined by `/`, no
   * leading or trailing `/`; '' for the whole bucket. IAM grants are scoped to it.
   *
   * @default 'kafka'
   */
  readonly prefix?: string;
  /**
   * A KMS key to encrypt the new bucket with (SSE-KMS, with an S3 Bucket Key to cut KMS
   * requests). With an existing `bucket`: the key that bucket uses, so the brokers are granted
   * its use.
   *
   * @default - S3-managed encryption (SSE-S3) for a new bucket; the existing bucket's own key, if known
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where the new data bucket's server access logs go. An existing bucket must already let
   * `logging.s3.amazonaws.com` write to it.
   *
   * @default - a new log bucket (SSE-S3, TLS only, logs expire after 90 days)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * What happens to the buckets this construct creates when they leave the stack. A bucket that
   * still holds objects cannot be destroyed.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** How long the new log bucket keeps server access logs. */
const ACCESS_LOG_RETENTION = Duration.days(90);

/**
 * The S3 side of diskless-kafka: the data bucket the brokers upload their aggregated WAL
 * segments to, its access-log bucket, and the one grant brokers need.
 */
export class StreamStorage extends Construct implements IStreamStorage {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly objectStoreUrl: string;
  /** The key that encrypts the data bucket, when it is a KMS key this package knows of. */
  readonly encryptionKey?: kms.IKey;
  /** The bucket receiving the data bucket's access logs, when this construct configured them. */
  readonly serverAccessLogsBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: StreamStorageProps = {}) {
    super(scope, id);
    this.prefix = props.prefix ?? 'kafka';
    validatePattern(
      'StreamStorage prefix',
      this.prefix,
      /^$|^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
      "'' or path segments of [A-Za-z0-9._-] joined by '/', with no leading or trailing '/'",
    );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (props.bucket) {
      if (props.serverAccessLogsBucket) {
        throw new Error(
          'StreamStorage serverAccessLogsBucket applies only to a bucket this construct creates; '
            + 'configure access logging on the existing bucket itself',
        );
      }
      this.bucket = props.bucket;
      this.encryptionKey = props.encryptionKey ?? props.bucket.encryptionKey;
    } else {
      this.serverAccessLogsBucket = props.serverAccessLogsBucket ?? this.createLogBucket(removalPolicy);
      this.bucket = this.createDataBucket(props.encryptionKey, this.serverAccessLogsBucket, removalPolicy);
      this.encryptionKey = props.encryptionKey;
    }
    this.objectStoreUrl = this.prefix === ''
      ? `s3://${this.bucket.bucketName}`
      : `s3://${this.bucket.bucketName}/${this.prefix}`;
  }

  /**
   * Object reads, writes, deletes and multipart aborts under the prefix; listing the bucket for
   * keys under the prefix; the KMS key's data-key operations when a KMS key encrypts the bucket.
   *
   * `s3:ListBucket` carries `StringLikeIfExists s3:prefix <prefix>/*`: a listing that names a
   * prefix must stay under ours, while S3's implicit ListBucket check on a GET or HEAD of a missing
   * key (which has no prefix) still passes, so a missing object answers 404 rather than 403.
   */
  grantBrokerAccess(grantee: iam.IGrantable): void {
    const objects = this.bucket.arnForObjects(this.prefix === '' ? '*' : `${this.prefix}/*`);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: [objects],
    }));
    const policy = defaultPolicyOf(grantee);
    if (policy) {
      acknowledgeWildcardResource(
        policy,
        objects,
        'The brokers read, write and delete their own objects, whose keys they choose at run time; the `*` is '
          + 'the key under the data prefix, never a wider bucket or an action.',
      );
    }
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: this.prefix === '' ? undefined : { StringLikeIfExists: { 's3:prefix': `${this.prefix}/*` } },
    }));
    this.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  private createLogBucket(removalPolicy: RemovalPolicy): s3.Bucket {
    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      // Server access logs can only be delivered to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: ACCESS_LOG_RETENTION }],
      removalPolicy,
    });
    Validations.of(logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the data bucket; logging its own access would log into itself.',
    });
    return logBucket;
  }

  private createDataBucket(
    encryptionKey: kms.IKey | undefined,
    logBucket: s3.IBucket,
    removalPolicy: RemovalPolicy,
  ): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey,
      bucketKeyEnabled: encryptionKey ? true : undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // Brokers delete what compaction replaced; versioning would keep paying for it.
      versioned: false,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy,
    });
    deliverAccessLogs(bucket, logBucket, 'data-bucket/');
    return bucket;
  }
}

/**
 * Turns on server access logging of `source` into `target` the way AWS recommends (a bucket
 * policy for logging.s3.amazonaws.com, no ACLs), whatever the app's S3 feature flags say.
 */
function deliverAccessLogs(source: s3.Bucket, target: s3.IBucket, logPrefix: string): void {
  const cfnSource = source.node.defaultChild as s3.CfnBucket;
  cfnSource.loggingConfiguration = { destinationBucketName: target.bucketName, logFilePrefix: logPrefix };
  target.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [target.arnForObjects(`${logPrefix}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': source.bucketArn },
      StringEquals: { 'aws:SourceAccount': Stack.of(source).account },
    },
  }));
}
