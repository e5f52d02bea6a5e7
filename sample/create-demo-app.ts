import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { ChatHealthService, ChatWsAdapter } from '../src/index.js';
import { AppModule } from './app.module.js';
import type { DemoConfig } from './demo-config.js';
import { findWebAssets } from './web-assets.js';

/** express.static settings: only real files, no directory redirects, no dotfiles. */
const STATIC_OPTIONS = { index: false, redirect: false, dotfiles: 'ignore' } as const;

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
  closeConnectionsWhileShuttingDown(app);
  serveBrowserPage(app);
  return app;
}

/**
 * Once shutdown has begun, every answer closes its HTTP connection. A client told by the 1001
 * close to reconnect elsewhere may first fetch a token here, over a kept-alive connection, and go
 * on doing so while it retries; Node's `server.close()` waits for every connection that is busy
 * when it is called, so without this one such client can keep the process from ever exiting.
 * (Nest's `return503OnClosing` would close them too, but it also replaces the `/health` answer
 * that tells a load balancer why the node is draining.)
 */
function closeConnectionsWhileShuttingDown(app: NestExpressApplication): void {
  const health = app.get(ChatHealthService);
  app.use((_request: Request, response: Response, next: NextFunction) => {
    if (health.check().shuttingDown) response.setHeader('connection', 'close');
    next();
  });
}

/**
 * Serves the chat page at `/`, and under `/lib/` the client library and the protocol module it
 * imports, in the same relative layout as in the package. The page's files all have extensions,
 * so they cannot shadow the API's routes (`/auth`, `/users`, `/presence`, …).
 */
function serveBrowserPage(app: NestExpressApplication): void {
  const assets = findWebAssets();
  if (!assets) {
    new Logger('Demo').warn('The browser page is not built (npm run build:page): / is not served');
    return;
  }
  app.useStaticAssets(assets.client, { ...STATIC_OPTIONS, prefix: '/lib/client/src/' });
  app.useStaticAssets(assets.protocol, { ...STATIC_OPTIONS, prefix: '/lib/src/protocol/' });
  app.useStaticAssets(assets.page, { ...STATIC_OPTIONS, prefix: '/', index: 'index.html' });
}
