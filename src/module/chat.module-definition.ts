import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChatModuleOptions } from '../options/chat-options.interface.js';

/** Options of `forRoot` and `forRootAsync` beside the module's own. */
export interface ChatModuleExtras {
  /**
   * Makes the module global, so `MessagingService` can be injected anywhere after one import.
   * @default true
   */
  isGlobal: boolean;
}

/** The module's `forRoot` / `forRootAsync`, built the way Nest's official modules build theirs. */
export const {
  ConfigurableModuleClass: ConfigurableChatModule,
  MODULE_OPTIONS_TOKEN: CHAT_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ChatModuleOptions>({ moduleName: 'Chat' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChatOptions')
  .setExtras<ChatModuleExtras>({ isGlobal: true }, (definition, { isGlobal }) => ({
    ...definition,
    global: isGlobal,
  }))
  .build();
