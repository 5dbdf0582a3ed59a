/**
 * What an API handler is and what it gets to work with. See registry.ts for how to add one.
 *
 * A handler is a function of the decoded request and a RequestContext; it returns the response
 * body (or NO_RESPONSE) and never touches sockets, frames or headers. It reaches the rest of the
 * broker only through `context.services`: the storage interface, the cluster view and the broker
 * settings.
 *
 * Ordering contract: the connection calls handlers in arrival order, without waiting for earlier
 * ones to finish (pipelining), and writes responses in arrival order. A handler that writes must
 * issue its storage calls synchronously, before its first `await`, so that pipelined produce
 * requests reach storage in the order the client sent them.
 */
import type { SaslExchange } from '../auth/sasl';
import type { SaslUsers } from '../auth/sasl-users';
import type { ClusterView } from '../cluster/cluster-view';
import type { GroupCoordinator } from '../coordinator/coordinator';
import type { Logger } from '../log';
import type { ApiKey } from '../protocol/api-keys';
import type { DecodedStruct, EncodableStruct, Fields, MessageSchema } from '../protocol/schema';
import type { Storage } from '../storage/storage';

/** Broker-wide settings handlers need (from the configuration). */
export interface BrokerSettings {
  /** Largest record batch a produce may carry, unless the topic sets max.message.bytes. */
  readonly messageMaxBytes: number;
  readonly maxRequestBytes: number;
  readonly defaultPartitions: number;
  readonly autoCreateTopics: boolean;
}

/** The supported version range of one API, as ApiVersions reports it. */
export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** The part of the registry handlers may see (ApiVersions lists it). */
export interface ApiCatalog {
  versionRanges(): readonly ApiVersionRange[];
}

/** Everything a handler may use. Groups add their coordinator here. */
export interface BrokerServices {
  readonly storage: Storage;
  readonly cluster: ClusterView;
  readonly settings: BrokerSettings;
  readonly apis: ApiCatalog;
  /**
   * The group coordinator (broker/coordinator). Optional so that tests of other APIs can run a
   * server without one; the group APIs then answer COORDINATOR_NOT_AVAILABLE.
   */
  readonly groups?: GroupCoordinator;
  /**
   * The users SASL authenticates against (--sasl-users-file). When set, every connection must
   * authenticate before any request but ApiVersions, SaslHandshake and SaslAuthenticate.
   */
  readonly sasl?: SaslUsers;
}

/** What a connection knows about its client from one request to the next: who it is. */
export interface ClientSession {
  /** The user the client authenticated as with SASL; undefined until then, and without SASL. */
  user: string | undefined;
  /** The authentication under way, from a successful SaslHandshake until it succeeds or fails. */
  saslExchange: SaslExchange | undefined;
  /**
   * After a v0 SaslHandshake the client sends the exchange's tokens as bare size-prefixed frames,
   * not in SaslAuthenticate requests (the connection then reads them as such).
   */
  rawSaslTokens: boolean;
  /** The exchange succeeded: from now on the connection serves `user` (and logs so). */
  authenticated(user: string): void;
}

export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The peer's address as Kafka reports a group member's host: "/" and the IP ("/127.0.0.1"). */
  readonly clientHost: string;
  readonly services: BrokerServices;
  /** Bound to the connection and the request (api, version, correlation id). */
  readonly log: Logger;
  /**
   * Aborted when nobody waits for the answer any more (the connection closed) or the broker is
   * stopping; a handler holding the request (a long-polling fetch) then answers at once.
   */
  readonly signal: AbortSignal;
  /** The connection's session (SASL authentication). */
  readonly session: ClientSession;
  /** Answer this request, then close the connection (as Kafka does after a failed authentication). */
  closeAfterResponse(reason: string): void;
}

/** Returned by a handler for requests Kafka does not answer (produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

/**
 * Thrown by a handler when Kafka would close the connection instead of answering (e.g. a failed
 * produce with acks=0, whose client would otherwise never learn about the failure).
 */
export class CloseConnectionError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CloseConnectionError';
  }
}

type HandlerResult<Res extends Fields> = EncodableStruct<Res> | NoResponse;

export interface ApiDescription<Req extends Fields, Res extends Fields> {
  readonly key: ApiKey;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageSchema<Req>;
  readonly response: MessageSchema<Res>;
  handle(request: DecodedStruct<Req>, context: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

/** An API as the registry and the connection see it (message types erased). */
export interface ApiDefinition {
  readonly key: ApiKey;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
  handle(request: DecodedStruct<Fields>, context: RequestContext): HandlerResult<Fields> | Promise<HandlerResult<Fields>>;
}

/**
 * Declares an API: its key, supported versions, message schemas and handler. Checks that the
 * schemas describe every supported version, so a typo fails at startup, not on a client's request.
 */
export function defineApi<Req extends Fields, Res extends Fields>(description: ApiDescription<Req, Res>): ApiDefinition {
  const { name, minVersion, maxVersion, request, response } = description;
  const key: number = description.key;
  for (const schema of [request, response]) {
    if (schema.apiKey !== key) throw new Error(`${name}: schema ${schema.name} is for API key ${schema.apiKey}, not ${key}`);
    if (!schema.validVersions.includes(minVersion) || !schema.validVersions.includes(maxVersion)) {
      throw new Error(
        `${name}: versions ${minVersion}-${maxVersion} are not all described by ${schema.name} (${schema.validVersions.toString()})`,
      );
    }
  }
  if (minVersion > maxVersion) throw new Error(`${name}: minVersion ${minVersion} is above maxVersion ${maxVersion}`);
  return description;
}
