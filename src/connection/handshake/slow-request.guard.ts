import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * @internal Destroys any TCP connection of `server` that has not sent a complete first request
 * within `timeoutMs`, so a client that trickles its upgrade request (slowloris) holds a socket for
 * seconds, not for Node's default minute and more. `onDrop` is told of each one.
 *
 * Nothing is left attached to a socket once its first request is in: a live connection keeps no
 * timer and no listener of this guard. (One that closes before its request keeps its timer until
 * it fires, on a socket already destroyed.)
 *
 * @returns a function that takes the guard's listeners off `server` again. An `upgrade` listener
 * left behind when the chat endpoint is gone would make Node hand every later upgrade request to
 * it, and nobody would answer: the socket would hang, and with it the server's close.
 */
export function guardSlowRequests(
  server: Server,
  timeoutMs: number,
  onDrop: () => void,
): () => void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const settle = (request: IncomingMessage): void => {
    clearTimeout(timers.get(request.socket));
    timers.delete(request.socket);
  };
  const guard = (socket: Socket): void => {
    const timer = setTimeout(() => {
      if (socket.destroyed) return;
      onDrop();
      socket.destroy();
    }, timeoutMs);
    timer.unref();
    timers.set(socket, timer);
  };
  server.on('connection', guard);
  server.on('request', settle);
  server.on('upgrade', settle);
  return () => {
    server.off('connection', guard);
    server.off('request', settle);
    server.off('upgrade', settle);
  };
}
