import type { BrokerNode } from '../broker.interface.js';
import type { PresenceEntry, PresenceNode } from '../presence-store.interface.js';

/**
 * The nodes of one process that share a hub form a cluster: the in-memory broker carries messages
 * between them and the in-memory presence reads their registries. Each `MemoryTransport` gets a
 * hub of its own unless one is passed in, so by default a process is a cluster of one.
 */
export class MemoryHub {
  /** @internal */
  readonly brokerNodes = new Map<string, BrokerNode>();
  /** @internal */
  readonly presenceNodes = new Map<string, PresenceNode>();
  /** @internal Entries a join pushed out, which their nodes are about to close. */
  readonly evicted = new WeakSet<PresenceEntry>();
}
