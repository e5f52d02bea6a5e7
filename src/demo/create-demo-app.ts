import { type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ChatWsAdapter } from '../index.js';
import { AppModule } from './app.module.js';
import type { DemoConfig } from './demo-config.js';

/** Builds the demo application, ready for `listen()`; shared by `main.ts` and the tests. */
export async function createDemoApp(
  config: DemoConfig,
  logger?: LoggerService | LogLevel[] | false,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    logger,
  });
  // Any JSON value is a valid push payload, not only objects and arrays.
  app.useBodyParser('json', { strict: false, limit: '64kb' });
  app.useWebSocketAdapter(new ChatWsAdapter(app));
  return app;
}
