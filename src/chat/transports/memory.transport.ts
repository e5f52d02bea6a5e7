import type { ClusterMessage } from '../cluster/cluster-message.js';
import type {
  ChatTransport,
  JoinResult,
  PresenceEntry,
  TransportNode,
} from '../interfaces/chat-transport.interface.js';

/**
 * The nodes of one process that share a broker form a cluster. Each `ChatModule` gets a broker of
 * its own unless one is passed in, so by default a process is a cluster of one.
 */
export class MemoryBroker {
  /** @internal */
  readonly nodes = new Map<string, TransportNode>();
}

/**
 * The default transport: a cluster inside one process. It keeps no presence of its own; it reads
 * each node's registry directly, so a single node pays nothing for it. Messages are handed over
 * on the microtask queue, in order, like a network that never fails.
 *
 * Several `ChatModule` instances in one process (tests, or an app that hosts several endpoints)
 * can share a {@link MemoryBroker} to behave as one cluster.
 */
export class MemoryTransport implements ChatTransport {
  private node: TransportNode | undefined;

  constructor(private readonly broker = new MemoryBroker()) {}

  /** In one process the backplane is always there. */
  readonly reachable = true;

  get distributed(): boolean {
    return this.broker.nodes.size > 1;
  }

  async attach(node: TransportNode): Promise<void> {
    if (this.broker.nodes.has(node.nodeId)) {
      throw new Error(`MemoryTransport: node id '${node.nodeId}' is already in use`);
    }
    this.broker.nodes.set(node.nodeId, node);
    this.node = node;
  }

  async detach(): Promise<void> {
    if (this.node) this.broker.nodes.delete(this.node.nodeId);
    this.node = undefined;
  }

  async join(entry: PresenceEntry, limit: number): Promise<JoinResult> {
    const all: PresenceEntry[] = [];
    for (const node of this.broker.nodes.values()) all.push(...node.connectionsOf(entry.user));
    const others = all.filter((other) => other.id !== entry.id).sort((a, b) => a.since - b.since);
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
      for (const node of this.broker.nodes.values()) {
        for (let i = node.connectionsOf(user).length; i > 0; i--) holders.push(node.nodeId);
      }
      located.set(user, holders);
    }
    return located;
  }

  async users(): Promise<string[]> {
    const users = new Set<string>();
    for (const node of this.broker.nodes.values()) {
      for (const user of node.users()) users.add(user);
    }
    return [...users];
  }

  async nodes(): Promise<string[]> {
    return [...this.broker.nodes.keys()];
  }

  async publish(nodeId: string, message: ClusterMessage): Promise<boolean> {
    const target = this.broker.nodes.get(nodeId);
    if (!target) return false;
    queueMicrotask(() => target.receive(message));
    return true;
  }

  async publishAll(message: ClusterMessage): Promise<number> {
    let reached = 0;
    for (const target of this.broker.nodes.values()) {
      if (target === this.node) continue;
      queueMicrotask(() => target.receive(message));
      reached++;
    }
    return reached;
  }
}
