import { Injectable } from '@nestjs/common';
import type { DeliveryTarget } from '../cluster/cluster-message.js';
import { ClusterRouterService } from '../cluster/cluster-router.service.js';
import type { DeliveryAction } from '../cluster/local-deliverer.js';
import { ChatStatsService } from '../common/chat-stats.service.js';
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
    private readonly stats: ChatStatsService,
  ) {}

  dispatch(target: DeliveryTarget, action: DeliveryAction): SendResult | Promise<SendResult> {
    const forwarded = this.router.forward<SendResult>(
      target,
      action,
      this.local.deliver(target, action),
    );
    if (!(forwarded instanceof Promise)) return this.recorded(forwarded);
    return forwarded.then((result) => this.recorded(result));
  }

  private recorded(result: SendResult): SendResult {
    this.stats.recordSend(result);
    return result;
  }
}
