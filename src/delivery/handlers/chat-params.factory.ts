import type { ParamsFactory } from '@nestjs/core/helpers/external-context-creator.js';
import type { ConnectionInfo } from '../../connection/chat-connection.js';
import type { ClientFrame } from '../../connection/inbound-frame.js';
import { ChatParamType } from './chat-param.decorators.js';

/** @internal The arguments a chat handler is called with, as guards see them (`switchToWs()`). */
export type HandlerArgs = [client: ConnectionInfo, data: unknown, frame: ClientFrame];

/** @internal Gives each handler parameter its value, by the decorator on it. */
export class ChatParamsFactory implements ParamsFactory {
  exchangeKeyForValue(type: number, data: unknown, args: HandlerArgs): unknown {
    const [client, body, frame] = args;
    switch (type) {
      case ChatParamType.Body:
        if (typeof data !== 'string') return body;
        return body !== null && typeof body === 'object'
          ? (body as Record<string, unknown>)[data]
          : undefined;
      case ChatParamType.Connection:
        return client;
      case ChatParamType.User:
        return client.user;
      case ChatParamType.ConnectionId:
        return client.id;
      case ChatParamType.Frame:
        return frame;
      default:
        return undefined;
    }
  }
}
