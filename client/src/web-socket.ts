/**
 * The part of the standard WebSocket API the client uses. The browser's `WebSocket` and the
 * `WebSocket` class of the `ws` package both fit it; the client never needs DOM types.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(type: 'error', listener: (event: { message?: unknown }) => void): void;
}

/** A constructor of standard WebSockets: `globalThis.WebSocket`, or `WebSocket` from `ws`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket, the same in every implementation. */
export const OPEN = 1;

/**
 * The implementation to use: the one given, else the global one (browsers, Node 22 and later).
 * @throws TypeError when there is neither.
 */
export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof found !== 'function') {
    throw new TypeError(
      'ChatClient: no WebSocket implementation. Pass one as option "WebSocket" (in Node 20: import { WebSocket } from \'ws\')',
    );
  }
  return found;
}

/**
 * The HTTP status of a refused handshake, read from the error event. Only `ws` reports it (as
 * "Unexpected server response: 401"); a browser's error event carries nothing, on purpose, so a
 * page cannot probe servers it could not otherwise reach.
 */
export function refusedHandshakeStatus(event: { message?: unknown }): number | undefined {
  const match =
    typeof event.message === 'string'
      ? /^Unexpected server response: (\d{3})$/.exec(event.message)
      : null;
  return match ? Number(match[1]) : undefined;
}
