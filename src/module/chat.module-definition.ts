import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';

/**
 * @internal The module's `forRoot` / `forRootAsync`, built the way Nest's official modules build
 * theirs. The extra `isGlobal` (default `true`) makes the module global, so `MessagingService` can
 * be injected anywhere after one import.
 */
export const {
  ConfigurableModuleClass: ConfigurableChatModule,
  MODULE_OPTIONS_TOKEN: CHAT_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ChatModuleOptions>({ moduleName: 'Chat' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChatOptions')
  .setExtras({ isGlobal: true }, (definition, { isGlobal }) => ({
    ...definition,
    global: isGlobal,
  }))
  .build();
