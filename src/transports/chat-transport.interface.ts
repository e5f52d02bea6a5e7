import type { ChatBroker } from './broker.interface.js';
import type { HistoryStore } from './history-store.interface.js';
import type { MembershipStore } from './membership-store.interface.js';
import type { PresenceStore } from './presence-store.interface.js';

/**
 * The cross-node seam: a broker that carries messages between nodes, a presence store that knows
 * who is connected where, a history store that keeps the streams clients recover from, and a
 * membership store that knows who belongs to which room.
 * `MemoryTransport` serves one process (or several modules in one process); the `redis` option
 * builds one on Redis. A transport of your own implements the four contracts and must give the
 * same guarantees (the contract suites in `test/` check them).
 */
export interface ChatTransport {
  readonly broker: ChatBroker;
  readonly presence: PresenceStore;
  readonly history: HistoryStore;
  readonly membership: MembershipStore;
}
