import type { RequestClaim, RequestStore } from '../request-store.interface.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisScript } from './redis-script.js';
import { REQUEST_CLAIM } from './redis-scripts.js';

const claim = new RedisScript<[0 | 1, string | null]>(REQUEST_CLAIM);

/**
 * @internal Request outcomes on Redis: one key per request under the user's hash tag, claimed
 * with `SET NX` and completed with its answer.
 */
export class RedisRequests implements RequestStore {
  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {}

  async claim(user: string, id: string, ttlMs: number): Promise<RequestClaim> {
    const [isNew, answer] = await claim.run(this.clients.commands, [this.key(user, id)], [ttlMs]);
    if (Number(isNew) === 1) return { state: 'new' };
    return answer ? { state: 'done', answer } : { state: 'running' };
  }

  async complete(user: string, id: string, answer: string, ttlMs: number): Promise<void> {
    await this.clients.commands.set(this.key(user, id), `=${answer}`, 'PX', ttlMs);
  }

  private key(user: string, id: string): string {
    return `${this.options.keyPrefix}{u:${user}}:req:${id}`;
  }
}
