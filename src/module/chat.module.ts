import { Module, type ConfigurableModuleAsyncOptions, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';
import { ConfigurableChatModule, type ChatModuleExtras } from './chat.module-definition.js';
import { CHAT_EXPORTS, CHAT_PROVIDERS } from './chat.providers.js';

/** Options of `ChatModule.forRoot()`: the module's options, plus `isGlobal`. */
export type ChatModuleRootOptions = ChatModuleOptions & Partial<ChatModuleExtras>;

/**
 * Options of `ChatModule.forRootAsync()`: `useFactory` (with `inject` and `imports`),
 * `useClass` or `useExisting` (a {@link ChatOptionsFactory}), plus `isGlobal`.
 */
export type ChatModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  ChatModuleOptions,
  'createChatOptions'
> &
  Partial<ChatModuleExtras>;

/** A class that produces the options, for `forRootAsync({ useClass })` or `useExisting`. */
export interface ChatOptionsFactory {
  createChatOptions(): ChatModuleOptions | Promise<ChatModuleOptions>;
}

/**
 * User-addressed realtime delivery over WebSocket. Import it once, in the root module; it is
 * global unless `isGlobal: false`, so `MessagingService` can be injected anywhere. The
 * application must use `ChatWsAdapter`: `app.useWebSocketAdapter(new ChatWsAdapter(app))`.
 */
// Discovery finds the application's @ChatHandler methods.
@Module({ imports: [DiscoveryModule], providers: CHAT_PROVIDERS, exports: CHAT_EXPORTS })
export class ChatModule extends ConfigurableChatModule {
  /** Configures the module with options known up front. */
  static override forRoot(options: ChatModuleRootOptions): DynamicModule {
    return super.forRoot(options);
  }

  /** Configures the module with options produced by a factory or class, e.g. from config. */
  static override forRootAsync(options: ChatModuleAsyncOptions): DynamicModule {
    const ways = [options?.useFactory, options?.useClass, options?.useExisting].filter(Boolean);
    if (ways.length !== 1) {
      throw new TypeError(
        'ChatModule.forRootAsync: give exactly one of useFactory, useClass or useExisting',
      );
    }
    return super.forRootAsync(options);
  }
}
