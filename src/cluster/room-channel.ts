/** @internal The broker channel of a room: the nodes that hold members subscribe to it. */
export function roomChannel(room: string): string {
  return `room:${room}`;
}
