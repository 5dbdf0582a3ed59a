import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type { Construct } from 'constructs';
import { packageRoot } from './private/package-root';
import { validatePattern } from './private/validate';

/** What a fleet needs to run an image. */
export interface BrokerImageConfig {
  /** The image reference `docker pull` takes. */
  readonly imageUri: string;
  /** The private ECR repository holding the image: the fleet logs in to it and is granted pull. */
  readonly repository?: ecr.IRepository;
}

/** What the fleet tells the image when it binds it. */
export interface BrokerImageBindOptions {
  /** The CPU architecture of the fleet's instance types. */
  readonly cpuArchitecture: ec2.InstanceArchitecture;
}

export interface BrokerImageAssetOptions {
  /**
   * The Docker build context.
   *
   * @default - the root of this package (its `Dockerfile` packages `broker/`)
   */
  readonly directory?: string;
  /**
   * The Dockerfile, relative to `directory`.
   *
   * @default 'Dockerfile'
   */
  readonly file?: string;
  /**
   * Build arguments, e.g. `{ NODE_IMAGE: '...' }` to take the Node.js base image from a mirror.
   *
   * @default - none
   */
  readonly buildArgs?: Record<string, string>;
}

/** The container image of the broker. */
export abstract class BrokerImage {
  /**
   * Builds the image from a Dockerfile when the app's assets are published (`cdk deploy`), for
   * the fleet's CPU architecture, and pushes it to the CDK bootstrap ECR repository. Synthesis
   * needs no Docker engine.
   */
  static fromAsset(options: BrokerImageAssetOptions = {}): BrokerImage {
    return new AssetBrokerImage(options);
  }

  /** A prebuilt image in a registry that needs no login (e.g. `public.ecr.aws/...`). */
  static fromRegistry(imageUri: string): BrokerImage {
    validatePattern(
      'BrokerImage.fromRegistry imageUri',
      imageUri,
      /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/,
      'an image reference such as public.ecr.aws/org/name:tag (letters, digits and . _ / : @ -)',
    );
    return new RegistryBrokerImage(imageUri);
  }

  /** A prebuilt image in a private ECR repository; the fleet is granted pull on it. */
  static fromEcrRepository(repository: ecr.IRepository, tag: string = 'latest'): BrokerImage {
    validatePattern('BrokerImage.fromEcrRepository tag', tag, /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'a Docker tag');
    return new EcrBrokerImage(repository, tag);
  }

  /** Called once by the fleet that runs the image. */
  abstract bind(scope: Construct, options: BrokerImageBindOptions): BrokerImageConfig;
}

class AssetBrokerImage extends BrokerImage {
  constructor(private readonly options: BrokerImageAssetOptions) {
    super();
  }

  bind(scope: Construct, options: BrokerImageBindOptions): BrokerImageConfig {
    const asset = new DockerImageAsset(scope, 'BrokerImage', {
      directory: this.options.directory ?? packageRoot(),
      file: this.options.file ?? 'Dockerfile',
      buildArgs: this.options.buildArgs,
      platform: options.cpuArchitecture === ec2.InstanceArchitecture.ARM_64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    });
    return { imageUri: asset.imageUri, repository: asset.repository };
  }
}

class RegistryBrokerImage extends BrokerImage {
  constructor(private readonly imageUri: string) {
    super();
  }

  bind(): BrokerImageConfig {
    return { imageUri: this.imageUri };
  }
}

class EcrBrokerImage extends BrokerImage {
  constructor(
    private readonly repository: ecr.IRepository,
    private readonly tag: string,
  ) {
    super();
  }

  bind(): BrokerImageConfig {
    return { imageUri: this.repository.repositoryUriForTag(this.tag), repository: this.repository };
  }
}
