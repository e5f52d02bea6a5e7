import type {
  JoinResult,
  PresenceEntry,
  PresenceNode,
  PresenceStore,
} from '../presence-store.interface.js';
import type { MemoryHub } from './memory-hub.js';

/**
 * @internal The presence of a cluster inside one process. It stores nothing: it reads each
 * node's registry directly, so a single node pays nothing for it.
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
    const others: PresenceEntry[] = [];
    for (const node of this.hub.presenceNodes.values()) {
      for (const other of node.connectionsOf(entry.user)) {
        if (other.id !== entry.id) others.push(other);
      }
    }
    others.sort((a, b) => a.since - b.since);
    const excess = others.length + 1 - limit;
    return {
      since: entry.since,
      evicted: excess > 0 ? others.slice(0, excess).map((other) => other.id) : [],
    };
  }

  async leave(): Promise<void> {
    // Presence is each node's registry: nothing is stored here.
  }

  async locate(users: readonly string[]): Promise<Map<string, string[]>> {
    const located = new Map<string, string[]>();
    for (const user of users) {
      const holders: string[] = [];
      for (const node of this.hub.presenceNodes.values()) {
        for (let i = node.connectionsOf(user).length; i > 0; i--) holders.push(node.nodeId);
      }
      located.set(user, holders);
    }
    return located;
  }

  async users(): Promise<string[]> {
    const users = new Set<string>();
    for (const node of this.hub.presenceNodes.values()) {
      for (const user of node.users()) users.add(user);
    }
    return [...users];
  }
}
