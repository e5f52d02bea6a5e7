import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { InboundEvent, inboundTally, REQUEST_ANSWER } from './inbound-tally.js';
import { serve } from './serve.js';
import { userFromUrl } from './user-from-url.js';

/** An epoch as long as the ones our module makes. */
const WELCOME_EPOCH = 'AbCdEfGhIjK0';

/**
 * Baseline 1, the practical ceiling of a naive design: a plain `ws` server and a `Map` from user
 * to socket, where a new connection replaces the old one; one `ws.send` per message; and the
 * usual heartbeat, one timer that pings every socket in a single synchronous loop.
 *
 * With `config.welcome`, each connection is greeted first with a frame shaped like our module's
 * `welcome`, written with the 101 in one system call as ours is: what the greeting alone costs a
 * handshake, apart from everything else our module does.
 */
serve(async (config) => {
  const sockets = new Map<string, WebSocket>();
  const lastPong = new WeakMap<WebSocket, number>();
  const http = createServer();
  const corked: Socket[] = [];
  const uncorkAll = (): void => {
    for (const socket of corked.splice(0)) socket.uncork();
  };
  const wss = new WebSocketServer({
    server: http,
    clientTracking: false,
    // Corked until the turn ends, so that the welcome leaves with the 101.
    ...(config.welcome && {
      verifyClient: ({ req }: { req: IncomingMessage }) => {
        if (corked.length === 0) setImmediate(uncorkAll);
        corked.push(req.socket);
        req.socket.cork();
        return true;
      },
    }),
  });
  let connections = 0;

  wss.on('connection', (ws, req) => {
    const user = userFromUrl(req.url);
    if (!user) return ws.close(1008, 'no user');
    if (config.welcome) {
      const data = {
        user,
        connectionId: `raw-${++connections}`,
        heartbeatIntervalMs: config.heartbeat.intervalMs,
        epoch: WELCOME_EPOCH,
        offset: 0,
      };
      ws.send(JSON.stringify({ event: 'welcome', data }));
    }
    sockets.get(user)?.close(4000, 'replaced');
    sockets.set(user, ws);
    lastPong.set(ws, Date.now());
    ws.on('pong', () => lastPong.set(ws, Date.now()));
    ws.on('error', () => undefined); // the close that follows unregisters it
    if (config.inbound) ws.on('message', (data) => handleFrame(ws, String(data)));
    ws.on('close', () => {
      if (sockets.get(user) === ws) sockets.delete(user);
    });
  });

  /**
   * The naive inbound path: `JSON.parse` and a switch on the event, with no validation; a
   * request is answered with its id, as ours acks it.
   */
  const handleFrame = (ws: WebSocket, text: string): void => {
    let frame: { event?: unknown; id?: unknown };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.event === InboundEvent.Plain) inboundTally.record();
    else if (frame.event === InboundEvent.Request) {
      inboundTally.record();
      ws.send(JSON.stringify({ event: 'ack', id: frame.id, data: REQUEST_ANSWER }));
    }
  };

  const { intervalMs, timeoutMs } = config.heartbeat;
  setInterval(() => {
    const deadline = Date.now() - timeoutMs;
    for (const ws of sockets.values()) {
      if (lastPong.get(ws)! < deadline) ws.terminate();
      else ws.ping();
    }
  }, intervalMs).unref();

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    wsPort: (http.address() as AddressInfo).port,
    target: {
      send: (user, payload) => sockets.get(user)?.send(JSON.stringify(payload)),
      sendMany: (users, payload) => {
        const json = JSON.stringify(payload);
        for (const user of users) sockets.get(user)?.send(json);
      },
      broadcast: (payload) => {
        const json = JSON.stringify(payload);
        for (const ws of sockets.values()) ws.send(json);
      },
      connectionCount: () => sockets.size,
    },
  };
});
