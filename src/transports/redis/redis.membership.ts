import type { MembershipStore } from '../membership-store.interface.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';

/**
 * @internal Room membership on Redis: a set of members per room and a set of rooms per user,
 * each under its own hash tag (the room's, the user's), so that each command touches one slot.
 * The two sets are written together but not atomically: a failure in between leaves a pair
 * that the same call, retried, completes (both writes are idempotent).
 */
export class RedisMembership implements MembershipStore {
  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {}

  async add(room: string, user: string): Promise<boolean> {
    const { commands } = this.clients;
    const [added] = await Promise.all([
      commands.sadd(this.membersKey(room), user),
      commands.sadd(this.roomsKey(user), room),
    ]);
    return added === 1;
  }

  async remove(room: string, user: string): Promise<boolean> {
    const { commands } = this.clients;
    const [removed] = await Promise.all([
      commands.srem(this.membersKey(room), user),
      commands.srem(this.roomsKey(user), room),
    ]);
    return removed === 1;
  }

  members(room: string): Promise<string[]> {
    return this.clients.commands.smembers(this.membersKey(room));
  }

  roomsOf(user: string): Promise<string[]> {
    return this.clients.commands.smembers(this.roomsKey(user));
  }

  private membersKey(room: string): string {
    return `${this.options.keyPrefix}{r:${room}}:members`;
  }

  private roomsKey(user: string): string {
    return `${this.options.keyPrefix}{u:${user}}:rooms`;
  }
}
