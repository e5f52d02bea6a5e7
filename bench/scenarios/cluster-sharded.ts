import type { TableSpec } from '../report/results.js';
import type { BenchContext } from './context.js';
import { clusterStorm } from './cluster.js';
import { isOurModule, type SystemSpec } from './systems.js';

export const CLUSTER_SHARDED_TABLE: TableSpec = {
  id: 'cluster-sharded',
  title: 'Cluster on a Redis Cluster: two nodes, three masters, sharded pub/sub',
  method:
    'The cluster storm above (users on node B, sends on node A, bursts of 20 per user per turn, no history on either side) on a three-master Redis Cluster without replicas that the harness starts on free ports (`redis-cli --cluster create … --cluster-replicas 0`). Ours: `redis: { cluster: [seed nodes] }`, every channel a shard channel (SSUBSCRIBE / SPUBLISH). socket.io: `createShardedAdapter` from `@socket.io/redis-adapter` with ioredis `Cluster`s (the subscriber with `shardedSubscribers: true`). The third column is ours again, in the same run, on one standalone redis-server as in the cluster table. Redis CPU is summed over the masters.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway, 2 nodes, Redis Cluster', short: 'ours (cluster)' },
    {
      id: 'sio',
      label: 'socket.io + sharded redis-adapter, 2 nodes, Redis Cluster',
      short: 'socket.io',
    },
    {
      id: 'ours-standalone',
      label: 'nest-chat-gateway, 2 nodes, one Redis',
      short: 'ours (one Redis)',
    },
  ],
  ratios: [
    ['ours', 'sio'],
    ['ours', 'ours-standalone'],
  ],
};

/** The cluster storm on a Redis Cluster; for ours also on one Redis, in the same run. */
export async function clusterShardedScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const noHistory = (config: Parameters<Parameters<typeof clusterStorm>[4]>[0]) => ({
    ...config,
    history: false as const,
  });
  await clusterStorm(ctx, system, CLUSTER_SHARDED_TABLE, 'cluster-sharded', noHistory, {
    backplane: 'cluster',
  });
  if (isOurModule(system)) {
    await clusterStorm(ctx, system, CLUSTER_SHARDED_TABLE, 'cluster-standalone', noHistory, {
      column: 'ours-standalone',
    });
  }
}
