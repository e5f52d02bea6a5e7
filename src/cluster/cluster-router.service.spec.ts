import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { ModuleRef } from '@nestjs/core';
import { MemoryHistory } from '../transports/memory/memory.history.js';
import { MemoryMembership } from '../transports/memory/memory.membership.js';
import { MemoryRequests } from '../transports/memory/memory.requests.js';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { resolveChatOptions } from '../module/chat-options.resolve.js';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import type { BrokerNode, ChatBroker } from '../transports/broker.interface.js';
import type { JoinResult, PresenceStore } from '../transports/presence-store.interface.js';
import type { ClusterMessage, DeliverItem, DeliveryTarget } from './cluster-message.js';
import { ClusterRouterService, type ClusterCount } from './cluster-router.service.js';
import type { DeliveryAction, LocalDeliverer } from './local-deliverer.js';

/** Captured before any test mocks the timers. */
const realSetImmediate = setImmediate;

/**
 * Lets the router run what it can without a timer: its own immediates (the end of a turn, the
 * next batch) and every promise they settle. Three turns cover the deepest chain: route a batch,
 * then the batch queued behind it.
 */
async function drain(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => realSetImmediate(resolve));
}

const TIMEOUT_MS = 1_000;

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Records every publish; each answer comes from `reply`, which a test may replace. */
class FakeBroker implements ChatBroker {
  distributed = true;
  readonly reachable = true;
  readonly published: { node: string; body: ClusterMessage }[] = [];
  readonly publishedAll: ClusterMessage[] = [];
  reply: (node: string) => Promise<boolean> = async () => true;
  replyAll: () => Promise<number> = async () => 0;
  attached: BrokerNode | undefined;
  detached = 0;

  async attach(node: BrokerNode): Promise<void> {
    this.attached = node;
  }
  async detach(): Promise<void> {
    this.detached++;
  }
  publish(nodeId: string, body: unknown): Promise<boolean> {
    this.published.push({ node: nodeId, body: body as ClusterMessage });
    return this.reply(nodeId);
  }
  publishAll(body: unknown): Promise<number> {
    this.publishedAll.push(body as ClusterMessage);
    return this.replyAll();
  }
  readonly channels: { channel: string; body: ClusterMessage }[] = [];
  replyTo: (channel: string) => Promise<number> = async () => 0;
  async subscribe(): Promise<void> {}
  async unsubscribe(): Promise<void> {}
  publishTo(channel: string, body: unknown): Promise<number> {
    this.channels.push({ channel, body: body as ClusterMessage });
    return this.replyTo(channel);
  }
}

/** Answers `locate` from `where` (user → node per connection) unless a test replaces `answer`. */
class FakePresence implements PresenceStore {
  readonly reachable = true;
  readonly lookups: string[][] = [];
  where: Record<string, string[]> = {};
  answer: (users: readonly string[]) => Promise<Map<string, string[]>> = async (users) =>
    new Map(users.map((user) => [user, this.where[user] ?? []]));

  locate(users: readonly string[]): Promise<Map<string, string[]>> {
    this.lookups.push([...users]);
    return this.answer(users);
  }
  async attach(): Promise<void> {}
  async detach(): Promise<void> {}
  async join(): Promise<JoinResult> {
    throw new Error('not used by the router');
  }
  async leave(): Promise<void> {}
  async users(): Promise<string[]> {
    return [];
  }
}

/** Records what other nodes asked this node to do, and answers with fixed counts. */
class FakeLocal implements LocalDeliverer {
  readonly calls: { target: DeliveryTarget; action: DeliveryAction }[] = [];
  count = { delivered: 1, dropped: 0 };
  catchUps = 0;
  deliver(target: DeliveryTarget, action: DeliveryAction) {
    this.calls.push({ target, action });
    return { ...this.count };
  }
  catchUp(): void {
    this.catchUps++;
  }
  readonly acks: [string, number][] = [];
  acknowledged(counts: readonly [string, number][]): void {
    this.acks.push(...counts);
  }
}

function setup(overrides: Partial<ChatModuleOptions> = {}) {
  const options = resolveChatOptions({
    authenticate: () => null,
    nodeId: 'self',
    clusterTimeoutMs: TIMEOUT_MS,
    ...overrides,
  });
  const broker = new FakeBroker();
  const presence = new FakePresence();
  const local = new FakeLocal();
  const stats = new ChatStatsService();
  const router = new ClusterRouterService(
    options,
    {
      broker,
      presence,
      history: new MemoryHistory(),
      membership: new MemoryMembership(),
      requests: new MemoryRequests(),
    },
    { get: () => local } as unknown as ModuleRef,
    stats,
  );
  router.onModuleInit();
  return { router, broker, presence, local, stats };
}

const count = (delivered: number, dropped: number): ClusterCount => ({ delivered, dropped });

const frame = (text: string): DeliveryAction => ({ frame: Buffer.from(text) });

/** A send's promise, and whether it has resolved yet. */
function track<T>(pending: T | Promise<T>): { done: () => boolean; result: Promise<T> } {
  let done = false;
  const result = Promise.resolve(pending).then((value) => {
    done = true;
    return value;
  });
  return { done: () => done, result };
}

function itemsTo(broker: FakeBroker, node: string): DeliverItem[] {
  return broker.published
    .filter((p) => p.node === node)
    .flatMap((p) => (p.body.type === 'deliver' ? p.body.items : []));
}

describe('ClusterRouterService', () => {
  let warn: ReturnType<typeof mock.method>;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    // The router measures its deadline on performance.now(); it stands still with the timers.
    mock.method(performance, 'now', () => 0);
    warn = mock.method(Logger.prototype, 'warn', () => undefined);
    mock.method(Logger.prototype, 'error', () => undefined);
    mock.method(Logger.prototype, 'debug', () => undefined);
  });

  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it('on a lone node, returns the local result synchronously and publishes nothing', async () => {
    const { router, broker, presence } = setup();
    broker.distributed = false;
    const local = count(2, 1);
    const answer = router.forward({ users: ['alice'] }, frame('x'), local);
    assert.equal(answer, local, 'the same object, not a promise');
    assert.deepEqual(answer, { delivered: 2, dropped: 1 });
    await drain();
    assert.deepEqual(presence.lookups, []);
    assert.deepEqual(broker.published, []);
    assert.deepEqual(broker.publishedAll, []);
  });

  it('attaches to the broker on bootstrap and detaches on shutdown', async () => {
    const { router, broker } = setup();
    await router.onApplicationBootstrap();
    assert.equal(broker.attached, router);
    await router.onApplicationShutdown();
    assert.equal(broker.detached, 1);
  });

  it('sends of one event-loop turn share one lookup and one publish per node', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1'], b: ['n2', 'n1'], c: [router.nodeId] };
    router.forward({ users: ['a'] }, frame('1'), count(0, 0));
    router.forward({ users: ['b'] }, frame('2'), count(0, 0));
    router.forward({ users: ['a', 'c'] }, frame('3'), count(0, 0));
    await drain();

    assert.deepEqual(presence.lookups, [['a', 'b', 'c']]);
    assert.deepEqual(
      broker.published.map((p) => p.node),
      ['n1', 'n2'],
      'one message per node, none to this node',
    );
    const toN1 = itemsTo(broker, 'n1');
    assert.deepEqual(
      toN1.map(({ frame, users }) => ({ frame, users })),
      [
        { frame: '1', users: ['a'] },
        { frame: '2', users: ['b'] },
        { frame: '3', users: ['a'] },
      ],
    );
    assert.deepEqual(
      itemsTo(broker, 'n2').map(({ id, frame, users }) => ({ id, frame, users })),
      [{ id: toN1[1].id, frame: '2', users: ['b'] }],
      'the same request id on every node of one send',
    );
    assert.equal(new Set(toN1.map((item) => item.id)).size, 3);
  });

  it('names a user once per node even when it has several connections there', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1', 'n1', 'n2', 'n1'] };
    router.forward({ users: ['a'] }, frame('x'), count(0, 0));
    await drain();
    assert.deepEqual(itemsTo(broker, 'n1')[0].users, ['a']);
    assert.deepEqual(itemsTo(broker, 'n2')[0].users, ['a']);
  });

  it('resolves at once, without a publish, when no other node holds the users', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: [router.nodeId] };
    const send = track(router.forward({ users: ['a', 'ghost'] }, frame('x'), count(1, 0)));
    await drain();
    assert.equal(send.done(), true);
    assert.deepEqual(await send.result, { delivered: 1, dropped: 0 });
    assert.deepEqual(broker.published, []);
  });

  it('adds every node’s receipt and resolves only when all nodes answered', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1', 'n2'] };
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(1, 0)));
    await drain();
    const [{ id }] = itemsTo(broker, 'n1');

    router.receive('n1', { type: 'delivered', receipts: [[id, 2, 0]] });
    await drain();
    assert.equal(send.done(), false, 'n2 has not answered');

    router.receive('n2', { type: 'delivered', receipts: [[id, 1, 3]] });
    await drain();
    assert.equal(send.done(), true);
    assert.deepEqual(await send.result, { delivered: 4, dropped: 3 });
  });

  it('counts a receipt that arrives before its publish is confirmed', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1'] };
    const confirm = deferred<boolean>();
    broker.reply = () => confirm.promise;
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(0, 0)));
    await drain();
    router.receive('n1', { type: 'delivered', receipts: [[itemsTo(broker, 'n1')[0].id, 1, 0]] });
    await drain();
    assert.equal(send.done(), false, 'the publish is still unconfirmed');
    confirm.resolve(true);
    await drain();
    assert.deepEqual(await send.result, { delivered: 1, dropped: 0 });
  });

  it('resolves after clusterTimeoutMs with node_unreachable when a node never answers', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1', 'n2'] };
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(1, 0)));
    await drain();
    router.receive('n1', {
      type: 'delivered',
      receipts: [[itemsTo(broker, 'n1')[0].id, 1, 0]],
    });
    mock.timers.tick(TIMEOUT_MS - 1);
    await drain();
    assert.equal(send.done(), false);
    mock.timers.tick(1);
    await drain();
    assert.equal(send.done(), true);
    assert.deepEqual(await send.result, {
      delivered: 2,
      dropped: 0,
      incomplete: 'node_unreachable',
    });
  });

  it('ignores a receipt that comes after the send gave up', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1'] };
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(0, 0)));
    await drain();
    mock.timers.tick(TIMEOUT_MS);
    const result = await send.result;
    router.receive('n1', { type: 'delivered', receipts: [[itemsTo(broker, 'n1')[0].id, 5, 5]] });
    assert.deepEqual(result, { delivered: 0, dropped: 0, incomplete: 'node_unreachable' });
  });

  it('reports node_unreachable at once when a publish finds no such node', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['gone'] };
    broker.reply = async () => false;
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(1, 0)));
    await drain();
    assert.equal(send.done(), true, 'no wait for the timeout');
    assert.deepEqual(await send.result, {
      delivered: 1,
      dropped: 0,
      incomplete: 'node_unreachable',
    });
  });

  it('reports backplane_unavailable when a publish fails, and counts the error', async () => {
    const { router, broker, presence, stats } = setup();
    presence.where = { a: ['n1'] };
    broker.reply = async () => {
      throw new Error('connection lost');
    };
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(0, 0)));
    await drain();
    assert.equal(send.done(), true);
    assert.equal((await send.result).incomplete, 'backplane_unavailable');
    assert.equal(stats.clusterErrors.get('publish'), 1);
  });

  it('reports backplane_unavailable when the lookup rejects, and publishes nothing', async () => {
    const { router, broker, presence, stats } = setup();
    presence.answer = async () => {
      throw new Error('presence down');
    };
    const first = router.forward({ users: ['a'] }, frame('x'), count(1, 0));
    const second = router.forward({ users: ['b'] }, frame('y'), count(0, 0));
    await drain();
    assert.deepEqual(await first, {
      delivered: 1,
      dropped: 0,
      incomplete: 'backplane_unavailable',
    });
    assert.deepEqual(await second, {
      delivered: 0,
      dropped: 0,
      incomplete: 'backplane_unavailable',
    });
    assert.deepEqual(broker.published, []);
    assert.equal(stats.clusterErrors.get('lookup'), 1, 'one lookup for the batch');
  });

  it('reports backplane_unavailable when the lookup does not answer within clusterTimeoutMs', async () => {
    const { router, broker, presence, stats } = setup();
    presence.answer = () => new Promise(() => undefined);
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(0, 0)));
    await drain();
    mock.timers.tick(TIMEOUT_MS - 1);
    await drain();
    assert.equal(send.done(), false);
    mock.timers.tick(1);
    await drain();
    assert.equal((await send.result).incomplete, 'backplane_unavailable');
    assert.deepEqual(broker.published, []);
    assert.equal(stats.clusterErrors.get('lookup'), 1);
  });

  it('broadcasts with publishAll and counts the receipt of every node it reached', async () => {
    const { router, broker } = setup();
    broker.replyAll = async () => 2;
    const send = track(router.forward({ all: true }, frame('hi'), count(3, 0)));
    await drain();
    assert.deepEqual(broker.published, []);
    assert.equal(broker.publishedAll.length, 1);
    const [message] = broker.publishedAll;
    assert.equal(message.type, 'deliver');
    const [item] = message.type === 'deliver' ? message.items : [];
    assert.deepEqual({ frame: item.frame, all: item.all }, { frame: 'hi', all: true });

    router.receive('n1', { type: 'delivered', receipts: [[item.id, 4, 1]] });
    await drain();
    assert.equal(send.done(), false, 'one of two nodes answered');
    router.receive('n2', { type: 'delivered', receipts: [[item.id, 5, 0]] });
    await drain();
    assert.deepEqual(await send.result, { delivered: 12, dropped: 1 });
  });

  it('resolves a broadcast at once when publishAll reached no other node', async () => {
    const { router, broker } = setup();
    broker.replyAll = async () => 0;
    const send = track(router.forward({ all: true }, frame('hi'), count(1, 0)));
    await drain();
    assert.equal(send.done(), true);
    assert.deepEqual(await send.result, { delivered: 1, dropped: 0 });
  });

  it('publishes a room message once to the room channel, and waits for a receipt per receiver', async () => {
    const { router, broker, presence } = setup();
    broker.replyTo = async () => 2;
    const send = track(router.forward({ room: 'r1', except: ['me'] }, frame('x'), count(1, 0)));
    await drain();
    assert.deepEqual(presence.lookups, [], 'a room needs no presence lookup');
    assert.equal(broker.channels.length, 1);
    const [{ channel, body }] = broker.channels;
    assert.equal(channel, 'room:r1');
    const item = (body as { items: DeliverItem[] }).items[0];
    assert.deepEqual([item.room, item.except, item.frame], ['r1', ['me'], 'x']);
    router.receive('n1', { type: 'delivered', receipts: [[item.id, 3, 0]] });
    await drain();
    assert.equal(send.done(), false, 'a second receiver has not answered');
    router.receive('n2', { type: 'delivered', receipts: [[item.id, 1, 1]] });
    await drain();
    assert.deepEqual(await send.result, { delivered: 5, dropped: 1 });
  });

  it('routes connection ids to the node named by their prefix', async () => {
    const { router, broker } = setup();
    const send = track(
      router.forward(
        { connectionIds: ['n1.a', `${router.nodeId}.b`, 'n2.host.c', 'n1.d'] },
        { close: { reason: 'kicked', message: 'bye' } },
        count(1, 0),
      ),
    );
    await drain();
    assert.deepEqual(
      broker.published.map(({ node, body }) => ({
        node,
        items:
          body.type === 'deliver'
            ? body.items.map(({ frame, close, connectionIds }) => ({ frame, close, connectionIds }))
            : [],
      })),
      [
        {
          node: 'n1',
          items: [
            {
              frame: undefined,
              close: { reason: 'kicked', message: 'bye' },
              connectionIds: ['n1.a', 'n1.d'],
            },
          ],
        },
        {
          node: 'n2.host',
          items: [
            {
              frame: undefined,
              close: { reason: 'kicked', message: 'bye' },
              connectionIds: ['n2.host.c'],
            },
          ],
        },
      ],
    );
    const ids = broker.published.map(({ body }) =>
      body.type === 'deliver' ? body.items[0].id : 0,
    );
    router.receive('n1', { type: 'delivered', receipts: [[ids[0], 2, 0]] });
    router.receive('n2.host', { type: 'delivered', receipts: [[ids[1], 1, 0]] });
    await drain();
    assert.deepEqual(await send.result, { delivered: 4, dropped: 0 });
  });

  it('routes connection ids without a presence lookup', async () => {
    const { router, broker, presence } = setup();
    presence.answer = async () => {
      throw new Error('presence down');
    };
    const sent = router.forward({ connectionIds: ['n1.a'] }, frame('x'), count(0, 0));
    await drain();
    assert.deepEqual(presence.lookups, []);
    assert.equal(broker.published.length, 1);
    router.receive('n1', { type: 'delivered', receipts: [[itemsTo(broker, 'n1')[0].id, 1, 0]] });
    assert.deepEqual(await sent, { delivered: 1, dropped: 0 });
  });

  it('applies another node’s deliver items locally and answers the sender with receipts', async () => {
    const { router, broker, local } = setup();
    local.count = { delivered: 2, dropped: 1 };
    router.receive('n7', {
      type: 'deliver',
      items: [
        { id: 10, frame: '{"event":"message"}', users: ['a', 'b'] },
        { id: 11, close: { reason: 'replaced' }, connectionIds: ['self.1'] },
        { id: 12, frame: 'z', all: true },
        { id: 13, users: ['nothing-to-do'] },
      ],
    });
    await drain();

    assert.deepEqual(
      local.calls.map(({ target, action }) => ({
        target,
        action: 'frame' in action ? { frame: action.frame.toString() } : action,
      })),
      [
        { target: { users: ['a', 'b'] }, action: { frame: '{"event":"message"}' } },
        { target: { connectionIds: ['self.1'] }, action: { close: { reason: 'replaced' } } },
        { target: { all: true }, action: { frame: 'z' } },
      ],
    );
    assert.deepEqual(broker.published, [
      {
        node: 'n7',
        body: {
          type: 'delivered',
          receipts: [
            [10, 2, 1],
            [11, 2, 1],
            [12, 2, 1],
            [13, 0, 0],
          ],
        },
      },
    ]);
  });

  it('asks the local delivery to catch up when the broker says messages may have been lost', () => {
    const { router, local } = setup();
    router.missed();
    assert.equal(local.catchUps, 1);
  });

  it('drops malformed messages without throwing, and keeps working', async () => {
    const { router, broker, local } = setup();
    const malformed: unknown[] = [
      null,
      'deliver',
      42,
      {},
      { type: 'unknown' },
      { type: 'deliver' },
      { type: 'deliver', items: [{ id: 'one' }] },
      { type: 'deliver', items: [{ id: 1, users: [1] }] },
      { type: 'deliver', items: [{ id: 1, close: { reason: 'nope' } }] },
      { type: 'deliver', items: [{ id: 1, all: false }] },
      { type: 'delivered', receipts: [[1, 2]] },
      { type: 'delivered', receipts: [[1, 2, Infinity]] },
      { type: 'delivered', receipts: 'all' },
    ];
    for (const body of malformed) {
      assert.doesNotThrow(() => router.receive('evil', body), JSON.stringify(body));
    }
    await drain();
    assert.deepEqual(local.calls, []);
    assert.deepEqual(broker.published, []);
    assert.equal(warn.mock.callCount(), malformed.length);

    router.receive('n1', { type: 'deliver', items: [{ id: 1, frame: 'ok', users: ['a'] }] });
    await drain();
    assert.equal(local.calls.length, 1);
  });

  it('drops a message the local delivery throws on, without throwing', async () => {
    const { router, broker, local } = setup();
    local.deliver = () => {
      throw new Error('boom');
    };
    assert.doesNotThrow(() =>
      router.receive('n1', { type: 'deliver', items: [{ id: 1, frame: 'x', users: ['a'] }] }),
    );
    await drain();
    assert.deepEqual(broker.published, []);
    assert.equal(warn.mock.callCount(), 1);
  });

  it('publishes two batches to the same node in order, the second after the first', async () => {
    const { router, broker, presence } = setup();
    presence.where = { a: ['n1'] };
    const lookups: Deferred<Map<string, string[]>>[] = [];
    presence.answer = () => {
      const lookup = deferred<Map<string, string[]>>();
      lookups.push(lookup);
      return lookup.promise;
    };
    router.forward({ users: ['a'] }, frame('first'), count(0, 0));
    await drain();
    router.forward({ users: ['a'] }, frame('second'), count(0, 0));
    await drain();
    assert.equal(lookups.length, 1, 'the second batch waits for the first to be routed');

    lookups[0].resolve(new Map([['a', ['n1']]]));
    await drain();
    assert.equal(lookups.length, 2);
    lookups[1].resolve(new Map([['a', ['n1']]]));
    await drain();
    assert.deepEqual(
      itemsTo(broker, 'n1').map((item) => item.frame),
      ['first', 'second'],
    );
  });

  it('gives up on every waiting send at shutdown with node_unreachable', async () => {
    const { router, presence } = setup();
    presence.where = { a: ['n1'] };
    const send = track(router.forward({ users: ['a'] }, frame('x'), count(1, 0)));
    await drain();
    assert.equal(send.done(), false);
    await router.onApplicationShutdown();
    await drain();
    assert.deepEqual(await send.result, {
      delivered: 1,
      dropped: 0,
      incomplete: 'node_unreachable',
    });
  });
});
