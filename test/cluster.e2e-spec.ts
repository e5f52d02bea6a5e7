import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { RedisServer } from './support/redis-server.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

describe('cluster on Redis: two nodes', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([
      startChatApp({ redis: { url: redis.url }, nodeId: 'a' }),
      startChatApp({ redis: { url: redis.url }, nodeId: 'b' }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it('a send on node A reaches a user connected to node B', async () => {
    const bob = await TestClient.connectAndWelcome(b.wsUrl('bob'));
    await waitFor(() => a.messaging.isOnline('bob'));
    assert.deepEqual(await a.messaging.send('bob', { hi: 1 }), { delivered: 1, dropped: 0 });
    assert.deepEqual((await bob.next('message')).data, { hi: 1 });
    await bob.close();
  });

  it('a new connection on node B replaces the same user on node A with 4000', async () => {
    const onA = await TestClient.connectAndWelcome(a.wsUrl('rita'));
    await waitFor(() => b.messaging.isOnline('rita'));
    const onB = await TestClient.connectAndWelcome(b.wsUrl('rita'));
    assert.equal((await onA.closed).code, CloseCode.Replaced);
    await waitFor(async () => (await a.messaging.connectionCount('rita')) === 1);
    assert.deepEqual(await a.messaging.send('rita', 'x'), { delivered: 1, dropped: 0 });
    assert.equal((await onB.next('message')).data, 'x');
    await onB.close();
  });
});
