import { Module, type DynamicModule } from '@nestjs/common';
import { CHAT_MODULE_OPTIONS } from './chat.constants.js';
import { asyncOptionsProviders, chatProviders } from './chat.providers.js';
import { ClientRegistryService } from './client-registry.service.js';
import type {
  ChatModuleAsyncOptions,
  ChatModuleOptions,
} from './interfaces/chat-options.interface.js';
import { ChatHealthService } from './health/chat-health.service.js';
import { MessagingService } from './messaging.service.js';

const CHAT_EXPORTS = [MessagingService, ClientRegistryService, ChatHealthService];

/**
 * User-addressed realtime delivery over WebSocket. Import it once, in the root module; it is
 * global, so `MessagingService` can be injected anywhere. The application must use
 * `ChatWsAdapter`: `app.useWebSocketAdapter(new ChatWsAdapter(app))`.
 */
@Module({})
export class ChatModule {
  /** Configures the module with options known up front. */
  static forRoot(options: ChatModuleOptions): DynamicModule {
    return {
      module: ChatModule,
      global: true,
      providers: [{ provide: CHAT_MODULE_OPTIONS, useValue: options }, ...chatProviders],
      exports: CHAT_EXPORTS,
    };
  }

  /** Configures the module with options produced by a factory or class, e.g. from config. */
  static forRootAsync(options: ChatModuleAsyncOptions): DynamicModule {
    return {
      module: ChatModule,
      global: true,
      imports: options.imports ?? [],
      providers: [...asyncOptionsProviders(options), ...chatProviders],
      exports: CHAT_EXPORTS,
    };
  }
}
