import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import {
  MemoryHub,
  MemoryTransport,
  RoomsService,
  type ChatModuleOptions,
  type RoomSendResult,
} from '../src/index.js';
import { encodeRoomPositions } from '../src/protocol/frames.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import type { Acknowledged } from './support/recovering-client.js';
import { RedisCluster } from './support/redis-cluster.js';
import { RedisServer } from './support/redis-server.js';
import {
  roomExactlyOnceViolations,
  RoomRecoveringClient,
} from './support/room-recovering-client.js';
import { refusedStatus, TestClient, type Frame } from './support/test-client.js';
import { waitFor } from './support/wait.js';

const OPTIONS: Partial<ChatModuleOptions> = {
  connectionsPerUser: 3,
  history: { size: 1000, ttlMs: 60_000 },
};

/** Where the tests run: two nodes, or one node playing both parts. */
interface Topology {
  name: string;
  /** One node playing both parts: no broker round trip at all. */
  lone?: boolean;
  /** The server, when the nodes share a real `redis-server`. */
  redis?: () => RedisServer;
  start(): Promise<[TestApp, TestApp]>;
  stop(): Promise<void>;
}

function loneNode(): Topology {
  let app: TestApp | undefined;
  return {
    name: 'one process, one node',
    lone: true,
    start: async () => {
      app = await startChatApp(OPTIONS);
      return [app, app];
    },
    stop: async () => app?.close(),
  };
}

function memoryCluster(): Topology {
  let nodes: TestApp[] = [];
  return {
    name: 'one process, two nodes sharing a MemoryHub',
    start: async () => {
      const hub = new MemoryHub();
      nodes = await Promise.all(
        ['a', 'b'].map((nodeId) =>
          startChatApp({ ...OPTIONS, nodeId, transport: new MemoryTransport(hub) }),
        ),
      );
      return [nodes[0], nodes[1]];
    },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.close()));
    },
  };
}

function redisCluster(): Topology {
  let server: RedisServer | undefined;
  let nodes: TestApp[] = [];
  return {
    name: 'two nodes on a real redis-server',
    redis: () => server!,
    start: async () => {
      server = await RedisServer.start();
      nodes = await Promise.all(
        ['a', 'b'].map((nodeId) =>
          startChatApp({
            ...OPTIONS,
            nodeId,
            redis: { url: server!.url, options: { retryStrategy: () => 50 } },
          }),
        ),
      );
      return [nodes[0], nodes[1]];
    },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await server?.stop();
    },
  };
}

function redisClusterNodes(): Topology {
  let cluster: RedisCluster | undefined;
  let nodes: TestApp[] = [];
  return {
    name: 'two nodes on a real Redis Cluster (three masters)',
    start: async () => {
      cluster = await RedisCluster.start();
      nodes = await Promise.all(
        ['a', 'b'].map((nodeId) =>
          startChatApp({ ...OPTIONS, nodeId, redis: { cluster: cluster!.nodes } }),
        ),
      );
      return [nodes[0], nodes[1]];
    },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await cluster?.stop();
    },
  };
}

let sequence = 0;
/** A name no other test uses, so tests sharing nodes cannot see each other's rooms. */
const unique = (name: string) => `${name}-${++sequence}`;

const roomsOf = (node: TestApp) => node.app.get(RoomsService);

/** A heartbeat round trip: every frame the server queued before its answer has arrived. */
async function settled(...clients: TestClient[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      client.send({ event: 'heartbeat' });
      await client.next('heartbeat');
    }),
  );
}

/** The pushes of `room` a client got so far. */
const pushesOf = (client: TestClient, room: string): Frame[] =>
  client.framesOf('message').filter((frame) => frame.room === room);

/** The `room` frames about `room` a client got so far. */
const membershipFrames = (client: TestClient, room: string): Frame[] =>
  client.framesOf('room').filter((frame) => frame.data.room === room);

/** Waits until every client got `count` `room` frames about `room`. */
async function told(room: string, clients: TestClient[], count = 1): Promise<void> {
  await waitFor(() => clients.every((client) => membershipFrames(client, room).length >= count), {
    what: `the room frame #${count} of ${room} on every device`,
  });
}

/**
 * Sends a fence to `room` and waits until every client got it, at offset `fence`: a client's
 * room pushes arrive in offset order, so whatever was to reach it before the fence (a live push,
 * a gap filled from the history) has arrived by then, and anything missing never will.
 */
async function fenced(
  rooms: RoomsService,
  room: string,
  clients: TestClient[],
  fence: number,
): Promise<void> {
  const { offset } = await rooms.sendToRoom(room, 'fence');
  assert.equal(offset, fence, 'the fence got the offset expected');
  await waitFor(
    () => clients.every((client) => pushesOf(client, room).some((f) => f.offset === fence)),
    {
      what: `the fence at offset ${fence} of ${room}`,
    },
  );
  await settled(...clients);
}

async function closeAll(clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}

/** The bug the tests marked with it show (see the report of the rooms tests). */
/** The room ids RoomsService refuses: empty, too long, with control characters, not a string. */
const BAD_IDS: unknown[] = [
  '',
  'x'.repeat(129),
  'nul\u0000',
  'line\nbreak',
  'del\u007f',
  '\u0085',
  42,
];

for (const topology of [loneNode(), memoryCluster(), redisCluster(), redisClusterNodes()]) {
  describe(`rooms on ${topology.name}`, () => {
    let a: TestApp;
    let b: TestApp;

    before(async () => {
      [a, b] = await topology.start();
    });
    after(() => topology.stop());

    it('members on both nodes each get a room message exactly once; non-members get nothing', async () => {
      const room = unique('lobby');
      const [m1, m2, m3, outsider] = ['m1', 'm2', 'm3', 'out'].map(unique);
      const clients = {
        m1: await TestClient.connectAndWelcome(a.wsUrl(m1)),
        m2: await TestClient.connectAndWelcome(b.wsUrl(m2)),
        m3a: await TestClient.connectAndWelcome(a.wsUrl(m3)),
        m3b: await TestClient.connectAndWelcome(b.wsUrl(m3)),
        outA: await TestClient.connectAndWelcome(a.wsUrl(outsider)),
        outB: await TestClient.connectAndWelcome(b.wsUrl(outsider)),
      };
      const members = [clients.m1, clients.m2, clients.m3a, clients.m3b];
      await roomsOf(a).join(room, m1);
      await roomsOf(b).join(room, m2);
      await roomsOf(a).join(room, m3);
      await told(room, members);

      const first = await roomsOf(a).sendToRoom(room, { n: 1 });
      const second = await roomsOf(b).sendToRoom(room, { n: 2 });
      assert.deepEqual([first.delivered, second.delivered], [4, 4]);
      // Each send resolved once every node that got it had written to its connections: after a
      // heartbeat round trip, whatever they wrote has arrived.
      await settled(...Object.values(clients));
      for (const client of members) {
        // Exactly the documented wire form of a stored room push.
        assert.deepEqual(pushesOf(client, room), [
          { event: 'message', room, data: { n: 1 }, offset: 1, epoch: first.epoch },
          { event: 'message', room, data: { n: 2 }, offset: 2, epoch: first.epoch },
        ]);
      }
      for (const client of [clients.outA, clients.outB]) {
        assert.deepEqual(client.framesOf('message'), [], 'a non-member gets nothing');
        assert.deepEqual(client.framesOf('room'), []);
      }
      await closeAll(Object.values(clients));
    });

    it('leave stops delivery on every device of the user, and says so with a room frame', async () => {
      const room = unique('leavers');
      const [stays, goes] = ['stays', 'goes'].map(unique);
      const staying = await TestClient.connectAndWelcome(b.wsUrl(stays));
      const going = [
        await TestClient.connectAndWelcome(a.wsUrl(goes)),
        await TestClient.connectAndWelcome(b.wsUrl(goes)),
      ];
      await roomsOf(a).join(room, stays);
      await roomsOf(b).join(room, goes);
      await told(room, [staying, ...going]);
      assert.equal((await roomsOf(a).sendToRoom(room, 'both')).delivered, 3);

      await roomsOf(a).leave(room, goes);
      await waitFor(() => going.every((client) => membershipFrames(client, room).length === 2));
      for (const client of going) {
        assert.deepEqual(membershipFrames(client, room)[1].data, { room, member: false });
      }
      assert.equal((await roomsOf(b).sendToRoom(room, 'after leave')).delivered, 1);
      assert.equal((await roomsOf(a).sendToRoom(room, 'after leave 2')).delivered, 1);
      await settled(staying, ...going);
      for (const client of going) {
        assert.deepEqual(
          pushesOf(client, room).map((frame) => frame.data),
          ['both'],
        );
      }
      assert.deepEqual(
        pushesOf(staying, room).map((frame) => frame.data),
        ['both', 'after leave', 'after leave 2'],
      );
      assert.deepEqual(await roomsOf(b).roomsOf(goes), []);
      await closeAll([staying, ...going]);
    });

    it('except skips those members on every device and node, and nobody else', async () => {
      const room = unique('except');
      const [skipped, other, third] = ['skipped', 'other', 'third'].map(unique);
      const devices = {
        skippedA: await TestClient.connectAndWelcome(a.wsUrl(skipped)),
        skippedB: await TestClient.connectAndWelcome(b.wsUrl(skipped)),
        other: await TestClient.connectAndWelcome(b.wsUrl(other)),
        third: await TestClient.connectAndWelcome(a.wsUrl(third)),
      };
      for (const user of [skipped, other, third]) await roomsOf(a).join(room, user);
      await told(room, Object.values(devices));

      assert.equal((await roomsOf(a).sendToRoom(room, 'one', { except: skipped })).delivered, 2);
      assert.equal((await roomsOf(b).sendToRoom(room, 'two', { except: [skipped] })).delivered, 2);
      const three = await roomsOf(b).sendToRoom(room, 'three', { except: [skipped, other] });
      assert.equal(three.delivered, 1);
      // The next push to everyone comes to those left out before as the next in their stream:
      // no gap fill replays what they were left out of.
      const four = await roomsOf(a).sendToRoom(room, 'four');
      assert.equal(four.delivered, 4);
      await settled(...Object.values(devices));
      for (const device of [devices.skippedA, devices.skippedB]) {
        assert.deepEqual(
          pushesOf(device, room).map((frame) => [frame.data, frame.offset]),
          [['four', 4]],
        );
      }
      assert.deepEqual(
        pushesOf(devices.other, room).map((frame) => [frame.data, frame.offset]),
        [
          ['one', 1],
          ['two', 2],
          ['four', 4],
        ],
      );
      assert.deepEqual(
        pushesOf(devices.third, room).map((frame) => [frame.data, frame.offset]),
        [
          ['one', 1],
          ['two', 2],
          ['three', 3],
          ['four', 4],
        ],
      );
      await closeAll(Object.values(devices));
    });

    it('a user who joined while offline gets later messages on every device, with no rejoin after a reconnect', async () => {
      const room = unique('offline');
      const user = unique('sleeper');
      await roomsOf(a).join(room, user);
      assert.deepEqual(await roomsOf(b).roomsOf(user), [room]);
      const early = await roomsOf(b).sendToRoom(room, 'before connecting');
      assert.deepEqual([early.delivered, early.offset], [0, 1]);

      const phone = await TestClient.connectAndWelcome(a.wsUrl(user));
      const laptop = await TestClient.connectAndWelcome(b.wsUrl(user));
      for (const device of [phone, laptop]) {
        assert.deepEqual(device.frames[0].data.rooms, {
          [room]: { epoch: early.epoch, offset: 1 },
        });
      }
      assert.equal((await roomsOf(b).sendToRoom(room, 'two devices')).delivered, 2);
      // A third device, opened after the join, needs no join of its own.
      const tablet = await TestClient.connectAndWelcome(a.wsUrl(user));
      assert.equal((await roomsOf(a).sendToRoom(room, 'three devices')).delivered, 3);
      await settled(phone, laptop, tablet);
      for (const device of [phone, laptop]) {
        assert.deepEqual(
          pushesOf(device, room).map((frame) => [frame.data, frame.offset]),
          [
            ['two devices', 2],
            ['three devices', 3],
          ],
        );
      }
      assert.deepEqual(
        pushesOf(tablet, room).map((frame) => [frame.data, frame.offset]),
        [['three devices', 3]],
      );

      // Every device goes away and one comes back, on the other node: still a member.
      await closeAll([phone, laptop, tablet]);
      await waitFor(async () => !(await a.messaging.isOnline(user)));
      assert.equal((await roomsOf(a).sendToRoom(room, 'while away')).delivered, 0);
      const back = await TestClient.connectAndWelcome(b.wsUrl(user));
      assert.deepEqual(back.frames[0].data.rooms, { [room]: { epoch: early.epoch, offset: 4 } });
      assert.equal((await roomsOf(a).sendToRoom(room, 'back')).delivered, 1);
      await settled(back);
      assert.deepEqual(
        pushesOf(back, room).map((frame) => [frame.data, frame.offset]),
        [['back', 5]],
      );
      assert.deepEqual(back.framesOf('room'), [], 'no join was needed, nor announced');
      await back.close();
    });

    it('the welcome lists every room of the user with its position, and nothing without rooms', async () => {
      const [busy, quiet] = [unique('busy'), unique('quiet')];
      const user = unique('welcomed');
      await roomsOf(a).join(busy, user);
      await roomsOf(b).join(quiet, user);
      let last;
      for (let i = 1; i <= 3; i++) last = await roomsOf(i % 2 ? a : b).sendToRoom(busy, i);
      // A volatile push is not stored, so it moves no position.
      await roomsOf(a).sendToRoom(quiet, 'volatile', { volatile: true });

      const client = await TestClient.connectAndWelcome(b.wsUrl(user));
      const { rooms } = client.frames[0].data;
      assert.deepEqual(Object.keys(rooms).sort(), [busy, quiet].sort());
      assert.deepEqual(rooms[busy], { epoch: last!.epoch, offset: 3 });
      assert.deepEqual(Object.keys(rooms[quiet]).sort(), ['epoch', 'offset']);
      assert.match(rooms[quiet].epoch, /^[\w-]{1,64}$/);
      assert.equal(rooms[quiet].offset, 0);
      assert.deepEqual(
        [...(await roomsOf(a).roomsOf(user))],
        [busy, quiet].sort(),
        'roomsOf is sorted',
      );
      // The first stored push of the quiet room carries the epoch the welcome named.
      const first = await roomsOf(a).sendToRoom(quiet, 'stored');
      assert.deepEqual([first.epoch, first.offset], [rooms[quiet].epoch, 1]);

      const loner = await TestClient.connectAndWelcome(a.wsUrl(unique('roomless')));
      assert.equal('rooms' in loner.frames[0].data, false);
      await closeAll([client, loner]);
    });

    it('a join while connected sends every device the room frame with the position, and the messages follow', async () => {
      const room = unique('joined-live');
      const user = unique('joiner');
      const starter = unique('starter');
      await roomsOf(a).join(room, starter);
      await roomsOf(a).sendToRoom(room, 'before 1');
      const before2 = await roomsOf(b).sendToRoom(room, 'before 2');
      const devices = [
        await TestClient.connectAndWelcome(a.wsUrl(user)),
        await TestClient.connectAndWelcome(b.wsUrl(user)),
      ];
      await roomsOf(b).join(room, user);
      await told(room, devices);
      for (const device of devices) {
        assert.deepEqual(membershipFrames(device, room), [
          { event: 'room', data: { room, member: true, epoch: before2.epoch, offset: 2 } },
        ]);
      }
      assert.equal((await roomsOf(a).sendToRoom(room, 'after')).delivered, 2);
      await settled(...devices);
      for (const device of devices) {
        const events = device.frames
          .filter((frame) => frame.event === 'room' || frame.room === room)
          .map((frame) => [frame.event, frame.data.member ?? frame.data, frame.offset]);
        assert.deepEqual(events, [
          ['room', true, undefined],
          ['message', 'after', 3],
        ]);
      }
      await closeAll(devices);
    });

    it('a send right after a join reaches every device of the user once, after the room frame', async () => {
      const room = unique('prompt');
      const user = unique('prompt-user');
      // Nobody else is in the room, so no node is subscribed to it before the join.
      const devices = [
        await TestClient.connectAndWelcome(a.wsUrl(user)),
        await TestClient.connectAndWelcome(b.wsUrl(user)),
      ];
      await roomsOf(a).join(room, user);
      const sent = await roomsOf(a).sendToRoom(room, 'right after the join');
      await fenced(roomsOf(b), room, devices, 2);
      for (const device of devices) {
        const events = device.frames
          .filter((frame) => frame.event === 'room' || frame.room === room)
          .map((frame) => [frame.event, frame.offset]);
        assert.deepEqual(events, [
          ['room', undefined],
          ['message', 1],
          ['message', 2],
        ]);
      }
      assert.equal(sent.delivered, 2, 'the send right after the join counted every device');
      await closeAll(devices);
    });

    it('a join of a member and a leave of a non-member change nothing: no room frame', async () => {
      const room = unique('no-change');
      const user = unique('steady');
      const devices = [
        await TestClient.connectAndWelcome(a.wsUrl(user)),
        await TestClient.connectAndWelcome(b.wsUrl(user)),
      ];
      await roomsOf(a).join(room, user);
      await told(room, devices);
      await roomsOf(b).join(room, user);
      await roomsOf(a).join(room, user);
      // A frame sent after the joins: once it arrives, any room frame they caused has.
      await fenced(roomsOf(b), room, devices, 1);
      for (const device of devices) assert.equal(membershipFrames(device, room).length, 1);
      await roomsOf(a).leave(room, user);
      await told(room, devices, 2);
      await roomsOf(b).leave(room, user);
      await settled(...devices);
      for (const device of devices) {
        assert.deepEqual(
          membershipFrames(device, room).map((frame) => frame.data.member),
          [true, false],
        );
      }
      await closeAll(devices);
    });

    it('a repeated join of a member while messages flow keeps every device exactly once and in order', async () => {
      const room = unique('rejoin');
      const user = unique('rejoiner');
      const devices = [
        await TestClient.connectAndWelcome(a.wsUrl(user)),
        await TestClient.connectAndWelcome(b.wsUrl(user)),
      ];
      await roomsOf(a).join(room, user);
      await told(room, devices);
      const sends: Promise<unknown>[] = [];
      // Joins again, from both nodes, while messages flow from both.
      for (let i = 0; i < 60; i++) {
        sends.push(roomsOf(i % 2 ? a : b).sendToRoom(room, i));
        if (i % 3 === 0) sends.push(roomsOf(i % 2 ? b : a).join(room, user));
        if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(sends);
      await fenced(roomsOf(b), room, devices, 61);
      for (const device of devices) {
        assert.deepEqual(
          pushesOf(device, room).map((frame) => frame.offset),
          Array.from({ length: 61 }, (_, i) => i + 1),
          'each push once, in order',
        );
      }
      await closeAll(devices);
    });

    it('sendToRoom resolves { room, delivered, dropped, offset, epoch }; a volatile one has no position', async () => {
      const room = unique('results');
      const [x, y] = [unique('x'), unique('y')];
      const devices = [
        await TestClient.connectAndWelcome(a.wsUrl(x)),
        await TestClient.connectAndWelcome(b.wsUrl(x)),
        await TestClient.connectAndWelcome(b.wsUrl(y)),
      ];
      await roomsOf(a).join(room, x);
      await roomsOf(a).join(room, y);
      await told(room, devices);
      const { epoch } = membershipFrames(devices[0], room)[0].data;
      assert.deepEqual(await roomsOf(b).sendToRoom(room, 'stored'), {
        room,
        delivered: 3,
        dropped: 0,
        offset: 1,
        epoch,
      });
      assert.deepEqual(await roomsOf(a).sendToRoom(room, 'typing', { volatile: true }), {
        room,
        delivered: 3,
        dropped: 0,
      });
      assert.deepEqual(await roomsOf(a).sendToRoom(room, 'custom', { event: 'note', except: y }), {
        room,
        delivered: 2,
        dropped: 0,
        offset: 2,
        epoch,
      });
      await settled(...devices);
      assert.deepEqual(
        devices[0].frames.filter((frame) => frame.room === room),
        [
          { event: 'message', room, data: 'stored', offset: 1, epoch },
          { event: 'message', room, data: 'typing' },
          { event: 'note', room, data: 'custom', offset: 2, epoch },
        ],
      );
      // A room without any member online: nothing delivered, but stored.
      const empty = unique('empty');
      assert.deepEqual(
        { ...(await roomsOf(b).sendToRoom(empty, 1)), epoch: undefined },
        { room: empty, delivered: 0, dropped: 0, offset: 1, epoch: undefined },
      );
      await closeAll(devices);
    });

    it('members() lists every member with whether they are online anywhere, sorted', async () => {
      const room = unique('roster');
      const [zed, amy, kim] = ['zed', 'amy', 'kim'].map(unique);
      for (const user of [zed, amy, kim]) await roomsOf(b).join(room, user);
      const onB = await TestClient.connectAndWelcome(b.wsUrl(amy));
      const onA = await TestClient.connectAndWelcome(a.wsUrl(zed));
      await waitFor(async () => (await a.messaging.onlineUsers()).includes(amy));
      for (const node of [a, b]) {
        assert.deepEqual(await roomsOf(node).members(room), [
          { user: amy, online: true },
          { user: kim, online: false },
          { user: zed, online: true },
        ]);
      }
      await onA.close();
      await waitFor(async () => !(await b.messaging.isOnline(zed)));
      assert.deepEqual(
        (await roomsOf(b).members(room)).map((member) => member.online),
        [true, false, false],
      );
      assert.deepEqual(await roomsOf(a).members(unique('nobody-here')), []);
      await onB.close();
    });

    it('300 members spread over both nodes, messages sent from both nodes at once: every connection gets each once, in offset order', async () => {
      const room = unique('crowd');
      const users = Array.from({ length: 300 }, (_, i) => `${room}-user-${i}`);
      // Half join before connecting, half once connected.
      await Promise.all(users.slice(0, 150).map((user) => roomsOf(a).join(room, user)));
      const clients = await Promise.all(
        users.map((user, i) => TestClient.connectAndWelcome((i % 2 ? b : a).wsUrl(user))),
      );
      await Promise.all(users.slice(150).map((user, i) => roomsOf(i % 2 ? a : b).join(room, user)));
      await told(room, clients.slice(150));

      const sends = await Promise.all(
        Array.from({ length: 20 }, (_, i) => roomsOf(i % 2 ? a : b).sendToRoom(room, { i })),
      );
      assert.deepEqual(
        sends.map((result) => result.delivered),
        sends.map(() => 300),
      );
      const payloadAt = new Map(sends.map((result, i) => [result.offset, { i }]));
      assert.deepEqual(
        [...payloadAt.keys()].sort((x, y) => x! - y!),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      await waitFor(() => clients.every((client) => pushesOf(client, room).length >= 20), {
        what: 'every push on every connection',
      });
      await settled(...clients);
      for (const [i, client] of clients.entries()) {
        const pushes = pushesOf(client, room);
        assert.deepEqual(
          pushes.map((frame) => frame.offset),
          Array.from({ length: 20 }, (_, j) => j + 1),
          `connection ${i}`,
        );
        for (const frame of pushes) assert.deepEqual(frame.data, payloadAt.get(frame.offset));
      }
      await closeAll(clients);
    });

    it('a member whose connection dropped recovers every missed room message exactly once, in order, on either node', async () => {
      const room = unique('recover');
      const user = unique('dropper');
      await roomsOf(a).join(room, user);
      const first = await TestClient.connectAndWelcome(a.wsUrl(user));
      const { epoch } = first.frames[0].data.rooms[room];
      await roomsOf(b).sendToRoom(room, 'seen');
      await waitFor(() => pushesOf(first, room).length === 1);
      first.socket.terminate();
      await first.closed;
      await waitFor(async () => !(await b.messaging.isOnline(user)));
      // While away: stored pushes from both nodes, a volatile one, and one to the user alone.
      await roomsOf(a).sendToRoom(room, 'missed 1');
      await roomsOf(b).sendToRoom(room, 'missed 2');
      await roomsOf(a).sendToRoom(room, 'typing', { volatile: true });
      const own = await a.messaging.send(user, 'personal');

      const positions = encodeRoomPositions({ [room]: { epoch, offset: 1 } });
      const back = await TestClient.connectAndWelcome(
        `${b.wsUrl(user)}&since=0&epoch=${own.epoch}&rooms=${positions}`,
      );
      assert.deepEqual(back.frames[0].data.rooms, {
        [room]: { epoch, offset: 3, recovered: true },
      });
      assert.equal(back.frames[0].data.recovered, true);
      await roomsOf(a).sendToRoom(room, 'live');
      await waitFor(() => pushesOf(back, room).length === 3);
      await settled(back);
      // The user's own stream first, then the room's, then live pushes: each once.
      assert.deepEqual(
        back.framesOf('message').map((frame) => [frame.room, frame.data, frame.offset]),
        [
          [undefined, 'personal', 1],
          [room, 'missed 1', 2],
          [room, 'missed 2', 3],
          [room, 'live', 4],
        ],
      );
      await back.close();
    });

    it('answers recovered: false and replays nothing for another epoch, a position beyond the stream or beyond the history', async () => {
      const room = unique('norecover');
      const overflowing = unique('overflow');
      const user = unique('stale');
      await roomsOf(a).join(room, user);
      await roomsOf(a).join(overflowing, user);
      let last;
      for (let i = 1; i <= 3; i++) last = await roomsOf(i % 2 ? a : b).sendToRoom(room, i);
      const epoch = last!.epoch!;
      // 1 005 pushes into a history of 1 000: offsets 1 to 5 are gone.
      const overflow = await Promise.all(
        Array.from({ length: 1005 }, (_, i) => roomsOf(i % 2 ? a : b).sendToRoom(overflowing, i)),
      );
      const overflowEpoch = overflow[0].epoch!;
      const notMine = unique('not-a-member');
      for (const [position, what] of [
        [{ epoch: 'another-epoch', offset: 1 }, 'another epoch'],
        [{ epoch, offset: 4 }, 'beyond the stream'],
        [{ epoch, offset: 1_000_000 }, 'far beyond the stream'],
      ] as const) {
        const client = await TestClient.connectAndWelcome(
          `${(what.length % 2 ? a : b).wsUrl(user)}&rooms=${encodeRoomPositions({
            [room]: position,
            [overflowing]: { epoch: overflowEpoch, offset: 4 },
            [notMine]: { epoch, offset: 0 },
          })}`,
        );
        assert.deepEqual(
          client.frames[0].data.rooms,
          {
            [room]: { epoch, offset: 3, recovered: false },
            [overflowing]: { epoch: overflowEpoch, offset: 1005, recovered: false },
          },
          what,
        );
        await settled(client);
        assert.deepEqual(client.framesOf('message'), [], `never a partial replay: ${what}`);
        await client.close();
      }
      // The oldest push still held is enough.
      const edge = await TestClient.connectAndWelcome(
        `${b.wsUrl(user)}&rooms=${encodeRoomPositions({ [overflowing]: { epoch: overflowEpoch, offset: 5 } })}`,
      );
      assert.equal(edge.frames[0].data.rooms[overflowing].recovered, true);
      await waitFor(() => pushesOf(edge, overflowing).length === 1000);
      assert.deepEqual(
        pushesOf(edge, overflowing).map((frame) => frame.offset),
        Array.from({ length: 1000 }, (_, i) => i + 6),
      );
      await edge.close();
    });

    it('delivers one room exactly once and in order to members hopping nodes through 12 abrupt drops while 4 senders push 600 times from both nodes', async () => {
      const room = unique('chaos');
      const users = [unique('chaos-1'), unique('chaos-2')];
      for (const user of users) await roomsOf(a).join(room, user);
      const clients = users.map(
        (user, n) =>
          new RoomRecoveringClient(room, (attempt) => [a, b][(attempt + n) % 2].wsUrl(user)),
      );
      try {
        await Promise.all(clients.map((client) => client.connect()));
        await waitFor(() => clients.every((client) => client.epoch !== undefined));
        const acked: Acknowledged = new Map();
        const kills = new Map<number, RoomRecoveringClient>();
        while (kills.size < 12) {
          kills.set(1 + Math.floor(Math.random() * 599), clients[kills.size % 2]);
        }
        let sent = 0;
        const sender = async (id: number) => {
          for (let seq = 0; seq < 150; seq++) {
            const payload = { id, seq };
            const result = await roomsOf([a, b][(id + seq) % 2]).sendToRoom(room, payload);
            assert.equal(result.incomplete, undefined);
            acked.set(result.offset!, payload);
            kills.get(++sent)?.kill();
            if (seq % 5 === id) await new Promise((resolve) => setImmediate(resolve));
          }
        };
        await Promise.all([0, 1, 2, 3].map(sender));
        assert.equal(acked.size, 600);
        await waitFor(() => clients[0].kills + clients[1].kills === kills.size, {
          what: 'every drop to have happened',
        });
        for (const client of clients) {
          await client.caughtUp(600);
          assert.deepEqual(roomExactlyOnceViolations(client, acked), []);
          assert.ok(client.welcomes.length > 1, 'the client reconnected');
        }
      } finally {
        // Stopped whatever happened: a client left running reconnects forever.
        await Promise.all(clients.map((client) => client.stop()));
      }
    });
  });
}

describe('rooms: ids and recovery parameters', () => {
  let chat: TestApp;
  before(async () => {
    chat = await startChatApp(OPTIONS);
  });
  after(() => chat.close());

  it('refuses bad room ids with a TypeError from join, leave, sendToRoom and members, and changes nothing', async () => {
    const rooms = roomsOf(chat);
    const user = unique('careful');
    for (const room of BAD_IDS as string[]) {
      const what = JSON.stringify(room);
      await assert.rejects(rooms.join(room, user), TypeError, `join ${what}`);
      await assert.rejects(rooms.leave(room, user), TypeError, `leave ${what}`);
      await assert.rejects(rooms.sendToRoom(room, 'x'), TypeError, `sendToRoom ${what}`);
      await assert.rejects(rooms.members(room), TypeError, `members ${what}`);
    }
    await assert.rejects(rooms.join('', user), /invalid room id: it must be 1 to 128 characters/);
    // Bad user ids too.
    for (const bad of BAD_IDS as string[]) {
      await assert.rejects(rooms.join('fine', bad), /invalid user id/);
      await assert.rejects(rooms.leave('fine', bad), TypeError);
      await assert.rejects(rooms.roomsOf(bad), TypeError);
    }
    assert.deepEqual(await rooms.roomsOf(user), []);
    assert.deepEqual(await rooms.members('fine'), []);
    // The limits themselves are fine: 128 characters, any printable text.
    const longest = 'r'.repeat(128);
    await rooms.join(longest, user);
    await rooms.join('émoji 💬 {x}:y', user);
    assert.deepEqual(await rooms.roomsOf(user), ['r'.repeat(128), 'émoji 💬 {x}:y'].sort());
    assert.equal((await rooms.sendToRoom(longest, 'ok')).offset, 1);
  });

  it('refuses a malformed rooms= recovery parameter with HTTP 400 and never crashes (fuzzed)', async () => {
    const base64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const value of [
      '',
      'not+base64url/',
      '%3D%3D',
      base64('not json'),
      base64('[]'),
      base64('null'),
      base64('7'),
      base64('"text"'),
      base64('{"r":"e"}'),
      base64('{"r":["e"]}'),
      base64('{"r":["e",1,2]}'),
      base64('{"r":[1,1]}'),
      base64('{"r":["",1]}'),
      base64('{"r":["bad/epoch",1]}'),
      base64(`{"r":["${'e'.repeat(65)}",1]}`),
      base64('{"r":["e",-1]}'),
      base64('{"r":["e",1.5]}'),
      base64('{"r":["e",1e16]}'),
      base64('{"r":["e",null]}'),
      base64('{"":["e",1]}'),
      base64(`{"${'x'.repeat(129)}":["e",1]}`),
      base64('{"nul\\u0000":["e",1]}'),
      'A'.repeat(8193),
    ]) {
      assert.equal(
        await refusedStatus(`${chat.wsUrl('fuzz')}&rooms=${value}`),
        400,
        `rooms=${value.slice(0, 60)}`,
      );
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60 }).map((text) => encodeURIComponent(text)),
          fc.jsonValue({ maxDepth: 3 }).map((value) => base64(JSON.stringify(value))),
          fc
            .dictionary(
              fc.string({ maxLength: 8 }),
              fc.tuple(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.double())),
            )
            .map((value) => base64(JSON.stringify(value))),
        ),
        async (value) => {
          try {
            const client = await TestClient.connectAndWelcome(
              `${chat.wsUrl('fuzz')}&rooms=${value}`,
            );
            // Accepted only when it decodes to positions; 'fuzz' is in no room, so none is listed.
            assert.equal('rooms' in client.frames[0].data, false);
            await client.close();
          } catch (err) {
            assert.match(String(err), /HTTP 400/);
          }
        },
      ),
      { numRuns: 80 },
    );
    // A well-formed parameter is accepted, and the server still serves.
    const valid = encodeRoomPositions({ r: { epoch: 'e', offset: 0 } });
    const healthy = await TestClient.connectAndWelcome(
      `${chat.wsUrl('after-fuzz')}&rooms=${valid}`,
    );
    await healthy.close();
  });
});

/** An argument as MONITOR shows it (quoted C-style, bytes above 0x7e as \\xHH), as the text it was. */
function unquote(shown: string): string {
  const escapes: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8 };
  const bytes: number[] = [];
  for (let i = 0; i < shown.length; i++) {
    if (shown[i] !== '\\') {
      bytes.push(shown.charCodeAt(i));
    } else if (shown[i + 1] === 'x') {
      bytes.push(parseInt(shown.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const next = shown[++i];
      bytes.push(escapes[next] ?? next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString();
}

describe('rooms on Redis: targeted routing', () => {
  const topology = redisCluster();
  let a: TestApp;
  let b: TestApp;
  let admin: Redis;
  let feed: Redis;
  /** Every PUBLISH Redis executed since the feed started, as [channel, message]. */
  const published: [string, string][] = [];
  let markers = 0;
  const seenMarkers = new Set<string>();

  before(async () => {
    [a, b] = await topology.start();
    const { port } = topology.redis!();
    admin = new Redis(port, '127.0.0.1');
    feed = await new Redis(port, '127.0.0.1', { lazyConnect: true }).monitor();
    feed.on('monitor', (_time: string, argv: string[]) => {
      const [name = '', ...args] = argv;
      if (name.toUpperCase() === 'ECHO') seenMarkers.add(args[0]);
      if (name.toUpperCase() === 'PUBLISH') published.push([args[0], unquote(args[1])]);
    });
  });
  after(async () => {
    admin?.disconnect();
    feed?.disconnect();
    await topology.stop();
  });

  /** Resolves once MONITOR has reported everything Redis executed before the call. */
  async function synced(): Promise<void> {
    const marker = `rooms-monitor-${++markers}`;
    await admin.echo(marker);
    await waitFor(() => seenMarkers.has(marker), { what: 'the MONITOR feed' });
  }

  /** The PUBLISHes Redis executes while `action` runs, once MONITOR reported them all. */
  async function publishesDuring(action: () => Promise<unknown>): Promise<[string, string][]> {
    await synced();
    const start = published.length;
    await action();
    await synced();
    return published.slice(start);
  }

  const numsub = async (room: string): Promise<number> => {
    const [, count] = (await admin.call('PUBSUB', 'NUMSUB', `chat:ch:room:${room}`)) as [
      string,
      number,
    ];
    return Number(count);
  };
  const nodeOf = (client: TestClient) =>
    client.connectionId.slice(0, client.connectionId.lastIndexOf('.'));

  it('a room whose members are all on node A is subscribed by A alone, and a send from either node publishes once to its channel and nothing to B', async () => {
    const room = unique('targeted');
    const [u1, u2] = [unique('t1'), unique('t2')];
    const members = [
      await TestClient.connectAndWelcome(a.wsUrl(u1)),
      await TestClient.connectAndWelcome(a.wsUrl(u1)),
      await TestClient.connectAndWelcome(a.wsUrl(u2)),
    ];
    const bystander = await TestClient.connectAndWelcome(b.wsUrl(unique('bystander')));
    const [nodeA, nodeB] = [nodeOf(members[0]), nodeOf(bystander)];
    await roomsOf(a).join(room, u1);
    await roomsOf(b).join(room, u2);
    await told(room, members);
    await waitFor(async () => (await numsub(room)) === 1, { what: 'one subscriber' });

    const channel = `chat:ch:room:${room}`;
    let result: RoomSendResult | undefined;
    const fromA = await publishesDuring(async () => {
      result = await roomsOf(a).sendToRoom(room, 'from a');
    });
    assert.equal(result!.delivered, 3);
    assert.deepEqual(
      fromA.map(([name]) => name),
      [channel],
      'one publish to the room channel, no message to any node',
    );
    const fromB = await publishesDuring(async () => {
      result = await roomsOf(b).sendToRoom(room, 'from b');
    });
    assert.equal(result!.delivered, 3);
    // The room's channel once, and A's receipt to B: no message for B's connections.
    assert.deepEqual(
      fromB.map(([name]) => name),
      [channel, `chat:node:${nodeB}`],
    );
    assert.equal(JSON.parse(fromB[0][1]).from, nodeB);
    assert.equal(JSON.parse(fromB[0][1]).body.items[0].room, room);
    assert.equal(JSON.parse(fromB[1][1]).from, nodeA);
    assert.equal(JSON.parse(fromB[1][1]).body.type, 'delivered');
    assert.equal(await numsub(room), 1, "B's count on the channel stayed 0");
    await settled(bystander, ...members);
    assert.deepEqual(bystander.framesOf('message'), []);
    for (const member of members) {
      assert.deepEqual(
        pushesOf(member, room).map((frame) => frame.data),
        ['from a', 'from b'],
      );
    }

    // A membership change travels only to the nodes holding the user: none for an offline one.
    const offline = unique('offline');
    assert.deepEqual(
      await publishesDuring(() => roomsOf(b).join(room, offline)),
      [],
      'a join of an offline user publishes nothing',
    );
    const leaveFromB = await publishesDuring(() => roomsOf(b).leave(room, u2));
    assert.deepEqual(
      leaveFromB.map(([name]) => name),
      [`chat:node:${nodeA}`, `chat:node:${nodeB}`],
      'the leave to A, and its receipt back to B',
    );
    await closeAll([bystander, ...members]);
  });

  it('a node unsubscribes from a room when its last member there disconnects or leaves', async () => {
    const room = unique('subs');
    const [onA, onB, both] = [unique('on-a'), unique('on-b'), unique('both')];
    for (const user of [onA, onB, both]) await roomsOf(a).join(room, user);
    assert.equal(await numsub(room), 0, 'nobody online: no node subscribed');
    const clientA = await TestClient.connectAndWelcome(a.wsUrl(onA));
    await waitFor(async () => (await numsub(room)) === 1, { what: 'A to subscribe' });
    const clientB = await TestClient.connectAndWelcome(b.wsUrl(onB));
    const bothA = await TestClient.connectAndWelcome(a.wsUrl(both));
    const bothB = await TestClient.connectAndWelcome(b.wsUrl(both));
    await waitFor(async () => (await numsub(room)) === 2, { what: 'B to subscribe' });

    await clientB.close();
    // B still holds a member (one device of `both`): it stays.
    await waitFor(async () => !(await a.messaging.isOnline(onB)));
    assert.equal((await roomsOf(a).sendToRoom(room, 'a and both')).delivered, 3);
    assert.equal(await numsub(room), 2);
    await roomsOf(a).leave(room, both);
    await waitFor(async () => (await numsub(room)) === 1, { what: 'B to unsubscribe' });
    assert.equal((await roomsOf(b).sendToRoom(room, 'only a')).delivered, 1);

    await clientA.close();
    await waitFor(async () => (await numsub(room)) === 0, { what: 'A to unsubscribe' });
    assert.equal((await roomsOf(a).sendToRoom(room, 'nobody')).delivered, 0);
    await closeAll([bothA, bothB]);
  });
});
