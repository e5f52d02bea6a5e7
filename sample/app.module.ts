import { Module, type DynamicModule } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ChatModule, jwtAuthenticator, queryUserAuthenticator } from '../src/index.js';
import { AuthController } from './auth.controller.js';
import { AdminGuard } from './admin.guard.js';
import { ChatHandlers } from './chat.handlers.js';
import { DEMO_CONFIG, DEMO_METRICS } from './demo.constants.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import type { DemoConfig } from './demo-config.js';
import { DemoTokensService } from './demo-tokens.service.js';
import { PresenceController } from './presence.controller.js';
import { RoomsController } from './rooms.controller.js';
import { UserRoomsController } from './user-rooms.controller.js';
import { UsersController } from './users.controller.js';

/**
 * The demo application: the chat module, a demo login, REST pushes, rooms, chat handlers and room
 * presence for the browser page.
 */
@Module({})
export class AppModule {
  static register(config: DemoConfig): DynamicModule {
    // A registry per application, so that several demo apps can live in one test process.
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    return {
      module: AppModule,
      imports: [
        ChatModule.forRoot({
          authenticate:
            config.auth === 'query'
              ? queryUserAuthenticator()
              : jwtAuthenticator({ secret: config.jwtSecret }),
          connectionsPerUser: config.connectionsPerUser,
          allowedOrigins: config.allowedOrigins,
          // Demo tokens live an hour; clients reconnect with a fresh one (close code 4001).
          closeOnTokenExpiry: true,
          metrics: { registry: metrics },
          heartbeat: {
            intervalMs: config.heartbeatIntervalMs,
            timeoutMs: config.heartbeatTimeoutMs,
          },
          history: config.history,
          // Presence goes to the rooms a user is in, not to everybody: a connect costs as many
          // pushes as the user has rooms.
          roomPresence: true,
          nodeId: config.nodeId,
          redis: config.redisUrl
            ? { url: config.redisUrl, nodeTtlMs: config.nodeTtlMs }
            : config.redisClusterNodes
              ? { cluster: config.redisClusterNodes, nodeTtlMs: config.nodeTtlMs }
              : undefined,
        }),
      ],
      controllers: [
        AuthController,
        UsersController,
        PresenceController,
        RoomsController,
        UserRoomsController,
        MetricsController,
        HealthController,
      ],
      providers: [
        { provide: DEMO_CONFIG, useValue: config },
        { provide: DEMO_METRICS, useValue: metrics },
        DemoTokensService,
        ChatHandlers,
        AdminGuard,
      ],
    };
  }
}
