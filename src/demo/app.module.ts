import { Module, type DynamicModule } from '@nestjs/common';
import { ChatModule, jwtAuthenticator, queryUserAuthenticator } from '../index.js';
import { AuthController } from './auth.controller.js';
import { ChatRelayService } from './chat-relay.service.js';
import { DEMO_CONFIG } from './demo.constants.js';
import type { DemoConfig } from './demo-config.js';
import { DemoTokensService } from './demo-tokens.service.js';
import { PresenceController } from './presence.controller.js';
import { PresenceService } from './presence.service.js';
import { UsersController } from './users.controller.js';

/**
 * The demo application: the chat module, a demo login, REST pushes, a chat relay and live
 * presence for the browser page.
 */
@Module({})
export class AppModule {
  static register(config: DemoConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ChatModule.forRoot({
          authenticate:
            config.auth === 'query'
              ? queryUserAuthenticator()
              : jwtAuthenticator({ secret: config.jwtSecret }),
          connectionsPerUser: config.connectionsPerUser,
          heartbeat: {
            intervalMs: config.heartbeatIntervalMs,
            timeoutMs: config.heartbeatTimeoutMs,
          },
        }),
      ],
      controllers: [AuthController, UsersController, PresenceController],
      providers: [
        { provide: DEMO_CONFIG, useValue: config },
        DemoTokensService,
        ChatRelayService,
        PresenceService,
      ],
    };
  }
}
