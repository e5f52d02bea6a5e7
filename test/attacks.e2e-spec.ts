import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { rawFrame, writeRaw } from './support/raw-frames.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';
import { counts } from './support/send-counts.js';

const MAX_PAYLOAD = 64 * 1024;
const RATE = { messagesPerSecond: 30, burst: 60 };

/**
 * Every attack ends the same way: the process is still serving (an honest user gets a push and a
 * heartbeat answer), and the registry holds exactly the connections that should be live.
 */
async function assertStillServing(chat: TestApp, honest: TestClient, live: number): Promise<void> {
  await waitFor(() => chat.registry.size === live, {
    what: `the registry to hold exactly ${live} connection(s) (holds ${chat.registry.size})`,
  });
  const marker = Math.random();
  assert.deepEqual(counts(await chat.messaging.send('honest', { marker })), {
    delivered: 1,
    dropped: 0,
  });
  await waitFor(() => honest.framesOf('message').some((frame) => frame.data.marker === marker), {
    what: "the honest user's push",
  });
  honest.send({ event: 'heartbeat' });
  await honest.next('heartbeat');
}

describe('attack suite: hostile frames', () => {
  let chat: TestApp;
  let honest: TestClient;

  before(async () => {
    chat = await startChatApp({ maxPayloadBytes: MAX_PAYLOAD, rateLimit: RATE });
    honest = await TestClient.connectAndWelcome(chat.wsUrl('honest'));
  });
  after(async () => {
    await honest.close();
    await chat.close();
  });

  async function attacker(): Promise<TestClient> {
    return TestClient.connectAndWelcome(chat.wsUrl('mallory'));
  }

  it('malformed JSON and wrong envelope types get error frames; the connection stays', async () => {
    const mallory = await attacker();
    const frames = ['{"event":', '[]', '"x"', '{"event":{"a":1}}', '{"event":null}', '123', 'true'];
    for (const frame of frames) mallory.send(frame);
    for (let i = 0; i < frames.length; i++) {
      const { data } = await mallory.next('error');
      assert.ok([ErrorCode.BadJson, ErrorCode.BadEnvelope].includes(data.code), data.code);
    }
    await assertStillServing(chat, honest, 2);
    await mallory.close();
    await assertStillServing(chat, honest, 1);
  });

  it("deeply nested JSON is refused with 'too_deep' before it is parsed", async () => {
    const mallory = await attacker();
    const depth = 30_000;
    mallory.send(`{"event":"x","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    assert.equal((await mallory.next('error')).data.code, ErrorCode.TooDeep);
    await assertStillServing(chat, honest, 2);
    await mallory.close();
  });

  it('a string just under the payload limit is accepted; just over closes with 1009', async () => {
    const received: unknown[] = [];
    const subscription = chat.messaging.incoming$.subscribe((frame) => received.push(frame.data));
    const mallory = await attacker();
    const envelope = '{"event":"blob","data":""}'.length;
    mallory.send({ event: 'blob', data: 'a'.repeat(MAX_PAYLOAD - envelope) });
    await waitFor(() => received.length === 1);
    mallory.send({ event: 'blob', data: 'a'.repeat(MAX_PAYLOAD - envelope + 1) });
    assert.equal((await mallory.closed).code, CloseCode.MessageTooBig);
    subscription.unsubscribe();
    await assertStillServing(chat, honest, 1);
  });

  it("binary frames get 'unsupported_frame'", async () => {
    const mallory = await attacker();
    mallory.socket.send(Buffer.from([0, 1, 2, 3]));
    assert.equal((await mallory.next('error')).data.code, ErrorCode.UnsupportedFrame);
    await assertStillServing(chat, honest, 2);
    await mallory.close();
  });

  it('invalid UTF-8 in a text frame closes with 1007', async () => {
    const mallory = await attacker();
    mallory.socket.send(Buffer.from([0x22, 0xc3, 0x28, 0x22]), { binary: false });
    assert.equal((await mallory.closed).code, CloseCode.InvalidPayload);
    await assertStillServing(chat, honest, 1);
  });

  it("a 10 000-frame flood gets one 'rate_limited' error, then 1008, while others are served", async () => {
    const received: string[] = [];
    const subscription = chat.messaging.incoming$.subscribe((frame) => received.push(frame.user));
    const mallory = await attacker();
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) mallory.send({ event: 'spam', data: i });
    // An honest user is served while the flood is being read.
    await assertStillServing(chat, honest, 2);
    assert.equal((await mallory.closed).code, CloseCode.PolicyViolation);
    const elapsedS = (performance.now() - started) / 1000;
    subscription.unsubscribe();

    assert.equal(mallory.framesOf('error').length, 1);
    assert.equal(mallory.framesOf('error')[0].data.code, ErrorCode.RateLimited);
    const accepted = received.filter((user) => user === 'mallory').length;
    // A token bucket lets through its burst and what refilled while the flood was read.
    const bound = RATE.burst + Math.ceil(RATE.messagesPerSecond * elapsedS) + 1;
    assert.ok(accepted <= bound, `${accepted} got through, more than the bucket allows (${bound})`);
    await assertStillServing(chat, honest, 1);
  });

  it('a ping flood gets at most a burst of pongs, then 1008', async () => {
    const mallory = await attacker();
    let pongs = 0;
    mallory.socket.on('pong', () => pongs++);
    for (let i = 0; i < 5_000; i++) mallory.socket.ping();
    assert.equal((await mallory.closed).code, CloseCode.PolicyViolation);
    assert.ok(pongs <= RATE.burst + 5, `pongs: ${pongs}`);
    await assertStillServing(chat, honest, 1);
  });

  it('a message in too many fragments closes with 1008', async () => {
    const mallory = await attacker();
    for (let i = 0; i < 2_000; i++) mallory.socket.send('x', { fin: false });
    assert.equal((await mallory.closed).code, CloseCode.PolicyViolation);
    await assertStillServing(chat, honest, 1);
  });

  it('control-frame abuse (an oversized ping, a fragmented ping, a reserved opcode) closes with 1002', async () => {
    const abuses = [
      rawFrame({ opcode: 0x9, payload: Buffer.alloc(200) }),
      rawFrame({ opcode: 0x9, payload: Buffer.from('hi'), fin: false }),
      rawFrame({ opcode: 0xb }),
    ];
    for (const bytes of abuses) {
      const mallory = await attacker();
      writeRaw(mallory.socket, bytes);
      assert.equal((await mallory.closed).code, CloseCode.ProtocolError);
      await assertStillServing(chat, honest, 1);
    }
  });
});

describe('attack suite: compression bombs', () => {
  let chat: TestApp;
  after(() => chat?.close());

  it('with permessage-deflate on, a zip bomb is cut off at maxPayloadBytes with 1009', async () => {
    chat = await startChatApp({ perMessageDeflate: true, maxPayloadBytes: MAX_PAYLOAD });
    const honest = await TestClient.connectAndWelcome(chat.wsUrl('honest'), {
      perMessageDeflate: true,
    });
    const mallory = await TestClient.connectAndWelcome(chat.wsUrl('mallory'), {
      perMessageDeflate: true,
    });
    assert.match(mallory.socket.extensions, /permessage-deflate/);
    // 64 MiB of one byte compresses to about 64 KiB on the wire.
    mallory.socket.send(`{"event":"x","data":"${'a'.repeat(64 * 1024 * 1024)}"}`);
    assert.equal((await mallory.closed).code, CloseCode.MessageTooBig);
    await assertStillServing(chat, honest, 1);
    await honest.close();
  });
});

describe('attack suite: reconnect storms', () => {
  let chat: TestApp;
  before(async () => {
    chat = await startChatApp();
  });
  after(() => chat.close());

  it('200 concurrent handshakes of one user leave exactly one live connection', async () => {
    const clients = await Promise.all(
      Array.from({ length: 200 }, () => TestClient.connect(chat.wsUrl('stormy'))),
    );
    await waitFor(
      () =>
        clients.filter((client) => client.socket.readyState === WebSocket.OPEN).length === 1 &&
        chat.registry.size === 1,
      { what: 'one survivor' },
    );
    const survivor = clients.find((client) => client.socket.readyState === WebSocket.OPEN)!;
    await survivor.next('welcome');
    assert.equal(chat.registry.connectionsOf('stormy')[0].id, survivor.connectionId);
    await survivor.close();
    await waitFor(() => chat.registry.size === 0);
  });

  it('5 000 connect/disconnect cycles of distinct users leave an empty registry and no heap growth', async (t) => {
    const gc = await exposeGc();
    const cycle = async (i: number) => {
      const client = await TestClient.connectAndWelcome(chat.wsUrl(`cycler-${i}`));
      await client.close();
    };
    // Warm up the code paths before taking the baseline.
    for (let i = 0; i < 200; i++) await cycle(-i - 1);
    await waitFor(() => chat.registry.size === 0);
    gc();
    const before = process.memoryUsage();

    const total = 5_000;
    const parallel = 50;
    for (let start = 0; start < total; start += parallel) {
      await Promise.all(Array.from({ length: parallel }, (_, k) => cycle(start + k)));
    }
    await waitFor(() => chat.registry.size === 0, { what: 'the registry to empty' });
    assert.equal(chat.registry.userCount, 0);
    assert.deepEqual(await chat.messaging.onlineUsers(), []);

    gc();
    const afterCycles = process.memoryUsage();
    const heapGrowth = afterCycles.heapUsed - before.heapUsed;
    const rssGrowth = afterCycles.rss - before.rss;
    t.diagnostic(
      `after ${total} cycles: heap ${mb(before.heapUsed)} → ${mb(afterCycles.heapUsed)} MB, RSS ${mb(before.rss)} → ${mb(afterCycles.rss)} MB (client and server share this process)`,
    );
    assert.ok(heapGrowth < 8 * 1024 * 1024, `heap grew by ${mb(heapGrowth)} MB`);
    assert.ok(rssGrowth < 64 * 1024 * 1024, `RSS grew by ${mb(rssGrowth)} MB`);
  });
});

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** A handle on V8's garbage collector without starting node with --expose-gc. */
async function exposeGc(): Promise<() => void> {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
