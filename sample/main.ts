import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createDemoApp } from './create-demo-app.js';
import { loadDemoConfig, type DemoConfig } from './demo-config.js';

const logger = new Logger('Demo');

async function main(): Promise<void> {
  let config: DemoConfig;
  try {
    config = loadDemoConfig();
  } catch (err) {
    logger.error(`Invalid configuration: ${(err as Error).message}`);
    process.exit(1);
  }
  if (config.jwtSecretGenerated) {
    logger.warn(
      'CHAT_JWT_SECRET is not set: using a random secret for this process. Tokens from /auth/login work until it restarts.',
    );
  }
  const app = await createDemoApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const url = new URL(await app.getUrl());
  logger.log(
    `Listening on http://${url.host} (chat page: http://${url.host}/, WebSocket: ws://${url.host}/ws, auth: ${config.auth})`,
  );
}

main().catch((err: unknown) => {
  logger.error(`Could not start: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
