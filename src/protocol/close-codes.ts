/**
 * WebSocket close codes of the protocol. Codes below 4000 are the standard ones of RFC 6455 (some
 * sent by the gateway, some by `ws`, some only seen by clients); 4000–4999 are this module's own.
 * The client's retry policy has a rule for every one of them.
 */
export const CloseCode = {
  /** The connection did its job: closed on purpose, by either side. */
  NormalClosure: 1000,
  /** The server is shutting down; reconnect to another instance. */
  GoingAway: 1001,
  /** The peer broke the WebSocket protocol (sent by `ws`). */
  ProtocolError: 1002,
  /** The peer sent a kind of data the other side does not accept. */
  UnsupportedData: 1003,
  /** A close frame without a code (reported locally, never sent). */
  NoStatus: 1005,
  /** The connection ended without a close frame: a network failure, a crash, a termination. */
  Abnormal: 1006,
  /** A text frame was not valid UTF-8 (sent by `ws`). */
  InvalidPayload: 1007,
  /**
   * The client broke a limit: it kept sending past the rate limit, or sent a message in more
   * fragments than allowed.
   */
  PolicyViolation: 1008,
  /** A frame was larger than `maxPayloadBytes` (sent by `ws`). */
  MessageTooBig: 1009,
  /** The client required an extension the server does not offer. */
  MandatoryExtension: 1010,
  /** Unexpected server-side failure while setting up the connection. */
  InternalError: 1011,
  /** The server is restarting. */
  ServiceRestart: 1012,
  /** The server is overloaded; try again later. */
  TryAgainLater: 1013,
  /** A gateway or proxy got no valid answer from the server. */
  BadGateway: 1014,
  /** A newer connection of the same user replaced this one. Do not reconnect automatically. */
  Replaced: 4000,
  /** The connection's credentials expired (`closeOnTokenExpiry`); reconnect with a fresh token. */
  TokenExpired: 4001,
  /** The application ended the user's session (`MessagingService.disconnect`): do not reconnect. */
  Kicked: 4003,
  /** The client read too slowly and its outbound queue passed the high-water mark. */
  SlowConsumer: 4008,
  /**
   * The server could not keep this connection's stream without a gap (it missed pushes it could
   * not fill from the history, or the stream's storage was lost). Reconnect with the position to
   * recover; the welcome says whether that worked.
   */
  Resync: 4010,
} as const;

/** One of the {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
