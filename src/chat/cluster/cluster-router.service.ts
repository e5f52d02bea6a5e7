import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../chat.constants.js';
import type { ResolvedChatOptions } from '../chat-options.js';
import type { SendResult } from '../interfaces/chat-events.interface.js';
import type { ChatTransport } from '../interfaces/chat-transport.interface.js';
import { ChatStatsService, increment } from '../metrics/chat-stats.service.js';
import { settlesWithin } from '../settles-within.js';
import { nodeOf, type ClusterMessage, type DeliverItem } from './cluster-message.js';

/** @internal Who a forwarded push is for. */
export type RemoteTarget =
  { users: readonly string[] } | { connectionIds: readonly string[] } | { all: true };

/** @internal What to do to the target's connections: push a frame, or close them. */
export type RemoteAction = { frame: Buffer } | { close: string };

interface QueuedSend {
  target: RemoteTarget;
  frame?: string;
  close?: string;
  result: SendResult;
  resolve: (result: SendResult) => void;
}

/** A send waiting for other nodes: publishes not yet confirmed, receipts not yet received. */
interface AwaitingSend {
  result: SendResult;
  resolve: (result: SendResult) => void;
  publishing: number;
  receipts: number;
}

/**
 * @internal Takes the part of a send that concerns other nodes and gets it there. Sends made in
 * the same event-loop turn travel together: one presence lookup for all their users and one
 * message per node that holds recipients, so a burst costs a few round trips instead of a few per
 * message. Only the nodes holding recipients are published to; a send whose users are all offline
 * costs the lookup and nothing more. Each node answers with a receipt, and the send resolves once
 * every node has answered or `clusterTimeoutMs` has passed.
 *
 * Batches are routed one at a time, so pushes to one user keep their order across nodes.
 */
@Injectable()
export class ClusterRouterService implements OnApplicationShutdown {
  private readonly logger = new Logger('ChatRouter');
  private queue: QueuedSend[] = [];
  private routing = false;
  private readonly awaiting = new Map<number, AwaitingSend>();
  private nextId = 0;
  private readonly nodeId: string;
  private readonly timeoutMs: number;

  constructor(
    @Inject(CHAT_OPTIONS) options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly stats: ChatStatsService,
  ) {
    this.nodeId = options.nodeId;
    this.timeoutMs = options.clusterTimeoutMs;
  }

  /**
   * Applies `action` to `target` on the other nodes and resolves with `local` plus their counts.
   */
  forward(target: RemoteTarget, action: RemoteAction, local: SendResult): Promise<SendResult> {
    return new Promise((resolve) => {
      this.queue.push({
        target,
        ...('frame' in action ? { frame: action.frame.toString() } : { close: action.close }),
        result: local,
        resolve,
      });
      if (!this.routing) {
        this.routing = true;
        setImmediate(() => void this.routeQueued());
      }
    });
  }

  /** Counts another node's receipts into the sends they answer. */
  settle(message: Extract<ClusterMessage, { type: 'delivered' }>): void {
    for (const [id, delivered, dropped] of message.receipts) {
      const send = this.awaiting.get(id);
      if (!send) continue;
      send.result.delivered += delivered;
      send.result.dropped += dropped;
      send.receipts--;
      this.resolveIfDone(id, send);
    }
  }

  onApplicationShutdown(): void {
    for (const id of [...this.awaiting.keys()]) this.giveUp(id, 'node_unreachable');
  }

  private async routeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      await this.route(batch);
    } catch (err) {
      // A bug here must not leave sends hanging nor kill the process with a rejection.
      this.logger.error(`Routing failed: ${(err as Error)?.stack ?? String(err)}`);
      const resolvers = new Set(batch.map((send) => send.resolve));
      for (const [id, send] of this.awaiting) {
        if (resolvers.has(send.resolve)) this.awaiting.delete(id);
      }
      for (const send of batch) send.resolve({ ...send.result, incomplete: 'node_unreachable' });
    }
    if (this.queue.length > 0) {
      setImmediate(() => void this.routeQueued());
    } else {
      this.routing = false;
    }
  }

  private async route(batch: QueuedSend[]): Promise<void> {
    const users = new Set<string>();
    for (const { target } of batch) {
      if ('users' in target) for (const user of target.users) users.add(user);
    }
    let located: Map<string, string[]>;
    try {
      const lookup = this.transport.locate([...users]);
      lookup.catch(() => undefined);
      if (!(await settlesWithin(lookup, this.timeoutMs)))
        throw new Error('presence lookup timed out');
      located = await lookup;
    } catch {
      increment(this.stats.clusterErrors, 'lookup');
      for (const send of batch) {
        send.resolve({ ...send.result, incomplete: 'backplane_unavailable' });
      }
      return;
    }

    const perNode = new Map<string, DeliverItem[]>();
    const broadcasts: DeliverItem[] = [];
    const started: number[] = [];
    for (const send of batch) {
      const id = ++this.nextId;
      const items = this.itemsPerNode(id, send, located);
      if (items === 'all') {
        broadcasts.push({ id, frame: send.frame, close: send.close, all: true });
      } else if (items.size === 0) {
        send.resolve(send.result);
        continue;
      } else {
        for (const [node, item] of items) {
          const list = perNode.get(node);
          if (list) list.push(item);
          else perNode.set(node, [item]);
        }
      }
      const publishing = items === 'all' ? 1 : items.size;
      this.awaiting.set(id, {
        result: send.result,
        resolve: send.resolve,
        publishing,
        receipts: 0,
      });
      started.push(id);
    }
    if (started.length === 0) return;

    for (const [node, items] of perNode) {
      this.timed(this.transport.publish(node, { type: 'deliver', from: this.nodeId, items })).then(
        (reached) => this.published(items, reached ? 1 : 0, 'node_unreachable'),
        () => this.published(items, 0, 'backplane_unavailable'),
      );
    }
    if (broadcasts.length > 0) {
      const message: ClusterMessage = { type: 'deliver', from: this.nodeId, items: broadcasts };
      this.timed(this.transport.publishAll(message)).then(
        (reached) => this.published(broadcasts, reached),
        () => this.published(broadcasts, 0, 'backplane_unavailable'),
      );
    }
    setTimeout(() => {
      for (const id of started) this.giveUp(id, 'node_unreachable');
    }, this.timeoutMs).unref();
  }

  /** Splits a send into one item per node other than this one, or 'all' for a broadcast. */
  private itemsPerNode(
    id: number,
    { target, frame, close }: QueuedSend,
    located: Map<string, string[]>,
  ): Map<string, DeliverItem> | 'all' {
    if ('all' in target) return 'all';
    const items = new Map<string, DeliverItem>();
    const add = (node: string, field: 'users' | 'connectionIds', value: string): void => {
      if (node === this.nodeId) return;
      let item = items.get(node);
      if (!item) items.set(node, (item = { id, frame, close, [field]: [] }));
      const list = item[field]!;
      if (list[list.length - 1] !== value) list.push(value);
    };
    if ('users' in target) {
      for (const user of target.users) {
        for (const node of located.get(user) ?? []) add(node, 'users', user);
      }
    } else {
      for (const connectionId of target.connectionIds)
        add(nodeOf(connectionId), 'connectionIds', connectionId);
    }
    return items;
  }

  /** Reports a publish's duration, or its failure, to the metrics. */
  private timed<T>(publish: Promise<T>): Promise<T> {
    const started = performance.now();
    return publish.then(
      (value) => {
        this.stats.observePublish?.((performance.now() - started) / 1000);
        return value;
      },
      (err: unknown) => {
        increment(this.stats.clusterErrors, 'publish');
        throw err;
      },
    );
  }

  /** A publish of `items` reached `nodes` nodes; each of them will send a receipt. */
  private published(items: DeliverItem[], nodes: number, failure?: SendResult['incomplete']): void {
    for (const { id } of items) {
      const send = this.awaiting.get(id);
      if (!send) continue;
      send.publishing--;
      send.receipts += nodes;
      if (nodes === 0 && failure) send.result.incomplete = failure;
      this.resolveIfDone(id, send);
    }
  }

  private resolveIfDone(id: number, send: AwaitingSend): void {
    if (send.publishing === 0 && send.receipts <= 0) {
      this.awaiting.delete(id);
      send.resolve(send.result);
    }
  }

  private giveUp(id: number, reason: NonNullable<SendResult['incomplete']>): void {
    const send = this.awaiting.get(id);
    if (!send) return;
    this.awaiting.delete(id);
    send.result.incomplete ??= reason;
    send.resolve(send.result);
  }
}
