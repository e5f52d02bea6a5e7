import { assignMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';

/**
 * @internal What each handler parameter decorator stands for. 0 and 3 are Nest's own
 * `WsParamtype.SOCKET` and `WsParamtype.PAYLOAD`, so `@ConnectedSocket()` and `@MessageBody()`
 * work on chat handlers too.
 */
export const ChatParamType = {
  Connection: 0,
  Body: 3,
  User: 100,
  ConnectionId: 101,
  Frame: 102,
} as const;

type Pipe = Type<PipeTransform> | PipeTransform;

function paramDecorator(type: number, data?: string, pipes: Pipe[] = []): ParameterDecorator {
  return (target, key, index) => {
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key!) ?? {};
    Reflect.defineMetadata(
      ROUTE_ARGS_METADATA,
      assignMetadata(args, type, index, data, ...pipes),
      target.constructor,
      key!,
    );
  };
}

/**
 * The frame's `data` (or one property of it), through the given pipes and those of `@UsePipes`,
 * e.g. `@ChatBody() dto: ChatDto` with a `ValidationPipe`.
 */
export function ChatBody(property?: string | Pipe, ...pipes: Pipe[]): ParameterDecorator {
  return typeof property === 'string' || property === undefined
    ? paramDecorator(ChatParamType.Body, property, pipes)
    : paramDecorator(ChatParamType.Body, undefined, [property, ...pipes]);
}

/** The user the frame came from. */
export function ChatUser(): ParameterDecorator {
  return paramDecorator(ChatParamType.User);
}

/** The id of the connection the frame came from (`MessagingService.sendToConnection` takes it). */
export function ChatConnectionId(): ParameterDecorator {
  return paramDecorator(ChatParamType.ConnectionId);
}

/** The whole frame: `{ event, data, id? }`. */
export function ChatFrame(): ParameterDecorator {
  return paramDecorator(ChatParamType.Frame);
}
