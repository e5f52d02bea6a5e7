import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { CloseCode, MemoryHub, MemoryTransport, type ChatModuleOptions } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { RedisCluster } from './support/redis-cluster.js';
import { RedisServer } from './support/redis-server.js';
import { TestClient } from './support/test-client.js';
import { waitFor, within } from './support/wait.js';
import { counts } from './support/send-counts.js';

interface Backplane {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Module options that put a node on this backplane. */
  options(): Partial<ChatModuleOptions>;
}

const memory = (): Backplane => {
  let hub = new MemoryHub();
  return {
    name: 'the in-memory transport (nodes sharing a hub)',
    start: async () => {
      hub = new MemoryHub();
    },
    stop: async () => undefined,
    options: () => ({ transport: new MemoryTransport(hub) }),
  };
};

const redisCluster = (): Backplane => {
  let cluster: RedisCluster | undefined;
  return {
    name: 'a Redis Cluster (three masters)',
    start: async () => {
      cluster = await RedisCluster.start();
    },
    stop: async () => cluster?.stop(),
    options: () => ({ redis: { cluster: cluster!.nodes } }),
  };
};

const redis = (): Backplane & { server(): RedisServer } => {
  let server: RedisServer | undefined;
  return {
    name: 'Redis',
    start: async () => {
      server = await RedisServer.start();
    },
    stop: async () => server?.stop(),
    options: () => ({ redis: { url: server!.url, options: { retryStrategy: () => 50 } } }),
    server: () => server!,
  };
};

/** Drains a client's socket: after a heartbeat round trip, every earlier push has arrived. */
async function settled(client: TestClient): Promise<void> {
  client.send({ event: 'heartbeat' });
  await client.next('heartbeat');
}

// The same behaviour is required of every transport: these tests run against each.
for (const backplane of [memory(), redis(), redisCluster()]) {
  describe(`cluster contract on ${backplane.name}`, () => {
    const nodes: TestApp[] = [];
    let a: TestApp;
    let b: TestApp;
    let c: TestApp;

    before(async () => {
      await backplane.start();
      for (const nodeId of ['a', 'b', 'c']) {
        nodes.push(await startChatApp({ ...backplane.options(), nodeId, connectionsPerUser: 2 }));
      }
      [a, b, c] = nodes;
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await backplane.stop();
    });

    it('send() on one node reaches the user on another, and reports it', async () => {
      const bob = await TestClient.connectAndWelcome(b.wsUrl('bob'));
      await waitFor(() => a.messaging.isOnline('bob'));
      assert.deepEqual(counts(await a.messaging.send('bob', { hi: 1 })), {
        delivered: 1,
        dropped: 0,
      });
      assert.deepEqual((await bob.next('message')).data, { hi: 1 });
      await bob.close();
      await waitFor(async () => !(await a.messaging.isOnline('bob')));
      assert.deepEqual(counts(await a.messaging.send('bob', 'late')), { delivered: 0, dropped: 0 });
    });

    it('reaches every device of a user once, wherever they are, with no duplicate', async () => {
      const onA = await TestClient.connectAndWelcome(a.wsUrl('dana'));
      const onB = await TestClient.connectAndWelcome(b.wsUrl('dana'));
      await waitFor(async () => (await c.messaging.connectionCount('dana')) === 2);
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(counts(await c.messaging.send('dana', i)), { delivered: 2, dropped: 0 });
      }
      assert.deepEqual(counts(await a.messaging.send('dana', 'from a')), {
        delivered: 2,
        dropped: 0,
      });
      for (const device of [onA, onB]) {
        await settled(device);
        assert.deepEqual(
          device.framesOf('message').map((frame) => frame.data),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'from a'],
        );
      }
      await Promise.all([onA.close(), onB.close()]);
    });

    it('sendMany() and sendToConnection() reach users and connections on other nodes', async () => {
      const x = await TestClient.connectAndWelcome(a.wsUrl('xia'));
      const y = await TestClient.connectAndWelcome(b.wsUrl('yan'));
      const z = await TestClient.connectAndWelcome(c.wsUrl('zoe'));
      await waitFor(async () => (await a.messaging.onlineUsers()).length === 3);
      assert.deepEqual((await b.messaging.onlineUsers()).sort(), ['xia', 'yan', 'zoe']);

      assert.deepEqual(
        counts(await a.messaging.sendMany(['xia', 'yan', 'zoe', 'nobody'], 'all three')),
        {
          delivered: 3,
          dropped: 0,
        },
      );
      assert.deepEqual(await a.messaging.sendToConnection(z.connectionId, 'only zoe'), {
        delivered: 1,
        dropped: 0,
      });
      for (const client of [x, y]) {
        await settled(client);
        assert.deepEqual(
          client.framesOf('message').map((f) => f.data),
          ['all three'],
        );
      }
      await settled(z);
      assert.deepEqual(
        z.framesOf('message').map((f) => f.data),
        ['all three', 'only zoe'],
      );
      await Promise.all([x.close(), y.close(), z.close()]);
    });

    it('broadcast() reaches the users of every node exactly once', async () => {
      const clients = await Promise.all([
        TestClient.connectAndWelcome(a.wsUrl('b1')),
        TestClient.connectAndWelcome(b.wsUrl('b2')),
        TestClient.connectAndWelcome(b.wsUrl('b3')),
        TestClient.connectAndWelcome(c.wsUrl('b4')),
      ]);
      assert.deepEqual(await b.messaging.broadcast({ news: true }), { delivered: 4, dropped: 0 });
      for (const client of clients) {
        await settled(client);
        assert.deepEqual(
          client.framesOf('message').map((f) => f.data),
          [{ news: true }],
        );
      }
      await Promise.all(clients.map((client) => client.close()));
    });

    it('the per-user limit holds across nodes: a third device anywhere closes the oldest with 4000', async () => {
      const first = await TestClient.connectAndWelcome(a.wsUrl('lim'));
      const second = await TestClient.connectAndWelcome(b.wsUrl('lim'));
      await waitFor(async () => (await c.messaging.connectionCount('lim')) === 2);
      const third = await TestClient.connectAndWelcome(c.wsUrl('lim'));
      assert.equal((await first.closed).code, CloseCode.Replaced);
      await waitFor(async () => (await a.messaging.connectionCount('lim')) === 2);
      assert.deepEqual(counts(await a.messaging.send('lim', 'two')), { delivered: 2, dropped: 0 });
      assert.equal(second.socket.readyState, WebSocket.OPEN);
      await Promise.all([second.close(), third.close()]);
    });

    it("disconnect() closes the user's connections on every node with 4003", async () => {
      const onA = await TestClient.connectAndWelcome(a.wsUrl('kick'));
      const onB = await TestClient.connectAndWelcome(b.wsUrl('kick'));
      await waitFor(async () => (await c.messaging.connectionCount('kick')) === 2);
      assert.deepEqual(await c.messaging.disconnect('kick', 'logged out'), { disconnected: 2 });
      for (const device of [onA, onB]) {
        assert.deepEqual(await device.closed, { code: CloseCode.Kicked, reason: 'logged out' });
      }
      await waitFor(async () => !(await c.messaging.isOnline('kick')));
    });

    it('a node that shuts down takes its users offline at once', async () => {
      const extra = await startChatApp({ ...backplane.options(), nodeId: 'extra' });
      const client = await TestClient.connectAndWelcome(extra.wsUrl('leaver'));
      await waitFor(() => a.messaging.isOnline('leaver'));
      await extra.close();
      assert.equal((await client.closed).code, CloseCode.GoingAway);
      assert.equal(await a.messaging.isOnline('leaver'), false);
      assert.deepEqual(counts(await a.messaging.send('leaver', 'x')), { delivered: 0, dropped: 0 });
    });
  });
}

const standalone = redis();
for (const backplane of [standalone, redisCluster()]) {
  describe(`cluster on ${backplane.name} with connectionsPerUser 'single'`, () => {
    let a: TestApp;
    let b: TestApp;

    before(async () => {
      await backplane.start();
      [a, b] = await Promise.all([
        startChatApp({ ...backplane.options(), nodeId: 'a' }),
        startChatApp({ ...backplane.options(), nodeId: 'b' }),
      ]);
    });
    after(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await backplane.stop();
    });

    it('a new connection on node B replaces the same user on node A with 4000', async () => {
      const onA = await TestClient.connectAndWelcome(a.wsUrl('rita'));
      await waitFor(() => b.messaging.isOnline('rita'));
      const onB = await TestClient.connectAndWelcome(b.wsUrl('rita'));
      assert.equal((await onA.closed).code, CloseCode.Replaced);
      await waitFor(async () => (await a.messaging.connectionCount('rita')) === 1);
      assert.deepEqual(counts(await a.messaging.send('rita', 'x')), { delivered: 1, dropped: 0 });
      assert.equal((await onB.next('message')).data, 'x');
      await onB.close();
    });

    it('simultaneous handshakes of one user on two nodes end with exactly one live connection', async () => {
      for (let round = 0; round < 15; round++) {
        const user = `racer-${round}`;
        const clients = await Promise.all([
          TestClient.connect(a.wsUrl(user)),
          TestClient.connect(b.wsUrl(user)),
          TestClient.connect(a.wsUrl(user)),
          TestClient.connect(b.wsUrl(user)),
        ]);
        const survivors = await waitFor(
          async () => {
            const open = clients.filter((client) => client.socket.readyState === WebSocket.OPEN);
            const count = await a.messaging.connectionCount(user);
            const local =
              a.registry.connectionsOf(user).length + b.registry.connectionsOf(user).length;
            return open.length === 1 && count === 1 && local === 1 ? open : undefined;
          },
          { what: `one survivor of round ${round}` },
        );
        for (const client of clients) {
          if (client !== survivors[0]) assert.equal((await client.closed).code, CloseCode.Replaced);
        }
        assert.deepEqual(counts(await a.messaging.send(user, round)), { delivered: 1, dropped: 0 });
        assert.equal((await survivors[0].next('message')).data, round);
        await survivors[0].close();
      }
    });

    // What only a single Redis shows: its classic channels and its command statistics.
    if (backplane === standalone) {
      it('ignores malformed cluster messages and keeps serving', async () => {
        const bob = await TestClient.connectAndWelcome(b.wsUrl('sturdy'));
        const nodeB = bob.connectionId.slice(0, bob.connectionId.lastIndexOf('.'));
        const publisher = standalone.server().client();
        try {
          for (const channel of [`chat:node:${nodeB}`, 'chat:all']) {
            for (const junk of [
              'not json',
              '{"type":"deliver"}',
              '{"type":"deliver","from":"x","items":[{"id":1,"frame":"{}","users":5}]}',
              '{"type":"evict","from":"x","connectionIds":[null,{}]}',
              '{"type":"unknown","from":"x"}',
            ]) {
              await publisher.publish(channel, junk);
            }
          }
        } finally {
          publisher.disconnect();
        }
        await waitFor(() => a.messaging.isOnline('sturdy'));
        assert.deepEqual(counts(await a.messaging.send('sturdy', 'fine')), {
          delivered: 1,
          dropped: 0,
        });
        assert.equal((await bob.next('message')).data, 'fine');
        await bob.close();
      });

      it('a send to an offline user costs one lookup and publishes nothing', async () => {
        const stats = standalone.server().client();
        try {
          const publishes = async () => {
            const info = await stats.info('commandstats');
            return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
          };
          const before = await publishes();
          for (let i = 0; i < 20; i++) {
            assert.deepEqual(counts(await a.messaging.send(`offline-${i}`, i)), {
              delivered: 0,
              dropped: 0,
            });
          }
          assert.equal(await publishes(), before);
        } finally {
          stats.disconnect();
        }
      });
    }
  });
}
describe('cluster on Redis: lost notices', () => {
  const backplane = redis();
  let a: TestApp;
  let b: TestApp;
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backplane.stop();
  });

  it('closes a replaced connection even when its node missed the eviction notice', async () => {
    await backplane.start();
    // Subscriptions come back only after 2 s, and liveness refreshes every 200 ms.
    const options = {
      redis: {
        url: backplane.server().url,
        nodeTtlMs: 600,
        options: { retryStrategy: () => 2000 },
      },
    };
    [a, b] = await Promise.all([
      startChatApp({ ...options, nodeId: 'a' }),
      startChatApp({ ...options, nodeId: 'b' }),
    ]);
    const old = await TestClient.connectAndWelcome(a.wsUrl('deaf'));
    await waitFor(() => b.messaging.isOnline('deaf'));

    // Cut every pub/sub connection: node A cannot hear the notice B is about to publish.
    const admin = backplane.server().client();
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    admin.disconnect();
    const fresh = await TestClient.connectAndWelcome(b.wsUrl('deaf'));

    assert.equal(
      (await within(old.closed, 5000, 'the replaced connection to close')).code,
      CloseCode.Replaced,
    );
    assert.equal(fresh.socket.readyState, WebSocket.OPEN);
    await fresh.close();
  });
});

describe('cluster on Redis: outages', () => {
  const backplane = redis();
  let a: TestApp;
  let b: TestApp;
  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backplane.stop();
  });

  it('keeps local delivery through a Redis outage, reports remote sends as unavailable, and restores presence when Redis returns', async () => {
    await backplane.start();
    [a, b] = await Promise.all([
      startChatApp({ ...backplane.options(), nodeId: 'a', clusterTimeoutMs: 1000 }),
      startChatApp({ ...backplane.options(), nodeId: 'b', clusterTimeoutMs: 1000 }),
    ]);
    const local = await TestClient.connectAndWelcome(a.wsUrl('lou'));
    const remote = await TestClient.connectAndWelcome(b.wsUrl('rey'));
    await waitFor(() => a.messaging.isOnline('rey'));

    await backplane.server().stop();

    const started = Date.now();
    assert.deepEqual(counts(await a.messaging.send('lou', 'still here')), {
      delivered: 1,
      dropped: 0,
      incomplete: 'backplane_unavailable',
    });
    assert.equal((await local.next('message')).data, 'still here');
    assert.deepEqual(counts(await a.messaging.send('rey', 'lost')), {
      delivered: 0,
      dropped: 0,
      incomplete: 'backplane_unavailable',
    });
    assert.ok(Date.now() - started < 2000, 'sends resolve promptly during the outage');

    // Redis comes back empty: each node must put its connections back on its own.
    await backplane.server().restart();
    await waitFor(
      async () => (await a.messaging.isOnline('rey')) && (await b.messaging.isOnline('lou')),
      { timeoutMs: 15_000, what: 'presence to be restored' },
    );
    const volatile = { volatile: true };
    assert.deepEqual(counts(await a.messaging.send('rey', 'back', volatile)), {
      delivered: 1,
      dropped: 0,
    });
    assert.equal((await remote.next('message')).data, 'back');
    assert.equal(local.socket.readyState, WebSocket.OPEN, 'no client had to reconnect');

    // The streams were lost with Redis: the first stored push of the new epoch closes rey's
    // connection with 4010, and its old position is answered recovered: false.
    const before = remote.frames[0].data;
    const stored = await a.messaging.send('rey', 'new epoch');
    assert.notEqual(stored.epoch, before.epoch);
    assert.equal((await remote.closed).code, CloseCode.Resync);
    const again = await TestClient.connectAndWelcome(
      `${b.wsUrl('rey')}&since=${before.offset}&epoch=${before.epoch}`,
    );
    assert.deepEqual(again.frames[0].data, {
      user: 'rey',
      connectionId: again.connectionId,
      heartbeatIntervalMs: 25_000,
      epoch: stored.epoch,
      offset: 1,
      recovered: false,
    });
    await Promise.all([local.close(), again.close()]);
  });

  it('refuses to start when Redis cannot be reached, and says where it tried', async () => {
    await backplane.start();
    const url = backplane.server().url;
    await backplane.server().stop();
    await assert.rejects(
      startChatApp({ redis: { url, connectTimeoutMs: 500 }, nodeId: 'lonely' }),
      new RegExp(`could not connect to Redis at 127\\.0\\.0\\.1:${backplane.server().port}`),
    );
  });
});
