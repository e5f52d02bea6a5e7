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
  /**
   * Rooms, for the systems that have them: makes the users (connected to this process) members
   * of `room`, resolving once a message sent next reaches them.
   */
  joinRoom?(room: string, users: string[]): Promise<void>;
  /** Pushes `payload` to every member of `room`, with the system's own room API. */
  sendToRoom?(room: string, payload: unknown): void;
}
