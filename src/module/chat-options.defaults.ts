import { hostname } from 'node:os';
import type { BackpressurePolicy } from '../options/chat-options.interface.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';

type Defaults = Pick<
  ResolvedChatOptions,
  | 'path'
  | 'heartbeat'
  | 'maxPayloadBytes'
  | 'shutdownGraceMs'
  | 'clusterTimeoutMs'
  | 'limits'
  | 'closeOnTokenExpiry'
  | 'roomPresence'
  | 'requests'
> & {
  connectionsPerUser: 'single';
  history: { size: number; ttlMs: number };
  backpressure: { highWaterMarkBytes: number; policy: BackpressurePolicy };
  coalesceWrites: { maxHoldMs: number };
  requireOrigin: boolean;
  rateLimit: { messagesPerSecond: number; burst: number };
  perMessageDeflate: boolean;
  metrics: { prefix: string };
  redis: { keyPrefix: string; nodeTtlMs: number; connectTimeoutMs: number };
  /** The readable part of the node id; a random suffix is always added. */
  nodeId: () => string;
};

/**
 * @internal Every default of the module's options, in one place. The option interfaces document
 * the same values with `@default`. Nested objects are copied before use, never changed.
 */
export const DEFAULT_CHAT_OPTIONS: Readonly<Defaults> = {
  path: '/ws',
  connectionsPerUser: 'single',
  heartbeat: { intervalMs: 25_000, timeoutMs: 60_000 },
  history: { size: 100, ttlMs: 300_000 },
  backpressure: { highWaterMarkBytes: 1024 * 1024, policy: 'drop' },
  coalesceWrites: { maxHoldMs: 5 },
  maxPayloadBytes: 64 * 1024,
  shutdownGraceMs: 5_000,
  clusterTimeoutMs: 3_000,
  requireOrigin: false,
  rateLimit: { messagesPerSecond: 30, burst: 60 },
  limits: {
    maxConnections: Infinity,
    maxConnectionsPerAddress: Infinity,
    userConnectsPerMinute: Infinity,
    handshakeTimeoutMs: 10_000,
  },
  perMessageDeflate: false,
  closeOnTokenExpiry: false,
  roomPresence: false,
  requests: { idempotencyWindowMs: 120_000, retryWaitMs: 10_000 },
  metrics: { prefix: 'chat_' },
  redis: { keyPrefix: 'chat:', nodeTtlMs: 15_000, connectTimeoutMs: 10_000 },
  nodeId: () => hostname(),
};
