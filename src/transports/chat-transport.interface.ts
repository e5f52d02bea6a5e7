import type { ChatBroker } from './broker.interface.js';
import type { PresenceStore } from './presence-store.interface.js';

/**
 * The cross-node seam: a broker that carries messages between nodes and a presence store that
 * knows who is connected where. `MemoryTransport` serves one process (or several modules in one
 * process); the `redis` option builds one on Redis. A transport of your own implements both
 * contracts and must pass the same guarantees.
 */
export interface ChatTransport {
  readonly broker: ChatBroker;
  readonly presence: PresenceStore;
}
