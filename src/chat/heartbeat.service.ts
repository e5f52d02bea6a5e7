import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { CHAT_OPTIONS } from './chat.constants.js';
import type { ChatConnection } from './chat-connection.js';
import type { ResolvedChatOptions } from './chat-options.js';
import { ClientRegistryService } from './client-registry.service.js';
import { ChatStatsService } from './metrics/chat-stats.service.js';

/**
 * Longest a sweep may hold the event loop at a time, in milliseconds: a ping is a write (a system
 * call) per connection, so ten thousand of them in one go would stall every other user's traffic.
 */
const SWEEP_SLICE_MS = 2;
/** Connections checked between two looks at the clock. */
const CLOCK_EVERY = 32;

/**
 * @internal Finds dead peers. One timer serves every connection: each `intervalMs` it pings all
 * of them and terminates those that showed no life (no frame, no pong) for `timeoutMs`, and
 * closes those whose credentials expired (with `closeOnTokenExpiry`). The sweep runs in slices of
 * a couple of milliseconds, so that ten thousand connections do not stall other work.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly stats: ChatStatsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), this.options.heartbeat.intervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    // A sweep that has not finished when the next tick comes (a huge registry) keeps going; the
    // tick is skipped rather than stacking two sweeps.
    if (this.sweeping) return;
    this.sweeping = true;
    const started = performance.now();
    const now = Date.now();
    const deadline = now - this.options.heartbeat.timeoutMs;
    const pending = this.registry.connections();
    const slice = (): void => {
      const sliceEnd = performance.now() + SWEEP_SLICE_MS;
      let checked = 0;
      for (const connection of pending) {
        this.check(connection, now, deadline);
        if (++checked % CLOCK_EVERY === 0 && performance.now() > sliceEnd) {
          setImmediate(slice);
          return;
        }
      }
      this.sweeping = false;
      this.stats.observeSweep?.((performance.now() - started) / 1000);
    };
    slice();
  }

  private check(connection: ChatConnection, now: number, deadline: number): void {
    if (connection.lastSeen < deadline) {
      this.registry.end(connection, 'heartbeat_timeout');
    } else if (
      this.options.closeOnTokenExpiry &&
      connection.expiresAt !== undefined &&
      connection.expiresAt <= now
    ) {
      this.registry.end(connection, 'token_expired');
    } else {
      connection.socket.ping();
    }
  }
}
