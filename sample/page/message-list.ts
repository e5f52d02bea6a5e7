import type { ChatMessage, ChatRejected, ChatSent } from './demo-pushes.js';
import { clock, element } from './dom.js';

interface Unconfirmed {
  to: string;
  meta: HTMLElement;
  /** `queued`: still in the client's queue; `sent`: handed to the socket, awaiting its answer. */
  state: 'queued' | 'sent';
}

/**
 * The conversation: incoming messages, the user's own messages with what became of each, and
 * notes about the connection. Each message sent carries an id that the relay's answer echoes.
 */
export class MessageList {
  private readonly unconfirmed = new Map<string, Unconfirmed>();
  /** Ids of the messages this tab wrote, so that their copies from the stream are not shown twice. */
  private readonly shown = new Set<string>();
  /** Makes ids unique across the tabs and reloads of one user. */
  private readonly idPrefix = Math.random().toString(36).slice(2, 10);
  private sequence = 0;

  constructor(private readonly list: HTMLOListElement) {}

  /** A fresh id for a chat frame. */
  nextId(): string {
    return `${this.idPrefix}-${++this.sequence}`;
  }

  incoming({ from, text, ts }: ChatMessage): void {
    this.add('message incoming', `${from} · ${clock(ts)}`, text);
  }

  /**
   * The copy of a message this user sent, from their own stream: written in this tab (already
   * shown), or in another tab, or before this page was reloaded.
   */
  own({ id, to, text, ts }: ChatMessage): void {
    if (id !== undefined && this.shown.has(id)) return;
    if (id !== undefined) this.shown.add(id);
    this.add('message outgoing', `to ${to} · ${clock(ts)}`, text);
  }

  /** Shows a message of this user; `how` is what `ChatClient.emit` returned. */
  outgoing(id: string, to: string, text: string, how: 'sent' | 'queued'): void {
    const entry: Unconfirmed = { to, meta: this.add('message outgoing', '', text), state: how };
    this.unconfirmed.set(id, entry);
    this.shown.add(id);
    this.describe(entry, how === 'sent' ? 'sending…' : 'queued until reconnected');
  }

  confirmed({ id, to, delivered, ts }: ChatSent): void {
    const entry = this.take(id);
    if (entry) {
      this.describe(entry, `${clock(ts)} · ${delivered > 0 ? 'delivered' : `${to} is offline`}`);
    }
  }

  rejected({ id, reason }: ChatRejected): void {
    const entry = this.take(id);
    if (entry) this.describe(entry, `rejected: ${reason}`);
    else this.note(`The server rejected a frame: ${reason}`);
  }

  /** The queued messages went out with the new connection's welcome. */
  flushed(): void {
    for (const entry of this.unconfirmed.values()) entry.state = 'sent';
  }

  /** The connection ended: messages sent on it will never be answered. */
  connectionLost(): void {
    for (const [id, entry] of this.unconfirmed) {
      if (entry.state !== 'sent') continue;
      this.unconfirmed.delete(id);
      this.describe(entry, 'not confirmed: the connection was lost');
    }
  }

  note(text: string): void {
    this.add('note', undefined, text);
  }

  private take(id: string | undefined): Unconfirmed | undefined {
    if (id === undefined) return undefined;
    const entry = this.unconfirmed.get(id);
    this.unconfirmed.delete(id);
    return entry;
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
