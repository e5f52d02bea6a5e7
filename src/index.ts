export { ChatModule } from './chat/chat.module.js';
export { ChatGateway } from './chat/chat.gateway.js';
export { ChatWsAdapter } from './chat/chat-ws.adapter.js';
export { MessagingService } from './chat/messaging.service.js';
export { ClientRegistryService } from './chat/client-registry.service.js';
export { ChatHealthService, type ChatHealth } from './chat/health/chat-health.service.js';
export { CloseCode, ErrorCode, type ChatErrorCode } from './chat/chat.constants.js';
export { jwtAuthenticator, type JwtAuthenticatorOptions } from './chat/auth/jwt.authenticator.js';
export { queryUserAuthenticator } from './chat/auth/query-user.authenticator.js';
export { isValidUserId, MAX_USER_ID_LENGTH } from './chat/auth/user-id.js';
export { MemoryBroker, MemoryTransport } from './chat/transports/memory.transport.js';
export { RedisTransport, type RedisTransportOptions } from './chat/transports/redis.transport.js';
export type {
  ClusterMessage,
  DeliverItem,
  DeliveryReceipt,
} from './chat/cluster/cluster-message.js';
export type {
  ChatTransport,
  JoinResult,
  PresenceEntry,
  TransportNode,
} from './chat/interfaces/chat-transport.interface.js';
export type {
  AuthenticationResult,
  Authenticator,
  BackpressureOptions,
  BackpressurePolicy,
  ChatModuleAsyncOptions,
  ChatModuleOptions,
  ChatOptionsFactory,
  ChatPrincipal,
  HandshakeLimitOptions,
  HeartbeatOptions,
  RateLimitOptions,
} from './chat/interfaces/chat-options.interface.js';
export type {
  ConnectionEvent,
  DisconnectReason,
  DisconnectResult,
  IncomingFrame,
  SendResult,
} from './chat/interfaces/chat-events.interface.js';
