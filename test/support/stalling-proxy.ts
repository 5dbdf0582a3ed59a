/**
 * A TCP proxy that can make the server behind it stall, for tests of an object store that stops
 * answering and comes back: `stall()` drops the open connections (requests in flight fail, and
 * clients retry) and holds every new connection without answering; `resume()` connects the held
 * connections to the server and forwards everything again.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface StallingProxy {
  readonly port: number;
  readonly endpoint: string;
  /** Connections waiting for resume(). */
  readonly held: number;
  stall(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startStallingProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<StallingProxy> {
  const open = new Set<Socket>();
  let heldSockets: Socket[] = [];
  let stalled = false;

  const forward = (client: Socket): void => {
    const upstream = connect({ port: targetPort, host: targetHost });
    open.add(upstream);
    upstream.once('close', () => open.delete(upstream));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
    client.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    if (stalled) heldSockets.push(client);
    else forward(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    get held() {
      return heldSockets.length;
    },
    stall() {
      stalled = true;
      for (const socket of open) socket.destroy();
    },
    resume() {
      stalled = false;
      const waiting = heldSockets;
      heldSockets = [];
      for (const client of waiting) if (!client.destroyed) forward(client);
    },
    async stop() {
      for (const socket of open) socket.destroy();
      for (const socket of heldSockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
