import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

/** Counts the write system calls Node makes on the server side of a user's connection. */
function countWrites(chat: TestApp, user: string): { calls: number } {
  const raw = (chat.registry.of(user)[0].socket as unknown as { _socket: Socket })
    ._socket as Socket & {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  const counter = { calls: 0 };
  for (const method of ['_write', '_writev'] as const) {
    const original = raw[method].bind(raw);
    raw[method] = (...args: unknown[]) => {
      counter.calls++;
      original(...args);
    };
  }
  return counter;
}

/** Pushes `count` messages to `user` within one event-loop turn. */
function burst(chat: TestApp, user: string, count: number): void {
  for (let i = 0; i < count; i++) void chat.messaging.send(user, { i });
}

describe('write coalescing', () => {
  let chat: TestApp | undefined;
  afterEach(() => chat?.close());

  it('writes a burst to one socket in two writes (the first frame at once, the rest together), in order', async () => {
    chat = await startChatApp({ coalesceWrites: { maxHoldMs: 1000 } });
    const client = await TestClient.connectAndWelcome(chat.wsUrl('bursty'));
    const writes = countWrites(chat, 'bursty');
    burst(chat, 'bursty', 50);
    await waitFor(() => client.framesOf('message').length === 50);
    assert.deepEqual(
      client.framesOf('message').map((frame) => frame.data.i),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(writes.calls, 2);
    // A lone message in a later turn is written at once, on its own.
    await chat.messaging.send('bursty', { i: 50 });
    await client.next('message');
    assert.equal(writes.calls, 3);
    await client.close();
  });

  it('lets a long burst out every maxHoldMs instead of holding it to the end of the turn', async () => {
    // Without history a send writes before it returns, inside the busy loop below.
    chat = await startChatApp({ coalesceWrites: { maxHoldMs: 1 }, history: false });
    const client = await TestClient.connectAndWelcome(chat.wsUrl('long'));
    const writes = countWrites(chat, 'long');
    for (let part = 0; part < 5; part++) {
      burst(chat, 'long', 100);
      const until = performance.now() + 3;
      while (performance.now() < until) {
        // The application keeps the event loop busy: held frames must not wait for the turn end.
      }
    }
    assert.ok(
      writes.calls >= 5,
      `the burst left in ${writes.calls} write(s) before the turn ended`,
    );
    await waitFor(() => client.framesOf('message').length === 500);
    // Without coalescing this is 500 writes. A hold ends after 1 ms, so on a loaded machine where
    // 100 sends take longer than that a part leaves in several writes; ten frames a write on
    // average still shows the frames were held together.
    assert.ok(writes.calls <= 50, `${writes.calls} writes for 500 frames`);
    await client.close();
  });

  it('writes every frame on its own with coalesceWrites: false', async () => {
    chat = await startChatApp({ coalesceWrites: false });
    const client = await TestClient.connectAndWelcome(chat.wsUrl('plain'));
    const writes = countWrites(chat, 'plain');
    burst(chat, 'plain', 50);
    await waitFor(() => client.framesOf('message').length === 50);
    assert.equal(writes.calls, 50);
    await client.close();
  });
});
