import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { InboundEvent, inboundTally, REQUEST_ANSWER } from './inbound-tally.js';
import { serve } from './serve.js';
import { userFromUrl } from './user-from-url.js';

/**
 * Baseline 1, the practical ceiling of a naive design: a plain `ws` server and a `Map` from user
 * to socket, where a new connection replaces the old one; one `ws.send` per message; and the
 * usual heartbeat, one timer that pings every socket in a single synchronous loop.
 */
serve(async (config) => {
  const sockets = new Map<string, WebSocket>();
  const lastPong = new WeakMap<WebSocket, number>();
  const http = createServer();
  const wss = new WebSocketServer({ server: http, clientTracking: false });

  wss.on('connection', (ws, req) => {
    const user = userFromUrl(req.url);
    if (!user) return ws.close(1008, 'no user');
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
