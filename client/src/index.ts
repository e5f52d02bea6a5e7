export { ChatClient, type ChatRequestOptions } from './chat-client.js';
export type { ChatClientOptions } from './chat-client-options.js';
export type {
  ChatClientEvents,
  ChatClientState,
  CloseInfo,
  Push,
  ReconnectingInfo,
  RoomChange,
  StreamPosition,
  Welcome,
} from './chat-client-events.js';
export {
  ChatClientError,
  type ChatClientErrorCode,
  type ChatClientErrorDetails,
} from './chat-client-error.js';
export type { Listener } from './listeners.js';
export {
  CLOSE_RULES,
  FINAL_CLOSE_CODES,
  FINAL_HANDSHAKE_STATUSES,
  SLOW_DOWN_CLOSE_CODES,
  type AfterClose,
  type CloseRule,
} from './retry-policy.js';
export {
  CloseCode,
  ErrorCode,
  type ChatErrorCode,
  type CloseCodeValue,
} from '../../src/protocol/index.js';
export type { WebSocketConstructor, WebSocketLike } from './web-socket.js';
