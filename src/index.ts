// The public API of nest-chat-gateway; nothing else is part of it.
export {
  ChatModule,
  type ChatModuleAsyncOptions,
  type ChatModuleRootOptions,
  type ChatOptionsFactory,
} from './module/chat.module.js';
export type { ChatModuleExtras } from './module/chat.module-definition.js';
export { ChatGateway } from './connection/chat.gateway.js';
export { ChatWsAdapter } from './connection/chat-ws.adapter.js';
export { ClientRegistryService } from './connection/client-registry.service.js';
export type { ConnectionInfo } from './connection/chat-connection.js';
export type { ClientFrame } from './connection/inbound-frame.js';
export type {
  ConnectionEvent,
  DisconnectReason,
  IncomingFrame,
} from './connection/connection-event.js';
export { MessagingService } from './delivery/messaging.service.js';
export {
  RoomsService,
  type RoomMember,
  type RoomPresenceData,
  type RoomSendOptions,
  type RoomSendResult,
} from './delivery/rooms/rooms.service.js';
export { isValidRoomId, MAX_ROOM_ID_LENGTH } from './delivery/rooms/room-id.js';
export { ChatHandler } from './delivery/handlers/chat-handler.decorator.js';
export {
  ChatBody,
  ChatConnectionId,
  ChatFrame,
  ChatUser,
} from './delivery/handlers/chat-param.decorators.js';
export type {
  DisconnectResult,
  PushOptions,
  SendOptions,
  SendResult,
} from './delivery/send-result.js';
export { ChatHealthService, type ChatHealth } from './observability/chat-health.service.js';
export {
  ChatHealthIndicator,
  type ChatHealthIndicatorResult,
} from './observability/chat-health.indicator.js';
export { CloseCode, type CloseCodeValue } from './protocol/close-codes.js';
export {
  ErrorCode,
  MAX_JSON_DEPTH,
  MAX_REQUEST_ID_LENGTH,
  RequestErrorCode,
  type ChatErrorCode,
} from './protocol/error-codes.js';
export type { AuthenticationResult, Authenticator, ChatPrincipal } from './auth/authenticator.js';
export { jwtAuthenticator, type JwtAuthenticatorOptions } from './auth/jwt.authenticator.js';
export { queryUserAuthenticator } from './auth/query-user.authenticator.js';
export { isValidUserId, MAX_USER_ID_LENGTH } from './auth/user-id.js';
export type {
  BackpressureOptions,
  BackpressurePolicy,
  ChatModuleOptions,
  DeflateOptions,
  HandshakeLimitOptions,
  HeartbeatOptions,
  HistoryOptions,
  MetricsOptions,
  MetricsRegistry,
  RateLimitOptions,
  RequestOptions,
} from './options/chat-options.interface.js';
export type {
  RedisClientLike,
  RedisClusterNode,
  RedisTransportOptions,
} from './transports/redis/redis-options.js';
export type { ChatTransport } from './transports/chat-transport.interface.js';
export type { BrokerNode, ChatBroker } from './transports/broker.interface.js';
export type {
  FrameSuffix,
  HistoryLimits,
  HistoryStore,
  StreamEntry,
  StreamPosition,
  StreamReplay,
} from './transports/history-store.interface.js';
export type { MembershipStore } from './transports/membership-store.interface.js';
export type { RequestClaim, RequestStore } from './transports/request-store.interface.js';
export type {
  JoinResult,
  PresenceEntry,
  PresenceNode,
  PresenceStore,
} from './transports/presence-store.interface.js';
export { MemoryHub } from './transports/memory/memory-hub.js';
export { MemoryTransport } from './transports/memory/memory.transport.js';
