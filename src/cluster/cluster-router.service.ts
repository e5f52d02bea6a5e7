import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ChatStatsService, increment } from '../common/chat-stats.service.js';
import { nodeOf } from '../common/connection-id.js';
import { settlesWithin } from '../common/settles-within.js';
import type { DeliveryCount } from '../connection/outbound.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import type { BrokerNode } from '../transports/broker.interface.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import { PartialLookupError } from '../transports/presence-lookup.error.js';
import { roomChannel } from './room-channel.js';
import {
  decodeClusterMessage,
  type ClusterMessage,
  type DeliverItem,
  type DeliveryReceipt,
  type DeliveryTarget,
  type ItemAction,
} from './cluster-message.js';
import { LOCAL_DELIVERY, type DeliveryAction, type LocalDeliverer } from './local-deliverer.js';

/**
 * Most items in one message between nodes. A burst must not become one message of megabytes:
 * Redis would buffer several of them for a subscriber past its output limit (and drop it), and
 * the receiving node would spend one long event-loop turn on each.
 */
const MAX_ITEMS_PER_MESSAGE = 500;

/** @internal Why part of the cluster could not be asked. */
export type Incomplete = 'backplane_unavailable' | 'node_unreachable';

/** @internal What a forwarded action adds up to across the cluster. */
export interface ClusterCount extends DeliveryCount {
  incomplete?: Incomplete;
}

interface QueuedSend {
  /** When it was handed to the router (performance.now()): it resolves by then + the timeout. */
  queuedAt: number;
  target: DeliveryTarget;
  /** The action, as it travels. */
  action: ItemAction;
  result: ClusterCount;
  resolve: () => void;
}

/** A send waiting for other nodes: publishes not yet confirmed, receipts not yet received. */
interface AwaitingSend {
  result: ClusterCount;
  resolve: () => void;
  publishing: number;
  receipts: number;
}

/**
 * @internal Routing between nodes, both ways. Outward, it takes the part of a send that concerns
 * other nodes and gets it there: sends made in the same event-loop turn travel together, with one
 * presence lookup for all their users and one message per node that holds recipients, so a burst
 * costs a few round trips instead of a few per message. Only the nodes holding recipients are
 * published to; a send whose users are all offline costs the lookup and nothing more. Each node
 * answers with a receipt, and the send resolves once every node has answered or
 * `clusterTimeoutMs` has passed. Batches are routed one at a time, so pushes to one user keep
 * their order across nodes.
 *
 * Inward, it applies other nodes' requests to this node's connections through the same local
 * delivery as a local send, and answers with the receipt.
 *
 * A lone node (a broker that is not distributed) answers every send synchronously, with no round
 * trip and no extra promise.
 */
@Injectable()
export class ClusterRouterService
  implements BrokerNode, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(ClusterRouterService.name);
  private queue: QueuedSend[] = [];
  private routing = false;
  private readonly awaiting = new Map<number, AwaitingSend>();
  private nextId = 0;
  readonly nodeId: string;
  private readonly timeoutMs: number;
  private local!: LocalDeliverer;

  constructor(
    @Inject(CHAT_OPTIONS) options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly moduleRef: ModuleRef,
    private readonly stats: ChatStatsService,
  ) {
    this.nodeId = options.nodeId;
    this.timeoutMs = options.clusterTimeoutMs;
  }

  // The local delivery depends on services that send through this router (delivery acks), so
  // it is looked up once everything is built rather than injected.
  onModuleInit(): void {
    this.local = this.moduleRef.get<LocalDeliverer>(LOCAL_DELIVERY);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.transport.broker.attach(this);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const id of [...this.awaiting.keys()]) this.giveUp(id, 'node_unreachable');
    await this.transport.broker.detach();
  }

  /**
   * Applies `action` to `target` on the other nodes and adds their counts to `result`, which it
   * returns (at once when there are no other nodes).
   */
  forward<R extends ClusterCount>(
    target: DeliveryTarget,
    action: DeliveryAction,
    result: R,
  ): R | Promise<R> {
    if (!this.transport.broker.distributed) return result;
    return new Promise((resolve) => {
      this.queue.push({
        queuedAt: performance.now(),
        target,
        action: encodeAction(action),
        result,
        resolve: () => resolve(result),
      });
      if (!this.routing) {
        this.routing = true;
        setImmediate(() => void this.routeQueued());
      }
    });
  }

  receive(from: string, body: unknown): void {
    // Called from the broker's event handlers, where a throw would break the subscription or the
    // process: a message this node cannot apply is logged and dropped.
    try {
      const message = decodeClusterMessage(body);
      if (!message) {
        this.logger.warn(`Dropped a malformed cluster message from node ${from}`);
      } else if (message.type === 'deliver') {
        this.apply(from, message.items);
      } else if (message.type === 'delivered') {
        this.settle(message.receipts);
      } else {
        this.local.acknowledged(message.counts);
      }
    } catch (err) {
      this.logger.warn(`Dropped a cluster message it could not apply: ${String(err)}`);
    }
  }

  missed(): void {
    this.local.catchUp();
  }

  /** Sends another node the counts of delivery acks its pushes got here. */
  reportAcks(node: string, counts: [id: string, acked: number][]): void {
    const message: ClusterMessage = { type: 'acked', counts };
    this.transport.broker
      .publish(node, message)
      .catch((err) => this.logger.debug(`Could not report acks to node ${node}: ${err}`));
  }

  /**
   * Applies another node's requests to the connections here, and answers: once a membership
   * change took effect here, so that the join or leave it answers is done when it resolves.
   */
  private apply(from: string, items: DeliverItem[]): void {
    const applying: Promise<void>[] = [];
    const receipts = items.map((item): DeliveryReceipt => {
      const action = decodeAction(item, from);
      if (!action) return [item.id, 0, 0];
      const { delivered, dropped, applied } = this.local.deliver(targetOf(item), action);
      if (applied) applying.push(applied);
      return [item.id, delivered, dropped];
    });
    const answer = (): void => {
      const message: ClusterMessage = { type: 'delivered', receipts };
      this.transport.broker
        .publish(from, message)
        .catch((err) => this.logger.debug(`Could not answer node ${from}: ${err}`));
    };
    if (applying.length === 0) answer();
    else void Promise.all(applying).then(answer);
  }

  /** Counts another node's receipts into the sends they answer. */
  private settle(receipts: DeliveryReceipt[]): void {
    for (const [id, delivered, dropped] of receipts) {
      const send = this.awaiting.get(id);
      if (!send) continue;
      send.result.delivered += delivered;
      send.result.dropped += dropped;
      send.receipts--;
      this.resolveIfDone(id, send);
    }
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
      for (const send of batch) {
        send.result.incomplete ??= 'node_unreachable';
        send.resolve();
      }
    }
    if (this.queue.length > 0) {
      setImmediate(() => void this.routeQueued());
    } else {
      this.routing = false;
    }
  }

  private async route(batch: QueuedSend[]): Promise<void> {
    // Every send resolves within the timeout of when it was queued, whatever it waited for: a
    // batch ahead of it, the lookup, the receipts.
    const deadline = batch[0].queuedAt + this.timeoutMs;
    const users = new Set<string>();
    for (const { target } of batch) {
      if ('users' in target) for (const user of target.users) users.add(user);
    }
    let located: Map<string, string[]>;
    // Users whose presence could not be read (their shard is down): their sends are incomplete,
    // the others' go out.
    let unreachable: ReadonlySet<string> = new Set();
    try {
      located = users.size === 0 ? new Map() : await this.locate([...users], deadline);
    } catch (err) {
      increment(this.stats.clusterErrors, 'lookup');
      if (!(err instanceof PartialLookupError)) {
        for (const send of batch) {
          send.result.incomplete = 'backplane_unavailable';
          send.resolve();
        }
        return;
      }
      located = err.located;
      unreachable = err.unreachable;
    }

    const perNode = new Map<string, DeliverItem[]>();
    const perRoom = new Map<string, DeliverItem[]>();
    const broadcasts: DeliverItem[] = [];
    const started: number[] = [];
    for (const send of batch) {
      const id = ++this.nextId;
      const { target, action } = send;
      let publishing = 1;
      if ('all' in target) {
        broadcasts.push({ id, ...action, all: true });
      } else if ('room' in target) {
        const item: DeliverItem = { id, ...action, room: target.room };
        if (target.except?.length) item.except = [...target.except];
        append(perRoom, target.room, item);
      } else {
        if ('users' in target && target.users.some((user) => unreachable.has(user))) {
          send.result.incomplete = 'backplane_unavailable';
        }
        const items = this.itemsPerNode(id, send, located);
        if (items.size === 0) {
          send.resolve();
          continue;
        }
        for (const [node, item] of items) append(perNode, node, item);
        publishing = items.size;
      }
      this.awaiting.set(id, {
        result: send.result,
        resolve: send.resolve,
        publishing,
        receipts: 0,
      });
      started.push(id);
    }
    if (started.length === 0) return;

    const { broker } = this.transport;
    // A room's message goes only to the nodes subscribed to it: those holding members.
    for (const [room, items] of perRoom) {
      for (const chunk of chunks(items)) {
        this.timed(broker.publishTo(roomChannel(room), deliverMessage(chunk))).then(
          (reached) => this.published(chunk, reached),
          () => this.published(chunk, 0, 'backplane_unavailable'),
        );
      }
    }
    for (const [node, items] of perNode) {
      for (const chunk of chunks(items)) {
        this.timed(broker.publish(node, deliverMessage(chunk))).then(
          (reached) => this.published(chunk, reached ? 1 : 0, 'node_unreachable'),
          () => this.published(chunk, 0, 'backplane_unavailable'),
        );
      }
    }
    for (const chunk of chunks(broadcasts)) {
      this.timed(broker.publishAll(deliverMessage(chunk))).then(
        (reached) => this.published(chunk, reached),
        () => this.published(chunk, 0, 'backplane_unavailable'),
      );
    }
    setTimeout(
      () => {
        for (const id of started) this.giveUp(id, 'node_unreachable');
      },
      Math.max(0, deadline - performance.now()),
    ).unref();
  }

  /** Where the users' connections are, or a rejection once `deadline` has passed. */
  private async locate(users: string[], deadline: number): Promise<Map<string, string[]>> {
    const lookup = this.transport.presence.locate(users);
    lookup.catch(() => undefined);
    if (!(await settlesWithin(lookup, Math.max(0, deadline - performance.now())))) {
      throw new Error('presence lookup timed out');
    }
    return lookup;
  }

  /** Splits a send to users or connections into one item per node other than this one. */
  private itemsPerNode(
    id: number,
    { target, action }: QueuedSend,
    located: Map<string, string[]>,
  ): Map<string, DeliverItem> {
    const items = new Map<string, DeliverItem>();
    const add = (node: string, field: 'users' | 'connectionIds', value: string): void => {
      if (node === this.nodeId) return;
      let item = items.get(node);
      if (!item) items.set(node, (item = { id, ...action, [field]: [] }));
      const list = item[field]!;
      if (list[list.length - 1] !== value) list.push(value);
    };
    if ('users' in target) {
      for (const user of target.users) {
        for (const node of located.get(user) ?? []) add(node, 'users', user);
      }
    } else if ('connectionIds' in target) {
      for (const connectionId of target.connectionIds) {
        add(nodeOf(connectionId), 'connectionIds', connectionId);
      }
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
  private published(items: DeliverItem[], nodes: number, failure?: Incomplete): void {
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
      send.resolve();
    }
  }

  private giveUp(id: number, reason: Incomplete): void {
    const send = this.awaiting.get(id);
    if (!send) return;
    this.awaiting.delete(id);
    send.result.incomplete ??= reason;
    send.resolve();
  }
}

function append<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

/** An action as it travels between nodes. */
function encodeAction(action: DeliveryAction): ItemAction {
  if ('close' in action) return { close: action.close };
  if ('membership' in action) return { membership: action.membership };
  const { frame, stamp, ack } = action;
  return {
    frame: frame.toString(),
    ...(stamp && { stamp: [stamp.stream, stamp.epoch, stamp.offset] }),
    ...(ack && { ack: [ack.id, ack.timeoutMs] }),
  };
}

/** The action an item from another node asks for, if it asks for one. */
function decodeAction(item: DeliverItem, from: string): DeliveryAction | undefined {
  if (item.close) return { close: item.close };
  if (item.membership) return { membership: item.membership };
  if (item.frame === undefined) return undefined;
  const { stamp, ack } = item;
  return {
    frame: Buffer.from(item.frame),
    stamp: stamp && { stream: stamp[0], epoch: stamp[1], offset: stamp[2], room: item.room },
    ack: ack && { id: ack[0], timeoutMs: ack[1], origin: from },
  };
}

/** Who an item from another node is for. */
function targetOf({ all, room, except, connectionIds, users }: DeliverItem): DeliveryTarget {
  if (all) return { all };
  if (room !== undefined) return { room, except };
  if (connectionIds) return { connectionIds };
  return { users: users ?? [] };
}

function deliverMessage(items: DeliverItem[]): ClusterMessage {
  return { type: 'deliver', items };
}

/** The items in messages of at most {@link MAX_ITEMS_PER_MESSAGE}. */
function chunks(items: DeliverItem[]): DeliverItem[][] {
  if (items.length <= MAX_ITEMS_PER_MESSAGE) return items.length === 0 ? [] : [items];
  const result: DeliverItem[][] = [];
  for (let i = 0; i < items.length; i += MAX_ITEMS_PER_MESSAGE) {
    result.push(items.slice(i, i + MAX_ITEMS_PER_MESSAGE));
  }
  return result;
}
