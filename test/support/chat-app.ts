import 'reflect-metadata';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ChatModule,
  ChatWsAdapter,
  ClientRegistryService,
  MessagingService,
  type ChatModuleOptions,
} from '../../src/index.js';

/** Trusts `?user=`, like queryUserAuthenticator(), without its startup warning. */
export function userFromQuery(request: IncomingMessage): string | null {
  return new URL(request.url ?? '/', 'http://localhost').searchParams.get('user');
}

export interface TestApp {
  app: INestApplication;
  port: number;
  messaging: MessagingService;
  registry: ClientRegistryService;
  /** WebSocket URL of the chat endpoint, for `?user=`. */
  wsUrl(user?: string, path?: string): string;
  httpUrl(path: string): string;
  close(): Promise<void>;
}

/**
 * Starts a real Nest application with the chat module on an ephemeral loopback port. Options
 * default to `?user=` authentication.
 */
export async function startChatApp(
  options: Partial<ChatModuleOptions> = {},
  metadata: ModuleMetadata = {},
): Promise<TestApp> {
  const chat = ChatModule.forRoot({ authenticate: userFromQuery, ...options });
  return startApp({ ...metadata, imports: [chat, ...(metadata.imports ?? [])] });
}

/** Starts a real Nest application from module metadata, with `ChatWsAdapter`. */
export async function startApp(metadata: ModuleMetadata): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useWebSocketAdapter(new ChatWsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    app,
    port,
    messaging: app.get(MessagingService),
    registry: app.get(ClientRegistryService),
    wsUrl: (user?: string, path = '/ws') =>
      `ws://127.0.0.1:${port}${path}${user === undefined ? '' : `?user=${encodeURIComponent(user)}`}`,
    httpUrl: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => (closing ??= app.close()),
  };
}
