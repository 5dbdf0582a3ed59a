/**
 * The TCP server: accepts connections, tracks them, and stops gracefully.
 *
 * listen() binds first and serve() starts answering, so that the entry point can learn the real
 * port (with --port 0) before it builds the cluster view that advertises it; connections accepted
 * in between wait, paused, until serve().
 *
 * stop(): stop accepting, let every connection finish its in-flight requests (held fetches are
 * cut short), close them; connections still open after the grace period are destroyed. The caller
 * closes storage afterwards.
 *
 * TLS (optional): each accepted socket is wrapped in a server-side TLSSocket, which with a client
 * CA also requires a client certificate it signed. Such a connection reads through the TLS stream,
 * not straight into frames (that needs the raw socket); a failed handshake is a socket error and
 * closes that connection only.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContextOptions, type TLSSocketOptions } from 'node:tls';
import type { BrokerServices } from '../api/api';
import type { ApiRegistry } from '../api/registry';
import type { Logger } from '../log';
import { Connection, type ReadStatistics } from './connection';

export interface KafkaServerOptions {
  readonly registry: ApiRegistry;
  readonly log: Logger;
  readonly maxRequestBytes: number;
  /** Requests read ahead on one connection before it stops reading (pipelining depth). */
  readonly maxInFlightRequests?: number;
  /** Read produce requests straight into their frames where the socket allows it (ConnectionOptions). @default true */
  readonly readIntoFrames?: boolean;
  /** Certificate and key (PEM): the listener speaks TLS. With `ca`, clients must present a certificate it signed. */
  readonly tls?: Pick<SecureContextOptions, 'cert' | 'key' | 'ca'>;
}

const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 64;
const DEFAULT_STOP_GRACE_MS = 30_000;

export class KafkaServer {
  private readonly server: Server;
  private readonly log: Logger;
  private readonly connections = new Set<Connection>();
  /** Sockets accepted before serve(). */
  private waiting: Socket[] = [];
  private services: BrokerServices | undefined;
  private stopping: Promise<void> | undefined;
  private bytesReceivedByClosed = 0;
  private bytesReadIntoFramesByClosed = 0;
  /** How accepted sockets are wrapped when the listener speaks TLS. */
  private readonly tlsSocketOptions: TLSSocketOptions | undefined;

  constructor(private readonly options: KafkaServerOptions) {
    this.log = options.log.child({ component: 'server' });
    // With a client CA, clients must present a certificate it signed (Kafka's ssl.client.auth=required).
    const clientAuth = options.tls?.ca !== undefined;
    this.tlsSocketOptions =
      options.tls === undefined
        ? undefined
        : { isServer: true, secureContext: createSecureContext(options.tls), requestCert: clientAuth, rejectUnauthorized: clientAuth };
    // allowHalfOpen: a client that shuts down its sending side still gets its answers.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server.on('error', (error) => this.log.error({ err: error }, 'server error'));
  }

  /** Binds the port (0 picks a free one) and returns the address actually bound. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Starts answering requests with these services. */
  serve(services: BrokerServices): void {
    this.services = services;
    const waiting = this.waiting;
    this.waiting = [];
    for (const socket of waiting) this.accept(socket);
  }

  /** Bytes received from clients so far, and how many the sockets read straight into frames. */
  get readStatistics(): ReadStatistics {
    let { bytesReceivedByClosed: bytesReceived, bytesReadIntoFramesByClosed: bytesReadIntoFrames } = this;
    for (const connection of this.connections) {
      const reads = connection.readStatistics;
      bytesReceived += reads.bytesReceived;
      bytesReadIntoFrames += reads.bytesReadIntoFrames;
    }
    return { bytesReceived, bytesReadIntoFrames };
  }

  /** Requests dispatched since the start, by API name. */
  readonly requestsByApi = new Map<string, number>();

  get connectionCount(): number {
    return this.connections.size;
  }

  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.stopping ??= this.stopGracefully(graceMs);
    return this.stopping;
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (!this.services) {
      this.waiting.push(socket);
      return;
    }
    const secure = this.tlsSocketOptions === undefined ? undefined : new TLSSocket(socket, this.tlsSocketOptions);
    const connection = new Connection(secure ?? socket, {
      registry: this.options.registry,
      services: this.services,
      log: this.options.log,
      maxRequestBytes: this.options.maxRequestBytes,
      maxInFlightRequests: this.options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT_REQUESTS,
      readIntoFrames: secure === undefined ? this.options.readIntoFrames : false,
      requestsByApi: this.requestsByApi,
    });
    this.connections.add(connection);
    void connection.closed.then(() => {
      this.connections.delete(connection);
      const reads = connection.readStatistics;
      this.bytesReceivedByClosed += reads.bytesReceived;
      this.bytesReadIntoFramesByClosed += reads.bytesReadIntoFrames;
    });
  }

  private async stopGracefully(graceMs: number): Promise<void> {
    const closedListener = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.waiting) socket.destroy();
    this.waiting = [];
    const open = [...this.connections];
    this.log.info({ connections: open.length }, 'stopping: finishing in-flight requests');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([Promise.all(open.map((connection) => connection.finish())), graceOver]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.close('still open after the stop grace period', 'warn');
    await closedListener;
    this.log.info(this.readStatistics, 'server stopped');
  }
}
