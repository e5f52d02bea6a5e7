import type { Welcome } from './chat-client-events.js';

/** A frame of the wire protocol: `{ "event": string, "data"?: any }`. */
export interface Envelope {
  event: string;
  data?: unknown;
}

/** Reads a text frame from the server; undefined when it is not a JSON envelope. */
export function parseEnvelope(text: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { event, data } = value as { event?: unknown; data?: unknown };
  return typeof event === 'string' && event !== '' ? { event, data } : undefined;
}

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
