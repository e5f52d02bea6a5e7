import 'reflect-metadata';
import { Injectable, Module, UsePipes, ValidationPipe, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
// The package's own name resolves through its "exports" to the build in dist/, exactly what an
// application installing it would run.
import {
  ChatBody,
  ChatHandler,
  ChatModule,
  ChatWsAdapter,
  ClientRegistryService,
  MessagingService,
  RoomsService,
  jwtAuthenticator,
  type ChatModuleOptions,
} from 'nest-chat-gateway';
import { BenchChatDto } from './bench-chat.dto.js';
import { InboundEvent, inboundTally, REQUEST_ANSWER } from './inbound-tally.js';
import type { ServerConfig } from './server-config.js';
import { serve } from './serve.js';
import { userFromUrl } from './user-from-url.js';

/**
 * The inbound scenario's handlers, as an application writes them: found by the module through
 * Nest's discovery, the validated one with the same `ValidationPipe` as Nest's gateway.
 */
@Injectable()
class BenchHandlers {
  @ChatHandler(InboundEvent.Plain)
  chat(): void {
    inboundTally.record();
  }

  @ChatHandler(InboundEvent.Validated)
  @UsePipes(new ValidationPipe())
  validated(@ChatBody() message: BenchChatDto): void {
    if (message.to) inboundTally.record();
  }

  /** Sent with an `id`: the return value goes back in the ack. */
  @ChatHandler(InboundEvent.Request)
  request(): typeof REQUEST_ANSWER {
    inboundTally.record();
    return REQUEST_ANSWER;
  }
}

/** A minimal application: the chat module, and the handlers in the inbound scenario only. */
@Module({})
class BenchAppModule {
  static register(options: ChatModuleOptions, inbound: boolean): DynamicModule {
    return {
      module: BenchAppModule,
      imports: [ChatModule.forRoot(options)],
      providers: inbound ? [BenchHandlers] : [],
    };
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
    // The other systems limit nothing; the limit would measure the token bucket's refusals.
    ...(config.inbound && { rateLimit: false as const }),
    ...(config.limits && { limits: config.limits }),
  };
  return options;
}

/** Joins in flight at once while the rooms scenario sets up its rooms (not measured). */
const JOINS_IN_FLIGHT = 64;

/** Runs `work` for every item, `lanes` at a time. */
async function inLanes<T>(
  items: T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

serve(async (config) => {
  const app = await NestFactory.create(
    BenchAppModule.register(chatOptions(config), config.inbound === true),
    {
      logger: ['error', 'warn'],
    },
  );
  app.useWebSocketAdapter(new ChatWsAdapter(app));
  await app.listen(config.port ?? 0, '127.0.0.1');
  const messaging = app.get(MessagingService);
  const registry = app.get(ClientRegistryService);
  const rooms = app.get(RoomsService);
  return {
    wsPort: (app.getHttpServer().address() as AddressInfo).port,
    target: {
      // Fire and forget, like an application pushing from a request handler; the promises
      // resolve once the frame is queued and never reject for these payloads.
      send: (user, payload) => void messaging.send(user, payload),
      sendMany: (users, payload) => void messaging.sendMany(users, payload),
      broadcast: (payload) => void messaging.broadcast(payload),
      connectionCount: () => registry.size,
      joinRoom: (room, users) => inLanes(users, JOINS_IN_FLIGHT, (user) => rooms.join(room, user)),
      sendToRoom: (room, payload) => void rooms.sendToRoom(room, payload),
    },
  };
});
