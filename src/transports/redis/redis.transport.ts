import type { ChatTransport } from '../chat-transport.interface.js';
import { RedisBroker } from './redis.broker.js';
import { RedisClients, type IoRedisModule } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisPresence } from './redis.presence.js';

/**
 * @internal A cluster on Redis, through ioredis: the broker on pub/sub, the presence in Lua
 * scripts, sharing the node's two connections.
 */
export class RedisTransport implements ChatTransport {
  readonly broker: RedisBroker;
  readonly presence: RedisPresence;

  constructor(ioredis: IoRedisModule, options: ResolvedRedisOptions) {
    const clients = new RedisClients(ioredis, options);
    this.broker = new RedisBroker(clients, options);
    this.presence = new RedisPresence(clients, options);
  }
}
