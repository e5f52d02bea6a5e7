// The pushes the demo server sends the page (see README, "Chat relay" and presence).

export interface ChatMessage {
  type: 'chat';
  from: string;
  to: string;
  text: string;
  ts: number;
  /** On the sender's own copy: the `id` of the chat frame it came from. */
  id?: string;
}

export interface ChatSent {
  type: 'chat:sent';
  /** The `id` of the chat frame this acknowledges. */
  id?: string;
  to: string;
  delivered: number;
  ts: number;
}

export interface ChatRejected {
  type: 'rejected';
  /** The `id` of the chat frame this rejects. */
  id?: string;
  event: string;
  reason: string;
}

export interface PresenceChange {
  type: 'presence';
  user: string;
  online: boolean;
}

export type DemoPush = ChatMessage | ChatSent | ChatRejected | PresenceChange;

const FIELDS: Record<DemoPush['type'], Record<string, 'string' | 'number' | 'boolean'>> = {
  chat: { from: 'string', to: 'string', text: 'string', ts: 'number' },
  'chat:sent': { to: 'string', delivered: 'number', ts: 'number' },
  rejected: { event: 'string', reason: 'string' },
  presence: { user: 'string', online: 'boolean' },
};

/**
 * Recognizes a demo push. Anyone can push any JSON to a user over `POST /users/:user/messages`,
 * so the page checks the shape before trusting it; anything else is undefined.
 */
export function readPush(value: unknown): DemoPush | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const fields = Object.hasOwn(FIELDS, String(record.type))
    ? FIELDS[record.type as DemoPush['type']]
    : undefined;
  if (!fields) return undefined;
  const valid = Object.entries(fields).every(([name, type]) => typeof record[name] === type);
  return valid ? (value as DemoPush) : undefined;
}
