import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MembershipAction } from '../../cluster/cluster-message.js';
import { ChatStatsService, increment } from '../../common/chat-stats.service.js';
import type { ChatConnection } from '../../connection/chat-connection.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import type { StreamCursor } from '../../connection/held-frame.js';
import { OutboundService } from '../../connection/outbound.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { ServerEvent } from '../../protocol/events.js';
import type { RoomMembershipData, RoomPosition } from '../../protocol/frames.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import type { StreamReplay } from '../../transports/history-store.interface.js';
import { StreamDeliveryService } from '../streams/stream-delivery.service.js';
import { roomStream } from '../streams/stream-names.js';
import { RoomRegistryService } from './room-registry.service.js';

/** What a new connection's rooms look like: for its welcome, and what to replay after it. */
export interface RoomsAtStart {
  positions: Record<string, RoomPosition>;
  replays: { room: string; replay: StreamReplay; from: StreamCursor | undefined }[];
}

/**
 * @internal The rooms of each connection: where each of its user's rooms stands when it opens
 * (or what it missed there, when the client gives positions), and the rooms joined or left
 * while it is open. Every room a connection is in has a cursor, like the user's own stream.
 */
@Injectable()
export class RoomSessionsService {
  private readonly logger = new Logger(RoomSessionsService.name);

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly rooms: RoomRegistryService,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly streams: StreamDeliveryService,
    private readonly stats: ChatStatsService,
  ) {}

  /**
   * Reads the rooms of a connection's user (subscribing this node to them) and, with history,
   * where each stands or what the client missed there since `recovery`'s positions.
   */
  async read(
    connection: ChatConnection,
    recovery: ReadonlyMap<string, StreamCursor> | undefined,
  ): Promise<RoomsAtStart> {
    const rooms = [...(await this.rooms.roomsOf(connection.user))];
    const limits = this.options.history;
    const result: RoomsAtStart = { positions: {}, replays: [] };
    if (!limits || rooms.length === 0) return result;
    const { history } = this.transport;
    await Promise.all(
      rooms.map(async (room) => {
        const from = recovery?.get(room);
        const stream = roomStream(room);
        const replay: StreamReplay = from
          ? await history.read(stream, from, limits)
          : { recovered: true, position: await history.position(stream, limits), entries: [] };
        const { epoch, offset } = replay.position;
        result.positions[room] = from
          ? { epoch, offset, recovered: replay.recovered }
          : { epoch, offset };
        result.replays.push({ room, replay, from });
      }),
    );
    return result;
  }

  /** After the welcome: sets the connection's room cursors and writes what each room replays. */
  start(connection: ChatConnection, { replays }: RoomsAtStart): void {
    for (const { room, replay, from } of replays) {
      if (from) increment(this.stats.recoveries, replay.recovered ? 'recovered' : 'not_recovered');
      const cursor: StreamCursor = {
        epoch: replay.position.epoch,
        offset: from && replay.recovered ? from.offset : replay.position.offset,
      };
      (connection.roomCursors ??= new Map()).set(room, cursor);
      if (replay.recovered) this.streams.replay(connection, cursor, replay.entries, room);
    }
  }

  /**
   * Brings every connection's room streams up to date, after messages to this node may have been
   * lost (its subscriptions were down).
   */
  async catchUp(): Promise<void> {
    const limits = this.options.history;
    if (!limits) return;
    for (const room of [...this.rooms.roomsHere()]) {
      let head;
      try {
        head = await this.transport.history.position(roomStream(room), limits);
      } catch (err) {
        this.logger.debug(`Could not catch up room ${room}: ${String(err)}`);
        return;
      }
      for (const user of this.rooms.membersHere(room) ?? []) {
        for (const connection of this.registry.of(user)) {
          this.streams.catchUpTo(connection, room, head);
        }
      }
    }
  }

  /**
   * Applies a membership change to the connections of `user` here: a join subscribes this node
   * to the room and starts each connection's cursor where the room stood at the join (a cursor a
   * connection has already stays: it knows better what it was given), then fills what was sent
   * since, if anything; a leave forgets the cursor. Each connection is told with a `room` frame.
   * Settles once all of that is done.
   */
  async applyMembership(user: string, { room, member, position }: MembershipAction): Promise<void> {
    const frame: RoomMembershipData = member ? { room, member, ...position } : { room, member };
    const text = Buffer.from(JSON.stringify({ event: ServerEvent.Room, data: frame }));
    let connections: readonly ChatConnection[] = [];
    const held = await this.rooms.apply(user, room, member, () => {
      connections = this.registry.of(user);
      for (const connection of connections) {
        if (!member) connection.roomCursors?.delete(room);
        else if (position && !connection.roomCursors?.has(room)) {
          (connection.roomCursors ??= new Map()).set(room, { ...position });
        }
        this.outbound.write(connection, text);
      }
    });
    const limits = this.options.history;
    if (!held || !member || !position || !limits) return;
    try {
      // Pushes appended between the join and this node's subscription: fill them now.
      const head = await this.transport.history.position(roomStream(room), limits);
      for (const connection of connections) this.streams.catchUpTo(connection, room, head);
    } catch (err) {
      this.logger.debug(`Could not read room ${room} after a join: ${String(err)}`);
    }
  }
}
