import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backoffCap } from '../client/src/backoff.js';
import { ChatClient, ChatClientError } from '../client/src/index.js';
import { recordedClient, type RecordedClient } from './support/client-recorder.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import { waitFor } from './support/wait.js';

const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 160 };
/** The demo's chat messages arrive as `chat` events. */
const chat = { where: (push: any) => push.event === 'chat' };

describe('ChatClient against the demo gateway', () => {
  let demo: DemoServer;
  const clients: RecordedClient[] = [];

  before(async () => {
    demo = await startDemoServer();
  });
  after(async () => {
    for (const { client } of clients) client.close();
    await demo.close();
  });

  /** A client of `user` that logs in before every attempt, as a browser page would. */
  function clientOf(user: string, options: { whileDisconnected?: 'queue' | 'reject' } = {}) {
    const tokens: number[] = [];
    const recorded = recordedClient({
      url: demo.wsUrl,
      getToken: () => {
        tokens.push(Date.now());
        return demo.login(user);
      },
      reconnect: FAST_RETRY,
      ...options,
    });
    clients.push(recorded);
    return { ...recorded, tokens };
  }

  it('connects, receives pushes, and emits frames the application receives', async () => {
    const dave = clientOf('dave');
    const erin = clientOf('erin');
    dave.client.connect();
    erin.client.connect();
    assert.equal(dave.client.state, 'connecting');
    const welcome = await dave.nth('welcome', 1);
    await erin.nth('welcome', 1);
    assert.equal(welcome.value.user, 'dave');
    assert.equal(dave.client.state, 'connected');
    assert.equal(dave.client.session?.connectionId, welcome.value.connectionId);
    assert.equal(dave.of('open').length, 1);

    await fetch(`${demo.origin}/users/dave/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hello":"dave"}',
    });
    assert.deepEqual((await dave.nth('message', 1)).value, { hello: 'dave' });

    assert.equal(dave.client.emit('chat', { to: 'erin', text: 'hi erin' }), 'sent');
    const received = (await erin.nth('push', 1, chat)).value.data as any;
    assert.equal(received.from, 'dave');
    assert.equal(received.text, 'hi erin');
    // As a request, the answer is the send's result, with erin's device confirming it.
    const result = await dave.client.request<any>('chat', { to: 'erin', text: 'again' });
    assert.equal(result.delivered, 1);
    assert.equal(result.acked, 1);
    assert.equal(((await erin.nth('push', 2, chat)).value.data as any).text, 'again');
  });

  it('request() with its own id: a repeat, even from a new client (a reloaded page), gets the first answer without running the handler again', async () => {
    const olive = clientOf('olive');
    olive.client.connect();
    await olive.nth('welcome', 1);
    assert.deepEqual(await olive.client.request('count', undefined, { id: 'count-1' }), { n: 1 });
    assert.deepEqual(await olive.client.request('count', undefined, { id: 'count-1' }), { n: 1 });
    assert.deepEqual(await olive.client.request('count'), { n: 2 }, 'a fresh random id runs it');
    olive.client.close();

    const reloaded = clientOf('olive');
    reloaded.client.connect();
    assert.deepEqual(await reloaded.client.request('count', undefined, { id: 'count-1' }), {
      n: 1,
    });
    assert.deepEqual(await reloaded.client.request('count', undefined, { id: 'count-3' }), {
      n: 3,
    });

    for (const id of ['', 'x'.repeat(65), 42, null]) {
      await assert.rejects(
        reloaded.client.request('count', undefined, { id: id as string }),
        (err: unknown) =>
          err instanceof TypeError && /option "id" must be a string of 1-64/.test(err.message),
        String(id),
      );
    }
    // Two requests waiting under one id would share one answer slot: the second is refused.
    const waiting = reloaded.client.request('echo', 'first', { id: 'twice' });
    await assert.rejects(reloaded.client.request('echo', 'second', { id: 'twice' }), {
      name: 'TypeError',
      message: /option "id": a request with id "twice" is still waiting/,
    });
    assert.equal(await waiting, 'first');
    assert.deepEqual(
      await reloaded.client.request('echo', 'x'.repeat(3), { id: 'y'.repeat(64) }),
      'xxx',
    );
  });

  it('reconnects after a server restart, with a fresh token and backoff delays within bounds', async () => {
    const frank = clientOf('frank');
    frank.client.connect();
    await frank.nth('welcome', 1);

    await demo.stop();
    const close = await frank.nth('close', 1);
    assert.deepEqual(close.value, {
      code: 1001,
      reason: 'server shutting down',
      willReconnect: true,
    });
    // Let it fail a few attempts against the closed port before the server comes back.
    await frank.nth('reconnecting', 4);
    await demo.start();
    await frank.nth('welcome', 2, { timeoutMs: 10_000 });
    assert.equal(frank.client.state, 'connected');

    // The restarted demo signs with a new secret: only a token fetched again gets in.
    const attempts = frank.of('reconnecting');
    assert.equal(frank.tokens.length, 1 + attempts.length);
    attempts.forEach(({ value, at }, i) => {
      assert.equal(value.attempt, i + 1);
      const cap = backoffCap(value.attempt, FAST_RETRY.baseDelayMs, FAST_RETRY.maxDelayMs);
      assert.ok(value.delayMs >= 0 && value.delayMs < cap, `attempt ${i + 1}: ${value.delayMs}`);
      // The attempt starts (asks for a token) once its delay has passed, not before.
      const waited = frank.tokens[i + 1] - at;
      assert.ok(
        waited >= value.delayMs - 1,
        `attempt ${i + 1} waited ${waited} < ${value.delayMs}`,
      );
    });
    assert.ok(attempts.length >= 4);

    const response = await fetch(`${demo.origin}/users/frank/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"after the restart"',
    });
    assert.equal(((await response.json()) as { delivered: number }).delivered, 1);
    assert.equal((await frank.nth('message', 1)).value, 'after the restart');

    // A later outage starts again from the first attempt's window.
    await demo.stop();
    await demo.start();
    const next = await waitFor(() =>
      frank.of('reconnecting').find(({ at }) => at > frank.of('welcome')[1].at),
    );
    assert.equal(next.value.attempt, 1);
    await frank.nth('welcome', 3, { timeoutMs: 10_000 });
  });

  it('stops after a close with 4000: the newer connection keeps its place', async () => {
    const first = clientOf('gina');
    first.client.connect();
    await first.nth('welcome', 1);
    const second = clientOf('gina');
    second.client.connect();
    const secondWelcome = await second.nth('welcome', 1);

    const close = await first.nth('close', 1);
    assert.equal(close.value.code, 4000);
    assert.equal(close.value.willReconnect, false);
    assert.equal(first.client.state, 'closed');
    assert.throws(() => first.client.emit('chat', {}), { code: 'closed' });

    // A retry would have come within maxDelayMs (160 ms) and replaced the second connection in
    // turn; a negative can only be checked by waiting past that bound.
    await new Promise((resolve) => setTimeout(resolve, 4 * FAST_RETRY.maxDelayMs));
    assert.equal(first.of('reconnecting').length, 0);
    assert.equal(first.tokens.length, 1);
    assert.equal(second.client.state, 'connected');
    assert.equal(second.client.session?.connectionId, secondWelcome.value.connectionId);
    const presence = await (await fetch(`${demo.origin}/users/gina/presence`)).json();
    assert.deepEqual(presence, { user: 'gina', online: true, connections: 1 });
  });

  it('stops when the server refuses the token with 401 (detectable in Node with ws)', async () => {
    const henry = recordedClient({ url: demo.wsUrl, token: 'not-a-jwt', reconnect: FAST_RETRY });
    clients.push(henry);
    henry.client.connect();
    const close = await henry.nth('close', 1);
    assert.deepEqual(close.value, {
      code: 1006,
      reason: 'handshake refused: HTTP 401',
      willReconnect: false,
    });
    const [error] = henry.of('error');
    assert.equal(error.value.code, 'handshake_refused');
    assert.equal(error.value.status, 401);
    assert.equal(henry.client.state, 'closed');
    assert.equal(henry.of('reconnecting').length, 0);
  });

  it('with a fixed token, a restarted server that no longer accepts it ends the retries', async () => {
    const ivy = recordedClient({
      url: demo.wsUrl,
      token: await demo.login('ivy'),
      reconnect: FAST_RETRY,
    });
    clients.push(ivy);
    ivy.client.connect();
    await ivy.nth('welcome', 1);
    await demo.stop();
    await demo.start();
    const last = await waitFor(() => ivy.of('close').find(({ value }) => !value.willReconnect));
    assert.equal(last.value.reason, 'handshake refused: HTTP 401');
    assert.equal(ivy.of('close')[0].value.code, 1001);
    assert.equal(ivy.client.state, 'closed');
  });

  it('after a close for sending too fast (1008), waits at least half the longest delay', async () => {
    const rex = clientOf('rex');
    rex.client.connect();
    await rex.nth('welcome', 1);
    // The demo keeps the gateway's default rate limit: 30 frames a second, bursts of 60.
    for (let i = 0; i < 300; i++) rex.client.emit('spam', i);
    const close = await rex.nth('close', 1);
    assert.equal(close.value.code, 1008);
    assert.equal(close.value.willReconnect, true);
    assert.ok(rex.of('error').some(({ value }) => value.serverCode === 'rate_limited'));
    const { delayMs } = (await rex.nth('reconnecting', 1)).value;
    assert.ok(
      delayMs >= FAST_RETRY.maxDelayMs / 2 && delayMs < FAST_RETRY.maxDelayMs,
      `${delayMs}`,
    );
    await rex.nth('welcome', 2);
  });

  it('queues frames emitted while disconnected and sends them, in order, after the welcome', async () => {
    const kim = clientOf('kim');
    kim.client.connect();
    await kim.nth('welcome', 1);
    const leo = clientOf('leo');
    assert.equal(leo.client.emit('chat', { to: 'kim', text: 'one' }), 'queued');
    assert.equal(leo.client.emit('chat', { to: 'kim', text: 'two' }), 'queued');
    assert.equal(leo.client.queued, 2);
    leo.client.connect();
    assert.equal(((await kim.nth('push', 1, chat)).value.data as any).text, 'one');
    assert.equal(((await kim.nth('push', 2, chat)).value.data as any).text, 'two');
    assert.equal(leo.client.queued, 0);
  });

  it("bounds the queue, and with whileDisconnected: 'reject' refuses instead", async () => {
    const queued = new ChatClient({ url: demo.wsUrl, maxQueued: 2, WebSocket: class {} as any });
    queued.emit('a');
    queued.emit('b');
    assert.throws(
      () => queued.emit('c'),
      (err: unknown) => err instanceof ChatClientError && err.code === 'queue_full',
    );
    const rejecting = clientOf('mia', { whileDisconnected: 'reject' });
    assert.throws(() => rejecting.client.emit('chat', {}), { code: 'not_connected' });
    rejecting.client.connect();
    await rejecting.nth('welcome', 1);
    assert.equal(rejecting.client.emit('chat', { to: 'nobody', text: 'x' }), 'sent');
  });

  it('close() stops for good: the user goes offline and nothing reconnects', async () => {
    const nina = clientOf('nina');
    nina.client.connect();
    await nina.nth('welcome', 1);
    nina.client.close();
    assert.equal(nina.client.state, 'closed');
    assert.deepEqual(nina.of('close')[0].value, {
      code: 1000,
      reason: 'closed by the client',
      willReconnect: false,
    });
    await waitFor(async () => {
      const presence = (await (await fetch(`${demo.origin}/users/nina/presence`)).json()) as any;
      return !presence.online;
    });
    assert.throws(() => nina.client.connect(), { code: 'closed' });
    nina.client.close();
    assert.equal(nina.of('close').length, 1);
    assert.equal(nina.tokens.length, 1);
  });
});
