import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { isValidUserId, MessagingService, type IncomingFrame } from '../index.js';

/** Longest chat text the relay accepts. */
export const MAX_CHAT_TEXT = 4000;

/**
 * Direct messages between users, built on `incoming$`. A client frame
 * `{"event":"chat","data":{"to":"erin","text":"hi"}}` from dave reaches erin as
 * `{"event":"message","data":{"type":"chat","from":"dave","to":"erin","text":"hi","ts":…}}`,
 * and dave's connection gets `{"type":"chat:sent","to":"erin","delivered":n,"ts":…}`. A frame
 * the relay cannot use is answered with `{"type":"rejected","event":…,"reason":…}`.
 */
@Injectable()
export class ChatRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ChatRelayService.name);
  private subscription: Subscription | undefined;

  constructor(private readonly messaging: MessagingService) {}

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
    if (frame.event !== 'chat') {
      return this.reject(frame, 'unknown event; this server handles "chat"');
    }
    const { to, text } = (frame.data ?? {}) as { to?: unknown; text?: unknown };
    if (!isValidUserId(to)) {
      return this.reject(frame, '"to" must be a valid user id');
    }
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_CHAT_TEXT) {
      return this.reject(frame, `"text" must be a string of 1 to ${MAX_CHAT_TEXT} characters`);
    }
    const ts = Date.now();
    const { delivered } = await this.messaging.send(to, {
      type: 'chat',
      from: frame.user,
      to,
      text,
      ts,
    });
    await this.messaging.sendToConnection(frame.connectionId, {
      type: 'chat:sent',
      to,
      delivered,
      ts,
    });
  }

  private async reject(frame: IncomingFrame, reason: string): Promise<void> {
    await this.messaging.sendToConnection(frame.connectionId, {
      type: 'rejected',
      event: frame.event,
      reason,
    });
  }
}
