/**
 * One client connection: frames in, handler calls, responses out in request order.
 *
 * - Pipelining: each request is dispatched as soon as it is read, without waiting for earlier
 *   ones; responses are written strictly in request order, a later response waiting for earlier
 *   ones. A produce with acks=0 keeps its place in the queue but writes nothing.
 * - Inbound backpressure: at most `maxInFlightRequests` requests (and about `maxRequestBytes` of
 *   them) are in flight; beyond that the connection stops reading frames, the frame decoder stops
 *   reading the socket, and TCP pushes back on the client. The same happens while responses wait
 *   for 'drain' (a client that does not read its responses stops being read).
 * - Bad input (a frame above the maximum size, a truncated frame, a request that does not parse,
 *   an unknown API) closes this connection only, with one log line saying why.
 * - finish() is the graceful end used when the broker stops: read nothing more, answer what is in
 *   flight, then close.
 * - Produce requests are read into memory the storage offers (its log cache), held until their
 *   handler is done: every frame read is released exactly once, whatever becomes of the
 *   connection. The socket reads the rest of such a frame straight into that memory once its
 *   header is in (direct-reads.ts); where the socket cannot be moved to such reads, it is piped
 *   into the decoder, which copies its chunks.
 * - SASL (when the broker has users): until the client has authenticated, only ApiVersions,
 *   SaslHandshake and SaslAuthenticate are served, and any other request closes the connection,
 *   as in Kafka. After a v0 SaslHandshake, the next frames are the exchange's bare tokens.
 */
import type { Socket } from 'node:net';
import { CloseConnectionError, NO_RESPONSE, type BrokerServices, type ClientSession, type RequestContext } from '../api/api';
import type { ApiRegistry } from '../api/registry';
import { ApiKey } from '../protocol/api-keys';
import type { Logger } from '../log';
import { FrameDecoder, FrameError } from '../protocol/framing';
import { adoptWithDirectReads } from './direct-reads';
import { MalformedDataError } from '../protocol/primitives';
import { encodeResponse, encodeUnsupportedApiVersions, parseRequest, type ParsedRequest, type RequestHeaderFields, UnsupportedRequestError } from './requests';

export interface ConnectionOptions {
  readonly registry: ApiRegistry;
  readonly services: BrokerServices;
  readonly log: Logger;
  readonly maxRequestBytes: number;
  readonly maxInFlightRequests: number;
  /** Read produce requests straight into their frames (direct-reads.ts) when the socket allows it. @default true */
  readonly readIntoFrames?: boolean;
  /** Requests dispatched, by API name (the metrics' request counters), shared by the server's connections. */
  readonly requestsByApi?: Map<string, number>;
}

export interface ReadStatistics {
  readonly bytesReceived: number;
  readonly bytesReadIntoFrames: number;
}

/** How long a connection closed after its last response may take to send it. */
const CLOSE_AFTER_WRITES_MS = 5_000;

/** What a socket reads at a time into a buffer of its own (Node.js's own size). */
const READ_CHUNK_BYTES = 64 * 1024;

/** A request whose response has not been written yet. */
interface Slot {
  readonly frameBytes: number;
  /** Undefined while the handler runs; empty for requests without a response. */
  response?: Buffer[];
  /** Close the connection once this response is written, for this reason. */
  closeAfter?: string;
}

/** The requests a client may send before it has authenticated, when SASL is on. */
const BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class Connection {
  readonly remote: string;
  /** The peer as Kafka reports a group member's host ("/127.0.0.1"). */
  private readonly clientHost: string;
  /** Resolves once the socket is closed, whatever the reason. */
  readonly closed: Promise<void>;
  private readonly log: Logger;
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private finishing = false;
  private isClosed = false;
  /** Aborted when answers are no longer awaited or the broker stops: held requests answer now. */
  private readonly abort = new AbortController();
  private readonly releaseFrame: (frame: Buffer) => void;
  /** Frames read into the storage's memory that onFrame has not taken yet. */
  private readonly undelivered = new Set<Buffer>();
  private readonly socket: Socket;
  /** Whether the socket reads into buffers the connection gives it (direct-reads.ts), not piped. */
  private readonly readsDirectly: boolean;
  /** The frame memory the pending read goes into, if it goes straight into a frame. */
  private readingInto: Buffer | undefined;
  /**
   * Where the socket reads when not into a frame, reused while the decoder keeps none of it: a
   * fresh 64 KiB per read is an ArrayBuffer of its own each time, and V8 counts them as external
   * memory, collecting its young generation for that pressure several times a second.
   */
  private readChunk: Buffer | undefined;
  private readonly session: ClientSession = {
    user: undefined,
    saslExchange: undefined,
    rawSaslTokens: false,
    authenticated: (user) => {
      const mechanism = this.session.saslExchange?.mechanism;
      Object.assign(this.session, { user, saslExchange: undefined, rawSaslTokens: false });
      this.log.info({ user, mechanism }, 'authenticated');
    },
  };

  constructor(
    accepted: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.remote = `${accepted.remoteAddress}:${accepted.remotePort}`;
    // An IPv4 peer of a dual-stack listener shows as ::ffff:a.b.c.d; Kafka shows the IPv4 address.
    this.clientHost = `/${(accepted.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')}`;
    this.log = options.log.child({ component: 'connection', remote: this.remote });
    const memory = options.services.storage.produceRequestMemory;
    this.releaseFrame = memory ? (frame) => memory.release(frame) : () => {};
    this.decoder = new FrameDecoder(options.maxRequestBytes, (bytes, apiKey) => {
      const frame = apiKey === (ApiKey.Produce as number) ? memory?.allocate(bytes) : undefined;
      if (frame) this.undelivered.add(frame);
      return frame;
    });
    const adopted =
      options.readIntoFrames === false
        ? undefined
        : adoptWithDirectReads(accepted, { buffer: () => this.nextReadBuffer(), callback: (bytes, buffer) => this.onRead(bytes, buffer) }, true);
    this.readsDirectly = adopted !== undefined;
    this.socket = adopted ?? accepted;
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.once('close', () => {
      this.isClosed = true;
      this.abort.abort();
      // Frames the decoder still buffers will never be handled (a failed decoder drops them).
      for (const frame of this.undelivered) this.releaseFrame(frame);
      this.undelivered.clear();
      this.log.debug('connection closed');
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      // A peer that resets before sending anything (a load balancer's TCP health check, a port
      // scan) is routine: at info level it would be a line every few seconds per load balancer node.
      const routine = error.code === 'ECONNRESET' && this.decoder.bytesReceived === 0;
      this.close(`socket error: ${error.code ?? error.message}`, routine ? 'debug' : 'info');
    });
    this.decoder.on('error', (error) => this.onDecoderError(error));
    this.decoder.on('data', (frame: Buffer) => this.onFrame(frame));
    // The client has sent everything it will (half-close): answer what is in flight, then close.
    this.decoder.on('end', () => void this.finish());
    if (this.readsDirectly) this.socket.on('end', () => this.decoder.end());
    else this.socket.pipe(this.decoder);
    // The server accepts sockets paused; reading starts once the connection is ready for it.
    this.socket.resume();
    this.log.debug('connection opened');
  }

  /** Where the socket reads next: the rest of a produce request's frame if one is being read, else a chunk of its own. */
  private nextReadBuffer(): Buffer {
    this.readingInto = this.finishing || this.isClosed ? undefined : this.decoder.readTarget();
    if (this.readingInto) return this.readingInto;
    this.readChunk ??= Buffer.allocUnsafe(READ_CHUNK_BYTES);
    return this.readChunk;
  }

  private onRead(bytes: number, buffer: Buffer): void {
    // Once finishing, what the client still sends is dropped; reading goes on until its FIN.
    if (this.finishing || this.isClosed || this.decoder.destroyed) return;
    if (buffer === this.readingInto) {
      this.decoder.filledTarget(bytes);
      return;
    }
    this.decoder.write(buffer.subarray(0, bytes));
    // Frames are copied out whole; bytes of one still arriving stay in the decoder as views.
    if (this.decoder.holdsReceivedBytes()) this.readChunk = undefined;
  }

  /** Bytes this connection has received, and how many of them the socket read straight into frames. */
  get readStatistics(): ReadStatistics {
    return { bytesReceived: this.decoder.bytesReceived, bytesReadIntoFrames: this.decoder.bytesReadIntoFrames };
  }

  /** Stops reading, lets in-flight requests finish and their responses be written, then closes. */
  finish(): Promise<void> {
    if (!this.finishing) {
      this.finishing = true;
      if (!this.readsDirectly) this.socket.unpipe(this.decoder);
      this.decoder.pause();
      // Keep reading (and dropping) what the client still sends, so its FIN is seen and 'close'
      // comes; a paused socket never ends (librdkafka keeps sending, and the stop waited 30 s).
      this.socket.resume();
      this.abort.abort();
      this.endIfIdle();
    }
    return this.closed;
  }

  /** Closes at once, dropping in-flight requests. */
  close(reason: string, level: 'debug' | 'info' | 'warn' | 'error' = 'warn'): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.log[level]({ reason }, 'closing connection');
    this.abort.abort();
    this.socket.destroy();
  }

  /** Closes once what was written has been sent (the client reads why it is being closed). */
  private closeAfterWrites(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.log.info({ reason }, 'closing connection');
    this.abort.abort();
    this.socket.end();
    // A client that never reads would keep the socket open: give it a moment, then cut it.
    setTimeout(() => this.socket.destroy(), CLOSE_AFTER_WRITES_MS).unref();
  }

  private onDecoderError(error: Error): void {
    if (error instanceof FrameError) this.close(error.message);
    else this.close(`reading frames failed: ${error.message}`, 'error');
  }

  private onFrame(frame: Buffer): void {
    // From here the frame is this request's to release (a closed connection released it already).
    if (!this.undelivered.delete(frame) && this.isClosed) return;
    if (this.finishing || this.isClosed) {
      this.releaseFrame(frame);
      return;
    }
    if (this.session.rawSaslTokens) {
      this.onRawSaslToken(frame);
      return;
    }
    let request: ParsedRequest;
    try {
      request = parseRequest(frame, this.options.registry);
    } catch (error) {
      this.releaseFrame(frame);
      if (error instanceof MalformedDataError) this.close(`malformed request: ${error.message}`);
      else if (error instanceof UnsupportedRequestError) this.close(error.message);
      else this.close(`parsing a request failed: ${String(error)}`, 'error');
      return;
    }
    const slot = this.enqueue(frame);
    if (request.kind === 'unsupported-api-versions') {
      this.log.info({ version: request.header.apiVersion }, 'ApiVersions of an unsupported version: answering with v0');
      this.releaseFrame(frame);
      this.complete(slot, encodeUnsupportedApiVersions(request.api, request.header.correlationId, this.options.registry));
      return;
    }
    this.dispatch(request, slot, () => this.releaseFrame(frame));
  }

  /**
   * One token of a SASL exchange started by a v0 SaslHandshake: no request header, and the reply
   * is the bare token, size-prefixed. A failure closes the connection without a reply, as in Kafka.
   */
  private onRawSaslToken(frame: Buffer): void {
    const exchange = this.session.saslExchange!;
    const token = Buffer.from(frame);
    this.releaseFrame(frame);
    const slot = this.enqueue(frame);
    exchange.step(token).then(({ reply, user }) => {
      if (user !== undefined) this.session.authenticated(user);
      const size = Buffer.alloc(4);
      size.writeInt32BE(reply.length);
      this.complete(slot, [size, reply]);
    }, (error: unknown) => this.close(`SASL authentication failed (${exchange.mechanism}): ${error instanceof Error ? error.message : String(error)}`));
  }

  /** Gives the frame its place in the response order, counted against the in-flight bounds. */
  private enqueue(frame: Buffer): Slot {
    const slot: Slot = { frameBytes: frame.length };
    this.queue.push(slot);
    this.queuedBytes += frame.length;
    this.applyBackpressure();
    return slot;
  }

  /** Calls the handler; `done` once it has settled (its request's frame is then no longer read). */
  private dispatch(request: Extract<ParsedRequest, { kind: 'call' }>, slot: Slot, done: () => void): void {
    const { api, header, body } = request;
    const counts = this.options.requestsByApi;
    counts?.set(api.name, (counts.get(api.name) ?? 0) + 1);
    if (this.options.services.sasl !== undefined && this.session.user === undefined && !BEFORE_AUTHENTICATION.has(api.key)) {
      done();
      this.close(`${api.name} request before SASL authentication`);
      return;
    }
    const closeAfterResponse = (reason: string): void => {
      slot.closeAfter = reason;
    };
    const context = new CallContext(api.name, header, this.clientHost, this.options.services, this.log, this.abort.signal, this.session, closeAfterResponse);
    const onFailure = (error: unknown): void => {
      if (error instanceof CloseConnectionError) this.close(error.message);
      else {
        context.log.error({ err: error }, 'handler failed');
        this.close(`${api.name} handler failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    };
    let result;
    try {
      // Called synchronously, in arrival order: see the ordering contract in api/api.ts.
      result = api.handle(body, context);
    } catch (error) {
      done();
      onFailure(error);
      return;
    }
    Promise.resolve(result).then((answer) => {
      done();
      if (this.isClosed) return;
      try {
        const response =
          answer === NO_RESPONSE ? [] : encodeResponse(api, header.apiVersion, header.correlationId, answer);
        this.complete(slot, response);
      } catch (error) {
        onFailure(error);
      }
    }, (error: unknown) => {
      done();
      onFailure(error);
    });
  }

  private complete(slot: Slot, response: Buffer[]): void {
    slot.response = response;
    this.writeReadyResponses();
  }

  /** Writes the responses at the head of the queue that are ready, in order; honours 'drain'. */
  private writeReadyResponses(): void {
    if (this.isClosed) return;
    while (!this.waitingForDrain && this.queue.length > 0 && this.queue[0].response !== undefined) {
      const slot = this.queue.shift()!;
      this.queuedBytes -= slot.frameBytes;
      let flowing = true;
      if (slot.response!.length > 0) {
        this.socket.cork();
        for (const chunk of slot.response!) flowing = this.socket.write(chunk);
        this.socket.uncork();
      }
      if (slot.closeAfter !== undefined) {
        this.closeAfterWrites(slot.closeAfter);
        return;
      }
      if (!flowing) {
        this.waitingForDrain = true;
        this.socket.once('drain', () => {
          this.waitingForDrain = false;
          this.writeReadyResponses();
        });
      }
    }
    this.applyBackpressure();
    this.endIfIdle();
  }

  /** Pauses reading while too much is in flight or responses wait for 'drain'; resumes after. */
  private applyBackpressure(): void {
    if (this.finishing || this.isClosed) return;
    const busy =
      this.waitingForDrain ||
      this.queue.length >= this.options.maxInFlightRequests ||
      this.queuedBytes >= this.options.maxRequestBytes;
    // Piped, a paused decoder stops the socket's reads; read directly, the socket is paused too.
    if (busy && !this.decoder.isPaused()) {
      this.decoder.pause();
      if (this.readsDirectly) this.socket.pause();
    } else if (!busy && this.decoder.isPaused()) {
      this.decoder.resume();
      if (this.readsDirectly) this.socket.resume();
    }
  }

  private endIfIdle(): void {
    if (this.finishing && !this.isClosed && this.queue.length === 0 && !this.waitingForDrain) this.socket.end();
  }
}

/**
 * A request's RequestContext. A class, not an object literal: a literal with a getter (the lazy
 * log) costs V8 a fresh accessor pair and hidden class each time, allocated where only a full
 * collection frees them. At a thousand requests a second that was most of what the broker's
 * young-generation collections promoted, tripling their pauses and running a full collection
 * every few seconds (docs/performance.md).
 */
class CallContext implements RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  private requestLog: Logger | undefined;

  constructor(
    private readonly apiName: string,
    header: RequestHeaderFields,
    readonly clientHost: string,
    readonly services: BrokerServices,
    private readonly connectionLog: Logger,
    readonly signal: AbortSignal,
    readonly session: ClientSession,
    readonly closeAfterResponse: (reason: string) => void,
  ) {
    this.apiVersion = header.apiVersion;
    this.correlationId = header.correlationId;
    this.clientId = header.clientId;
  }

  get log(): Logger {
    this.requestLog ??= this.connectionLog.child({ api: this.apiName, version: this.apiVersion, correlationId: this.correlationId, clientId: this.clientId });
    return this.requestLog;
  }
}
