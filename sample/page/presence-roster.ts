import type { PresenceChange } from './demo-pushes.js';

/**
 * Who is online: a snapshot from `GET /presence` plus the presence pushes.
 *
 * The snapshot is loaded after each welcome, and pushes keep arriving meanwhile: they may be
 * older or newer than the snapshot. They are held back and replayed over it in order, which ends
 * right either way: a user's last push is their latest state, and a user without one is as the
 * snapshot says.
 */
export class PresenceRoster {
  private users = new Set<string>();
  private held: PresenceChange[] | undefined;
  /** Identifies the latest load, so that a slow older one cannot land over it. */
  private loads = 0;

  constructor(private readonly changed: (users: string[]) => void) {}

  /** Reloads the snapshot; rejects if `load` does (the pushes held meanwhile still apply). */
  async reload(load: () => Promise<string[]>): Promise<void> {
    const id = ++this.loads;
    this.held ??= [];
    let snapshot: string[] | undefined;
    try {
      snapshot = await load();
    } finally {
      if (id === this.loads) this.land(snapshot);
    }
  }

  apply(change: PresenceChange): void {
    if (this.held) {
      this.held.push(change);
      return;
    }
    this.set(change);
    this.changed(this.list());
  }

  private land(snapshot: string[] | undefined): void {
    if (snapshot) this.users = new Set(snapshot);
    for (const change of this.held ?? []) this.set(change);
    this.held = undefined;
    this.changed(this.list());
  }

  private set({ user, online }: PresenceChange): void {
    if (online) this.users.add(user);
    else this.users.delete(user);
  }

  private list(): string[] {
    return [...this.users].sort((a, b) => a.localeCompare(b));
  }
}
