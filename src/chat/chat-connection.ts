import type { WebSocket } from 'ws';
import type { PresenceEntry } from './interfaces/chat-transport.interface.js';
import type { TokenBucket } from './security/token-bucket.js';

/** @internal One live WebSocket of a user, with what the server tracks about it. */
export class ChatConnection implements PresenceEntry {
  /** Last time the peer showed life (any frame or a pong), in epoch milliseconds. */
  lastSeen: number;
  /** Pushes skipped for this connection because its unsent data was above the high-water mark. */
  droppedMessages = 0;
  /** Order key among the user's connections cluster-wide: when it joined, in milliseconds. */
  since: number;
  /** Frames refused by the rate limit since the bucket was last full. */
  strikes = 0;
  /** The outbound turn of the last write; a second write in the same turn corks the socket. */
  lastWriteTurn = 0;
  /** The outbound turn in which the socket was last corked. */
  lastCorkTurn = 0;

  constructor(
    readonly id: string,
    readonly user: string,
    readonly socket: WebSocket,
    /** The client's IP address, for the per-address limit. */
    readonly address: string,
    now: number,
    /** When its credentials expire, in epoch milliseconds, if they do. */
    readonly expiresAt: number | undefined,
    /** Inbound rate limit; undefined when it is off. */
    readonly inbound: TokenBucket | undefined,
  ) {
    this.lastSeen = now;
    this.since = now;
  }
}
