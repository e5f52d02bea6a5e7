import { CloseCode, type CloseCodeValue } from '../../src/protocol/index.js';

/** What the client does after a connection ended. */
export type AfterClose =
  /** Reconnect with exponential backoff. */
  | 'retry'
  /** Reconnect, but only after a long wait: the server asked the client to slow down. */
  | 'slow-down'
  /** Stop for good: reconnecting cannot help. */
  | 'stop';

/** The client's rule for one close code, and why. */
export interface CloseRule {
  after: AfterClose;
  why: string;
}

/**
 * The rule for every close code of the protocol. A code the server may add later, or a proxy may
 * send, is retried with backoff, like 1006 (no close frame: network failure, server crash).
 */
export const CLOSE_RULES: Readonly<Record<CloseCodeValue, CloseRule>> = {
  [CloseCode.NormalClosure]: { after: 'retry', why: 'closed without a reason the client knows' },
  [CloseCode.GoingAway]: { after: 'retry', why: 'the server is shutting down' },
  [CloseCode.ProtocolError]: {
    after: 'stop',
    why: 'protocol error: the client broke the WebSocket protocol',
  },
  [CloseCode.UnsupportedData]: {
    after: 'stop',
    why: 'unsupported data: the client sent a kind of frame the server does not take',
  },
  [CloseCode.NoStatus]: { after: 'retry', why: 'closed without a code' },
  [CloseCode.Abnormal]: { after: 'retry', why: 'no close frame: network failure or crash' },
  [CloseCode.InvalidPayload]: {
    after: 'stop',
    why: 'invalid payload: the client sent a text frame that is not valid UTF-8',
  },
  [CloseCode.PolicyViolation]: {
    after: 'slow-down',
    why: 'policy violation: the client sent too much, too fast',
  },
  [CloseCode.MessageTooBig]: {
    after: 'stop',
    why: 'message too big: the client sent a frame over the server limit',
  },
  [CloseCode.MandatoryExtension]: {
    after: 'stop',
    why: 'the server does not offer an extension the client requires',
  },
  [CloseCode.InternalError]: { after: 'retry', why: 'the server failed' },
  [CloseCode.ServiceRestart]: { after: 'retry', why: 'the server is restarting' },
  [CloseCode.TryAgainLater]: { after: 'retry', why: 'the server is overloaded' },
  [CloseCode.BadGateway]: { after: 'retry', why: 'a proxy got no valid answer' },
  [CloseCode.Replaced]: {
    after: 'stop',
    why: 'replaced: a newer connection of the same user took over',
  },
  [CloseCode.TokenExpired]: { after: 'retry', why: 'the token expired: retry with a fresh one' },
  [CloseCode.Kicked]: { after: 'stop', why: 'the application ended the session (logout, ban)' },
  [CloseCode.SlowConsumer]: {
    after: 'retry',
    why: 'slow consumer: the backlog is gone on reconnect',
  },
  [CloseCode.Resync]: {
    after: 'retry',
    why: 'the stream fell out of step: reconnect with the position to recover',
  },
};

function codesWhere(after: AfterClose): ReadonlyMap<number, string> {
  return new Map(
    Object.entries(CLOSE_RULES)
      .filter(([, rule]) => rule.after === after)
      .map(([code, rule]) => [Number(code), rule.why]),
  );
}

/** Close codes after which reconnecting cannot help, so the client stops. */
export const FINAL_CLOSE_CODES: ReadonlyMap<number, string> = codesWhere('stop');

/**
 * Close codes after which the client reconnects only after a long wait, between half of and the
 * whole `reconnect.maxDelayMs`: the server closed it for sending too much (the gateway's rate
 * limit), and reconnecting at once would only repeat that.
 */
export const SLOW_DOWN_CLOSE_CODES: ReadonlyMap<number, string> = codesWhere('slow-down');

/**
 * HTTP statuses of a refused handshake after which the client stops: the server does not accept
 * the credentials (401) or the page's origin (403), and the token `getToken()` just returned is as
 * fresh as it gets. Only visible where the WebSocket implementation reports the status (`ws` in
 * Node); other statuses (503 while a server shuts down, 429 over a connection limit, 502 from a
 * proxy) are retried.
 */
export const FINAL_HANDSHAKE_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/** What to do after a connection ended with close code `code`. */
export function afterClose(code: number): AfterClose {
  return CLOSE_RULES[code as CloseCodeValue]?.after ?? 'retry';
}

/** What to do after a handshake was refused with HTTP `status`. */
export function afterRefusedHandshake(status: number): AfterClose {
  return FINAL_HANDSHAKE_STATUSES.has(status) ? 'stop' : 'retry';
}
