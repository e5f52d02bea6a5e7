import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { BrokerNode, ChatBroker } from '../src/transports/broker.interface.js';
import { memoryBackplane, redisBackplane, redisClusterBackplane } from './support/backplanes.js';
import { waitFor } from './support/wait.js';

/** A node that records what the broker hands it. */
class RecordingNode implements BrokerNode {
  readonly received: { from: string; body: unknown }[] = [];
  misses = 0;
  constructor(readonly nodeId: string) {}
  receive(from: string, body: unknown): void {
    this.received.push({ from, body });
  }
  missed(): void {
    this.misses++;
  }
  bodies(): unknown[] {
    return this.received.map(({ body }) => body);
  }
}

// Every guarantee in the TSDoc of ChatBroker, checked against each implementation.
for (const backplane of [memoryBackplane(), redisBackplane(), redisClusterBackplane()]) {
  describe(`broker contract: ${backplane.name}`, () => {
    const attached: ChatBroker[] = [];
    let sequence = 0;

    async function node(): Promise<{ broker: ChatBroker; node: RecordingNode }> {
      const recording = new RecordingNode(`node-${++sequence}`);
      const broker = backplane.transport().broker;
      await broker.attach(recording);
      attached.push(broker);
      return { broker, node: recording };
    }

    before(() => backplane.start());
    afterEach(async () => {
      await Promise.all(attached.splice(0).map((broker) => broker.detach()));
    });
    after(() => backplane.stop());

    it('delivers a message published to a node to that node only, with the sender and body', async () => {
      const a = await node();
      const b = await node();
      const c = await node();
      assert.equal(await a.broker.publish(b.node.nodeId, { hello: ['b', 1] }), true);
      await waitFor(() => b.node.received.length === 1, { what: 'the message at b' });
      assert.deepEqual(b.node.received, [{ from: a.node.nodeId, body: { hello: ['b', 1] } }]);
      // A round trip to c proves that anything meant for it would have arrived by now.
      await a.broker.publish(c.node.nodeId, 'probe');
      await waitFor(() => c.node.received.length === 1, { what: 'the probe at c' });
      assert.deepEqual(c.node.bodies(), ['probe']);
      assert.deepEqual(a.node.received, []);
    });

    it('keeps the order of the messages one node publishes to another', async () => {
      const a = await node();
      const b = await node();
      const sent = Array.from({ length: 200 }, (_, i) => i);
      await Promise.all(sent.map((i) => a.broker.publish(b.node.nodeId, i)));
      await waitFor(() => b.node.received.length === sent.length, { what: 'all 200 messages' });
      assert.deepEqual(b.node.bodies(), sent);
    });

    it('publishAll reaches every other node once and never the publisher', async () => {
      const a = await node();
      const others = [await node(), await node(), await node()];
      assert.equal(await a.broker.publishAll('to all'), 3);
      for (const other of others) {
        await waitFor(() => other.node.received.length === 1, { what: other.node.nodeId });
      }
      await a.broker.publish(others[0].node.nodeId, 'after');
      await waitFor(() => others[0].node.received.length === 2, { what: 'the later message' });
      for (const other of others) assert.equal(other.node.bodies()[0], 'to all');
      assert.deepEqual(a.node.received, []);
    });

    it('answers false for a node nobody is listening as, and after that node detached', async () => {
      const a = await node();
      const b = await node();
      assert.equal(await a.broker.publish('no-such-node', 'x'), false);
      await b.broker.detach();
      attached.splice(attached.indexOf(b.broker), 1);
      assert.equal(await a.broker.publish(b.node.nodeId, 'gone'), false);
      assert.equal(await a.broker.publishAll('all'), 0);
      assert.deepEqual(b.node.received, []);
    });

    if (backplane.dropSubscribers) {
      it('tells a node that it may have missed messages once its subscription is back', async () => {
        const a = await node();
        const b = await node();
        await backplane.dropSubscribers!();
        // At least once: on a Redis Cluster each master's subscriber connection drops and comes
        // back on its own, and a node may be told once per connection that came back.
        await waitFor(() => a.node.misses >= 1 && b.node.misses >= 1, {
          what: 'both nodes to be told',
        });
        // And they receive again.
        await waitFor(async () => await a.broker.publish(b.node.nodeId, 'again'), {
          what: 'b to listen again',
        });
        await waitFor(() => b.node.bodies().includes('again'), { what: 'the message at b' });
      });
    }

    describe('channels', () => {
      let sequence = 0;
      const channel = () => `room:ch-${++sequence}`;

      it('publishTo reaches only the other nodes subscribed to the channel, each once, and counts them', async () => {
        const [publisher, first, second, bystander] = [
          await node(),
          await node(),
          await node(),
          await node(),
        ];
        const name = channel();
        const other = channel();
        await first.broker.subscribe(name);
        await second.broker.subscribe(name);
        await bystander.broker.subscribe(other);
        assert.equal(await publisher.broker.publishTo(name, { to: name }), 2);
        for (const subscriber of [first, second]) {
          await waitFor(() => subscriber.node.received.length === 1, {
            what: subscriber.node.nodeId,
          });
        }
        // A round trip on the bystander's own channel: the message for it would have arrived.
        assert.equal(await publisher.broker.publishTo(other, 'probe'), 1);
        await waitFor(() => bystander.node.received.length === 1, { what: 'the probe' });
        assert.deepEqual(bystander.node.bodies(), ['probe']);
        for (const subscriber of [first, second]) {
          assert.deepEqual(subscriber.node.received, [
            { from: publisher.node.nodeId, body: { to: name } },
          ]);
        }
        assert.deepEqual(publisher.node.received, []);
      });

      it('publishTo a channel nobody subscribed to reaches nobody and answers 0', async () => {
        const a = await node();
        const b = await node();
        assert.equal(await a.broker.publishTo(channel(), 'void'), 0);
        await a.broker.publish(b.node.nodeId, 'probe');
        await waitFor(() => b.node.received.length === 1, { what: 'the probe' });
        assert.deepEqual(b.node.bodies(), ['probe']);
      });

      it('a publish right after subscribe resolves reaches the subscriber: it is in effect', async () => {
        const a = await node();
        const b = await node();
        for (let i = 0; i < 20; i++) {
          const name = channel();
          await b.broker.subscribe(name);
          assert.equal(await a.broker.publishTo(name, i), 1, `channel ${name}`);
        }
        await waitFor(() => b.node.received.length === 20, { what: 'all 20 messages' });
        // Each message went to a channel of its own: on a Redis Cluster those may live on
        // different shards, whose connections to the subscriber keep no order between them.
        assert.deepEqual(
          (b.node.bodies() as number[]).sort((x, y) => x - y),
          Array.from({ length: 20 }, (_, i) => i),
        );
      });

      it('subscribe is idempotent: subscribing twice delivers each message once', async () => {
        const a = await node();
        const b = await node();
        const name = channel();
        await b.broker.subscribe(name);
        await b.broker.subscribe(name);
        assert.equal(await a.broker.publishTo(name, 'once'), 1);
        await waitFor(() => b.node.received.length === 1, { what: 'the message' });
        await a.broker.publish(b.node.nodeId, 'probe');
        await waitFor(() => b.node.received.length === 2, { what: 'the probe' });
        assert.deepEqual(b.node.bodies(), ['once', 'probe']);
      });

      it('a second subscribe while the first is on its way resolves only once it is in effect', async () => {
        const a = await node();
        const b = await node();
        // A node subscribing to many rooms at once (a user with many rooms connecting, say):
        // its subscriber connection has a backlog of SUBSCRIBEs ahead of the next one.
        const backlog = Array.from({ length: 2000 }, () => b.broker.subscribe(channel()));
        const name = channel();
        const first = b.broker.subscribe(name);
        let firstResolved = false;
        void first.then(() => (firstResolved = true));
        await b.broker.subscribe(name);
        // It cannot know the subscription is in effect before the SUBSCRIBE that makes it is.
        assert.equal(firstResolved, true, 'the second subscribe resolved before the first');
        const reached = await a.broker.publishTo(name, 'raced');
        await Promise.all([first, ...backlog]);
        assert.equal(reached, 1, 'the publish missed b');
        await waitFor(() => b.node.bodies().includes('raced'), { what: 'the message at b' });
      });

      it("keeps the order of one node's messages to a channel, for every subscriber", async () => {
        const a = await node();
        const subscribers = [await node(), await node()];
        const name = channel();
        for (const subscriber of subscribers) await subscriber.broker.subscribe(name);
        const sent = Array.from({ length: 200 }, (_, i) => i);
        const counts = await Promise.all(sent.map((i) => a.broker.publishTo(name, i)));
        assert.ok(
          counts.every((count) => count === 2),
          String(counts),
        );
        for (const subscriber of subscribers) {
          await waitFor(() => subscriber.node.received.length === sent.length, {
            what: `all 200 messages at ${subscriber.node.nodeId}`,
          });
          assert.deepEqual(subscriber.node.bodies(), sent);
        }
      });

      it('never delivers to the publisher, even when it is subscribed, nor counts it', async () => {
        const a = await node();
        const b = await node();
        const name = channel();
        await a.broker.subscribe(name);
        assert.equal(await a.broker.publishTo(name, 'alone'), 0);
        await b.broker.subscribe(name);
        assert.equal(await a.broker.publishTo(name, 'with b'), 1);
        await waitFor(() => b.node.received.length === 1, { what: 'the message at b' });
        // b's message to a on the same channel arrives after anything a sent itself would have.
        assert.equal(await b.broker.publishTo(name, 'from b'), 1);
        await waitFor(() => a.node.received.length === 1, { what: 'the message from b' });
        assert.deepEqual(a.node.received, [{ from: b.node.nodeId, body: 'from b' }]);
        assert.deepEqual(b.node.bodies(), ['with b']);
      });

      it('unsubscribe stops delivery at once, leaves other channels alone, and is idempotent', async () => {
        const a = await node();
        const b = await node();
        const [name, kept] = [channel(), channel()];
        await b.broker.subscribe(name);
        await b.broker.subscribe(kept);
        assert.equal(await a.broker.publishTo(name, 'before'), 1);
        await b.broker.unsubscribe(name);
        await b.broker.unsubscribe(name);
        await b.broker.unsubscribe(channel());
        assert.equal(await a.broker.publishTo(name, 'after'), 0);
        assert.equal(await a.broker.publishTo(kept, 'kept'), 1);
        await waitFor(() => b.node.bodies().includes('kept'), { what: 'the kept channel' });
        assert.deepEqual(b.node.bodies(), ['before', 'kept']);
        // And subscribing again delivers again.
        await b.broker.subscribe(name);
        assert.equal(await a.broker.publishTo(name, 'again'), 1);
        await waitFor(() => b.node.bodies().includes('again'), { what: 'the message after' });
      });

      it('a node that detached receives nothing from its channels and is not counted', async () => {
        const a = await node();
        const b = await node();
        const c = await node();
        const name = channel();
        await b.broker.subscribe(name);
        await c.broker.subscribe(name);
        await b.broker.detach();
        attached.splice(attached.indexOf(b.broker), 1);
        assert.equal(await a.broker.publishTo(name, 'after detach'), 1);
        await waitFor(() => c.node.received.length === 1, { what: 'the message at c' });
        assert.deepEqual(b.node.received, []);
      });

      if (backplane.dropSubscribers) {
        it('keeps its channels when the subscription comes back after a drop', async () => {
          const a = await node();
          const b = await node();
          const name = channel();
          await b.broker.subscribe(name);
          await backplane.dropSubscribers!();
          await waitFor(() => b.node.misses >= 1, { what: 'b to be told' });
          await waitFor(async () => (await a.broker.publishTo(name, 'back')) === 1, {
            what: 'b to be subscribed again',
          });
          await waitFor(() => b.node.bodies().includes('back'), { what: 'the message at b' });
        });

        /** Drops b's subscriber connection and runs `attempt` while it is down. */
        async function duringDrop(
          b: { broker: ChatBroker; node: RecordingNode },
          attempt: () => Promise<void>,
        ) {
          const misses = b.node.misses;
          await backplane.dropSubscribers!();
          if (backplane.resubscribesAtOnce) {
            // The replacement connection comes at once, so the drop may be over before a poll
            // sees it, and it queues the attempt: that may take effect right away.
            await waitFor(() => !b.broker.reachable || b.node.misses > misses, {
              what: 'the drop to be noticed',
            });
            await attempt().catch(() => undefined);
          } else {
            await waitFor(() => !b.broker.reachable, { what: 'the drop to be noticed' });
            await assert.rejects(attempt(), 'the attempt fails while the subscriber is down');
          }
          await waitFor(() => b.broker.reachable && b.node.misses > misses, {
            what: 'b to be back',
          });
        }

        it('a subscribe that failed during an outage takes effect when retried', async () => {
          const a = await node();
          const b = await node();
          const name = channel();
          await duringDrop(b, () => b.broker.subscribe(name));
          await b.broker.subscribe(name);
          assert.equal(await a.broker.publishTo(name, 'after the retry'), 1);
          await waitFor(() => b.node.bodies().includes('after the retry'), {
            what: 'the message at b',
          });
        });

        it('an unsubscribe that failed during an outage takes effect when retried', async () => {
          const a = await node();
          const b = await node();
          const name = channel();
          await b.broker.subscribe(name);
          await duringDrop(b, () => b.broker.unsubscribe(name));
          await b.broker.unsubscribe(name);
          assert.equal(await a.broker.publishTo(name, 'after the retry'), 0);
          await a.broker.publish(b.node.nodeId, 'probe');
          await waitFor(() => b.node.bodies().includes('probe'), { what: 'the probe' });
          assert.deepEqual(b.node.bodies(), ['probe']);
        });
      }
    });

    it('says whether other nodes may exist, and that it is reachable', async () => {
      const a = await node();
      assert.equal(a.broker.reachable, true);
      if (backplane.name === 'memory') {
        // A lone in-memory node skips every round trip; a second one makes it a cluster.
        assert.equal(a.broker.distributed, false);
        await node();
      }
      assert.equal(a.broker.distributed, true);
    });
  });
}
