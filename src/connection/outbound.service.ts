import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'node:net';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import type { ChatConnection } from './chat-connection.js';
import { ClientRegistryService } from './client-registry.service.js';
import type { HeldFrame } from './held-frame.js';
import { tcpSocketOf } from './ws-socket.js';

const TEXT_FRAME = { binary: false } as const;

/** `WebSocket.OPEN`: the same in every copy of `ws`, so no `ws` instance is needed to read it. */
const OPEN = 1;

/** Writes between two looks at the clock while frames are held. */
const CLOCK_EVERY = 64;

/** Let-go entries at the front of the cork list past which it is compacted. */
const COMPACT_AFTER = 1024;

/** @internal What became of one frame for one connection. */
export type WriteResult = 'queued' | 'dropped' | 'closed';

/** @internal How many connections a frame was handed to, and how many skipped it. */
export interface DeliveryCount {
  delivered: number;
  dropped: number;
  /** For a room membership change: settles once the connections here have it. */
  applied?: Promise<void>;
}

/**
 * @internal Writes frames to connections without ever waiting for a slow reader. A connection
 * whose unsent data has reached the high-water mark gets nothing more until it drains: the frame
 * is dropped and counted, or (policy 'disconnect') the connection ends with 4008. A connection
 * therefore holds at most the high-water mark plus one frame of server memory.
 *
 * Bursts are coalesced (`coalesceWrites`). The first frame a socket gets in an event-loop turn is
 * written at once, so a lone message waits for nothing; if more follow before the turn ends, the
 * socket is corked and they leave together in one `writev` when the turn ends, or sooner once
 * the socket's first held frame has been held `maxHoldMs` (the clock is read every 64 writes, so
 * a turn with fewer writes holds them to its end). One system call per socket per hold instead of
 * one per message is what lets a burst go faster than a plain `ws.send` loop.
 *
 * Each socket's hold is timed on its own. Were all held sockets let go together once the oldest
 * had waited `maxHoldMs`, a long turn that sends round robin over many sockets would give the
 * sockets corked late in that window only a fraction of it, and the slower each send, the fewer
 * frames would share a `writev`: a slower send would then cost a system call per frame on top.
 * A socket let go within a turn is corked again by its next frame in that turn.
 */
@Injectable()
export class OutboundService {
  private readonly highWaterMark: number;
  private readonly disconnectSlowConsumers: boolean;
  /** Undefined when coalescing is off. */
  private readonly maxHoldMs: number | undefined;
  /** Counts event-loop turns with writes: a connection written to in this one is corked next. */
  private turn = 1;
  private turnEndScheduled = false;
  /** Corked sockets, in the order they were corked, and when (performance.now()). */
  private readonly corked: Socket[] = [];
  private readonly corkedAt: number[] = [];
  /** How many of `corked`, from its start, have been uncorked already. */
  private uncorked = 0;
  /** The last reading of the clock: a cork between two readings is dated by the earlier one. */
  private clock = 0;
  private writesSinceClock = 0;

  constructor(
    @Inject(CHAT_OPTIONS) options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly stats: ChatStatsService,
  ) {
    this.highWaterMark = options.backpressure.highWaterMarkBytes;
    this.disconnectSlowConsumers = options.backpressure.policy === 'disconnect';
    this.maxHoldMs = options.coalesceWrites?.maxHoldMs;
  }

  /**
   * Hands `frame` (a complete JSON text frame) to the connection's socket. A frame written to one
   * connection only may be the text itself: `ws` writes a string without a Buffer of its own.
   * @returns `'queued'` if the socket took it, `'dropped'` if backpressure skipped it, `'closed'`
   *   if the socket is already closing.
   */
  write(connection: ChatConnection, frame: Buffer | string): WriteResult {
    if (connection.held) {
      return this.keep(connection, {
        frame: typeof frame === 'string' ? Buffer.from(frame) : frame,
      });
    }
    const { socket } = connection;
    if (socket.readyState !== OPEN) return 'closed';
    if (socket.bufferedAmount >= this.highWaterMark) {
      this.stats.droppedMessages++;
      this.stats.droppedBytes += Buffer.byteLength(frame);
      if (this.disconnectSlowConsumers) this.registry.end(connection, 'slow_consumer');
      return 'dropped';
    }
    if (this.maxHoldMs !== undefined) this.coalesce(connection, this.maxHoldMs);
    socket.send(frame, TEXT_FRAME);
    this.stats.messagesOut++;
    return 'queued';
  }

  /** Writes `frame` to each connection and adds the outcomes to `result`, which it returns. */
  writeAll<T extends DeliveryCount>(
    connections: Iterable<ChatConnection>,
    frame: Buffer,
    result: T,
  ): T {
    for (const connection of connections) {
      const outcome = this.write(connection, frame);
      if (outcome === 'queued') result.delivered++;
      else if (outcome === 'dropped') result.dropped++;
    }
    return result;
  }

  /**
   * Keeps every frame for the connection from now on, instead of writing it, until
   * {@link release}: while its welcome is being prepared, and while a gap in its stream is filled.
   */
  hold(connection: ChatConnection): void {
    connection.held ??= [];
  }

  /**
   * Keeps a frame for a held connection. What it keeps is bounded by the high-water mark too: past
   * it, the connection ends (a positioned one with 4010, so that it recovers on reconnect).
   */
  keep(connection: ChatConnection, held: HeldFrame): WriteResult {
    connection.held!.push(held);
    connection.heldBytes += held.frame.length;
    if (connection.heldBytes <= this.highWaterMark) return 'queued';
    this.registry.end(connection, connection.cursor ? 'resync' : 'slow_consumer');
    return 'dropped';
  }

  /** Stops holding, and hands back what was held, oldest first, for the caller to write. */
  release(connection: ChatConnection): HeldFrame[] {
    const held = connection.held ?? [];
    connection.held = undefined;
    connection.heldBytes = 0;
    return held;
  }

  /**
   * Corks a socket as a held one: until it has been held `maxHoldMs`, at the latest until the
   * event-loop turn ends. An admitted handshake's socket is corked before `ws` writes the 101, so
   * that the 101 and a welcome written in the same turn (always, with the memory transport) leave
   * in one `writev`.
   */
  corkSocket(raw: Socket): void {
    this.cork(raw);
    this.scheduleTurnEnd();
  }

  /** Corks a socket until its hold ends. */
  private cork(raw: Socket): void {
    raw.cork();
    // With nothing held, the last reading may be old: the hold is timed from now.
    if (this.corked.length === 0) this.clock = performance.now();
    this.corked.push(raw);
    this.corkedAt.push(this.clock);
  }

  /** Uncorks, oldest first, the sockets corked at or before `time`; every one by default. */
  private uncorkUpTo(time = Infinity): void {
    const { corked, corkedAt } = this;
    let to = this.uncorked;
    while (to < corked.length && corkedAt[to] <= time) corked[to++].uncork();
    // A long turn keeps corking: the entries of sockets let go are dropped once they are the
    // larger part, so that the turn does not keep every socket it ever held.
    if (to === corked.length || (to >= COMPACT_AFTER && to * 2 >= corked.length)) {
      corked.splice(0, to);
      corkedAt.splice(0, to);
      to = 0;
    }
    this.uncorked = to;
  }

  /** Before a write: corks the socket if it was already written to in this turn. */
  private coalesce(connection: ChatConnection, maxHoldMs: number): void {
    if (this.corked.length > 0 && ++this.writesSinceClock === CLOCK_EVERY) {
      this.writesSinceClock = 0;
      this.clock = performance.now();
      this.uncorkUpTo(this.clock - maxHoldMs);
    }
    if (connection.lastWriteTurn !== this.turn) {
      connection.lastWriteTurn = this.turn;
      this.scheduleTurnEnd();
      return;
    }
    const raw = tcpSocketOf(connection.socket);
    // A socket still corked is held already: only this service leaves one corked, as `ws`
    // uncorks within each send.
    if (raw && raw.writableCorked === 0) this.cork(raw);
  }

  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(this.endTurn);
  }

  private readonly endTurn = (): void => {
    this.turnEndScheduled = false;
    this.turn++;
    this.uncorkUpTo();
  };
}
