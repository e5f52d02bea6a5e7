/** What went wrong, as `ChatClientError.code`. */
export type ChatClientErrorCode =
  /** `emit()` after `close()`, or after the server ended the session for good. */
  | 'closed'
  /** `emit()` while disconnected with `whileDisconnected: 'reject'`. */
  | 'not_connected'
  /** `emit()` while disconnected and `maxQueued` frames are already waiting. */
  | 'queue_full'
  /** `getToken()` threw or rejected; the attempt counts as failed and is retried. */
  | 'token_failed'
  /** The server refused the handshake with HTTP `status` (detectable with `ws` in Node only). */
  | 'handshake_refused'
  /** The WebSocket reported an error; a `close` event follows. */
  | 'socket_error'
  /** The server sent a frame that is not a JSON envelope; the frame was ignored. */
  | 'bad_frame'
  /** The server answered a frame with `{"event":"error"}`; `serverCode` says why. */
  | 'server_error'
  /** A `request()` failed: the handler answered an error (`serverCode`, e.g. `invalid`). */
  | 'request_failed'
  /** A `request()` got no answer within its `timeoutMs`. */
  | 'timeout';

/** Extra facts some errors carry. */
export interface ChatClientErrorDetails {
  /** HTTP status of a refused handshake (`handshake_refused`). */
  status?: number;
  /**
   * The server's error code: of an error frame (`server_error`: `bad_json`, `bad_envelope`, …)
   * or of a request's answer (`request_failed`: `invalid`, `forbidden`, `unknown_event`, …).
   */
  serverCode?: string;
  cause?: unknown;
}

/** The error type of the client: thrown by `emit()` and passed to `error` listeners. */
export class ChatClientError extends Error {
  override readonly name = 'ChatClientError';
  readonly status?: number;
  readonly serverCode?: string;

  constructor(
    readonly code: ChatClientErrorCode,
    message: string,
    { status, serverCode, cause }: ChatClientErrorDetails = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.serverCode = serverCode;
  }
}
