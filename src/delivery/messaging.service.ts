import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ClusterRouterService } from '../cluster/cluster-router.service.js';
import type { DeliveryAction } from '../cluster/local-deliverer.js';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { andThen, type MaybePromise } from '../common/maybe-promise.js';
import { ChatEventsService } from '../connection/chat-events.service.js';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import type { ConnectionEvent, IncomingFrame } from '../connection/connection-event.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import { pushHead, storedPushSuffix } from '../protocol/frames.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import type { HistoryLimits, StreamPosition } from '../transports/history-store.interface.js';
import { DispatchService } from './dispatch.service.js';
import { LocalDeliveryService } from './local-delivery.service.js';
import { payloadJson } from './payload-json.js';
import { pushOptions } from './push-options.js';
import type { DisconnectResult, PushOptions, SendOptions, SendResult } from './send-result.js';
import { storePush, type StoredPush } from './streams/store-push.js';
import { userStream } from './streams/stream-names.js';

/**
 * Pushes messages to users, for any part of the application. A push reaches the client as
 * `{"event":"message","data":<payload>}` on every live connection of the user, on this process
 * or, in a cluster, on whichever nodes hold the user.
 *
 * With history (the default), `send` and `sendMany` store each push in the user's stream first:
 * it gets the next offset (`{"event":"message","data":…,"offset":n}`), a client that reconnects
 * with its position gets what it missed, and a push to an offline user waits for it within the
 * window. `broadcast` and `sendToConnection` are never stored (a broadcast would cost one entry
 * per user), nor is a send with `{ volatile: true }`.
 *
 * Sending never waits for a client: connections on this process get the frame at once, other
 * nodes in the same event-loop turn, and the promise resolves when they have answered. It never
 * rejects because a user is offline or the cluster is unreachable (see `SendResult.incomplete`);
 * it rejects with a `TypeError` only for a payload that has no JSON form or invalid options (a
 * reserved or malformed `event`, an `ackTimeoutMs` out of range), before anything is stored.
 */
@Injectable()
export class MessagingService {
  /**
   * Application frames from clients of this process that no `@ChatHandler` takes: every inbound
   * frame except the built-in `heartbeat` and `ack`. Handlers must not throw (use rxjs `catchError`): rxjs reports an error thrown by
   * a subscriber as an unhandled exception.
   */
  readonly incoming$: Observable<IncomingFrame>;
  /** Connections joining and leaving this process, with the reason for each departure. */
  readonly connections$: Observable<ConnectionEvent>;
  private readonly logger = new Logger(MessagingService.name);
  /** Undefined when history is off. */
  private readonly history: HistoryLimits | undefined;

  /** @internal */
  constructor(
    @Inject(CHAT_OPTIONS) options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly local: LocalDeliveryService,
    private readonly router: ClusterRouterService,
    private readonly dispatcher: DispatchService,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly stats: ChatStatsService,
    events: ChatEventsService,
  ) {
    this.incoming$ = events.incoming.asObservable();
    this.connections$ = events.connections.asObservable();
    this.history = options.history;
  }

  /**
   * Pushes `payload` to every live connection of `user`; with history, stores it first, and the
   * result names its `offset`.
   */
  async send(user: string, payload: unknown, options?: SendOptions): Promise<SendResult> {
    const { event, ackTimeoutMs } = pushOptions(options);
    const head = pushHead(payloadJson(payload), event);
    if (this.history && !options?.volatile) {
      return this.pushStored(user, head, this.history, ackTimeoutMs);
    }
    return this.dispatcher.push({ users: [user] }, head, undefined, ackTimeoutMs);
  }

  /**
   * Pushes `payload` to every live connection of each user (duplicates count once); with history,
   * into each user's stream, and the result names each user's offset (`offsets`).
   */
  async sendMany(
    users: Iterable<string>,
    payload: unknown,
    options?: SendOptions,
  ): Promise<SendResult> {
    const { event, ackTimeoutMs } = pushOptions(options);
    const head = pushHead(payloadJson(payload), event);
    const unique = [...new Set(users)];
    if (!this.history || options?.volatile) {
      return this.dispatcher.push({ users: unique }, head, undefined, ackTimeoutMs);
    }
    const history = this.history;
    const results = await Promise.all(
      unique.map((user) => this.pushStored(user, head, history, ackTimeoutMs)),
    );
    const total: SendResult = { delivered: 0, dropped: 0, offsets: {} };
    results.forEach((result, i) => {
      total.delivered += result.delivered;
      total.dropped += result.dropped;
      if (result.incomplete) total.incomplete ??= result.incomplete;
      if (result.offset !== undefined) total.offsets![unique[i]] = result.offset;
      if (result.acked !== undefined) total.acked = (total.acked ?? 0) + result.acked;
    });
    return total;
  }

  /** Pushes `payload` to every live connection in the cluster. It is never stored. */
  async broadcast(payload: unknown, options?: PushOptions): Promise<SendResult> {
    const { event, ackTimeoutMs } = pushOptions(options);
    return this.dispatcher.push(
      { all: true },
      pushHead(payloadJson(payload), event),
      undefined,
      ackTimeoutMs,
    );
  }

  /**
   * Pushes `payload` to one connection, e.g. to answer the frame that came from it. It is never
   * stored: it belongs to that connection, not to the user's stream.
   */
  async sendToConnection(
    connectionId: string,
    payload: unknown,
    options?: PushOptions,
  ): Promise<SendResult> {
    const { event, ackTimeoutMs } = pushOptions(options);
    return this.dispatcher.push(
      { connectionIds: [connectionId] },
      pushHead(payloadJson(payload), event),
      undefined,
      ackTimeoutMs,
    );
  }

  /**
   * Ends every connection of `user` in the cluster with close code 4003 ("disconnected by the
   * server"; clients should not reconnect on their own), e.g. on logout or ban. `reason` is sent
   * as the close reason text (cut to 123 bytes). Resolves with how many connections were closed.
   */
  async disconnect(user: string, reason?: string): Promise<DisconnectResult> {
    const target = { users: [user] };
    const action: DeliveryAction = { close: { reason: 'kicked', message: reason } };
    const { delivered, incomplete } = await this.router.forward<SendResult>(
      target,
      action,
      this.local.deliver(target, action),
    );
    return incomplete ? { disconnected: delivered, incomplete } : { disconnected: delivered };
  }

  /**
   * Whether `user` has at least one live connection in the cluster. While the cluster backplane
   * is unreachable it answers for this process only.
   */
  async isOnline(user: string): Promise<boolean> {
    return (await this.connectionCount(user)) > 0;
  }

  /**
   * Number of live connections of `user` in the cluster. While the cluster backplane is
   * unreachable it answers for this process only.
   */
  connectionCount(user: string): Promise<number> {
    return this.askCluster(
      async () => (await this.transport.presence.locate([user])).get(user)?.length ?? 0,
      () => this.registry.of(user).length,
    );
  }

  /**
   * Every user with at least one live connection in the cluster. It lists them all, so keep it
   * for admin pages, small deployments and demos; use `isOnline` for one user. While the cluster
   * backplane is unreachable it answers for this process only.
   */
  onlineUsers(): Promise<string[]> {
    return this.askCluster(
      () => this.transport.presence.users(),
      () => [...this.registry.users()],
    );
  }

  /**
   * Stores a push in the user's stream, then delivers it with its offset. When the store cannot
   * be reached, the push still goes out, unstored, and the result says the backplane failed.
   * With a store in this process, all of it happens within the call.
   */
  private pushStored(
    user: string,
    head: string,
    limits: HistoryLimits,
    ackTimeoutMs: number | undefined,
  ): MaybePromise<SendResult> {
    const stream = userStream(user);
    let appended: MaybePromise<StoredPush>;
    try {
      appended = storePush(
        this.transport.history,
        stream,
        head,
        limits,
        userPushSuffix,
        ackTimeoutMs,
      );
    } catch (err) {
      return this.pushUnstored(user, head, ackTimeoutMs, err);
    }
    if (!(appended instanceof Promise)) {
      return this.pushAt(user, stream, head, appended, ackTimeoutMs);
    }
    return appended.then(
      (position) => this.pushAt(user, stream, head, position, ackTimeoutMs),
      (err: unknown) => this.pushUnstored(user, head, ackTimeoutMs, err),
    );
  }

  /** Delivers a push stored at `position`; the result names the position. */
  private pushAt(
    user: string,
    stream: string,
    head: string,
    { epoch, offset, frame }: StoredPush,
    ackTimeoutMs: number | undefined,
  ): MaybePromise<SendResult> {
    this.stats.storedPushes++;
    const stamp = { stream, epoch, offset };
    const pushed = this.dispatcher.push({ users: [user] }, head, stamp, ackTimeoutMs, frame);
    // Not through andThen, which would make a closure for every stored push.
    if (pushed instanceof Promise) return pushed.then((result) => positioned(result, stamp));
    return positioned(pushed, stamp);
  }

  /** Delivers a push the store did not take; the result says the backplane failed. */
  private pushUnstored(
    user: string,
    head: string,
    ackTimeoutMs: number | undefined,
    err: unknown,
  ): MaybePromise<SendResult> {
    this.logger.debug(`Could not store a push for ${user}: ${String(err)}`);
    return andThen(
      this.dispatcher.push({ users: [user] }, head, undefined, ackTimeoutMs),
      (result) => {
        result.incomplete ??= 'backplane_unavailable';
        return result;
      },
    );
  }

  /** The cluster's answer, or this process's alone when the backplane fails. */
  private async askCluster<T>(cluster: () => Promise<T>, local: () => T): Promise<T> {
    try {
      return await cluster();
    } catch (err) {
      this.logger.debug(`Presence query failed, answering for this process: ${String(err)}`);
      return local();
    }
  }
}

/** The suffix of a push in a user's stream: the user's stream carries no epoch. */
function userPushSuffix(offset: number): string {
  return storedPushSuffix(offset);
}

/** A send result naming where its push was stored. */
function positioned(result: SendResult, { epoch, offset }: StreamPosition): SendResult {
  result.offset = offset;
  result.epoch = epoch;
  return result;
}
