import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** What a scripted server does with each connection it accepts. */
export type Script = (socket: WebSocket, request: IncomingMessage) => void;

export interface ScriptedServer {
  readonly url: string;
  /** Every connection accepted so far, oldest first. */
  readonly sockets: WebSocket[];
  /** Every text frame received, in order. */
  readonly received: string[];
  /** Handshakes refused so far (see `refuseWith`). */
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * A bare `ws` server on a loopback port, for behaviour the real gateway never shows: one that
 * stops answering heartbeats, never sends its welcome, or refuses handshakes with a status.
 */
export async function startScriptedServer(
  script: Script,
  { refuseWith }: { refuseWith?: (attempt: number) => number | undefined } = {},
): Promise<ScriptedServer> {
  const sockets: WebSocket[] = [];
  const received: string[] = [];
  let handshakes = 0;
  let refused = 0;
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, done) => {
      const status = refuseWith?.(++handshakes);
      if (status === undefined) return done(true);
      refused++;
      done(false, status);
    },
  });
  server.on('connection', (socket, request) => {
    sockets.push(socket);
    socket.on('message', (data) => received.push(String(data)));
    script(socket, request);
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
    sockets,
    received,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Sends the gateway's welcome frame with the given heartbeat interval. */
export function sendWelcome(socket: WebSocket, heartbeatIntervalMs: number, user = 'u'): void {
  socket.send(
    JSON.stringify({
      event: 'welcome',
      data: { user, connectionId: `c${Math.random()}`, heartbeatIntervalMs },
    }),
  );
}
