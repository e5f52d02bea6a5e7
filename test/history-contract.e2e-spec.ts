import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatTransport } from '../src/transports/chat-transport.interface.js';
import type {
  HistoryLimits,
  HistoryStore,
  StreamPosition,
} from '../src/transports/history-store.interface.js';
import {
  memoryBackplane,
  redisBackplane,
  redisClusterBackplane,
  type Backplane,
} from './support/backplanes.js';
import { waitFor } from './support/wait.js';

const LIMITS: HistoryLimits = { size: 50, ttlMs: 60_000 };

// Every guarantee in the TSDoc of HistoryStore, checked against each implementation.
for (const backplane of [
  memoryBackplane(),
  redisBackplane(),
  redisClusterBackplane(),
] as Backplane[]) {
  describe(`history store contract: ${backplane.name}`, () => {
    let transports: ChatTransport[];
    let history: HistoryStore;
    let sequence = 0;
    const stream = () => `s-${++sequence}`;

    before(async () => {
      await backplane.start();
      transports = [backplane.transport(), backplane.transport()];
      // Redis clients connect when a node attaches; the history rides on the same clients.
      await Promise.all(
        transports.map((transport, i) =>
          transport.presence.attach({
            nodeId: `h${i}`,
            connectionsOf: () => [],
            users: () => [],
            rejoin: () => undefined,
            evicted: () => undefined,
          }),
        ),
      );
      history = transports[0].history;
    });
    after(async () => {
      await Promise.all(transports.map((transport) => transport.presence.detach()));
      await backplane.stop();
    });

    it('starts a stream at offset 0 with an epoch, and counts appends from 1', async () => {
      const name = stream();
      const start = await history.position(name, LIMITS);
      assert.equal(start.offset, 0);
      assert.match(start.epoch, /^[\w-]{1,64}$/);
      const first = await history.append(name, 'a', LIMITS);
      const second = await history.append(name, 'b', LIMITS);
      assert.deepEqual(
        [first, second],
        [
          { epoch: start.epoch, offset: 1 },
          { epoch: start.epoch, offset: 2 },
        ],
      );
      assert.deepEqual(await history.position(name, LIMITS), second);
    });

    it('gives concurrent appends from several nodes distinct offsets with no hole', async () => {
      const name = stream();
      const appends = Array.from({ length: 200 }, (_, i) =>
        transports[i % 2].history.append(name, `p${i}`, { ...LIMITS, size: 500 }),
      );
      const offsets = (await Promise.all(appends))
        .map(({ offset }) => offset)
        .sort((a, b) => a - b);
      assert.deepEqual(
        offsets,
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      const replay = await history.read(
        name,
        { epoch: (await appends[0]).epoch, offset: 0 },
        {
          ...LIMITS,
          size: 500,
        },
      );
      assert.equal(replay.recovered, true);
      // Each offset holds the data of the append that was given it.
      const byOffset = new Map((await Promise.all(appends)).map((p, i) => [p.offset, `p${i}`]));
      for (const entry of replay.recovered ? replay.entries : []) {
        assert.equal(entry.data, byOffset.get(entry.offset));
      }
    });

    it('numbers the appends of one turn to several streams in the order each stream got them', async () => {
      const names = [stream(), stream(), stream()];
      const limits = { ...LIMITS, size: 1_000 };
      // More than one script call's worth, interleaved: every stream is split over calls.
      const appends = Array.from({ length: 900 }, (_, i) =>
        history.append(names[i % 3], `q${i}`, limits),
      );
      const positions = await Promise.all(appends);
      for (const [s, name] of names.entries()) {
        const mine = positions.filter((_, i) => i % 3 === s);
        assert.deepEqual(
          mine.map(({ offset }) => offset),
          Array.from({ length: 300 }, (_, i) => i + 1),
        );
        const replay = await history.read(name, { epoch: mine[0].epoch, offset: 0 }, limits);
        assert.equal(replay.recovered, true);
        assert.deepEqual(
          replay.recovered ? replay.entries.map(({ data }) => data) : [],
          Array.from({ length: 300 }, (_, i) => `q${3 * i + s}`),
        );
      }
    });

    it('reads everything after an offset, in order, or nothing after the last one', async () => {
      const name = stream();
      let last: StreamPosition | undefined;
      for (const data of ['x', 'y:with:colons', '{"json":[1]}']) {
        last = await history.append(name, data, LIMITS);
      }
      const { epoch } = last!;
      assert.deepEqual(await history.read(name, { epoch, offset: 1 }, LIMITS), {
        recovered: true,
        position: last,
        entries: [
          { offset: 2, data: 'y:with:colons' },
          { offset: 3, data: '{"json":[1]}' },
        ],
      });
      assert.deepEqual(await history.read(name, last!, LIMITS), {
        recovered: true,
        position: last,
        entries: [],
      });
    });

    it('keeps at most size pushes, and then cannot recover from before them', async () => {
      const name = stream();
      const limits = { size: 3, ttlMs: 60_000 };
      let last: StreamPosition | undefined;
      for (let i = 1; i <= 5; i++) last = await history.append(name, `m${i}`, limits);
      const { epoch } = last!;
      assert.deepEqual(await history.read(name, { epoch, offset: 1 }, limits), {
        recovered: false,
        position: last,
      });
      const replay = await history.read(name, { epoch, offset: 2 }, limits);
      assert.deepEqual(replay.recovered && replay.entries.map((e) => e.data), ['m3', 'm4', 'm5']);
    });

    it('keeps each push at most ttlMs', async () => {
      const name = stream();
      const limits = { size: 50, ttlMs: 150 };
      const first = await history.append(name, 'old', limits);
      await waitFor(
        async () => {
          const replay = await history.read(name, { ...first, offset: 0 }, limits);
          return !replay.recovered;
        },
        { timeoutMs: 2000, what: 'the push to expire' },
      );
      // The position outlives the pushes: up to date is still up to date.
      assert.deepEqual(await history.read(name, first, limits), {
        recovered: true,
        position: first,
        entries: [],
      });
    });

    it('answers recovered: false for another epoch or an offset beyond the stream, never part', async () => {
      const name = stream();
      const last = await history.append(name, 'only', LIMITS);
      for (const from of [
        { epoch: 'another-epoch', offset: 0 },
        { epoch: last.epoch, offset: 2 },
        { epoch: last.epoch, offset: 1_000_000 },
      ]) {
        assert.deepEqual(await history.read(name, from, LIMITS), {
          recovered: false,
          position: last,
        });
      }
    });

    if (backplane.flush) {
      it('starts a new epoch when the storage was lost', async () => {
        const name = stream();
        const before = await history.append(name, 'a', LIMITS);
        await backplane.flush!();
        const after = await history.position(name, LIMITS);
        assert.notEqual(after.epoch, before.epoch);
        assert.equal(after.offset, 0);
        assert.equal((await history.read(name, before, LIMITS)).recovered, false);
        assert.deepEqual(await history.append(name, 'b', LIMITS), {
          epoch: after.epoch,
          offset: 1,
        });
      });
    }
  });
}
