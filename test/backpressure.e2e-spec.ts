import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { CloseCode, type ConnectionEvent } from '../src/index.js';
import { ChatStatsService } from '../src/common/chat-stats.service.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';
import { counts } from './support/send-counts.js';

const HIGH_WATER_MARK = 64 * 1024;
const CHUNK = 'x'.repeat(4096);
/** Far more than loopback's kernel buffers can absorb, so the server must start buffering. */
const MAX_PUSHES = 20_000;

/**
 * Pushes 4 KiB messages to a user whose client has stopped reading, and a small one to an honest
 * user after each, until the slow user's push is skipped.
 */
async function pushUntilDropped(chat: TestApp, slow: string, fast: string): Promise<number> {
  for (let i = 1; i <= MAX_PUSHES; i++) {
    const result = await chat.messaging.send(slow, { i, chunk: CHUNK });
    assert.deepEqual(counts(await chat.messaging.send(fast, { i })), { delivered: 1, dropped: 0 });
    if (result.dropped > 0) return i;
  }
  throw new Error(`no push was dropped after ${MAX_PUSHES} pushes of 4 KiB`);
}

describe("backpressure policy 'drop' (the default)", () => {
  let chat: TestApp;
  after(() => chat?.close());

  it('skips pushes to a stalled reader above the high-water mark, without delaying others', async () => {
    chat = await startChatApp({ backpressure: { highWaterMarkBytes: HIGH_WATER_MARK } });
    const slow = await TestClient.connectAndWelcome(chat.wsUrl('slowpoke'));
    const fast = await TestClient.connectAndWelcome(chat.wsUrl('speedy'));
    const slowServerSide = chat.registry.of('slowpoke')[0];
    slow.socket.pause();

    const pushes = await pushUntilDropped(chat, 'slowpoke', 'speedy');

    // Memory held for the stalled reader is bounded by the mark plus one frame.
    assert.ok(
      slowServerSide.socket.bufferedAmount <= HIGH_WATER_MARK + CHUNK.length + 100,
      `buffered ${slowServerSide.socket.bufferedAmount} bytes`,
    );
    for (let i = 0; i < 50; i++) await chat.messaging.send('slowpoke', { chunk: CHUNK });
    assert.ok(slowServerSide.socket.bufferedAmount <= HIGH_WATER_MARK + CHUNK.length + 100);
    assert.ok(chat.app.get(ChatStatsService).droppedMessages >= 51);

    // The honest user got every one of its pushes, in order.
    await waitFor(() => fast.framesOf('message').length === pushes, { what: 'all fast pushes' });
    assert.deepEqual(
      fast.framesOf('message').map((frame) => frame.data.i),
      Array.from({ length: pushes }, (_, i) => i + 1),
    );

    // Once the reader catches up, it is still connected and receives new pushes.
    slow.socket.resume();
    await waitFor(() => slowServerSide.socket.bufferedAmount === 0, {
      what: 'the slow reader to drain',
    });
    assert.deepEqual(counts(await chat.messaging.send('slowpoke', 'caught up')), {
      delivered: 1,
      dropped: 0,
    });
    await waitFor(() => slow.framesOf('message').some((frame) => frame.data === 'caught up'));
    assert.equal(await chat.messaging.isOnline('slowpoke'), true);
    await Promise.all([slow.close(), fast.close()]);
  });
});

describe("backpressure policy 'disconnect'", () => {
  let chat: TestApp;
  afterEach(() => chat?.close());

  it('closes a stalled reader with 4008 and unregisters it at once', async () => {
    chat = await startChatApp({
      backpressure: { highWaterMarkBytes: HIGH_WATER_MARK, policy: 'disconnect' },
    });
    const events: ConnectionEvent[] = [];
    chat.messaging.connections$.subscribe((event) => events.push(event));
    const slow = await TestClient.connectAndWelcome(chat.wsUrl('laggard'));
    const fast = await TestClient.connectAndWelcome(chat.wsUrl('quick'));
    slow.socket.pause();

    await pushUntilDropped(chat, 'laggard', 'quick');

    assert.equal(await chat.messaging.isOnline('laggard'), false);
    assert.deepEqual(counts(await chat.messaging.send('laggard', 'gone')), {
      delivered: 0,
      dropped: 0,
    });
    const departure = events.find((e) => e.type === 'disconnected' && e.user === 'laggard');
    assert.deepEqual(departure, {
      type: 'disconnected',
      user: 'laggard',
      connectionId: slow.connectionId,
      reason: 'slow_consumer',
      code: CloseCode.SlowConsumer,
    });
    slow.socket.resume();
    assert.equal((await slow.closed).code, CloseCode.SlowConsumer);
    assert.equal(await chat.messaging.isOnline('quick'), true);
    await fast.close();
  });
});
