/**
 * The data of the demo's `chat` event, which recipients get: to a user (`to`) or a room
 * (`room`). The browser page reads it too (a type-only import, so nothing of the server's code
 * reaches the page).
 */
export interface ChatEventData {
  from: string;
  to?: string;
  room?: string;
  text: string;
  ts: number;
  /** On the copy in the sender's own stream: the id of the request it came from. */
  id?: string;
}
