import type { HistoryOptions } from 'nest-chat-gateway';

/** Our module's `coalesceWrites` option. */
export type CoalesceSetting = boolean | { maxHoldMs: number };

/** What the harness tells a server process to be, as JSON in its first argument. */
export interface ServerConfig {
  /** Ping interval and timeout, for the servers that have a heartbeat (all three do). */
  heartbeat: { intervalMs: number; timeoutMs: number };
  /** How our module authenticates handshakes: trust `?user=`, or verify a JWT in `?token=`. */
  auth: 'query' | 'jwt';
  /** HS256 secret when `auth` is `'jwt'`. */
  jwtSecret?: string;
  /** Our module's write coalescing; the default when absent. Other systems ignore it. */
  coalesce?: CoalesceSetting;
  /** Our module's `history` option; the default (on) when absent. Other systems ignore it. */
  history?: HistoryOptions | false;
  /**
   * socket.io's connection state recovery (`connectionStateRecovery: {}`: its defaults, two
   * minutes); off when absent. Other systems ignore it: ours recovers through `history`.
   */
  recovery?: boolean;
  /**
   * Cluster mode: the Redis to join and this node's id. `socketIoAdapter` picks socket.io's
   * adapter: `@socket.io/redis-adapter` (pub/sub, the default) or
   * `@socket.io/redis-streams-adapter` (one Redis stream, the one that can recover a session on
   * another node).
   */
  redis?: {
    /** A single Redis; or `cluster`, the seed nodes of a Redis Cluster. */
    url?: string;
    cluster?: Array<{ host: string; port: number }>;
    nodeId: string;
    /** On a Redis Cluster socket.io uses `createShardedAdapter` (SSUBSCRIBE / SPUBLISH). */
    socketIoAdapter?: 'redis' | 'redis-streams';
  };
  /**
   * The inbound scenario: handle the client events of `InboundEvent` (see inbound-tally.ts), and
   * for ours, with no inbound rate limit (the other systems have none). Absent, no server reads
   * client frames, so the other scenarios measure the systems without handlers.
   */
  inbound?: boolean;
  /**
   * The raw server greets each connection with a frame shaped like our module's `welcome`, as
   * the reference for what the greeting alone costs a handshake. Other systems ignore it.
   */
  welcome?: boolean;
  /**
   * The port of the WebSocket endpoint; a free one when absent. The reconnect storm restarts a
   * killed node on its old port, where its clients come back.
   */
  port?: number;
  /** Our module's `limits` (handshake limits); none when absent. Other systems ignore it. */
  limits?: { maxConnections?: number; maxConnectionsPerAddress?: number };
}

/** The one IPC message a server sends, once it accepts WebSocket and control connections. */
export interface ServerReady {
  type: 'ready';
  /** Port of the WebSocket endpoint. */
  wsPort: number;
  /** Port of the HTTP control contract (see control-server.ts). */
  controlPort: number;
}
