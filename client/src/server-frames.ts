// How the client reads the data of the server's frames, defensively: a foreign or newer server
// must not be able to make it throw. The frames themselves are defined in src/protocol.
import { EPOCH_PATTERN, type RoomPosition } from '../../src/protocol/index.js';
import type { RoomChange, Welcome } from './chat-client-events.js';

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
  const rooms = readRooms((data as { rooms?: unknown }).rooms);
  if (rooms) welcome.rooms = rooms;
  return welcome;
}

/** The rooms of a welcome, keeping only well-formed positions. */
function readRooms(raw: unknown): Record<string, RoomPosition> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const rooms: Record<string, RoomPosition> = {};
  for (const [room, value] of Object.entries(raw)) {
    const { epoch, offset, recovered } = (value ?? {}) as Record<string, unknown>;
    if (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch) || !isOffset(offset)) continue;
    rooms[room] = typeof recovered === 'boolean' ? { epoch, offset, recovered } : { epoch, offset };
  }
  return rooms;
}

/** Reads the data of a `room` frame; undefined when it is not one. */
export function readRoomChange(data: unknown): RoomChange | undefined {
  const { room, member, epoch, offset } = (data ?? {}) as Record<string, unknown>;
  if (typeof room !== 'string' || typeof member !== 'boolean') return undefined;
  if (member && typeof epoch === 'string' && EPOCH_PATTERN.test(epoch) && isOffset(offset)) {
    return { room, member, epoch, offset };
  }
  return { room, member };
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
