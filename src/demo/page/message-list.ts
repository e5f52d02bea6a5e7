import type { ChatMessage, ChatRejected, ChatSent } from './demo-pushes.js';
import { clock, element } from './dom.js';

interface Unconfirmed {
  to: string;
  meta: HTMLElement;
  /** `queued`: still in the client's queue; `sent`: handed to the socket, awaiting its ack. */
  state: 'queued' | 'sent';
}

/**
 * The conversation: incoming messages, the user's own messages with what became of each, and
 * notes about the connection. The relay acknowledges every chat frame; acknowledgements for one
 * recipient come in the order the frames were sent, which is how they find their message.
 */
export class MessageList {
  private readonly unconfirmed: Unconfirmed[] = [];

  constructor(private readonly list: HTMLOListElement) {}

  incoming({ from, text, ts }: ChatMessage): void {
    this.add('message incoming', `${from} · ${clock(ts)}`, text);
  }

  /** Shows a message of this user; `how` is what `ChatClient.emit` returned. */
  outgoing(to: string, text: string, how: 'sent' | 'queued'): void {
    const meta = this.add('message outgoing', '', text);
    const entry: Unconfirmed = { to, meta, state: how };
    this.unconfirmed.push(entry);
    this.describe(entry, how === 'sent' ? 'sending…' : 'queued until reconnected');
  }

  confirmed({ to, delivered, ts }: ChatSent): void {
    const entry = this.takeOldest((candidate) => candidate.to === to);
    if (entry) {
      this.describe(entry, `${clock(ts)} · ${delivered > 0 ? 'delivered' : `${to} is offline`}`);
    }
  }

  rejected({ reason }: ChatRejected): void {
    const entry = this.takeOldest(() => true);
    if (entry) this.describe(entry, `rejected: ${reason}`);
    else this.note(`The server rejected a frame: ${reason}`);
  }

  /** The queued messages went out with the new connection's welcome. */
  flushed(): void {
    for (const entry of this.unconfirmed) entry.state = 'sent';
  }

  /** The connection ended: messages sent on it will never be acknowledged. */
  connectionLost(): void {
    for (const entry of this.unconfirmed.filter(({ state }) => state === 'sent')) {
      this.unconfirmed.splice(this.unconfirmed.indexOf(entry), 1);
      this.describe(entry, 'not confirmed: the connection was lost');
    }
  }

  note(text: string): void {
    this.add('note', undefined, text);
  }

  private takeOldest(match: (entry: Unconfirmed) => boolean): Unconfirmed | undefined {
    const index = this.unconfirmed.findIndex((entry) => entry.state === 'sent' && match(entry));
    return index === -1 ? undefined : this.unconfirmed.splice(index, 1)[0];
  }

  private describe(entry: Unconfirmed, status: string): void {
    entry.meta.textContent = `to ${entry.to} · ${status}`;
  }

  /** Appends an entry and returns its meta line; keeps the newest entry in view. */
  private add(className: string, meta: string | undefined, text: string): HTMLElement {
    const item = element('li', className);
    const metaLine = element('span', 'meta', meta);
    if (meta !== undefined) item.append(metaLine);
    item.append(text);
    this.list.append(item);
    item.scrollIntoView({ block: 'end' });
    return metaLine;
  }
}
