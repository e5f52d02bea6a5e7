import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { startChatApp, userFromQuery, type TestApp } from './support/chat-app.js';
import { refusal, refusedStatus, TestClient } from './support/test-client.js';
import { rawRequestStatus, upgradeRequest } from './support/raw-http.js';
import { waitFor, within } from './support/wait.js';

describe('handshake checks', () => {
  let chat: TestApp;
  before(async () => {
    chat = await startChatApp({ limits: { handshakeTimeoutMs: 300 } });
  });
  after(() => chat.close());

  it('refuses a cross-origin browser handshake with 403 and allows the same origin', async () => {
    const host = `127.0.0.1:${chat.port}`;
    assert.equal(
      await refusedStatus(chat.wsUrl('eve'), { headers: { Origin: 'https://evil.example' } }),
      403,
    );
    const client = await TestClient.connectAndWelcome(chat.wsUrl('ann'), {
      headers: { Origin: `http://${host}` },
    });
    await client.close();
    assert.equal(chat.registry.size, 0);
  });

  it('answers 400 to a wrong Sec-WebSocket-Version and to a missing key', async () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    assert.equal(
      await rawRequestStatus(
        chat.port,
        upgradeRequest({ 'Sec-WebSocket-Version': '12', 'Sec-WebSocket-Key': key }),
      ),
      400,
    );
    assert.equal(
      await rawRequestStatus(chat.port, upgradeRequest({ 'Sec-WebSocket-Version': '13' })),
      400,
    );
    assert.equal(chat.registry.size, 0);
  });

  it('drops a connection that trickles its upgrade request (slowloris) and keeps serving', async () => {
    const socket = connect(chat.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /ws?user=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    const started = Date.now();
    await within(new Promise((resolve) => socket.once('close', resolve)), 5000, 'the drop');
    assert.ok(Date.now() - started < 2000, `dropped after ${Date.now() - started} ms`);
    const client = await TestClient.connectAndWelcome(chat.wsUrl('after-slowloris'));
    await client.close();
  });
});

describe('handshake limits', () => {
  let chat: TestApp | undefined;
  afterEach(async () => {
    await chat?.close();
    chat = undefined;
  });

  it('requireOrigin refuses clients without an Origin header with 403', async () => {
    chat = await startChatApp({ requireOrigin: true, allowedOrigins: ['https://app.example'] });
    assert.equal(await refusedStatus(chat.wsUrl('bot')), 403);
    const client = await TestClient.connectAndWelcome(chat.wsUrl('web'), {
      headers: { Origin: 'https://app.example' },
    });
    await client.close();
  });

  it('answers 503 beyond maxConnections and accepts again once one leaves', async () => {
    chat = await startChatApp({ limits: { maxConnections: 2 } });
    const one = await TestClient.connectAndWelcome(chat.wsUrl('u1'));
    const two = await TestClient.connectAndWelcome(chat.wsUrl('u2'));
    assert.equal(await refusedStatus(chat.wsUrl('u3')), 503);
    await one.close();
    await waitFor(() => chat!.registry.size === 1);
    const three = await TestClient.connectAndWelcome(chat.wsUrl('u3'));
    await Promise.all([two.close(), three.close()]);
  });

  it('answers 429 beyond maxConnectionsPerAddress', async () => {
    chat = await startChatApp({ limits: { maxConnectionsPerAddress: 2 } });
    const clients = [
      await TestClient.connectAndWelcome(chat.wsUrl('a1')),
      await TestClient.connectAndWelcome(chat.wsUrl('a2')),
    ];
    assert.equal(await refusedStatus(chat.wsUrl('a3')), 429);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('answers 429 with Retry-After beyond userConnectsPerMinute, per user', async () => {
    chat = await startChatApp({ limits: { userConnectsPerMinute: 3 } });
    for (let i = 0; i < 3; i++) {
      const client = await TestClient.connectAndWelcome(chat.wsUrl('churner'));
      await client.close();
    }
    const refused = await refusal(chat.wsUrl('churner'));
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After says when to come back');
    const other = await TestClient.connectAndWelcome(chat.wsUrl('someone-else'));
    await other.close();
  });

  it('answers 503 when the authenticator does not answer within handshakeTimeoutMs', async () => {
    chat = await startChatApp({
      authenticate: (request) =>
        request.url?.includes('hang') ? new Promise<null>(() => undefined) : userFromQuery(request),
      limits: { handshakeTimeoutMs: 200 },
    });
    assert.equal(await refusedStatus(`${chat.wsUrl('x')}&hang`), 503);
    const client = await TestClient.connectAndWelcome(chat.wsUrl('prompt'));
    await client.close();
  });

  it('answers 503 to handshakes that arrive while shutting down', async () => {
    chat = await startChatApp({ shutdownGraceMs: 2000 });
    const lingering = await TestClient.connectAndWelcome(chat.wsUrl('lingering'));
    // A client that does not answer the close frame keeps the drain waiting.
    lingering.socket.pause();
    const closing = chat.close();
    await waitFor(() => chat!.registry.size === 0, { what: 'the drain to start' });
    assert.equal(await refusedStatus(chat.wsUrl('latecomer')), 503);
    lingering.socket.resume();
    await closing;
  });
});
