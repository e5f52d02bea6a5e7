/** What the client does after a connection ended. */
export type AfterClose =
  /** Reconnect with exponential backoff. */
  | 'retry'
  /** Reconnect, but only after a long wait: the server asked the client to slow down. */
  | 'slow-down'
  /** Stop for good: reconnecting cannot help. */
  | 'stop';

/**
 * Close codes after which reconnecting cannot help, so the client stops. Every code not here or
 * in {@link SLOW_DOWN_CLOSE_CODES}, including 1006 (no close frame: network failure, server
 * crash) and codes this list does not know, is retried with backoff.
 */
export const FINAL_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [1002, 'protocol error: the client broke the WebSocket protocol'],
  [1003, 'unsupported data: the client sent a kind of frame the server does not take'],
  [1007, 'invalid payload: the client sent a text frame that is not valid UTF-8'],
  [1009, 'message too big: the client sent a frame over the server limit'],
  [1010, 'the server does not offer an extension the client requires'],
  [4000, 'replaced: a newer connection of the same user took over'],
  [4003, 'the application ended the session (logout, ban)'],
]);

/**
 * Close codes after which the client reconnects only after a long wait, between half of and the
 * whole `reconnect.maxDelayMs`: the server closed it for sending too much (the gateway's rate
 * limit), and reconnecting at once would only repeat that.
 */
export const SLOW_DOWN_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [1008, 'policy violation: the client sent too much, too fast'],
]);

/**
 * HTTP statuses of a refused handshake after which the client stops: the server does not accept
 * the credentials (401) or the page's origin (403), and the token `getToken()` just returned is as
 * fresh as it gets. Only visible where the WebSocket implementation reports the status (`ws` in
 * Node); other statuses (503 while a server shuts down, 429 over a connection limit, 502 from a
 * proxy) are retried.
 */
export const FINAL_HANDSHAKE_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/** What to do after a connection ended with close code `code`. */
export function afterClose(code: number): AfterClose {
  if (FINAL_CLOSE_CODES.has(code)) return 'stop';
  return SLOW_DOWN_CLOSE_CODES.has(code) ? 'slow-down' : 'retry';
}

/** What to do after a handshake was refused with HTTP `status`. */
export function afterRefusedHandshake(status: number): AfterClose {
  return FINAL_HANDSHAKE_STATUSES.has(status) ? 'stop' : 'retry';
}
