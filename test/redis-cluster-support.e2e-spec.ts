import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Cluster, Redis } from 'ioredis';
import { RedisCluster, type ClusterMonitor } from './support/redis-cluster.js';

const USERS = 300;
const userKey = (n: number) => `{u:user-${n}}:x`;
const valueOf = (key: string) => key.replace(/^\{u:user-(\d+)\}:x$/, 'v$1');
/** The master the outage tests kill; any index works, a fixed one keeps runs comparable. */
const VICTIM = 1;

describe('RedisCluster test helper: a real three-master cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let masters: Redis[];
  let monitor: ClusterMonitor;
  /** The user keys each master holds, by master index, as KEYS on that master reports them. */
  let keysOn: string[][];

  before(async () => {
    cluster = await RedisCluster.start();
    client = cluster.client();
    masters = cluster.masterClients();
    monitor = await cluster.monitor();
  });
  after(async () => {
    await cluster?.stop();
  });

  it('comes up with cluster_state:ok and all 16384 slots served, on every master', async () => {
    assert.equal(cluster.nodes.length, 3);
    for (const master of masters) {
      const info = String(await master.call('CLUSTER', 'INFO'));
      assert.match(info, /^cluster_state:ok\r?$/m);
      assert.match(info, /^cluster_slots_ok:16384\r?$/m);
      assert.match(info, /^cluster_known_nodes:3\r?$/m);
      // Three masters that each serve some slots.
      assert.match(info, /^cluster_size:3\r?$/m);
    }
  });

  it('spreads keys with different hash tags over every master, as masterOf() predicts', async () => {
    const keys = Array.from({ length: USERS }, (_, n) => userKey(n));
    await Promise.all(keys.map((key) => client.set(key, valueOf(key))));

    const sizes = await Promise.all(masters.map((master) => master.dbsize()));
    assert.equal(
      sizes.reduce((sum, size) => sum + size, 0),
      USERS,
    );
    for (const size of sizes) assert.ok(size > 0, `every master holds some keys: ${sizes}`);

    keysOn = await Promise.all(masters.map(async (master) => (await master.keys('*')).sort()));
    const predicted: string[][] = masters.map(() => []);
    for (const key of keys) predicted[await cluster.masterOf(key)].push(key);
    assert.deepEqual(
      keysOn,
      predicted.map((keys) => keys.sort()),
    );
  });

  it('the monitor shows which master executed a command, and nothing else', async () => {
    const channel = '{u:user-0}:inbox';
    const owner = await cluster.masterOf(channel);
    await monitor.clear();

    await client.spublish(channel, 'hello');
    await monitor.sync();

    const seen = monitor.named('SPUBLISH');
    assert.deepEqual(
      seen.map(({ master, args }) => ({ master, args })),
      [{ master: owner, args: [channel, 'hello'] }],
    );
    assert.match(seen[0].source, /^127\.0\.0\.1:\d+$/);
  });

  it('with one master down, keys on the others work and keys on it fail fast', async () => {
    const liveKeys = keysOn.filter((_, i) => i !== VICTIM).flat();
    const deadKeys = keysOn[VICTIM];
    await cluster.stopMaster(VICTIM);
    // Until the survivors flag the dead master as failed they still count its slots as served;
    // only after that does `cluster-require-full-coverage no` make a difference.
    await cluster.waitUntilMarkedFailed(VICTIM);

    for (const [i, master] of masters.entries()) {
      if (i === VICTIM) continue;
      const info = String(await master.call('CLUSTER', 'INFO'));
      assert.match(info, /^cluster_state:ok\r?$/m);
      assert.match(info, new RegExp(`^cluster_slots_fail:${16384 - slotsOk(info)}\\r?$`, 'm'));
      assert.ok(slotsOk(info) > 0 && slotsOk(info) < 16384, info);
    }

    const values = await Promise.all(liveKeys.map((key) => client.get(key)));
    assert.deepEqual(values, liveKeys.map(valueOf));

    const startedAt = Date.now();
    await assert.rejects(client.get(deadKeys[0]), /Too many Cluster redirections/);
    // ioredis gives up after its 16 redirections (about 1 s here), it does not hang.
    const elapsed = Date.now() - startedAt;
    assert.ok(elapsed < 5000, `a key on the dead master failed after ${elapsed} ms`);

    // The survivors answer at once even while a command for the dead shard is retrying.
    let settled = false;
    const pending = client.get(deadKeys[1]).finally(() => (settled = true));
    assert.equal(await client.get(liveKeys[0]), valueOf(liveKeys[0]));
    assert.equal(settled, false);
    await assert.rejects(pending, /Too many Cluster redirections/);
  });

  it('a restarted master rejoins with its own slots, empty, and serves them again', async () => {
    const deadKeys = keysOn[VICTIM];
    await cluster.restartMaster(VICTIM);

    for (const master of masters) {
      const info = String(await master.call('CLUSTER', 'INFO'));
      assert.match(info, /^cluster_state:ok\r?$/m);
      assert.match(info, /^cluster_slots_ok:16384\r?$/m);
    }
    // Same slots as before the crash: the cluster config file survived the SIGKILL.
    for (const key of deadKeys) assert.equal(await cluster.masterOf(key), VICTIM);
    // Nothing is persisted, so the shard's data is gone while the other shards kept theirs.
    assert.equal(await masters[VICTIM].dbsize(), 0);
    assert.equal(await client.get(deadKeys[0]), null);
    assert.equal(await client.set(deadKeys[0], 'again'), 'OK');
    assert.equal(await client.get(deadKeys[0]), 'again');

    // The monitor of the restarted master has reconnected and reports its commands again.
    await monitor.clear();
    await client.get(deadKeys[0]);
    await monitor.sync();
    assert.deepEqual(
      monitor.named('GET').map(({ master, args }) => ({ master, args })),
      [{ master: VICTIM, args: [deadKeys[0]] }],
    );
  });

  it('stop() kills every master it started', async () => {
    assert.equal(redisServerChildren().length, 3);
    await cluster.stop();
    assert.deepEqual(redisServerChildren(), []);
  });
});

describe('RedisCluster.start failing halfway', () => {
  it('kills the masters it had started and rethrows', async () => {
    // A `redis-cli` that fails makes the start fail after every master is up.
    const bin = await mkdtemp(join(tmpdir(), 'fake-redis-cli-'));
    const fake = join(bin, 'redis-cli');
    await writeFile(fake, '#!/bin/sh\necho "cluster create refused" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${path}`;
    try {
      await assert.rejects(RedisCluster.start(), /cluster create refused/);
    } finally {
      process.env.PATH = path;
      await rm(bin, { recursive: true, force: true });
    }
    assert.deepEqual(redisServerChildren(), []);
  });

  it('refuses fewer than three masters before starting anything', async () => {
    await assert.rejects(RedisCluster.start({ masters: 2 }), {
      name: 'TypeError',
      message: 'masters must be an integer >= 3, got 2',
    });
  });
});

function slotsOk(info: string): number {
  return Number(/^cluster_slots_ok:(\d+)/m.exec(info)?.[1]);
}

/** `pid comm` of each `redis-server` process that is a child of this test process. */
function redisServerChildren(): string[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {
      encoding: 'utf8',
    });
  } catch (error) {
    // ps exits with 1 when no process matches.
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
  return out
    .split('\n')
    .filter((line) => line.includes('redis-server'))
    .map((line) => line.trim());
}
