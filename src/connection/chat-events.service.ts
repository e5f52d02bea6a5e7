import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { ConnectionEvent, IncomingFrame } from './connection-event.js';

/**
 * @internal The two event streams of the module. The gateway and the registry push into them;
 * `MessagingService` exposes them read-only. They complete when the application has shut down,
 * after the last `disconnected` event of the drain.
 */
@Injectable()
export class ChatEventsService implements OnApplicationShutdown {
  readonly incoming = new Subject<IncomingFrame>();
  readonly connections = new Subject<ConnectionEvent>();

  onApplicationShutdown(): void {
    this.incoming.complete();
    this.connections.complete();
  }
}
