/** What the harness tells a server process to be, as JSON in its first argument. */
export interface ServerConfig {
  /** Ping interval and timeout, for the servers that have a heartbeat (all three do). */
  heartbeat: { intervalMs: number; timeoutMs: number };
  /** How our module authenticates handshakes: trust `?user=`, or verify a JWT in `?token=`. */
  auth: 'query' | 'jwt';
  /** HS256 secret when `auth` is `'jwt'`. */
  jwtSecret?: string;
  /** Cluster mode: the Redis to join and this node's id. */
  redis?: { url: string; nodeId: string };
}

/** The one IPC message a server sends, once it accepts WebSocket and control connections. */
export interface ServerReady {
  type: 'ready';
  /** Port of the WebSocket endpoint. */
  wsPort: number;
  /** Port of the HTTP control contract (see control-server.ts). */
  controlPort: number;
}
