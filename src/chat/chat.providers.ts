import type { Provider } from '@nestjs/common';
import { CHAT_MODULE_OPTIONS, CHAT_OPTIONS, CHAT_TRANSPORT } from './chat.constants.js';
import { ClusterRouterService } from './cluster/cluster-router.service.js';
import { ClusterService } from './cluster/cluster.service.js';
import { ChatEventsService } from './chat-events.service.js';
import { ChatGateway } from './chat.gateway.js';
import { resolveChatOptions, type ResolvedChatOptions } from './chat-options.js';
import { ClientRegistryService } from './client-registry.service.js';
import { HandshakeService } from './handshake.service.js';
import { HeartbeatService } from './heartbeat.service.js';
import type {
  ChatModuleAsyncOptions,
  ChatOptionsFactory,
} from './interfaces/chat-options.interface.js';
import { MessagingService } from './messaging.service.js';
import { ChatHealthService } from './health/chat-health.service.js';
import { ChatMetricsService } from './metrics/chat-metrics.service.js';
import { ChatStatsService } from './metrics/chat-stats.service.js';
import { OutboundService } from './outbound.service.js';
import { MemoryTransport } from './transports/memory.transport.js';
import { RedisTransport } from './transports/redis.transport.js';

/** @internal Everything the module provides once its raw options are available. */
export const chatProviders: Provider[] = [
  { provide: CHAT_OPTIONS, useFactory: resolveChatOptions, inject: [CHAT_MODULE_OPTIONS] },
  {
    provide: CHAT_TRANSPORT,
    useFactory: (options: ResolvedChatOptions) =>
      options.transport ??
      (options.redis ? new RedisTransport(options.redis) : new MemoryTransport()),
    inject: [CHAT_OPTIONS],
  },
  ChatEventsService,
  ChatStatsService,
  ClientRegistryService,
  OutboundService,
  HandshakeService,
  HeartbeatService,
  ClusterRouterService,
  ClusterService,
  MessagingService,
  ChatHealthService,
  {
    // Only built when metrics are on: prom-client registers metrics in a registry as they are made.
    provide: ChatMetricsService,
    useFactory: (
      options: ResolvedChatOptions,
      stats: ChatStatsService,
      clients: ClientRegistryService,
    ) => (options.metrics ? new ChatMetricsService(options, stats, clients) : undefined),
    inject: [CHAT_OPTIONS, ChatStatsService, ClientRegistryService],
  },
  ChatGateway,
];

/** @internal The providers that produce the raw options for `forRootAsync`. */
export function asyncOptionsProviders(options: ChatModuleAsyncOptions): Provider[] {
  const ways = [options?.useFactory, options?.useClass, options?.useExisting].filter(Boolean);
  if (ways.length !== 1) {
    throw new TypeError(
      'ChatModule.forRootAsync: give exactly one of useFactory, useClass or useExisting',
    );
  }
  if (options.useFactory) {
    return [
      {
        provide: CHAT_MODULE_OPTIONS,
        useFactory: options.useFactory,
        inject: options.inject ?? [],
      },
    ];
  }
  const factory = (options.useClass ?? options.useExisting)!;
  const providers: Provider[] = [
    {
      provide: CHAT_MODULE_OPTIONS,
      useFactory: (source: ChatOptionsFactory) => source.createChatOptions(),
      inject: [factory],
    },
  ];
  if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}
