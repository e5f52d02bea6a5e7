import type { Authenticator } from '../auth/authenticator.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import type { RedisTransportOptions } from '../transports/redis/redis-options.js';

/**
 * permessage-deflate settings, passed to `ws` as they are (see its `PerMessageDeflateOptions`).
 * Declared here so that these declarations compile without `ws`'s types.
 */
export interface DeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
  /** Node `zlib` options for compression. */
  zlibDeflateOptions?: Record<string, unknown>;
  /** Node `zlib` options for decompression. */
  zlibInflateOptions?: Record<string, unknown>;
  /** Messages smaller than this many bytes are not compressed. */
  threshold?: number;
  /** Concurrent calls to zlib. */
  concurrencyLimit?: number;
}

/**
 * A prom-client `Registry`, typed loosely so that these declarations compile without prom-client
 * installed (it is an optional peer).
 */
export interface MetricsRegistry {
  registerMetric(metric: any): void;
  removeSingleMetric(name: string): void;
}

/** The `metrics` option in its object form. */
export interface MetricsOptions {
  /**
   * Prefix of every metric name.
   * @default 'chat_'
   */
  prefix?: string;
  /**
   * The prom-client registry to register in.
   * @default prom-client's global registry
   */
  registry?: MetricsRegistry;
}

/** How much of each stream the gateway keeps for clients that reconnect (`history`). */
export interface HistoryOptions {
  /**
   * Most pushes a stream keeps; a client that missed more gets `recovered: false`.
   * @default 100
   */
  size?: number;
  /**
   * Longest a push is kept, in milliseconds: the window within which a reconnect recovers.
   * @default 300000 (5 minutes)
   */
  ttlMs?: number;
}

/** How client requests (frames with an `id`) are kept, so that a retry does not run twice. */
export interface RequestOptions {
  /**
   * How long a request's answer is kept: the same `id` from the same user within it gets the
   * same answer without running the handler again, on any node.
   * @default 120000 (2 minutes)
   */
  idempotencyWindowMs?: number;
  /**
   * How long a retry of a request that is still running waits for its answer before it is told
   * `in_progress`.
   * @default 10000
   */
  retryWaitMs?: number;
}

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

/** The inbound rate limit of each connection: a token bucket over every frame, pings included. */
export interface RateLimitOptions {
  /**
   * Frames per second a connection may send, sustained.
   * @default 30
   */
  messagesPerSecond?: number;
  /**
   * Frames a connection may send at once above the sustained rate (and the number of frames
   * dropped in a row, after the `rate_limited` error frame, before the connection is closed
   * with 1008).
   * @default 60
   */
  burst?: number;
}

/** Limits checked before a handshake is upgraded; each answers with an HTTP status. */
export interface HandshakeLimitOptions {
  /**
   * Live connections plus handshakes in progress in this process; beyond it, HTTP 503.
   * @default unlimited
   */
  maxConnections?: number;
  /**
   * Live connections plus handshakes in progress per remote address; beyond it, HTTP 429. Behind
   * a proxy every client has the proxy's address, so leave it unset there.
   * @default unlimited
   */
  maxConnectionsPerAddress?: number;
  /**
   * New connections one user may open per minute, on top of the replace policy (which bounds how
   * many stay open, not how fast they churn); beyond it, HTTP 429 with `Retry-After`.
   * @default unlimited
   */
  userConnectsPerMinute?: number;
  /**
   * How long a new TCP connection may take to send its first complete request (slowloris on the
   * upgrade), and how long the authenticator may take (then HTTP 503).
   * @default 10000
   */
  handshakeTimeoutMs?: number;
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
  /**
   * Keeps each user's pushes in a stream with offsets, so that a client that reconnects with its
   * position (`?since=<offset>&epoch=<epoch>`) gets what it missed, exactly once and in order, and
   * pushes to an offline user wait for it within the window. `false` makes every push
   * at-most-once. In a cluster the streams live in Redis.
   * @default { size: 100, ttlMs: 300000 }
   */
  history?: HistoryOptions | false;
  /** Client requests: how long their answers are kept for retries. */
  requests?: RequestOptions;
  /**
   * Room presence events: when a user comes online anywhere or goes offline everywhere, each of
   * their rooms gets `{"event":"presence","room":…,"data":{"user","online"}}`.
   * @default false
   */
  roomPresence?: boolean;
  /** Bounds on what the server buffers for a connection that reads slowly. */
  backpressure?: BackpressureOptions;
  /**
   * Coalesce bursts: from the second frame a socket gets in one event-loop turn, its frames are
   * held and leave together in one write at the end of the turn, or once the first of them has
   * waited `maxHoldMs` (each socket's hold timed on its own). A burst then costs one system call
   * per socket per hold instead of one per message; a lone message is never held. A longer hold
   * batches more (more throughput in bursts) and delays more; `false` writes every frame at once. See docs/benchmarks.md.
   * @default true, which is `{ maxHoldMs: 5 }`
   */
  coalesceWrites?: boolean | { maxHoldMs?: number };
  /**
   * Largest inbound message accepted (after decompression); a larger one closes the connection
   * with 1009.
   * @default 65536
   */
  maxPayloadBytes?: number;
  /**
   * Browser origins allowed to open a WebSocket: a list of origins (`'*'` for any) or a function.
   * Any other Origin is refused with HTTP 403 before the upgrade (cross-site WebSocket hijacking).
   * @default the page's own origin only (Origin host equals the Host header)
   */
  allowedOrigins?: string[] | ((origin: string) => boolean);
  /**
   * Refuse handshakes without an Origin header (non-browser clients) with HTTP 403.
   * @default false
   */
  requireOrigin?: boolean;
  /** Inbound rate limit per connection; `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  /** Handshake limits. */
  limits?: HandshakeLimitOptions;
  /**
   * permessage-deflate compression (`true`, or `ws` options). Off by default: it costs memory per
   * connection and CPU per message. When on, `maxPayloadBytes` bounds the decompressed size, so
   * a zip bomb is cut off at the limit.
   * @default false
   */
  perMessageDeflate?: boolean | DeflateOptions;
  /**
   * Close a connection with 4001 once its credentials expire (a JWT's `exp`), checked on every
   * frame and at every heartbeat sweep.
   * @default false
   */
  closeOnTokenExpiry?: boolean;
  /**
   * Prometheus metrics through prom-client: `true` for the defaults, or a metric name prefix and
   * the registry to register in (see README for the list).
   * @default false; with `true`: prefix 'chat_', prom-client's global registry
   */
  metrics?: boolean | MetricsOptions;
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
   * How long a send waits for the cluster, from the call: the presence lookup and the other
   * nodes' receipts together. Past it, the send resolves with what it has and `incomplete`
   * (`'backplane_unavailable'` if the lookup did not answer, else `'node_unreachable'`).
   * @default 3000
   */
  clusterTimeoutMs?: number;
}
