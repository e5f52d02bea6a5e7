import type { WebSocket } from 'ws';
import type { BucketState } from '../common/token-bucket.js';
import type { PresenceEntry } from '../transports/presence-store.interface.js';
import type { HeldFrame, StreamCursor } from './held-frame.js';

/** A live connection as the application sees it (`ClientRegistryService`). */
export interface ConnectionInfo {
  /** Unique cluster-wide; it starts with the id of the node that holds it. */
  readonly id: string;
  readonly user: string;
  /** When its credentials expire, in epoch milliseconds, if they do. */
  readonly expiresAt: number | undefined;
}

const CONNECTION = Symbol('nest-chat-gateway:connection');

/**
 * @internal One live WebSocket of a user, with what the server tracks about it. It is kept small
 * (plain fields, no per-connection objects or closures), since a server holds tens of thousands.
 */
export class ChatConnection implements ConnectionInfo, PresenceEntry, BucketState {
  /** Last time the peer showed life (any frame or a pong), on the monotonic clock. */
  lastSeen: number;
  /** Order key among the user's connections cluster-wide: when it joined, in milliseconds. */
  since: number;
  /** Inbound rate limit: tokens left, and when they were counted. */
  tokens: number;
  tokensAt: number;
  /** Frames refused by the rate limit since the bucket was last full. */
  strikes = 0;
  /** The event-loop turn of the last write; a second write in the same turn corks the socket. */
  lastWriteTurn = 0;
  /**
   * Frames that wait for the connection to go live: before its welcome, and while a gap in its
   * stream is being filled. Undefined while live.
   */
  held: HeldFrame[] | undefined = undefined;
  heldBytes = 0;
  /**
   * Where the connection stands in its user's stream, as two fields rather than a cursor object
   * (about 30 bytes less per connection; see {@link cursor}): the stream's epoch, undefined
   * without history or while unknown, and the last offset it was given.
   */
  epoch: string | undefined = undefined;
  offset = 0;
  /** Where it stands in each of its user's rooms' streams; undefined until it has a room. */
  roomCursors: Map<string, StreamCursor> | undefined = undefined;

  constructor(
    readonly id: string,
    readonly user: string,
    readonly socket: WebSocket,
    /** The client's IP address, for the per-address limit. */
    readonly address: string,
    /** Now, on the monotonic clock. */
    now: number,
    readonly expiresAt: number | undefined,
    /** Tokens of a full inbound rate-limit bucket. */
    burst: number,
  ) {
    this.lastSeen = now;
    this.since = now;
    this.tokens = burst;
    this.tokensAt = now;
    (socket as WebSocket & { [CONNECTION]?: ChatConnection })[CONNECTION] = this;
  }

  /** Its cursor in its user's stream: itself, once its position is known. */
  get cursor(): StreamCursor | undefined {
    return this.epoch === undefined ? undefined : (this as StreamCursor);
  }

  /** Starts following its user's stream from `offset`, the last one it has. */
  follow(epoch: string, offset: number): StreamCursor {
    this.epoch = epoch;
    this.offset = offset;
    return this as StreamCursor;
  }

  /** Whether its credentials have expired by `now` (epoch milliseconds). */
  expiredBy(now: number): boolean {
    return this.expiresAt !== undefined && this.expiresAt <= now;
  }
}

/** @internal The connection registered for a socket of the chat gateway, if any. */
export function connectionOf(socket: unknown): ChatConnection | undefined {
  return (socket as { [CONNECTION]?: ChatConnection } | undefined)?.[CONNECTION];
}
