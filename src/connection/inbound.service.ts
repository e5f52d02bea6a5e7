import { Injectable } from '@nestjs/common';
import { ChatStatsService, increment } from '../common/chat-stats.service.js';
import { ClientEvent } from '../protocol/events.js';
import { errorText, heartbeatText } from '../protocol/frames.js';
import type { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import { parseInbound } from './inbound-frame.js';
import { OutboundService } from './outbound.service.js';

/**
 * @internal What happens to an admitted client frame: one the server cannot read is answered with
 * an error frame (the connection stays), a heartbeat is answered at once, and any other event goes
 * to the application on `incoming$`.
 */
@Injectable()
export class InboundService {
  constructor(
    private readonly outbound: OutboundService,
    private readonly events: ChatEventsService,
    private readonly stats: ChatStatsService,
  ) {}

  handle(connection: ChatConnection, data: Buffer, isBinary: boolean): void {
    const frame = parseInbound(data, isBinary);
    if (!frame.ok) {
      increment(this.stats.frameErrors, frame.code);
      this.outbound.write(
        connection,
        Buffer.from(errorText({ code: frame.code, message: frame.message })),
      );
      return;
    }
    if (frame.event === ClientEvent.Heartbeat) {
      this.outbound.write(connection, Buffer.from(heartbeatText(Date.now())));
      return;
    }
    this.stats.messagesIn++;
    this.events.incoming.next({
      user: connection.user,
      connectionId: connection.id,
      event: frame.event,
      data: frame.data,
    });
  }
}
