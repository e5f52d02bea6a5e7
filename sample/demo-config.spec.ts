import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDemoConfig } from './demo-config.js';

describe('loadDemoConfig', () => {
  it('has defaults that need no external service', () => {
    const config = loadDemoConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.auth, 'jwt');
    assert.equal(config.jwtSecretGenerated, true);
    assert.ok(config.jwtSecret.length >= 32);
    assert.equal(config.connectionsPerUser, 'single');
    assert.equal(config.heartbeatIntervalMs, undefined);
    assert.deepEqual(config.history, { size: undefined, ttlMs: undefined });
    assert.equal(config.redisUrl, undefined);
    assert.deepEqual(config.admins, []);
  });

  it('turns history off with CHAT_HISTORY_SIZE=0', () => {
    assert.equal(loadDemoConfig({ CHAT_HISTORY_SIZE: '0' }).history, false);
  });

  it('joins a cluster when CHAT_REDIS_URL is set, and then requires a shared JWT secret', () => {
    assert.throws(
      () => loadDemoConfig({ CHAT_REDIS_URL: 'redis://127.0.0.1:6379' }),
      /CHAT_JWT_SECRET must be set when CHAT_REDIS_URL is/,
    );
    const config = loadDemoConfig({
      CHAT_REDIS_URL: 'redis://127.0.0.1:6379',
      CHAT_JWT_SECRET: 'shared',
      CHAT_NODE_ID: 'edge-1',
      CHAT_NODE_TTL_MS: '2000',
    });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.nodeId, 'edge-1');
    assert.equal(config.nodeTtlMs, 2000);
    assert.equal(loadDemoConfig({ CHAT_REDIS_URL: 'redis://x', CHAT_AUTH: 'query' }).auth, 'query');
  });

  it('joins a Redis Cluster from CHAT_REDIS_CLUSTER_NODES, never together with CHAT_REDIS_URL', () => {
    const config = loadDemoConfig({
      CHAT_REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-2.internal:7001',
      CHAT_JWT_SECRET: 'shared',
    });
    assert.deepEqual(config.redisClusterNodes, [
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-2.internal', port: 7001 },
    ]);
    assert.throws(
      () => loadDemoConfig({ CHAT_REDIS_CLUSTER_NODES: '127.0.0.1:7000' }),
      /CHAT_JWT_SECRET must be set when CHAT_REDIS_CLUSTER_NODES is/,
    );
    assert.throws(
      () =>
        loadDemoConfig({
          CHAT_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
          CHAT_REDIS_URL: 'redis://x',
          CHAT_JWT_SECRET: 'shared',
        }),
      /CHAT_REDIS_CLUSTER_NODES cannot be combined with CHAT_REDIS_URL/,
    );
    for (const bad of ['127.0.0.1', 'host:0', 'host:70000', ':7000']) {
      assert.throws(
        () => loadDemoConfig({ CHAT_REDIS_CLUSTER_NODES: bad, CHAT_AUTH: 'query' }),
        /CHAT_REDIS_CLUSTER_NODES must be host:port entries/,
        bad,
      );
    }
  });

  it('reads every variable', () => {
    const config = loadDemoConfig({
      PORT: '8080',
      CHAT_AUTH: 'query',
      CHAT_JWT_SECRET: 's3cret',
      CHAT_HEARTBEAT_INTERVAL_MS: '1000',
      CHAT_HEARTBEAT_TIMEOUT_MS: '3000',
      CHAT_CONNECTIONS_PER_USER: '3',
      CHAT_ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173',
      CHAT_HISTORY_SIZE: '500',
      CHAT_HISTORY_TTL_MS: '60000',
      CHAT_ADMINS: 'alice, ,bob',
    });
    assert.deepEqual(
      { ...config },
      {
        port: 8080,
        host: '127.0.0.1',
        auth: 'query',
        jwtSecret: 's3cret',
        jwtSecretGenerated: false,
        heartbeatIntervalMs: 1000,
        heartbeatTimeoutMs: 3000,
        history: { size: 500, ttlMs: 60_000 },
        connectionsPerUser: 3,
        allowedOrigins: ['https://a.example', 'http://localhost:5173'],
        redisUrl: undefined,
        redisClusterNodes: undefined,
        nodeId: undefined,
        nodeTtlMs: undefined,
        admins: ['alice', 'bob'],
      },
    );
  });

  it('names the variable that is wrong', () => {
    assert.throws(
      () => loadDemoConfig({ CHAT_AUTH: 'ldap' }),
      /CHAT_AUTH must be 'jwt' or 'query'/,
    );
    assert.throws(() => loadDemoConfig({ PORT: 'http' }), /PORT must be an integer >= 0/);
    assert.throws(
      () => loadDemoConfig({ CHAT_CONNECTIONS_PER_USER: '0' }),
      /CHAT_CONNECTIONS_PER_USER must be an integer >= 1/,
    );
    assert.throws(
      () => loadDemoConfig({ CHAT_HEARTBEAT_INTERVAL_MS: '1.5' }),
      /CHAT_HEARTBEAT_INTERVAL_MS/,
    );
    assert.throws(
      () => loadDemoConfig({ CHAT_HISTORY_TTL_MS: '0' }),
      /CHAT_HISTORY_TTL_MS must be an integer >= 1/,
    );
  });
});
