import { Injectable } from '@nestjs/common';
import type { DeliveryTarget } from '../cluster/cluster-message.js';
import { ClusterRouterService } from '../cluster/cluster-router.service.js';
import type { DeliveryAction } from '../cluster/local-deliverer.js';
import { ChatStatsService } from '../common/chat-stats.service.js';
import type { StreamStamp } from '../connection/held-frame.js';
import { storedPushText, withAckId } from '../protocol/frames.js';
import { AckService } from './acks/ack.service.js';
import { LocalDeliveryService } from './local-delivery.service.js';
import type { SendResult } from './send-result.js';

/**
 * @internal Takes an action to its target everywhere: the connections here first, then, through
 * the router, the other nodes that hold any, and counts the outcome. In a single process that is
 * all synchronous: no promise beyond the one the caller of the public method gets.
 */
@Injectable()
export class DispatchService {
  constructor(
    private readonly local: LocalDeliveryService,
    private readonly router: ClusterRouterService,
    private readonly acks: AckService,
    private readonly stats: ChatStatsService,
  ) {}

  /**
   * Pushes a frame from its head (see `pushHead`): stored when it has a stamp (and then with the
   * room's epoch, for a room), and asking for delivery acks when `ackTimeoutMs` is given; the
   * result then counts the connections that confirmed (`acked`). `ackTimeoutMs` is checked by
   * `pushOptions`. `frame`, when given, is the stored push's frame that the history made already
   * (see `HistoryStore.appendFrame`); a push asking for acks never has one.
   */
  push(
    target: DeliveryTarget,
    head: string,
    stamp: StreamStamp | undefined,
    ackTimeoutMs: number | undefined,
    frame?: Buffer,
  ): SendResult | Promise<SendResult> {
    if (ackTimeoutMs === undefined) {
      return this.dispatch(target, frame ? { frame, stamp } : this.action(head, stamp));
    }
    const pending = this.acks.open(ackTimeoutMs);
    const action = {
      ...this.action(withAckId(head, pending.id), stamp),
      ack: { id: pending.id, timeoutMs: ackTimeoutMs },
    };
    return Promise.resolve(this.dispatch(target, action)).then(async (result) => {
      result.acked = await pending.settle(result.delivered);
      return result;
    });
  }

  dispatch(target: DeliveryTarget, action: DeliveryAction): SendResult | Promise<SendResult> {
    const forwarded = this.router.forward<SendResult>(
      target,
      action,
      this.local.deliver(target, action),
    );
    if (!(forwarded instanceof Promise)) return this.recorded(forwarded);
    return forwarded.then((result) => this.recorded(result));
  }

  private action(
    head: string,
    stamp: StreamStamp | undefined,
  ): { frame: Buffer; stamp?: StreamStamp } {
    const text = stamp
      ? storedPushText(head, stamp.offset, stamp.room === undefined ? undefined : stamp.epoch)
      : `${head}}`;
    return { frame: Buffer.from(text), stamp };
  }

  private recorded(result: SendResult): SendResult {
    this.stats.recordSend(result);
    return result;
  }
}
