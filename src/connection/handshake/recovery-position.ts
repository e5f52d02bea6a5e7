import { isValidUserId } from '../../auth/user-id.js';
import {
  EPOCH_PATTERN,
  MAX_ROOM_POSITIONS_LENGTH,
  RecoveryParameter,
} from '../../protocol/frames.js';
import type { StreamCursor } from '../held-frame.js';

/** Offsets the server accepts back: a non-negative integer of at most 15 digits. */
const OFFSET_PATTERN = /^(0|[1-9]\d{0,14})$/;

/** @internal The positions a handshake asks to recover from. */
export interface Recovery {
  /** In the user's own stream (`?since=&epoch=`). */
  user?: StreamCursor;
  /** In the user's rooms' streams (`?rooms=`). */
  rooms?: ReadonlyMap<string, StreamCursor>;
}

/** @internal The positions a handshake asks to recover from, or why they are unusable. */
export type RecoveryRequest = { recovery: Recovery } | { problem: string };

/**
 * @internal Reads `?since=<offset>&epoch=<epoch>` and `?rooms=<positions>` from an upgrade
 * request's URL. `since` and `epoch` go together; a value that is not an offset or an epoch as
 * the server makes them (a negative or fractional or huge offset, an epoch of thousands of
 * characters), or room positions that do not decode, is a problem, answered 400. URLs without
 * any of them pay only for a substring search.
 */
export function readRecoveryRequest(url: string | undefined): RecoveryRequest {
  if (!url || !mentionsRecovery(url)) return { recovery: {} };
  let query: URLSearchParams;
  try {
    query = new URL(url, 'http://localhost').searchParams;
  } catch {
    return { problem: 'the URL cannot be read' };
  }
  const recovery: Recovery = {};
  const since = query.get(RecoveryParameter.Since);
  const epoch = query.get(RecoveryParameter.Epoch);
  if (since !== null || epoch !== null) {
    if (since === null || epoch === null) {
      return { problem: '"since" and "epoch" go together: give both or neither' };
    }
    const position = readPosition(epoch, since);
    if (typeof position === 'string') return { problem: position };
    recovery.user = position;
  }
  const rooms = query.get(RecoveryParameter.Rooms);
  if (rooms !== null) {
    const positions = readRoomPositions(rooms);
    if (typeof positions === 'string') return { problem: positions };
    recovery.rooms = positions;
  }
  return { recovery };
}

/** `since=`, `epoch=`, `rooms=`: made once, since every handshake looks for them. */
const RECOVERY_MARKERS = Object.values(RecoveryParameter).map((name) => `${name}=`);

function mentionsRecovery(url: string): boolean {
  for (const marker of RECOVERY_MARKERS) if (url.includes(marker)) return true;
  return false;
}

function readPosition(epoch: unknown, offset: unknown): StreamCursor | string {
  const text = typeof offset === 'number' ? String(offset) : offset;
  if (typeof text !== 'string' || !OFFSET_PATTERN.test(text)) {
    return 'an offset must be an integer >= 0 of at most 15 digits';
  }
  if (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch)) {
    return 'an epoch must be 1 to 64 letters, digits, "_" or "-"';
  }
  return { epoch, offset: Number(text) };
}

/** `rooms`: base64url of `{"<room>":["<epoch>",<offset>],…}`. */
function readRoomPositions(encoded: string): Map<string, StreamCursor> | string {
  if (encoded.length > MAX_ROOM_POSITIONS_LENGTH || !/^[\w-]*$/.test(encoded)) {
    return `"rooms" must be base64url of at most ${MAX_ROOM_POSITIONS_LENGTH} characters`;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString());
  } catch {
    return '"rooms" must be base64url of a JSON object';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return '"rooms" must be base64url of a JSON object';
  }
  const positions = new Map<string, StreamCursor>();
  for (const [room, entry] of Object.entries(value)) {
    if (!isValidUserId(room) || !Array.isArray(entry) || entry.length !== 2) {
      return '"rooms" must map room ids to [epoch, offset]';
    }
    const position = readPosition(entry[0], entry[1]);
    if (typeof position === 'string') return `"rooms": ${position}`;
    positions.set(room, position);
  }
  return positions;
}
