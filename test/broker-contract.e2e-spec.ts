import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { BrokerNode, ChatBroker } from '../src/transports/broker.interface.js';
import { memoryBackplane, redisBackplane } from './support/backplanes.js';
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
for (const backplane of [memoryBackplane(), redisBackplane()]) {
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
        await waitFor(() => a.node.misses === 1 && b.node.misses === 1, {
          what: 'both nodes to be told',
        });
        // And they receive again.
        await waitFor(async () => await a.broker.publish(b.node.nodeId, 'again'), {
          what: 'b to listen again',
        });
        await waitFor(() => b.node.bodies().includes('again'), { what: 'the message at b' });
      });
    }

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
