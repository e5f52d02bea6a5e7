import type { StreamPosition } from 'nest-chat-gateway/client';

// What the page keeps in sessionStorage, so that a reload (within the server's history window)
// comes back signed in with the whole conversation: the user, and the position in the user's
// stream where this tab's conversation began. Resuming from there replays every push since,
// earlier ones and missed ones alike.

const KEY = 'nest-chat-gateway-demo';

export interface SavedSession {
  user: string;
  /** Where the conversation shown in this tab starts; undefined until the first welcome. */
  start?: StreamPosition;
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
