import type { BrokerNode } from '../broker.interface.js';
import type { PresenceEntry, PresenceNode } from '../presence-store.interface.js';
import { MemoryHistory } from './memory.history.js';
import { MemoryMembership } from './memory.membership.js';
import { MemoryRequests } from './memory.requests.js';

/**
 * The nodes of one process that share a hub form a cluster: the in-memory broker carries messages
 * between them, the in-memory presence reads their registries, and they share one history and
 * one room membership. Each `MemoryTransport` gets a
 * hub of its own unless one is passed in, so by default a process is a cluster of one.
 */
export class MemoryHub {
  /** @internal */
  readonly brokerNodes = new Map<string, BrokerNode>();
  /** @internal */
  readonly presenceNodes = new Map<string, PresenceNode>();
  /** @internal Entries a join pushed out, which their nodes are about to close. */
  readonly evicted = new WeakSet<PresenceEntry>();
  /** @internal The streams of every node of the hub. */
  readonly history = new MemoryHistory();
  /** @internal Room membership, shared by every node of the hub. */
  readonly membership = new MemoryMembership();
  /** @internal Request outcomes, shared by every node of the hub. */
  readonly requests = new MemoryRequests();
  /** @internal The nodes subscribed to each channel. */
  readonly channels = new Map<string, Set<string>>();
}
