import type { ChatEventData } from '../chat-event.js';

// The demo's named events the page shows (see README, "The demo application"). Anyone can push
// any JSON to a user or a room over REST, so the page checks each shape before trusting it.

/** `chat`: a message to a user (`to`) or a room (`room`). */
export type ChatEvent = ChatEventData;

/**
 * `presence`, for a room: a member came online or went offline, or (with `member`) a user joined
 * or left the room.
 */
export interface PresenceEvent {
  user: string;
  online: boolean;
  member?: boolean;
}

export function readChat(value: unknown): ChatEvent | undefined {
  const chat = value as Partial<ChatEvent> | null;
  if (typeof chat?.from !== 'string' || typeof chat.text !== 'string') return undefined;
  if (typeof chat.ts !== 'number') return undefined;
  const addressed = typeof chat.to === 'string' || typeof chat.room === 'string';
  const id = chat.id === undefined || typeof chat.id === 'string';
  return addressed && id ? (chat as ChatEvent) : undefined;
}

export function readPresence(value: unknown): PresenceEvent | undefined {
  const presence = value as Partial<PresenceEvent> | null;
  const member = presence?.member === undefined || typeof presence.member === 'boolean';
  return typeof presence?.user === 'string' && typeof presence.online === 'boolean' && member
    ? (presence as PresenceEvent)
    : undefined;
}
