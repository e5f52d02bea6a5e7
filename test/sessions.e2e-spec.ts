import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { CloseCode, jwtAuthenticator, type ConnectionEvent } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

const SECRET = 'sessions-test-secret-of-a-decent-length';

function tokenExpiringIn(seconds: number, user: string): Promise<string> {
  return new SignJWT()
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(SECRET));
}

describe('closeOnTokenExpiry', () => {
  let chat: TestApp | undefined;
  afterEach(() => chat?.close());

  it('closes an idle connection with 4001 once its token expires', async () => {
    chat = await startChatApp({
      authenticate: jwtAuthenticator({ secret: SECRET }),
      closeOnTokenExpiry: true,
      heartbeat: { intervalMs: 100, timeoutMs: 5000 },
    });
    const events: ConnectionEvent[] = [];
    chat.messaging.connections$.subscribe((event) => events.push(event));
    const client = await TestClient.connectAndWelcome(
      `${chat.wsUrl()}?token=${await tokenExpiringIn(1, 'ephemeral')}`,
    );
    const closed = await client.closed;
    assert.deepEqual(closed, { code: CloseCode.TokenExpired, reason: 'credentials expired' });
    const departure = events.find((event) => event.type === 'disconnected');
    assert.equal(departure?.type === 'disconnected' && departure.reason, 'token_expired');
  });

  it('closes with 4001 at the first frame after expiry, before handling it', async () => {
    chat = await startChatApp({
      authenticate: jwtAuthenticator({ secret: SECRET }),
      closeOnTokenExpiry: true,
    });
    const incoming: unknown[] = [];
    chat.messaging.incoming$.subscribe((frame) => incoming.push(frame));
    const client = await TestClient.connectAndWelcome(
      `${chat.wsUrl()}?token=${await tokenExpiringIn(1, 'talker')}`,
    );
    const connection = chat.registry.connectionsOf('talker')[0];
    await waitFor(() => Date.now() > connection.expiresAt!, { timeoutMs: 3000 });
    client.send({ event: 'chat', data: 'too late' });
    assert.equal((await client.closed).code, CloseCode.TokenExpired);
    assert.deepEqual(incoming, []);
  });

  it('leaves connections alone when off (the default)', async () => {
    chat = await startChatApp({
      authenticate: jwtAuthenticator({ secret: SECRET, clockToleranceSeconds: 30 }),
      heartbeat: { intervalMs: 100, timeoutMs: 5000 },
    });
    const client = await TestClient.connectAndWelcome(
      `${chat.wsUrl()}?token=${await tokenExpiringIn(1, 'lasting')}`,
    );
    const connection = chat.registry.connectionsOf('lasting')[0];
    await waitFor(() => Date.now() > connection.expiresAt! + 300, { timeoutMs: 3000 });
    client.send({ event: 'heartbeat' });
    await client.next('heartbeat');
    await client.close();
  });
});

describe('MessagingService.disconnect', () => {
  let chat: TestApp;
  after(() => chat?.close());

  it("closes every connection of the user with 4003 and the given reason, and nobody else's", async () => {
    chat = await startChatApp({ connectionsPerUser: 3 });
    const devices = await Promise.all(
      [1, 2, 3].map(() => TestClient.connectAndWelcome(chat.wsUrl('banned'))),
    );
    const bystander = await TestClient.connectAndWelcome(chat.wsUrl('bystander'));

    assert.deepEqual(await chat.messaging.disconnect('banned', 'account suspended'), {
      disconnected: 3,
    });
    for (const device of devices) {
      assert.deepEqual(await device.closed, {
        code: CloseCode.Kicked,
        reason: 'account suspended',
      });
    }
    assert.equal(await chat.messaging.isOnline('banned'), false);
    assert.deepEqual(await chat.messaging.disconnect('banned'), { disconnected: 0 });
    assert.equal(await chat.messaging.isOnline('bystander'), true);
    await bystander.close();
  });
});
