/** Longest user id the gateway accepts, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 128;

// C0 and C1 control characters: they corrupt logs and terminals and are never part of a real id.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whether `value` can be a user id: a string of 1 to {@link MAX_USER_ID_LENGTH} characters with
 * no control characters. The gateway refuses a handshake whose authenticator returns anything
 * else, and the demo's REST endpoints answer 400 for it.
 */
export function isValidUserId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_USER_ID_LENGTH &&
    !CONTROL_CHARACTERS.test(value)
  );
}
