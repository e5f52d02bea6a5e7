import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { roomChannel } from '../../cluster/room-channel.js';
import { ChatEventsService } from '../../connection/chat-events.service.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import { CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';

/** The rooms of a user who has connections here, once they are known. */
interface UserRooms {
  /**
   * Undefined while the user is in no room: most users are in none, and an empty Set would cost
   * each of them about 150 bytes of heap.
   */
  rooms: Set<string> | undefined;
  /**
   * Settles once `rooms` was read from the membership store; then the shared `LOADED`, so that
   * no settled promise is kept per user.
   */
  loaded: Promise<void>;
}

/** Stands for a read of a user's rooms that is being started, or that is over. */
const LOADED: Promise<void> = Promise.resolve();
const NO_ROOMS: ReadonlySet<string> = new Set();

/**
 * @internal The rooms of the users connected to this node, and the broker channels that follow
 * from them: the node subscribes to a room's channel while it holds at least one member's
 * connection, and only then, so a room's messages reach only the nodes that hold its members.
 *
 * A user's rooms are read from the membership store when their first connection here opens (the
 * read comes after the connection joined the presence, so a join made elsewhere meanwhile is
 * either in the read or announced to this node), kept up to date by the membership changes that
 * nodes announce, and forgotten when their last connection here ends.
 */
@Injectable()
export class RoomRegistryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RoomRegistryService.name);
  private readonly users = new Map<string, UserRooms>();
  /** Local members of each room that has any. */
  private readonly members = new Map<string, Set<string>>();
  /** The subscription of each room that has local members, settled once it is in effect. */
  private readonly subscriptions = new Map<string, Promise<void>>();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly registry: ClientRegistryService,
    private readonly events: ChatEventsService,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.events.connections.subscribe((event) => {
      if (event.type === 'disconnected' && this.registry.of(event.user).length === 0) {
        this.forget(event.user);
      }
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /**
   * The rooms of a user with a connection here, read once and then kept up to date; the node is
   * subscribed to each of them when this resolves.
   */
  async roomsOf(user: string): Promise<ReadonlySet<string>> {
    let entry = this.users.get(user);
    if (!entry) {
      const created: UserRooms = { rooms: undefined, loaded: LOADED };
      created.loaded = this.load(user, created);
      this.users.set(user, (entry = created));
    }
    await entry.loaded;
    return entry.rooms ?? NO_ROOMS;
  }

  /** The users with a connection here who are members of `room`. */
  membersHere(room: string): ReadonlySet<string> | undefined {
    return this.members.get(room);
  }

  /** Every room with a member connected here. */
  roomsHere(): IterableIterator<string> {
    return this.members.keys();
  }

  /**
   * Applies a membership change made anywhere to a user held here, once the user's rooms are
   * known and, for a join, once this node's subscription to the room is in effect. `applied` runs
   * in the same step as the change, so that no message of the room can reach the user's
   * connections here between them. Resolves true when the user is held here.
   */
  async apply(user: string, room: string, member: boolean, applied: () => void): Promise<boolean> {
    const entry = this.users.get(user);
    if (!entry) return false;
    await entry.loaded;
    if (this.users.get(user) !== entry) return false;
    if (!member) {
      this.remove(user, room, entry);
      applied();
      return true;
    }
    return this.add(user, room, entry, applied);
  }

  private async load(user: string, entry: UserRooms): Promise<void> {
    try {
      const names = await this.transport.membership.roomsOf(user);
      // Most users are in no room: no Promise.all then, since this runs on every first connection.
      if (names.length > 0) await Promise.all(names.map((room) => this.add(user, room, entry)));
    } catch (err) {
      this.logger.debug(`Could not read the rooms of ${user}: ${String(err)}`);
    } finally {
      entry.loaded = LOADED;
    }
  }

  /**
   * Makes `user` a member here once the node gets the room's messages: not before, or a message
   * could reach a connection that does not know the room yet.
   */
  private async add(
    user: string,
    room: string,
    entry: UserRooms,
    applied?: () => void,
  ): Promise<boolean> {
    for (;;) {
      const subscribed = this.subscribed(room);
      await subscribed;
      // The user's last connection may have ended meanwhile: nothing to keep then.
      if (this.users.get(user) !== entry) {
        if (!this.members.has(room)) this.dropSubscription(room);
        return false;
      }
      // The room's last member here left meanwhile, which ended that subscription: again.
      if (this.subscriptions.get(room) === subscribed) break;
    }
    (entry.rooms ??= new Set()).add(room);
    let members = this.members.get(room);
    if (!members) this.members.set(room, (members = new Set()));
    members.add(user);
    applied?.();
    return true;
  }

  /** This node's subscription to a room, made if there is none, settled once in effect. */
  private subscribed(room: string): Promise<void> {
    let subscribed = this.subscriptions.get(room);
    if (!subscribed) {
      subscribed = this.transport.broker
        .subscribe(roomChannel(room))
        .catch((err: unknown) => this.logger.warn(`Could not subscribe to room ${room}: ${err}`));
      this.subscriptions.set(room, subscribed);
    }
    return subscribed;
  }

  private remove(user: string, room: string, entry: UserRooms): void {
    entry.rooms?.delete(room);
    if (entry.rooms?.size === 0) entry.rooms = undefined;
    const members = this.members.get(room);
    if (!members?.delete(user) || members.size > 0) return;
    this.members.delete(room);
    this.dropSubscription(room);
  }

  private dropSubscription(room: string): void {
    if (!this.subscriptions.delete(room)) return;
    this.transport.broker
      .unsubscribe(roomChannel(room))
      .catch((err: unknown) => this.logger.debug(`Could not unsubscribe from ${room}: ${err}`));
  }

  private forget(user: string): void {
    const entry = this.users.get(user);
    if (!entry) return;
    this.users.delete(user);
    for (const room of [...(entry.rooms ?? [])]) this.remove(user, room, entry);
  }
}
