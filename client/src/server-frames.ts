// How the client reads the data of the server's frames, defensively: a foreign or newer server
// must not be able to make it throw. The frames themselves are defined in src/protocol.
import type { Welcome } from './chat-client-events.js';

/**
 * Reads the data of a welcome frame. A missing or unusable `heartbeatIntervalMs` becomes
 * `fallbackIntervalMs`: the heartbeat is what notices dead connections, so it never goes off.
 */
export function readWelcome(data: unknown, fallbackIntervalMs: number): Welcome | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const { user, connectionId, heartbeatIntervalMs } = data as Partial<
    Record<keyof Welcome, unknown>
  >;
  if (typeof user !== 'string' || typeof connectionId !== 'string') return undefined;
  const usable =
    typeof heartbeatIntervalMs === 'number' &&
    Number.isFinite(heartbeatIntervalMs) &&
    heartbeatIntervalMs >= 1;
  return {
    user,
    connectionId,
    heartbeatIntervalMs: usable ? heartbeatIntervalMs : fallbackIntervalMs,
  };
}

/** Reads the data of an error frame: `{ code, message }`. */
export function readServerError(data: unknown): { code: string; message: string } {
  const { code, message } = (data ?? {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : 'unknown',
    message: typeof message === 'string' ? message : 'the server reported an error',
  };
}
