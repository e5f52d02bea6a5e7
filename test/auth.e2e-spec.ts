import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { jwtAuthenticator, queryUserAuthenticator, type ConnectionEvent } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { refusedStatus, TestClient } from './support/test-client.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256!';

function token(
  claims: { sub?: string; exp?: number | string } = {},
  secret = SECRET,
): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  jwt.setExpirationTime(claims.exp ?? '1h');
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('jwtAuthenticator', () => {
  let chat: TestApp;
  const events: ConnectionEvent[] = [];

  before(async () => {
    chat = await startChatApp({ authenticate: jwtAuthenticator({ secret: SECRET }) });
    chat.messaging.connections$.subscribe((event) => events.push(event));
  });
  after(() => chat.close());

  it('accepts a valid token from ?token= and registers its subject', async () => {
    const client = await TestClient.connect(
      `${chat.wsUrl()}?token=${await token({ sub: 'alice' })}`,
    );
    const welcome = await client.next('welcome');
    assert.equal(welcome.data.user, 'alice');
    const [connection] = chat.registry.connectionsOf('alice');
    assert.ok(connection.expiresAt && connection.expiresAt > Date.now(), 'exp becomes expiresAt');
    await client.close();
  });

  it('accepts a valid token from an Authorization: Bearer header', async () => {
    const client = await TestClient.connect(chat.wsUrl(), {
      headers: { Authorization: `Bearer ${await token({ sub: 'bob' })}` },
    });
    assert.equal((await client.next('welcome')).data.user, 'bob');
    await client.close();
  });

  const refusals: [string, () => Promise<string>][] = [
    ['no token', async () => chat.wsUrl()],
    ['a garbage token', async () => `${chat.wsUrl()}?token=not.a.jwt`],
    [
      'a forged token',
      async () =>
        `${chat.wsUrl()}?token=${await token({ sub: 'mallory' }, 'another-secret-of-enough-length!!')}`,
    ],
    [
      'an expired token',
      async () =>
        `${chat.wsUrl()}?token=${await token({ sub: 'old', exp: Math.floor(Date.now() / 1000) - 60 })}`,
    ],
    ['a token without sub', async () => `${chat.wsUrl()}?token=${await token()}`],
    [
      'a subject with control characters',
      async () => `${chat.wsUrl()}?token=${await token({ sub: 'a\u0000b' })}`,
    ],
    [
      "an unsigned token (alg 'none')",
      async () => {
        const body = Buffer.from(JSON.stringify({ sub: 'eve', exp: 9999999999 })).toString(
          'base64url',
        );
        const header = Buffer.from('{"alg":"none"}').toString('base64url');
        return `${chat.wsUrl()}?token=${header}.${body}.`;
      },
    ],
  ];

  for (const [what, url] of refusals) {
    it(`refuses ${what} with HTTP 401 before any WebSocket opens`, async () => {
      const before = events.length;
      assert.equal(await refusedStatus(await url()), 401);
      assert.equal(chat.registry.size, 0);
      assert.equal(events.length, before, 'no connection was ever registered');
    });
  }

  it('rejects an empty secret at configuration time', () => {
    assert.throws(() => jwtAuthenticator({ secret: '' }), /option "secret" must be a non-empty/);
  });
});

describe('custom authenticators', () => {
  let chat: TestApp;
  after(() => chat?.close());

  it('answers 500 when the authenticator throws, and keeps serving', async () => {
    chat = await startChatApp({
      authenticate: async (request) => {
        if (request.url?.includes('boom')) throw new Error('database down');
        return { user: 'fine' };
      },
    });
    assert.equal(await refusedStatus(`${chat.wsUrl()}?boom`), 500);
    const client = await TestClient.connectAndWelcome(chat.wsUrl());
    assert.equal(client.frames[0].data.user, 'fine');
    await client.close();
  });

  it('queryUserAuthenticator() takes the user from ?user= and refuses a handshake without it', async () => {
    await chat.close();
    chat = await startChatApp({ authenticate: queryUserAuthenticator() });
    const client = await TestClient.connectAndWelcome(chat.wsUrl('quentin'));
    assert.equal(client.frames[0].data.user, 'quentin');
    assert.equal(await refusedStatus(chat.wsUrl()), 401);
    assert.equal(await refusedStatus(chat.wsUrl('x'.repeat(129))), 401);
    await client.close();
  });
});
