import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { WebSocket } from 'ws';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { resolveChatOptions } from '../module/chat-options.resolve.js';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import { ClientRegistryService } from './client-registry.service.js';
import type { ConnectionEvent } from './connection-event.js';
import { OutboundService } from './outbound.service.js';

/** The TCP socket under a fake WebSocket: counts corks and uncorks, and what left uncorked. */
class FakeTcpSocket {
  corks = 0;
  uncorks = 0;
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.uncorks++;
  }
  get corked(): boolean {
    return this.corks > this.uncorks;
  }
  get writableCorked(): number {
    return this.corks - this.uncorks;
  }
}

/** What the outbound service and the registry use of a `ws` WebSocket. */
class FakeSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  readonly closes: number[] = [];
  terminated = 0;
  /** Whether the TCP socket was corked as each frame was sent. */
  readonly sentCorked: boolean[] = [];

  constructor(readonly _socket?: FakeTcpSocket) {}

  send(data: Buffer, options: { binary: boolean }): void {
    assert.equal(options.binary, false, 'frames are text frames');
    this.sent.push(data.toString());
    this.sentCorked.push(this._socket?.corked ?? false);
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
    connectionsPerUser: 100,
    ...overrides,
  });
  const events = new ChatEventsService();
  const log: ConnectionEvent[] = [];
  events.connections.subscribe((event) => log.push(event));
  const stats = new ChatStatsService();
  const registry = new ClientRegistryService(options, events, stats);
  const outbound = new OutboundService(options, registry, stats);
  const connect = (socket = new FakeSocket(new FakeTcpSocket())) => {
    const connection = new ChatConnection(
      `node.${++sequence}`,
      'alice',
      socket as unknown as WebSocket,
      '127.0.0.1',
      0,
      undefined,
      10,
    );
    registry.register(connection);
    return { connection, socket, tcp: socket._socket! };
  };
  return { outbound, registry, stats, log, connect };
}

const frame = (text: string) => Buffer.from(text);

describe('OutboundService', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setImmediate', 'setTimeout'] });
    mock.method(Logger.prototype, 'debug', () => undefined);
  });

  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it('writes a frame to an open socket and counts it', () => {
    const { outbound, stats, connect } = setup();
    const { connection, socket } = connect();
    assert.equal(outbound.write(connection, frame('{"a":1}')), 'queued');
    assert.deepEqual(socket.sent, ['{"a":1}']);
    assert.equal(stats.messagesOut, 1);
  });

  it("answers 'closed' and writes nothing when the socket is not open", () => {
    const { outbound, stats, connect } = setup();
    for (const readyState of [0, 2, 3]) {
      const { connection, socket } = connect();
      socket.readyState = readyState;
      assert.equal(outbound.write(connection, frame('x')), 'closed', `readyState ${readyState}`);
      assert.deepEqual(socket.sent, []);
    }
    assert.equal(stats.messagesOut, 0);
    assert.equal(stats.droppedMessages, 0);
  });

  it('drops a frame once the unsent data reaches the high-water mark, and counts it', () => {
    const { outbound, registry, stats, connect } = setup({
      backpressure: { highWaterMarkBytes: 100 },
    });
    const { connection, socket } = connect();
    socket.bufferedAmount = 99;
    assert.equal(outbound.write(connection, frame('under')), 'queued');
    socket.bufferedAmount = 100;
    assert.equal(outbound.write(connection, frame('at the mark')), 'dropped');
    socket.bufferedAmount = 5_000;
    assert.equal(outbound.write(connection, frame('above')), 'dropped');

    assert.deepEqual(socket.sent, ['under']);
    assert.equal(stats.droppedMessages, 2);
    assert.equal(stats.droppedBytes, 'at the mark'.length + 'above'.length);
    assert.equal(stats.messagesOut, 1);
    assert.equal(registry.find(connection.id), connection, "policy 'drop' keeps the connection");
    assert.deepEqual(socket.closes, []);
  });

  it("with policy 'disconnect', a drop ends the connection as slow_consumer with 4008", () => {
    const { outbound, registry, stats, log, connect } = setup({
      backpressure: { highWaterMarkBytes: 100, policy: 'disconnect' },
    });
    const { connection, socket } = connect();
    const other = connect();
    socket.bufferedAmount = 100;

    assert.equal(outbound.write(connection, frame('x')), 'dropped');
    assert.deepEqual(socket.closes, [CloseCode.SlowConsumer]);
    assert.equal(registry.find(connection.id), undefined);
    assert.equal(registry.find(other.connection.id), other.connection);
    assert.equal(stats.connectionsClosed.get('slow_consumer'), 1);
    assert.deepEqual(log.at(-1), {
      type: 'disconnected',
      user: 'alice',
      connectionId: connection.id,
      reason: 'slow_consumer',
      code: CloseCode.SlowConsumer,
    });
    assert.equal(stats.droppedMessages, 1);
    assert.equal(outbound.write(connection, frame('y')), 'closed', 'the socket is closing');
    assert.deepEqual(socket.closes, [CloseCode.SlowConsumer], 'closed once');
  });

  it('writeAll adds each outcome to the result it returns', () => {
    const { outbound, connect } = setup({ backpressure: { highWaterMarkBytes: 10 } });
    const open = connect();
    const full = connect();
    const closing = connect();
    full.socket.bufferedAmount = 10;
    closing.socket.readyState = 2;
    const result = { delivered: 1, dropped: 0, extra: 'kept' };
    const returned = outbound.writeAll(
      [open.connection, full.connection, closing.connection],
      frame('x'),
      result,
    );
    assert.equal(returned, result);
    assert.deepEqual(result, { delivered: 2, dropped: 1, extra: 'kept' });
  });

  describe('coalescing', () => {
    it('writes the first frame of a turn uncorked and corks once from the second', () => {
      const { outbound, connect } = setup();
      const { connection, socket, tcp } = connect();

      outbound.write(connection, frame('1'));
      assert.equal(tcp.corks, 0, 'a lone message is never held');
      outbound.write(connection, frame('2'));
      outbound.write(connection, frame('3'));
      assert.equal(tcp.corks, 1, 'corked once per batch');
      assert.equal(tcp.uncorks, 0);
      assert.deepEqual(socket.sent, ['1', '2', '3']);
      assert.deepEqual(socket.sentCorked, [false, true, true]);

      mock.timers.tick(0);
      assert.equal(tcp.uncorks, 1, 'uncorked when the turn ends');
    });

    it('starts over in the next turn: its first frame is written at once again', () => {
      const { outbound, connect } = setup();
      const { connection, socket, tcp } = connect();
      outbound.write(connection, frame('1'));
      outbound.write(connection, frame('2'));
      mock.timers.tick(0);
      outbound.write(connection, frame('3'));
      assert.equal(tcp.corks, 1);
      outbound.write(connection, frame('4'));
      assert.equal(tcp.corks, 2);
      mock.timers.tick(0);
      assert.equal(tcp.uncorks, 2);
      assert.deepEqual(socket.sentCorked, [false, true, false, true]);
    });

    it('corks each socket by its own second frame, and uncorks them all at the turn end', () => {
      const { outbound, connect } = setup();
      const a = connect();
      const b = connect();
      outbound.write(a.connection, frame('a1'));
      outbound.write(b.connection, frame('b1'));
      assert.deepEqual([a.tcp.corks, b.tcp.corks], [0, 0]);
      outbound.write(a.connection, frame('a2'));
      assert.deepEqual([a.tcp.corks, b.tcp.corks], [1, 0]);
      outbound.write(b.connection, frame('b2'));
      assert.deepEqual([a.tcp.corks, b.tcp.corks], [1, 1]);
      mock.timers.tick(0);
      assert.deepEqual([a.tcp.uncorks, b.tcp.uncorks], [1, 1]);
    });

    it('flushes within a turn once frames have been held maxHoldMs, looking at the clock every 64 writes', () => {
      let now = 1_000;
      mock.method(performance, 'now', () => now);
      const { outbound, connect } = setup({ coalesceWrites: { maxHoldMs: 5 } });
      const { connection, tcp } = connect();

      outbound.write(connection, frame('first'));
      outbound.write(connection, frame('corks'));
      assert.equal(tcp.corks, 1);
      now += 4;
      for (let i = 0; i < 64; i++) outbound.write(connection, frame('held'));
      assert.equal(tcp.uncorks, 0, 'held 4 ms < maxHoldMs at the 64th write');

      now += 1;
      for (let i = 0; i < 63; i++) outbound.write(connection, frame('held'));
      assert.equal(tcp.uncorks, 0, 'the clock is only read every 64 writes');
      outbound.write(connection, frame('flushes'));
      assert.equal(tcp.uncorks, 1, 'flushed at the 128th write, 5 ms after the cork');
      assert.equal(tcp.corks, 2, 'the turn goes on: the frame that flushed is held again');
      assert.equal(tcp.corked, true);

      outbound.write(connection, frame('same batch'));
      assert.equal(tcp.corks, 2, 'one cork per socket per batch');
      mock.timers.tick(0);
      assert.equal(tcp.uncorks, 2);
      outbound.write(connection, frame('next turn'));
      assert.equal(tcp.corked, false, 'the first frame of the next turn is written at once');
    });

    it('times each socket’s hold from its own cork: one corked later is let go later', () => {
      let now = 1_000;
      mock.method(performance, 'now', () => now);
      const { outbound, connect } = setup({ coalesceWrites: { maxHoldMs: 5 } });
      const early = connect();
      const late = connect();
      const busy = connect();
      for (const { connection } of [early, late, busy]) outbound.write(connection, frame('first'));

      outbound.write(early.connection, frame('corks early'));
      outbound.write(busy.connection, frame('corks busy'));
      now += 3;
      // 64 writes read the clock (3 ms after the first corks) and date the next cork by it.
      for (let i = 0; i < 63; i++) outbound.write(busy.connection, frame('held'));
      outbound.write(late.connection, frame('corks late, 3 ms on'));
      assert.deepEqual([early.tcp.corks, late.tcp.corks, busy.tcp.corks], [1, 1, 1]);

      now += 2;
      for (let i = 0; i < 64; i++) outbound.write(busy.connection, frame('held'));
      assert.deepEqual(
        [early.tcp.uncorks, late.tcp.uncorks, busy.tcp.uncorks],
        [1, 0, 1],
        'the two corked 5 ms ago are let go; the one corked 2 ms ago is held on',
      );
      assert.equal(busy.tcp.corked, true, 'the write that let busy go corked it again');
      assert.equal(late.tcp.corked, true);

      outbound.write(early.connection, frame('early again'));
      assert.equal(early.tcp.corks, 2, 'a socket let go within the turn is corked again');
      now += 3;
      for (let i = 0; i < 64; i++) outbound.write(busy.connection, frame('held'));
      assert.equal(late.tcp.uncorks, 1, 'let go once its own hold reached 5 ms');
      assert.equal(early.tcp.uncorks, 1, 'corked again 3 ms ago: held on');

      mock.timers.tick(0);
      for (const { tcp } of [early, late, busy]) {
        assert.equal(tcp.corked, false, 'every socket is let go when the turn ends');
        assert.equal(tcp.corks, tcp.uncorks);
      }
    });

    it('keeps every hold within bounds through a long turn that holds thousands of times', () => {
      let now = 1_000;
      mock.method(performance, 'now', () => now);
      const { outbound, connect } = setup({ coalesceWrites: { maxHoldMs: 5 } });
      const sockets = [connect(), connect()];
      const holds: number[] = [];
      for (const { tcp } of sockets) {
        let since = 0;
        mock.method(tcp, 'cork', () => {
          assert.equal(tcp.corked, false, 'corked while corked already');
          tcp.corks++;
          since = now;
        });
        mock.method(tcp, 'uncork', () => {
          tcp.uncorks++;
          holds.push(now - since);
        });
      }
      // Each iteration writes only to one socket, so their holds overlap: one is always held while
      // the other is let go, and the list of corks is compacted on the way.
      for (let i = 0; i < 5_000; i++) {
        now += 3;
        const { connection } = sockets[i % 2];
        for (let w = 0; w < 64; w++) outbound.write(connection, frame('x'));
      }
      assert.ok(holds.length > 4_000, `only ${holds.length} holds ended within the turn`);
      // Corked 3 ms after the reading that dates it, let go at the first reading 5 ms on.
      const wrong = holds.filter((held) => held < 3 || held > 6);
      assert.deepEqual(wrong, [], 'every hold lasts maxHoldMs, give or take one reading');
      for (const { socket } of sockets) {
        assert.deepEqual(
          socket.sentCorked.slice(1).filter((corked) => !corked),
          [],
          'every frame after the first of the turn is held',
        );
      }
      mock.timers.tick(0);
      for (const { tcp } of sockets) assert.equal(tcp.corks, tcp.uncorks);
    });

    it('never corks with coalesceWrites: false', () => {
      const { outbound, connect } = setup({ coalesceWrites: false });
      const { connection, socket, tcp } = connect();
      for (let i = 0; i < 10; i++) outbound.write(connection, frame(String(i)));
      mock.timers.tick(0);
      assert.equal(socket.sent.length, 10);
      assert.deepEqual([tcp.corks, tcp.uncorks], [0, 0]);
    });

    it('just writes to a socket without a TCP socket under it', () => {
      const { outbound, stats, connect } = setup();
      const { connection, socket } = connect(new FakeSocket());
      for (let i = 0; i < 3; i++) {
        assert.equal(outbound.write(connection, frame(String(i))), 'queued');
      }
      mock.timers.tick(0);
      assert.deepEqual(socket.sent, ['0', '1', '2']);
      assert.equal(stats.messagesOut, 3);
    });
  });
});
