import type { Authenticator } from '../auth/authenticator.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import type { HistoryLimits } from '../transports/history-store.interface.js';
import type { ResolvedRedisOptions } from '../transports/redis/redis-options.js';
import type {
  BackpressurePolicy,
  DeflateOptions,
  MetricsRegistry,
} from './chat-options.interface.js';

/** @internal Decides whether a handshake's `Origin` may open a WebSocket. */
export type OriginCheck = (origin: string | undefined, host: string | undefined) => boolean;

/** @internal The options with every default applied, as the providers use them. */
export interface ResolvedChatOptions {
  authenticate: Authenticator;
  path: string;
  /** `connectionsPerUser` as a number: 'single' is 1. */
  maxConnectionsPerUser: number;
  heartbeat: { intervalMs: number; timeoutMs: number };
  /** Undefined when history is off. */
  history: HistoryLimits | undefined;
  roomPresence: boolean;
  requests: { idempotencyWindowMs: number; retryWaitMs: number };
  backpressure: { highWaterMarkBytes: number; policy: BackpressurePolicy };
  /** Undefined when coalescing is off. */
  coalesceWrites: { maxHoldMs: number } | undefined;
  maxPayloadBytes: number;
  shutdownGraceMs: number;
  originAllowed: OriginCheck;
  /** Undefined when the rate limit is off. */
  rateLimit: { messagesPerSecond: number; burst: number } | undefined;
  /** `Infinity` where a limit is off. */
  limits: {
    maxConnections: number;
    maxConnectionsPerAddress: number;
    userConnectsPerMinute: number;
    handshakeTimeoutMs: number;
  };
  perMessageDeflate: boolean | DeflateOptions;
  closeOnTokenExpiry: boolean;
  /** Undefined when metrics are off. */
  metrics: { prefix: string; registry: MetricsRegistry | undefined } | undefined;
  /** The node id: the given or default name plus a random suffix unique to this process. */
  nodeId: string;
  clusterTimeoutMs: number;
  /** Undefined without the `redis` option. */
  redis: ResolvedRedisOptions | undefined;
  transport: ChatTransport | undefined;
}
