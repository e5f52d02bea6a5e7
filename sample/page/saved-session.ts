import type { StreamPosition } from 'nest-chat-gateway/client';
import type { Target } from './conversations.js';
import type { ReceiptNote } from './message-list.js';

// What the page keeps in sessionStorage, so that a reload (within the server's history window)
// comes back signed in with the whole conversation: the user, and the positions in the user's
// stream and in each room's stream where this tab's conversations began. Resuming from there
// replays every push since, earlier ones and missed ones alike. Messages still waiting for their
// answer are kept too, and sent again with the same request id, which the server answers
// without sending them twice.

const KEY = 'nest-chat-gateway-demo';

/** A chat request without its answer yet. */
export interface PendingSend {
  id: string;
  target: Target;
  text: string;
}

export interface SavedSession {
  user: string;
  /** Where the conversation shown in this tab starts; undefined until the first welcome. */
  start?: StreamPosition;
  /** The same for each room. */
  roomStarts?: Record<string, StreamPosition>;
  /** The conversation on screen. */
  selected?: Target;
  pending?: PendingSend[];
  /** What became of the latest messages of this user, by request id. */
  receipts?: Record<string, ReceiptNote>;
  /** When the page was last left: what came before it was seen. */
  seenAt?: number;
}

/** The session saved by an earlier load of this tab, if any. */
export function savedSession(): SavedSession | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as SavedSession | null;
    return typeof saved?.user === 'string' ? saved : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: SavedSession): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}
