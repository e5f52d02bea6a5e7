import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { CloseCode, RoomsService } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { RedisCluster } from './support/redis-cluster.js';
import { counts } from './support/send-counts.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

const PREFIX = 'chat:';

describe('the Redis transport on a Redis Cluster (three masters, no replica)', () => {
  let cluster: RedisCluster;
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    cluster = await RedisCluster.start();
    // A short node time-to-live: each node checks the shards every 500 ms.
    [a, b] = await Promise.all(
      ['a', 'b'].map((nodeId) =>
        startChatApp({
          nodeId,
          redis: { cluster: cluster.nodes, nodeTtlMs: 1500 },
          clusterTimeoutMs: 3000,
          connectionsPerUser: 2,
        }),
      ),
    );
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await cluster?.stop();
  });

  it('sends to a user, a room and everyone with SPUBLISH on the shards, never with PUBLISH', async () => {
    const monitor = await cluster.monitor();
    const bob = await TestClient.connectAndWelcome(b.wsUrl('bob'));
    await waitFor(() => a.messaging.isOnline('bob'));
    await a.app.get(RoomsService).join('watched', 'bob');
    await monitor.clear();

    assert.deepEqual(counts(await a.messaging.send('bob', 'direct')), {
      delivered: 1,
      dropped: 0,
    });
    assert.equal((await a.app.get(RoomsService).sendToRoom('watched', 'to the room')).delivered, 1);
    assert.equal((await a.messaging.broadcast('to all')).delivered, 1);
    await waitFor(() => bob.framesOf('message').length === 3, { what: 'the three messages' });
    await monitor.sync();

    const spublished = monitor.named('SPUBLISH').map(({ args }) => args[0]);
    const nodeOf = (client: TestClient) =>
      client.connectionId.slice(0, client.connectionId.lastIndexOf('.'));
    const nodeA = nodeOf(await TestClient.connectAndWelcome(a.wsUrl('probe-a')));
    // To node b (the send), to the room's channel, the broadcast, and b's receipts back to a.
    assert.ok(
      spublished.some((channel) => channel.startsWith(`${PREFIX}node:${nodeOf(bob)}:`)),
      `to node b: ${JSON.stringify(monitor.commands.map(({ name, args }) => [name, args[0]]))}`,
    );
    assert.ok(
      spublished.some((channel) => channel.startsWith(`${PREFIX}node:${nodeA}:`)),
      'receipts',
    );
    assert.ok(spublished.includes(`${PREFIX}ch:room:watched`), 'to the room');
    assert.ok(
      spublished.some((channel) => channel.startsWith(`${PREFIX}all:`)),
      'broadcast',
    );
    assert.deepEqual(monitor.named('PUBLISH'), [], 'no classic PUBLISH on any master');
    await bob.close();
  });

  it('spreads the keys of a few hundred users over every master', async () => {
    const users = Array.from({ length: 300 }, (_, i) => `spread-${i}`);
    const clients: TestClient[] = [];
    // In groups, under the handshake limits.
    for (let i = 0; i < users.length; i += 25) {
      clients.push(
        ...(await Promise.all(
          users
            .slice(i, i + 25)
            .map((user, j) => TestClient.connectAndWelcome(((i + j) % 2 ? a : b).wsUrl(user))),
        )),
      );
    }
    try {
      // onlineUsers() walks the keys of every master.
      await waitFor(async () => (await a.messaging.onlineUsers()).length >= users.length, {
        what: 'every user online',
      });
      const perMaster = await Promise.all(
        cluster.masterClients().map(async (master) => {
          let count = 0;
          let cursor = '0';
          do {
            const [next, keys] = await master.scan(cursor, 'MATCH', `${PREFIX}{u:spread-*`);
            cursor = next;
            count += keys.length;
          } while (cursor !== '0');
          return count;
        }),
      );
      assert.ok(
        perMaster.every((count) => count > 0),
        `keys on every master: ${perMaster.join(', ')}`,
      );
      const [fewest, most] = [Math.min(...perMaster), Math.max(...perMaster)];
      assert.ok(most <= 3 * fewest, `no master with 3x another's share: ${perMaster.join(', ')}`);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('a master that is down makes only the users in its slots unreachable, until it is back', async () => {
    const users = Array.from({ length: 24 }, (_, i) => `shard-${i}`);
    const clients = new Map<string, TestClient>();
    for (const user of users) clients.set(user, await TestClient.connectAndWelcome(b.wsUrl(user)));
    await waitFor(async () => (await a.messaging.connectionCount(users.at(-1)!)) === 1);
    const victim = 1;
    const owners = await Promise.all(users.map((user) => cluster.masterOf(`${PREFIX}{u:${user}}`)));
    const doomed = users.filter((_, i) => owners[i] === victim);
    const spared = users.filter((_, i) => owners[i] !== victim);
    assert.ok(doomed.length > 0 && spared.length > 0, 'users on the victim and elsewhere');

    /** Sends to every user from a; for each, what it reached and how long it took. */
    const round = (text: string) =>
      Promise.all(
        users.map(async (user) => {
          const started = performance.now();
          const result = await a.messaging.send(user, text);
          return { user, result: counts(result), ms: performance.now() - started };
        }),
      );

    try {
      await cluster.stopMaster(victim);
      await cluster.waitUntilMarkedFailed(victim);
      // The nodes notice the shard is down (a failed command, or their next shard check).
      await waitFor(
        async () =>
          (await round('probe'))
            .filter(({ user }) => spared.includes(user))
            .every(({ result }) => result.delivered === 1),
        { timeoutMs: 15_000, intervalMs: 200, what: 'the other users to be reachable' },
      );
      const outage = await round('during the outage');
      for (const { user, result, ms } of outage) {
        if (doomed.includes(user)) {
          assert.equal(
            result.incomplete,
            'backplane_unavailable',
            `${user}: ${JSON.stringify(result)}`,
          );
          assert.ok(ms < 3000, `${user}'s send resolved in ${Math.round(ms)} ms`);
        } else {
          assert.deepEqual(result, { delivered: 1, dropped: 0 }, user);
        }
      }
      for (const user of spared) {
        await waitFor(
          () =>
            clients
              .get(user)!
              .framesOf('message')
              .some(({ data }) => data === 'during the outage'),
          { what: `${user} to get the message` },
        );
      }

      // Back, empty: the nodes join their users again. The streams kept there are gone, so a
      // connection of those users may be told to resync (4010) when its node catches up, as a
      // client that reconnects then learns; the others stay.
      await cluster.restartMaster(victim);
      let last: Awaited<ReturnType<typeof round>> = [];
      await waitFor(
        async () => {
          for (const user of doomed) {
            const client = clients.get(user)!;
            if (client.socket.readyState !== WebSocket.CLOSED) continue;
            assert.equal((await client.closed).code, CloseCode.Resync, user);
            clients.set(user, await TestClient.connectAndWelcome(b.wsUrl(user)));
          }
          last = await round('after');
          return last.every(({ result }) => result.delivered === 1);
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'every user reachable again' },
      ).catch((err: Error) => {
        const failed = last.filter(({ result }) => result.delivered !== 1).map(({ user }) => user);
        throw new Error(`${err.message}: ${failed.join(', ')} of ${doomed.join(', ')}`);
      });
      for (const user of spared) {
        assert.equal(clients.get(user)!.socket.readyState, WebSocket.OPEN, `${user} still open`);
      }
      const back = await round('back');
      assert.ok(
        back.every(({ result }) => result.delivered === 1 && result.incomplete === undefined),
        JSON.stringify(back.filter(({ result }) => result.delivered !== 1)),
      );
    } finally {
      if (!cluster.isRunning(victim)) await cluster.restartMaster(victim);
      await Promise.all([...clients.values()].map((client) => client.close()));
    }
  });
});
