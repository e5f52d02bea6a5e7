import type { ChatTransport } from '../chat-transport.interface.js';
import { RedisBroker } from './redis.broker.js';
import { RedisClients, type IoRedisModule } from './redis-clients.js';
import { RedisHistory } from './redis.history.js';
import { RedisMembership } from './redis.membership.js';
import { RedisRequests } from './redis.requests.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisPresence } from './redis.presence.js';

/**
 * @internal A cluster on Redis, through ioredis: the broker on pub/sub, the presence and the
 * history in Lua scripts, room membership in sets, sharing the node's two connections.
 */
export class RedisTransport implements ChatTransport {
  readonly broker: RedisBroker;
  readonly presence: RedisPresence;
  readonly history: RedisHistory;
  readonly membership: RedisMembership;
  readonly requests: RedisRequests;

  constructor(ioredis: IoRedisModule, options: ResolvedRedisOptions) {
    const clients = new RedisClients(ioredis, options);
    this.broker = new RedisBroker(clients, options);
    this.presence = new RedisPresence(clients, options);
    this.history = new RedisHistory(clients, options);
    this.membership = new RedisMembership(clients, options);
    this.requests = new RedisRequests(clients, options);
  }
}
