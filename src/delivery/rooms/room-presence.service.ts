import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { ChatEventsService } from '../../connection/chat-events.service.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { ServerEvent } from '../../protocol/events.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import { RoomsService, type RoomPresenceData } from './rooms.service.js';

/**
 * @internal Room presence events (`roomPresence`), as Phoenix Presence sends them per topic:
 * when a user comes online anywhere in the cluster, or goes offline everywhere, each room they
 * belong to gets `{"event":"presence","room":"<room>","data":{"user","online"}}`, and nobody
 * else does, so a connect costs as many pushes as the user has rooms, not as many as there are
 * users online. A second device coming or going changes nothing, so it announces nothing.
 *
 * Each connection event here only says "look at this user again": the state comes from the
 * cluster's presence, asked after the event, one user's checks strictly in order, so a late
 * answer never overwrites a newer one. "Online" is announced by a node that holds a connection
 * of the user, "offline" by the node that announced it online, once the user is gone everywhere;
 * a node remembers what it announced only while it holds a connection of the user.
 */
@Injectable()
export class RoomPresenceService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RoomPresenceService.name);
  /** Users this node last announced online. */
  private readonly announced = new Set<string>();
  /** The last check queued for each user; the entry goes when it has run. */
  private readonly checks = new Map<string, Promise<void>>();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly registry: ClientRegistryService,
    private readonly events: ChatEventsService,
    private readonly rooms: RoomsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.roomPresence) return;
    this.subscription = this.events.connections.subscribe(({ user }) => this.recheck(user));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private recheck(user: string): void {
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
    const online = ((await this.transport.presence.locate([user])).get(user)?.length ?? 0) > 0;
    const holds = this.registry.of(user).length > 0;
    const wasAnnounced = this.announced.has(user);
    if (online && holds) this.announced.add(user);
    else this.announced.delete(user);
    if (!(online ? holds && !wasAnnounced : wasAnnounced)) return;
    const data: RoomPresenceData = { user, online };
    const rooms = await this.transport.membership.roomsOf(user);
    await Promise.all(
      rooms.map((room) =>
        this.rooms.sendToRoom(room, data, {
          event: ServerEvent.Presence,
          volatile: true,
          except: user,
        }),
      ),
    );
  }
}
