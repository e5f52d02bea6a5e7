/** @internal The name of a user's stream in the history store. */
export function userStream(user: string): string {
  return `u:${user}`;
}

/** @internal The name of a room's stream in the history store. */
export function roomStream(room: string): string {
  return `r:${room}`;
}
