import type { TableSpec } from '../report/results.js';
import type { BenchContext } from './context.js';
import { clusterStorm } from './cluster.js';
import type { SystemSpec } from './systems.js';

export const CLUSTER_HISTORY_TABLE: TableSpec = {
  id: 'cluster-history',
  title: 'Cluster with recovery: two nodes and Redis, pushes kept for reconnects',
  method:
    'The cluster storm above (users on node B, sends on node A, bursts of 20 per user per turn), against the socket.io set-up that can recover a session in a cluster: `@socket.io/redis-streams-adapter` with ioredis and `connectionStateRecovery: {}`, where every emit is appended to one Redis stream that every node reads (XREAD, 100 entries per call) and carries its stream id as offset; its `maxLen` is raised from 10 000 to 1 000 000, since with the default the stream is trimmed past node B’s read position during the storm and B silently skips those pushes. Ours runs as in the cluster table, with history on (its default): each push is appended to its user’s stream in Redis and sent only to the node that holds the user.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway, 2 nodes, history on', short: 'ours' },
    {
      id: 'sio',
      label: 'socket.io + redis-streams-adapter + recovery, 2 nodes',
      short: 'socket.io streams',
    },
  ],
  ratios: [['ours', 'sio']],
};

/**
 * The cluster storm with delivery that survives a reconnect on both sides: ours with its default
 * history, socket.io with the streams adapter and connection state recovery.
 */
export function clusterHistoryScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  // Ours ignores both keys (its history is on by default); socket.io reads both.
  return clusterStorm(ctx, system, CLUSTER_HISTORY_TABLE, 'cluster-history', (config) => ({
    ...config,
    recovery: true,
    redis: { ...config.redis!, socketIoAdapter: 'redis-streams' },
  }));
}
