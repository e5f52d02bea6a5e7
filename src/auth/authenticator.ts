import type { IncomingMessage } from 'node:http';

/** Who a handshake belongs to, as decided by {@link Authenticator}. */
export interface ChatPrincipal {
  /** The user id the connection is registered under. */
  user: string;
  /** When the credentials stop being valid, in epoch milliseconds (e.g. a JWT's `exp`). */
  expiresAt?: number;
}

/** What an authenticator returns: a user id, a principal, or nothing to refuse the handshake. */
export type AuthenticationResult = string | ChatPrincipal | null | undefined;

/**
 * Decides who an upgrade request belongs to, before any WebSocket is opened. Returning `null` or
 * `undefined` refuses the handshake with HTTP 401. A throw (or rejection) answers HTTP 500 and is
 * logged, because it means the authenticator itself is broken.
 */
export type Authenticator = (
  request: IncomingMessage,
) => AuthenticationResult | Promise<AuthenticationResult>;
