/**
 * A minimal EC2 instance metadata client, IMDSv2 only: a session token from
 * `PUT /latest/api/token` (header X-aws-ec2-metadata-token-ttl-seconds), then GETs with the
 * X-aws-ec2-metadata-token header. A 401 means the token expired: fetch a new one and retry once.
 * A 404 means the item does not exist (e.g. no Spot interruption is scheduled).
 *
 * Every request has a short timeout: off EC2 the address does not answer, and a broker must find
 * that out quickly.
 */

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
const TOKEN_TTL_SECONDS = 21_600;

export interface InstanceMetadataOptions {
  /** @default http://169.254.169.254 */
  readonly endpoint?: string;
  /** Per request. @default 1000 */
  readonly timeoutMs?: number;
}

export class InstanceMetadataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InstanceMetadataError';
  }
}

export class InstanceMetadataClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private token: string | undefined;

  constructor(options: InstanceMetadataOptions = {}) {
    this.endpoint = (options.endpoint ?? DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 1_000;
  }

  /** The item under /latest/meta-data/, or undefined when it does not exist (404). */
  async get(item: string): Promise<string | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = this.token ?? (await this.fetchToken());
      const response = await this.request('GET', `/latest/meta-data/${item}`, { 'X-aws-ec2-metadata-token': token });
      if (response.status === 401) {
        this.token = undefined;
        continue;
      }
      if (response.status === 404) return undefined;
      if (response.status !== 200) {
        throw new InstanceMetadataError(`instance metadata ${item}: HTTP ${response.status}`);
      }
      return response.text();
    }
    throw new InstanceMetadataError(`instance metadata ${item}: the token was refused twice`);
  }

  private async fetchToken(): Promise<string> {
    const response = await this.request('PUT', '/latest/api/token', {
      'X-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS),
    });
    if (response.status !== 200) {
      throw new InstanceMetadataError(`instance metadata token: HTTP ${response.status} (IMDSv2 required)`);
    }
    this.token = await response.text();
    return this.token;
  }

  private async request(method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(`${this.endpoint}${path}`, { method, headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new InstanceMetadataError(`instance metadata ${method} ${path} at ${this.endpoint} failed`, { cause: error });
    }
  }
}
