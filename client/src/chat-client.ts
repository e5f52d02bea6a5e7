import { backoffDelay, slowDownDelay } from './backoff.js';
import { ChatClientError } from './chat-client-error.js';
import type {
  ChatClientEvents,
  ChatClientState,
  CloseInfo,
  Push,
  StreamPosition,
  Welcome,
} from './chat-client-events.js';
import {
  resolveChatClientOptions,
  type ChatClientOptions,
  type ResolvedChatClientOptions,
} from './chat-client-options.js';
import { Heartbeat } from './heartbeat.js';
import { Listeners, type Listener } from './listeners.js';
import { Outbox } from './outbox.js';
import { afterClose, afterRefusedHandshake, type AfterClose } from './retry-policy.js';
import {
  ClientEvent,
  CloseCode,
  encodeRoomPositions,
  MAX_REQUEST_ID_LENGTH,
  MAX_ROOM_POSITIONS_LENGTH,
  parseEnvelope,
  RecoveryParameter,
  ServerEvent,
  type ServerFrame,
} from '../../src/protocol/index.js';
import { readRoomChange, readServerError, readWelcome } from './server-frames.js';
import { OPEN, refusedHandshakeStatus, type WebSocketLike } from './web-socket.js';

const HEARTBEAT_FRAME = JSON.stringify({ event: ClientEvent.Heartbeat });
/** The server's default, for a welcome frame that names no interval. */
const FALLBACK_HEARTBEAT_INTERVAL_MS = 25_000;
const NORMAL_CLOSURE = CloseCode.NormalClosure;
/** What a socket that ended without a close frame reports, and what abandoned sockets report. */
const ABNORMAL_CLOSURE = CloseCode.Abnormal;

/**
 * A client of the chat gateway for browsers and Node: one logical connection that survives
 * network failures and server restarts.
 *
 * It reconnects with exponential backoff and full jitter, asks `getToken()` for a token before
 * every attempt, sends heartbeats at the interval the server's welcome names and reconnects when
 * they go unanswered, and stops for good on a close code that forbids retrying (4000: another
 * tab or device took over). Frames emitted while disconnected are queued or rejected.
 *
 * Pushes from a server with history come exactly once and in order: the client tracks its
 * position in the user's stream, reconnects with it, drops any duplicate, and tells in each
 * welcome whether a reconnect `recovered` everything it missed. Frames the client emits are at
 * most once: one sent just before a connection dies may be lost.
 *
 * @typeParam M the type of the pushes the application expects (not checked at run time)
 */
export class ChatClient<M = unknown> {
  private readonly options: ResolvedChatClientOptions;
  private readonly listeners = new Listeners<ChatClientEvents<M>>();
  private readonly outbox: Outbox;
  private readonly heartbeat: Heartbeat;
  private currentState: ChatClientState = 'idle';
  /** The socket of the current attempt or connection; events of any other socket are stale. */
  private socket: WebSocketLike | undefined;
  private welcome: Welcome | undefined;
  /** Where the client is in the user's stream; undefined until a server with history says. */
  private streamPosition: StreamPosition | undefined;
  /** Where it is in each room's stream, the most recently moved last. */
  private readonly rooms: Map<string, StreamPosition>;
  /** HTTP status of the current socket's refused handshake, when the implementation tells. */
  private refusedStatus: number | undefined;
  /** Number of the retry in progress; back to 0 on every welcome. */
  private attempt = 0;
  /** Identifies the current attempt, so that a late `getToken()` answer can tell it is stale. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests without their answer yet, by id: sent again, with the same id, after a reconnect. */
  private readonly requests = new Map<string, PendingRequest>();

  /** @throws TypeError when an option cannot work (the message names it). */
  constructor(options: ChatClientOptions) {
    this.options = resolveChatClientOptions(options);
    this.streamPosition = this.options.position;
    this.rooms = this.options.roomPositions;
    this.outbox = new Outbox(this.options.maxQueued);
    this.heartbeat = new Heartbeat(
      () => this.socket?.send(HEARTBEAT_FRAME),
      () =>
        this.abandon(`heartbeat timeout: no frame within ${this.options.heartbeatTimeoutMs} ms`),
    );
  }

  /** Where the client stands; see {@link ChatClientState}. */
  get state(): ChatClientState {
    return this.currentState;
  }

  /** The welcome of the live connection (user, connection id), while connected. */
  get session(): Welcome | undefined {
    return this.welcome;
  }

  /** Number of frames waiting for the next connection. */
  get queued(): number {
    return this.outbox.size;
  }

  /**
   * Where the client is in the user's stream: the epoch and the offset of the last push it
   * received. Save it (e.g. in `sessionStorage`) and pass it as the `position` option to resume
   * after a page reload. Undefined until a server with history has welcomed the client.
   */
  get position(): StreamPosition | undefined {
    return this.streamPosition;
  }

  /**
   * Where the client is in each of the user's rooms, as `position` is for the user's own stream:
   * save it with `position` and pass it as `roomPositions` to resume after a reload.
   */
  get roomPositions(): Record<string, StreamPosition> {
    return Object.fromEntries(this.rooms);
  }

  /**
   * Starts connecting. Register listeners first. Does nothing unless the client is `idle`.
   * @throws ChatClientError `closed` after `close()`: a closed client stays closed.
   */
  connect(): this {
    if (this.currentState === 'closed') {
      throw new ChatClientError('closed', 'ChatClient: the client is closed; create a new one');
    }
    if (this.currentState === 'idle') {
      this.currentState = 'connecting';
      this.open();
    }
    return this;
  }

  /** Adds a listener. Listeners run in the order they were added. */
  on<K extends keyof ChatClientEvents<M>>(
    event: K,
    listener: Listener<ChatClientEvents<M>, K>,
  ): this {
    this.listeners.add(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof ChatClientEvents<M>>(
    event: K,
    listener: Listener<ChatClientEvents<M>, K>,
  ): this {
    this.listeners.delete(event, listener);
    return this;
  }

  /**
   * Sends `{"event":event,"data":data}` to the server; the application receives it on
   * `incoming$`. The frame is serialized now, so later changes to `data` do not affect it.
   *
   * @returns `'sent'` when handed to the live socket, `'queued'` when kept for the next
   *   connection (`whileDisconnected: 'queue'`).
   * @throws TypeError for an empty or reserved (`heartbeat`) event, or data with no JSON form.
   * @throws ChatClientError `not_connected` (option `'reject'`), `queue_full`, or `closed`.
   */
  emit(event: string, data?: unknown): 'sent' | 'queued' {
    if (typeof event !== 'string' || event === '') {
      throw new TypeError('ChatClient.emit: the event must be a non-empty string');
    }
    if (event === ClientEvent.Heartbeat) {
      throw new TypeError('ChatClient.emit: "heartbeat" is reserved; the client sends it itself');
    }
    if (this.currentState === 'closed') {
      throw new ChatClientError('closed', 'ChatClient.emit: the client is closed');
    }
    const frame = JSON.stringify({ event, data });
    if (this.currentState === 'connected' && this.socket?.readyState === OPEN) {
      this.socket.send(frame);
      return 'sent';
    }
    if (this.options.whileDisconnected === 'reject') {
      throw new ChatClientError('not_connected', 'ChatClient.emit: not connected');
    }
    if (!this.outbox.push(frame)) {
      throw new ChatClientError(
        'queue_full',
        `ChatClient.emit: not connected and ${this.options.maxQueued} frames are already queued`,
      );
    }
    return 'queued';
  }

  /**
   * Sends a request `{"event":event,"data":data,"id":…}` and resolves with the `data` of the
   * server's answer (the handler's return value), or rejects with a `ChatClientError`:
   * `request_failed` when the handler answered an error (`serverCode`: `invalid`, `forbidden`,
   * `unknown_event`, `internal`…), `timeout` when no answer came within `timeoutMs`, `closed`.
   * While disconnected it waits for the next connection; a request whose connection died before
   * the answer is sent again with the same id, which the server answers without running the
   * handler twice. Give your own `id` to retry across page reloads too.
   *
   * Rejects with a `TypeError` for an empty or reserved event, an `id` that is not a string of
   * 1–64 characters, or an `id` that a request of this client is still waiting with.
   */
  request<R = unknown>(
    event: string,
    data?: unknown,
    { timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, id: ownId }: ChatRequestOptions = {},
  ): Promise<R> {
    if (
      typeof event !== 'string' ||
      event === '' ||
      event === ClientEvent.Heartbeat ||
      event === ClientEvent.Ack
    ) {
      return Promise.reject(
        new TypeError('ChatClient.request: the event must be a non-empty string, not reserved'),
      );
    }
    if (this.currentState === 'closed') {
      return Promise.reject(
        new ChatClientError('closed', 'ChatClient.request: the client is closed'),
      );
    }
    if (
      ownId !== undefined &&
      (typeof ownId !== 'string' || ownId.length < 1 || ownId.length > MAX_REQUEST_ID_LENGTH)
    ) {
      return Promise.reject(
        new TypeError(
          `ChatClient.request: option "id" must be a string of 1-${MAX_REQUEST_ID_LENGTH} characters, got ${describe(ownId)}`,
        ),
      );
    }
    if (ownId !== undefined && this.requests.has(ownId)) {
      // Both would wait for one answer under one key; the first would never settle.
      return Promise.reject(
        new TypeError(
          `ChatClient.request: option "id": a request with id "${ownId}" is still waiting for its answer`,
        ),
      );
    }
    const id = ownId ?? requestId();
    const frame = JSON.stringify({ event, data, id });
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(
          new ChatClientError(
            'timeout',
            `ChatClient.request: no answer to "${event}" within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.requests.set(id, { frame, resolve: resolve as (value: unknown) => void, reject, timer });
      if (this.currentState === 'connected' && this.socket?.readyState === OPEN)
        this.socket.send(frame);
    });
  }

  /**
   * Stops for good: closes the connection with 1000, cancels any pending retry and drops the
   * queued frames. A `close` event follows only if a socket was open or opening.
   */
  close(): void {
    if (this.currentState === 'closed') return;
    const socket = this.socket;
    this.stop();
    if (socket) {
      socket.close(NORMAL_CLOSURE);
      this.listeners.dispatch('close', {
        code: NORMAL_CLOSURE,
        reason: 'closed by the client',
        willReconnect: false,
      });
    }
  }

  /**
   * Starts one connection attempt: a token, a socket, the welcome. The connect timeout covers all
   * three, so a `getToken()` that hangs cannot stall the client either.
   */
  private open(): void {
    const generation = ++this.generation;
    this.connectTimer = setTimeout(() => this.lookAgainLater(), this.options.connectTimeoutMs);
    void this.fetchTokenAndDial(generation);
  }

  /**
   * The connect timeout, once more after what is ready to read: a timer that is due while the
   * event loop is blocked (a busy process, a throttled tab) runs before the socket is read, and
   * the welcome may be there already. Without this look, a stalled client gives up attempts the
   * server has answered and makes the storm it is part of bigger.
   */
  private lookAgainLater(): void {
    this.connectTimer = setTimeout(() => this.timedOut(), 0);
  }

  /** It never rejects. */
  private async fetchTokenAndDial(generation: number): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.options.getToken?.();
      if (this.options.getToken && (typeof token !== 'string' || token === '')) {
        throw new TypeError(`getToken() must return a non-empty string, got ${typeof token}`);
      }
    } catch (err) {
      if (generation !== this.generation) return;
      this.failedBeforeDial(
        new ChatClientError('token_failed', `ChatClient: ${messageOf(err)}`, { cause: err }),
      );
      return;
    }
    if (generation === this.generation) this.dial(token);
  }

  private timedOut(): void {
    const reason = `connect timeout: no welcome within ${this.options.connectTimeoutMs} ms`;
    if (this.socket) {
      this.abandon(reason);
      return;
    }
    // Still waiting for getToken(): make its late answer stale.
    this.generation++;
    this.failedBeforeDial(
      new ChatClientError('token_failed', `ChatClient: getToken() did not settle (${reason})`),
    );
  }

  /** An attempt failed before it had a socket, so no close event: report it and retry. */
  private failedBeforeDial(error: ChatClientError): void {
    clearTimeout(this.connectTimer);
    this.listeners.dispatch('error', error);
    // An error listener may have called close().
    if (this.currentState !== 'closed') this.retry();
  }

  private dial(token: string | undefined): void {
    const url = new URL(this.options.url);
    if (token !== undefined) url.searchParams.set(this.options.tokenParameter, token);
    if (this.streamPosition) {
      url.searchParams.set(RecoveryParameter.Since, String(this.streamPosition.offset));
      url.searchParams.set(RecoveryParameter.Epoch, this.streamPosition.epoch);
    }
    const rooms = this.roomsToResume();
    if (rooms) url.searchParams.set(RecoveryParameter.Rooms, rooms);
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(url.href);
    } catch (err) {
      // Not expected once the options have checked the URL; if an implementation throws anyway,
      // it is a failed attempt like any other, retried at most every maxDelayMs.
      this.failedBeforeDial(
        new ChatClientError('socket_error', `ChatClient: ${messageOf(err)}`, { cause: err }),
      );
      return;
    }
    this.socket = socket;
    this.refusedStatus = undefined;
    // Listeners stay on an abandoned socket (removing the error listener of a `ws` socket would
    // make its late errors throw); each checks that its socket is still the current one.
    socket.addEventListener('open', () => {
      if (socket === this.socket) this.listeners.dispatch('open', undefined);
    });
    socket.addEventListener('message', ({ data }) => {
      if (socket === this.socket) this.receive(socket, data);
    });
    socket.addEventListener('error', (event) => {
      if (socket === this.socket) this.failed(event);
    });
    socket.addEventListener('close', ({ code, reason }) => {
      if (socket !== this.socket) return;
      const status = this.refusedStatus;
      if (status === undefined) {
        this.ended({ code, reason }, afterClose(code));
      } else {
        this.ended(
          { code, reason: reason || `handshake refused: HTTP ${status}` },
          afterRefusedHandshake(status),
        );
      }
    });
  }

  private receive(socket: WebSocketLike, data: unknown): void {
    this.heartbeat.received();
    // The protocol is JSON text only; a binary frame would come from a foreign server.
    if (typeof data !== 'string') return;
    const frame = parseEnvelope(data);
    if (!frame) {
      this.listeners.dispatch(
        'error',
        new ChatClientError('bad_frame', 'ChatClient: the server sent a frame that is not JSON'),
      );
      return;
    }
    switch (frame.event) {
      case ServerEvent.Welcome:
        return this.welcomed(socket, frame.data);
      case ServerEvent.Room: {
        const change = readRoomChange(frame.data);
        if (!change) return;
        const known = this.rooms.get(change.room);
        if (!change.member) this.rooms.delete(change.room);
        else if (change.epoch !== undefined && known?.epoch !== change.epoch) {
          // A join the client already follows (its pushes came first) keeps its position.
          this.moveRoom(change.room, change.epoch, change.offset!);
        }
        return this.listeners.dispatch('room', change);
      }
      case ServerEvent.Error: {
        const { code, message } = readServerError(frame.data);
        return this.listeners.dispatch(
          'error',
          new ChatClientError('server_error', `ChatClient: the server said: ${message}`, {
            serverCode: code,
          }),
        );
      }
      case ServerEvent.Heartbeat:
        // Its answer only proves liveness, recorded above.
        return;
      case ServerEvent.Ack:
        return this.answered(frame);
      default:
        return this.pushed(frame);
    }
  }

  /** The room positions to send back: the most recently moved first, as many as fit. */
  private roomsToResume(): string | undefined {
    const entries = [...this.rooms].reverse();
    while (entries.length > 0) {
      const encoded = encodeRoomPositions(Object.fromEntries(entries));
      if (encoded.length <= MAX_ROOM_POSITIONS_LENGTH) return encoded;
      entries.length = Math.floor(entries.length * 0.9);
    }
    return undefined;
  }

  /** Records a room's position, as the most recently moved. */
  private moveRoom(room: string, epoch: string, offset: number): void {
    this.rooms.delete(room);
    this.rooms.set(room, { epoch, offset });
  }

  /** The answer to one of this client's requests. */
  private answered({ id, data, error }: ServerFrame): void {
    const request = id === undefined ? undefined : this.requests.get(id);
    if (!request) return;
    this.requests.delete(id!);
    clearTimeout(request.timer);
    if (error) {
      request.reject(
        new ChatClientError('request_failed', `ChatClient: the server said: ${error.message}`, {
          serverCode: error.code,
        }),
      );
    } else {
      request.resolve(data);
    }
  }

  /** A push: a stored one moves the position, and one the client already has is dropped. */
  private pushed(frame: ServerFrame): void {
    // A push that asks to be confirmed is confirmed on arrival, duplicates included.
    if (frame.id !== undefined) {
      this.socket?.send(JSON.stringify({ event: ClientEvent.Ack, id: frame.id }));
    }
    const { room, offset, epoch } = frame;
    if (room !== undefined) {
      const position = this.rooms.get(room);
      if (offset !== undefined && epoch !== undefined) {
        if (position?.epoch === epoch && offset <= position.offset) return;
        this.moveRoom(room, epoch, offset);
      }
    } else if (this.streamPosition && offset !== undefined) {
      if (offset <= this.streamPosition.offset) return;
      this.streamPosition = { epoch: this.streamPosition.epoch, offset };
    }
    const push: Push<M> = { event: frame.event, data: frame.data as M };
    if (room !== undefined) push.room = room;
    if (frame.event === ServerEvent.Message && room === undefined) {
      this.listeners.dispatch('message', push.data);
    }
    this.listeners.dispatch('push', push);
  }

  private welcomed(socket: WebSocketLike, data: unknown): void {
    const welcome = readWelcome(data, FALLBACK_HEARTBEAT_INTERVAL_MS);
    if (!welcome) {
      // Ignored: without a welcome the connect timeout ends this attempt.
      this.listeners.dispatch(
        'error',
        new ChatClientError('bad_frame', 'ChatClient: the welcome frame lacks user or id'),
      );
      return;
    }
    clearTimeout(this.connectTimer);
    this.attempt = 0;
    this.currentState = 'connected';
    this.welcome = welcome;
    if (welcome.epoch === undefined) {
      this.streamPosition = undefined;
    } else if (welcome.recovered !== true) {
      // Not recovered (or not asked): the stream goes on from where it stands now. When it did
      // recover, the missed pushes follow and move the position themselves.
      this.streamPosition = { epoch: welcome.epoch, offset: welcome.offset! };
    }
    // The same for each room; rooms the user left meanwhile are forgotten.
    const rooms = welcome.rooms ?? {};
    for (const room of [...this.rooms.keys()]) if (!(room in rooms)) this.rooms.delete(room);
    for (const [room, { epoch, offset, recovered }] of Object.entries(rooms)) {
      if (recovered !== true) this.moveRoom(room, epoch, offset);
    }
    this.heartbeat.start(welcome.heartbeatIntervalMs, this.options.heartbeatTimeoutMs);
    for (const frame of this.outbox.drain()) socket.send(frame);
    for (const { frame } of this.requests.values()) socket.send(frame);
    this.listeners.dispatch('welcome', welcome);
  }

  /** An error event of the current socket; its close event follows and decides what happens. */
  private failed(event: { message?: unknown }): void {
    this.refusedStatus = refusedHandshakeStatus(event);
    this.listeners.dispatch('error', socketError(event.message, this.refusedStatus));
  }

  /** Gives up on the current socket, which looks open but is not answering, and retries. */
  private abandon(reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.ended({ code: ABNORMAL_CLOSURE, reason }, 'retry');
    socket.close(NORMAL_CLOSURE);
  }

  /** The current socket ended: report it, then retry or stop as `next` says. */
  private ended(info: Omit<CloseInfo, 'willReconnect'>, next: AfterClose): void {
    this.release();
    if (next === 'stop') {
      this.stop();
    } else {
      this.currentState = 'reconnecting';
    }
    this.listeners.dispatch('close', { ...info, willReconnect: next !== 'stop' });
    // A close listener may have called close().
    if (this.currentState === 'reconnecting') this.retry(next === 'slow-down');
  }

  private retry(slowDown = false): void {
    this.attempt++;
    const { baseDelayMs, maxDelayMs } = this.options;
    const delayMs = slowDown
      ? slowDownDelay(maxDelayMs)
      : backoffDelay(this.attempt, baseDelayMs, maxDelayMs);
    this.currentState = 'reconnecting';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delayMs);
    this.listeners.dispatch('reconnecting', { attempt: this.attempt, delayMs });
  }

  /** Forgets the current socket and its timers. */
  private release(): void {
    this.socket = undefined;
    this.welcome = undefined;
    this.heartbeat.stop();
    clearTimeout(this.connectTimer);
  }

  private stop(): void {
    this.release();
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.outbox.drain();
    this.currentState = 'closed';
    for (const [id, request] of this.requests) {
      clearTimeout(request.timer);
      this.requests.delete(id);
      request.reject(new ChatClientError('closed', 'ChatClient.request: the client closed'));
    }
  }
}

/** How long `request()` waits for an answer by default. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Options of {@link ChatClient.request}. */
export interface ChatRequestOptions {
  /**
   * How long to wait for the answer, across reconnects.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * The request's id, 1–64 characters: the server answers a repeated id (from the same user,
   * within its idempotency window) without running the handler again, so a page that saves it
   * can retry after a reload. By default a random one.
   */
  id?: string;
}

interface PendingRequest {
  frame: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A request id unique enough across reloads and devices: 24 random base-36 characters. */
function requestId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let id = '';
  for (const byte of bytes) id += byte.toString(36).padStart(2, '0');
  return id.slice(0, 24);
}

function socketError(message: unknown, status: number | undefined): ChatClientError {
  if (status !== undefined) {
    return new ChatClientError(
      'handshake_refused',
      `ChatClient: handshake refused: HTTP ${status}`,
      {
        status,
      },
    );
  }
  const detail = typeof message === 'string' ? `: ${message}` : '';
  return new ChatClientError('socket_error', `ChatClient: WebSocket error${detail}`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `${value.length} characters` : typeof value;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
