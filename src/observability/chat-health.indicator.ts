import { Injectable } from '@nestjs/common';
import { ChatHealthService, type ChatHealth } from './chat-health.service.js';

/**
 * What {@link ChatHealthIndicator.isHealthy} returns: the shape of a `@nestjs/terminus`
 * `HealthIndicatorResult`, with the gateway's {@link ChatHealth} as the details.
 */
export type ChatHealthIndicatorResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down' } & Omit<ChatHealth, 'live'>
>;

/**
 * The gateway as a `@nestjs/terminus` health indicator: up while the node is ready (not shutting
 * down, backplane reachable), down otherwise, with the details either way.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.chat.isHealthy('chat')]); }
 * ```
 *
 * It needs nothing from terminus at run time (a result whose status is `down` is what terminus
 * turns into a 503), so applications without terminus can use it too.
 */
@Injectable()
export class ChatHealthIndicator {
  /** @internal */
  constructor(private readonly health: ChatHealthService) {}

  isHealthy<Key extends string = 'chat'>(key: Key = 'chat' as Key): ChatHealthIndicatorResult<Key> {
    const { ready, shuttingDown, backplane, connections } = this.health.check();
    return {
      [key]: { status: ready ? 'up' : 'down', ready, shuttingDown, backplane, connections },
    } as ChatHealthIndicatorResult<Key>;
  }
}
