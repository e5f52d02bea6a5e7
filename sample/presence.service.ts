import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { MessagingService, type ConnectionEvent } from '../src/index.js';

/** The push every connection gets when a user comes online or goes offline. */
export interface PresenceChange {
  type: 'presence';
  user: string;
  online: boolean;
}

/**
 * Live presence for the browser page: when a user's online state changes, every connection gets
 * `{"type":"presence","user":…,"online":…}`. A user's second device coming or going changes
 * nothing, so it announces nothing.
 *
 * Each connection event only says "look at this user again": the state comes from `isOnline`,
 * asked after the event, one user's checks strictly in order. So a late answer cannot overwrite a
 * newer one even when `isOnline` goes over the network, and a replacement (old connection out,
 * new one in, in one synchronous step) is checked once it is complete and announces nothing.
 *
 * In a cluster each process sees the events of its own connections and announces from them. It
 * remembers what it announced only while it holds a connection of the user: past that, another
 * process sees the user's changes and the memory would go stale. A user on two processes at once
 * is announced by each, which is harmless since a push states the whole state.
 */
@Injectable()
export class PresenceService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PresenceService.name);
  /** Users this process last announced online. */
  private readonly announced = new Set<string>();
  /** Live connections of each user on this process. */
  private readonly local = new Map<string, number>();
  /** The last check queued for each user; the entry goes when it has run. */
  private readonly checks = new Map<string, Promise<void>>();
  private subscription: Subscription | undefined;

  constructor(private readonly messaging: MessagingService) {}

  onApplicationBootstrap(): void {
    this.subscription = this.messaging.connections$.subscribe((event) => this.observe(event));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private observe({ type, user }: ConnectionEvent): void {
    const count = (this.local.get(user) ?? 0) + (type === 'connected' ? 1 : -1);
    if (count > 0) this.local.set(user, count);
    else this.local.delete(user);
    const check = (this.checks.get(user) ?? Promise.resolve())
      .then(() => this.update(user))
      .catch((err: unknown) =>
        this.logger.error(`Presence of ${user} failed: ${(err as Error)?.stack ?? String(err)}`),
      )
      .finally(() => {
        if (this.checks.get(user) === check) this.checks.delete(user);
      });
    this.checks.set(user, check);
  }

  private async update(user: string): Promise<void> {
    const online = await this.messaging.isOnline(user);
    const wasAnnounced = this.announced.has(user);
    const holds = this.local.has(user);
    if (online && holds) this.announced.add(user);
    else this.announced.delete(user);
    // "Online" comes from a process that holds a connection of the user, "offline" from the one
    // that announced it, once the user is gone everywhere.
    if (online ? holds && !wasAnnounced : wasAnnounced) {
      const change: PresenceChange = { type: 'presence', user, online };
      await this.messaging.broadcast(change);
    }
  }
}
