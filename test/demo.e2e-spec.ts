import assert from 'node:assert/strict';
import type { INestApplication } from '@nestjs/common';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { createDemoApp } from '../sample/create-demo-app.js';
import { loadDemoConfig } from '../sample/demo-config.js';
import { ChatHealthService, CloseCode } from '../src/index.js';
import { startDemoProcess } from './support/demo-process.js';
import { refusedStatus, TestClient } from './support/test-client.js';
import { waitFor, within } from './support/wait.js';

describe('demo application', () => {
  let app: INestApplication;
  let base: string;

  before(async () => {
    app = await createDemoApp(loadDemoConfig({ CHAT_JWT_SECRET: 'demo-test-secret' }), false);
    await app.listen(0, '127.0.0.1');
    base = `127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(() => app.close());

  async function post(path: string, body: unknown, raw = false) {
    const response = await fetch(`http://${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw ? (body as string) : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function login(user: string): Promise<string> {
    const { status, body } = await post('/auth/login', { user });
    assert.equal(status, 200);
    return body.token;
  }

  async function connect(user: string): Promise<TestClient> {
    return TestClient.connectAndWelcome(`ws://${base}/ws?token=${await login(user)}`);
  }

  it('POST /auth/login returns a token the gateway accepts', async () => {
    const client = await connect('alice');
    assert.equal(client.frames[0].data.user, 'alice');
    await client.close();
  });

  it('refuses a WebSocket without a token with 401', async () => {
    assert.equal(await refusedStatus(`ws://${base}/ws`), 401);
    assert.equal(await refusedStatus(`ws://${base}/ws?user=alice`), 401);
  });

  it('POST /users/:user/messages pushes any JSON body and answers 202 with the whole send result', async () => {
    const bob = await connect('bob');
    const { epoch } = bob.frames[0].data;
    let offset = bob.frames[0].data.offset;
    for (const payload of [{ hello: 'bob' }, 'just a string', 42, [1, 2]]) {
      const { status, body } = await post('/users/bob/messages', payload);
      assert.equal(status, 202);
      assert.deepEqual(body, { user: 'bob', delivered: 1, dropped: 0, offset: ++offset, epoch });
      const push = await bob.next('message');
      assert.deepEqual([push.data, push.offset], [payload, offset]);
    }
    // Nobody online: the push is held in the stream, which the answer shows.
    const { body } = await post('/users/nobody/messages', { x: 1 });
    assert.deepEqual(
      { ...body, epoch: undefined },
      {
        user: 'nobody',
        delivered: 0,
        dropped: 0,
        offset: 1,
        epoch: undefined,
      },
    );
    await bob.close();
  });

  it('GET /users/:user/presence reports whether the user is online and with how many connections', async () => {
    const presence = async () =>
      (await (await fetch(`http://${base}/users/carol/presence`)).json()) as any;
    assert.deepEqual(await presence(), { user: 'carol', online: false, connections: 0 });
    const carol = await connect('carol');
    assert.deepEqual(await presence(), { user: 'carol', online: true, connections: 1 });
    await carol.close();
    await waitFor(async () => !(await presence()).online);
  });

  it('answers 400 with a JSON error for an invalid user id or body', async () => {
    const tooLong = 'u'.repeat(129);
    const cases = [
      await fetch(`http://${base}/users/${tooLong}/presence`),
      await fetch(`http://${base}/users/a%07b/presence`),
      await fetch(`http://${base}/users/a%0Ab/messages`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      }),
      await fetch(`http://${base}/auth/login`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      }),
      await fetch(`http://${base}/auth/login`, {
        method: 'POST',
        body: '{"user":""}',
        headers: { 'content-type': 'application/json' },
      }),
      await fetch(`http://${base}/users/bob/messages`, {
        method: 'POST',
        body: '{"broken',
        headers: { 'content-type': 'application/json' },
      }),
      await fetch(`http://${base}/users/bob/messages`, {
        method: 'POST',
        body: 'text',
        headers: { 'content-type': 'text/plain' },
      }),
    ];
    for (const response of cases) {
      assert.equal(response.status, 400, response.url);
      const body = (await response.json()) as any;
      assert.equal(body.statusCode, 400);
      assert.equal(typeof body.message, 'string');
    }
  });

  it('relays a chat frame from dave to erin as a chat event, and answers a request with the send result', async () => {
    const dave = await connect('dave');
    const erin = await connect('erin');
    erin.autoAck = true;
    dave.send({ event: 'chat', data: { to: 'erin', text: 'hi' } });
    const received = await erin.next('chat');
    assert.deepEqual(Object.keys(received.data).sort(), ['from', 'text', 'to', 'ts']);
    assert.deepEqual(
      [received.data.from, received.data.to, received.data.text],
      ['dave', 'erin', 'hi'],
    );
    assert.equal(typeof received.data.ts, 'number');

    const ack = await dave.request('chat', { to: 'erin', text: 'again' }, 'm1');
    assert.equal(ack.error, undefined);
    assert.deepEqual([ack.data.delivered, ack.data.acked], [1, 1]);
    assert.equal(ack.data.offset, (await erin.next('chat')).offset);
    // Dave's own stream keeps a copy with the request's id, for his other devices and a reload.
    const copy = await dave.find((frame) => frame.event === 'chat' && frame.data.id === 'm1');
    assert.equal(copy.data.text, 'again');
    await Promise.all([dave.close(), erin.close()]);
  });

  it('GET /metrics serves the gateway and process metrics; GET /health says ready', async () => {
    const client = await connect('mona');
    const metrics = await fetch(`http://${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^chat_connections [1-9]/m);
    assert.match(text, /^process_resident_memory_bytes /m);

    const health = await fetch(`http://${base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), {
      live: true,
      ready: true,
      shuttingDown: false,
      backplane: 'none',
      connections: 1,
    });
    assert.deepEqual(await (await fetch(`http://${base}/health/live`)).json(), { live: true });
    await client.close();
  });

  it("a second connection of the same user replaces the first with 4000 (default 'single')", async () => {
    const first = await connect('gina');
    const second = await connect('gina');
    assert.equal((await first.closed).code, CloseCode.Replaced);
    await second.close();
  });
});

describe('demo readiness during shutdown', () => {
  it('GET /health answers 503 while connections drain', async () => {
    const app = await createDemoApp(loadDemoConfig({ CHAT_AUTH: 'query' }), false);
    await app.listen(0, '127.0.0.1');
    const base = `127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const lingering = await TestClient.connectAndWelcome(`ws://${base}/ws?user=linger`);
    // It does not answer the close frame, so the drain waits for it.
    lingering.socket.pause();
    const closing = app.close();
    const health = await waitFor(async () => {
      const response = await fetch(`http://${base}/health`);
      return response.status === 503 ? ((await response.json()) as any) : undefined;
    });
    assert.equal(health.shuttingDown, true);
    assert.equal(health.ready, false);
    lingering.socket.resume();
    await closing;
  });

  it('closes a kept-alive HTTP connection after its next answer, so a client that keeps asking cannot hold the exit', async () => {
    const app = await createDemoApp(loadDemoConfig({ CHAT_AUTH: 'query' }), false);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const lingering = await TestClient.connectAndWelcome(`ws://127.0.0.1:${port}/ws?user=linger`);
    lingering.socket.pause();
    const http = connect(port, '127.0.0.1');
    let received = '';
    http.on('data', (chunk) => (received += chunk));
    const ended = once(http, 'end');
    const ask = () => http.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    try {
      ask();
      await waitFor(() => received.includes('"shuttingDown":false'), { what: 'the first answer' });
      assert.match(received, /connection: keep-alive/i);

      const closing = app.close();
      await waitFor(() => app.get(ChatHealthService).check().shuttingDown, { what: 'shutdown' });
      received = '';
      ask();
      await within(ended, 5000, 'the server to end the kept-alive connection');
      assert.match(received, /^HTTP\/1\.1 503 /);
      assert.match(received, /connection: close/i);
      assert.match(received, /"shuttingDown":true/);
      lingering.socket.resume();
      await within(closing, 10_000, 'the demo to close');
    } finally {
      http.destroy();
      lingering.socket.resume();
      await app.close();
    }
  });
});

describe('demo as an OS process (what npm start runs)', () => {
  it('starts with no external service, serves a push end to end, and exits cleanly on SIGTERM with 1001', async () => {
    const demo = await startDemoProcess({ CHAT_AUTH: 'query' });
    try {
      const client = await TestClient.connectAndWelcome(
        `ws://127.0.0.1:${demo.port}/ws?user=henry`,
      );
      const response = await fetch(`http://127.0.0.1:${demo.port}/users/henry/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"n":1}',
      });
      assert.equal(response.status, 202);
      assert.deepEqual((await client.next('message')).data, { n: 1 });
      assert.match(demo.output(), /queryUserAuthenticator\(\) trusts \?user=/);

      // Nest's shutdown hooks re-raise the signal once the application has closed.
      assert.equal(await demo.stop('SIGTERM'), 'SIGTERM');
      assert.equal((await client.closed).code, CloseCode.GoingAway);
      assert.match(demo.output(), /Listening on/);
    } finally {
      await demo.stop('SIGKILL');
    }
  });

  it('refuses to start with an invalid setting and says which', async () => {
    await assert.rejects(
      startDemoProcess({ CHAT_AUTH: 'ldap' }),
      /CHAT_AUTH must be 'jwt' or 'query'/,
    );
  });
});
