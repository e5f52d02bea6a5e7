import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoProcess, type DemoProcess } from './support/demo-process.js';
import { RedisServer } from './support/redis-server.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

const NODE_TTL_MS = 1000;

describe('demo instances as OS processes on one Redis', () => {
  let redis: RedisServer;
  let a: DemoProcess;
  let b: DemoProcess;

  before(async () => {
    redis = await RedisServer.start();
    const env = {
      CHAT_REDIS_URL: redis.url,
      CHAT_JWT_SECRET: 'shared-cluster-secret',
      CHAT_NODE_TTL_MS: String(NODE_TTL_MS),
    };
    [a, b] = await Promise.all([
      startDemoProcess({ ...env, CHAT_NODE_ID: 'proc-a' }),
      startDemoProcess({ ...env, CHAT_NODE_ID: 'proc-b' }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await redis?.stop();
  });

  const http = (node: DemoProcess, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${node.port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as any,
    }));

  it('a token from one instance works on the other, and a push on A reaches the user on B', async () => {
    const { body: login } = await http(a, '/auth/login', { user: 'pia' });
    const pia = await TestClient.connectAndWelcome(
      `ws://127.0.0.1:${b.port}/ws?token=${login.token}`,
    );
    await waitFor(async () => (await http(a, '/users/pia/presence')).body.online);

    const push = await http(a, '/users/pia/messages', { text: 'across processes' });
    assert.deepEqual([push.status, push.body.user, push.body.delivered], [202, 'pia', 1]);
    assert.deepEqual((await pia.next('message')).data, { text: 'across processes' });

    // Chat works across instances too: a user on A writes to pia on B, whose device confirms.
    const { body: other } = await http(a, '/auth/login', { user: 'quinn' });
    const quinn = await TestClient.connectAndWelcome(
      `ws://127.0.0.1:${a.port}/ws?token=${other.token}`,
    );
    pia.autoAck = true;
    const ack = await quinn.request('chat', { to: 'pia', text: 'hello from A' }, 'q1');
    const chat = await pia.next('chat');
    assert.equal(chat.data.from, 'quinn');
    assert.equal(chat.data.text, 'hello from A');
    assert.deepEqual([ack.data.delivered, ack.data.acked], [1, 1]);
    await quinn.close();
  });

  it('room presence follows a user from instance to instance, and back', async () => {
    const connect = async (node: DemoProcess, user: string) => {
      const { body } = await http(node, '/auth/login', { user });
      return TestClient.connectAndWelcome(`ws://127.0.0.1:${node.port}/ws?token=${body.token}`);
    };
    for (const user of ['ola', 'sam']) {
      const joined = await fetch(`http://127.0.0.1:${a.port}/rooms/team/members/${user}`, {
        method: 'PUT',
      });
      assert.equal(joined.status, 204);
    }
    const aboutSam = (client: TestClient) =>
      client
        .framesOf('presence')
        .filter(({ room, data }) => room === 'team' && data.user === 'sam')
        .map(({ data }) => (data.online ? 'online' : 'offline'));
    const ola = await connect(b, 'ola');

    const samOnA = await connect(a, 'sam');
    await waitFor(() => aboutSam(ola).includes('online'));
    // sam opens the chat on B: the connection on A is replaced, sam stays online.
    const samOnB = await connect(b, 'sam');
    assert.equal((await samOnA.closed).code, 4000);
    await samOnB.close();
    await waitFor(() => aboutSam(ola).at(-1) === 'offline', { what: 'sam offline' });
    // Back on A, which must not trust what it announced before sam left it.
    const samAgain = await connect(a, 'sam');
    await waitFor(() => aboutSam(ola).at(-1) === 'online', { what: 'sam online again' });
    assert.equal(aboutSam(ola).filter((state) => state === 'offline').length, 1);
    await Promise.all([samAgain.close(), ola.close()]);
  });

  it("after a SIGKILL of B, B's users are offline within the node TTL, and recover on A what was sent meanwhile", async () => {
    assert.equal((await http(a, '/users/pia/presence')).body.online, true);
    const { body: login } = await http(a, '/auth/login', { user: 'rui' });
    const rui = await TestClient.connectAndWelcome(
      `ws://127.0.0.1:${b.port}/ws?token=${login.token}`,
    );
    const { epoch } = rui.frames[0].data;
    await waitFor(async () => (await http(a, '/users/rui/presence')).body.online);
    await http(a, '/users/rui/messages', { n: 1 });
    assert.equal((await rui.next('message')).offset, 1);
    const killedAt = Date.now();
    assert.equal(await b.stop('SIGKILL'), 'SIGKILL');
    // Sent while rui's node is dead: stored in Redis, whatever they deliver now.
    for (const n of [2, 3, 4]) await http(a, '/users/rui/messages', { n });
    const back = await TestClient.connectAndWelcome(
      `ws://127.0.0.1:${a.port}/ws?token=${login.token}&since=1&epoch=${epoch}`,
    );
    assert.equal(back.frames[0].data.recovered, true);
    for (const n of [2, 3, 4]) {
      const push = await back.next('message');
      assert.deepEqual([push.data, push.offset], [{ n }, n]);
    }
    await back.close();

    await waitFor(async () => !(await http(a, '/users/pia/presence')).body.online, {
      timeoutMs: NODE_TTL_MS + 3000,
      what: "B's users to go offline",
    });
    const offlineAfter = Date.now() - killedAt;
    assert.ok(offlineAfter <= NODE_TTL_MS + 3000, `offline after ${offlineAfter} ms`);

    const started = Date.now();
    const push = await http(a, '/users/pia/messages', { text: 'too late' });
    assert.deepEqual([push.status, push.body.user, push.body.delivered], [202, 'pia', 0]);
    assert.ok(Date.now() - started < 1000, 'the send did not wait for the dead node');
  });
});
