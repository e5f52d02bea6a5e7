import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode, ErrorCode, type ConnectionEvent } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

describe('inbound frames', () => {
  let chat: TestApp;
  const events: ConnectionEvent[] = [];

  before(async () => {
    chat = await startChatApp({ maxPayloadBytes: 1024 });
    chat.messaging.connections$.subscribe((event) => events.push(event));
  });
  after(() => chat.close());

  const badFrames: [string, string | Buffer, string][] = [
    ['malformed JSON', '{"event":', ErrorCode.BadJson],
    ['plain text', 'hello', ErrorCode.BadJson],
    ['a JSON array', '[1,2]', ErrorCode.BadEnvelope],
    ['a JSON string', '"heartbeat"', ErrorCode.BadEnvelope],
    ['null', 'null', ErrorCode.BadEnvelope],
    ['an object without event', '{"data":1}', ErrorCode.BadEnvelope],
    ['a numeric event', '{"event":5}', ErrorCode.BadEnvelope],
    ['an empty event', '{"event":""}', ErrorCode.BadEnvelope],
    ['a binary frame', Buffer.from('{"event":"heartbeat"}'), ErrorCode.UnsupportedFrame],
  ];

  for (const [what, frame, code] of badFrames) {
    it(`answers ${what} with an error frame '${code}' and keeps the connection`, async () => {
      const client = await TestClient.connectAndWelcome(chat.wsUrl('eve'));
      client.socket.send(frame);
      const error = await client.next('error');
      assert.equal(error.data.code, code);
      assert.equal(typeof error.data.message, 'string');
      client.send({ event: 'heartbeat' });
      await client.next('heartbeat');
      assert.equal(await chat.messaging.isOnline('eve'), true);
      await client.close();
      await waitFor(() => chat.registry.size === 0);
    });
  }

  it('closes with 1009 on a frame above maxPayloadBytes and unregisters the connection', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('big'));
    client.send({ event: 'blob', data: 'x'.repeat(2048) });
    assert.equal((await client.closed).code, CloseCode.MessageTooBig);
    await waitFor(() => chat.registry.size === 0);
    const departure = events.find((e) => e.type === 'disconnected' && e.user === 'big');
    assert.equal(departure?.type === 'disconnected' && departure.reason, 'error');
  });

  it('accepts a frame just under maxPayloadBytes', async () => {
    const received: unknown[] = [];
    const subscription = chat.messaging.incoming$.subscribe((frame) => received.push(frame.data));
    const client = await TestClient.connectAndWelcome(chat.wsUrl('fits'));
    const text = 'y'.repeat(1024 - '{"event":"blob","data":""}'.length);
    client.send({ event: 'blob', data: text });
    await waitFor(() => received.length === 1);
    assert.equal(received[0], text);
    subscription.unsubscribe();
    await client.close();
  });

  it('closes with 1007 on invalid UTF-8 and unregisters the connection', async () => {
    const client = await TestClient.connectAndWelcome(chat.wsUrl('mangled'));
    // A text frame whose bytes are not UTF-8; ws sends it as given.
    client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await client.closed).code, CloseCode.InvalidPayload);
    await waitFor(() => chat.registry.size === 0);
  });
});
