import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serve } from './serve.js';
import { userFromUrl } from './user-from-url.js';

/**
 * Baseline 2: plain socket.io v4 (not through `@nestjs/platform-socket.io`, to measure socket.io
 * itself), one room per user, `io.to(user).emit`. In cluster mode it uses
 * `@socket.io/redis-adapter` with ioredis, as its documentation shows: every node publishes
 * each emit and receives every other node's.
 */
serve(async (config) => {
  const http = createServer();
  const { intervalMs, timeoutMs } = config.heartbeat;
  const io = new Server(http, {
    serveClient: false,
    pingInterval: intervalMs,
    // socket.io waits pingTimeout for the answer to each ping; the other servers count the whole
    // silence, so this gives the same total before a dead peer is dropped.
    pingTimeout: timeoutMs - intervalMs,
  });
  if (config.redis) {
    const pub = new Redis(config.redis.url);
    io.adapter(createAdapter(pub, pub.duplicate()));
  }
  io.on('connection', (socket) => {
    const user = userFromUrl(socket.request.url);
    if (!user) return socket.disconnect(true);
    void socket.join(user);
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    wsPort: (http.address() as AddressInfo).port,
    target: {
      send: (user, payload) => io.to(user).emit('message', payload),
      sendMany: (users, payload) => io.to(users).emit('message', payload),
      broadcast: (payload) => io.emit('message', payload),
      connectionCount: () => io.engine.clientsCount,
    },
  };
});
