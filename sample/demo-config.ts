import { randomBytes } from 'node:crypto';

/** Settings of the demo application, read from the environment. */
export interface DemoConfig {
  port: number;
  host: string;
  auth: 'jwt' | 'query';
  jwtSecret: string;
  /** True when no CHAT_JWT_SECRET was given and a random one was made for this process. */
  jwtSecretGenerated: boolean;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** `false` when CHAT_HISTORY_SIZE is 0; otherwise what is given (the module defaults the rest). */
  history: { size?: number; ttlMs?: number } | false;
  connectionsPerUser: 'single' | number;
  /** Browser origins allowed besides the demo's own; undefined means its own origin only. */
  allowedOrigins?: string[];
  /** Redis URL: set, the demo joins a cluster of instances sharing that Redis. */
  redisUrl?: string;
  /** Seed nodes of a Redis Cluster (CHAT_REDIS_CLUSTER_NODES), instead of `redisUrl`. */
  redisClusterNodes?: Array<{ host: string; port: number }>;
  nodeId?: string;
  nodeTtlMs?: number;
  /** The users the demo's guarded `moderate` handler lets through (CHAT_ADMINS). */
  admins: string[];
}

/**
 * Reads the demo's environment variables (see README). Throws an Error naming the variable for
 * any value that cannot work.
 */
export function loadDemoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const auth = env.CHAT_AUTH ?? 'jwt';
  if (auth !== 'jwt' && auth !== 'query') {
    throw new Error(`CHAT_AUTH must be 'jwt' or 'query' (got '${auth}')`);
  }
  const connectionsPerUser = env.CHAT_CONNECTIONS_PER_USER ?? 'single';
  const redisUrl = env.CHAT_REDIS_URL || undefined;
  const redisClusterNodes = clusterNodes(env);
  if (redisUrl && redisClusterNodes) {
    throw new Error(
      'CHAT_REDIS_CLUSTER_NODES cannot be combined with CHAT_REDIS_URL: give the one Redis or the seed nodes of a Redis Cluster',
    );
  }
  if ((redisUrl || redisClusterNodes) && auth === 'jwt' && !env.CHAT_JWT_SECRET) {
    const given = redisUrl ? 'CHAT_REDIS_URL' : 'CHAT_REDIS_CLUSTER_NODES';
    throw new Error(
      `CHAT_JWT_SECRET must be set when ${given} is: every instance of the cluster has to verify the tokens the others sign, so a random per-process secret cannot work`,
    );
  }
  return {
    port: integer(env, 'PORT', 0) ?? 3000,
    host: env.HOST ?? '127.0.0.1',
    auth,
    jwtSecret: env.CHAT_JWT_SECRET || randomBytes(32).toString('base64url'),
    jwtSecretGenerated: !env.CHAT_JWT_SECRET,
    heartbeatIntervalMs: integer(env, 'CHAT_HEARTBEAT_INTERVAL_MS', 1),
    heartbeatTimeoutMs: integer(env, 'CHAT_HEARTBEAT_TIMEOUT_MS', 1),
    history: historyConfig(env),
    connectionsPerUser:
      connectionsPerUser === 'single'
        ? 'single'
        : (integer(env, 'CHAT_CONNECTIONS_PER_USER', 1) as number),
    allowedOrigins: env.CHAT_ALLOWED_ORIGINS ? list(env.CHAT_ALLOWED_ORIGINS) : undefined,
    redisUrl,
    redisClusterNodes,
    nodeId: env.CHAT_NODE_ID || undefined,
    nodeTtlMs: integer(env, 'CHAT_NODE_TTL_MS', 1),
    admins: list(env.CHAT_ADMINS ?? ''),
  };
}

function historyConfig(env: NodeJS.ProcessEnv): DemoConfig['history'] {
  const size = integer(env, 'CHAT_HISTORY_SIZE', 0);
  if (size === 0) return false;
  return { size, ttlMs: integer(env, 'CHAT_HISTORY_TTL_MS', 1) };
}

/** CHAT_REDIS_CLUSTER_NODES: `host:port,host:port,…`. */
function clusterNodes(env: NodeJS.ProcessEnv): DemoConfig['redisClusterNodes'] {
  const raw = env.CHAT_REDIS_CLUSTER_NODES;
  if (raw === undefined || raw.trim() === '') return undefined;
  return list(raw).map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new Error(
        `CHAT_REDIS_CLUSTER_NODES must be host:port entries separated by commas (got '${entry}')`,
      );
    }
    return { host: match[1], port };
  });
}

/** A comma-separated list, trimmed, without empty entries. */
function list(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min} (got '${raw}')`);
  }
  return value;
}
