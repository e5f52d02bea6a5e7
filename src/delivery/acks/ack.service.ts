import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ClusterRouterService } from '../../cluster/cluster-router.service.js';
import type { ChatConnection } from '../../connection/chat-connection.js';
import { CHAT_OPTIONS } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';

/** A push of this node that waits for its acks. */
interface Awaited {
  /** Connections that confirmed, here; other nodes report counts. */
  confirmed: Set<string>;
  remote: number;
  /** Connections the push was handed to, once the send knows (across the cluster). */
  expected: number | undefined;
  resolve: (acked: number) => void;
  timer: NodeJS.Timeout;
}

/** Another node's push that this node delivered: its acks here go back to that node. */
interface Relayed {
  origin: string;
  confirmed: Set<string>;
  timer: NodeJS.Timeout;
}

/** @internal How a push that waits for acks is tracked, for the send that made it. */
export interface PendingAck {
  readonly id: string;
  /** Resolves with how many connections confirmed, once all `delivered` have or at the timeout. */
  settle(delivered: number): Promise<number>;
}

/**
 * @internal Delivery acks: a push sent with `ackTimeoutMs` carries an `id`, each client confirms
 * it with `{"event":"ack","id":…}`, and the send result counts the connections that did within
 * the timeout, across the cluster. A node that delivered another node's push relays the acks it
 * gets to that node as they come. A client that never acks loses nothing for it.
 */
@Injectable()
export class AckService implements OnModuleDestroy {
  private readonly awaited = new Map<string, Awaited>();
  private readonly relayed = new Map<string, Relayed>();
  /** Acks to relay, per origin node, sent together at the end of the turn. */
  private readonly outgoing = new Map<string, Map<string, number>>();
  private flushScheduled = false;
  private sequence = 0;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly router: ClusterRouterService,
  ) {}

  onModuleDestroy(): void {
    for (const awaited of this.awaited.values()) clearTimeout(awaited.timer);
    for (const relayed of this.relayed.values()) clearTimeout(relayed.timer);
  }

  /** Starts waiting for the acks of a new push, at most `timeoutMs`. */
  open(timeoutMs: number): PendingAck {
    const id = `${this.options.nodeId}.${(++this.sequence).toString(36)}`;
    let resolve!: (acked: number) => void;
    const done = new Promise<number>((settle) => (resolve = settle));
    const awaited: Awaited = {
      confirmed: new Set(),
      remote: 0,
      expected: undefined,
      resolve,
      timer: setTimeout(() => this.finish(id), timeoutMs),
    };
    awaited.timer.unref();
    this.awaited.set(id, awaited);
    return {
      id,
      settle: (delivered) => {
        awaited.expected = delivered;
        this.finishIfComplete(id, awaited);
        return done;
      },
    };
  }

  /** Relays the acks of another node's push, delivered here, for at most `timeoutMs`. */
  relay(id: string, origin: string, timeoutMs: number): void {
    if (this.relayed.has(id)) return;
    const timer = setTimeout(() => this.relayed.delete(id), timeoutMs);
    timer.unref();
    this.relayed.set(id, { origin, confirmed: new Set(), timer });
  }

  /** A client confirmed a push; each connection counts once. */
  confirm(connection: ChatConnection, id: string): void {
    const awaited = this.awaited.get(id);
    if (awaited) {
      awaited.confirmed.add(connection.id);
      this.finishIfComplete(id, awaited);
      return;
    }
    const relayed = this.relayed.get(id);
    if (!relayed || relayed.confirmed.has(connection.id)) return;
    relayed.confirmed.add(connection.id);
    let counts = this.outgoing.get(relayed.origin);
    if (!counts) this.outgoing.set(relayed.origin, (counts = new Map()));
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Counts another node relayed. */
  remote(counts: readonly [id: string, acked: number][]): void {
    for (const [id, acked] of counts) {
      const awaited = this.awaited.get(id);
      if (!awaited) continue;
      awaited.remote += acked;
      this.finishIfComplete(id, awaited);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [origin, counts] of this.outgoing) this.router.reportAcks(origin, [...counts]);
    this.outgoing.clear();
  }

  private finishIfComplete(id: string, awaited: Awaited): void {
    const acked = awaited.confirmed.size + awaited.remote;
    if (awaited.expected !== undefined && acked >= awaited.expected) this.finish(id);
  }

  private finish(id: string): void {
    const awaited = this.awaited.get(id);
    if (!awaited) return;
    this.awaited.delete(id);
    clearTimeout(awaited.timer);
    awaited.resolve(awaited.confirmed.size + awaited.remote);
  }
}
