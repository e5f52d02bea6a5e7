// A browser page's use of 'nest-chat-gateway/client', type-checked only (see .ci/consumer-check):
// DOM types, a bundler's module resolution and no Node types, so the client's declarations must
// need neither `ws` nor Node, and the browser's own WebSocket must fit the client.
import {
  ChatClient,
  ChatClientError,
  CloseCode,
  type ChatClientOptions,
  type WebSocketConstructor,
} from 'nest-chat-gateway/client';

interface ChatPush {
  from: string;
  text: string;
}

const options: ChatClientOptions = {
  url: '/ws',
  getToken: async () => {
    const response = await fetch('/auth/login', { method: 'POST' });
    return ((await response.json()) as { token: string }).token;
  },
  reconnect: { baseDelayMs: 500, maxDelayMs: 30_000 },
};

export function startChat(list: HTMLElement): ChatClient<ChatPush> {
  const client = new ChatClient<ChatPush>(options);
  client.on('message', (push) => {
    const item = document.createElement('li');
    item.textContent = `${push.from}: ${push.text}`;
    list.append(item);
  });
  client.on('close', (info) => {
    if (info.code === CloseCode.Replaced) list.dataset.state = 'replaced';
  });
  client.on('error', (error: ChatClientError) => console.warn(error.code, error.message));
  return client.connect();
}

// The DOM's WebSocket class is a WebSocketConstructor.
export const domWebSocket: WebSocketConstructor = WebSocket;
export const explicit = new ChatClient({ url: 'wss://chat.example/ws', WebSocket });
