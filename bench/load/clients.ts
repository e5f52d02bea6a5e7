import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';

/**
 * How a client speaks to its server: our module's envelope, bare `ws` frames (`raw-welcome`: after
 * a welcome frame), or socket.io.
 */
export type Protocol = 'ours' | 'raw' | 'raw-welcome' | 'socket.io';

/** Called with the timestamp of each stamped message a client receives. */
export type OnStamp = (sentNs: number) => void;

/** One open client of the load generator. It lives until its worker process exits. */
export interface BenchClient {
  /**
   * Ends the connection abruptly, as a failing network does: the TCP socket is destroyed, with
   * no WebSocket close frame and no socket.io disconnect packet, so the server sees a transport
   * failure (which is what socket.io's connection state recovery is for).
   */
  drop(): void;
  /**
   * Opens the connection again after a drop, asking to recover what it missed, and resolves once
   * the server registered it: ours gives back `?since=<last offset>&epoch=<epoch>` from what it
   * received; socket.io's client sends its session id and last offset by itself, since the same
   * Manager reconnects; raw ws cannot recover.
   */
  reconnect(): Promise<{ recovered: boolean }>;
  /**
   * Sends the frames `frame(first)` … `frame(first + count - 1)` at once: they leave in one
   * write, as a busy client's frames do, so the server reads them in bursts.
   */
  sendFrames(first: number, count: number, frame: (n: number) => string): void;
}

/** The part of a `ws` WebSocket the burst needs: its TCP socket, to cork it. */
interface CorkableWebSocket {
  _socket?: { cork(): void; uncork(): void };
}

/** How long a client waits for its connection to open before it fails. */
export const OPEN_TIMEOUT_MS = 15_000;

/**
 * Attempts a client makes to reconnect: a client library tries again when a reconnect times
 * out (socket.io-client's reconnection does), so a server too busy to answer within
 * {@link OPEN_TIMEOUT_MS} is measured as slow, not as losing its clients.
 */
export const RECONNECT_ATTEMPTS = 5;

/**
 * Opens one client and resolves once the server has registered it, so that a push sent after
 * that reaches it: our module greets a registered connection with a `welcome` frame; the raw
 * server registers it before the upgrade completes; socket.io has joined the room when the
 * client sees `connect`.
 */
export async function openClient(
  protocol: Protocol,
  url: string,
  onStamp: OnStamp,
  localAddress?: string,
): Promise<BenchClient> {
  if (protocol === 'socket.io') return openSocketIo(url, onStamp);
  const client =
    protocol === 'ours'
      ? new OursClient(url, onStamp, localAddress)
      : new RawClient(url, onStamp, localAddress, protocol === 'raw-welcome');
  await client.open();
  return client;
}

/** A `ws` client; subclasses read the frames of their server. */
abstract class WsClient implements BenchClient {
  private ws: WebSocket | undefined;

  constructor(
    protected readonly url: string,
    protected readonly onStamp: OnStamp,
    /** The source address of its TCP connection: one address has only ~28 000 ports. */
    private readonly localAddress?: string,
  ) {}

  drop(): void {
    this.ws?.terminate();
  }

  async reconnect(): Promise<{ recovered: boolean }> {
    return { recovered: await this.open() };
  }

  sendFrames(first: number, count: number, frame: (n: number) => string): void {
    const ws = this.ws;
    if (!ws) return;
    // ws has no batch send; its TCP socket is a plain net.Socket, which cork batches.
    const socket = (ws as unknown as CorkableWebSocket)._socket;
    socket?.cork();
    for (let n = first; n < first + count; n++) ws.send(frame(n));
    socket?.uncork();
  }

  /** Connects to `url` (by default the client's own); resolves with whether it recovered. */
  open(url = this.url): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: this.localAddress });
      this.ws = ws;
      const fail = (err: Error): void => {
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error('open timed out')), OPEN_TIMEOUT_MS);
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      const ready = (recovered: boolean): void => {
        clearTimeout(timer);
        ws.off('error', fail);
        ws.on('error', () => undefined); // a reset during teardown or a drop is expected
        resolve(recovered);
      };
      this.listen(ws, ready);
    });
  }

  /** Counts what arrives on `ws`, and calls `ready` once the server registered it. */
  protected abstract listen(ws: WebSocket, ready: (recovered: boolean) => void): void;
}

/**
 * A client of the raw server: bare stamped payloads, registered at `open` (or, asked for a
 * welcome, once the welcome arrives), nothing to recover.
 */
class RawClient extends WsClient {
  constructor(
    url: string,
    onStamp: OnStamp,
    localAddress: string | undefined,
    private readonly welcomed: boolean,
  ) {
    super(url, onStamp, localAddress);
  }

  protected listen(ws: WebSocket, ready: (recovered: boolean) => void): void {
    ws.once(this.welcomed ? 'message' : 'open', () => ready(false));
    ws.on('message', (data) => {
      // Answers to the inbound scenario's requests carry no stamp.
      const { t } = JSON.parse(String(data));
      if (typeof t === 'number') this.onStamp(t);
    });
  }
}

/**
 * A `ws` client of our module. It keeps its position in the user's stream as the wire protocol
 * describes it (README, "Wire protocol"): the welcome's epoch, and the offset of the last stored
 * push, or the welcome's offset when nothing was recovered.
 */
class OursClient extends WsClient {
  private epoch: string | undefined;
  private offset = 0;

  override async reconnect(): Promise<{ recovered: boolean }> {
    if (this.epoch === undefined) return { recovered: await this.open() };
    const url = new URL(this.url);
    url.searchParams.set('since', String(this.offset));
    url.searchParams.set('epoch', this.epoch);
    return { recovered: await this.open(url.href) };
  }

  protected listen(ws: WebSocket, ready: (recovered: boolean) => void): void {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.event === 'message') {
        if (typeof frame.offset === 'number') this.offset = frame.offset;
        this.onStamp(frame.data.t);
      } else if (frame.event === 'welcome') {
        const { epoch, offset, recovered } = frame.data;
        this.epoch = epoch;
        // A recovered connection replays from the position it gave; otherwise the stream's
        // current position is where the pushes that follow start.
        if (recovered !== true && typeof offset === 'number') this.offset = offset;
        ready(recovered === true);
      }
    });
  }
}

/** The part of engine.io-client's WebSocket transport that the drop needs: its `ws` socket. */
interface EngineWebSocketTransport {
  ws?: WebSocket;
}

async function openSocketIo(url: string, onStamp: OnStamp): Promise<BenchClient> {
  const { origin, searchParams } = new URL(url);
  const socket = io(origin, {
    query: Object.fromEntries(searchParams),
    // WebSocket from the first packet, like the other clients (no HTTP long-polling upgrade).
    transports: ['websocket'],
    forceNew: true,
    // Reconnection is the harness's to start (`reconnect`), all clients at once; `connect()`
    // on the same socket reuses its Manager, which sends the session id and last offset.
    reconnection: false,
    timeout: OPEN_TIMEOUT_MS,
  });
  socket.on('message', (payload: { t: number }) => onStamp(payload.t));
  try {
    await socketIoConnected(socket);
  } catch (err) {
    socket.disconnect();
    throw err;
  }
  return {
    drop: () => {
      // socket.io-client has no abrupt close: `disconnect()` tells the server, which then
      // discards the session. Its transport's `ws` socket is a plain `ws` WebSocket.
      const transport = socket.io.engine?.transport as EngineWebSocketTransport | undefined;
      transport?.ws?.terminate();
    },
    sendFrames: () => {
      throw new Error('the inbound scenario has no socket.io client');
    },
    reconnect: async () => {
      const connected = socketIoConnected(socket);
      socket.connect();
      await connected;
      return { recovered: socket.recovered };
    },
  };
}

/** Resolves at the socket's next `connect`, rejects at its next `connect_error`. */
function socketIoConnected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onConnect = (): void => {
      socket.off('connect_error', onError);
      resolve();
    };
    const onError = (err: Error): void => {
      socket.off('connect', onConnect);
      reject(err);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}
