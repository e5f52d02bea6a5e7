import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChatStatsService } from '../../common/chat-stats.service.js';
import type { ChatConnection } from '../../connection/chat-connection.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import type { HeldFrame, StreamCursor, StreamStamp } from '../../connection/held-frame.js';
import { OutboundService, type WriteResult } from '../../connection/outbound.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { storedPushText } from '../../protocol/frames.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import type { StreamEntry, StreamPosition } from '../../transports/history-store.interface.js';
import { roomStream, userStream } from './stream-names.js';

/**
 * @internal Hands stored pushes to connections so that each connection gets its stream without a
 * gap, a duplicate or a reordering, whatever order the pushes reach this node in (pub/sub from
 * several nodes, a subscription that was down).
 *
 * Each connection has a cursor: the last offset it was given. A push at the next offset is
 * written; one at or below the cursor is skipped (it was given already); one beyond the next
 * offset means pushes are missing, so the connection is held (everything for it waits, in order)
 * while the missing part is read from the history, written, and the held pushes follow. When the
 * history no longer has it, or the stream's epoch changed under the connection, the connection is
 * closed with 4010: the client reconnects with its position and is told whether it recovered.
 */
/** Streams read at once when catching up, so a node with many users does not flood the store. */
const CATCH_UP_BATCH = 256;

@Injectable()
export class StreamDeliveryService {
  private readonly logger = new Logger(StreamDeliveryService.name);

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly stats: ChatStatsService,
  ) {}

  /** Hands one stored push to a connection, through its cursor. */
  deliver(connection: ChatConnection, stamp: StreamStamp, frame: Buffer): WriteResult {
    if (connection.held) return this.outbound.keep(connection, { frame, stamp });
    const cursor =
      stamp.room === undefined ? connection.cursor : this.roomCursor(connection, stamp);
    // No position (history off, or unknown since the store was unreachable): as it comes.
    if (!cursor) return this.outbound.write(connection, frame);
    if (cursor.epoch !== stamp.epoch) {
      this.resync(connection, 'its stream started a new epoch');
      return 'closed';
    }
    if (stamp.offset <= cursor.offset) return 'queued';
    if (stamp.offset === cursor.offset + 1) {
      cursor.offset = stamp.offset;
      return this.outbound.write(connection, frame);
    }
    this.outbound.hold(connection);
    const kept = this.outbound.keep(connection, { frame, stamp });
    void this.fill(connection, stamp.stream, cursor, stamp.room);
    return kept;
  }

  /**
   * A stored room push that leaves this connection's user out (`except`): its cursor moves past
   * it, so that the next push is no gap whose fill would replay what it was left out of. A held
   * connection, or one already behind, keeps its cursor: its fill catches up as before.
   */
  pass(connection: ChatConnection, stamp: StreamStamp): void {
    const cursor = stamp.room === undefined ? undefined : connection.roomCursors?.get(stamp.room);
    if (!cursor || connection.held || cursor.epoch !== stamp.epoch) return;
    if (stamp.offset === cursor.offset + 1) cursor.offset = stamp.offset;
  }

  /**
   * Fills what a connection's room stream is missing up to `head`, when it is behind it: for the
   * pushes appended between a join and this node's subscription to the room.
   */
  catchUpTo(connection: ChatConnection, room: string, head: StreamPosition): void {
    const cursor = connection.roomCursors?.get(room);
    if (!cursor || connection.held || cursor.epoch !== head.epoch) return;
    if (head.offset <= cursor.offset || this.registry.find(connection.id) !== connection) return;
    this.outbound.hold(connection);
    void this.fill(connection, roomStream(room), cursor, room);
  }

  /**
   * The connection's cursor in a room's stream. The first push of a room that has none (a
   * membership announced after the push was sent) starts it: the client learns the room's
   * position from the push itself, which carries the epoch.
   */
  private roomCursor(connection: ChatConnection, stamp: StreamStamp): StreamCursor {
    const cursors = (connection.roomCursors ??= new Map());
    let cursor = cursors.get(stamp.room!);
    if (!cursor)
      cursors.set(stamp.room!, (cursor = { epoch: stamp.epoch, offset: stamp.offset - 1 }));
    return cursor;
  }

  /**
   * Writes what the history kept after the connection's cursor and moves the cursor to the end
   * of it. The connection must be live (not held).
   */
  replay(
    connection: ChatConnection,
    cursor: StreamCursor,
    entries: readonly StreamEntry[],
    room?: string,
  ): void {
    // A room's pushes carry their stream's epoch; the user's get it from the welcome.
    const epoch = room === undefined ? undefined : cursor.epoch;
    for (const entry of entries) {
      if (entry.offset <= cursor.offset) continue;
      cursor.offset = entry.offset;
      this.outbound.write(connection, Buffer.from(storedPushText(entry.data, entry.offset, epoch)));
    }
    this.stats.replayedPushes += entries.length;
  }

  /** Lets a held connection go live: what it held is written now, stored pushes by the cursor. */
  release(connection: ChatConnection): void {
    this.resume(connection, this.outbound.release(connection));
  }

  /** Writes frames that were held for a connection that is now live. */
  resume(connection: ChatConnection, held: readonly HeldFrame[]): void {
    for (const { frame, stamp } of held) {
      // A frame may find a new gap, which holds the connection again: the rest are kept then.
      if (stamp) this.deliver(connection, stamp, frame);
      else this.outbound.write(connection, frame);
    }
  }

  /**
   * Brings every live connection here up to the end of its stream, after messages to this node
   * may have been lost: a connection behind its stream's position gets the gap filled, as if the
   * next push had shown it. A stream that started a new epoch meanwhile (Redis came back empty)
   * is left to the next push, which closes such connections with 4010: clients then come back
   * spread over time, not all at once.
   */
  async catchUp(): Promise<void> {
    const limits = this.options.history;
    if (!limits) return;
    const users = [...this.registry.users()];
    for (let i = 0; i < users.length; i += CATCH_UP_BATCH) {
      const batch = users.slice(i, i + CATCH_UP_BATCH);
      const heads = await Promise.all(
        batch.map((user) =>
          this.transport.history.position(userStream(user), limits).catch((err: unknown) => {
            this.logger.debug(`Could not catch up the stream of ${user}: ${String(err)}`);
            return undefined;
          }),
        ),
      );
      batch.forEach((user, j) => {
        const head = heads[j];
        if (!head) return;
        for (const connection of this.registry.of(user)) {
          const { cursor } = connection;
          if (!cursor || connection.held || cursor.epoch !== head.epoch) continue;
          if (head.offset <= cursor.offset) continue;
          this.outbound.hold(connection);
          void this.fill(connection, userStream(user), cursor);
        }
      });
    }
  }

  private async fill(
    connection: ChatConnection,
    stream: string,
    cursor: StreamCursor,
    room?: string,
  ): Promise<void> {
    this.stats.gapFills++;
    const limits = this.options.history;
    let replay;
    try {
      replay = limits && (await this.transport.history.read(stream, cursor, limits));
    } catch (err) {
      this.logger.debug(`Could not read ${stream} to fill a gap: ${String(err)}`);
    }
    if (this.registry.find(connection.id) !== connection) return;
    if (!replay?.recovered) {
      this.resync(connection, 'pushes it missed are no longer in the history');
      return;
    }
    const held = this.outbound.release(connection);
    this.replay(connection, cursor, replay.entries, room);
    this.resume(connection, held);
  }

  private resync(connection: ChatConnection, why: string): void {
    this.logger.debug(`Closing ${connection.id} of ${connection.user} to resync: ${why}`);
    this.registry.end(connection, 'resync');
  }
}
