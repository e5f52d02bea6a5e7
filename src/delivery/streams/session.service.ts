import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterPresenceService } from '../../cluster/cluster-presence.service.js';
import { ChatStatsService, increment } from '../../common/chat-stats.service.js';
import type { ChatConnection } from '../../connection/chat-connection.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import type { Recovery } from '../../connection/handshake/recovery-position.js';
import { OutboundService } from '../../connection/outbound.service.js';
import type { SessionOpener } from '../../connection/session-opener.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { welcomeText } from '../../protocol/frames.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import type { HistoryLimits, StreamReplay } from '../../transports/history-store.interface.js';
import { RoomSessionsService, type RoomsAtStart } from '../rooms/room-sessions.service.js';
import { StreamDeliveryService } from './stream-delivery.service.js';
import { userStream } from './stream-names.js';

/**
 * @internal Opens each connection's session: the welcome first, then, with history, the pushes
 * the client missed (its own stream's, then its rooms'), then live pushes, with nothing lost or
 * doubled in between.
 *
 * The connection is held from registration on (everything for it waits, in order) while its
 * streams and rooms are read. The reads come after the connection joined the cluster's presence,
 * and the rooms' after this node subscribed to them: a push appended after a read then reaches
 * this node, and one appended before it is in the read.
 */
@Injectable()
export class SessionService implements SessionOpener {
  private readonly logger = new Logger(SessionService.name);

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly presence: ClusterPresenceService,
    private readonly streams: StreamDeliveryService,
    private readonly rooms: RoomSessionsService,
    private readonly stats: ChatStatsService,
  ) {}

  open(connection: ChatConnection, recovery: Recovery): void {
    this.outbound.hold(connection);
    void this.start(connection, recovery, this.options.history);
  }

  private async start(
    connection: ChatConnection,
    recovery: Recovery,
    limits: HistoryLimits | undefined,
  ): Promise<void> {
    const stream = userStream(connection.user);
    const since = recovery.user;
    let replay: StreamReplay | undefined;
    let rooms: RoomsAtStart | undefined;
    try {
      await this.presence.joined(connection);
      if (limits) {
        replay = since
          ? await this.transport.history.read(stream, since, limits)
          : {
              recovered: true,
              position: await this.transport.history.position(stream, limits),
              entries: [],
            };
      }
      rooms = await this.rooms.read(connection, recovery.rooms);
    } catch (err) {
      // The store is unreachable: the connection works without positions (at most once), and
      // the client, told nothing about its streams, reconnects without them later.
      this.logger.debug(`Could not read the streams of ${connection.id}: ${String(err)}`);
    }
    if (this.registry.find(connection.id) !== connection) return;

    const held = this.outbound.release(connection);
    // Without history nothing can be recovered: a client that asked is told so.
    const recovered = replay?.recovered === true;
    if (since && limits)
      increment(this.stats.recoveries, recovered ? 'recovered' : 'not_recovered');
    const roomPositions = rooms && limits && rooms.replays.length > 0 ? rooms.positions : undefined;
    this.outbound.write(
      connection,
      welcomeText({
        user: connection.user,
        connectionId: connection.id,
        heartbeatIntervalMs: this.options.heartbeat.intervalMs,
        epoch: replay?.position.epoch,
        offset: replay?.position.offset,
        recovered: since && recovered,
        rooms: roomPositions,
      }),
    );
    if (replay) {
      const cursor = connection.follow(
        replay.position.epoch,
        since && recovered ? since.offset : replay.position.offset,
      );
      if (replay.recovered) this.streams.replay(connection, cursor, replay.entries);
    }
    if (rooms) this.rooms.start(connection, rooms);
    this.streams.resume(connection, held);
  }
}
