import type { ChatBroker } from './broker.interface.js';
import type { HistoryStore } from './history-store.interface.js';
import type { MembershipStore } from './membership-store.interface.js';
import type { RequestStore } from './request-store.interface.js';
import type { PresenceStore } from './presence-store.interface.js';

/**
 * The cross-node seam: a broker that carries messages between nodes, a presence store that knows
 * who is connected where, a history store that keeps the streams clients recover from, a
 * membership store that knows who belongs to which room, and a request store that keeps the
 * answers of client requests so that a retry does not run them twice.
 * `MemoryTransport` serves one process (or several modules in one process); the `redis` option
 * builds one on Redis. A transport of your own implements the five contracts and must give the
 * same guarantees (the contract suites in `test/` check them).
 */
export interface ChatTransport {
  readonly broker: ChatBroker;
  readonly presence: PresenceStore;
  readonly history: HistoryStore;
  readonly membership: MembershipStore;
  readonly requests: RequestStore;
}
