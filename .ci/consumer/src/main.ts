// A new user's application, compiled strictly against the published declarations and run against
// the packed package (see .ci/consumer-check). It uses only the public API, as README.md shows it.
//
//   node dist/main.js push             start on port 0, one raw socket and one ChatClient, push to
//                                      each through a controller, check the frames and the results
//   node dist/main.js metrics-missing  forRoot({ metrics: true }) without prom-client installed
//                                      must fail at startup, naming the package and the install
import 'reflect-metadata';
import { Body, Controller, Injectable, Module, Param, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import {
  ChatModule,
  ChatWsAdapter,
  CloseCode,
  MessagingService,
  jwtAuthenticator,
  queryUserAuthenticator,
  type Authenticator,
  type ChatModuleAsyncOptions,
  type ChatModuleOptions,
  type ChatOptionsFactory,
  type ConnectionEvent,
  type SendResult,
} from 'nest-chat-gateway';
import {
  ChatClient,
  type ChatClientOptions,
  type CloseInfo,
  type WebSocketConstructor,
  type WebSocketLike,
} from 'nest-chat-gateway/client';

// The application's own log level is 'error' and 'warn'; what this check reports goes to stdout.
const say = (message: string): void => console.log(`consumer-check: ${message}`);

// ---------------------------------------------------------------------------------------------
// The application, as in README.md "Use it in your application".

@Controller('notifications')
class NotificationsController {
  constructor(private readonly messaging: MessagingService) {}

  @Post(':user')
  notify(@Param('user') user: string, @Body() body: unknown): Promise<SendResult> {
    return this.messaging.send(user, body);
  }
}

@Module({
  imports: [ChatModule.forRoot({ authenticate: queryUserAuthenticator() })],
  controllers: [NotificationsController],
})
class AppModule {}

// forRootAsync, typed as README.md shows it (compiled, not started): a factory with inject and
// imports, and a class implementing ChatOptionsFactory.
@Injectable()
class ChatConfig implements ChatOptionsFactory {
  createChatOptions(): ChatModuleOptions {
    return {
      authenticate: jwtAuthenticator({ secret: 'consumer-check-secret-of-32-bytes!' }),
      connectionsPerUser: 3,
      heartbeat: { intervalMs: 25_000, timeoutMs: 60_000 },
      backpressure: { highWaterMarkBytes: 1 << 20, policy: 'disconnect' },
    };
  }
}

@Module({ providers: [ChatConfig], exports: [ChatConfig] })
class ConfigModule {}

const byFactory: ChatModuleAsyncOptions = {
  imports: [ConfigModule],
  inject: [ChatConfig],
  useFactory: (config: ChatConfig) => config.createChatOptions(),
};

@Module({ imports: [ChatModule.forRootAsync(byFactory)] })
export class AsyncFactoryAppModule {}

@Module({ imports: [ChatModule.forRootAsync({ useClass: ChatConfig, isGlobal: false })] })
export class AsyncClassAppModule {}

// A hand-written authenticator has the public type.
export const headerAuthenticator: Authenticator = (request) => {
  const user = request.headers['x-user'];
  return typeof user === 'string' ? { user, expiresAt: Date.now() + 60_000 } : null;
};

// The public types must be real types, not `any` (which a broken declaration turns them into
// under skipLibCheck): each line after a @ts-expect-error must be an error, or tsc fails.
export function typeChecks(messaging: MessagingService): void {
  // @ts-expect-error authenticate is required
  ChatModule.forRoot({});
  // @ts-expect-error an option that does not exist
  ChatModule.forRoot({ authenticate: queryUserAuthenticator(), noSuchOption: true });
  // @ts-expect-error connectionsPerUser is 'single' or a number
  ChatModule.forRoot({ authenticate: queryUserAuthenticator(), connectionsPerUser: 'many' });
  // @ts-expect-error forRootAsync takes a factory or a class, not the options themselves
  ChatModule.forRootAsync({ authenticate: queryUserAuthenticator() });
  void messaging.send('alice', {}).then((result) => {
    // @ts-expect-error delivered is a number
    const delivered: string = result.delivered;
    return delivered;
  });
  // @ts-expect-error the client needs a url
  new ChatClient({});
}

// ---------------------------------------------------------------------------------------------
// The client side. Node 20 has no global WebSocket and this application has no @types/ws (that
// is checked): take the `ws` that nest-chat-gateway itself depends on, typed with the client
// library's own WebSocketLike.

const requireFromLibrary = createRequire(import.meta.resolve('nest-chat-gateway'));
const { WebSocket } = requireFromLibrary('ws') as { WebSocket: WebSocketConstructor };

function fail(message: string): never {
  throw new Error(message);
}

function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A raw socket that records every text frame, resolved once the welcome frame arrived. */
function rawSocket(url: string): Promise<{ socket: WebSocketLike; frames: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const frames: string[] = [];
    socket.addEventListener('message', ({ data }) => {
      frames.push(String(data));
      if (frames.length === 1) {
        const first = JSON.parse(frames[0]!) as { event?: unknown };
        if (first.event === 'welcome') resolve({ socket, frames });
        else reject(new Error(`first frame is not a welcome: ${frames[0]}`));
      }
    });
    socket.addEventListener('error', (event) =>
      reject(new Error(`raw socket error: ${String(event.message)}`)),
    );
    socket.addEventListener('close', ({ code, reason }) =>
      reject(new Error(`raw socket closed before its welcome: ${code} ${reason}`)),
    );
  });
}

async function post(base: string, user: string, body: unknown): Promise<SendResult> {
  const response = await fetch(`${base}/notifications/${encodeURIComponent(user)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) fail(`POST /notifications/${user} answered ${response.status}`);
  return (await response.json()) as SendResult;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) fail(`timed out after 5000 ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function absent(name: string): void {
  try {
    requireFromLibrary.resolve(name);
  } catch {
    try {
      import.meta.resolve(name);
    } catch {
      return;
    }
  }
  fail(`"${name}" is installed in the consumer app, so the check would prove nothing`);
}

async function push(): Promise<void> {
  for (const name of ['ioredis', 'prom-client', '@nestjs/terminus']) absent(name);

  const app: INestApplication = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.useWebSocketAdapter(new ChatWsAdapter(app));
  app.enableShutdownHooks();
  let raw: WebSocketLike | undefined;
  let client: ChatClient<{ text: string }> | undefined;
  let closed = false;
  try {
    await app.listen(0, '127.0.0.1');
    const { port } = new URL(await app.getUrl());
    const base = `http://127.0.0.1:${port}`;
    const events: ConnectionEvent[] = [];
    app
      .get(MessagingService)
      .connections$.subscribe((event: ConnectionEvent) => events.push(event));

    // 1. A raw socket: history is on by default, so the wire frame must be exactly
    // {"event":"message","data":<payload>,"offset":1}.
    const opened = await withTimeout(
      'raw socket welcome',
      5_000,
      rawSocket(`ws://127.0.0.1:${port}/ws?user=alice`),
    );
    raw = opened.socket;
    const payload = { text: 'hello alice', n: 1 };
    const result = await post(base, 'alice', payload);
    if (result.delivered !== 1 || result.dropped !== 0) {
      fail(`send to alice: expected { delivered: 1, dropped: 0 }, got ${JSON.stringify(result)}`);
    }
    await until('the push to reach alice', () => opened.frames.length >= 2);
    const expected = JSON.stringify({ event: 'message', data: payload, offset: 1 });
    if (opened.frames[1] !== expected) {
      fail(`alice got ${opened.frames[1]}, expected ${expected}`);
    }

    // 2. The client library from 'nest-chat-gateway/client', as a Node 20 user runs it.
    const options: ChatClientOptions = {
      url: `ws://127.0.0.1:${port}/ws`,
      token: 'bob',
      tokenParameter: 'user',
      WebSocket,
      reconnect: { baseDelayMs: 100, maxDelayMs: 500 },
    };
    client = new ChatClient<{ text: string }>(options);
    const received: { text: string }[] = [];
    const closes: CloseInfo[] = [];
    client.on('message', (message) => received.push(message));
    client.on('close', (info) => closes.push(info));
    client.on('error', (error) => say(`ChatClient error: ${error.code} ${error.message}`));
    client.connect();
    await until('the ChatClient to be welcomed', () => client?.state === 'connected');
    if (client.session?.user !== 'bob')
      fail(`ChatClient session: ${JSON.stringify(client.session)}`);
    const toBob = await post(base, 'bob', { text: 'hello bob' });
    if (toBob.delivered !== 1)
      fail(`send to bob: expected delivered 1, got ${JSON.stringify(toBob)}`);
    await until('the push to reach bob', () => received.length >= 1);
    if (received[0]?.text !== 'hello bob') fail(`bob got ${JSON.stringify(received)}`);

    const offline = await post(base, 'carol', { text: 'nobody' });
    if (offline.delivered !== 0 || offline.dropped !== 0) {
      fail(`send to an offline user: ${JSON.stringify(offline)}`);
    }
    const connected = events.filter((e) => e.type === 'connected').map((e) => e.user);
    if (connected.sort().join() !== 'alice,bob') fail(`connections$ saw ${JSON.stringify(events)}`);

    // 3. Shutdown drains with 1001 (CloseCode is public).
    client.close();
    const rawClosed = new Promise<number>((resolve) =>
      opened.socket.addEventListener('close', ({ code }) => resolve(code)),
    );
    closed = true;
    await app.close();
    const code = await withTimeout('the raw socket to close', 5_000, rawClosed);
    if (code !== CloseCode.GoingAway)
      fail(`on shutdown alice's socket closed with ${code}, expected 1001`);
    say(`push: alice and bob each got their push (delivered 1), shutdown closed with ${code}`);
  } finally {
    client?.close();
    raw?.close();
    if (!closed) await app.close();
  }
}

async function metricsMissing(): Promise<void> {
  absent('prom-client');
  @Module({
    imports: [ChatModule.forRoot({ authenticate: queryUserAuthenticator(), metrics: true })],
  })
  class MetricsAppModule {}

  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(MetricsAppModule, { logger: false, abortOnError: false });
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    if (!message.includes('prom-client') || !message.includes('npm install prom-client')) {
      fail(`startup failed, but the error does not name prom-client and its install: ${message}`);
    }
    say(`metrics-missing: startup refused as expected: ${message}`);
    return;
  }
  await app.close();
  fail('ChatModule.forRoot({ metrics: true }) started without prom-client installed');
}

const modes: Record<string, () => Promise<void>> = {
  push,
  'metrics-missing': metricsMissing,
};
const mode = process.argv[2] ?? '';
const run = modes[mode];
if (!run) {
  console.error(`unknown mode "${mode}"; one of: ${Object.keys(modes).join(', ')}`);
  process.exit(2);
}
const watchdog = setTimeout(() => {
  console.error(`${mode}: still running after 20 s`);
  process.exit(1);
}, 20_000);
try {
  await run();
  clearTimeout(watchdog);
  // Nothing may keep the process alive after the app closed; the watchdog would flag it.
  setTimeout(() => {
    console.error(`${mode}: passed, but something keeps the process alive`);
    process.exit(1);
  }, 3_000).unref();
} catch (err) {
  console.error(`${mode}: FAILED: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
}
