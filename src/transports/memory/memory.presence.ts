import { nodeOf } from '../../common/connection-id.js';
import type {
  JoinResult,
  PresenceEntry,
  PresenceNode,
  PresenceStore,
} from '../presence-store.interface.js';
import type { MemoryHub } from './memory-hub.js';

/**
 * @internal The presence of a cluster inside one process. It stores nothing but the entries a
 * join pushed out: it reads each node's registry directly, so a single node pays nothing for it.
 * An evicted entry leaves the presence at once, as in Redis, though its node closes it a moment
 * later.
 */
export class MemoryPresence implements PresenceStore {
  readonly reachable = true;
  private node: PresenceNode | undefined;

  constructor(private readonly hub: MemoryHub) {}

  async attach(node: PresenceNode): Promise<void> {
    if (this.hub.presenceNodes.has(node.nodeId)) {
      throw new Error(`MemoryTransport: node id '${node.nodeId}' is already in use`);
    }
    this.hub.presenceNodes.set(node.nodeId, node);
    this.node = node;
  }

  async detach(): Promise<void> {
    if (this.node && this.hub.presenceNodes.get(this.node.nodeId) === this.node) {
      this.hub.presenceNodes.delete(this.node.nodeId);
    }
    this.node = undefined;
  }

  async join(entry: PresenceEntry, limit: number): Promise<JoinResult> {
    const others = this.entriesOf(entry.user).filter((other) => other.id !== entry.id);
    others.sort((a, b) => a.since - b.since);
    const evicted = others.slice(0, Math.max(0, others.length + 1 - limit));
    for (const other of evicted) this.hub.evicted.add(other);
    return { since: entry.since, evicted: evicted.map((other) => other.id) };
  }

  async leave(): Promise<void> {
    // Presence is each node's registry: nothing is stored here.
  }

  async locate(users: readonly string[]): Promise<Map<string, string[]>> {
    const located = new Map<string, string[]>();
    for (const user of users) {
      located.set(
        user,
        this.entriesOf(user).map((entry) => nodeOf(entry.id)),
      );
    }
    return located;
  }

  async users(): Promise<string[]> {
    const users = new Set<string>();
    for (const node of this.hub.presenceNodes.values()) {
      for (const user of node.users()) {
        if (this.entriesOf(user).length > 0) users.add(user);
      }
    }
    return [...users];
  }

  /** The user's entries on every node, without those a join pushed out. */
  private entriesOf(user: string): PresenceEntry[] {
    const entries: PresenceEntry[] = [];
    for (const node of this.hub.presenceNodes.values()) {
      for (const entry of node.connectionsOf(user)) {
        if (!this.hub.evicted.has(entry)) entries.push(entry);
      }
    }
    return entries;
  }
}
