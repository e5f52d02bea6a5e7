/** @internal Injection token of the options object given to `forRoot` / `forRootAsync`. */
export const CHAT_MODULE_OPTIONS = Symbol('nest-chat-gateway:module-options');

/** @internal Injection token of the validated options with every default filled in. */
export const CHAT_OPTIONS = Symbol('nest-chat-gateway:resolved-options');

/** @internal Injection token of the {@link ChatTransport} in use. */
export const CHAT_TRANSPORT = Symbol('nest-chat-gateway:transport');

/**
 * @internal Key in the `@WebSocketGateway` metadata that tells `ChatWsAdapter` which gateway is
 * the chat gateway; the adapter builds that server from the module options instead.
 */
export const CHAT_GATEWAY_FLAG = 'nestChatGateway';

/**
 * WebSocket close codes the gateway sends. Codes below 4000 are the standard ones of RFC 6455;
 * 4000–4999 are this module's own.
 */
export const CloseCode = {
  /** The server is shutting down; reconnect to another instance. */
  GoingAway: 1001,
  /** The peer broke the WebSocket protocol (sent by `ws`). */
  ProtocolError: 1002,
  /** A text frame was not valid UTF-8 (sent by `ws`). */
  InvalidPayload: 1007,
  /**
   * The client broke a limit: it kept sending past the rate limit, or sent a message in more
   * fragments than allowed.
   */
  PolicyViolation: 1008,
  /** A frame was larger than `maxPayloadBytes` (sent by `ws`). */
  MessageTooBig: 1009,
  /** Unexpected server-side failure while setting up the connection. */
  InternalError: 1011,
  /** A newer connection of the same user replaced this one. Do not reconnect automatically. */
  Replaced: 4000,
  /** The connection's credentials expired (`closeOnTokenExpiry`); reconnect with a fresh token. */
  TokenExpired: 4001,
  /** The application ended the user's session (`MessagingService.disconnect`): do not reconnect. */
  Kicked: 4003,
  /** The client read too slowly and its outbound queue passed the high-water mark. */
  SlowConsumer: 4008,
} as const;

/** Codes carried by `{"event":"error","data":{"code":…}}` frames. */
export const ErrorCode = {
  /** The text frame was not valid JSON. */
  BadJson: 'bad_json',
  /** The JSON was not an object with a string `event`. */
  BadEnvelope: 'bad_envelope',
  /** A binary frame arrived; the protocol is JSON text only. */
  UnsupportedFrame: 'unsupported_frame',
  /** The JSON nests deeper than 64 levels. */
  TooDeep: 'too_deep',
  /** Frames arrive faster than the rate limit; they are dropped until the client slows down. */
  RateLimited: 'rate_limited',
} as const;

export type ChatErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Event names the server uses on the wire. */
export const ServerEvent = {
  Welcome: 'welcome',
  Message: 'message',
  Heartbeat: 'heartbeat',
  Error: 'error',
} as const;
