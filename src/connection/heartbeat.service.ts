import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { monotonicMs } from '../common/clock.js';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import type { ChatConnection } from './chat-connection.js';
import { ClientRegistryService } from './client-registry.service.js';

/**
 * Connections pinged in one go. A ping is a write (a system call), and each one brings a pong
 * back: pinging thousands at once would stall the loop twice, once writing and once reading.
 */
const SLICE_SIZE = 128;
/** Longest pause between two slices, in milliseconds. */
const MAX_GAP_MS = 20;

/**
 * @internal Finds dead peers. One timer serves every connection: each `intervalMs` it pings all
 * of them and terminates those that showed no life (no frame, no pong) for `timeoutMs`, and
 * closes those whose credentials expired (with `closeOnTokenExpiry`). A sweep pings a slice of
 * connections at a time and spreads the slices over up to a quarter of the interval, so the pings
 * and the pongs they bring back never hold the event loop for more than a moment.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  /** The pause before the next slice of a sweep in progress. */
  private sliceTimer: NodeJS.Timeout | undefined;
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
    clearTimeout(this.sliceTimer);
    this.timer = undefined;
    this.sweeping = false;
  }

  private sweep(): void {
    // A sweep that has not finished when the next tick comes (a huge registry) keeps going; the
    // tick is skipped rather than stacking two sweeps.
    if (this.sweeping) return;
    this.sweeping = true;
    const started = performance.now();
    const now = Date.now();
    const deadline = monotonicMs() - this.options.heartbeat.timeoutMs;
    const slices = Math.ceil(this.registry.size / SLICE_SIZE);
    const gapMs = Math.min(MAX_GAP_MS, this.options.heartbeat.intervalMs / 4 / Math.max(slices, 1));
    const pending = this.registry.all();
    const slice = (): void => {
      let checked = 0;
      for (const connection of pending) {
        this.check(connection, now, deadline);
        if (++checked === SLICE_SIZE) {
          this.sliceTimer = setTimeout(slice, gapMs);
          this.sliceTimer.unref();
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
    } else if (this.options.closeOnTokenExpiry && connection.expiredBy(now)) {
      this.registry.end(connection, 'token_expired');
    } else {
      connection.socket.ping();
    }
  }
}
