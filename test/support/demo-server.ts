import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createDemoApp } from '../../sample/create-demo-app.js';
import { loadDemoConfig } from '../../sample/demo-config.js';
import { within } from './wait.js';

/** Longest a start or stop may take before the test fails saying which one hung. */
const LIFECYCLE_TIMEOUT_MS = 20_000;

/** The demo application in this process, on a loopback port that survives restarts. */
export interface DemoServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly wsUrl: string;
  /** Whether the application is listening now. */
  readonly running: boolean;
  /** A token from `POST /auth/login`. */
  login(user: string): Promise<string>;
  /** Closes the application as SIGTERM would: clients get 1001. */
  stop(): Promise<void>;
  /**
   * Starts a new application on the same port. It signs with a new JWT secret, as a restarted
   * demo without CHAT_JWT_SECRET does, so tokens from before the restart are refused.
   */
  start(): Promise<void>;
  /** Stops it if it runs; for `after()` hooks. */
  close(): Promise<void>;
}

/**
 * Starts the demo in-process on a free loopback port. `env` holds demo variables
 * (CHAT_CONNECTIONS_PER_USER, …) used for every start.
 */
export async function startDemoServer(env: Record<string, string> = {}): Promise<DemoServer> {
  let app: NestExpressApplication | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const secret = randomBytes(16).toString('hex');
    const next = await createDemoApp(loadDemoConfig({ ...env, CHAT_JWT_SECRET: secret }), false);
    await next.listen(port, '127.0.0.1');
    app = next;
    port = (next.getHttpServer().address() as AddressInfo).port;
  };
  await listen();
  const origin = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    const current = app;
    app = undefined;
    if (current) await within(current.close(), LIFECYCLE_TIMEOUT_MS, 'the demo to close');
  };
  return {
    port,
    origin,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    get running() {
      return app !== undefined;
    },
    async login(user) {
      const response = await fetch(`${origin}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user }),
      });
      if (response.status !== 200) throw new Error(`login of ${user}: HTTP ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    },
    stop,
    async start() {
      if (app) throw new Error('the demo is already running');
      await within(listen(), LIFECYCLE_TIMEOUT_MS, 'the demo to start again');
    },
    close: stop,
  };
}
