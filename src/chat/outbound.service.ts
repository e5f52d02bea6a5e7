import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { CHAT_OPTIONS } from './chat.constants.js';
import type { ChatConnection } from './chat-connection.js';
import type { ResolvedChatOptions } from './chat-options.js';
import { ClientRegistryService } from './client-registry.service.js';
import type { SendResult } from './interfaces/chat-events.interface.js';
import { ChatStatsService } from './metrics/chat-stats.service.js';

const TEXT_FRAME = { binary: false } as const;

/** @internal What became of one frame for one connection. */
export type WriteResult = 'queued' | 'dropped' | 'closed';

/**
 * @internal Writes frames to connections without ever waiting for a slow reader. A connection
 * whose unsent data has reached the high-water mark gets nothing more until it drains: the frame
 * is dropped and counted, or (policy 'disconnect') the connection ends with 4008. A connection
 * therefore holds at most the high-water mark plus one frame of server memory.
 *
 * Bursts are coalesced: the first frame a socket gets in an event-loop turn is written at once,
 * so a lone message waits for nothing; from the second one on, the socket is corked until the end
 * of the turn, and everything it got leaves in one `writev`. One system call per socket per turn
 * instead of one per message is what lets a burst go faster than a plain `ws.send` loop.
 */
@Injectable()
export class OutboundService {
  private readonly highWaterMark: number;
  private readonly disconnectSlowConsumers: boolean;
  /** Counts event-loop turns in which something was written; see {@link ChatConnection.lastWriteTurn}. */
  private turn = 1;
  private turnEndScheduled = false;
  private readonly corked: Socket[] = [];

  constructor(
    @Inject(CHAT_OPTIONS) options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly stats: ChatStatsService,
  ) {
    this.highWaterMark = options.backpressure.highWaterMarkBytes;
    this.disconnectSlowConsumers = options.backpressure.policy === 'disconnect';
  }

  /**
   * Hands `frame` (a complete JSON text frame) to the connection's socket.
   * @returns `'queued'` if the socket took it, `'dropped'` if backpressure skipped it, `'closed'`
   *   if the socket is already closing.
   */
  write(connection: ChatConnection, frame: Buffer): WriteResult {
    const { socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return 'closed';
    if (socket.bufferedAmount >= this.highWaterMark) {
      connection.droppedMessages++;
      this.stats.droppedMessages++;
      this.stats.droppedBytes += frame.length;
      if (this.disconnectSlowConsumers) this.registry.end(connection, 'slow_consumer');
      return 'dropped';
    }
    if (connection.lastWriteTurn === this.turn) {
      this.cork(connection);
    } else {
      connection.lastWriteTurn = this.turn;
      this.scheduleTurnEnd();
    }
    socket.send(frame, TEXT_FRAME);
    this.stats.messagesOut++;
    return 'queued';
  }

  /** Writes `frame` to each connection and adds the outcomes to `result`, which it returns. */
  writeAll(connections: Iterable<ChatConnection>, frame: Buffer, result: SendResult): SendResult {
    for (const connection of connections) {
      const outcome = this.write(connection, frame);
      if (outcome === 'queued') result.delivered++;
      else if (outcome === 'dropped') result.dropped++;
    }
    return result;
  }

  private cork(connection: ChatConnection): void {
    if (connection.lastCorkTurn === this.turn) return;
    // `ws` exposes no cork of its own; its frames go through this net.Socket, and Node counts
    // nested cork() calls, so the ones `ws` makes inside a send stay balanced.
    const raw = (connection.socket as unknown as { _socket?: Socket })._socket;
    if (!raw) return;
    connection.lastCorkTurn = this.turn;
    raw.cork();
    this.corked.push(raw);
  }

  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(this.endTurn);
  }

  private readonly endTurn = (): void => {
    this.turnEndScheduled = false;
    this.turn++;
    for (const raw of this.corked) raw.uncork();
    this.corked.length = 0;
  };
}
