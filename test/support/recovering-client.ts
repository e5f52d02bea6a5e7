import { WebSocket } from 'ws';
import { waitFor } from './wait.js';

/** One stored push as a connection received it. */
export interface Received {
  /** Which of the client's connections got it (0 for the first). */
  connection: number;
  offset: number;
  data: unknown;
}

/** What the welcome of one connection said about the stream. */
export interface WelcomeSeen {
  connection: number;
  epoch: string;
  offset: number;
  recovered: boolean | undefined;
  /** The position the connection asked to resume from, if any. */
  since: number | undefined;
}

/**
 * A raw `ws` client that recovers the way the protocol says, without the client library's
 * duplicate filter, so that a test sees exactly what the server sends: it keeps its position
 * (epoch and last offset), reconnects with `?since=&epoch=`, and records every stored push per
 * connection and every welcome. `kill()` drops the connection abruptly (no close frame) and
 * connects again, to whichever URL `url()` names next.
 */
export class RecoveringClient {
  readonly received: Received[] = [];
  readonly welcomes: WelcomeSeen[] = [];
  /** Frames that were neither a welcome nor a stored push nor a heartbeat answer. */
  readonly others: unknown[] = [];
  epoch: string | undefined;
  offset = 0;
  /** Connections dropped by {@link kill}. */
  kills = 0;
  private socket: WebSocket | undefined;
  private connections = 0;
  private stopped = false;
  /** Kills asked for while no connection was open: each hits a next one as soon as it opens. */
  private pendingKills = 0;

  constructor(private readonly url: (attempt: number) => string) {}

  /** Connects (or reconnects) from the current position; resolves once the socket is open. */
  async connect(): Promise<void> {
    const connection = this.connections++;
    const since = this.epoch === undefined ? undefined : this.offset;
    const position =
      since === undefined ? '' : `&since=${since}&epoch=${encodeURIComponent(this.epoch!)}`;
    const socket = new WebSocket(`${this.url(connection)}${position}`);
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('message', (raw) => {
      if (socket !== this.socket) return;
      const frame = JSON.parse(String(raw));
      if (frame.event === 'welcome') {
        this.welcomes.push({
          connection,
          epoch: frame.data.epoch,
          offset: frame.data.offset,
          recovered: frame.data.recovered,
          since,
        });
        if (frame.data.recovered !== true) {
          this.epoch = frame.data.epoch;
          this.offset = frame.data.offset;
        }
      } else if (frame.event === 'message' && typeof frame.offset === 'number') {
        this.received.push({ connection, offset: frame.offset, data: frame.data });
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

  /** Waits until the client holds every push up to `offset`. */
  async caughtUp(offset: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.offset >= offset && this.socket?.readyState === WebSocket.OPEN, {
      timeoutMs,
      what: `the client to reach offset ${offset} (at ${this.offset})`,
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

/** What the senders of a chaos run were told: each push's payload by the offset its send named. */
export type Acknowledged = Map<number, unknown>;

/**
 * The checker: every offset a send result named arrived exactly once, with the payload of that
 * send; each connection saw consecutive offsets from where it resumed; every reconnect recovered.
 * Returns a list of violations, empty when the run was exactly once and in order.
 */
export function exactlyOnceViolations(client: RecoveringClient, acked: Acknowledged): string[] {
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
  for (const welcome of client.welcomes) {
    if (welcome.since !== undefined && welcome.recovered !== true) {
      problems.push(`connection ${welcome.connection} did not recover from ${welcome.since}`);
    }
    const offsets = byConnection.get(welcome.connection) ?? [];
    const start = welcome.since ?? welcome.offset;
    offsets.forEach((offset, i) => {
      if (offset !== start + i + 1) {
        problems.push(
          `connection ${welcome.connection} got offset ${offset} where ${start + i + 1} was next`,
        );
      }
    });
  }
  return problems;
}
