import type { Provider } from '@nestjs/common';
import { LOCAL_DELIVERY } from '../cluster/local-deliverer.js';
import { ClusterPresenceService } from '../cluster/cluster-presence.service.js';
import { ClusterRouterService } from '../cluster/cluster-router.service.js';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { ChatEventsService } from '../connection/chat-events.service.js';
import { ChatGateway } from '../connection/chat.gateway.js';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import { HandshakeLimitsService } from '../connection/handshake/handshake-limits.service.js';
import { HandshakeService } from '../connection/handshake/handshake.service.js';
import { HeartbeatService } from '../connection/heartbeat.service.js';
import { InboundRatePolicy } from '../connection/inbound-rate.policy.js';
import { InboundService } from '../connection/inbound.service.js';
import { LifecycleService } from '../connection/lifecycle.service.js';
import { OutboundService } from '../connection/outbound.service.js';
import { FRAME_HANDLER } from '../connection/frame-handler.js';
import { SESSION_OPENER } from '../connection/session-opener.js';
import { AckService } from '../delivery/acks/ack.service.js';
import { FrameDispatchService } from '../delivery/handlers/frame-dispatch.service.js';
import { HandlerRegistryService } from '../delivery/handlers/handler-registry.service.js';
import { LocalDeliveryService } from '../delivery/local-delivery.service.js';
import { DispatchService } from '../delivery/dispatch.service.js';
import { MessagingService } from '../delivery/messaging.service.js';
import { RoomPresenceService } from '../delivery/rooms/room-presence.service.js';
import { RoomRegistryService } from '../delivery/rooms/room-registry.service.js';
import { RoomSessionsService } from '../delivery/rooms/room-sessions.service.js';
import { RoomsService } from '../delivery/rooms/rooms.service.js';
import { SessionService } from '../delivery/streams/session.service.js';
import { StreamDeliveryService } from '../delivery/streams/stream-delivery.service.js';
import { ChatHealthIndicator } from '../observability/chat-health.indicator.js';
import { ChatHealthService } from '../observability/chat-health.service.js';
import { ChatMetricsService } from '../observability/chat-metrics.service.js';
import { OpenFileLimitCheck } from '../observability/open-file-limit.check.js';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import { MemoryTransport } from '../transports/memory/memory.transport.js';
import { RedisTransport } from '../transports/redis/redis.transport.js';
import { resolveChatOptions } from './chat-options.resolve.js';
import { CHAT_MODULE_OPTIONS } from './chat.module-definition.js';
import { loadOptionalPackage } from './optional-package.js';

/** @internal The providers the application can inject. */
export const CHAT_EXPORTS = [
  MessagingService,
  RoomsService,
  ClientRegistryService,
  ChatHealthService,
  ChatHealthIndicator,
];

/** @internal Everything the module provides once its raw options are available. */
export const CHAT_PROVIDERS: Provider[] = [
  {
    provide: CHAT_OPTIONS,
    useFactory: (options: ChatModuleOptions) => resolveChatOptions(options),
    inject: [CHAT_MODULE_OPTIONS],
  },
  {
    provide: CHAT_TRANSPORT,
    useFactory: createTransport,
    inject: [CHAT_OPTIONS],
  },
  ChatStatsService,
  ChatEventsService,
  ClientRegistryService,
  OutboundService,
  LifecycleService,
  HandshakeLimitsService,
  HandshakeService,
  InboundRatePolicy,
  InboundService,
  HeartbeatService,
  StreamDeliveryService,
  RoomRegistryService,
  RoomSessionsService,
  LocalDeliveryService,
  { provide: LOCAL_DELIVERY, useExisting: LocalDeliveryService },
  SessionService,
  { provide: SESSION_OPENER, useExisting: SessionService },
  AckService,
  HandlerRegistryService,
  FrameDispatchService,
  { provide: FRAME_HANDLER, useExisting: FrameDispatchService },
  ClusterRouterService,
  ClusterPresenceService,
  DispatchService,
  MessagingService,
  RoomsService,
  RoomPresenceService,
  ChatHealthService,
  ChatHealthIndicator,
  OpenFileLimitCheck,
  {
    // Only built when metrics are on: prom-client registers metrics in a registry as they are made.
    provide: ChatMetricsService,
    useFactory: async (
      options: ResolvedChatOptions,
      stats: ChatStatsService,
      clients: ClientRegistryService,
      transport: ChatTransport,
    ) => {
      if (!options.metrics) return undefined;
      const promClient = await loadOptionalPackage(
        'prom-client',
        'the "metrics" option',
        () => import('prom-client'),
      );
      return new ChatMetricsService(promClient, options.metrics, stats, clients, transport.history);
    },
    inject: [CHAT_OPTIONS, ChatStatsService, ClientRegistryService, CHAT_TRANSPORT],
  },
  ChatGateway,
];

async function createTransport(options: ResolvedChatOptions): Promise<ChatTransport> {
  if (options.transport) return options.transport;
  if (!options.redis) return new MemoryTransport();
  const ioredis = await loadOptionalPackage(
    'ioredis',
    'the "redis" option',
    () => import('ioredis'),
  );
  return new RedisTransport(ioredis, options.redis);
}
