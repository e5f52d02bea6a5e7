import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatTransport } from '../src/transports/chat-transport.interface.js';
import type { MembershipStore } from '../src/transports/membership-store.interface.js';
import {
  memoryBackplane,
  redisBackplane,
  redisClusterBackplane,
  type Backplane,
} from './support/backplanes.js';

const sorted = (values: string[]): string[] => [...values].sort();

// Every guarantee in the TSDoc of MembershipStore, checked against each implementation.
for (const backplane of [
  memoryBackplane(),
  redisBackplane(),
  redisClusterBackplane(),
] as Backplane[]) {
  describe(`membership store contract: ${backplane.name}`, () => {
    let transports: ChatTransport[];
    /** The stores of two nodes sharing the backplane. */
    let here: MembershipStore;
    let there: MembershipStore;
    let sequence = 0;
    const fresh = (kind: string) => `${kind}-${++sequence}`;

    before(async () => {
      await backplane.start();
      transports = [backplane.transport(), backplane.transport()];
      // Redis clients connect when a node attaches; the membership rides on the same clients.
      await Promise.all(
        transports.map((transport, i) =>
          transport.presence.attach({
            nodeId: `m${i}`,
            connectionsOf: () => [],
            users: () => [],
            rejoin: () => undefined,
            evicted: () => undefined,
          }),
        ),
      );
      [here, there] = transports.map((transport) => transport.membership);
    });
    after(async () => {
      await Promise.all(transports.map((transport) => transport.presence.detach()));
      await backplane.stop();
    });

    it('add answers true for a new pair and false for an existing one, and changes nothing then', async () => {
      const room = fresh('room');
      const user = fresh('user');
      assert.equal(await here.add(room, user), true);
      assert.equal(await here.add(room, user), false);
      assert.equal(await there.add(room, user), false, 'idempotent whichever node adds');
      assert.deepEqual(await here.members(room), [user]);
      assert.deepEqual(await here.roomsOf(user), [room]);
    });

    it('remove answers true for an existing pair and false otherwise, and changes nothing then', async () => {
      const room = fresh('room');
      const [stays, goes] = [fresh('user'), fresh('user')];
      await here.add(room, stays);
      await here.add(room, goes);
      assert.equal(await there.remove(room, goes), true);
      assert.equal(await there.remove(room, goes), false);
      assert.equal(await here.remove(room, goes), false);
      assert.equal(await here.remove(room, 'never-a-member'), false);
      assert.equal(await here.remove(fresh('no-such-room'), stays), false);
      assert.deepEqual(await here.members(room), [stays]);
      assert.deepEqual(await here.roomsOf(stays), [room]);
      assert.deepEqual(await here.roomsOf(goes), []);
    });

    it('after add resolves, members and roomsOf include the pair on every node', async () => {
      const rooms = [fresh('room'), fresh('room'), fresh('room')];
      const users = [fresh('user'), fresh('user'), fresh('user'), fresh('user')];
      // Every user in the first room, the first two in the second, the first one in the third.
      for (const [i, room] of rooms.entries()) {
        for (const user of users.slice(0, users.length - 2 * i || 1)) {
          assert.equal(await (i % 2 === 0 ? here : there).add(room, user), true);
        }
      }
      for (const store of [here, there]) {
        assert.deepEqual(sorted(await store.members(rooms[0])), sorted(users));
        assert.deepEqual(sorted(await store.members(rooms[1])), sorted(users.slice(0, 2)));
        assert.deepEqual(await store.members(rooms[2]), [users[0]]);
        assert.deepEqual(sorted(await store.roomsOf(users[0])), sorted(rooms));
        assert.deepEqual(sorted(await store.roomsOf(users[1])), sorted(rooms.slice(0, 2)));
        assert.deepEqual(await store.roomsOf(users[3]), [rooms[0]]);
      }
    });

    it('after remove resolves, neither members nor roomsOf include the pair, on any node', async () => {
      const [r1, r2] = [fresh('room'), fresh('room')];
      const [u1, u2] = [fresh('user'), fresh('user')];
      for (const [room, user] of [
        [r1, u1],
        [r1, u2],
        [r2, u1],
      ]) {
        await here.add(room, user);
      }
      assert.equal(await there.remove(r1, u1), true);
      for (const store of [here, there]) {
        assert.deepEqual(await store.members(r1), [u2]);
        assert.deepEqual(await store.roomsOf(u1), [r2], 'the other membership of u1 stays');
      }
      await here.remove(r1, u2);
      await here.remove(r2, u1);
      for (const store of [here, there]) {
        assert.deepEqual(await store.members(r1), []);
        assert.deepEqual(await store.members(r2), []);
        assert.deepEqual(await store.roomsOf(u1), []);
        assert.deepEqual(await store.roomsOf(u2), []);
      }
      // A pair removed can be added again, and answers true again.
      assert.equal(await there.add(r1, u1), true);
      assert.deepEqual(await here.members(r1), [u1]);
    });

    it('answers empty lists for a room nobody joined and a user in no room', async () => {
      assert.deepEqual(await here.members(fresh('empty-room')), []);
      assert.deepEqual(await there.roomsOf(fresh('roomless')), []);
    });

    it('concurrent adds of one pair from two nodes change it once: exactly one answers true', async () => {
      for (let round = 0; round < 20; round++) {
        const room = fresh('race-room');
        const user = fresh('race-user');
        const answers = await Promise.all([
          here.add(room, user),
          there.add(room, user),
          here.add(room, user),
          there.add(room, user),
        ]);
        assert.equal(answers.filter(Boolean).length, 1, `round ${round}: ${answers}`);
        assert.deepEqual(await there.members(room), [user]);
        const removals = await Promise.all([here.remove(room, user), there.remove(room, user)]);
        assert.equal(removals.filter(Boolean).length, 1, `round ${round}: ${removals}`);
      }
    });

    it('keeps every member of concurrent adds to one room from both nodes', async () => {
      const room = fresh('crowd');
      const users = Array.from({ length: 200 }, (_, i) => `crowd-${sequence}-${i}`);
      const answers = await Promise.all(
        users.map((user, i) => (i % 2 === 0 ? here : there).add(room, user)),
      );
      assert.ok(answers.every(Boolean));
      assert.deepEqual(sorted(await here.members(room)), sorted(users));
      for (const user of users.slice(0, 5)) assert.deepEqual(await there.roomsOf(user), [room]);
    });

    it('keeps ids apart that only differ in characters a key layout could confuse', async () => {
      // Braces (Redis hash tags), colons and key-like suffixes, spaces, unicode, the longest id.
      const tricky = [
        'a}:members',
        '{r:a}',
        'a',
        'u:a',
        'r:a',
        'a:rooms',
        'with space',
        'émoji 💬',
        'x'.repeat(128),
      ];
      for (const room of tricky) {
        for (const user of tricky) {
          if (room.length % 2 === user.length % 2) assert.equal(await here.add(room, user), true);
        }
      }
      for (const id of tricky) {
        const expected = tricky.filter((other) => other.length % 2 === id.length % 2);
        assert.deepEqual(sorted(await there.members(id)), sorted(expected), `members of ${id}`);
        assert.deepEqual(sorted(await there.roomsOf(id)), sorted(expected), `rooms of ${id}`);
      }
      for (const room of tricky) {
        for (const user of tricky) await here.remove(room, user);
      }
      for (const id of tricky) {
        assert.deepEqual(await there.members(id), []);
        assert.deepEqual(await there.roomsOf(id), []);
      }
    });
  });
}
