/**
 * The server-side send API of one system, as the control server drives it. Each method hands
 * the payload to the system's own API (our `MessagingService`, a `Map` of `ws` sockets, or
 * socket.io rooms) and returns without waiting for delivery.
 */
export interface PushTarget {
  send(user: string, payload: unknown): void;
  sendMany(users: string[], payload: unknown): void;
  broadcast(payload: unknown): void;
  /** Live connections this process holds, to know when a wave of clients is registered. */
  connectionCount(): number;
}
