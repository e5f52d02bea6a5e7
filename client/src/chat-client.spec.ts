import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ChatClient } from './chat-client.js';
import type { ChatClientOptions } from './chat-client-options.js';
import { OPEN, type WebSocketLike } from './web-socket.js';

/** A WebSocket the test drives by hand, to play out orderings a real server rarely produces. */
class FakeSocket implements WebSocketLike {
  static created: FakeSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;
  private readonly listeners = new Map<string, ((event: any) => void)[]>();

  constructor(readonly url: string) {
    FakeSocket.created.push(this);
  }

  addEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }

  fire(type: 'open' | 'message' | 'close' | 'error', event: object = {}): void {
    if (type === 'open') this.readyState = OPEN;
    if (type === 'close') this.readyState = 3;
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  welcome(heartbeatIntervalMs = 60_000): void {
    this.fire('open');
    const data = { user: 'u', connectionId: `c${FakeSocket.created.length}`, heartbeatIntervalMs };
    this.fire('message', { data: JSON.stringify({ event: 'welcome', data }) });
  }
}

const clients: ChatClient[] = [];

function fakeClient(options: Partial<ChatClientOptions> = {}) {
  FakeSocket.created = [];
  const client = new ChatClient({
    url: 'ws://chat.test/ws',
    WebSocket: FakeSocket,
    reconnect: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
  clients.push(client);
  const events: string[] = [];
  for (const type of ['open', 'welcome', 'close', 'reconnecting', 'error'] as const) {
    client.on(type, () => events.push(type));
  }
  return { client, events };
}

/** Resolves after pending timers of `ms` and the microtasks before them have run. */
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ChatClient (with a hand-driven socket)', () => {
  // Their timers would keep the test process alive.
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('puts the token in the query and flushes the queue before the welcome listeners run', async () => {
    const { client } = fakeClient({ token: 'a b&c', tokenParameter: 'jwt' });
    client.emit('first', 1);
    const sentAtWelcome: string[][] = [];
    client.on('welcome', () => sentAtWelcome.push([...FakeSocket.created[0].sent]));
    client.connect();
    await tick();
    const [socket] = FakeSocket.created;
    assert.equal(new URL(socket.url).searchParams.get('jwt'), 'a b&c');
    socket.welcome();
    assert.deepEqual(sentAtWelcome, [['{"event":"first","data":1}']]);
    assert.equal(client.state, 'connected');
    assert.equal(client.emit('second'), 'sent');
    assert.equal(socket.sent[1], '{"event":"second"}');
  });

  it('close() while getToken() is pending: the late token opens nothing', async () => {
    let release: (token: string) => void = () => undefined;
    const { client, events } = fakeClient({
      getToken: () => new Promise<string>((resolve) => (release = resolve)),
    });
    client.connect();
    client.close();
    release('late');
    await tick(5);
    assert.equal(FakeSocket.created.length, 0);
    assert.deepEqual(events, []);
    assert.equal(client.state, 'closed');
  });

  it('ignores the late events of a socket it gave up on', async () => {
    const { client, events } = fakeClient({ heartbeatTimeoutMs: 5 });
    client.connect();
    await tick();
    const dead = FakeSocket.created[0];
    dead.welcome(5);
    while (FakeSocket.created.length < 2) await tick(1);
    assert.equal(dead.closedWith, 1000);
    const next = FakeSocket.created[1];
    next.welcome();
    dead.fire('message', { data: '{"event":"message","data":"stale"}' });
    dead.fire('error', { message: 'Unexpected server response: 401' });
    dead.fire('close', { code: 4000, reason: 'stale' });
    assert.equal(client.state, 'connected');
    assert.equal(client.session?.connectionId, 'c2');
    assert.deepEqual(events, ['open', 'welcome', 'close', 'reconnecting', 'open', 'welcome']);
  });

  it('a close listener that calls close() cancels the retry it was told about', async () => {
    const { client, events } = fakeClient();
    client.on('close', ({ willReconnect }) => willReconnect && client.close());
    client.connect();
    await tick();
    FakeSocket.created[0].welcome();
    FakeSocket.created[0].fire('close', { code: 1001, reason: 'server shutting down' });
    await tick(10);
    assert.equal(client.state, 'closed');
    assert.equal(FakeSocket.created.length, 1);
    assert.deepEqual(events, ['open', 'welcome', 'close']);
  });

  it('queues instead of writing to a socket that is already closing', async () => {
    const { client } = fakeClient();
    client.connect();
    await tick();
    const socket = FakeSocket.created[0];
    socket.welcome();
    socket.readyState = 2;
    assert.equal(client.emit('x'), 'queued');
    assert.deepEqual(socket.sent, []);
  });

  it('a listener that throws stops neither the others nor the client', async () => {
    const { client } = fakeClient();
    const reached: string[] = [];
    const uncaught: unknown[] = [];
    const original = globalThis.queueMicrotask;
    // The client re-throws a listener's error in a microtask; catch it there for this test.
    globalThis.queueMicrotask = (task) =>
      original(() => {
        try {
          task();
        } catch (err) {
          uncaught.push(err);
        }
      });
    try {
      client.on('welcome', () => {
        throw new Error('listener bug');
      });
      client.on('welcome', () => reached.push('second listener'));
      client.connect();
      await tick();
      FakeSocket.created[0].welcome();
      await tick();
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.deepEqual(reached, ['second listener']);
    assert.equal(client.state, 'connected');
    assert.deepEqual(
      uncaught.map((err) => (err as Error).message),
      ['listener bug'],
    );
  });

  it('reports a refused handshake but leaves the decision to its close event', async () => {
    const { client, events } = fakeClient({ token: 't' });
    client.connect();
    await tick();
    FakeSocket.created[0].fire('error', { message: 'Unexpected server response: 503' });
    assert.equal(client.state, 'connecting');
    FakeSocket.created[0].fire('close', { code: 1006, reason: '' });
    assert.equal(client.state, 'reconnecting');
    assert.deepEqual(events, ['error', 'close', 'reconnecting']);
  });
});
