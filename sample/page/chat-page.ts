import { ChatClient, type CloseInfo } from 'nest-chat-gateway/client';
import { fetchOnlineUsers, login } from './demo-api.js';
import { readPush } from './demo-pushes.js';
import { byId, messageOf } from './dom.js';
import { MessageList } from './message-list.js';
import { renderOnline } from './online-list.js';
import { PresenceRoster } from './presence-roster.js';
import { saveSession, savedSession, type SavedSession } from './saved-session.js';

// The chat page: sign in, see who is online, exchange direct messages.

type Status = 'signed-out' | 'connecting' | 'connected' | 'reconnecting' | 'replaced' | 'closed';

const REPLACED = 4000;

const ui = {
  status: byId('status'),
  signIn: byId<HTMLFormElement>('sign-in'),
  userName: byId<HTMLInputElement>('user-name'),
  signInError: byId('sign-in-error'),
  chat: byId('chat'),
  online: {
    list: byId<HTMLUListElement>('online-users'),
    count: byId('online-count'),
    recipients: byId<HTMLDataListElement>('recipients'),
  },
  messages: new MessageList(byId<HTMLOListElement>('messages')),
  composer: byId<HTMLFormElement>('composer'),
  to: byId<HTMLInputElement>('to'),
  text: byId<HTMLInputElement>('text'),
  reconnect: byId<HTMLButtonElement>('reconnect'),
};

let client: ChatClient | undefined;

ui.signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(ui.userName.value.trim());
});

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  send(ui.to.value.trim(), ui.text.value);
});

// A reloaded tab signs in again by itself and resumes its conversation.
const resumed = savedSession();
if (resumed) void signIn(resumed.user, resumed);

async function signIn(user: string, saved: SavedSession = { user }): Promise<void> {
  ui.signInError.textContent = '';
  let token: string;
  try {
    token = await login(user);
  } catch (err) {
    ui.signInError.textContent = messageOf(err);
    return;
  }
  ui.signIn.hidden = true;
  ui.chat.hidden = false;
  document.title = `${user} · nest-chat-gateway demo`;
  const roster = new PresenceRoster((users) =>
    renderOnline(users, user, ui.online, (picked) => {
      ui.to.value = picked;
      ui.text.focus();
    }),
  );
  saveSession(saved);
  ui.reconnect.onclick = () => connect(user, roster, saved);
  connect(user, roster, saved, token);
}

/**
 * Connects as `user` with a new client. `firstToken` serves the first attempt; every later one
 * logs in again, which also covers a server restarted with a new signing secret.
 */
function connect(
  user: string,
  roster: PresenceRoster,
  saved: SavedSession,
  firstToken?: string,
): void {
  client?.close();
  let token = firstToken;
  const current = new ChatClient({
    url: '/ws',
    getToken: async () => {
      const fresh = token ?? (await login(user));
      token = undefined;
      return fresh;
    },
    reconnect: { baseDelayMs: 500, maxDelayMs: 8000 },
    // Going on where the last client of this tab was; a reloaded tab replays the conversation
    // from its start.
    position: client?.position ?? saved.start,
  });
  client = current;
  ui.reconnect.hidden = true;
  let welcomes = 0;
  current.on('welcome', ({ epoch, offset, recovered }) => {
    setStatus('connected', `Connected as ${user}`);
    if (recovered === false) {
      ui.messages.note('Messages from before this connection are no longer available');
    }
    if (epoch !== undefined && (!saved.start || recovered === false)) {
      saved.start = { epoch, offset: offset! };
      saveSession(saved);
    }
    if (++welcomes > 1) ui.messages.note('Reconnected');
    ui.messages.flushed();
    roster
      .reload(fetchOnlineUsers)
      .catch((err: unknown) => ui.messages.note(`Could not load who is online: ${messageOf(err)}`));
  });
  current.on('reconnecting', ({ attempt }) =>
    setStatus('reconnecting', `Reconnecting (attempt ${attempt})…`),
  );
  current.on('close', (info) => closed(info));
  current.on('message', (value) => {
    const push = readPush(value);
    switch (push?.type) {
      case 'chat':
        return push.from === user ? ui.messages.own(push) : ui.messages.incoming(push);
      case 'chat:sent':
        return ui.messages.confirmed(push);
      case 'rejected':
        return ui.messages.rejected(push);
      case 'presence':
        return roster.apply(push);
      default:
        return ui.messages.note(`Push: ${JSON.stringify(value)}`);
    }
  });
  setStatus('connecting', 'Connecting…');
  current.connect();
}

function closed({ code, reason, willReconnect }: CloseInfo): void {
  ui.messages.connectionLost();
  if (willReconnect) {
    ui.messages.note(`Connection lost (${code}${reason ? `: ${reason}` : ''}); reconnecting`);
  } else if (code === REPLACED) {
    setStatus('replaced', 'Replaced by another tab');
    ui.messages.note('You opened the chat in another tab or window; this tab is now offline.');
    ui.reconnect.textContent = 'Use this tab';
    ui.reconnect.hidden = false;
  } else {
    setStatus('closed', `Disconnected (${code}${reason ? `: ${reason}` : ''})`);
    ui.reconnect.textContent = 'Reconnect';
    ui.reconnect.hidden = false;
  }
}

function send(to: string, text: string): void {
  if (!client || !to || text.trim() === '') return;
  const id = ui.messages.nextId();
  let how: 'sent' | 'queued';
  try {
    how = client.emit('chat', { id, to, text });
  } catch (err) {
    ui.messages.note(`Not sent: ${messageOf(err)}`);
    return;
  }
  ui.messages.outgoing(id, to, text, how);
  ui.text.value = '';
  ui.text.focus();
}

function setStatus(state: Status, text: string): void {
  ui.status.dataset.state = state;
  // Styles dim what may be out of date while not connected.
  ui.chat.dataset.state = state;
  ui.status.textContent = text;
}
