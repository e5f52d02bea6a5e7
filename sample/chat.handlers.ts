import { Injectable, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import {
  ChatBody,
  ChatConnectionId,
  ChatFrame,
  ChatHandler,
  ChatUser,
  MessagingService,
  RoomsService,
  type ClientFrame,
  type SendResult,
} from '../src/index.js';
import { AdminGuard } from './admin.guard.js';
import type { ChatEventData } from './chat-event.js';
import { ChatMessageDto } from './chat-message.dto.js';

/** How long a chat message waits for its recipient's device to confirm it (✓✓ on the page). */
const DELIVERY_ACK_MS = 5000;

/**
 * The demo's handlers of client frames. Each is an ordinary provider method: Nest finds it by its
 * `@ChatHandler`, runs its guards and pipes, and a frame with an `id` gets the return value (or
 * the error) as its `ack`.
 */
@Injectable()
export class ChatHandlers {
  /** `count`'s counter per user, in this process. */
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly messaging: MessagingService,
    private readonly rooms: RoomsService,
  ) {}

  /** Answers with its data. */
  @ChatHandler('echo')
  echo(@ChatBody() data: unknown): unknown {
    return data;
  }

  @ChatHandler('whoami')
  whoami(@ChatUser() user: string, @ChatConnectionId() connectionId: string) {
    return { user, connectionId };
  }

  /**
   * A message to a user or a room. The recipients get a `chat` event; the answer is the send's
   * result, whose `acked` says whether a device of the recipient confirmed it. The sender's own
   * stream keeps a copy, for their other devices and a reloaded page.
   */
  @ChatHandler('chat')
  @UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))
  async chat(
    @ChatBody() { to, room, text }: ChatMessageDto,
    @ChatUser() from: string,
    @ChatFrame() { id }: ClientFrame,
  ): Promise<SendResult> {
    const ts = Date.now();
    const options = { event: 'chat', ackTimeoutMs: DELIVERY_ACK_MS };
    const copy = { event: 'chat' };
    if (room !== undefined) {
      if (!(await this.rooms.roomsOf(from)).includes(room)) {
        throw new WsException({ code: 'not_a_member', message: `you are not in room ${room}` });
      }
      // The id lets the sender's pages tell their own messages when the room replays them.
      const message: ChatEventData = { from, room, text, ts, ...(id && { id }) };
      const [result] = await Promise.all([
        this.rooms.sendToRoom(room, message, { ...options, except: from }),
        this.messaging.send(from, message, copy),
      ]);
      return result;
    }
    const message: ChatEventData = { from, to, text, ts };
    const [result] = await Promise.all([
      this.messaging.send(to!, message, options),
      ...(to === from ? [] : [this.messaging.send(from, { ...message, ...(id && { id }) }, copy)]),
    ]);
    return result;
  }

  /** Ends a user's session: allowed only to the users CHAT_ADMINS lists. */
  @ChatHandler('moderate')
  @UseGuards(AdminGuard)
  moderate(@ChatBody('kick') user: string) {
    return this.messaging.disconnect(user, 'removed by a moderator');
  }

  /** Throws, to show that what a handler throws stays on the server. */
  @ChatHandler('boom')
  boom(): never {
    throw new Error('the database password is hunter2');
  }

  /** Counts this user's calls: a retried request must not count twice. */
  @ChatHandler('count')
  count(@ChatUser() user: string) {
    const n = (this.counts.get(user) ?? 0) + 1;
    this.counts.set(user, n);
    return { n };
  }
}
