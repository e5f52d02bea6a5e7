import assert from 'node:assert/strict';
import { Injectable, Module } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  ChatModule,
  CloseCode,
  MessagingService,
  type ChatModuleOptions,
  type ChatOptionsFactory,
  type ConnectionEvent,
} from '../src/index.js';
import { startApp, startChatApp, userFromQuery } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { rawRequestStatus, upgradeRequest } from './support/raw-http.js';
import { waitFor } from './support/wait.js';

describe('shutdown', () => {
  it('app.close() delivers what was queued, closes every connection with 1001 and empties the registry', async () => {
    const chat = await startChatApp();
    const events: ConnectionEvent[] = [];
    chat.messaging.connections$.subscribe((event) => events.push(event));
    const clients = await Promise.all(
      ['s1', 's2', 's3'].map((user) => TestClient.connectAndWelcome(chat.wsUrl(user))),
    );
    for (let i = 0; i < 20; i++) await chat.messaging.broadcast({ i });

    await chat.close();

    for (const client of clients) {
      assert.deepEqual(await client.closed, {
        code: CloseCode.GoingAway,
        reason: 'server shutting down',
      });
      assert.equal(client.framesOf('message').length, 20, 'queued pushes arrived before the close');
    }
    assert.equal(chat.registry.size, 0);
    assert.deepEqual(
      events
        .filter((e) => e.type === 'disconnected')
        .map((e) => e.type === 'disconnected' && e.reason),
      ['shutdown', 'shutdown', 'shutdown'],
    );
  });

  it('takes every listener of the chat adapter off the HTTP server: an upgrade request it gets afterwards is answered, not left hanging', async () => {
    const chat = await startChatApp();
    const server = chat.app.getHttpServer() as Server;
    await chat.close();
    assert.equal(server.listenerCount('upgrade'), 0);

    // Node hands an upgrade request to the 'upgrade' listeners whenever there is one, and to the
    // plain request handler only when there is none: one left behind would answer nothing.
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const request = upgradeRequest({
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      });
      assert.equal(await rawRequestStatus((server.address() as AddressInfo).port, request), 404);
    } finally {
      // Not awaited: the socket of an unanswered upgrade would keep the close pending, and the
      // test would end on that instead of on the failed wait for an answer.
      server.close();
    }
  });
});

describe('shutdown under load', () => {
  it('closes 100 clients with 1001 while pushes are in flight, and none sees a reset', async () => {
    const chat = await startChatApp();
    const clients = await Promise.all(
      Array.from({ length: 100 }, (_, i) => TestClient.connectAndWelcome(chat.wsUrl(`busy-${i}`))),
    );
    const resets: Error[] = [];
    for (const client of clients) client.socket.on('error', (err) => resets.push(err));

    let pushing = true;
    const pushLoop = async () => {
      for (let i = 0; pushing; i++) {
        await chat.messaging.broadcast({ i, padding: 'x'.repeat(512) });
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const pushes = pushLoop();
    await waitFor(() => clients.every((client) => client.framesOf('message').length > 0), {
      what: 'pushes to be flowing to every client',
    });
    await chat.close();
    pushing = false;
    await pushes;

    for (const client of clients) {
      assert.equal((await client.closed).code, CloseCode.GoingAway);
      assert.ok(client.framesOf('message').length > 0, 'pushes were in flight');
    }
    assert.deepEqual(resets, []);
    assert.equal(chat.registry.size, 0);
  });
});

describe('ChatModule.forRootAsync', () => {
  const CONFIG = Symbol('config');

  @Module({ providers: [{ provide: CONFIG, useValue: { path: '/live' } }], exports: [CONFIG] })
  class ConfigModule {}

  @Injectable()
  class OptionsFactory implements ChatOptionsFactory {
    createChatOptions(): ChatModuleOptions {
      return { authenticate: userFromQuery, path: '/from-class' };
    }
  }

  @Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
  class FactoryModule {}

  async function welcomesOn(imports: unknown[], path: string): Promise<void> {
    const chat = await startApp({ imports: imports as never[] });
    try {
      const client = await TestClient.connectAndWelcome(chat.wsUrl('ada', path));
      assert.equal(client.frames[0].data.user, 'ada');
      await client.close();
    } finally {
      await chat.close();
    }
  }

  it('builds the options with useFactory and inject', async () => {
    await welcomesOn(
      [
        ChatModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { path: string }) => ({
            authenticate: userFromQuery,
            path: config.path,
          }),
        }),
      ],
      '/live',
    );
  });

  it('builds the options with useClass', async () => {
    await welcomesOn([ChatModule.forRootAsync({ useClass: OptionsFactory })], '/from-class');
  });

  it('builds the options with useExisting', async () => {
    await welcomesOn(
      [ChatModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory })],
      '/from-class',
    );
  });

  it('requires exactly one way to build the options', () => {
    assert.throws(
      () => ChatModule.forRootAsync({}),
      /exactly one of useFactory, useClass or useExisting/,
    );
  });
});

describe('ChatModule isGlobal', () => {
  @Injectable()
  class Notifier {
    constructor(readonly messaging: MessagingService) {}
  }

  @Module({ providers: [Notifier] })
  class FeatureModule {}

  it('is global by default: a module that does not import it can inject MessagingService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChatModule.forRoot({ authenticate: userFromQuery }), FeatureModule],
    }).compile();
    assert.ok(moduleRef.get(Notifier).messaging instanceof MessagingService);
    await moduleRef.close();
  });

  it('with isGlobal: false, only modules that import it can', async () => {
    await assert.rejects(
      Test.createTestingModule({
        imports: [
          ChatModule.forRoot({ authenticate: userFromQuery, isGlobal: false }),
          FeatureModule,
        ],
      }).compile(),
      /Nest can't resolve dependencies of the Notifier/,
    );
  });
});

describe('startup checks', () => {
  it('stops the application with a clear message for invalid options', async () => {
    await assert.rejects(
      startChatApp({ heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 } }),
      /ChatModule: option "heartbeat.timeoutMs" must be larger than heartbeat.intervalMs/,
    );
  });

  it('stops the application with a clear message when ChatWsAdapter is not installed', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChatModule.forRoot({ authenticate: userFromQuery })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await assert.rejects(
      app.listen(0, '127.0.0.1'),
      /app\.useWebSocketAdapter\(new ChatWsAdapter\(app\)\)/,
    );
    await app.close();
  });
});
