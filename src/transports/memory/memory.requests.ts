import type { RequestClaim, RequestStore } from '../request-store.interface.js';

interface Entry {
  answer: string | undefined;
  expiresAt: number;
}

/** Keys looked at for expiry on each claim, so that old ones go without a timer. */
const SWEEP_PER_CLAIM = 2;

/** @internal Request outcomes of the nodes of one process. */
export class MemoryRequests implements RequestStore {
  private readonly entries = new Map<string, Entry>();
  private sweeper: Iterator<[string, Entry]> = this.entries.entries();

  async claim(user: string, id: string, ttlMs: number): Promise<RequestClaim> {
    const key = keyOf(user, id);
    const now = Date.now();
    this.sweep(now);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) {
      entry.expiresAt = now + ttlMs;
      return entry.answer === undefined
        ? { state: 'running' }
        : { state: 'done', answer: entry.answer };
    }
    this.entries.set(key, { answer: undefined, expiresAt: now + ttlMs });
    return { state: 'new' };
  }

  async complete(user: string, id: string, answer: string, ttlMs: number): Promise<void> {
    this.entries.set(keyOf(user, id), { answer, expiresAt: Date.now() + ttlMs });
  }

  private sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_CLAIM; i++) {
      let next = this.sweeper.next();
      if (next.done) {
        this.sweeper = this.entries.entries();
        next = this.sweeper.next();
        if (next.done) return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

/** A user id has no control characters, so this separator cannot be forged. */
function keyOf(user: string, id: string): string {
  return `${user}\u0000${id}`;
}
