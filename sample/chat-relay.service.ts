import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import {
  isValidRoomId,
  isValidUserId,
  MessagingService,
  RoomsService,
  type IncomingFrame,
} from '../src/index.js';

/** Longest chat text the relay accepts. */
export const MAX_CHAT_TEXT = 4000;

/** Longest `id` a client may put on a chat frame for the relay to echo. */
export const MAX_CHAT_ID = 64;

/**
 * Direct messages between users, built on `incoming$`. A client frame
 * `{"event":"chat","data":{"to":"erin","text":"hi"}}` from dave reaches erin as
 * `{"event":"message","data":{"type":"chat","from":"dave","to":"erin","text":"hi","ts":…}}`,
 * dave's own stream gets a copy (with the frame's `id`), and dave's connection gets `{"type":"chat:sent","to":"erin","delivered":n,"ts":…}`. A frame
 * the relay cannot use is answered with `{"type":"rejected","event":…,"reason":…}`.
 *
 * A chat frame may carry an `id`, which both answers echo: they can overtake each other (a
 * rejection is written at once, an acknowledgement after the send), so order alone cannot tell
 * which frame an answer is about.
 */
@Injectable()
export class ChatRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ChatRelayService.name);
  private subscription: Subscription | undefined;

  constructor(
    private readonly messaging: MessagingService,
    private readonly rooms: RoomsService,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.messaging.incoming$.subscribe((frame) => {
      this.handle(frame).catch((err: unknown) =>
        this.logger.error(`Relay failed: ${(err as Error)?.stack ?? String(err)}`),
      );
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private async handle(frame: IncomingFrame): Promise<void> {
    const { to, room, text, id } = (frame.data ?? {}) as Record<string, unknown>;
    const echo = typeof id === 'string' && id.length <= MAX_CHAT_ID ? { id } : {};
    if (frame.event !== 'chat') {
      return this.reject(frame, echo, 'unknown event; this server handles "chat"');
    }
    if (id !== undefined && !('id' in echo)) {
      return this.reject(frame, echo, `"id" must be a string of at most ${MAX_CHAT_ID} characters`);
    }
    if (room === undefined ? !isValidUserId(to) : !isValidRoomId(room)) {
      return this.reject(frame, echo, 'give "to", a valid user id, or "room", a valid room id');
    }
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_CHAT_TEXT) {
      return this.reject(
        frame,
        echo,
        `"text" must be a string of 1 to ${MAX_CHAT_TEXT} characters`,
      );
    }
    const ts = Date.now();
    if (typeof room === 'string') return this.toRoom(frame, room, text, ts, echo);
    if (typeof to !== 'string') return;
    const message = { type: 'chat', from: frame.user, to, text, ts };
    const [{ delivered }] = await Promise.all([
      this.messaging.send(to, message),
      // A copy in the sender's own stream: their other devices see what they wrote, and a page
      // reloaded within the history window gets the whole conversation back.
      ...(to === frame.user ? [] : [this.messaging.send(frame.user, { ...message, ...echo })]),
    ]);
    await this.messaging.sendToConnection(frame.connectionId, {
      type: 'chat:sent',
      ...echo,
      to,
      delivered,
      ts,
    });
  }

  /**
   * A member's message to a room: every member's connections get it, the sender's included (so
   * that their other devices and a reloaded page have it), with the frame's id.
   */
  private async toRoom(
    frame: IncomingFrame,
    room: string,
    text: string,
    ts: number,
    echo: { id?: string },
  ): Promise<void> {
    if (!(await this.rooms.roomsOf(frame.user)).includes(room)) {
      return this.reject(frame, echo, `you are not a member of room ${room}`);
    }
    const { delivered } = await this.rooms.sendToRoom(room, {
      type: 'chat',
      from: frame.user,
      room,
      text,
      ts,
      ...echo,
    });
    await this.messaging.sendToConnection(frame.connectionId, {
      type: 'chat:sent',
      ...echo,
      room,
      delivered,
      ts,
    });
  }

  private async reject(frame: IncomingFrame, echo: { id?: string }, reason: string): Promise<void> {
    await this.messaging.sendToConnection(frame.connectionId, {
      type: 'rejected',
      ...echo,
      event: frame.event,
      reason,
    });
  }
}
