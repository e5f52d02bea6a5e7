import { ChatClient, type ChatClientError, type CloseInfo } from 'nest-chat-gateway/client';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nowNs } from '../clock.js';
import type { OnStamp } from './clients.js';
import { cpuMicros } from './receive-meter.js';

/** How long a client may take to open the first time, retries with its backoff included. */
const FIRST_WELCOME_TIMEOUT_MS = 30_000;

/** Which client library a storm client is: our `ChatClient`, or socket.io-client. */
export type StormProtocol = 'ours' | 'socket.io';

/**
 * What a worker's storm clients went through since the last {@link StormClients.mark}: when
 * each came back, and every failed attempt on the way, by kind.
 */
export interface StormReport {
  clients: number;
  /** When the mark was set (the drop, or just before the harness killed the server). */
  markNs: number;
  /** When each client that came back had its first welcome (`connect`) after the mark. */
  backNs: number[];
  /** Handshakes refused with HTTP 503 (`limits.maxConnections`, a server shutting down). */
  refused503: number;
  /** Handshakes refused with HTTP 429 (per-address or per-user connect limits). */
  refused429: number;
  /** Attempts the client gave up on: no welcome (`connect`) within its connect timeout. */
  timeouts: number;
  /** Every other failed attempt: refused TCP connections, other statuses. */
  otherFailures: number;
  /** Reconnect attempts the clients scheduled, the successful ones included. */
  attempts: number;
  /** Clients that stopped for good: a close code that forbids retrying (ChatClient only). */
  stopped: number;
  /** The close code the first of them stopped at. */
  firstStopCode?: number;
  /** CPU time of this load process from the mark to the report, in microseconds. */
  cpuMicros: number;
  /**
   * Its own largest event-loop delay over that time, in milliseconds: a load process that
   * stalls delays the welcomes it reads, so this says whether the times are the servers'.
   */
  eventLoopMaxMs: number;
}

/** One client that reconnects by itself, as its library does. */
interface StormClient {
  /** Destroys the TCP socket of the live connection: no close frame, no disconnect packet. */
  drop(): void;
}

/**
 * The clients of the reconnect storm in one load worker: each is a real client library left to
 * reconnect with its own backoff. Our clients are `ChatClient`s (its defaults: full jitter, 500 ms
 * base, 30 s cap) over `ws`; socket.io's are socket.io-client sockets with its default
 * reconnection (1 s base, 5 s cap, randomization 0.5).
 */
export class StormClients {
  private readonly clients: StormClient[] = [];
  /** Clients that have not come back since the mark. */
  private readonly away = new Set<number>();
  private report: StormReport = emptyReport(0);
  private cpuAtMark = 0;
  private readonly delay = monitorEventLoopDelay({ resolution: 1 });
  private onAllBack: (() => void) | undefined;

  constructor(private readonly onStamp: OnStamp) {}

  /**
   * Opens one client and resolves at its first welcome (`connect`); rejects if it fails. Its TCP
   * connections take the system's source address and port: binding a source address makes the
   * kernel search for a free port on every attempt, which with 15 000 clients of one address
   * cost the load process many times the CPU of the handshake itself (8 000 connects: 4.0 s of
   * system time bound, 0.3 s unbound), and a storm is thousands of attempts at once. Each node
   * listens on its own port, so every node's clients have the whole ephemeral range.
   */
  open(protocol: StormProtocol, url: string): Promise<void> {
    const slot = this.clients.length;
    return protocol === 'ours' ? this.openChatClient(slot, url) : this.openSocketIo(slot, url);
  }

  /** From now on, every client counts as away until its next welcome, and failures count anew. */
  mark(): void {
    this.report = emptyReport(this.clients.length);
    this.cpuAtMark = cpuMicros();
    this.delay.disable();
    this.delay.reset();
    this.delay.enable();
    this.away.clear();
    for (let slot = 0; slot < this.clients.length; slot++) this.away.add(slot);
  }

  /** Marks, then drops every client in one synchronous loop: to the servers they fail together. */
  dropAll(): { dropped: number } {
    this.mark();
    for (const client of this.clients) client.drop();
    return { dropped: this.clients.length };
  }

  /** Resolves once every client is back, or `timeoutMs` after the call, with what happened. */
  async untilBack(timeoutMs: number): Promise<StormReport> {
    if (this.away.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.onAllBack = done;
      });
      this.onAllBack = undefined;
    }
    return {
      ...this.report,
      backNs: [...this.report.backNs],
      cpuMicros: cpuMicros() - this.cpuAtMark,
      eventLoopMaxMs: this.delay.max / 1e6,
    };
  }

  private welcomed(slot: number): void {
    if (!this.away.delete(slot)) return;
    this.report.backNs.push(nowNs());
    if (this.away.size === 0) this.onAllBack?.();
  }

  private openChatClient(slot: number, url: string): Promise<void> {
    let current: WebSocket | undefined;
    const remember = (ws: WebSocket): void => {
      current = ws;
    };
    // ChatClient takes a standard WebSocket constructor (url only): this one turns off
    // compression, as every bench client does, and remembers the socket of the current attempt,
    // for the drop.
    const BoundWebSocket = class extends WebSocket {
      constructor(address: string) {
        super(address, { perMessageDeflate: false });
        remember(this);
      }
    };
    const client = new ChatClient<{ t: number }>({ url, WebSocket: BoundWebSocket });
    this.clients.push({ drop: () => current?.terminate() });
    client.on('message', (data) => this.onStamp(data.t));
    client.on('reconnecting', () => this.report.attempts++);
    client.on('error', (err: ChatClientError) => this.failedAttempt(err.status));
    client.on('close', ({ code, reason, willReconnect }) => {
      // An attempt the client gave up on has no error event of its own.
      if (reason.startsWith('connect timeout')) this.report.timeouts++;
      if (!willReconnect) {
        this.report.stopped++;
        this.report.firstStopCode ??= code;
      }
    });
    return new Promise((resolve, reject) => {
      // The storm is measured from a full fleet: a client that does not get its first welcome
      // in time (retrying with its backoff meanwhile) fails the wave.
      const timer = setTimeout(() => {
        client.close();
        reject(new Error(`ChatClient: no welcome within ${FIRST_WELCOME_TIMEOUT_MS} ms`));
      }, FIRST_WELCOME_TIMEOUT_MS);
      const first = (): void => {
        clearTimeout(timer);
        client.off('welcome', first);
        client.off('close', stopped);
        client.on('welcome', () => this.welcomed(slot));
        resolve();
      };
      const stopped = ({ reason, willReconnect }: CloseInfo): void => {
        if (willReconnect) return;
        clearTimeout(timer);
        reject(new Error(`ChatClient stopped: ${reason}`));
      };
      client.on('welcome', first);
      client.on('close', stopped);
      client.connect();
    });
  }

  private failedAttempt(status: number | undefined, timedOut = false): void {
    if (timedOut) this.report.timeouts++;
    else if (status === 503) this.report.refused503++;
    else if (status === 429) this.report.refused429++;
    else this.report.otherFailures++;
  }

  private openSocketIo(slot: number, url: string): Promise<void> {
    const { origin, searchParams } = new URL(url);
    const socket: Socket = io(origin, {
      query: Object.fromEntries(searchParams),
      // WebSocket from the first packet, like our clients (no HTTP long-polling upgrade).
      transports: ['websocket'],
      forceNew: true,
    });
    this.clients.push({
      drop: () => {
        // Its transport's `ws` socket is a plain `ws` WebSocket; `disconnect()` would tell the
        // server and stop the reconnection.
        const transport = socket.io.engine?.transport as { ws?: WebSocket } | undefined;
        transport?.ws?.terminate();
      },
    });
    socket.on('message', (payload: { t: number }) => this.onStamp(payload.t));
    socket.io.on('reconnect_attempt', () => this.report.attempts++);
    socket.io.on('reconnect_error', (err: Error & { description?: unknown }) =>
      this.failedAttempt(statusOf(err), err.message === 'timeout'),
    );
    return new Promise((resolve, reject) => {
      // As for ours: a failed first attempt is retried by its reconnection, within a limit.
      const timer = setTimeout(() => {
        socket.disconnect();
        reject(new Error(`socket.io-client: no connect within ${FIRST_WELCOME_TIMEOUT_MS} ms`));
      }, FIRST_WELCOME_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.on('connect', () => this.welcomed(slot));
        resolve();
      });
    });
  }
}

function emptyReport(clients: number): StormReport {
  return {
    clients,
    markNs: nowNs(),
    backNs: [],
    refused503: 0,
    refused429: 0,
    timeouts: 0,
    otherFailures: 0,
    attempts: 0,
    stopped: 0,
    cpuMicros: 0,
    eventLoopMaxMs: 0,
  };
}

/**
 * The HTTP status of a refused socket.io handshake: engine.io-client wraps the `ws` error
 * ("Unexpected server response: 503") as the description of its transport error.
 */
function statusOf(err: Error & { description?: unknown }): number | undefined {
  const description = err.description as { message?: unknown } | undefined;
  const message = typeof description?.message === 'string' ? description.message : err.message;
  const match = /Unexpected server response: (\d{3})/.exec(message);
  return match ? Number(match[1]) : undefined;
}
