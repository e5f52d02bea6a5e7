import { Injectable } from '@nestjs/common';
import type { DeliveryTarget } from '../cluster/cluster-message.js';
import type { DeliveryAction, LocalDeliverer } from '../cluster/local-deliverer.js';
import type { ChatConnection } from '../connection/chat-connection.js';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import { OutboundService, type DeliveryCount } from '../connection/outbound.service.js';

/**
 * @internal The one way anything reaches this node's connections: a local send, and another
 * node's request that the router applies. It counts what it did for the send result.
 */
@Injectable()
export class LocalDeliveryService implements LocalDeliverer {
  constructor(
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
  ) {}

  deliver(target: DeliveryTarget, action: DeliveryAction): DeliveryCount {
    const result: DeliveryCount = { delivered: 0, dropped: 0 };
    if ('close' in action) {
      const { reason, message } = action.close;
      result.delivered = this.registry.endAll(this.connections(target), reason, message);
      return result;
    }
    if ('users' in target) {
      // The common case, written out so that a send to one user builds no array.
      for (const user of target.users) {
        this.outbound.writeAll(this.registry.of(user), action.frame, result);
      }
      return result;
    }
    return this.outbound.writeAll(this.connections(target), action.frame, result);
  }

  private connections(target: DeliveryTarget): Iterable<ChatConnection> {
    if ('all' in target) return this.registry.all();
    if ('users' in target) return target.users.flatMap((user) => this.registry.of(user));
    const found: ChatConnection[] = [];
    for (const id of target.connectionIds) {
      const connection = this.registry.find(id);
      if (connection) found.push(connection);
    }
    return found;
  }
}
