import type { BrokerNode, ChatBroker } from '../broker.interface.js';
import type { MemoryHub } from './memory-hub.js';

/**
 * @internal The broker of a cluster inside one process. Messages are handed over on the
 * microtask queue, in order, like a network that never fails.
 */
export class MemoryBroker implements ChatBroker {
  readonly reachable = true;
  private node: BrokerNode | undefined;

  constructor(private readonly hub: MemoryHub) {}

  get distributed(): boolean {
    return this.hub.brokerNodes.size > 1;
  }

  async attach(node: BrokerNode): Promise<void> {
    if (this.hub.brokerNodes.has(node.nodeId)) {
      throw new Error(`MemoryTransport: node id '${node.nodeId}' is already in use`);
    }
    this.hub.brokerNodes.set(node.nodeId, node);
    this.node = node;
  }

  async detach(): Promise<void> {
    const node = this.node;
    if (node && this.hub.brokerNodes.get(node.nodeId) === node) {
      this.hub.brokerNodes.delete(node.nodeId);
      for (const [channel, nodes] of this.hub.channels) {
        nodes.delete(node.nodeId);
        if (nodes.size === 0) this.hub.channels.delete(channel);
      }
    }
    this.node = undefined;
  }

  async subscribe(channel: string): Promise<void> {
    const nodeId = this.attached();
    let nodes = this.hub.channels.get(channel);
    if (!nodes) this.hub.channels.set(channel, (nodes = new Set()));
    nodes.add(nodeId);
  }

  async unsubscribe(channel: string): Promise<void> {
    const nodes = this.hub.channels.get(channel);
    nodes?.delete(this.attached());
    if (nodes?.size === 0) this.hub.channels.delete(channel);
  }

  async publishTo(channel: string, body: unknown): Promise<number> {
    const from = this.attached();
    let reached = 0;
    for (const nodeId of this.hub.channels.get(channel) ?? []) {
      const target = this.hub.brokerNodes.get(nodeId);
      if (!target || nodeId === from) continue;
      queueMicrotask(() => target.receive(from, body));
      reached++;
    }
    return reached;
  }

  async publish(nodeId: string, body: unknown): Promise<boolean> {
    const from = this.attached();
    const target = this.hub.brokerNodes.get(nodeId);
    if (!target || target.nodeId === from) return false;
    queueMicrotask(() => target.receive(from, body));
    return true;
  }

  async publishAll(body: unknown): Promise<number> {
    const from = this.attached();
    let reached = 0;
    for (const target of this.hub.brokerNodes.values()) {
      if (target.nodeId === from) continue;
      queueMicrotask(() => target.receive(from, body));
      reached++;
    }
    return reached;
  }

  private attached(): string {
    if (!this.node) throw new Error('MemoryTransport: the broker is not attached');
    return this.node.nodeId;
  }
}
