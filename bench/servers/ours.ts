import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
// The package's own name resolves through its "exports" to the build in dist/, exactly what an
// application installing it would run.
import {
  ChatModule,
  ChatWsAdapter,
  ClientRegistryService,
  MessagingService,
  jwtAuthenticator,
  type ChatModuleOptions,
} from 'nest-chat-gateway';
import type { ServerConfig } from './server-config.js';
import { serve } from './serve.js';
import { userFromUrl } from './user-from-url.js';

/** A minimal application: the chat module and nothing else. */
@Module({})
class BenchAppModule {
  static register(options: ChatModuleOptions): DynamicModule {
    return { module: BenchAppModule, imports: [ChatModule.forRoot(options)] };
  }
}

/**
 * The module's options for this run. Cluster mode uses the planned Redis transport API
 * (`redis: { url }`, `nodeId`); a build without it ignores those keys, which the cluster scenario
 * detects by sending a probe across the nodes.
 */
function chatOptions(config: ServerConfig): ChatModuleOptions {
  const options = {
    authenticate:
      config.auth === 'jwt'
        ? jwtAuthenticator({ secret: config.jwtSecret! })
        : (request: { url?: string }) => userFromUrl(request.url),
    heartbeat: config.heartbeat,
    coalesceWrites: config.coalesce,
    // Absent means the module's default (history on), so that every other scenario measures
    // what an application gets without configuring it.
    ...(config.history !== undefined && { history: config.history }),
    ...(config.redis && {
      redis: config.redis.cluster ? { cluster: config.redis.cluster } : { url: config.redis.url },
      nodeId: config.redis.nodeId,
    }),
  };
  return options;
}

serve(async (config) => {
  const app = await NestFactory.create(BenchAppModule.register(chatOptions(config)), {
    logger: ['error', 'warn'],
  });
  app.useWebSocketAdapter(new ChatWsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const messaging = app.get(MessagingService);
  const registry = app.get(ClientRegistryService);
  return {
    wsPort: (app.getHttpServer().address() as AddressInfo).port,
    target: {
      // Fire and forget, like an application pushing from a request handler; the promises
      // resolve once the frame is queued and never reject for these payloads.
      send: (user, payload) => void messaging.send(user, payload),
      sendMany: (users, payload) => void messaging.sendMany(users, payload),
      broadcast: (payload) => void messaging.broadcast(payload),
      connectionCount: () => registry.size,
    },
  };
});
