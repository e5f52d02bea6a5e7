import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';
import { within } from './wait.js';

export interface Frame {
  event: string;
  data?: any;
  /** Any other field a frame carries (`offset`, …). */
  [field: string]: any;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/**
 * A real `ws` client that records every frame and its close, so a test can wait for what it
 * expects instead of sleeping.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<CloseInfo>;
  /** Whether the client confirms every push that asks for a delivery ack, as `ChatClient` does. */
  autoAck = false;
  private readonly waiters = new Set<() => void>();
  private cursor = 0;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    socket.on('message', (data, isBinary) => {
      const frame: Frame = isBinary ? { event: '<binary>' } : JSON.parse(data.toString());
      this.frames.push(frame);
      if (this.autoAck && frame.id !== undefined && frame.event !== 'ack') {
        this.send({ event: 'ack', id: frame.id });
      }
      this.wake();
    });
    // Errors end in a close, which is what tests assert on.
    socket.on('error', () => undefined);
  }

  /** Opens a connection; rejects with `HTTP <status>` if the server refuses the handshake. */
  static connect(url: string, options?: ClientOptions): Promise<TestClient> {
    const socket = new WebSocket(url, options);
    return within(
      new Promise<TestClient>((resolve, reject) => {
        const client = new TestClient(socket);
        socket.once('open', () => resolve(client));
        socket.once('unexpected-response', (_req, res: IncomingMessage) => {
          reject(new HandshakeRefused(res.statusCode ?? 0, res.headers));
          res.resume();
          socket.terminate();
        });
        socket.once('error', reject);
      }),
      5000,
      `connection to ${url}`,
    );
  }

  /** Opens a connection and waits for its welcome frame. */
  static async connectAndWelcome(url: string, options?: ClientOptions): Promise<TestClient> {
    const client = await TestClient.connect(url, options);
    await client.next('welcome');
    return client;
  }

  /** The connection id from the welcome frame. */
  get connectionId(): string {
    const welcome = this.frames.find((frame) => frame.event === 'welcome');
    if (!welcome) throw new Error('no welcome frame yet');
    return welcome.data.connectionId;
  }

  /** Waits for the next frame (after those already taken) with this event, and takes it. */
  async next(event: string, timeoutMs = 5000): Promise<Frame> {
    return within(
      new Promise<Frame>((resolve, reject) => {
        const check = (): void => {
          while (this.cursor < this.frames.length) {
            const frame = this.frames[this.cursor++];
            if (frame.event === event) {
              this.waiters.delete(check);
              resolve(frame);
              return;
            }
          }
          if (this.socket.readyState === WebSocket.CLOSED) {
            this.waiters.delete(check);
            reject(new Error(`socket closed before a '${event}' frame arrived`));
          }
        };
        this.waiters.add(check);
        check();
      }),
      timeoutMs,
      `a '${event}' frame`,
    );
  }

  /**
   * Waits for a frame, among those received so far or still to come, that satisfies `where`.
   * It takes nothing: `next` still sees the frame.
   */
  find(where: (frame: Frame) => boolean, what = 'a matching frame', timeoutMs = 5000, from = 0) {
    return within(
      new Promise<Frame>((resolve, reject) => {
        const check = (): void => {
          const frame = this.frames.slice(from).find(where);
          if (frame || this.socket.readyState === WebSocket.CLOSED) this.waiters.delete(check);
          if (frame) resolve(frame);
          else if (this.socket.readyState === WebSocket.CLOSED) {
            reject(new Error(`socket closed before ${what} arrived`));
          }
        };
        this.waiters.add(check);
        check();
      }),
      timeoutMs,
      what,
    );
  }

  /** Sends a request frame with this `id` and waits for the `ack` that answers it. */
  request(event: string, data: unknown, id: string): Promise<Frame> {
    const from = this.frames.length;
    this.send({ event, data, id });
    return this.find(
      (frame) => frame.event === 'ack' && frame.id === id,
      `the ack of request ${id}`,
      5000,
      from,
    );
  }

  /** Frames received so far with this event. */
  framesOf(event: string): Frame[] {
    return this.frames.filter((frame) => frame.event === event);
  }

  send(frame: Frame | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Closes from the client side and waits until the socket is closed. */
  async close(code?: number): Promise<CloseInfo> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code);
    return within(this.closed, 5000, 'the close');
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {
    super(`HTTP ${status}`);
  }
}

/** Attempts a handshake that should be refused, and returns the refusal. */
export async function refusal(url: string, options?: ClientOptions): Promise<HandshakeRefused> {
  try {
    const client = await TestClient.connect(url, options);
    await client.close();
  } catch (err) {
    if (err instanceof HandshakeRefused) return err;
    throw err;
  }
  throw new Error(`the handshake to ${url} was accepted`);
}

/** Attempts a handshake that should be refused, and returns the HTTP status it got. */
export async function refusedStatus(url: string, options?: ClientOptions): Promise<number> {
  return (await refusal(url, options)).status;
}
