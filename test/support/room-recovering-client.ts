import { WebSocket } from 'ws';
import { encodeRoomPositions } from '../../src/protocol/frames.js';
import type { Acknowledged, Received } from './recovering-client.js';
import { waitFor } from './wait.js';

/** What the welcome of one connection said about the room. */
export interface RoomWelcomeSeen {
  connection: number;
  /** The room's entry in `data.rooms`, if the welcome had one. */
  position: { epoch: string; offset: number; recovered?: boolean } | undefined;
  /** The offset the connection asked to resume the room from, if any. */
  since: number | undefined;
}

/**
 * A raw `ws` client that follows one room the way the protocol says, without the client
 * library's duplicate filter, so that a test sees exactly what the server sends: it keeps the
 * room's position (from the welcome's `rooms`, then from each push), reconnects with `?rooms=`,
 * and records every stored push of the room per connection and every welcome. `kill()` drops
 * the connection abruptly (no close frame) and connects again, to whichever URL `url()` names
 * next. The room counterpart of {@link RecoveringClient}.
 */
export class RoomRecoveringClient {
  readonly received: Received[] = [];
  readonly welcomes: RoomWelcomeSeen[] = [];
  /** Frames that were neither a welcome, a push of the room, nor a heartbeat answer. */
  readonly others: unknown[] = [];
  epoch: string | undefined;
  offset = 0;
  /** Connections dropped by {@link kill}. */
  kills = 0;
  private socket: WebSocket | undefined;
  private connections = 0;
  private stopped = false;
  private pendingKills = 0;

  constructor(
    private readonly room: string,
    private readonly url: (attempt: number) => string,
  ) {}

  /** Connects (or reconnects) from the current position; resolves once the socket is open. */
  async connect(): Promise<void> {
    const connection = this.connections++;
    const since = this.epoch === undefined ? undefined : this.offset;
    const position =
      since === undefined
        ? ''
        : `&rooms=${encodeRoomPositions({ [this.room]: { epoch: this.epoch!, offset: since } })}`;
    const socket = new WebSocket(`${this.url(connection)}${position}`);
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('message', (raw) => {
      if (socket !== this.socket) return;
      const frame = JSON.parse(String(raw));
      if (frame.event === 'welcome') {
        const seen = frame.data.rooms?.[this.room];
        this.welcomes.push({ connection, position: seen, since });
        if (seen && seen.recovered !== true) {
          this.epoch = seen.epoch;
          this.offset = seen.offset;
        }
      } else if (
        frame.event === 'message' &&
        frame.room === this.room &&
        typeof frame.offset === 'number'
      ) {
        this.received.push({ connection, offset: frame.offset, data: frame.data });
        this.epoch = frame.epoch;
        this.offset = frame.offset;
      } else if (frame.event !== 'heartbeat') {
        this.others.push(frame);
      }
    });
    socket.on('close', () => {
      if (socket === this.socket && !this.stopped) void this.connect();
    });
    socket.once('open', () => {
      if (this.pendingKills === 0) return;
      // Mid-handshake: the server may be replaying what this connection missed.
      this.pendingKills--;
      this.kills++;
      socket.terminate();
    });
    await new Promise<void>((resolve) => {
      socket.once('open', () => resolve());
      socket.once('close', () => resolve());
    });
  }

  /**
   * Drops the connection without a close frame; the client reconnects at once. A kill while
   * the client is between connections drops the next one the moment it opens.
   */
  kill(): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.kills++;
      this.socket.terminate();
    } else {
      this.pendingKills++;
    }
  }

  /** Waits until the client holds every push of the room up to `offset`. */
  async caughtUp(offset: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.offset >= offset && this.socket?.readyState === WebSocket.OPEN, {
      timeoutMs,
      what: `the client to reach offset ${offset} of ${this.room} (at ${this.offset})`,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.terminate();
    await closed;
  }
}

/**
 * The checker: every offset a send result named arrived exactly once, with the payload of that
 * send; each connection's welcome listed the room, recovered whenever it gave a position, and
 * the connection then saw consecutive offsets from where it resumed. Returns a list of
 * violations, empty when the run was exactly once and in order.
 */
export function roomExactlyOnceViolations(
  client: RoomRecoveringClient,
  acked: Acknowledged,
): string[] {
  const problems: string[] = [];
  const seen = new Map<number, number>();
  for (const { offset, data } of client.received) {
    seen.set(offset, (seen.get(offset) ?? 0) + 1);
    if (acked.has(offset) && JSON.stringify(acked.get(offset)) !== JSON.stringify(data)) {
      problems.push(`offset ${offset} carried ${JSON.stringify(data)}, not its send's payload`);
    }
  }
  for (const offset of acked.keys()) {
    const times = seen.get(offset) ?? 0;
    if (times !== 1) problems.push(`offset ${offset} arrived ${times} times`);
  }
  const byConnection = new Map<number, number[]>();
  for (const { connection, offset } of client.received) {
    byConnection.set(connection, [...(byConnection.get(connection) ?? []), offset]);
  }
  for (const { connection, position, since } of client.welcomes) {
    if (!position) {
      problems.push(`the welcome of connection ${connection} did not list the room`);
      continue;
    }
    if (since !== undefined && position.recovered !== true) {
      problems.push(`connection ${connection} did not recover from ${since}`);
    }
    const offsets = byConnection.get(connection) ?? [];
    const start = since ?? position.offset;
    offsets.forEach((offset, i) => {
      if (offset !== start + i + 1) {
        problems.push(
          `connection ${connection} got offset ${offset} where ${start + i + 1} was next`,
        );
      }
    });
  }
  if (client.others.length > 0)
    problems.push(`unexpected frames: ${JSON.stringify(client.others)}`);
  return problems;
}
