import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { recordedClient, type RecordedClient } from './support/client-recorder.js';
import {
  sendWelcome,
  startScriptedServer,
  type ScriptedServer,
} from './support/scripted-server.js';
import { waitFor } from './support/wait.js';

const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 50 };
const HEARTBEAT = '{"event":"heartbeat"}';

describe('ChatClient against scripted servers', () => {
  let server: ScriptedServer | undefined;
  let recorded: RecordedClient | undefined;

  afterEach(async () => {
    recorded?.client.close();
    await server?.close();
    recorded = server = undefined;
  });

  it('sends heartbeats at the welcome interval, and a server that answers keeps the connection', async () => {
    server = await startScriptedServer((socket) => {
      sendWelcome(socket, 25);
      socket.on('message', (data) => {
        if (String(data) === HEARTBEAT) socket.send('{"event":"heartbeat","data":{"ts":1}}');
      });
    });
    // The timeout is generous so that a busy machine cannot fake a dead connection.
    recorded = recordedClient({ url: server.url, heartbeatTimeoutMs: 250, reconnect: FAST_RETRY });
    recorded.client.connect();
    await recorded.nth('welcome', 1);
    // Fifteen heartbeats take 375 ms: past the first one's deadline (25 + 250 ms), so this only
    // passes if the answers count.
    await waitFor(() => server!.received.filter((frame) => frame === HEARTBEAT).length >= 15);
    assert.equal(recorded.of('close').length, 0);
    assert.equal(server.sockets.length, 1);
    assert.equal(recorded.client.state, 'connected');
  });

  it('treats a server that stops answering heartbeats as dead, and reconnects', async () => {
    server = await startScriptedServer((socket) => sendWelcome(socket, 40));
    recorded = recordedClient({ url: server.url, heartbeatTimeoutMs: 80, reconnect: FAST_RETRY });
    recorded.client.connect();
    const welcome = await recorded.nth('welcome', 1);
    const close = await recorded.nth('close', 1);
    assert.deepEqual(close.value, {
      code: 1006,
      reason: 'heartbeat timeout: no frame within 80 ms',
      willReconnect: true,
    });
    // The first heartbeat goes at 40 ms and is given 80 ms.
    assert.ok(close.at - welcome.at >= 40 + 80 - 5, `closed after ${close.at - welcome.at} ms`);
    assert.ok(server.received.includes(HEARTBEAT));
    await recorded.nth('reconnecting', 1);
    await recorded.nth('welcome', 2);
    assert.equal(server.sockets.length, 2);
    // The client closed the dead socket instead of leaving it to linger.
    await waitFor(() => server!.sockets[0].readyState === server!.sockets[0].CLOSED);
  });

  it('gives up on a connection whose welcome never comes', async () => {
    server = await startScriptedServer(() => undefined);
    recorded = recordedClient({ url: server.url, connectTimeoutMs: 100, reconnect: FAST_RETRY });
    recorded.client.connect();
    await recorded.nth('open', 1);
    const close = await recorded.nth('close', 1);
    assert.equal(close.value.reason, 'connect timeout: no welcome within 100 ms');
    assert.equal(close.value.willReconnect, true);
    await waitFor(() => server!.sockets.length >= 2);
  });

  it('keeps an attempt whose welcome arrived while its own event loop was blocked past the timeout', async () => {
    server = await startScriptedServer((socket) => {
      sendWelcome(socket, 1000);
      // Not a wait but the condition itself: this process, the client's too, is blocked past
      // the connect timeout with the welcome already in the client's socket, as a load process
      // or a browser tab that stalls. The client's timer then fires before that socket is read.
      const until = Date.now() + 300;
      while (Date.now() < until);
    });
    recorded = recordedClient({ url: server.url, connectTimeoutMs: 100, reconnect: FAST_RETRY });
    recorded.client.connect();
    await recorded.nth('welcome', 1);
    assert.deepEqual(recorded.of('close'), []);
    assert.equal(recorded.client.state, 'connected');
    assert.equal(server.sockets.length, 1);
  });

  it('gives up on a getToken() that never settles, and asks again on the retry', async () => {
    server = await startScriptedServer((socket) => sendWelcome(socket, 10_000));
    let calls = 0;
    recorded = recordedClient({
      url: server.url,
      connectTimeoutMs: 300,
      reconnect: FAST_RETRY,
      getToken: () => (++calls === 1 ? new Promise<string>(() => undefined) : 'second'),
    });
    recorded.client.connect();
    const [error] = [(await recorded.nth('error', 1)).value];
    assert.equal(error.code, 'token_failed');
    assert.match(error.message, /getToken\(\) did not settle \(connect timeout/);
    await recorded.nth('welcome', 1);
    assert.equal(calls, 2);
    assert.equal(server.sockets.length, 1);
  });

  it('retries a handshake refused with 503, and stops on one refused with 403', async () => {
    server = await startScriptedServer((socket) => sendWelcome(socket, 10_000), {
      refuseWith: (attempt) => (attempt <= 2 ? 503 : undefined),
    });
    recorded = recordedClient({ url: server.url, token: 't', reconnect: FAST_RETRY });
    recorded.client.connect();
    await recorded.nth('welcome', 1);
    assert.equal(server.refused, 2);
    assert.deepEqual(
      recorded.of('error').map(({ value }) => [value.code, value.status]),
      [
        ['handshake_refused', 503],
        ['handshake_refused', 503],
      ],
    );
    recorded.client.close();
    await server.close();

    server = await startScriptedServer(() => undefined, { refuseWith: () => 403 });
    recorded = recordedClient({ url: server.url, token: 't', reconnect: FAST_RETRY });
    recorded.client.connect();
    const close = await recorded.nth('close', 1);
    assert.equal(close.value.willReconnect, false);
    assert.equal(recorded.client.state, 'closed');
    assert.equal(server.refused, 1);
  });

  it('reconnects with a fresh token after 4001 (token expired) and stops after 4003 (kicked)', async () => {
    server = await startScriptedServer((socket, request) => {
      sendWelcome(socket, 10_000);
      const token = new URL(request.url ?? '/', 'http://x').searchParams.get('token');
      socket.close(token === 'token-1' ? 4001 : 4003, token === 'token-1' ? 'expired' : 'kicked');
    });
    let issued = 0;
    recorded = recordedClient({
      url: server.url,
      reconnect: FAST_RETRY,
      getToken: () => `token-${++issued}`,
    });
    recorded.client.connect();
    const last = await recorded.nth('close', 2);
    assert.deepEqual(
      recorded.of('close').map(({ value }) => [value.code, value.willReconnect]),
      [
        [4001, true],
        [4003, false],
      ],
    );
    assert.equal(last.value.reason, 'kicked');
    assert.equal(issued, 2);
    assert.equal(recorded.client.state, 'closed');
  });

  it('reports a frame that is not JSON and keeps the connection', async () => {
    server = await startScriptedServer((socket) => {
      sendWelcome(socket, 10_000);
      socket.send('not json');
      socket.send(
        '{"event":"error","data":{"code":"bad_json","message":"frame is not valid JSON"}}',
      );
      socket.send('{"event":"message","data":"still here"}');
    });
    recorded = recordedClient({ url: server.url });
    recorded.client.connect();
    assert.equal((await recorded.nth('message', 1)).value, 'still here');
    const errors = recorded.of('error').map(({ value }) => [value.code, value.serverCode]);
    assert.deepEqual(errors, [
      ['bad_frame', undefined],
      ['server_error', 'bad_json'],
    ]);
    assert.equal(recorded.client.state, 'connected');
  });
});
