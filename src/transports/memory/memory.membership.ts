import type { MembershipStore } from '../membership-store.interface.js';

/** @internal Room membership of the nodes of one process, in two maps kept in step. */
export class MemoryMembership implements MembershipStore {
  private readonly byRoom = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, Set<string>>();

  async add(room: string, user: string): Promise<boolean> {
    if (this.byRoom.get(room)?.has(user)) return false;
    add(this.byRoom, room, user);
    add(this.byUser, user, room);
    return true;
  }

  async remove(room: string, user: string): Promise<boolean> {
    if (!this.byRoom.get(room)?.has(user)) return false;
    remove(this.byRoom, room, user);
    remove(this.byUser, user, room);
    return true;
  }

  async members(room: string): Promise<string[]> {
    return [...(this.byRoom.get(room) ?? [])];
  }

  async roomsOf(user: string): Promise<string[]> {
    return [...(this.byUser.get(user) ?? [])];
  }
}

function add(sets: Map<string, Set<string>>, key: string, value: string): void {
  let set = sets.get(key);
  if (!set) sets.set(key, (set = new Set()));
  set.add(value);
}

function remove(sets: Map<string, Set<string>>, key: string, value: string): void {
  const set = sets.get(key);
  set?.delete(value);
  if (set?.size === 0) sets.delete(key);
}
