import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectionEvent, IncomingFrame } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';
import { counts } from './support/send-counts.js';

describe('MessagingService', () => {
  let chat: TestApp;
  const incoming: IncomingFrame[] = [];
  const connectionEvents: ConnectionEvent[] = [];

  before(async () => {
    chat = await startChatApp({ connectionsPerUser: 3, heartbeat: { intervalMs: 20_000 } });
    chat.messaging.incoming$.subscribe((frame) => incoming.push(frame));
    chat.messaging.connections$.subscribe((event) => connectionEvents.push(event));
  });
  after(() => chat.close());

  it('welcomes a connection with its user, id and heartbeat interval', async () => {
    const client = await TestClient.connect(chat.wsUrl('wendy'));
    const welcome = await client.next('welcome');
    assert.equal(welcome.data.user, 'wendy');
    assert.equal(typeof welcome.data.connectionId, 'string');
    assert.equal(welcome.data.heartbeatIntervalMs, 20_000);
    assert.ok(chat.registry.get(welcome.data.connectionId), 'the welcomed id is registered');
    await client.close();
  });

  it('send() reaches every connection of the user and reports how many', async () => {
    const phone = await TestClient.connectAndWelcome(chat.wsUrl('sam'));
    const laptop = await TestClient.connectAndWelcome(chat.wsUrl('sam'));
    const other = await TestClient.connectAndWelcome(chat.wsUrl('sid'));

    const result = await chat.messaging.send('sam', { text: 'hello', n: 1 });

    // Stored in sam's stream (history is on by default): the result names its position.
    assert.deepEqual(result, { delivered: 2, dropped: 0, offset: 1, epoch: result.epoch });
    assert.equal(phone.frames[0].data.epoch, result.epoch);
    assert.deepEqual((await phone.next('message')).data, { text: 'hello', n: 1 });
    assert.deepEqual((await laptop.next('message')).data, { text: 'hello', n: 1 });
    await other.close();
    assert.equal(other.framesOf('message').length, 0, 'another user got nothing');
    await Promise.all([phone.close(), laptop.close()]);
  });

  it('send() to an offline user resolves with delivered 0, and stores the push', async () => {
    const result = await chat.messaging.send('nobody', 'hi');
    assert.deepEqual(counts(result), { delivered: 0, dropped: 0 });
    assert.equal(result.offset, 1);
    assert.deepEqual(counts(await chat.messaging.send('nobody', 'hi', { volatile: true })), {
      delivered: 0,
      dropped: 0,
    });
  });

  it('send() rejects a payload that has no JSON form, with a TypeError', async () => {
    await assert.rejects(chat.messaging.send('nobody', undefined), TypeError);
    await assert.rejects(chat.messaging.send('nobody', { n: 1n }), TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(chat.messaging.send('nobody', cyclic), TypeError);
  });

  it('sendMany() reaches each listed user once, even when listed twice', async () => {
    const a = await TestClient.connectAndWelcome(chat.wsUrl('ann'));
    const b = await TestClient.connectAndWelcome(chat.wsUrl('ben'));
    const c = await TestClient.connectAndWelcome(chat.wsUrl('cat'));

    const result = await chat.messaging.sendMany(['ann', 'ben', 'ann', 'offline'], 'news');

    assert.deepEqual(result, {
      delivered: 2,
      dropped: 0,
      offsets: { ann: 1, ben: 1, offline: 1 },
    });
    assert.equal((await a.next('message')).data, 'news');
    assert.equal((await b.next('message')).data, 'news');
    // A heartbeat round trip on each socket proves nothing else was queued before it.
    for (const client of [a, c]) {
      client.send({ event: 'heartbeat' });
      await client.next('heartbeat');
    }
    assert.equal(a.framesOf('message').length, 1);
    assert.equal(c.framesOf('message').length, 0);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('broadcast() reaches every live connection once', async () => {
    const clients = await Promise.all(
      ['u1', 'u2', 'u3'].map((user) => TestClient.connectAndWelcome(chat.wsUrl(user))),
    );
    const result = await chat.messaging.broadcast({ all: true });
    assert.deepEqual(result, { delivered: chat.registry.size, dropped: 0 });
    assert.ok(result.delivered >= 3);
    for (const client of clients) {
      assert.deepEqual((await client.next('message')).data, { all: true });
      client.send({ event: 'heartbeat' });
      await client.next('heartbeat');
      assert.equal(client.framesOf('message').length, 1);
    }
    await Promise.all(clients.map((client) => client.close()));
  });

  it('sendToConnection() reaches only that connection', async () => {
    const first = await TestClient.connectAndWelcome(chat.wsUrl('tom'));
    const second = await TestClient.connectAndWelcome(chat.wsUrl('tom'));
    const result = await chat.messaging.sendToConnection(second.connectionId, 'just you');
    assert.deepEqual(result, { delivered: 1, dropped: 0 });
    assert.equal((await second.next('message')).data, 'just you');
    first.send({ event: 'heartbeat' });
    await first.next('heartbeat');
    assert.equal(first.framesOf('message').length, 0);
    assert.deepEqual(await chat.messaging.sendToConnection('no-such-id', 'x'), {
      delivered: 0,
      dropped: 0,
    });
    await Promise.all([first.close(), second.close()]);
  });

  it('isOnline() and connectionCount() follow connections as they come and go', async () => {
    assert.equal(await chat.messaging.isOnline('olga'), false);
    assert.equal(await chat.messaging.connectionCount('olga'), 0);
    const one = await TestClient.connectAndWelcome(chat.wsUrl('olga'));
    const two = await TestClient.connectAndWelcome(chat.wsUrl('olga'));
    assert.equal(await chat.messaging.isOnline('olga'), true);
    assert.equal(await chat.messaging.connectionCount('olga'), 2);
    await one.close();
    await waitFor(async () => (await chat.messaging.connectionCount('olga')) === 1);
    await two.close();
    await waitFor(async () => !(await chat.messaging.isOnline('olga')));
  });

  it('onlineUsers() lists each user with a live connection once', async () => {
    const clients = await Promise.all(
      ['ola', 'ola', 'pia'].map((user) => TestClient.connectAndWelcome(chat.wsUrl(user))),
    );
    assert.deepEqual((await chat.messaging.onlineUsers()).sort(), ['ola', 'pia']);
    await Promise.all(clients.map((client) => client.close()));
    await waitFor(async () => (await chat.messaging.onlineUsers()).length === 0);
  });

  it('incoming$ emits application frames with their user and connection, but not heartbeats', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('ivy'));
    client.send({ event: 'heartbeat' });
    await client.next('heartbeat');
    client.send({ event: 'typing', data: { to: 'joe' } });
    client.send({ event: 'ping-app' });
    await waitFor(() => incoming.filter((frame) => frame.user === 'ivy').length === 2);
    assert.deepEqual(
      incoming.filter((frame) => frame.user === 'ivy'),
      [
        { user: 'ivy', connectionId: client.connectionId, event: 'typing', data: { to: 'joe' } },
        { user: 'ivy', connectionId: client.connectionId, event: 'ping-app', data: undefined },
      ],
    );
    await client.close();
  });

  it('connections$ reports connected and disconnected with the reason', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('evan'));
    const id = client.connectionId;
    await client.close(4321);
    await waitFor(() =>
      connectionEvents.some((event) => event.connectionId === id && event.type === 'disconnected'),
    );
    assert.deepEqual(
      connectionEvents.filter((event) => event.connectionId === id),
      [
        { type: 'connected', user: 'evan', connectionId: id },
        {
          type: 'disconnected',
          user: 'evan',
          connectionId: id,
          reason: 'client_closed',
          code: 4321,
        },
      ],
    );
  });
});
