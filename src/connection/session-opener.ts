import type { ChatConnection } from './chat-connection.js';
import type { Recovery } from './handshake/recovery-position.js';

/**
 * @internal Starts a registered connection's session: its welcome, and with history the replay of
 * what it missed. The delivery layer provides it (under {@link SESSION_OPENER}); the gateway only
 * registers the connection and hands it over.
 */
export interface SessionOpener {
  /** @param recovery the positions the client asked to recover from, if any */
  open(connection: ChatConnection, recovery: Recovery): void;
}

/** @internal Injection token of the {@link SessionOpener}. */
export const SESSION_OPENER = Symbol('nest-chat-gateway:session-opener');
