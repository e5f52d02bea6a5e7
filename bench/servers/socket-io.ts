import {
  createAdapter as createPubSubAdapter,
  createShardedAdapter,
} from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { Cluster, Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import type { ServerConfig } from './server-config.js';
import { serve } from './serve.js';
import { userFromUrl } from './user-from-url.js';

/**
 * Entries the streams adapter keeps in its stream. Its default, 10 000, is trimmed (`MAXLEN ~`)
 * while a node that reads slower than the sender writes is still behind it: during the cluster
 * storm node B then silently skipped a third or more of the pushes. A stream long enough for the
 * whole storm measures its delivery, not its trimming.
 */
const STREAM_MAX_LEN = 1_000_000;

/**
 * Baseline 2: plain socket.io v4 (not through `@nestjs/platform-socket.io`, to measure socket.io
 * itself), one room per user, `io.to(user).emit`. In cluster mode it uses
 * `@socket.io/redis-adapter` with ioredis, as its documentation shows: every node publishes
 * each emit and receives every other node's; or `@socket.io/redis-streams-adapter`, where every
 * emit is appended to one Redis stream that every node reads. With `recovery`, it turns on
 * connection state recovery, which keeps the packets in the adapter (in memory, or in that
 * stream) and the sessions of sockets that dropped (in memory, or in Redis keys).
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
    ...(config.recovery && { connectionStateRecovery: {} }),
  });
  const adapter = clusterAdapter(config);
  if (adapter) io.adapter(adapter);
  io.on('connection', (socket) => {
    const user = userFromUrl(socket.request.url);
    if (!user) return socket.disconnect(true);
    // A recovered socket is back in its rooms already; joining again changes nothing.
    void socket.join(user);
  });

  await new Promise<void>((resolve) => http.listen(config.port ?? 0, '127.0.0.1', resolve));
  return {
    wsPort: (http.address() as AddressInfo).port,
    target: {
      send: (user, payload) => io.to(user).emit('message', payload),
      sendMany: (users, payload) => io.to(users).emit('message', payload),
      broadcast: (payload) => io.emit('message', payload),
      connectionCount: () => io.engine.clientsCount,
      // Rooms belong to sockets: this node's sockets of those users join (each user's socket is
      // in the room named after the user). Other nodes' sockets join through their own node.
      joinRoom: async (room, users) => io.local.in(users).socketsJoin(room),
      sendToRoom: (room, payload) => io.to(room).emit('message', payload),
    },
  };
});

/** The Redis adapter `config.redis` asks for, with ioredis (which both adapters support). */
function clusterAdapter(config: ServerConfig): ServerOptions['adapter'] | undefined {
  if (!config.redis) return undefined;
  if (config.redis.cluster) {
    // Its sharded adapter, as its documentation shows for Redis 7; with ioredis, the subscriber
    // is a Cluster with one sharded subscriber connection per master.
    const pub = new Cluster(config.redis.cluster);
    const sub = new Cluster(config.redis.cluster, { shardedSubscribers: true });
    return createShardedAdapter(pub, sub);
  }
  const client = new Redis(config.redis.url!);
  // The streams adapter duplicates the client itself, for its blocking stream reads and its
  // pub/sub; the pub/sub adapter is given its subscriber, as its documentation shows.
  return config.redis.socketIoAdapter === 'redis-streams'
    ? createStreamsAdapter(client, { maxLen: STREAM_MAX_LEN })
    : createPubSubAdapter(client, client.duplicate());
}
