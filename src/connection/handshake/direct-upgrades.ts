import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** @internal An HTTP server's `upgrade` listener. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** @internal What routing needs of a `ws` server registered with Nest's `WsAdapter`. */
export interface UpgradeTarget {
  /** The normalized path Nest's adapter gave it. */
  path: string;
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    done: (socket: WebSocket) => void,
  ): void;
  emit(event: 'connection', socket: WebSocket, request: IncomingMessage): boolean;
}

/**
 * @internal Wraps Nest's `upgrade` listener (`fallback`): a request whose path, up to the `?`,
 * is exactly a registered server's path goes straight to the first such server; anything else
 * goes to `fallback`. Nest's listener builds a URL object from every request to find its path,
 * which costs a few microseconds per handshake; the answer is the same whenever the shortcut is
 * taken, because then the path is one URL parsing leaves unchanged (checked once per path) and
 * the Host header is one that makes a valid base URL (the last good one is remembered: a
 * server's clients mostly send the same).
 *
 * @param servers the servers registered on the HTTP server's port, in registration order
 */
export function directUpgrades(
  servers: () => readonly UpgradeTarget[] | undefined,
  fallback: UpgradeListener,
): UpgradeListener {
  let goodHost: string | undefined;
  const plainPaths = new Map<string, boolean>();

  const targetOf = (request: IncomingMessage): UpgradeTarget | undefined => {
    const { url } = request;
    if (url === undefined) return undefined;
    const { host } = request.headers;
    if (host !== goodHost) {
      if (!isValidBase(host)) return undefined;
      goodHost = host;
    }
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    for (const server of servers() ?? []) {
      if (server.path !== path) continue;
      let plain = plainPaths.get(path);
      if (plain === undefined) plainPaths.set(path, (plain = isPlainPath(path)));
      return plain ? server : undefined;
    }
    return undefined;
  };

  return (request, socket, head) => {
    const target = targetOf(request);
    if (!target) return fallback(request, socket, head);
    try {
      target.handleUpgrade(request, socket, head, (ws) => target.emit('connection', ws, request));
    } catch (err) {
      // As Nest's listener answers a failure, instead of letting it escape the event emitter.
      socket.end(`HTTP/1.1 400\r\n${(err as Error).message}`);
    }
  };
}

/** Whether Nest's base URL for a request with this Host header parses. */
function isValidBase(host: string | undefined): boolean {
  try {
    new URL(`ws://${host}/`);
    return true;
  } catch {
    return false;
  }
}

/** Whether URL parsing gives this path back unchanged, as the pathname Nest compares. */
function isPlainPath(path: string): boolean {
  try {
    return new URL(path, 'ws://localhost/').pathname === path;
  } catch {
    return false;
  }
}
