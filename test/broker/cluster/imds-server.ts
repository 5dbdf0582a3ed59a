/**
 * A stand-in for the EC2 instance metadata service on a loopback port, speaking IMDSv2: a token
 * from PUT /latest/api/token, required on every GET (401 without it or after `expireTokens`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class ImdsServer {
  /** Items under /latest/meta-data/; absent ones answer 404. */
  readonly items = new Map<string, string>();
  requests: string[] = [];
  private tokens = new Set<string>();
  private counter = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.requests.push(`${request.method} ${request.url}`);
      if (request.method === 'PUT' && request.url === '/latest/api/token') {
        if (request.headers['x-aws-ec2-metadata-token-ttl-seconds'] === undefined) {
          response.writeHead(400).end();
          return;
        }
        const token = `token-${++this.counter}`;
        this.tokens.add(token);
        response.writeHead(200).end(token);
        return;
      }
      if (request.method !== 'GET' || !this.tokens.has(String(request.headers['x-aws-ec2-metadata-token']))) {
        response.writeHead(401).end();
        return;
      }
      const item = this.items.get((request.url ?? '').replace('/latest/meta-data/', ''));
      if (item === undefined) response.writeHead(404).end();
      else response.writeHead(200).end(item);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  expireTokens(): void {
    this.tokens = new Set();
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
