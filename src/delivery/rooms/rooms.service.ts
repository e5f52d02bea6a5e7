import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterRouterService } from '../../cluster/cluster-router.service.js';
import type { DeliveryAction } from '../../cluster/local-deliverer.js';
import { ChatStatsService } from '../../common/chat-stats.service.js';
import { ClientRegistryService } from '../../connection/client-registry.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { ServerEvent } from '../../protocol/events.js';
import { pushHead, storedPushSuffix } from '../../protocol/frames.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import type { StreamPosition } from '../../transports/history-store.interface.js';
import { DispatchService } from '../dispatch.service.js';
import { LocalDeliveryService } from '../local-delivery.service.js';
import { payloadJson } from '../payload-json.js';
import { pushOptions } from '../push-options.js';
import type { PushOptions, SendResult } from '../send-result.js';
import { storePush } from '../streams/store-push.js';
import { roomStream } from '../streams/stream-names.js';
import { isValidUserId } from '../../auth/user-id.js';
import { isValidRoomId, MAX_ROOM_ID_LENGTH } from './room-id.js';

/** Options of {@link RoomsService.sendToRoom}. */
export interface RoomSendOptions extends PushOptions {
  /** Members who do not get it, e.g. the sender. */
  except?: string | readonly string[];
  /**
   * Do not store it in the room's stream: delivered at most once, to the connections live now.
   * @default false
   */
  volatile?: boolean;
}

/** What {@link RoomsService.sendToRoom} reports: a send's result, for a room. */
export interface RoomSendResult extends SendResult {
  room: string;
}

/** A member of a room, as {@link RoomsService.members} lists them. */
export interface RoomMember {
  user: string;
  /** Whether the user has a live connection anywhere in the cluster. */
  online: boolean;
}

/**
 * The data of a room's `presence` event (`roomPresence`). Without `member` it says a member came
 * online anywhere or went offline everywhere; with it, that `user` joined (`true`) or left
 * (`false`) the room, and `online` is whether they are online now.
 */
export interface RoomPresenceData {
  user: string;
  online: boolean;
  member?: boolean;
}

/**
 * Rooms that belong to users, not to connections: a member stays one while offline, on every
 * device and every node, and needs no rejoin after a reconnect. Every live connection of a
 * member gets the room's messages, each once; a room message is stored once in the room's
 * stream (not once per member) and published once, to the nodes that hold members.
 *
 * A room push reaches the client as `{"event":"message","room":"<room>","data":…}`, stored ones
 * with `"offset"` and `"epoch"` (the room's stream position), and a reconnecting client recovers
 * what it missed in each room as in its own stream. Room ids follow the rules of user ids.
 */
@Injectable()
export class RoomsService {
  private readonly logger = new Logger(RoomsService.name);

  /** @internal */
  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly local: LocalDeliveryService,
    private readonly router: ClusterRouterService,
    private readonly dispatcher: DispatchService,
    private readonly stats: ChatStatsService,
    private readonly registry: ClientRegistryService,
  ) {}

  /**
   * Makes `user` a member of `room` (nothing changes if they are one). Their live connections,
   * wherever they are, start getting the room's messages, and are told with a `room` frame; when
   * this resolves they have been, so a message sent next reaches them after that frame. With
   * `roomPresence`, the other members get a `presence` event with `member: true`.
   * @throws TypeError for an invalid room or user id.
   */
  async join(room: string, user: string): Promise<void> {
    check(room, user);
    if (!(await this.transport.membership.add(room, user))) return;
    const limits = this.options.history;
    // Where the room stood at the join: the user's connections get what follows it.
    const position = limits && (await this.transport.history.position(roomStream(room), limits));
    await this.announce(user, { membership: { room, member: true, position } });
    await this.tellMembers(room, user, true);
  }

  /**
   * Ends the membership of `user` in `room` (nothing changes if there is none); their live
   * connections stop getting the room's messages. With `roomPresence`, the remaining members get
   * a `presence` event with `member: false`.
   * @throws TypeError for an invalid room or user id.
   */
  async leave(room: string, user: string): Promise<void> {
    check(room, user);
    if (!(await this.transport.membership.remove(room, user))) return;
    await this.announce(user, { membership: { room, member: false } });
    await this.tellMembers(room, user, false);
  }

  /**
   * Pushes `payload` to every live connection of every member of `room` (but `except`), across
   * the cluster; with history, stores it once in the room's stream first.
   * @throws TypeError for an invalid room id, a payload with no JSON form, or invalid options
   * (see {@link PushOptions}).
   */
  async sendToRoom(
    room: string,
    payload: unknown,
    options: RoomSendOptions = {},
  ): Promise<RoomSendResult> {
    check(room);
    const json = payloadJson(payload);
    const { event, ackTimeoutMs } = pushOptions(options);
    const except = typeof options.except === 'string' ? [options.except] : options.except;
    const target = { room, except };
    const head = pushHead(json, event, room);
    const limits = this.options.history;
    let position: StreamPosition | undefined;
    let frame: Buffer | undefined;
    let incomplete: SendResult['incomplete'];
    if (limits && !options.volatile) {
      try {
        ({ frame, ...position } = await storePush(
          this.transport.history,
          roomStream(room),
          head,
          limits,
          storedPushSuffix,
          ackTimeoutMs,
        ));
        this.stats.storedPushes++;
      } catch (err) {
        this.logger.debug(`Could not store a push for room ${room}: ${String(err)}`);
        incomplete = 'backplane_unavailable';
      }
    }
    const stamp = position && { stream: roomStream(room), ...position, room };
    const result: RoomSendResult = {
      room,
      ...(await this.dispatcher.push(target, head, stamp, ackTimeoutMs, frame)),
    };
    if (incomplete) result.incomplete ??= incomplete;
    if (position) Object.assign(result, position);
    return result;
  }

  /**
   * The members of `room`, each with whether they are online anywhere in the cluster. While the
   * cluster backplane is unreachable, `online` counts this process only.
   */
  async members(room: string): Promise<RoomMember[]> {
    check(room);
    const users = (await this.transport.membership.members(room)).sort();
    const online = await this.online(users);
    return users.map((user) => ({ user, online: online(user) }));
  }

  /** Every room `user` is a member of. */
  async roomsOf(user: string): Promise<string[]> {
    check(undefined, user);
    return (await this.transport.membership.roomsOf(user)).sort();
  }

  /** Applies a membership change to the user's connections everywhere; settles once it has. */
  private async announce(user: string, action: DeliveryAction): Promise<void> {
    const target = { users: [user] };
    const local = this.local.deliver(target, action);
    await Promise.all([local.applied, this.router.forward(target, action, local)]);
  }

  /**
   * With `roomPresence`, tells the room's other members that `user` joined or left. The change
   * itself has happened whatever becomes of this, so a failure is logged, not thrown.
   */
  private async tellMembers(room: string, user: string, member: boolean): Promise<void> {
    if (!this.options.roomPresence) return;
    try {
      const online = (await this.online([user]))(user);
      const data: RoomPresenceData = { user, online, member };
      await this.sendToRoom(room, data, {
        event: ServerEvent.Presence,
        volatile: true,
        except: user,
      });
    } catch (err) {
      this.logger.warn(
        `Could not tell room ${room} that ${user} ${member ? 'joined' : 'left'}: ${String(err)}`,
      );
    }
  }

  /** Whether each of `users` is online in the cluster; this process's view if it is unreachable. */
  private async online(users: string[]): Promise<(user: string) => boolean> {
    try {
      const located = await this.transport.presence.locate(users);
      return (user) => (located.get(user)?.length ?? 0) > 0;
    } catch (err) {
      this.logger.debug(`Presence query failed, answering for this process: ${String(err)}`);
      return (user) => this.registry.of(user).length > 0;
    }
  }
}

function check(room: string | undefined, user?: string): void {
  if (room !== undefined && !isValidRoomId(room)) {
    throw new TypeError(
      `invalid room id: it must be 1 to ${MAX_ROOM_ID_LENGTH} characters with no control characters`,
    );
  }
  if (user !== undefined && !isValidUserId(user)) {
    throw new TypeError(
      'invalid user id: it must be 1 to 128 characters with no control characters',
    );
  }
}
