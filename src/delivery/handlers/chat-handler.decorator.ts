import { SetMetadata } from '@nestjs/common';
import { ClientEvent } from '../../protocol/events.js';

/** @internal Metadata key of {@link ChatHandler}. */
export const CHAT_HANDLER_METADATA = 'nest-chat-gateway:handler';

/** Events a client sends that the gateway answers itself, so no handler can take them. */
const GATEWAY_EVENTS: readonly string[] = [ClientEvent.Heartbeat, ClientEvent.Ack];

/**
 * Marks a method of any provider as the handler of the client frames with this `event`. Its
 * parameters come from {@link ChatBody}, {@link ChatUser}, {@link ChatConnectionId} and
 * {@link ChatFrame} (or Nest's `@MessageBody()` and `@ConnectedSocket()`); `@UseGuards`,
 * `@UsePipes`, `@UseInterceptors` and `@UseFilters` work on it as on an HTTP route. When the frame
 * carries an `id`, the return value (or the error) goes back to the client as an `ack`.
 *
 * ```ts
 * @ChatHandler('chat')
 * send(@ChatBody() message: ChatDto, @ChatUser() user: string) { … }
 * ```
 */
export function ChatHandler(event: string): MethodDecorator {
  if (typeof event !== 'string' || event === '') {
    throw new TypeError(`ChatHandler: the event must be a non-empty string, got ${String(event)}`);
  }
  if (GATEWAY_EVENTS.includes(event)) {
    throw new TypeError(
      `ChatHandler: "${event}" is reserved by the protocol (the gateway answers it)`,
    );
  }
  return SetMetadata(CHAT_HANDLER_METADATA, event);
}
