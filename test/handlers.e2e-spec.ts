import assert from 'node:assert/strict';
import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ChatClient, ChatClientError } from '../client/src/index.js';
import { createDemoApp } from '../sample/create-demo-app.js';
import { loadDemoConfig } from '../sample/demo-config.js';
import { CloseCode, MessagingService, type IncomingFrame } from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

/** Keeps what the application logs, to check what a failing handler leaves on the server. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...parts: unknown[]) => this.keep(parts);
  error = (...parts: unknown[]) => this.keep(parts);
  warn = (...parts: unknown[]) => this.keep(parts);
  debug = (...parts: unknown[]) => this.keep(parts);
  verbose = (...parts: unknown[]) => this.keep(parts);
  private keep(parts: unknown[]): void {
    this.lines.push(
      parts.map((part) => (part instanceof Error ? part.stack : String(part))).join(' '),
    );
  }
}

interface DemoNode {
  app: NestExpressApplication;
  logger: CapturingLogger;
  base: string;
  connect(user: string, query?: string): Promise<TestClient>;
  post(path: string, body: unknown): Promise<{ status: number; body: any }>;
}

async function startDemo(env: NodeJS.ProcessEnv): Promise<DemoNode> {
  const logger = new CapturingLogger();
  const app = await createDemoApp(
    loadDemoConfig({ CHAT_AUTH: 'query', CHAT_ADMINS: 'root', ...env }),
    logger,
  );
  await app.listen(0, '127.0.0.1');
  const base = `127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    app,
    logger,
    base,
    connect: (user, query = '') =>
      TestClient.connectAndWelcome(`ws://${base}/ws?user=${encodeURIComponent(user)}${query}`),
    post: async (path, body) => {
      const response = await fetch(`http://${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
  };
}

describe('chat handlers of the demo, on one process', () => {
  let demo: DemoNode;

  before(async () => {
    demo = await startDemo({});
  });
  after(() => demo.app.close());

  it('echo and whoami answer with an ack carrying the id and the return value', async () => {
    const amy = await demo.connect('amy');
    const echo = await amy.request('echo', { deep: [1, { two: 2 }] }, 'e1');
    assert.deepEqual(echo, { event: 'ack', id: 'e1', data: { deep: [1, { two: 2 }] } });
    const whoami = await amy.request('whoami', undefined, 'w1');
    assert.deepEqual(whoami.data, { user: 'amy', connectionId: amy.connectionId });
    await amy.close();
  });

  it('a frame without an id gets no ack, and one with a bad id gets bad_envelope', async () => {
    const ben = await demo.connect('ben');
    ben.send({ event: 'echo', data: 'no answer wanted' });
    ben.send({ event: 'echo', data: 1, id: 7 });
    ben.send({ event: 'echo', data: 1, id: 'x'.repeat(65) });
    ben.send({ event: 'echo', data: 1, id: '' });
    const errors = await waitFor(() => {
      const frames = ben.framesOf('error');
      return frames.length === 3 ? frames : undefined;
    });
    for (const error of errors) {
      assert.equal(error.data.code, 'bad_envelope');
      assert.match(error.data.message, /id/);
    }
    // Longest allowed id: 64 characters. The connection is still open and in order.
    const longest = 'y'.repeat(64);
    assert.equal((await ben.request('echo', 'ok', longest)).data, 'ok');
    assert.deepEqual(
      ben.framesOf('ack').map(({ id }) => id),
      [longest],
    );
    await ben.close();
  });

  it('validation failures answer invalid, naming the offending fields', async () => {
    const cat = await demo.connect('cat');
    const cases: [data: unknown, field: RegExp][] = [
      [{ to: '', text: 'hi' }, /\bto\b/],
      [{ to: 'dan', text: '' }, /\btext\b/],
      [{ to: 'dan', text: 'x'.repeat(4001) }, /\btext\b/],
      [{ to: 'dan\u0007', text: 'hi' }, /\bto\b/],
      [{ to: 'dan', text: 'hi', color: 'red' }, /\bcolor\b/],
      [{ text: 'hi' }, /\bto\b/],
      [undefined, /\btext\b/],
    ];
    for (const [i, [data, field]] of cases.entries()) {
      const ack = await cat.request('chat', data, `v${i}`);
      assert.equal(ack.data, undefined);
      assert.equal(ack.error.code, 'invalid', JSON.stringify(data));
      assert.match(ack.error.message, field, JSON.stringify(data));
    }
    await cat.close();
  });

  it('a guard refuses with forbidden; an admin passes it', async () => {
    const dan = await demo.connect('dan');
    const eve = await demo.connect('eve');
    const refused = await dan.request('moderate', { kick: 'eve' }, 'm1');
    assert.equal(refused.error.code, 'forbidden');
    assert.equal(typeof refused.error.message, 'string');

    const root = await demo.connect('root');
    const kicked = await root.request('moderate', { kick: 'eve' }, 'm2');
    assert.deepEqual(kicked.data, { disconnected: 1 });
    assert.equal((await eve.closed).code, CloseCode.Kicked);
    await Promise.all([dan.close(), root.close()]);
  });

  it('unknown_event for a request nobody handles; without an id the frame goes to incoming$', async () => {
    const incoming: IncomingFrame[] = [];
    const subscription = demo.app.get(MessagingService).incoming$.subscribe((frame) => {
      incoming.push(frame);
    });
    try {
      const fay = await demo.connect('fay');
      const ack = await fay.request('dance', { steps: 3 }, 'd1');
      assert.equal(ack.error.code, 'unknown_event');
      assert.match(ack.error.message, /dance/);
      fay.send({ event: 'dance', data: { steps: 4 } });
      await waitFor(() =>
        incoming.some((frame) => frame.event === 'dance' && frame.user === 'fay'),
      );
      // A handled event does not reach incoming$, and a request is not duplicated there.
      await fay.request('echo', 1, 'e1');
      assert.deepEqual(
        incoming.filter(({ user }) => user === 'fay').map(({ event, data }) => [event, data]),
        [['dance', { steps: 4 }]],
      );
      await fay.close();
    } finally {
      subscription.unsubscribe();
    }
  });

  it('internal for a handler that throws: nothing of the error reaches the client, the server logs it', async () => {
    const gus = await demo.connect('gus');
    const ack = await gus.request('boom', {}, 'b1');
    assert.equal(ack.error.code, 'internal');
    const text = JSON.stringify(ack);
    assert.doesNotMatch(text, /hunter2|at |\.js/);
    await waitFor(() => demo.logger.lines.some((line) => line.includes('hunter2')));
    // The connection stays open after any error.
    assert.equal((await gus.request('echo', 'still here', 'e2')).data, 'still here');
    await gus.close();
  });

  it('a thrown WsException answers with its own code and message', async () => {
    const hal = await demo.connect('hal');
    const ack = await hal.request('chat', { room: 'secret', text: 'let me in' }, 'r1');
    assert.deepEqual(ack.error, { code: 'not_a_member', message: 'you are not in room secret' });
    await hal.close();
  });

  it('50 requests in a row each get their own ack', async () => {
    const ida = await demo.connect('ida');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ida.request(i % 2 ? 'echo' : 'count', i, `q${i}`)),
    );
    const counts: number[] = [];
    answers.forEach((ack, i) => {
      assert.equal(ack.id, `q${i}`);
      if (i % 2) assert.equal(ack.data, i);
      else counts.push(ack.data.n);
    });
    assert.deepEqual(
      counts.sort((x, y) => x - y),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.equal(ida.framesOf('ack').length, 50);
    await ida.close();
  });

  it('a retried request id runs the handler once, also after a reconnect and when sent twice at once', async () => {
    const jo = await demo.connect('jo');
    assert.deepEqual((await jo.request('count', null, 'c1')).data, { n: 1 });
    assert.deepEqual((await jo.request('count', null, 'c1')).data, { n: 1 });
    assert.deepEqual((await jo.request('count', null, 'c2')).data, { n: 2 });
    jo.socket.terminate();
    const again = await demo.connect('jo');
    assert.deepEqual((await again.request('count', null, 'c1')).data, { n: 1 });
    const [first, second] = await Promise.all([
      again.request('count', null, 'c3'),
      again.request('count', null, 'c3'),
    ]);
    assert.deepEqual([first.data, second.data], [{ n: 3 }, { n: 3 }]);
    assert.deepEqual((await again.request('count', null, 'c4')).data, { n: 4 });
    // Ids are per user: another user's c1 is another request.
    const kay = await demo.connect('kay');
    assert.deepEqual((await kay.request('count', null, 'c1')).data, { n: 1 });
    await Promise.all([again.close(), kay.close()]);
  });

  it('ChatClient.request resolves with the data, rejects with the server code, and retries across dropped connections exactly once', async () => {
    // Each socket dies at a random moment after sending a request: before, while or after the
    // server runs it. The client sends it again with the same id on the next connection.
    let drops = 0;
    class DroppingSocket extends WebSocket {
      override send(data: any, ...rest: any[]): void {
        super.send(data, ...rest);
        if (drops < 20 && String(data).includes('"count"')) {
          drops++;
          setTimeout(() => this.terminate(), Math.floor(Math.random() * 4));
        }
      }
    }
    const client = new ChatClient({
      url: `ws://${demo.base}/ws?user=lea`,
      WebSocket: DroppingSocket as any,
      reconnect: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    client.connect();
    try {
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) {
        seen.push((await client.request<{ n: number }>('count', null, { timeoutMs: 10_000 })).n);
      }
      // Exactly once: every request ran once, in order, whatever the drops did.
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.ok(drops >= 10, `${drops} drops`);

      assert.deepEqual(await client.request('echo', { a: 1 }), { a: 1 });
      await assert.rejects(
        client.request('chat', { to: '', text: 'x' }),
        (err: unknown) =>
          err instanceof ChatClientError &&
          err.code === 'request_failed' &&
          err.serverCode === 'invalid' &&
          /\bto\b/.test(err.message),
      );
    } finally {
      client.close();
    }
  });

  it('named events: send with event pushes it by that name; POST ?event= names it and refuses reserved or invalid names with 400', async () => {
    const max = await demo.connect('max');
    const named = await demo.post('/users/max/messages?event=news', { headline: 'hi' });
    assert.equal(named.status, 202);
    const push = await max.next('news');
    assert.deepEqual([push.data, push.offset], [{ headline: 'hi' }, named.body.offset]);
    for (const event of [
      'welcome',
      'heartbeat',
      'error',
      'ack',
      'room',
      'bad name',
      'x'.repeat(65),
    ]) {
      const refused = await demo.post(`/users/max/messages?event=${encodeURIComponent(event)}`, 1);
      assert.equal(refused.status, 400, event);
      assert.match(refused.body.message, /event/, event);
    }
    for (const ackTimeoutMs of ['0', '60001', 'soon']) {
      const refused = await demo.post(`/users/max/messages?ackTimeoutMs=${ackTimeoutMs}`, 1);
      assert.equal(refused.status, 400, ackTimeoutMs);
    }
    // Nothing refused was stored: the next push takes the next offset.
    const next = await demo.post('/users/max/messages', 2);
    assert.equal(next.body.offset, named.body.offset + 1);
    assert.equal((await max.next('message')).data, 2);
    await max.close();
  });
});

describe('chat handlers and delivery acks across two demo nodes on one Redis', () => {
  let redis: RedisServer;
  let a: DemoNode;
  let b: DemoNode;

  before(async () => {
    redis = await RedisServer.start();
    const env = { CHAT_REDIS_URL: redis.url, CHAT_CONNECTIONS_PER_USER: '3' };
    [a, b] = await Promise.all([
      startDemo({ ...env, CHAT_NODE_ID: 'hand-a' }),
      startDemo({ ...env, CHAT_NODE_ID: 'hand-b' }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.app.close(), b?.app.close()]);
    await redis?.stop();
  });

  it('a request retried on the other node gets the first answer without running again', async () => {
    const onA = await a.connect('ned');
    const onB = await b.connect('ned');
    assert.deepEqual((await onA.request('count', null, 'x1')).data, { n: 1 });
    assert.deepEqual((await onB.request('count', null, 'x1')).data, { n: 1 });
    // The counter is per process: B's is untouched by the retry, A's by B's new request.
    assert.deepEqual((await onB.request('count', null, 'x2')).data, { n: 1 });
    assert.deepEqual((await onA.request('count', null, 'x3')).data, { n: 2 });
    // The same id on both nodes at once: one runs, both get its answer.
    const [viaA, viaB] = await Promise.all([
      onA.request('count', null, 'x4'),
      onB.request('count', null, 'x4'),
    ]);
    assert.deepEqual(viaA.data, viaB.data);
    const after = [
      (await onA.request('count', null, 'x5')).data.n,
      (await onB.request('count', null, 'x6')).data.n,
    ];
    assert.equal(after[0] + after[1], 3 + 2 + 1, `counters after x4: ${after}`);
    await Promise.all([onA.close(), onB.close()]);
  });

  it('delivery acks count the confirming devices across nodes; a silent device costs only the wait', async () => {
    const acking = await b.connect('olga');
    acking.autoAck = true;
    const silent = await b.connect('olga');
    const phone = await a.connect('olga');
    phone.autoAck = true;

    const both = await a.post('/users/olga/messages?ackTimeoutMs=400', { ping: 1 });
    assert.equal(both.status, 202);
    assert.deepEqual([both.body.delivered, both.body.acked], [3, 2]);
    const frame = await silent.next('message');
    assert.equal(typeof frame.id, 'string');
    assert.equal(frame.offset, both.body.offset);

    // Without the silent device every confirmation is in before the timeout.
    await silent.close();
    await waitFor(async () => (await a.post('/users/olga/messages', 0)).body.delivered === 2);
    const started = Date.now();
    const fast = await a.post('/users/olga/messages?ackTimeoutMs=30000', { ping: 2 });
    assert.deepEqual([fast.body.delivered, fast.body.acked], [2, 2]);
    assert.ok(Date.now() - started < 10_000, 'the send waited for the timeout');

    // A user who never acks is still connected after it, and a push without ackTimeoutMs has no id.
    const mute = await a.connect('pam');
    const unanswered = await b.post('/users/pam/messages?ackTimeoutMs=200', 'hello?');
    assert.deepEqual([unanswered.body.delivered, unanswered.body.acked], [1, 0]);
    const plain = await b.post('/users/pam/messages', 'plain');
    assert.equal(plain.body.acked, undefined);
    await waitFor(() => mute.framesOf('message').length === 2);
    assert.equal(mute.framesOf('message')[1].id, undefined);
    assert.equal(mute.socket.readyState, WebSocket.OPEN);
    await Promise.all([acking.close(), phone.close(), mute.close()]);
  });

  it('chat across nodes answers with the recipient device acks, and named events arrive by name', async () => {
    const quin = await a.connect('quin');
    const rita = await b.connect('rita');
    rita.autoAck = true;
    const ack = await quin.request('chat', { to: 'rita', text: 'over there?' }, 'k1');
    assert.deepEqual([ack.data.delivered, ack.data.acked], [1, 1]);
    assert.equal((await rita.next('chat')).data.text, 'over there?');
    const named = await a.post('/users/rita/messages?event=alert', { level: 'high' });
    assert.equal(named.body.delivered, 1);
    assert.deepEqual((await rita.next('alert')).data, { level: 'high' });
    await Promise.all([quin.close(), rita.close()]);
  });
});
