import type { ChatBroker } from '../broker.interface.js';
import type { ChatTransport } from '../chat-transport.interface.js';
import type { HistoryStore } from '../history-store.interface.js';
import type { MembershipStore } from '../membership-store.interface.js';
import type { RequestStore } from '../request-store.interface.js';
import type { PresenceStore } from '../presence-store.interface.js';
import { MemoryBroker } from './memory.broker.js';
import { MemoryHub } from './memory-hub.js';
import { MemoryPresence } from './memory.presence.js';

/**
 * The default transport: a cluster inside one process. Several `ChatModule` instances in one
 * process (tests, or an application that hosts several endpoints) that share a {@link MemoryHub}
 * behave as one cluster: `transport: new MemoryTransport(hub)` in each.
 */
export class MemoryTransport implements ChatTransport {
  readonly broker: ChatBroker;
  readonly presence: PresenceStore;
  readonly history: HistoryStore;
  readonly membership: MembershipStore;
  readonly requests: RequestStore;

  constructor(hub = new MemoryHub()) {
    this.broker = new MemoryBroker(hub);
    this.presence = new MemoryPresence(hub);
    this.history = hub.history;
    this.membership = hub.membership;
    this.requests = hub.requests;
  }
}
