import { EPOCH_PATTERN } from '../../src/protocol/index.js';
import type { StreamPosition } from './chat-client-events.js';
import { isOffset } from './server-frames.js';
import { resolveWebSocket, type WebSocketConstructor } from './web-socket.js';

/** Options of `new ChatClient(options)`. Only `url` is required. */
export interface ChatClientOptions {
  /**
   * The chat endpoint: `ws://` or `wss://`. In a browser it may also be relative to the page
   * (`'/ws'`) or `http(s)://`, and is turned into the matching `ws(s)://` URL.
   */
  url: string;
  /** A fixed token, sent as `?token=`. Use `getToken` instead when tokens expire. */
  token?: string;
  /**
   * Called before every connection attempt, the first one included, so that a reconnect after a
   * long outage carries a fresh token. A throw or rejection counts as a failed attempt: it is
   * reported as an `error` (`token_failed`) and retried with backoff.
   */
  getToken?: () => string | Promise<string>;
  /**
   * Query parameter that carries the token (the server's `queryParameter`).
   * @default 'token'
   */
  tokenParameter?: string;
  /**
   * The WebSocket implementation. Browsers and Node 22+ have a global one; in Node 20 pass
   * `WebSocket` from the `ws` package.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff: attempt n waits a random time in `[0, min(maxDelayMs, baseDelayMs·2ⁿ⁻¹))`. */
  reconnect?: {
    /** @default 500 */
    baseDelayMs?: number;
    /** @default 30000 */
    maxDelayMs?: number;
  };
  /**
   * Longest time one attempt may take, from calling `getToken()` to the server's welcome frame;
   * past it the attempt is abandoned and retried. A welcome that arrived while the client's event
   * loop was blocked past this time still counts: the client reads what is there first.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Longest wait for any frame after a heartbeat; past it the connection counts as dead and the
   * client reconnects. The heartbeat interval itself comes from the server's welcome frame.
   * @default 10000
   */
  heartbeatTimeoutMs?: number;
  /**
   * What `emit()` does while there is no connection: `'queue'` keeps the frame (up to
   * `maxQueued`) and sends it right after the next welcome; `'reject'` throws a
   * `ChatClientError` with code `not_connected`.
   * @default 'queue'
   */
  whileDisconnected?: 'queue' | 'reject';
  /**
   * Most frames kept while disconnected; `emit()` beyond it throws `queue_full`. They are sent at
   * once on reconnect, so keep it below the server's `rateLimit.burst` (60 by default).
   * @default 50
   */
  maxQueued?: number;
  /**
   * Where to resume the user's stream on the first connection, e.g. `client.position` saved in
   * `sessionStorage` before a page reload: the server then sends what came after it (and says in
   * the welcome whether it could). Later reconnects resume from where the client is.
   */
  position?: StreamPosition;
  /**
   * Where to resume each room's stream on the first connection, e.g. `client.roomPositions`
   * saved before a page reload.
   */
  roomPositions?: Record<string, StreamPosition>;
}

/** @internal The options with every default filled in and checked. */
export interface ResolvedChatClientOptions {
  url: URL;
  getToken: (() => string | Promise<string>) | undefined;
  tokenParameter: string;
  WebSocket: WebSocketConstructor;
  baseDelayMs: number;
  maxDelayMs: number;
  connectTimeoutMs: number;
  heartbeatTimeoutMs: number;
  whileDisconnected: 'queue' | 'reject';
  maxQueued: number;
  position: StreamPosition | undefined;
  roomPositions: Map<string, StreamPosition>;
}

/**
 * @internal Fills in the defaults and checks every option.
 * @throws TypeError naming the option that cannot work.
 */
export function resolveChatClientOptions(options: ChatClientOptions): ResolvedChatClientOptions {
  const { token, getToken } = options;
  if (token !== undefined && getToken !== undefined) {
    fail('"token" and "getToken" exclude each other; pass one');
  }
  if (token !== undefined && (typeof token !== 'string' || token === '')) {
    fail('"token" must be a non-empty string');
  }
  if (getToken !== undefined && typeof getToken !== 'function') {
    fail('"getToken" must be a function');
  }
  const baseDelayMs = integer('reconnect.baseDelayMs', options.reconnect?.baseDelayMs, 500, 1);
  const whileDisconnected = options.whileDisconnected ?? 'queue';
  if (whileDisconnected !== 'queue' && whileDisconnected !== 'reject') {
    fail(`"whileDisconnected" must be 'queue' or 'reject', got ${String(whileDisconnected)}`);
  }
  return {
    url: endpoint(options.url),
    getToken: token === undefined ? getToken : () => token,
    tokenParameter: options.tokenParameter ?? 'token',
    WebSocket: resolveWebSocket(options.WebSocket),
    baseDelayMs,
    maxDelayMs: integer(
      'reconnect.maxDelayMs',
      options.reconnect?.maxDelayMs,
      Math.max(30_000, baseDelayMs),
      baseDelayMs,
    ),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1),
    heartbeatTimeoutMs: integer('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 10_000, 1),
    whileDisconnected,
    maxQueued: integer('maxQueued', options.maxQueued, 50, 1),
    position: streamPosition(options.position),
    roomPositions: new Map(
      Object.entries(options.roomPositions ?? {}).map(([room, raw]) => {
        const position = streamPosition(raw);
        if (!position) fail(`"roomPositions" must map rooms to { epoch, offset }`);
        return [room, position];
      }),
    ),
  };
}

function streamPosition(raw: unknown): StreamPosition | undefined {
  if (raw === undefined) return undefined;
  const { epoch, offset } = (raw ?? {}) as { epoch?: unknown; offset?: unknown };
  if (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch) || !isOffset(offset)) {
    fail('"position" must be { epoch, offset } as the client gave it (client.position)');
  }
  return { epoch, offset };
}

function endpoint(raw: unknown): URL {
  if (typeof raw !== 'string') fail('"url" is required: the ws:// or wss:// chat endpoint');
  const page = (globalThis as { location?: { href: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(raw, page);
  } catch {
    fail(`"url" is not a valid URL: ${raw}`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    fail(`"url" must be a ws:// or wss:// URL, got ${raw}`);
  }
  url.hash = '';
  return url;
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(`"${name}" must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function fail(message: string): never {
  throw new TypeError(`ChatClient: option ${message}`);
}
