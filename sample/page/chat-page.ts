import { ChatClient, ChatClientError, type CloseInfo } from 'nest-chat-gateway/client';
import { readChat, readPresence } from './chat-events.js';
import { Conversations, LOBBY, type Target } from './conversations.js';
import { fetchMembers, fetchRooms, joinRoom, leaveRoom, login } from './demo-api.js';
import { byId, messageOf } from './dom.js';
import type { Receipt, ReceiptNote } from './message-list.js';
import { saveSession, savedSession, type PendingSend, type SavedSession } from './saved-session.js';

// The chat page: sign in, see who is online, talk to people and in rooms.

type Status = 'signed-out' | 'connecting' | 'connected' | 'reconnecting' | 'replaced' | 'closed';

const REPLACED = 4000;
/**
 * How long a message waits for its answer, across reconnects. Within the server's idempotency
 * window (two minutes), so that a retry with the same id is never sent twice.
 */
const SEND_TIMEOUT_MS = 60_000;

/** Receipts kept across reloads: those of the latest messages, as many as a stream holds. */
const KEPT_RECEIPTS = 100;

/** What the `chat` handler answers: the send's result (README, "The demo application"). */
interface SendResult {
  delivered: number;
  acked?: number;
  incomplete?: string;
}

const ui = {
  status: byId('status'),
  reconnect: byId<HTMLButtonElement>('reconnect'),
  signIn: byId<HTMLFormElement>('sign-in'),
  userName: byId<HTMLInputElement>('user-name'),
  signInError: byId('sign-in-error'),
  chat: byId('chat'),
  joinRoom: byId<HTMLFormElement>('join-room'),
  roomName: byId<HTMLInputElement>('room-name'),
  roomError: byId('room-error'),
  newChat: byId<HTMLFormElement>('new-chat'),
  to: byId<HTMLInputElement>('to'),
  composer: byId<HTMLFormElement>('composer'),
  conversations: {
    rooms: byId<HTMLUListElement>('rooms'),
    people: byId<HTMLUListElement>('online-users'),
    onlineCount: byId('online-count'),
    recipients: byId<HTMLDataListElement>('recipients'),
    title: byId('conversation-title'),
    info: byId('conversation-info'),
    members: byId<HTMLUListElement>('room-members'),
    leave: byId<HTMLButtonElement>('leave-room'),
    messages: byId('messages'),
    text: byId<HTMLInputElement>('text'),
  },
};

let client: ChatClient | undefined;

ui.signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(ui.userName.value.trim());
});

// A reloaded tab signs in again by itself and resumes its conversations.
const resumed = savedSession();
if (resumed) void signIn(resumed.user, resumed);

async function signIn(user: string, saved: SavedSession = { user }): Promise<void> {
  const submit = ui.signIn.querySelector('button')!;
  // One sign-in at a time: a second click must not start a second chat.
  if (submit.disabled) return;
  submit.disabled = true;
  ui.signInError.textContent = '';
  let token: string;
  try {
    token = await enter(user);
  } catch (err) {
    ui.signInError.textContent = messageOf(err);
    ui.signIn.hidden = false;
    submit.disabled = false;
    return;
  }
  ui.signIn.hidden = true;
  ui.chat.hidden = false;
  // Reopened once the rooms are known, after the first welcome.
  const reopen = saved.selected;
  const receipts = new Map(Object.entries(saved.receipts ?? {}));
  const conversations = new Conversations(
    user,
    ui.conversations,
    saved.seenAt ?? 0,
    fetchMembers,
    receipts,
    (target) => {
      saved.selected = target;
      saveSession(saved);
    },
  );
  saved.pending ??= [];
  saveSession(saved);
  // Whatever came until the tab is left was on screen: not unread after a reload.
  addEventListener('pagehide', () => {
    saved.seenAt = Date.now();
    saveSession(saved);
  });
  const page: Page = { user, saved, conversations, receipts, reopen };
  wire(page);
  ui.reconnect.onclick = () => connect(page);
  connect(page, token);
}

interface Page {
  user: string;
  saved: SavedSession;
  conversations: Conversations;
  /** What became of the user's messages, by request id (the conversations' lists fill it). */
  receipts: Map<string, ReceiptNote>;
  /** The conversation that was on screen before a reload. */
  reopen?: Target;
}

/**
 * Logs in and joins the lobby, before every connection attempt: a restarted demo (without
 * Redis) forgot its rooms, and joining before connecting is what makes the lobby's members see
 * this user come online.
 */
async function enter(user: string): Promise<string> {
  const token = await login(user);
  await joinRoom(LOBBY, user);
  return token;
}

/** The forms of the chat view. */
function wire(page: Page): void {
  const { user, saved, conversations } = page;
  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.conversations.text.value;
    if (text.trim() === '') return;
    const pending: PendingSend = { id: nextId(), target: conversations.current, text };
    saved.pending!.push(pending);
    saveSession(saved);
    const list = conversations.list(pending.target);
    list.sending(pending.id, text, client?.state === 'connected' ? 'sending' : 'queued');
    if (client) track(client, pending, page);
    ui.conversations.text.value = '';
    ui.conversations.text.focus();
  });

  ui.newChat.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = ui.to.value.trim();
    if (!name || name === user) return;
    conversations.select({ kind: 'user', name });
    ui.to.value = '';
    ui.conversations.text.focus();
  });

  ui.joinRoom.addEventListener('submit', (event) => {
    event.preventDefault();
    const room = ui.roomName.value.trim();
    if (!room) return;
    ui.roomError.textContent = '';
    joinRoom(room, user).then(
      () => {
        // The server answers once this user's connections have the room (a `room` event).
        conversations.joined(room);
        conversations.select({ kind: 'room', name: room });
        ui.roomName.value = '';
        ui.conversations.text.focus();
      },
      (err: unknown) => (ui.roomError.textContent = `Could not join: ${messageOf(err)}`),
    );
  });

  ui.conversations.leave.addEventListener('click', () => {
    const { kind, name } = conversations.current;
    if (kind !== 'room' || name === LOBBY) return;
    leaveRoom(name, user).then(
      () => conversations.left(name),
      (err: unknown) => conversations.note(`Could not leave #${name}: ${messageOf(err)}`),
    );
  });
}

/**
 * Connects with a new client. `firstToken` serves the first attempt; every later one logs in
 * again, which also covers a server restarted with a new signing secret.
 */
function connect(page: Page, firstToken?: string): void {
  const { user, saved, conversations } = page;
  client?.close();
  let token = firstToken;
  const current = new ChatClient({
    url: '/ws',
    getToken: async () => {
      const fresh = token ?? (await enter(user));
      token = undefined;
      return fresh;
    },
    reconnect: { baseDelayMs: 500, maxDelayMs: 8000 },
    // Going on where the last client of this tab was; a reloaded tab replays its conversations
    // from their start.
    position: client?.position ?? saved.start,
    roomPositions: client ? client.roomPositions : saved.roomStarts,
  });
  client = current;
  ui.reconnect.hidden = true;
  let welcomes = 0;
  current.on('welcome', (welcome) => {
    setStatus('connected', `Connected as ${user}`);
    const { epoch, offset, recovered } = welcome;
    if (recovered === false) {
      conversations.note('Messages from before this connection are no longer available');
    }
    if (epoch !== undefined && (!saved.start || recovered === false)) {
      saved.start = { epoch, offset: offset! };
    }
    if (welcome.rooms) {
      const starts = saved.roomStarts ?? {};
      saved.roomStarts = Object.fromEntries(
        Object.entries(welcome.rooms).map(([room, position]) => [
          room,
          starts[room] && position.recovered !== false
            ? starts[room]
            : { epoch: position.epoch, offset: position.offset },
        ]),
      );
    }
    saveSession(saved);
    if (++welcomes > 1) conversations.note('Reconnected');
    conversations.resumed();
    void roomsOf(welcome.rooms, user).then(
      (rooms) => {
        conversations.setRooms(rooms);
        conversations.reloadMembers();
        if (page.reopen) conversations.select(page.reopen);
        page.reopen = undefined;
      },
      (err: unknown) => conversations.note(`Could not load your rooms: ${messageOf(err)}`),
    );
  });
  current.on('reconnecting', ({ attempt }) =>
    setStatus('reconnecting', `Reconnecting (attempt ${attempt})…`),
  );
  current.on('close', (info) => closed(info, conversations));
  current.on('room', ({ room, member, epoch, offset }) => {
    if (!member) {
      conversations.left(room);
      delete saved.roomStarts?.[room];
      saveSession(saved);
      return;
    }
    conversations.joined(room);
    conversations.refreshMembers(room);
    if (epoch !== undefined && !saved.roomStarts?.[room]) {
      saved.roomStarts = { ...saved.roomStarts, [room]: { epoch, offset: offset! } };
      saveSession(saved);
    }
  });
  current.on('push', ({ event, data, room }) => {
    const chat = event === 'chat' ? readChat(data) : undefined;
    if (chat) return conversations.chat(chat, room);
    const presence = event === 'presence' ? readPresence(data) : undefined;
    if (presence && room !== undefined) return conversations.presence(room, presence);
    // Anything else was pushed over the demo's REST endpoints.
    const text = `Push${event === 'message' ? '' : ` "${event}"`}: ${JSON.stringify(data)}`;
    if (room !== undefined) conversations.list({ kind: 'room', name: room }).note(text);
    else conversations.note(text);
  });
  // Messages without their answer yet (from before a reload, or a replaced client) go again
  // with their ids: the server answers those it has run without running them twice.
  for (const pending of saved.pending ?? []) track(current, pending, page);
  setStatus('connecting', 'Connecting…');
  current.connect();
}

/** The user's rooms: in the welcome with history, else from the server. */
function roomsOf(rooms: Record<string, unknown> | undefined, user: string): Promise<string[]> {
  return rooms ? Promise.resolve(Object.keys(rooms)) : fetchRooms(user);
}

/** Sends a message as a request and shows its answer as the message's receipt. */
function track(
  on: ChatClient,
  pending: PendingSend,
  { saved, conversations, receipts }: Page,
): void {
  const { id, target, text } = pending;
  const body = target.kind === 'room' ? { room: target.name, text } : { to: target.name, text };
  const list = conversations.list(target);
  const settle = (receipt: Receipt, detail = '') => {
    list.mark(id, receipt, detail);
    saved.pending = saved.pending?.filter((entry) => entry.id !== id);
    saved.receipts = Object.fromEntries([...receipts].slice(-KEPT_RECEIPTS));
    saveSession(saved);
  };
  on.request<SendResult>('chat', body, { id, timeoutMs: SEND_TIMEOUT_MS }).then(
    (result) => settle(...receiptOf(result, target)),
    (err: unknown) => {
      // Closed: replaced by another tab, or this tab made a new client, which sends it again.
      if (err instanceof ChatClientError && err.code === 'closed') return;
      settle('failed', refusal(err));
    },
  );
}

function receiptOf({ delivered, acked, incomplete }: SendResult, to: Target): [Receipt, string] {
  if (acked !== undefined && acked > 0) return ['delivered', ''];
  if (incomplete) return ['sent', '· a server did not answer'];
  if (delivered > 0) return ['sent', ''];
  return ['sent', to.kind === 'user' ? `· ${to.name} is offline` : '· nobody else is online'];
}

/** An ack's error as the page shows it: the server's code and message. */
function refusal(err: unknown): string {
  if (!(err instanceof ChatClientError)) return messageOf(err);
  const message = err.message.replace(/^ChatClient(\.request)?: (the server said: )?/, '');
  return `${err.serverCode ?? err.code}: ${message}`;
}

function closed({ code, reason, willReconnect }: CloseInfo, conversations: Conversations): void {
  conversations.waiting();
  if (willReconnect) {
    conversations.note(`Connection lost (${code}${reason ? `: ${reason}` : ''}); reconnecting`);
  } else if (code === REPLACED) {
    setStatus('replaced', 'Replaced by another tab');
    conversations.note('You opened the chat in another tab or window; this tab is now offline.');
    ui.reconnect.textContent = 'Use this tab';
    ui.reconnect.hidden = false;
  } else {
    setStatus('closed', `Disconnected (${code}${reason ? `: ${reason}` : ''})`);
    ui.reconnect.textContent = 'Reconnect';
    ui.reconnect.hidden = false;
  }
}

/** Request ids: unique across the tabs and reloads of one user, as the server's window needs. */
const idPrefix = Math.random().toString(36).slice(2, 10);
let sequence = 0;

function nextId(): string {
  return `${idPrefix}-${++sequence}`;
}

function setStatus(state: Status, text: string): void {
  ui.status.dataset.state = state;
  // Styles dim what may be out of date while not connected.
  ui.chat.dataset.state = state;
  ui.status.textContent = text;
}
