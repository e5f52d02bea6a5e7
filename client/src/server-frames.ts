// How the client reads the data of the server's frames, defensively: a foreign or newer server
// must not be able to make it throw. The frames themselves are defined in src/protocol.
import { EPOCH_PATTERN } from '../../src/protocol/index.js';
import type { Welcome } from './chat-client-events.js';

/**
 * Reads the data of a welcome frame. A missing or unusable `heartbeatIntervalMs` becomes
 * `fallbackIntervalMs`: the heartbeat is what notices dead connections, so it never goes off.
 */
export function readWelcome(data: unknown, fallbackIntervalMs: number): Welcome | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const { user, connectionId, heartbeatIntervalMs, epoch, offset, recovered } = data as Partial<
    Record<keyof Welcome, unknown>
  >;
  if (typeof user !== 'string' || typeof connectionId !== 'string') return undefined;
  const usable =
    typeof heartbeatIntervalMs === 'number' &&
    Number.isFinite(heartbeatIntervalMs) &&
    heartbeatIntervalMs >= 1;
  const welcome: Welcome = {
    user,
    connectionId,
    heartbeatIntervalMs: usable ? heartbeatIntervalMs : fallbackIntervalMs,
  };
  // A stream position is used only whole: an epoch the server could take back, and an offset.
  if (typeof epoch === 'string' && EPOCH_PATTERN.test(epoch) && isOffset(offset)) {
    welcome.epoch = epoch;
    welcome.offset = offset;
  }
  if (typeof recovered === 'boolean') welcome.recovered = recovered;
  return welcome;
}

/** Whether `value` is an offset: an integer >= 0. */
export function isOffset(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Reads the data of an error frame: `{ code, message }`. */
export function readServerError(data: unknown): { code: string; message: string } {
  const { code, message } = (data ?? {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : 'unknown',
    message: typeof message === 'string' ? message : 'the server reported an error',
  };
}
