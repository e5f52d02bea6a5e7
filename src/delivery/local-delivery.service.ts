import { Injectable } from '@nestjs/common';
import type { DeliveryTarget, MembershipAction } from '../cluster/cluster-message.js';
import type { DeliveryAction, LocalDeliverer } from '../cluster/local-deliverer.js';
import type { ChatConnection } from '../connection/chat-connection.js';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import type { StreamStamp } from '../connection/held-frame.js';
import { OutboundService, type DeliveryCount } from '../connection/outbound.service.js';
import { AckService } from './acks/ack.service.js';
import { RoomRegistryService } from './rooms/room-registry.service.js';
import { RoomSessionsService } from './rooms/room-sessions.service.js';
import { StreamDeliveryService } from './streams/stream-delivery.service.js';

/**
 * @internal The one way anything reaches this node's connections: a local send, and another
 * node's request that the router applies. Stored pushes go through each connection's stream
 * cursor. It counts what it did for the send result.
 */
@Injectable()
export class LocalDeliveryService implements LocalDeliverer {
  constructor(
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly streams: StreamDeliveryService,
    private readonly rooms: RoomRegistryService,
    private readonly roomSessions: RoomSessionsService,
    private readonly acks: AckService,
  ) {}

  deliver(target: DeliveryTarget, action: DeliveryAction): DeliveryCount {
    const result: DeliveryCount = { delivered: 0, dropped: 0 };
    if ('close' in action) {
      const { reason, message } = action.close;
      result.delivered = this.registry.endAll(this.connections(target), reason, message);
      return result;
    }
    if ('membership' in action) return this.applyMembership(target, action.membership);
    const { frame, stamp, ack } = action;
    // Another node's push: the acks its connections here send go back to that node.
    if (ack?.origin) this.acks.relay(ack.id, ack.origin, ack.timeoutMs);
    if ('users' in target) {
      // The common case, written out so that a send to one user builds no array.
      for (const user of target.users) this.write(this.registry.of(user), frame, stamp, result);
      return result;
    }
    if (stamp && 'room' in target && target.except) {
      for (const user of target.except) {
        for (const connection of this.registry.of(user)) this.streams.pass(connection, stamp);
      }
    }
    return this.write(this.connections(target), frame, stamp, result);
  }

  catchUp(): void {
    void this.streams.catchUp();
    void this.roomSessions.catchUp();
  }

  acknowledged(counts: readonly [id: string, acked: number][]): void {
    this.acks.remote(counts);
  }

  private applyMembership(target: DeliveryTarget, membership: MembershipAction): DeliveryCount {
    const result: DeliveryCount = { delivered: 0, dropped: 0 };
    if (!('users' in target)) return result;
    const applying: Promise<void>[] = [];
    for (const user of target.users) {
      const held = this.registry.of(user).length;
      if (held === 0) continue;
      result.delivered += held;
      applying.push(this.roomSessions.applyMembership(user, membership));
    }
    if (applying.length > 0) result.applied = Promise.all(applying).then(() => undefined);
    return result;
  }

  private write(
    connections: Iterable<ChatConnection>,
    frame: Buffer,
    stamp: StreamStamp | undefined,
    result: DeliveryCount,
  ): DeliveryCount {
    if (!stamp) return this.outbound.writeAll(connections, frame, result);
    for (const connection of connections) {
      const outcome = this.streams.deliver(connection, stamp, frame);
      if (outcome === 'queued') result.delivered++;
      else if (outcome === 'dropped') result.dropped++;
    }
    return result;
  }

  private connections(target: DeliveryTarget): Iterable<ChatConnection> {
    if ('all' in target) return this.registry.all();
    if ('users' in target) return target.users.flatMap((user) => this.registry.of(user));
    if ('room' in target) return this.roomMembers(target.room, target.except);
    const found: ChatConnection[] = [];
    for (const id of target.connectionIds) {
      const connection = this.registry.find(id);
      if (connection) found.push(connection);
    }
    return found;
  }

  /** The connections here of a room's members, but those of `except`. */
  private roomMembers(room: string, except: readonly string[] | undefined): ChatConnection[] {
    const connections: ChatConnection[] = [];
    for (const user of this.rooms.membersHere(room) ?? []) {
      if (except?.includes(user)) continue;
      connections.push(...this.registry.of(user));
    }
    return connections;
  }
}
