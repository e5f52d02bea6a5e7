import { Inject, Injectable } from '@nestjs/common';
import { ChatStatsService, increment } from '../common/chat-stats.service.js';
import { ClientEvent } from '../protocol/events.js';
import { errorText, heartbeatText } from '../protocol/frames.js';
import type { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import { FRAME_HANDLER, type FrameHandler } from './frame-handler.js';
import { parseInbound } from './inbound-frame.js';
import { OutboundService } from './outbound.service.js';

/**
 * @internal What happens to an admitted client frame: one the server cannot read is answered with
 * an error frame (the connection stays), a heartbeat is answered at once, an event with a handler
 * goes to its handler, a request nobody handles is answered `unknown_event`, and any other event
 * goes to the application on `incoming$`.
 */
@Injectable()
export class InboundService {
  constructor(
    private readonly outbound: OutboundService,
    private readonly events: ChatEventsService,
    private readonly stats: ChatStatsService,
    @Inject(FRAME_HANDLER) private readonly handlers: FrameHandler,
  ) {}

  handle(connection: ChatConnection, data: Buffer, isBinary: boolean): void {
    const parsed = parseInbound(data, isBinary);
    if (!parsed.ok) {
      increment(this.stats.frameErrors, parsed.code);
      this.outbound.write(
        connection,
        Buffer.from(errorText({ code: parsed.code, message: parsed.message })),
      );
      return;
    }
    const { frame } = parsed;
    if (frame.event === ClientEvent.Heartbeat) {
      this.outbound.write(connection, Buffer.from(heartbeatText(Date.now())));
      return;
    }
    if (this.handlers.handle(connection, frame)) return;
    this.stats.messagesIn++;
    this.events.incoming.next({
      user: connection.user,
      connectionId: connection.id,
      event: frame.event,
      data: frame.data,
    });
  }
}
