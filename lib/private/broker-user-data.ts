/**
 * Renders the broker hosts' user data: a settings header (readonly shell variables, CDK tokens
 * allowed) followed by the bootstrap body in broker-bootstrap.sh, a real shell file that
 * test/lib checks with shellcheck after rendering.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './package-root';
import { WAL_MOUNT_OPTIONS, WAL_MOUNT_POINT } from './nfs';

/**
 * The uid the broker container runs as: the `node` user of the official Node.js image
 * (`USER node` in the Dockerfile). The bootstrap gives it the WAL volume's root.
 */
export const BROKER_CONTAINER_UID = 1000;

export interface BrokerUserDataOptions {
  readonly region: string;
  readonly nfsDnsName: string;
  readonly junctionPath: string;
  readonly imageUri: string;
  /** The registry host to `docker login` to (private ECR); '' when the image needs no login. */
  readonly ecrRegistry: string;
  readonly kafkaPort: number;
  readonly clusterId: string;
  readonly objectStoreUrl: string;
  readonly lifecycleHookName: string;
  readonly logGroupName: string;
  /** The secret holding the broker's TLS certificate and key; '' for a plaintext listener. */
  readonly tlsSecretArn: string;
  /** PEM of the CAs whose certificates clients must present (mutual TLS); '' when none. */
  readonly clientCaPem: string;
  /** The secret holding the SASL users file; '' without SASL. */
  readonly saslUsersSecretArn: string;
  /** The Prometheus metrics port; undefined: no metrics endpoint. */
  readonly metricsPort: number | undefined;
}

/** The bootstrap body's path inside the package. */
export const BOOTSTRAP_SCRIPT_PATH = path.join('lib', 'private', 'broker-bootstrap.sh');

export function renderBrokerUserData(options: BrokerUserDataOptions): string {
  const settings: Record<string, string> = {
    AWS_REGION_NAME: options.region,
    WAL_NFS_HOST: options.nfsDnsName,
    WAL_JUNCTION_PATH: options.junctionPath,
    WAL_MOUNT_POINT,
    WAL_MOUNT_OPTIONS,
    BROKER_UID: String(BROKER_CONTAINER_UID),
    BROKER_IMAGE: options.imageUri,
    ECR_REGISTRY: options.ecrRegistry,
    KAFKA_PORT: String(options.kafkaPort),
    CLUSTER_ID: options.clusterId,
    OBJECT_STORE_URL: options.objectStoreUrl,
    LIFECYCLE_HOOK_NAME: options.lifecycleHookName,
    LOG_GROUP_NAME: options.logGroupName,
    TLS_SECRET_ARN: options.tlsSecretArn,
    CLIENT_CA_PEM: options.clientCaPem,
    SASL_USERS_SECRET_ARN: options.saslUsersSecretArn,
    METRICS_PORT: options.metricsPort === undefined ? '' : String(options.metricsPort),
  };
  const body = fs.readFileSync(path.join(packageRoot(), BOOTSTRAP_SCRIPT_PATH), 'utf8');
  return [
    '#!/bin/bash',
    '# diskless-kafka broker host bootstrap, rendered by BrokerFleet (lib/private/broker-bootstrap.sh).',
    'set -euo pipefail',
    ...Object.entries(settings).map(([name, value]) => `readonly ${name}=${shellQuote(value)}`),
    '',
    body,
  ].join('\n');
}

/** Single-quotes a value for the shell. Tokens resolve to ARNs, ids and names: no quotes in them. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
