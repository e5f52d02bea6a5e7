import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectionEvent } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

describe('heartbeat', () => {
  let chat: TestApp;
  const events: ConnectionEvent[] = [];

  before(async () => {
    chat = await startChatApp({ heartbeat: { intervalMs: 100, timeoutMs: 400 } });
    chat.messaging.connections$.subscribe((event) => events.push(event));
  });
  after(() => chat.close());

  it('answers a heartbeat frame with the server time', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('hal'));
    const before = Date.now();
    client.send({ event: 'heartbeat' });
    const reply = await client.next('heartbeat');
    assert.equal(typeof reply.data.ts, 'number');
    assert.ok(reply.data.ts >= before - 1000 && reply.data.ts <= Date.now() + 1000);
    await client.close();
  });

  it('pings every connection, and a client that answers pings stays connected past the timeout', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('pat'));
    let pings = 0;
    client.socket.on('ping', () => pings++);
    await waitFor(() => pings >= 6, { what: 'six server pings (more than the timeout)' });
    assert.equal(await chat.messaging.isOnline('pat'), true);
    await client.close();
  });

  it('terminates and unregisters a silent peer that does not answer pings', async () => {
    const silent = await TestClient.connectAndWelcome(chat.wsUrl('ghost'), { autoPong: false });
    const id = silent.connectionId;

    await waitFor(() => events.some((e) => e.connectionId === id && e.type === 'disconnected'), {
      what: 'the dead peer to be reaped',
    });

    const reaped = events.find((e) => e.connectionId === id && e.type === 'disconnected');
    assert.equal(reaped?.type === 'disconnected' && reaped.reason, 'heartbeat_timeout');
    assert.equal(await chat.messaging.isOnline('ghost'), false);
    // Terminated, not closed: the client sees an abnormal closure without a close frame.
    assert.equal((await silent.closed).code, 1006);
  });

  it('counts any inbound frame as liveness, so a client that never pongs but talks stays', async () => {
    const talker = await TestClient.connectAndWelcome(chat.wsUrl('tess'), { autoPong: false });
    const started = Date.now();
    while (Date.now() - started < 1000) {
      talker.send({ event: 'heartbeat' });
      await talker.next('heartbeat');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await chat.messaging.isOnline('tess'), true);
    await talker.close();
  });
});
