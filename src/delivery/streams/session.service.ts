import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterPresenceService } from '../../cluster/cluster-presence.service.js';
import { ChatStatsService, increment } from '../../common/chat-stats.service.js';
import type { ChatConnection } from '../../connection/chat-connection.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import type { StreamCursor } from '../../connection/held-frame.js';
import { OutboundService } from '../../connection/outbound.service.js';
import type { SessionOpener } from '../../connection/session-opener.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { welcomeText, type WelcomeData } from '../../protocol/frames.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import type { HistoryLimits, StreamReplay } from '../../transports/history-store.interface.js';
import { StreamDeliveryService } from './stream-delivery.service.js';
import { userStream } from './stream-names.js';

/**
 * @internal Opens each connection's session: the welcome first, then, with history, the pushes
 * the client missed, then live pushes, with nothing lost or doubled in between.
 *
 * With history the connection is held from registration on (everything for it waits, in order)
 * while its stream is read. The read comes after the connection joined the cluster's presence:
 * a push appended after the read is then routed to this node, and one appended before it is in
 * the read. Without history the welcome is written at once.
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
    private readonly stats: ChatStatsService,
  ) {}

  open(connection: ChatConnection, recovery: StreamCursor | undefined): void {
    const limits = this.options.history;
    if (!limits) {
      // Nothing can be recovered: a client that asked is told so.
      this.welcome(connection, recovery ? { recovered: false } : {});
      return;
    }
    this.outbound.hold(connection);
    void this.start(connection, recovery, limits);
  }

  private async start(
    connection: ChatConnection,
    recovery: StreamCursor | undefined,
    limits: HistoryLimits,
  ): Promise<void> {
    const stream = userStream(connection.user);
    let replay: StreamReplay | undefined;
    try {
      await this.presence.joined(connection);
      replay = recovery
        ? await this.transport.history.read(stream, recovery, limits)
        : {
            recovered: true,
            position: await this.transport.history.position(stream, limits),
            entries: [],
          };
    } catch (err) {
      // The store is unreachable: the connection works without a position (at most once), and
      // the client, told nothing about its stream, reconnects without one later.
      this.logger.debug(`Could not read ${stream} for ${connection.id}: ${String(err)}`);
    }
    if (this.registry.find(connection.id) !== connection) return;

    const held = this.outbound.release(connection);
    const recovered = replay?.recovered === true;
    if (recovery) increment(this.stats.recoveries, recovered ? 'recovered' : 'not_recovered');
    this.welcome(connection, {
      ...(replay && { epoch: replay.position.epoch, offset: replay.position.offset }),
      ...(recovery && { recovered }),
    });
    if (replay) {
      const cursor: StreamCursor = {
        epoch: replay.position.epoch,
        offset: recovery && recovered ? recovery.offset : replay.position.offset,
      };
      connection.cursor = cursor;
      if (replay.recovered) this.streams.replay(connection, cursor, replay.entries);
    }
    this.streams.resume(connection, held);
  }

  private welcome(
    connection: ChatConnection,
    stream: Pick<WelcomeData, 'epoch' | 'offset' | 'recovered'>,
  ): void {
    this.outbound.write(
      connection,
      Buffer.from(
        welcomeText({
          user: connection.user,
          connectionId: connection.id,
          heartbeatIntervalMs: this.options.heartbeat.intervalMs,
          ...stream,
        }),
      ),
    );
  }
}
