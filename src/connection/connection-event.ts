/** An application frame a client sent, as emitted by `MessagingService.incoming$`. */
export interface IncomingFrame<T = unknown> {
  user: string;
  connectionId: string;
  event: string;
  /** The frame's `data`; `undefined` when the client sent none. */
  data: T;
}

/** Why a connection ended, as reported by `MessagingService.connections$`. */
export type DisconnectReason =
  /** The client closed the connection (or its TCP connection ended). */
  | 'client_closed'
  /** A newer connection of the same user took its place (close code 4000). */
  | 'replaced'
  /** No frame and no pong within `heartbeat.timeoutMs`; the socket was terminated. */
  | 'heartbeat_timeout'
  /** Unsent data passed the high-water mark under the 'disconnect' policy (close code 4008). */
  | 'slow_consumer'
  /** The application is shutting down (close code 1001). */
  | 'shutdown'
  /** The client kept sending past the inbound rate limit (close code 1008). */
  | 'rate_limited'
  /** The credentials expired and `closeOnTokenExpiry` is on (close code 4001). */
  | 'token_expired'
  /** The application ended the session with `MessagingService.disconnect` (close code 4003). */
  | 'kicked'
  /**
   * The connection's stream could not be kept without a gap (close code 4010): the client
   * reconnects with its position and recovers.
   */
  | 'resync'
  /** The socket failed: a protocol violation, an oversized or invalid frame, a network error. */
  | 'error';

/** A connection joining or leaving this process, as emitted by `MessagingService.connections$`. */
export type ConnectionEvent =
  | { type: 'connected'; user: string; connectionId: string }
  | {
      type: 'disconnected';
      user: string;
      connectionId: string;
      reason: DisconnectReason;
      /** The WebSocket close code, when one is known. */
      code?: number;
    };
