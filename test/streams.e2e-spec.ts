import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, it } from 'node:test';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { RedisCluster } from './support/redis-cluster.js';
import { RedisServer } from './support/redis-server.js';
import {
  exactlyOnceViolations,
  RecoveringClient,
  type Acknowledged,
} from './support/recovering-client.js';
import { refusedStatus, TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

/** A welcome's stream fields, and the pushes after it, of a connection resuming from `since`. */
async function resume(chat: TestApp, user: string, since: number, epoch: string) {
  const client = await TestClient.connectAndWelcome(
    `${chat.wsUrl(user)}&since=${since}&epoch=${encodeURIComponent(epoch)}`,
  );
  return client;
}

/** A heartbeat round trip: every frame the server queued before its answer has arrived. */
async function settled(client: TestClient): Promise<void> {
  client.send({ event: 'heartbeat' });
  await client.next('heartbeat');
}

describe('streams: history and recovery on one process', () => {
  let chat: TestApp;

  before(async () => {
    chat = await startChatApp({ connectionsPerUser: 3, history: { size: 20, ttlMs: 60_000 } });
  });
  after(() => chat.close());

  it('welcomes with the stream position and numbers stored pushes from 1', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('amy'));
    const { epoch, offset, recovered } = client.frames[0].data;
    assert.match(epoch, /^[\w-]{1,64}$/);
    assert.equal(offset, 0);
    assert.equal(recovered, undefined, 'a connection without since asked nothing');
    for (let i = 1; i <= 3; i++) {
      const result = await chat.messaging.send('amy', { n: i });
      assert.deepEqual([result.offset, result.epoch], [i, epoch]);
    }
    for (let i = 1; i <= 3; i++) {
      const frame = await client.next('message');
      // Exactly the documented wire form of a stored push.
      assert.deepEqual(frame, { event: 'message', data: { n: i }, offset: i });
    }
    await client.close();
  });

  it('replays what a client missed, after a recovered welcome and before any live push', async () => {
    const first = await TestClient.connectAndWelcome(chat.wsUrl('bo'));
    const { epoch } = first.frames[0].data;
    await chat.messaging.send('bo', 'seen');
    await first.next('message');
    first.socket.terminate();
    await first.closed;
    // While away: stored, and a volatile push that is not.
    for (const text of ['missed 1', 'missed 2']) await chat.messaging.send('bo', text);
    await chat.messaging.send('bo', 'typing…', { volatile: true });

    const back = await resume(chat, 'bo', 1, epoch);
    assert.deepEqual(back.frames[0].data, {
      user: 'bo',
      connectionId: back.connectionId,
      heartbeatIntervalMs: 25_000,
      epoch,
      offset: 3,
      recovered: true,
    });
    await chat.messaging.send('bo', 'live');
    await waitFor(() => back.framesOf('message').length === 3);
    assert.deepEqual(
      back.frames.map((frame) => [frame.event, frame.data, frame.offset]),
      [
        ['welcome', back.frames[0].data, undefined],
        ['message', 'missed 1', 2],
        ['message', 'missed 2', 3],
        ['message', 'live', 4],
      ],
    );
    await back.close();
  });

  it('gives nothing to a connection without since, even with pushes stored', async () => {
    await chat.messaging.send('cy', 'while nobody was there');
    const client = await TestClient.connectAndWelcome(chat.wsUrl('cy'));
    assert.equal(client.frames[0].data.offset, 1);
    await settled(client);
    assert.equal(client.framesOf('message').length, 0);
    await client.close();
  });

  it('answers recovered: false, and replays nothing, for another epoch, a gap beyond the history or a position beyond the stream', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('dee'));
    const { epoch } = client.frames[0].data;
    await client.close();
    // 25 pushes into a history of 20: offsets 1 to 5 are gone.
    for (let i = 1; i <= 25; i++) await chat.messaging.send('dee', i);
    for (const [since, at] of [
      [0, epoch],
      [4, epoch],
      [26, epoch],
      [10, 'not-the-epoch'],
    ] as const) {
      const back = await resume(chat, 'dee', since, at);
      assert.deepEqual(
        [back.frames[0].data.recovered, back.frames[0].data.epoch, back.frames[0].data.offset],
        [false, epoch, 25],
        `since ${since} in ${at}`,
      );
      await settled(back);
      assert.deepEqual(back.framesOf('message'), [], 'never a partial replay');
      await back.close();
    }
    // The oldest push still held is enough.
    const edge = await resume(chat, 'dee', 5, epoch);
    assert.equal(edge.frames[0].data.recovered, true);
    await waitFor(() => edge.framesOf('message').length === 20);
    assert.deepEqual(
      edge.framesOf('message').map((frame) => frame.offset),
      Array.from({ length: 20 }, (_, i) => i + 6),
    );
    await edge.close();
  });

  it('refuses a malformed position with HTTP 400 and never crashes (fuzzed)', async () => {
    for (const query of [
      'since=1',
      'epoch=abc',
      'since=-1&epoch=abc',
      'since=1.5&epoch=abc',
      'since=1e3&epoch=abc',
      'since=9999999999999999&epoch=abc',
      'since=abc&epoch=abc',
      `since=1&epoch=${'e'.repeat(5000)}`,
      'since=1&epoch=%00',
      'since=&epoch=',
    ]) {
      assert.equal(await refusedStatus(`${chat.wsUrl('fuzz')}&${query}`), 400, query);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 80 }),
        async (since, epoch) => {
          const url = `${chat.wsUrl('fuzz')}&since=${encodeURIComponent(since)}&epoch=${encodeURIComponent(epoch)}`;
          try {
            const client = await TestClient.connectAndWelcome(url);
            // Accepted only when it reads as a position; then the answer is a plain "no".
            assert.match(since, /^(0|[1-9]\d{0,14})$/);
            assert.equal(client.frames[0].data.recovered, false);
            await client.close();
          } catch (err) {
            assert.match(String(err), /HTTP 400/);
          }
        },
      ),
      { numRuns: 60 },
    );
    const healthy = await TestClient.connectAndWelcome(chat.wsUrl('after-fuzz'));
    await healthy.close();
  });
});

describe('streams: exactly once through abrupt drops, one process', () => {
  let chat: TestApp;
  before(async () => {
    chat = await startChatApp({ history: { size: 5000, ttlMs: 60_000 } });
  });
  after(() => chat.close());

  it('delivers exactly once and in order through 15 abrupt drops while 5 senders push 1 500 times', async () => {
    const user = 'chaos';
    const client = new RecoveringClient(() => chat.wsUrl(user));
    await client.connect();
    await waitFor(() => client.epoch !== undefined);
    const acked: Acknowledged = new Map();
    const kills = new Set<number>();
    while (kills.size < 15) kills.add(1 + Math.floor(Math.random() * 1_499));
    let sent = 0;
    const sender = async (id: number) => {
      for (let seq = 0; seq < 300; seq++) {
        const payload = { id, seq };
        const result = await chat.messaging.send(user, payload);
        acked.set(result.offset!, payload);
        if (kills.has(++sent)) client.kill();
        // Let the event loop turn, so that sends, drops and reconnects interleave.
        if (seq % 7 === id) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([0, 1, 2, 3, 4].map(sender));
    assert.equal(acked.size, 1500);
    await client.caughtUp(1500);
    assert.deepEqual(exactlyOnceViolations(client, acked), []);
    await waitFor(() => client.kills === kills.size, { what: 'every drop to have happened' });
    await client.caughtUp(1500);
    await client.stop();
  });
});

describe('streams: frames kept for a stalled reader', () => {
  let chat: TestApp;
  before(async () => {
    // A short history, so that the stream's buffer is replaced every few pushes while the
    // socket still holds views of the old ones.
    chat = await startChatApp({
      history: { size: 4, ttlMs: 60_000 },
      backpressure: { highWaterMarkBytes: 64 * 1024 * 1024 },
    });
  });
  after(() => chat.close());

  it('arrive intact once the reader resumes, though the history moved on long before', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('stalled'));
    client.socket.pause();
    const server = chat.registry.of('stalled')[0];
    const chunk = (i: number) => String(i).padStart(8, '0').repeat(256);
    const offsets: number[] = [];
    // Far past what loopback's kernel buffers take, so that most frames wait in the server.
    for (let i = 0; server.socket.bufferedAmount < 4 * 1024 * 1024; i++) {
      const result = await chat.messaging.send('stalled', { i, chunk: chunk(i) });
      assert.equal(result.delivered, 1);
      offsets.push(result.offset!);
    }
    client.socket.resume();
    await waitFor(() => client.framesOf('message').length === offsets.length, {
      what: 'every held frame',
    });
    const frames = client.framesOf('message');
    frames.forEach((frame, i) => {
      assert.deepEqual([frame.offset, frame.data.i, frame.data.chunk], [offsets[i], i, chunk(i)]);
    });
    await client.close();
  });
});

describe('streams: history off', () => {
  let chat: TestApp;
  before(async () => {
    chat = await startChatApp({ history: false });
  });
  after(() => chat.close());

  it('welcomes without a position, pushes without offsets, and tells a recovering client no', async () => {
    const client = await TestClient.connectAndWelcome(`${chat.wsUrl('eve')}&since=3&epoch=abc`);
    assert.deepEqual(Object.keys(client.frames[0].data).sort(), [
      'connectionId',
      'heartbeatIntervalMs',
      'recovered',
      'user',
    ]);
    assert.equal(client.frames[0].data.recovered, false);
    const result = await chat.messaging.send('eve', 'plain');
    assert.equal(result.offset, undefined);
    assert.deepEqual(await client.next('message'), { event: 'message', data: 'plain' });
    await client.close();
  });
});

for (const backplane of ['Redis', 'a Redis Cluster'] as const) {
  describe(`streams: exactly once across a two-node cluster on ${backplane}`, () => {
    let redis: RedisServer | undefined;
    let cluster: RedisCluster | undefined;
    let nodes: TestApp[];

    before(async () => {
      if (backplane === 'Redis') redis = await RedisServer.start();
      else cluster = await RedisCluster.start();
      nodes = await Promise.all(
        ['a', 'b'].map((nodeId) =>
          startChatApp({
            nodeId,
            redis: redis ? { url: redis.url } : { cluster: cluster!.nodes },
            history: { size: 5000, ttlMs: 60_000 },
          }),
        ),
      );
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await redis?.stop();
      await cluster?.stop();
    });

    it('recovers on the other node what was sent through either, exactly once and in order', async () => {
      const [a, b] = nodes;
      const first = await TestClient.connectAndWelcome(a.wsUrl('hop'));
      const { epoch } = first.frames[0].data;
      first.socket.terminate();
      await first.closed;
      await a.messaging.send('hop', 'via a');
      await b.messaging.send('hop', 'via b');
      const back = await resume(b, 'hop', 0, epoch);
      assert.equal(back.frames[0].data.recovered, true);
      await waitFor(() => back.framesOf('message').length === 2);
      assert.deepEqual(
        back.framesOf('message').map((frame) => [frame.data, frame.offset]),
        [
          ['via a', 1],
          ['via b', 2],
        ],
      );
      await back.close();
    });

    it('delivers exactly once and in order while sends alternate between nodes and the client hops nodes through 15 drops', async () => {
      const user = 'chaos-cluster';
      const client = new RecoveringClient((attempt) => nodes[attempt % 2].wsUrl(user));
      await client.connect();
      await waitFor(() => client.epoch !== undefined);
      const acked: Acknowledged = new Map();
      const kills = new Set<number>();
      while (kills.size < 15) kills.add(1 + Math.floor(Math.random() * 1_499));
      let sent = 0;
      const sender = async (id: number) => {
        for (let seq = 0; seq < 300; seq++) {
          const payload = { id, seq };
          const result = await nodes[(id + seq) % 2].messaging.send(user, payload);
          assert.equal(result.incomplete, undefined);
          acked.set(result.offset!, payload);
          if (kills.has(++sent)) client.kill();
        }
      };
      await Promise.all([0, 1, 2, 3, 4].map(sender));
      assert.equal(acked.size, 1500);
      await waitFor(() => client.kills === kills.size, { what: 'every drop to have happened' });
      await client.caughtUp(1500);
      assert.deepEqual(exactlyOnceViolations(client, acked), []);
      await client.stop();
    });
  });
}
