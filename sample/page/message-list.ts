import type { ChatEvent } from './chat-events.js';
import { clock, element } from './dom.js';

/**
 * What became of a message this user wrote: `queued` waits for a connection, `sending` waits for
 * the server, `sent` (✓) is stored for the recipient, `delivered` (✓✓) a recipient's device
 * confirmed it, `failed` the server refused it (the ack's error code says why).
 */
export type Receipt = 'queued' | 'sending' | 'sent' | 'delivered' | 'failed';

const RECEIPTS: Record<Receipt, { mark: string; title: string }> = {
  queued: { mark: '◷ queued until reconnected', title: 'Goes out when the connection is back' },
  sending: { mark: '◷ sending…', title: 'Waiting for the server' },
  sent: { mark: '✓ sent', title: 'The server keeps it for the recipient' },
  delivered: { mark: '✓✓ delivered', title: "A recipient's device confirmed it" },
  failed: { mark: '✕', title: 'The server refused it' },
};

/** A receipt with what it says more (who is offline, why it was refused). */
export type ReceiptNote = [Receipt, string];

interface Outgoing {
  time: HTMLElement;
  receipt: HTMLElement;
  state: Receipt;
}

/**
 * One conversation's messages: incoming ones, the user's own with a receipt each, and notes.
 * The user's messages are known by the id of the request that sent them, which also comes back
 * on their copy in the user's stream: a copy of a message shown already is not shown twice, and
 * one written in another tab or before a reload is shown as the user's own.
 */
export class MessageList {
  readonly element = element('ol', 'message-list');
  private readonly outgoing = new Map<string, Outgoing>();

  /**
   * @param receipts what became of the user's messages by id, shared by the conversations and
   *   kept across reloads: a message shown again from the stream gets its receipt back
   * @param added called with every new entry, to keep it in view
   */
  constructor(
    private readonly receipts: Map<string, ReceiptNote>,
    private readonly added: (item: HTMLElement) => void,
  ) {}

  incoming({ from, text, ts }: ChatEvent, room: boolean): void {
    const item = this.add('message incoming', text);
    const meta = item.firstChild as HTMLElement;
    meta.append(room ? `${from} · ${clock(ts)}` : clock(ts));
  }

  /** A message of this user as their stream has it. */
  own({ id, text, ts }: ChatEvent): void {
    const shown = id === undefined ? undefined : this.outgoing.get(id);
    if (shown) {
      shown.time.textContent = clock(ts);
      // The copy is stored, so the message is at least sent; a later answer may say more.
      if (shown.state === 'queued' || shown.state === 'sending') this.set(shown, 'sent');
      return;
    }
    const entry = this.write(id, text, 'sent', ts);
    const known = id === undefined ? undefined : this.receipts.get(id);
    if (known) this.set(entry, ...known);
  }

  /** A message the user just wrote in this tab. */
  sending(id: string, text: string, state: 'queued' | 'sending'): void {
    this.write(id, text, state, Date.now());
  }

  /** What became of message `id`; `detail` says more (who is offline, why it was refused). */
  mark(id: string, state: Receipt, detail = ''): void {
    this.receipts.set(id, [state, detail]);
    const entry = this.outgoing.get(id);
    if (entry) this.set(entry, state, detail);
  }

  /** The connection is gone: what was on its way waits for the next one. */
  waiting(): void {
    for (const entry of this.outgoing.values()) {
      if (entry.state === 'sending') this.set(entry, 'queued');
    }
  }

  /** Connected again: the client sends what waited. */
  resumed(): void {
    for (const entry of this.outgoing.values()) {
      if (entry.state === 'queued') this.set(entry, 'sending');
    }
  }

  note(text: string): void {
    this.add('note', text, false);
  }

  private write(id: string | undefined, text: string, state: Receipt, ts: number): Outgoing {
    const item = this.add('message outgoing', text);
    const meta = item.firstChild as HTMLElement;
    const entry: Outgoing = {
      time: element('span', 'time', clock(ts)),
      receipt: element('span', 'receipt'),
      state,
    };
    meta.append(entry.time, ' ', entry.receipt);
    this.set(entry, state);
    if (id !== undefined) {
      item.dataset.id = id;
      this.outgoing.set(id, entry);
    }
    return entry;
  }

  private set(entry: Outgoing, state: Receipt, detail = ''): void {
    entry.state = state;
    const { mark, title } = RECEIPTS[state];
    entry.receipt.dataset.state = state;
    entry.receipt.title = title;
    entry.receipt.textContent = detail ? `${mark} ${detail}` : mark;
  }

  /** Appends an entry: a meta line (for messages) and the text, never parsed as HTML. */
  private add(className: string, text: string, meta = true): HTMLElement {
    const item = element('li', className);
    if (meta) item.append(element('span', 'meta'));
    item.append(element('span', 'text', text));
    this.element.append(item);
    this.added(item);
    return item;
  }
}
