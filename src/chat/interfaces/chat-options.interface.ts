import type {
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { RedisTransportOptions } from '../transports/redis.transport.js';
import type { ChatTransport } from './chat-transport.interface.js';

/** Who a handshake belongs to, as decided by {@link Authenticator}. */
export interface ChatPrincipal {
  /** The user id the connection is registered under. */
  user: string;
  /** When the credentials stop being valid, in epoch milliseconds (e.g. a JWT's `exp`). */
  expiresAt?: number;
}

/** What an authenticator returns: a user id, a principal, or nothing to refuse the handshake. */
export type AuthenticationResult = string | ChatPrincipal | null | undefined;

/**
 * Decides who an upgrade request belongs to, before any WebSocket is opened. Returning `null` or
 * `undefined` refuses the handshake with HTTP 401. A throw (or rejection) answers HTTP 500 and is
 * logged, because it means the authenticator itself is broken.
 */
export type Authenticator = (
  request: IncomingMessage,
) => AuthenticationResult | Promise<AuthenticationResult>;

/** What happens to a message for a connection whose unsent data is above the high-water mark. */
export type BackpressurePolicy = 'drop' | 'disconnect';

export interface HeartbeatOptions {
  /**
   * How often the server pings every connection (one timer for all of them).
   * @default 25000
   */
  intervalMs?: number;
  /**
   * A connection that sent no frame and no pong for this long is terminated and unregistered.
   * Must be larger than `intervalMs`.
   * @default 60000
   */
  timeoutMs?: number;
}

export interface BackpressureOptions {
  /**
   * Bytes a single connection may have queued and unsent before the policy applies.
   * @default 1048576 (1 MiB)
   */
  highWaterMarkBytes?: number;
  /**
   * `'drop'` skips the message for that connection and counts it; `'disconnect'` closes the
   * connection with 4008 (slow consumer).
   * @default 'drop'
   */
  policy?: BackpressurePolicy;
}

/** Options of `ChatModule.forRoot()`. */
export interface ChatModuleOptions {
  /**
   * Identifies the user of an upgrade request. Use `jwtAuthenticator()` in production;
   * `queryUserAuthenticator()` trusts `?user=` and is for local development only.
   */
  authenticate: Authenticator;
  /**
   * URL path of the WebSocket endpoint on the application's HTTP server.
   * @default '/ws'
   */
  path?: string;
  /**
   * `'single'`: a new connection replaces the user's previous one, which is closed with 4000.
   * A number N lets N connections (devices) live at once; the oldest is closed with 4000 when
   * the N+1th arrives.
   * @default 'single'
   */
  connectionsPerUser?: 'single' | number;
  /** Server-side liveness checks. */
  heartbeat?: HeartbeatOptions;
  /** Bounds on what the server buffers for a connection that reads slowly. */
  backpressure?: BackpressureOptions;
  /**
   * Largest inbound frame accepted; a larger one closes the connection with 1009.
   * @default 65536
   */
  maxPayloadBytes?: number;
  /**
   * On shutdown, how long to wait for clients to acknowledge the 1001 close (and receive what
   * was queued before it) before their sockets are destroyed.
   * @default 5000
   */
  shutdownGraceMs?: number;
  /**
   * Runs the gateway as a cluster of processes on Redis: sends reach users on any node, and
   * `connectionsPerUser` holds across the cluster. Without it (and without `transport`) the
   * gateway serves one process.
   */
  redis?: RedisTransportOptions;
  /**
   * A transport of your own (or a `MemoryTransport` sharing a `MemoryBroker` with other modules in
   * this process). Mutually exclusive with `redis`.
   * @default new MemoryTransport()
   */
  transport?: ChatTransport;
  /**
   * A readable name for this process in logs and connection ids (letters, digits, `_ . : -`). A
   * random suffix is added, so a restarted process never inherits its predecessor's presence.
   * @default os.hostname()
   */
  nodeId?: string;
  /**
   * How long a send waits for the other nodes that hold recipients to answer; past it, the send
   * resolves with what it has and `incomplete: 'node_unreachable'`.
   * @default 3000
   */
  clusterTimeoutMs?: number;
}

/** A class that produces the options, for `forRootAsync({ useClass })`. */
export interface ChatOptionsFactory {
  createChatOptions(): ChatModuleOptions | Promise<ChatModuleOptions>;
}

/** Options of `ChatModule.forRootAsync()`; give exactly one of the `use*` fields. */
export interface ChatModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => ChatModuleOptions | Promise<ChatModuleOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useClass?: Type<ChatOptionsFactory>;
  useExisting?: Type<ChatOptionsFactory>;
}
