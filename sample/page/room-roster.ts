import type { PresenceEvent } from './chat-events.js';
import type { Member } from './demo-api.js';

/**
 * The members of one room and who of them is online: a snapshot from `GET /rooms/:room/members`
 * plus the room's `presence` events (coming online, going offline, joining, leaving).
 *
 * The snapshot is loaded after each welcome, and events keep arriving meanwhile: they may be
 * older or newer than the snapshot. They are held back and replayed over it in order, which ends
 * right either way: a member's last event is their latest state, and one without an event is as
 * the snapshot says.
 */
export class RoomRoster {
  private readonly members = new Map<string, boolean>();
  private held: PresenceEvent[] | undefined;
  /** Identifies the latest load, so that a slow older one cannot land over it. */
  private loads = 0;

  constructor(private readonly changed: () => void) {}

  /** Reloads the snapshot; rejects if `load` does (the events held meanwhile still apply). */
  async reload(load: () => Promise<Member[]>): Promise<void> {
    const id = ++this.loads;
    this.held ??= [];
    let snapshot: Member[] | undefined;
    try {
      snapshot = await load();
    } finally {
      if (id === this.loads) this.land(snapshot);
    }
  }

  apply(event: PresenceEvent): void {
    if (this.held) {
      this.held.push(event);
      return;
    }
    this.record(event);
    this.changed();
  }

  /** Every member, sorted by name. */
  list(): Member[] {
    return [...this.members]
      .map(([user, online]) => ({ user, online }))
      .sort((a, b) => a.user.localeCompare(b.user));
  }

  online(): string[] {
    return this.list()
      .filter(({ online }) => online)
      .map(({ user }) => user);
  }

  private record({ user, online, member }: PresenceEvent): void {
    if (member === false) this.members.delete(user);
    else this.members.set(user, online);
  }

  private land(snapshot: Member[] | undefined): void {
    if (snapshot) {
      this.members.clear();
      for (const { user, online } of snapshot) this.members.set(user, online);
    }
    for (const event of this.held ?? []) this.record(event);
    this.held = undefined;
    this.changed();
  }
}
