import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { CloseCode, type ConnectionEvent } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';
import { counts } from './support/send-counts.js';

describe("connectionsPerUser: 'single' (the default)", () => {
  let chat: TestApp;
  const events: ConnectionEvent[] = [];

  before(async () => {
    chat = await startChatApp();
    chat.messaging.connections$.subscribe((event) => events.push(event));
  });
  after(() => chat.close());

  it('a new connection replaces the old one, which is closed with 4000', async () => {
    const old = await TestClient.connectAndWelcome(chat.wsUrl('rita'));
    const fresh = await TestClient.connectAndWelcome(chat.wsUrl('rita'));

    assert.equal((await old.closed).code, CloseCode.Replaced);
    assert.deepEqual(
      chat.registry.connectionsOf('rita').map((connection) => connection.id),
      [fresh.connectionId],
    );
    assert.ok(
      events.some(
        (event) =>
          event.type === 'disconnected' &&
          event.connectionId === old.connectionId &&
          event.reason === 'replaced' &&
          event.code === CloseCode.Replaced,
      ),
    );
    assert.deepEqual(counts(await chat.messaging.send('rita', 'to the new one')), {
      delivered: 1,
      dropped: 0,
    });
    assert.equal((await fresh.next('message')).data, 'to the new one');
    await fresh.close();
  });

  it("the old connection's close, arriving after the new one registered, does not evict it", async () => {
    const old = await TestClient.connectAndWelcome(chat.wsUrl('olly'));
    const oldServerSocket = chat.registry.find(old.connectionId)!.socket;
    const fresh = await TestClient.connectAndWelcome(chat.wsUrl('olly'));

    await old.closed;
    await waitFor(() => oldServerSocket.readyState === WebSocket.CLOSED, {
      what: "the server to process the old socket's close",
    });

    assert.equal(chat.registry.connectionsOf('olly')[0]?.id, fresh.connectionId);
    assert.equal(await chat.messaging.connectionCount('olly'), 1);
    await chat.messaging.send('olly', 'still here');
    assert.equal((await fresh.next('message')).data, 'still here');
    await fresh.close();
  });

  it('an old connection that dies abruptly (no close frame) after being replaced does not evict the new one', async () => {
    const old = await TestClient.connectAndWelcome(chat.wsUrl('abe'));
    const oldServerSocket = chat.registry.find(old.connectionId)!.socket;
    // Keep the old client from answering the 4000 close, then kill its TCP connection.
    old.socket.pause();
    const fresh = await TestClient.connectAndWelcome(chat.wsUrl('abe'));
    old.socket.terminate();
    await waitFor(() => oldServerSocket.readyState === WebSocket.CLOSED);

    assert.equal(chat.registry.connectionsOf('abe')[0]?.id, fresh.connectionId);
    await chat.messaging.send('abe', 'ok');
    assert.equal((await fresh.next('message')).data, 'ok');
    await fresh.close();
  });

  it('40 simultaneous handshakes of one user end with exactly one live, registered connection', async () => {
    const clients = await Promise.all(
      Array.from({ length: 40 }, () => TestClient.connect(chat.wsUrl('racer'))),
    );

    const stillOpen = await waitFor(
      () => {
        const open = clients.filter((client) => client.socket.readyState === WebSocket.OPEN);
        return open.length === 1 && chat.registry.size === 1 ? open : undefined;
      },
      { what: 'all but one connection to close' },
    );
    const survivor = stillOpen[0];
    await survivor.next('welcome');
    const registered = chat.registry.connectionsOf('racer');
    assert.equal(registered.length, 1);
    assert.equal(registered[0].id, survivor.connectionId);
    for (const client of clients) {
      if (client !== survivor) assert.equal((await client.closed).code, CloseCode.Replaced);
    }
    assert.deepEqual(counts(await chat.messaging.send('racer', 'won')), {
      delivered: 1,
      dropped: 0,
    });
    assert.equal((await survivor.next('message')).data, 'won');
    await survivor.close();
    await waitFor(() => chat.registry.size === 0);
  });
});

describe('connectionsPerUser: 2 (multi-device)', () => {
  let chat: TestApp;

  before(async () => {
    chat = await startChatApp({ connectionsPerUser: 2 });
  });
  after(() => chat.close());

  it('keeps two devices, and the third closes the oldest with 4000', async () => {
    const first = await TestClient.connectAndWelcome(chat.wsUrl('mia'));
    const second = await TestClient.connectAndWelcome(chat.wsUrl('mia'));
    assert.deepEqual(counts(await chat.messaging.send('mia', 1)), { delivered: 2, dropped: 0 });

    const third = await TestClient.connectAndWelcome(chat.wsUrl('mia'));
    assert.equal((await first.closed).code, CloseCode.Replaced);
    assert.deepEqual(
      chat.registry.connectionsOf('mia').map((connection) => connection.id),
      [second.connectionId, third.connectionId],
    );
    assert.deepEqual(counts(await chat.messaging.send('mia', 2)), { delivered: 2, dropped: 0 });
    assert.equal((await second.next('message')).data, 1);
    assert.equal((await second.next('message')).data, 2);
    assert.equal((await third.next('message')).data, 2);
    await Promise.all([second.close(), third.close()]);
  });

  it("one device failing removes only that device, never the user's other connection", async () => {
    const healthy = await TestClient.connectAndWelcome(chat.wsUrl('dan'));
    const broken = await TestClient.connectAndWelcome(chat.wsUrl('dan'));
    const brokenServerSocket = chat.registry.find(broken.connectionId)!.socket;
    broken.socket.terminate();
    await waitFor(() => brokenServerSocket.readyState === WebSocket.CLOSED);

    assert.deepEqual(
      chat.registry.connectionsOf('dan').map((connection) => connection.id),
      [healthy.connectionId],
    );
    assert.deepEqual(counts(await chat.messaging.send('dan', 'hi')), { delivered: 1, dropped: 0 });
    assert.equal((await healthy.next('message')).data, 'hi');
    await healthy.close();
  });
});
