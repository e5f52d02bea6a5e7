import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type {
  PresenceEntry,
  PresenceNode,
  PresenceStore,
} from '../src/transports/presence-store.interface.js';
import {
  memoryBackplane,
  redisBackplane,
  redisClusterBackplane,
  type Backplane,
} from './support/backplanes.js';
import { waitFor } from './support/wait.js';

/**
 * A node's side of the presence, the way the module keeps it: its own connections (which the
 * in-memory store reads), and what the store asked of it.
 */
class FakeNode implements PresenceNode {
  private readonly entries = new Map<string, PresenceEntry[]>();
  private sequence = 0;
  rejoins = 0;
  readonly evictedIds: string[] = [];

  constructor(
    readonly nodeId: string,
    readonly store: PresenceStore,
  ) {}

  connectionsOf(user: string): readonly PresenceEntry[] {
    return this.entries.get(user) ?? [];
  }

  users(): Iterable<string> {
    return this.entries.keys();
  }

  rejoin(): void {
    this.rejoins++;
  }

  evicted(connectionIds: readonly string[]): void {
    this.evictedIds.push(...connectionIds);
  }

  /** A new connection of `user` here: registered locally first, then joined, as the module does. */
  async connect(user: string, limit: number): Promise<{ entry: PresenceEntry; evicted: string[] }> {
    const entry = { id: `${this.nodeId}.${++this.sequence}`, user, since: Date.now() };
    this.entries.set(user, [...this.connectionsOf(user), entry]);
    const { evicted } = await this.store.join(entry, limit);
    return { entry, evicted };
  }

  /** Ends a connection here and leaves the presence. */
  async disconnect(entry: PresenceEntry): Promise<void> {
    this.forget(entry.id);
    await this.store.leave(entry);
  }

  /** Drops a connection the cluster evicted (the module closes it with 4000). */
  forget(id: string): void {
    for (const [user, list] of this.entries) {
      const rest = list.filter((entry) => entry.id !== id);
      if (rest.length > 0) this.entries.set(user, rest);
      else this.entries.delete(user);
    }
  }
}

// Every guarantee in the TSDoc of PresenceStore, checked against each implementation.
for (const backplane of [
  memoryBackplane(),
  redisBackplane(),
  redisClusterBackplane(),
] as Backplane[]) {
  describe(`presence store contract: ${backplane.name}`, () => {
    const nodes: FakeNode[] = [];
    let sequence = 0;

    async function node(ttlMs?: number): Promise<FakeNode> {
      const { presence } = backplane.transport(ttlMs ? { nodeTtlMs: ttlMs } : {});
      const fake = new FakeNode(`n${++sequence}`, presence);
      await presence.attach(fake);
      nodes.push(fake);
      return fake;
    }

    /** Joins on `from`, then closes what the join evicted wherever it lives. */
    async function connect(from: FakeNode, user: string, limit: number) {
      const result = await from.connect(user, limit);
      for (const id of result.evicted) for (const fake of nodes) fake.forget(id);
      return result;
    }

    before(() => backplane.start());
    afterEach(async () => {
      await Promise.all(nodes.splice(0).map((fake) => fake.store.detach()));
    });
    after(() => backplane.stop());

    it('locates each connection of a user on its node, and lists the users', async () => {
      const a = await node();
      const b = await node();
      await connect(a, 'ann', 3);
      await connect(b, 'ann', 3);
      await connect(b, 'ann', 3);
      await connect(b, 'bea', 3);
      const located = await a.store.locate(['ann', 'bea', 'nobody']);
      assert.deepEqual(located.get('ann')!.sort(), [a.nodeId, b.nodeId, b.nodeId]);
      assert.deepEqual(located.get('bea'), [b.nodeId]);
      assert.deepEqual(located.get('nobody'), []);
      assert.deepEqual((await b.store.users()).sort(), ['ann', 'bea']);
    });

    it('enforces the limit atomically: concurrent joins on three nodes keep the newest two', async () => {
      const all = [await node(), await node(), await node()];
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => connect(all[i % 3], 'race', 2)),
      );
      const evicted = results.flatMap((result) => result.evicted);
      const located = await all[0].store.locate(['race']);
      assert.equal(located.get('race')!.length, 2);
      // Every pushed-out entry is reported once, to one joiner.
      assert.equal(new Set(evicted).size, evicted.length);
      assert.equal(evicted.length, 28);
      const survivors = results.map((r) => r.entry.id).filter((id) => !evicted.includes(id));
      assert.equal(survivors.length, 2);
    });

    it('forgets a connection that left, and ignores a leave of one that is not there', async () => {
      const a = await node();
      const { entry } = await connect(a, 'cid', 2);
      await a.disconnect(entry);
      await a.store.leave(entry);
      await a.store.leave({ id: `${a.nodeId}.999`, user: 'ghost', since: 0 });
      assert.deepEqual((await a.store.locate(['cid'])).get('cid'), []);
      assert.deepEqual(await a.store.users(), []);
    });

    it('removes the presence of a node that detached at once', async () => {
      const a = await node();
      const b = await node();
      await connect(b, 'dee', 2);
      await b.store.detach();
      nodes.splice(nodes.indexOf(b), 1);
      assert.deepEqual((await a.store.locate(['dee'])).get('dee'), []);
      assert.deepEqual(await a.store.users(), []);
    });

    it('says it is reachable while it can be used', async () => {
      const a = await node();
      assert.equal(a.store.reachable, true);
    });

    if (backplane.survivesCrashes) {
      it('drops the entries of a node that stopped refreshing, within the node time-to-live', async () => {
        const a = await node(600);
        const crashed = await node(600);
        await connect(crashed, 'eli', 2);
        assert.deepEqual((await a.store.locate(['eli'])).get('eli'), [crashed.nodeId]);
        // A crash: no detach, so nothing is removed; its liveness is simply never refreshed again.
        (crashed.store as unknown as { refreshTimer: NodeJS.Timeout }).refreshTimer.close();
        const started = Date.now();
        await waitFor(async () => (await a.store.locate(['eli'])).get('eli')!.length === 0, {
          timeoutMs: 3000,
          what: 'the crashed node to drop out',
        });
        assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
        assert.deepEqual(await a.store.users(), []);
      });

      it('asks the node to join again when the store lost its state', async () => {
        const a = await node(300);
        await connect(a, 'fay', 2);
        await backplane.flush!();
        await waitFor(() => a.rejoins > 0, { timeoutMs: 2000, what: 'a rejoin' });
      });

      it('tells a node of its evicted connections at its next refresh, should the notice be lost', async () => {
        const a = await node(300);
        const b = await node(300);
        const { entry } = await a.connect('gus', 1);
        const { evicted } = await b.connect('gus', 1);
        assert.deepEqual(evicted, [entry.id]);
        // Nobody forwards the eviction to a: its refresh must report it.
        await waitFor(() => a.evictedIds.includes(entry.id), {
          timeoutMs: 2000,
          what: 'the notice',
        });
      });
    }
  });
}
