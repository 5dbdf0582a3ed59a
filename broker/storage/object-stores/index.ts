/**
 * Opens the object store named by a URL: `file:///abs/path` (local directory) or
 * `s3://bucket[/prefix]` (S3, or an S3-compatible server given `endpoint`).
 */
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '../object-store';
import { FileObjectStore } from './file-object-store';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';

export { FileObjectStore } from './file-object-store';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';

export interface OpenObjectStoreOptions {
  /** S3-compatible endpoint for `s3://` URLs. */
  readonly s3Endpoint?: string;
  readonly region?: string;
  readonly credentials?: S3ObjectStoreOptions['credentials'];
  /** Send large unconditional PUTs from a worker thread. @default true */
  readonly s3PutThread?: boolean;
}

export function openObjectStore(url: string, options: OpenObjectStoreOptions = {}): ObjectStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`invalid object store URL ${JSON.stringify(url)}: use file:///abs/path or s3://bucket/prefix`);
  }
  if (parsed.protocol === 'file:') {
    if (parsed.host !== '') {
      throw new Error(`invalid object store URL ${JSON.stringify(url)}: file URLs need an absolute path (file:///abs/path)`);
    }
    return new FileObjectStore(fileURLToPath(parsed).replace(/\/+$/, '') || '/');
  }
  if (parsed.protocol === 's3:') {
    if (parsed.hostname.length < 3) {
      throw new Error(`invalid object store URL ${JSON.stringify(url)}: the bucket name needs at least 3 characters`);
    }
    return new S3ObjectStore({
      bucket: parsed.hostname,
      prefix: decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, ''),
      endpoint: options.s3Endpoint,
      region: options.region,
      credentials: options.credentials,
      putThread: options.s3PutThread,
    });
  }
  throw new Error(`unsupported object store URL ${JSON.stringify(url)}: the scheme must be file: or s3:`);
}
