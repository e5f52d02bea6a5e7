import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * @internal The TCP socket under a `ws` WebSocket. `ws` keeps it in a private field and offers no
 * cork of its own; outbound coalescing corks this socket so that several frames leave in one
 * `writev`. Node counts nested `cork()` calls, so the ones `ws` makes inside a send stay balanced.
 * Undefined once the socket is gone (or if a future `ws` renames the field: coalescing then just
 * stops, and every frame is written at once).
 */
export function tcpSocketOf(socket: WebSocket): Socket | undefined {
  const raw = (socket as { _socket?: unknown })._socket;
  return raw && typeof (raw as Socket).cork === 'function' ? (raw as Socket) : undefined;
}
