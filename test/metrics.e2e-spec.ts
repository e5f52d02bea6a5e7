import assert from 'node:assert/strict';
import { Controller, Get, Inject, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ChatHealthService, ChatModule } from '../src/index.js';
import { startApp, userFromQuery, type TestApp } from './support/chat-app.js';
import { RedisServer } from './support/redis-server.js';
import { refusedStatus, TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

const REGISTRY = Symbol('registry');

@Controller('metrics')
class ScrapeController {
  constructor(@Inject(REGISTRY) private readonly registry: Registry) {}

  @Get()
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.registry.contentType);
    return this.registry.metrics();
  }
}

/** Reads one sample from Prometheus text (0 when the series does not exist yet). */
function sample(text: string, name: string, labels = ''): number {
  const escaped = `${name}${labels ? `{${labels}}` : ''}`.replace(/[{}"=.]/g, '\\$&');
  const match = new RegExp(`^${escaped} ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function startWithMetrics(extra: Record<string, unknown> = {}) {
  const registry = new Registry();
  @Module({
    imports: [
      ChatModule.forRoot({
        authenticate: userFromQuery,
        metrics: { registry },
        heartbeat: { intervalMs: 50, timeoutMs: 200 },
        backpressure: { highWaterMarkBytes: 16 * 1024, policy: 'disconnect' },
        ...extra,
      }),
    ],
    controllers: [ScrapeController],
    providers: [{ provide: REGISTRY, useValue: registry }],
  })
  class MetricsTestModule {}
  const chat = await startApp({ imports: [MetricsTestModule] });
  const scrape = async () => (await fetch(chat.httpUrl('/metrics'))).text();
  return { chat, registry, scrape };
}

describe('metrics', () => {
  let chat: TestApp;
  let registry: Registry;
  let scrape: () => Promise<string>;

  before(async () => {
    ({ chat, registry, scrape } = await startWithMetrics());
  });
  after(() => chat.close());

  it('serves Prometheus text with the documented metrics', async () => {
    const text = await scrape();
    for (const name of [
      'chat_connections',
      'chat_connections_opened_total',
      'chat_connections_closed_total',
      'chat_messages_in_total',
      'chat_messages_out_total',
      'chat_frame_errors_total',
      'chat_send_results_total',
      'chat_send_incomplete_total',
      'chat_outbound_dropped_messages_total',
      'chat_outbound_dropped_bytes_total',
      'chat_handshake_refusals_total',
      'chat_heartbeat_sweep_duration_seconds',
      'chat_cluster_publish_duration_seconds',
      'chat_cluster_errors_total',
      'chat_history_stored_total',
      'chat_recoveries_total',
      'chat_replayed_pushes_total',
      'chat_stream_gap_fills_total',
      'chat_history_entries',
      'chat_requests_total',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  it('counts connections opened, live and closed by reason', async () => {
    const before = await scrape();
    const first = await TestClient.connectAndWelcome(chat.wsUrl('mo'));
    const second = await TestClient.connectAndWelcome(chat.wsUrl('mo'));
    await first.closed;
    let text = await scrape();
    assert.equal(sample(text, 'chat_connections'), 1);
    assert.equal(
      sample(text, 'chat_connections_opened_total') -
        sample(before, 'chat_connections_opened_total'),
      2,
    );
    assert.equal(sample(text, 'chat_connections_closed_total', 'reason="replaced"'), 1);

    await second.close();
    await waitFor(
      async () =>
        sample(await scrape(), 'chat_connections_closed_total', 'reason="client_closed"') === 1,
    );
    text = await scrape();
    assert.equal(sample(text, 'chat_connections'), 0);
  });

  it('counts messages in and out, frame errors and send results', async () => {
    const before = await scrape();
    const client = await TestClient.connectAndWelcome(chat.wsUrl('nia'));
    client.send({ event: 'app', data: 1 });
    client.send('not json');
    await client.next('error');
    // No handler takes it: a request is answered `unknown_event`, and counted so.
    assert.equal((await client.request('nobody-handles', 1, 'r1')).error.code, 'unknown_event');
    await chat.messaging.send('nia', 'hello');
    await chat.messaging.send('nobody', 'hello');
    await client.next('message');
    const text = await scrape();
    const delta = (name: string, labels?: string) =>
      sample(text, name, labels) - sample(before, name, labels);
    assert.equal(delta('chat_messages_in_total'), 1);
    assert.ok(delta('chat_messages_out_total') >= 3, 'welcome, error and push');
    assert.equal(delta('chat_frame_errors_total', 'code="bad_json"'), 1);
    assert.equal(delta('chat_send_results_total', 'result="delivered"'), 1);
    assert.equal(delta('chat_send_results_total', 'result="offline"'), 1);
    assert.equal(delta('chat_requests_total', 'outcome="unknown_event"'), 1);
    await client.close();
  });

  it('counts stored pushes, recoveries by outcome and replayed pushes, and the history kept', async () => {
    const before = await scrape();
    const first = await TestClient.connectAndWelcome(chat.wsUrl('rex'));
    const { epoch } = first.frames[0].data;
    await first.close();
    await chat.messaging.send('rex', 'one');
    await chat.messaging.send('rex', 'two');
    await chat.messaging.send('rex', 'typing', { volatile: true });
    const back = await TestClient.connectAndWelcome(`${chat.wsUrl('rex')}&since=0&epoch=${epoch}`);
    await back.next('message');
    await back.next('message');
    const lost = await TestClient.connectAndWelcome(`${chat.wsUrl('rex')}&since=0&epoch=other`);
    const text = await scrape();
    const delta = (name: string, labels?: string) =>
      sample(text, name, labels) - sample(before, name, labels);
    assert.equal(delta('chat_history_stored_total'), 2);
    assert.equal(delta('chat_recoveries_total', 'outcome="recovered"'), 1);
    assert.equal(delta('chat_recoveries_total', 'outcome="not_recovered"'), 1);
    assert.equal(delta('chat_replayed_pushes_total'), 2);
    assert.ok(sample(text, 'chat_history_entries') >= 2);
    await Promise.all([back.close(), lost.close()]);
  });

  it('counts handshake refusals by status', async () => {
    assert.equal(await refusedStatus(chat.wsUrl()), 401);
    assert.equal(sample(await scrape(), 'chat_handshake_refusals_total', 'status="401"'), 1);
  });

  it('records heartbeat sweeps and counts heartbeat timeouts', async () => {
    const silent = await TestClient.connectAndWelcome(chat.wsUrl('ghost'), { autoPong: false });
    await silent.closed;
    const text = await scrape();
    assert.ok(sample(text, 'chat_heartbeat_sweep_duration_seconds_count') > 0);
    assert.equal(sample(text, 'chat_connections_closed_total', 'reason="heartbeat_timeout"'), 1);
  });

  it('counts slow consumers, dropped sends and dropped bytes', async () => {
    const slow = await TestClient.connectAndWelcome(chat.wsUrl('slow'));
    slow.socket.pause();
    const chunk = 'z'.repeat(4096);
    // Far more than loopback's socket buffers hold, pushed before the heartbeat can notice.
    let dropped = false;
    for (let i = 0; i < 20_000 && !dropped; i++) {
      dropped = (await chat.messaging.send('slow', chunk)).dropped > 0;
    }
    assert.ok(dropped, 'a push was dropped');
    const text = await scrape();
    assert.equal(sample(text, 'chat_connections_closed_total', 'reason="slow_consumer"'), 1);
    assert.equal(sample(text, 'chat_send_results_total', 'result="dropped"'), 1);
    assert.equal(sample(text, 'chat_outbound_dropped_messages_total'), 1);
    assert.ok(sample(text, 'chat_outbound_dropped_bytes_total') > 4096);
    slow.socket.resume();
    await slow.closed;
  });

  it('counts the shutdown closes (the registry keeps its last values after close)', async () => {
    const { chat: other, registry: otherRegistry } = await startWithMetrics();
    await TestClient.connectAndWelcome(other.wsUrl('last'));
    await other.close();
    assert.equal(
      sample(await otherRegistry.metrics(), 'chat_connections_closed_total', 'reason="shutdown"'),
      1,
    );
    assert.ok(registry !== otherRegistry);
  });
});

describe('metrics of a cluster node', () => {
  let redis: RedisServer;
  let node: Awaited<ReturnType<typeof startWithMetrics>>;
  let peer: TestApp;

  before(async () => {
    redis = await RedisServer.start();
    const cluster = { redis: { url: redis.url, options: { retryStrategy: () => 50 } } };
    node = await startWithMetrics(cluster);
    peer = await startApp({
      imports: [ChatModule.forRoot({ authenticate: userFromQuery, ...cluster })],
    });
  });
  after(async () => {
    await Promise.all([node?.chat.close(), peer?.close()]);
    await redis?.stop();
  });

  it('records publish latency, and counts errors and incomplete sends while Redis is down', async () => {
    const remote = await TestClient.connectAndWelcome(peer.wsUrl('far'));
    await waitFor(() => node.chat.messaging.isOnline('far'));
    await node.chat.messaging.send('far', 'hi');
    await remote.next('message');
    assert.ok(sample(await node.scrape(), 'chat_cluster_publish_duration_seconds_count') >= 1);
    assert.equal(node.chat.app.get(ChatHealthService).check().backplane, 'ok');

    await redis.stop();
    assert.equal(
      (await node.chat.messaging.send('far', 'lost')).incomplete,
      'backplane_unavailable',
    );
    const text = await node.scrape();
    assert.equal(sample(text, 'chat_cluster_errors_total', 'operation="lookup"'), 1);
    assert.equal(sample(text, 'chat_send_incomplete_total', 'reason="backplane_unavailable"'), 1);
    const health = node.chat.app.get(ChatHealthService).check();
    assert.deepEqual(
      { ready: health.ready, backplane: health.backplane },
      { ready: false, backplane: 'unreachable' },
    );
    await remote.close();
  });
});
