import type { RoomMembershipData, WelcomeData } from '../../src/protocol/index.js';
import type { ChatClientError } from './chat-client-error.js';

/**
 * The data of the server's welcome frame, the first frame of every connection. With history on
 * the server, `epoch` and `offset` say where the user's stream stands, and after a reconnect
 * `recovered` says whether every push the client missed follows (when `false`, refetch state).
 */
export type Welcome = WelcomeData;

/** A position in the user's stream, as the client tracks it: save it to recover after a reload. */
export interface StreamPosition {
  readonly epoch: string;
  /** The offset of the last push the client received (0 before the first). */
  readonly offset: number;
}

/** A push as `push` listeners get it: any event the application sends, to the user or a room. */
export interface Push<M = unknown> {
  /** `message`, or the name the server gave it. */
  event: string;
  data: M;
  /** For a room's push: the room. */
  room?: string;
}

/** Passed to `room` listeners: the user joined or left a room while connected. */
export type RoomChange = RoomMembershipData;

/** Passed to `close` listeners, once for every socket that ended. */
export interface CloseInfo {
  /**
   * The WebSocket close code. 1006 when no close frame arrived: a network failure, a refused
   * handshake, or a connection the client gave up on (heartbeat or connect timeout).
   */
  code: number;
  reason: string;
  /** Whether a reconnect follows (a `reconnecting` event right after this one). */
  willReconnect: boolean;
}

/** Passed to `reconnecting` listeners when a retry is scheduled. */
export interface ReconnectingInfo {
  /** 1 for the first retry after a connection ended or an attempt failed. */
  attempt: number;
  /** How long the client waits before this attempt. */
  delayMs: number;
}

/**
 * The events of `ChatClient` and what their listeners receive. `M` is the type of the pushes
 * the application expects; it is not checked at run time.
 */
export interface ChatClientEvents<M = unknown> {
  /** The WebSocket opened; the server has not welcomed the client yet. */
  open: undefined;
  /** The server registered the connection: the client is connected and flushed its queue. */
  welcome: Welcome;
  /** A push to the user: the `data` of a `{"event":"message"}` frame without a room. */
  message: M;
  /** Every push, to the user or to one of their rooms, whatever its event name. */
  push: Push<M>;
  /** The user joined or left a room while connected. */
  room: RoomChange;
  /** A socket ended; see `willReconnect`. */
  close: CloseInfo;
  /** Something failed; see `ChatClientError.code`. Never thrown, only reported. */
  error: ChatClientError;
  /** A reconnect attempt is scheduled. */
  reconnecting: ReconnectingInfo;
}

/**
 * Where the client stands. `idle` until `connect()`; `connecting` during the first attempt;
 * `connected` from the welcome on; `reconnecting` while waiting for or making a retry; `closed`
 * after `close()` or a close code that forbids retrying (it never leaves that state).
 */
export type ChatClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
