import type { ChatEvent, PresenceEvent } from './chat-events.js';
import type { Member } from './demo-api.js';
import { element, messageOf } from './dom.js';
import { MessageList, type ReceiptNote } from './message-list.js';
import { RoomRoster } from './room-roster.js';

/** Who a conversation is with: a user (direct messages) or a room. */
export interface Target {
  kind: 'user' | 'room';
  name: string;
}

/** The room every page joins: its members and their presence make the online list. */
export const LOBBY = 'lobby';

export interface ConversationsUi {
  rooms: HTMLUListElement;
  people: HTMLUListElement;
  onlineCount: HTMLElement;
  recipients: HTMLDataListElement;
  title: HTMLElement;
  info: HTMLElement;
  members: HTMLUListElement;
  leave: HTMLButtonElement;
  messages: HTMLElement;
  text: HTMLInputElement;
}

interface Conversation {
  target: Target;
  list: MessageList;
  unread: number;
}

/**
 * The user's conversations: one per room they are in and one per person they talk to, the
 * sidebar that lists them with unread counts and who is online, and the one on screen.
 */
export class Conversations {
  private readonly conversations = new Map<string, Conversation>();
  /** The rooms the user is in, with their members. */
  private readonly rosters = new Map<string, RoomRoster>();
  private selected: Conversation;

  /**
   * @param seenAt messages older than this were on screen before a reload: not unread
   * @param loadMembers the members of a room, from the server
   * @param receipts what became of the user's messages, by request id
   * @param selectedChanged called when another conversation comes on screen
   */
  constructor(
    private readonly me: string,
    private readonly ui: ConversationsUi,
    private readonly seenAt: number,
    private readonly loadMembers: (room: string) => Promise<Member[]>,
    private readonly receipts: Map<string, ReceiptNote>,
    private readonly selectedChanged: (target: Target) => void,
  ) {
    this.selected = this.conversation({ kind: 'room', name: LOBBY });
    this.select(this.selected.target);
  }

  get current(): Target {
    return this.selected.target;
  }

  /** The rooms the user is in. */
  get rooms(): string[] {
    return [...this.rosters.keys()];
  }

  isMember(room: string): boolean {
    return this.rosters.has(room);
  }

  /** Puts a conversation on screen (a room only while the user is in it). */
  select(target: Target): void {
    if (target.kind === 'room' && target.name !== LOBBY && !this.rosters.has(target.name)) return;
    if (target.kind === 'user' && target.name === this.me) return;
    const conversation = this.conversation(target);
    this.selected = conversation;
    conversation.unread = 0;
    this.ui.messages.replaceChildren(conversation.list.element);
    this.ui.messages.scrollTop = this.ui.messages.scrollHeight;
    this.ui.text.placeholder =
      target.kind === 'room' ? `Message #${target.name}` : `Message ${target.name}`;
    this.render();
    this.selectedChanged(target);
    // Joins and leaves are not announced to a room: a look at it gets its members afresh.
    if (target.kind === 'room') this.refreshMembers(target.name);
  }

  /** The rooms the user is in now, as the server says after a (re)connect. */
  setRooms(rooms: string[]): void {
    for (const room of this.rooms) if (!rooms.includes(room)) this.left(room);
    for (const room of rooms) this.joined(room);
  }

  joined(room: string): RoomRoster {
    let roster = this.rosters.get(room);
    if (!roster) {
      roster = new RoomRoster(() => this.render());
      this.rosters.set(room, roster);
      this.conversation({ kind: 'room', name: room });
      this.render();
    }
    return roster;
  }

  left(room: string): void {
    if (!this.rosters.delete(room)) return;
    if (this.current.kind === 'room' && this.current.name === room) {
      this.select({ kind: 'room', name: LOBBY });
    } else {
      this.render();
    }
  }

  /** Reloads every room's members, e.g. after a reconnect, when presence events were missed. */
  reloadMembers(): void {
    for (const room of this.rosters.keys()) this.refreshMembers(room);
  }

  refreshMembers(room: string): void {
    this.rosters
      .get(room)
      ?.reload(() => this.loadMembers(room))
      .catch((err: unknown) =>
        this.note(`Could not load the members of #${room}: ${messageOf(err)}`),
      );
  }

  presence(room: string, event: PresenceEvent): void {
    this.rosters.get(room)?.apply(event);
  }

  /** A `chat` event: `room` is set for a room's push. */
  chat(chat: ChatEvent, room: string | undefined): void {
    if (room !== undefined) {
      const conversation = this.conversation({ kind: 'room', name: room });
      if (chat.from === this.me) return conversation.list.own(chat);
      conversation.list.incoming(chat, true);
      return this.arrived(conversation, chat);
    }
    if (chat.from === this.me) {
      // The copy of a message this user sent, in their own stream.
      const target: Target =
        chat.room !== undefined
          ? { kind: 'room', name: chat.room }
          : { kind: 'user', name: chat.to! };
      return this.conversation(target).list.own(chat);
    }
    const conversation = this.conversation({ kind: 'user', name: chat.from });
    conversation.list.incoming(chat, false);
    this.arrived(conversation, chat);
  }

  /** The message list of a conversation, created when first needed. */
  list(target: Target): MessageList {
    return this.conversation(target).list;
  }

  /** A note in the conversation on screen. */
  note(text: string): void {
    this.selected.list.note(text);
  }

  waiting(): void {
    for (const { list } of this.conversations.values()) list.waiting();
  }

  resumed(): void {
    for (const { list } of this.conversations.values()) list.resumed();
  }

  private arrived(conversation: Conversation, { ts }: ChatEvent): void {
    if (conversation === this.selected || ts <= this.seenAt) return;
    conversation.unread++;
    this.render();
  }

  private conversation(target: Target): Conversation {
    const key = `${target.kind}:${target.name}`;
    let conversation = this.conversations.get(key);
    if (!conversation) {
      const list = new MessageList(this.receipts, () => {
        if (this.selected === conversation) {
          this.ui.messages.scrollTop = this.ui.messages.scrollHeight;
        }
      });
      conversation = { target, list, unread: 0 };
      this.conversations.set(key, conversation);
      if (target.kind === 'user') this.render();
    }
    return conversation;
  }

  /** Redraws the sidebar and the conversation's header. */
  private render(): void {
    const lobby = this.rosters.get(LOBBY);
    const online = new Set(lobby?.online() ?? []);
    const people = new Set(online);
    for (const { target } of this.conversations.values()) {
      if (target.kind === 'user') people.add(target.name);
    }
    this.ui.onlineCount.textContent = String(online.size);
    this.ui.people.replaceChildren(
      ...[...people]
        .sort((a, b) => a.localeCompare(b))
        .map((user) => this.entry({ kind: 'user', name: user }, online.has(user))),
    );
    const rooms = this.rooms.sort((a, b) =>
      a === LOBBY ? -1 : b === LOBBY ? 1 : a.localeCompare(b),
    );
    this.ui.rooms.replaceChildren(...rooms.map((room) => this.entry({ kind: 'room', name: room })));
    this.ui.recipients.replaceChildren(
      ...(lobby?.list() ?? [])
        .filter(({ user }) => user !== this.me)
        .map(({ user }) => new Option(user)),
    );
    this.renderHeader(online);
    const unread = [...this.conversations.values()].reduce((sum, { unread }) => sum + unread, 0);
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${this.me} · nest-chat-gateway demo`;
  }

  private renderHeader(online: Set<string>): void {
    const { kind, name } = this.current;
    this.ui.title.textContent = kind === 'room' ? `#${name}` : name;
    this.ui.leave.hidden = kind !== 'room' || name === LOBBY;
    if (kind === 'user') {
      this.ui.info.textContent = online.has(name)
        ? 'online'
        : 'offline: messages wait for them for a while';
      this.ui.info.dataset.online = String(online.has(name));
      this.ui.members.replaceChildren();
      return;
    }
    const members = this.rosters.get(name)?.list() ?? [];
    const here = members.filter((member) => member.online).length;
    this.ui.info.textContent = `${members.length} ${members.length === 1 ? 'member' : 'members'}, ${here} online`;
    delete this.ui.info.dataset.online;
    this.ui.members.replaceChildren(
      ...members.map(({ user, online: on }) => {
        const item = element('li', undefined, user === this.me ? `${user} (you)` : user);
        item.dataset.user = user;
        item.dataset.online = String(on);
        return item;
      }),
    );
  }

  /** A sidebar entry: a button that opens the conversation, with its unread count. */
  private entry(target: Target, online?: boolean): HTMLLIElement {
    const button = element('button', target.kind === 'room' ? 'room' : 'person');
    button.type = 'button';
    button.append(
      element('span', 'name', target.kind === 'room' ? `#${target.name}` : target.name),
    );
    if (target.kind === 'user') {
      button.dataset.user = target.name;
      button.dataset.online = String(online === true);
      if (target.name === this.me) {
        button.append(' ', element('span', 'you', '(you)'));
        button.disabled = true;
      }
    } else {
      button.dataset.room = target.name;
    }
    const conversation = this.conversations.get(`${target.kind}:${target.name}`);
    if (conversation?.unread) {
      const badge = element('span', 'badge', String(conversation.unread));
      badge.title = `${conversation.unread} unread`;
      button.append(badge);
    }
    if (conversation === this.selected) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => this.select(target));
    const item = element('li');
    item.append(button);
    return item;
  }
}
