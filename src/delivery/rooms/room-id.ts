import { isValidUserId, MAX_USER_ID_LENGTH } from '../../auth/user-id.js';

/** Longest room id, in UTF-16 code units: the same rule as for user ids. */
export const MAX_ROOM_ID_LENGTH = MAX_USER_ID_LENGTH;

/**
 * Whether `value` can be a room id: a string of 1 to {@link MAX_ROOM_ID_LENGTH} characters with
 * no control characters, as for user ids. `RoomsService` throws a `TypeError` for anything else,
 * and the demo's REST endpoints answer 400.
 */
export function isValidRoomId(value: unknown): value is string {
  return isValidUserId(value);
}
