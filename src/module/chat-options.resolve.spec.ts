import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { MemoryTransport } from '../index.js';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import { DEFAULT_CHAT_OPTIONS } from './chat-options.defaults.js';
import { resolveChatOptions } from './chat-options.resolve.js';

const authenticate = () => null;

describe('resolveChatOptions', () => {
  it('fills in every default', () => {
    const { nodeId, originAllowed, ...resolved } = resolveChatOptions({ authenticate });
    assert.equal(typeof originAllowed, 'function');
    assert.match(nodeId, new RegExp(`^${hostname().replace(/[.]/g, '\\.')}-[0-9a-f]{8}$`));
    assert.deepEqual(resolved, {
      authenticate,
      path: '/ws',
      maxConnectionsPerUser: 1,
      heartbeat: { intervalMs: 25_000, timeoutMs: 60_000 },
      history: { size: 100, ttlMs: 300_000 },
      roomPresence: false,
      requests: { idempotencyWindowMs: 120_000, retryWaitMs: 10_000 },
      backpressure: { highWaterMarkBytes: 1_048_576, policy: 'drop' },
      coalesceWrites: { maxHoldMs: 5 },
      maxPayloadBytes: 65_536,
      shutdownGraceMs: 5_000,
      clusterTimeoutMs: 3_000,
      redis: undefined,
      transport: undefined,
      rateLimit: { messagesPerSecond: 30, burst: 60 },
      limits: {
        maxConnections: Infinity,
        maxConnectionsPerAddress: Infinity,
        userConnectsPerMinute: Infinity,
        handshakeTimeoutMs: 10_000,
      },
      perMessageDeflate: false,
      closeOnTokenExpiry: false,
      metrics: undefined,
    });
  });

  it('makes the node id unique per module, after the given name', () => {
    const first = resolveChatOptions({ authenticate, nodeId: 'edge-1' }).nodeId;
    const second = resolveChatOptions({ authenticate, nodeId: 'edge-1' }).nodeId;
    assert.match(first, /^edge-1-[0-9a-f]{8}$/);
    assert.notEqual(first, second);
  });

  it('keeps a default where a nested field is given as undefined', () => {
    const resolved = resolveChatOptions({
      authenticate,
      heartbeat: { intervalMs: undefined, timeoutMs: 90_000 },
    });
    assert.deepEqual(resolved.heartbeat, {
      intervalMs: DEFAULT_CHAT_OPTIONS.heartbeat.intervalMs,
      timeoutMs: 90_000,
    });
  });

  it('turns options off with false', () => {
    const resolved = resolveChatOptions({
      authenticate,
      rateLimit: false,
      coalesceWrites: false,
      history: false,
    });
    assert.equal(resolved.rateLimit, undefined);
    assert.equal(resolved.coalesceWrites, undefined);
    assert.equal(resolved.history, undefined);
  });

  it('turns a numeric connectionsPerUser into the limit', () => {
    assert.equal(
      resolveChatOptions({ authenticate, connectionsPerUser: 5 }).maxConnectionsPerUser,
      5,
    );
  });

  const invalid: [string, Partial<ChatModuleOptions>, RegExp][] = [
    [
      'no authenticate',
      { authenticate: undefined },
      /option "authenticate" must be a function; use jwtAuthenticator/,
    ],
    ['a relative path', { path: 'ws' }, /option "path" must start with '\/'/],
    ['a path with a query', { path: '/ws?x' }, /option "path"/],
    ['a trailing slash', { path: '/ws/' }, /option "path"/],
    [
      'connectionsPerUser 0',
      { connectionsPerUser: 0 },
      /option "connectionsPerUser" must be 'single' or an integer >= 1 \(got 0\)/,
    ],
    ['connectionsPerUser 1.5', { connectionsPerUser: 1.5 }, /connectionsPerUser/],
    [
      'a zero interval',
      { heartbeat: { intervalMs: 0 } },
      /option "heartbeat.intervalMs" must be an integer >= 1 \(got 0\)/,
    ],
    [
      'timeout below interval',
      { heartbeat: { intervalMs: 1000, timeoutMs: 500 } },
      /"heartbeat.timeoutMs" must be larger than heartbeat.intervalMs \(1000\)/,
    ],
    [
      'an unknown policy',
      { backpressure: { policy: 'block' as never } },
      /option "backpressure.policy" must be 'drop' or 'disconnect' \(got 'block'\)/,
    ],
    [
      'a negative high-water mark',
      { backpressure: { highWaterMarkBytes: -1 } },
      /backpressure.highWaterMarkBytes/,
    ],
    [
      'a fractional maxPayloadBytes',
      { maxPayloadBytes: 10.5 },
      /option "maxPayloadBytes" must be an integer >= 1/,
    ],
    [
      'a negative grace',
      { shutdownGraceMs: -5 },
      /option "shutdownGraceMs" must be an integer >= 0/,
    ],
    [
      'a zero cluster timeout',
      { clusterTimeoutMs: 0 },
      /option "clusterTimeoutMs" must be an integer >= 1/,
    ],
    ['a node id with spaces', { nodeId: 'my node' }, /option "nodeId" must be 1 to 64 letters/],
    [
      'redis without url, cluster, options or client',
      { redis: {} },
      /option "redis" must give "url", "cluster", "options" or your own "client"/,
    ],
    [
      'a redis client that is not one',
      { redis: { client: { status: 'ready' } as never } },
      /option "redis.client" must be an ioredis Redis or Cluster instance/,
    ],
    [
      'a redis client with a url',
      { redis: { url: 'redis://x', client: { status: 'ready', duplicate: () => ({}) } } },
      /option "redis.client" cannot be combined with "url", "cluster" or "options"/,
    ],
    [
      'redis cluster nodes with a url',
      { redis: { url: 'redis://x', cluster: [{ host: '127.0.0.1', port: 7000 }] } },
      /option "redis.cluster" cannot be combined with "url"/,
    ],
    [
      'an empty list of redis cluster nodes',
      { redis: { cluster: [] } },
      /option "redis.cluster" must be a non-empty array of \{ host, port \}/,
    ],
    [
      'a redis cluster node without a port',
      { redis: { cluster: [{ host: '127.0.0.1' }] as never } },
      /option "redis.cluster" must be a non-empty array of \{ host, port \}/,
    ],
    [
      'a Cluster client with a plain Redis subscriber',
      {
        redis: {
          client: { status: 'ready', duplicate: () => ({}), isCluster: true } as never,
          subscriber: { status: 'ready', duplicate: () => ({}), isCluster: false } as never,
        },
      },
      /option "redis.subscriber" must be of the same kind as "client"/,
    ],
    [
      'a Cluster subscriber without sharded subscribers',
      {
        redis: {
          client: { status: 'ready', duplicate: () => ({}), isCluster: true } as never,
          subscriber: {
            status: 'ready',
            duplicate: () => ({}),
            isCluster: true,
            options: {},
          } as never,
        },
      },
      /option "redis.subscriber" must be a Cluster made with shardedSubscribers: true/,
    ],
    [
      'a redis subscriber without a client',
      { redis: { url: 'redis://x', subscriber: { status: 'ready', duplicate: () => ({}) } } },
      /option "redis.subscriber" needs "client" too/,
    ],
    [
      'a history size of 0',
      { history: { size: 0 } },
      /option "history.size" must be an integer >= 1/,
    ],
    [
      'a fractional history ttl',
      { history: { ttlMs: 1.5 } },
      /option "history.ttlMs" must be an integer >= 1/,
    ],
    [
      'a transport without a presence store',
      { transport: { broker: {} } as never },
      /option "transport" must have a "broker" and "presence", "history", "membership" and "requests" stores \(missing: presence, history, membership, requests\)/,
    ],
    [
      'a redis url of another scheme',
      { redis: { url: 'http://x' } },
      /option "redis.url" must start with 'redis:\/\/'/,
    ],
    [
      'a zero node TTL',
      { redis: { url: 'redis://x', nodeTtlMs: 0 } },
      /option "redis.nodeTtlMs" must be an integer >= 1/,
    ],
    [
      'both redis and transport',
      { redis: { url: 'redis://x' }, transport: new MemoryTransport() },
      /option "transport" cannot be combined with "redis"/,
    ],
    [
      'a zero rate',
      { rateLimit: { messagesPerSecond: 0 } },
      /option "rateLimit.messagesPerSecond" must be an integer >= 1/,
    ],
    ['a fractional burst', { rateLimit: { burst: 2.5 } }, /option "rateLimit.burst"/],
    [
      'a zero connection cap',
      { limits: { maxConnections: 0 } },
      /option "limits.maxConnections" must be an integer >= 1/,
    ],
    [
      'a negative per-address cap',
      { limits: { maxConnectionsPerAddress: -1 } },
      /limits.maxConnectionsPerAddress/,
    ],
    [
      'a zero handshake timeout',
      { limits: { handshakeTimeoutMs: 0 } },
      /limits.handshakeTimeoutMs/,
    ],
    [
      'an origin that is not a URL',
      { allowedOrigins: ['example.com'] },
      /option "allowedOrigins" holds 'example.com'/,
    ],
    [
      'a negative hold',
      { coalesceWrites: { maxHoldMs: -1 } },
      /option "coalesceWrites.maxHoldMs" must be a number >= 0/,
    ],
    [
      'a metrics prefix with a dash',
      { metrics: { prefix: 'my-chat_' } },
      /option "metrics.prefix" must be a valid Prometheus/,
    ],
  ];
  for (const [what, options, message] of invalid) {
    it(`rejects ${what} with a TypeError that names the option`, () => {
      assert.throws(
        () => resolveChatOptions({ authenticate, ...options } as ChatModuleOptions),
        (err: Error) => err instanceof TypeError && message.test(err.message),
      );
    });
  }
});
