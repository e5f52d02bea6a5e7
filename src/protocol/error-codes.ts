/** Codes carried by `{"event":"error","data":{"code":…}}` frames. */
export const ErrorCode = {
  /** The text frame was not valid JSON. */
  BadJson: 'bad_json',
  /** The JSON was not an object with a string `event`. */
  BadEnvelope: 'bad_envelope',
  /** A binary frame arrived; the protocol is JSON text only. */
  UnsupportedFrame: 'unsupported_frame',
  /** The JSON nests deeper than {@link MAX_JSON_DEPTH} levels. */
  TooDeep: 'too_deep',
  /** Frames arrive faster than the rate limit; they are dropped until the client slows down. */
  RateLimited: 'rate_limited',
} as const;

/** One of the {@link ErrorCode} values. */
export type ChatErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Deepest JSON nesting accepted from clients. Deeper data is refused before parsing, so that no
 * handler downstream (a recursive walk, a re-serialization) can be pushed into a stack overflow.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Codes carried by a failed `ack`: `{"event":"ack","id":…,"error":{"code","message"}}`. A handler
 * may also throw a `WsException({ code, message })` of its own, or an `HttpException`, whose
 * status gives the code (404 `not_found`, 409 `conflict`, …).
 */
export const RequestErrorCode = {
  /** Validation failed (a `ValidationPipe`); the message names the offending fields. */
  Invalid: 'invalid',
  /** A guard refused. */
  Forbidden: 'forbidden',
  /** No handler takes this event. */
  UnknownEvent: 'unknown_event',
  /** The handler threw; what it threw is logged on the server, never sent. */
  Internal: 'internal',
  /** A retry of a request that is still running elsewhere, past the wait for its outcome. */
  InProgress: 'in_progress',
} as const;

/** Longest `id` a client frame may carry. */
export const MAX_REQUEST_ID_LENGTH = 64;
