import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ChatConnection } from '../../connection/chat-connection.js';
import type { FrameHandler } from '../../connection/frame-handler.js';
import type { ClientFrame } from '../../connection/inbound-frame.js';
import { OutboundService } from '../../connection/outbound.service.js';
import { ChatStatsService, increment } from '../../common/chat-stats.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { RequestErrorCode } from '../../protocol/error-codes.js';
import { ClientEvent } from '../../protocol/events.js';
import { ackErrorText, ackText } from '../../protocol/frames.js';
import type { ChatTransport } from '../../transports/chat-transport.interface.js';
import { AckService } from '../acks/ack.service.js';
import { HandlerRegistryService, type BoundHandler } from './handler-registry.service.js';
import { requestError } from './request-outcome.js';

/** How often a retry looks again for the outcome of the request it repeats. */
const RETRY_POLL_MS = 50;

/**
 * @internal Takes the client frames that have a handler, and the clients' delivery acks.
 *
 * A frame with an `id` is a request: its handler's return value goes back as
 * `{"event":"ack","id":…,"data":…}`, an error as `{"event":"ack","id":…,"error":{code,message}}`.
 * Requests are effectively once: the first one of an id (per user, within
 * `requests.idempotencyWindowMs`) claims it in the request store, runs, and stores its answer;
 * the same id again, after a reconnect or on another node, gets that answer without running the
 * handler again (a retry of one still running waits for its answer).
 */
@Injectable()
export class FrameDispatchService implements FrameHandler {
  private readonly logger = new Logger(FrameDispatchService.name);

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly handlers: HandlerRegistryService,
    private readonly acks: AckService,
    private readonly outbound: OutboundService,
    private readonly stats: ChatStatsService,
  ) {}

  handle(connection: ChatConnection, frame: ClientFrame): boolean {
    if (frame.event === ClientEvent.Ack) {
      if (frame.id !== undefined) this.acks.confirm(connection, frame.id);
      return true;
    }
    const handler = this.handlers.get(frame.event);
    if (!handler) {
      if (frame.id === undefined) return false;
      increment(this.stats.requests, RequestErrorCode.UnknownEvent);
      this.answer(
        connection,
        ackErrorText(frame.id, RequestErrorCode.UnknownEvent, `no handler for "${frame.event}"`),
      );
      return true;
    }
    void this.run(connection, frame, handler);
    return true;
  }

  private async run(
    connection: ChatConnection,
    frame: ClientFrame,
    handler: BoundHandler,
  ): Promise<void> {
    const { id } = frame;
    if (id === undefined) {
      // Nobody waits for an answer: a failure is the handler's business (Nest logs what it threw).
      await handler(connection, frame.data, frame).catch(() => undefined);
      return;
    }
    const { idempotencyWindowMs } = this.options.requests;
    let claim;
    try {
      claim = await this.transport.requests.claim(connection.user, id, idempotencyWindowMs);
    } catch (err) {
      // Without the store a retry cannot be recognized: the request runs, at least once.
      this.logger.debug(`Could not claim request ${id} of ${connection.user}: ${String(err)}`);
      claim = undefined;
    }
    if (claim?.state === 'done') {
      increment(this.stats.requests, 'repeated');
      return this.answer(connection, claim.answer);
    }
    if (claim?.state === 'running')
      return this.answer(connection, await this.awaitOutcome(connection.user, id));
    const answer = await this.outcome(connection, frame, handler, id);
    if (claim) {
      await this.transport.requests
        .complete(connection.user, id, answer, idempotencyWindowMs)
        .catch((err: unknown) => this.logger.debug(`Could not store request ${id}: ${err}`));
    }
    this.answer(connection, answer);
  }

  /** Runs the handler and turns what came of it into the `ack`. */
  private async outcome(
    connection: ChatConnection,
    frame: ClientFrame,
    handler: BoundHandler,
    id: string,
  ): Promise<string> {
    try {
      const result = await handler(connection, frame.data, frame);
      increment(this.stats.requests, 'ok');
      return ackText(id, result === undefined ? undefined : JSON.stringify(result));
    } catch (err) {
      const { code, message } = requestError(err);
      increment(this.stats.requests, code);
      return ackErrorText(id, code, message);
    }
  }

  /** The answer of a request that runs elsewhere, once it has one, within the retry wait. */
  private async awaitOutcome(user: string, id: string): Promise<string> {
    const { idempotencyWindowMs, retryWaitMs } = this.options.requests;
    const deadline = Date.now() + retryWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_POLL_MS).unref());
      const claim = await this.transport.requests
        .claim(user, id, idempotencyWindowMs)
        .catch(() => undefined);
      if (claim?.state === 'done') return claim.answer;
    }
    increment(this.stats.requests, RequestErrorCode.InProgress);
    return ackErrorText(
      id,
      RequestErrorCode.InProgress,
      'the same request is still running; send it again later for its answer',
    );
  }

  private answer(connection: ChatConnection, text: string): void {
    this.outbound.write(connection, Buffer.from(text));
  }
}
