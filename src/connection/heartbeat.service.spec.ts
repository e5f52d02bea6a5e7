import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { WebSocket } from 'ws';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { monotonicMs } from '../common/clock.js';
import { resolveChatOptions } from '../module/chat-options.resolve.js';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import { ClientRegistryService } from './client-registry.service.js';
import type { ConnectionEvent } from './connection-event.js';
import { HeartbeatService } from './heartbeat.service.js';

const INTERVAL_MS = 1_000;
const TIMEOUT_MS = 5_000;

/** Records what the heartbeat and the registry do to a socket. */
class FakeSocket {
  readyState = 1;
  pings = 0;
  readonly closes: number[] = [];
  terminated = 0;
  ping(): void {
    this.pings++;
  }
  close(code: number): void {
    this.closes.push(code);
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated++;
    this.readyState = 3;
  }
}

let sequence = 0;

function setup(overrides: Partial<ChatModuleOptions> = {}) {
  const options = resolveChatOptions({
    authenticate: () => null,
    connectionsPerUser: 1_000,
    heartbeat: { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS },
    ...overrides,
  });
  const events = new ChatEventsService();
  const log: ConnectionEvent[] = [];
  events.connections.subscribe((event) => log.push(event));
  const stats = new ChatStatsService();
  const registry = new ClientRegistryService(options, events, stats);
  const heartbeat = new HeartbeatService(options, registry, stats);
  /** A registered connection, last seen `idleMs` ago on the monotonic clock. */
  const connect = (idleMs = 0, expiresAt?: number) => {
    const socket = new FakeSocket();
    const connection = new ChatConnection(
      `node.${++sequence}`,
      `user${sequence}`,
      socket as unknown as WebSocket,
      '127.0.0.1',
      monotonicMs() - idleMs,
      expiresAt,
      10,
    );
    registry.register(connection);
    return { connection, socket };
  };
  return { heartbeat, registry, stats, log, connect };
}

describe('HeartbeatService', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    mock.method(Logger.prototype, 'debug', () => undefined);
  });

  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it('pings every live connection once per interval, and starts no timer before bootstrap', () => {
    const { heartbeat, stats, connect } = setup();
    const sweeps = mock.fn();
    stats.observeSweep = sweeps;
    const sockets = [connect(), connect(), connect()].map(({ socket }) => socket);

    mock.timers.tick(INTERVAL_MS * 2);
    assert.deepEqual(
      sockets.map((s) => s.pings),
      [0, 0, 0],
      'nothing runs until bootstrap',
    );

    heartbeat.onApplicationBootstrap();
    mock.timers.tick(INTERVAL_MS - 1);
    assert.deepEqual(
      sockets.map((s) => s.pings),
      [0, 0, 0],
    );
    mock.timers.tick(1);
    assert.deepEqual(
      sockets.map((s) => s.pings),
      [1, 1, 1],
    );
    mock.timers.tick(INTERVAL_MS);
    assert.deepEqual(
      sockets.map((s) => s.pings),
      [2, 2, 2],
    );
    assert.equal(sweeps.mock.callCount(), 2);
    assert.equal(typeof sweeps.mock.calls[0].arguments[0], 'number');
    heartbeat.onModuleDestroy();
  });

  it('terminates and unregisters a connection silent for longer than timeoutMs', () => {
    const { heartbeat, registry, stats, log, connect } = setup();
    const live = connect(TIMEOUT_MS - INTERVAL_MS * 2);
    const dead = connect(TIMEOUT_MS + 1);
    heartbeat.onApplicationBootstrap();
    mock.timers.tick(INTERVAL_MS);

    assert.equal(dead.socket.terminated, 1);
    assert.equal(dead.socket.pings, 0, 'a dead peer is not pinged');
    assert.deepEqual(dead.socket.closes, [], 'terminated, not closed');
    assert.equal(registry.find(dead.connection.id), undefined);
    assert.equal(stats.connectionsClosed.get('heartbeat_timeout'), 1);
    assert.deepEqual(log.at(-1), {
      type: 'disconnected',
      user: dead.connection.user,
      connectionId: dead.connection.id,
      reason: 'heartbeat_timeout',
      code: undefined,
    });

    assert.equal(registry.find(live.connection.id), live.connection);
    assert.equal(live.socket.pings, 1);
    assert.equal(live.socket.terminated, 0);
    heartbeat.onModuleDestroy();
  });

  it('counts a connection seen exactly timeoutMs ago as alive', () => {
    let now = 100_000;
    mock.method(performance, 'now', () => now);
    const { heartbeat, registry, connect } = setup();
    const edge = connect(TIMEOUT_MS - INTERVAL_MS);
    const over = connect(TIMEOUT_MS - INTERVAL_MS + 1);
    heartbeat.onApplicationBootstrap();
    now += INTERVAL_MS;
    mock.timers.tick(INTERVAL_MS);
    assert.equal(registry.find(edge.connection.id), edge.connection);
    assert.equal(edge.socket.pings, 1);
    assert.equal(registry.find(over.connection.id), undefined);
    assert.equal(over.socket.terminated, 1);
    heartbeat.onModuleDestroy();
  });

  it('with closeOnTokenExpiry, closes a connection whose credentials expired with 4001', () => {
    const { heartbeat, registry, stats, log, connect } = setup({ closeOnTokenExpiry: true });
    const expired = connect(0, Date.now() - 1);
    const valid = connect(0, Date.now() + 60_000);
    const forever = connect(0, undefined);
    heartbeat.onApplicationBootstrap();
    mock.timers.tick(INTERVAL_MS);

    assert.deepEqual(expired.socket.closes, [CloseCode.TokenExpired]);
    assert.equal(expired.socket.pings, 0);
    assert.equal(registry.find(expired.connection.id), undefined);
    assert.equal(stats.connectionsClosed.get('token_expired'), 1);
    assert.deepEqual(
      log.filter((e) => e.type === 'disconnected'),
      [
        {
          type: 'disconnected',
          user: expired.connection.user,
          connectionId: expired.connection.id,
          reason: 'token_expired',
          code: CloseCode.TokenExpired,
        },
      ],
    );
    for (const { connection, socket } of [valid, forever]) {
      assert.equal(registry.find(connection.id), connection);
      assert.deepEqual(socket.closes, []);
      assert.equal(socket.pings, 1);
    }
    heartbeat.onModuleDestroy();
  });

  it('without closeOnTokenExpiry, keeps pinging a connection whose credentials expired', () => {
    const { heartbeat, registry, connect } = setup();
    const expired = connect(0, Date.now() - 1);
    heartbeat.onApplicationBootstrap();
    mock.timers.tick(INTERVAL_MS);
    assert.equal(expired.socket.pings, 1);
    assert.deepEqual(expired.socket.closes, []);
    assert.equal(registry.find(expired.connection.id), expired.connection);
    heartbeat.onModuleDestroy();
  });

  it('sweeps more than 128 connections in slices of 128, spread with setTimeout', () => {
    const { heartbeat, stats, connect } = setup();
    const sweeps = mock.fn();
    stats.observeSweep = sweeps;
    const sockets = Array.from({ length: 300 }, () => connect().socket);
    const pinged = () => sockets.filter((s) => s.pings > 0).length;
    heartbeat.onApplicationBootstrap();

    mock.timers.tick(INTERVAL_MS);
    assert.equal(pinged(), 128, 'the first slice at once');
    assert.equal(sweeps.mock.callCount(), 0, 'the sweep is not over');
    // Three slices over up to a quarter of the interval, at most 20 ms apart: 20 ms here.
    mock.timers.tick(19);
    assert.equal(pinged(), 128);
    mock.timers.tick(1);
    assert.equal(pinged(), 256);
    mock.timers.tick(20);
    assert.equal(pinged(), 300);
    assert.equal(sweeps.mock.callCount(), 1);
    assert.ok(
      sockets.every((s) => s.pings === 1),
      'each connection pinged once',
    );
    heartbeat.onModuleDestroy();
  });

  it('spaces slices closer when a quarter of the interval is shorter than 20 ms per slice', () => {
    const { heartbeat, connect } = setup({ heartbeat: { intervalMs: 100, timeoutMs: 1_000 } });
    const sockets = Array.from({ length: 129 * 2 }, () => connect().socket);
    const pinged = () => sockets.filter((s) => s.pings > 0).length;
    heartbeat.onApplicationBootstrap();
    mock.timers.tick(100);
    assert.equal(pinged(), 128);
    // 3 slices in 25 ms: 8.33 ms apart.
    mock.timers.tick(8);
    assert.equal(pinged(), 128);
    mock.timers.tick(1);
    assert.equal(pinged(), 256);
    mock.timers.tick(9);
    assert.equal(pinged(), 258);
    heartbeat.onModuleDestroy();
  });

  it('onModuleDestroy stops the sweeps', () => {
    const { heartbeat, connect } = setup();
    const { socket } = connect();
    heartbeat.onApplicationBootstrap();
    mock.timers.tick(INTERVAL_MS);
    assert.equal(socket.pings, 1);
    heartbeat.onModuleDestroy();
    mock.timers.tick(INTERVAL_MS * 5);
    assert.equal(socket.pings, 1);
  });

  it('onModuleDestroy also stops a sweep whose slices are still pending', () => {
    const { heartbeat, connect } = setup();
    const sockets = Array.from({ length: 200 }, () => connect().socket);
    heartbeat.onApplicationBootstrap();
    mock.timers.tick(INTERVAL_MS);
    heartbeat.onModuleDestroy();
    mock.timers.tick(INTERVAL_MS);
    assert.equal(sockets.filter((s) => s.pings > 0).length, 128);
  });
});
