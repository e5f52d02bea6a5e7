import { randomBytes } from 'node:crypto';
import { originPolicy } from '../connection/handshake/origin-policy.js';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import {
  isClusterClient,
  type RedisTransportOptions,
  type ResolvedRedisOptions,
} from '../transports/redis/redis-options.js';
import { DEFAULT_CHAT_OPTIONS } from './chat-options.defaults.js';

/**
 * @internal Merges the defaults into `options` and rejects anything that cannot work, with a
 * message that names the option and what to change, so a misconfiguration stops the app at
 * startup instead of misbehaving under load.
 */
export function resolveChatOptions(options: ChatModuleOptions): ResolvedChatOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', 'must be an object', options);
  }
  if (typeof options.authenticate !== 'function') {
    throw invalid(
      'authenticate',
      'must be a function; use jwtAuthenticator({ secret }) or, for local development only, queryUserAuthenticator()',
      options.authenticate,
    );
  }
  const resolved: ResolvedChatOptions = {
    authenticate: options.authenticate,
    path: options.path ?? DEFAULT_CHAT_OPTIONS.path,
    maxConnectionsPerUser: connectionsLimit(
      options.connectionsPerUser ?? DEFAULT_CHAT_OPTIONS.connectionsPerUser,
    ),
    heartbeat: withDefaults({ ...DEFAULT_CHAT_OPTIONS.heartbeat }, options.heartbeat),
    history:
      options.history === false
        ? undefined
        : withDefaults({ ...DEFAULT_CHAT_OPTIONS.history }, options.history),
    backpressure: withDefaults({ ...DEFAULT_CHAT_OPTIONS.backpressure }, options.backpressure),
    coalesceWrites: coalescing(options.coalesceWrites),
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_CHAT_OPTIONS.maxPayloadBytes,
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_CHAT_OPTIONS.shutdownGraceMs,
    nodeId: `${options.nodeId ?? DEFAULT_CHAT_OPTIONS.nodeId()}-${randomBytes(4).toString('hex')}`,
    clusterTimeoutMs: options.clusterTimeoutMs ?? DEFAULT_CHAT_OPTIONS.clusterTimeoutMs,
    redis: options.redis && redisOptions(options.redis),
    transport: options.transport,
    originAllowed: originPolicy(
      options.allowedOrigins,
      options.requireOrigin ?? DEFAULT_CHAT_OPTIONS.requireOrigin,
    ),
    rateLimit:
      options.rateLimit === false
        ? undefined
        : withDefaults({ ...DEFAULT_CHAT_OPTIONS.rateLimit }, options.rateLimit),
    limits: withDefaults({ ...DEFAULT_CHAT_OPTIONS.limits }, options.limits),
    perMessageDeflate: options.perMessageDeflate ?? DEFAULT_CHAT_OPTIONS.perMessageDeflate,
    closeOnTokenExpiry: options.closeOnTokenExpiry ?? DEFAULT_CHAT_OPTIONS.closeOnTokenExpiry,
    roomPresence: options.roomPresence ?? DEFAULT_CHAT_OPTIONS.roomPresence,
    requests: withDefaults({ ...DEFAULT_CHAT_OPTIONS.requests }, options.requests),
    metrics: metricsOptions(options.metrics),
  };

  if (
    !/^\/[^?#\s]*$/.test(resolved.path) ||
    (resolved.path.length > 1 && resolved.path.endsWith('/'))
  ) {
    throw invalid(
      'path',
      "must start with '/', not end with '/', and hold no '?', '#' or spaces",
      resolved.path,
    );
  }
  positiveInteger('heartbeat.intervalMs', resolved.heartbeat.intervalMs);
  positiveInteger('heartbeat.timeoutMs', resolved.heartbeat.timeoutMs);
  if (resolved.heartbeat.timeoutMs <= resolved.heartbeat.intervalMs) {
    throw invalid(
      'heartbeat.timeoutMs',
      `must be larger than heartbeat.intervalMs (${resolved.heartbeat.intervalMs}), or every connection would time out between two pings`,
      resolved.heartbeat.timeoutMs,
    );
  }
  positiveInteger('requests.idempotencyWindowMs', resolved.requests.idempotencyWindowMs);
  positiveInteger('requests.retryWaitMs', resolved.requests.retryWaitMs);
  if (resolved.history) {
    positiveInteger('history.size', resolved.history.size);
    positiveInteger('history.ttlMs', resolved.history.ttlMs);
  }
  positiveInteger('backpressure.highWaterMarkBytes', resolved.backpressure.highWaterMarkBytes);
  if (resolved.backpressure.policy !== 'drop' && resolved.backpressure.policy !== 'disconnect') {
    throw invalid(
      'backpressure.policy',
      "must be 'drop' or 'disconnect'",
      resolved.backpressure.policy,
    );
  }
  positiveInteger('maxPayloadBytes', resolved.maxPayloadBytes);
  nonNegativeInteger('shutdownGraceMs', resolved.shutdownGraceMs);
  positiveInteger('clusterTimeoutMs', resolved.clusterTimeoutMs);
  if (resolved.rateLimit) {
    positiveInteger('rateLimit.messagesPerSecond', resolved.rateLimit.messagesPerSecond);
    positiveInteger('rateLimit.burst', resolved.rateLimit.burst);
  }
  for (const name of [
    'maxConnections',
    'maxConnectionsPerAddress',
    'userConnectsPerMinute',
  ] as const) {
    const value = resolved.limits[name];
    if (value !== Infinity) positiveInteger(`limits.${name}`, value);
  }
  positiveInteger('limits.handshakeTimeoutMs', resolved.limits.handshakeTimeoutMs);
  if (options.nodeId !== undefined && !/^[\w.:-]{1,64}$/.test(options.nodeId)) {
    throw invalid('nodeId', 'must be 1 to 64 letters, digits or _ . : -', options.nodeId);
  }
  if (resolved.redis && resolved.transport) {
    throw invalid('transport', 'cannot be combined with "redis"; give one of them', 'both');
  }
  if (resolved.redis) validateRedis(resolved.redis);
  if (resolved.transport) validateTransport(resolved.transport);
  if (resolved.metrics && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(resolved.metrics.prefix)) {
    throw invalid(
      'metrics.prefix',
      'must be a valid Prometheus metric name prefix',
      resolved.metrics.prefix,
    );
  }
  return resolved;
}

/** `given` over `defaults`, where a field left `undefined` keeps its default. */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

function redisOptions(redis: RedisTransportOptions): ResolvedRedisOptions {
  if (redis === null || typeof redis !== 'object') {
    throw invalid('redis', 'must be an object', redis);
  }
  return withDefaults<ResolvedRedisOptions>({ ...DEFAULT_CHAT_OPTIONS.redis }, redis);
}

function validateRedis(redis: ResolvedRedisOptions): void {
  const sources = [redis.url, redis.cluster, redis.options, redis.client].filter(
    (given) => given !== undefined,
  );
  if (sources.length === 0) {
    throw invalid('redis', 'must give "url", "cluster", "options" or your own "client"', redis);
  }
  if (redis.client !== undefined && sources.length > 1) {
    throw invalid('redis.client', 'cannot be combined with "url", "cluster" or "options"', 'both');
  }
  if (redis.cluster !== undefined) validateClusterNodes(redis);
  for (const name of ['client', 'subscriber'] as const) {
    const client = redis[name];
    if (
      client !== undefined &&
      typeof (client as { duplicate?: unknown }).duplicate !== 'function'
    ) {
      throw invalid(`redis.${name}`, 'must be an ioredis Redis or Cluster instance', client);
    }
  }
  if (redis.subscriber !== undefined && redis.client === undefined) {
    throw invalid('redis.subscriber', 'needs "client" too', 'subscriber alone');
  }
  if (redis.subscriber !== undefined) {
    const clustered = isClusterClient(redis.client);
    if (isClusterClient(redis.subscriber) !== clustered) {
      throw invalid(
        'redis.subscriber',
        'must be of the same kind as "client" (both Redis or both Cluster)',
        redis.subscriber,
      );
    }
    const sharded = (redis.subscriber as { options?: { shardedSubscribers?: unknown } }).options
      ?.shardedSubscribers;
    if (clustered && sharded !== true) {
      throw invalid(
        'redis.subscriber',
        'must be a Cluster made with shardedSubscribers: true (the transport uses SSUBSCRIBE)',
        sharded,
      );
    }
  }
  if (redis.url !== undefined && !/^rediss?:\/\//.test(redis.url)) {
    throw invalid('redis.url', "must start with 'redis://' or 'rediss://'", redis.url);
  }
  positiveInteger('redis.nodeTtlMs', redis.nodeTtlMs);
  positiveInteger('redis.connectTimeoutMs', redis.connectTimeoutMs);
  if (typeof redis.keyPrefix !== 'string') {
    throw invalid('redis.keyPrefix', 'must be a string', redis.keyPrefix);
  }
}

function validateClusterNodes(redis: ResolvedRedisOptions): void {
  if (redis.url !== undefined) {
    throw invalid('redis.cluster', 'cannot be combined with "url"', 'both');
  }
  const nodes = redis.cluster;
  const valid =
    Array.isArray(nodes) &&
    nodes.length > 0 &&
    nodes.every(
      (node) =>
        node !== null &&
        typeof node === 'object' &&
        typeof node.host === 'string' &&
        node.host !== '' &&
        Number.isInteger(node.port) &&
        node.port > 0 &&
        node.port < 65536,
    );
  if (!valid) {
    throw invalid('redis.cluster', 'must be a non-empty array of { host, port }', nodes);
  }
}

/** What a `ChatTransport` is made of. */
const TRANSPORT_PARTS = ['broker', 'presence', 'history', 'membership', 'requests'] as const;

function validateTransport(transport: ResolvedChatOptions['transport']): void {
  const parts = transport as unknown as Record<string, unknown>;
  const missing = TRANSPORT_PARTS.filter(
    (part) => typeof parts[part] !== 'object' || parts[part] === null,
  );
  if (missing.length > 0) {
    throw new TypeError(
      `ChatModule: option "transport" must have a "broker" and "presence", "history", "membership" and "requests" stores (missing: ${missing.join(', ')})`,
    );
  }
}

function metricsOptions(value: ChatModuleOptions['metrics']): ResolvedChatOptions['metrics'] {
  if (!value) return undefined;
  const { prefix = DEFAULT_CHAT_OPTIONS.metrics.prefix, registry } = value === true ? {} : value;
  return { prefix, registry };
}

function coalescing(value: ChatModuleOptions['coalesceWrites']): { maxHoldMs: number } | undefined {
  if (value === false) return undefined;
  const maxHoldMs =
    (typeof value === 'object' ? value.maxHoldMs : undefined) ??
    DEFAULT_CHAT_OPTIONS.coalesceWrites.maxHoldMs;
  if (!Number.isFinite(maxHoldMs) || maxHoldMs < 0) {
    throw invalid('coalesceWrites.maxHoldMs', 'must be a number >= 0', maxHoldMs);
  }
  return { maxHoldMs };
}

function connectionsLimit(value: 'single' | number): number {
  if (value === 'single') return 1;
  if (!Number.isInteger(value) || value < 1) {
    throw invalid('connectionsPerUser', "must be 'single' or an integer >= 1", value);
  }
  return value;
}

function positiveInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw invalid(name, 'must be an integer >= 1', value);
  }
}

function nonNegativeInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw invalid(name, 'must be an integer >= 0', value);
  }
}

function invalid(name: string, rule: string, value: unknown): TypeError {
  return new TypeError(`ChatModule: option "${name}" ${rule} (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
