import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { BrokerImage } from '../../lib/broker-image';
import { packageRoot } from '../../lib/private/package-root';

/** A container image's source in the cloud assembly's asset manifest. */
interface ContainerImageSource {
  readonly directory: string;
  readonly dockerFile?: string;
  readonly platform?: string;
}

/** Binds the image in a fresh stack, synthesizes, and returns the config and the container asset entries. */
function bindAndSynth(image: BrokerImage, cpuArchitecture: ec2.InstanceArchitecture) {
  const app = new App();
  const stack = new Stack(app, 'Image', { env: { region: 'us-east-1' } });
  const config = image.bind(stack, { cpuArchitecture });
  const assembly = app.synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Image.assets.json'), 'utf8')) as {
    dockerImages?: Record<string, { source: ContainerImageSource }>;
  };
  const assets = Object.values(manifest.dockerImages ?? {}).map((image) => image.source);
  return { stack, config, assets, assemblyDir: assembly.directory };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('BrokerImage', () => {
  describe('fromAsset', () => {
    const { stack, config, assets, assemblyDir } = bindAndSynth(BrokerImage.fromAsset(), ec2.InstanceArchitecture.ARM_64);

    test('is a Docker image asset of the package Dockerfile, built for arm64 on Graviton', () => {
      expect(assets).toHaveLength(1);
      expect(assets[0]).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' });
      expect(config.repository).toBeDefined();
      expect(JSON.stringify(stack.resolve(config.imageUri))).toContain('container-assets');
    });

    test('the build context holds only what the Dockerfile copies (the .dockerignore allowlist)', () => {
      const files = filesUnder(path.join(assemblyDir, assets[0].directory));
      const topLevel = new Set(files.map((file) => file.split(path.sep)[0]));
      expect(topLevel).toEqual(new Set(['.dockerignore', 'Dockerfile', 'package.json', 'package-lock.json', 'tsconfig.json', 'broker', 'lib']));
      expect(files.filter((file) => file.startsWith(`lib${path.sep}`) && !file.startsWith(path.join('lib', 'capacity')))).toEqual([]);
      expect(files.filter((file) => file.includes('node_modules') || file.endsWith('.test.ts'))).toEqual([]);
    });

    test('builds for amd64 when the fleet is x86', () => {
      const x86 = bindAndSynth(BrokerImage.fromAsset(), ec2.InstanceArchitecture.X86_64);
      expect(x86.assets[0]).toMatchObject({ platform: 'linux/amd64' });
    });
  });

  describe('the Dockerfile', () => {
    const dockerfile = fs.readFileSync(path.join(packageRoot(), 'Dockerfile'), 'utf8');
    const stages = dockerfile.split('\n').filter((line) => line.startsWith('FROM '));

    test('is multi-stage, every stage on the Node.js image of a registry that needs no login', () => {
      expect(stages.length).toBeGreaterThan(1);
      expect(stages.every((line) => line.startsWith('FROM ${NODE_IMAGE} AS '))).toBe(true);
      expect(dockerfile).toMatch(/^ARG NODE_IMAGE=public\.ecr\.aws\/docker\/library\/node:24-bookworm-slim$/m);
    });

    test('runs the bundled broker as the unprivileged node user', () => {
      const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toMatch(/^ENTRYPOINT \["node", .*"dist\/broker\.js"\]$/m);
      expect(dockerfile).toMatch(/^RUN npx tsx broker\/bundle\.ts dist$/m);
    });
  });

  describe('fromRegistry', () => {
    test('pulls the given image, with no registry login', () => {
      const { config } = bindAndSynth(BrokerImage.fromRegistry('public.ecr.aws/acme/diskless-kafka:1.2.3'), ec2.InstanceArchitecture.ARM_64);
      expect(config).toEqual({ imageUri: 'public.ecr.aws/acme/diskless-kafka:1.2.3' });
    });

    test.each(['', 'image name', "img'; rm -rf /"])('rejects %j', (uri) => {
      expect(() => BrokerImage.fromRegistry(uri)).toThrow(
        `BrokerImage.fromRegistry imageUri must be an image reference such as public.ecr.aws/org/name:tag (letters, digits and . _ / : @ -); got '${uri}'`,
      );
    });
  });

  describe('fromEcrRepository', () => {
    test('pulls a tag of a private repository, which the fleet logs in to', () => {
      const app = new App();
      const stack = new Stack(app, 'Image', { env: { region: 'us-east-1' } });
      const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'diskless-kafka');
      const config = BrokerImage.fromEcrRepository(repository, 'v1').bind(stack, { cpuArchitecture: ec2.InstanceArchitecture.ARM_64 });
      expect(config.repository).toBe(repository);
      expect(JSON.stringify(stack.resolve(config.imageUri))).toContain('/diskless-kafka:v1');
    });

    test('rejects a malformed tag', () => {
      const stack = new Stack(new App(), 'Image');
      const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'diskless-kafka');
      expect(() => BrokerImage.fromEcrRepository(repository, 'v1:latest')).toThrow(
        "BrokerImage.fromEcrRepository tag must be a Docker tag; got 'v1:latest'",
      );
    });
  });
});
