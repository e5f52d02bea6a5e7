/**
 * Close codes after which reconnecting cannot help, so the client stops. Every other code,
 * including 1006 (no close frame: network failure, server crash) and codes this list does not
 * know, is retried with backoff.
 */
export const FINAL_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [1002, 'protocol error: the client broke the WebSocket protocol'],
  [1003, 'unsupported data: the client sent a kind of frame the server does not take'],
  [1007, 'invalid payload: the client sent a text frame that is not valid UTF-8'],
  [1008, 'policy violation: the server refuses this client'],
  [1009, 'message too big: the client sent a frame over the server limit'],
  [1010, 'the server does not offer an extension the client requires'],
  [4000, 'replaced: a newer connection of the same user took over'],
]);

/**
 * HTTP statuses of a refused handshake after which the client stops: the server does not accept
 * the credentials, and the token `getToken()` just returned is as fresh as it gets. Only visible
 * where the WebSocket implementation reports the status (`ws` in Node); other statuses (503 while
 * a server shuts down, 502 from a proxy) are retried.
 */
export const FINAL_HANDSHAKE_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/** Whether a connection that ended with close code `code` should be retried. */
export function shouldReconnect(code: number): boolean {
  return !FINAL_CLOSE_CODES.has(code);
}

/** Whether a handshake refused with HTTP `status` should be retried. */
export function shouldRetryHandshake(status: number): boolean {
  return !FINAL_HANDSHAKE_STATUSES.has(status);
}
