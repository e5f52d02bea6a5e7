import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { WebSocket } from 'ws';
import type { Authenticator } from '../../auth/authenticator.js';
import { ChatStatsService } from '../../common/chat-stats.service.js';
import { monotonicMs } from '../../common/clock.js';
import { resolveChatOptions } from '../../module/chat-options.resolve.js';
import type { ChatModuleOptions } from '../../options/chat-options.interface.js';
import { ChatConnection } from '../chat-connection.js';
import { ChatEventsService } from '../chat-events.service.js';
import { ClientRegistryService } from '../client-registry.service.js';
import { LifecycleService } from '../lifecycle.service.js';
import { OutboundService } from '../outbound.service.js';
import { HandshakeLimitsService } from './handshake-limits.service.js';
import { HandshakeService } from './handshake.service.js';

/** Captured before the timers are mocked: runs once every pending promise has settled. */
const realSetImmediate = setImmediate;
const drain = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

const HANDSHAKE_TIMEOUT_MS = 2_000;

type Answer = [verified: boolean, code?: number, message?: string, headers?: object];

function request(
  { origin, host = 'chat.example', address = '10.0.0.1', user = 'alice' } = {} as {
    origin?: string;
    host?: string;
    address?: string;
    user?: string;
  },
): IncomingMessage {
  return {
    headers: { host, ...(origin === undefined ? {} : { origin }) },
    url: `/ws?user=${encodeURIComponent(user)}`,
    socket: { remoteAddress: address, cork() {}, uncork() {} },
  } as unknown as IncomingMessage;
}

/** The user named in the fake request's query: what a query-string authenticator would read. */
const userOf = (req: IncomingMessage): string =>
  new URL(req.url!, 'http://x').searchParams.get('user')!;

const never = (): Promise<never> => new Promise(() => undefined);

function setup(
  authenticate: Authenticator = (req) => userOf(req),
  overrides: Partial<ChatModuleOptions> = {},
) {
  const options = resolveChatOptions({
    authenticate,
    connectionsPerUser: 100,
    ...overrides,
    limits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, ...overrides.limits },
  });
  const stats = new ChatStatsService();
  const registry = new ClientRegistryService(options, new ChatEventsService(), stats);
  const lifecycle = new LifecycleService(options, registry);
  const limits = new HandshakeLimitsService(options, registry);
  const outbound = new OutboundService(options, registry, stats);
  const handshake = new HandshakeService(options, limits, lifecycle, stats, outbound);
  /** Runs `verify` and returns what `done` was called with, as it is called. */
  const verify = (req: IncomingMessage = request()) => {
    const answers: Answer[] = [];
    const done = mock.fn((...answer: Answer) => void answers.push(answer));
    handshake.verify(req, done);
    return { answers, done, req };
  };
  let sequence = 0;
  const registerAt = (address: string) =>
    registry.register(
      new ChatConnection(
        `node.${++sequence}`,
        `registered${sequence}`,
        { close() {}, terminate() {} } as unknown as WebSocket,
        address,
        monotonicMs(),
        undefined,
        10,
      ),
    );
  return { handshake, lifecycle, registry, stats, verify, registerAt };
}

describe('HandshakeService', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    for (const level of ['debug', 'error', 'warn'] as const) {
      mock.method(Logger.prototype, level, () => undefined);
    }
  });

  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it('admits an authenticated user once, and hands its principal out exactly once', async () => {
    const expiresAt = Date.now() + 60_000;
    const { handshake, stats, verify } = setup(() => ({ user: 'alice', expiresAt }));
    const { answers, done, req } = verify();
    await drain();
    assert.deepEqual(answers, [[true]]);
    assert.equal(done.mock.callCount(), 1);
    assert.deepEqual(handshake.takeAdmission(req), {
      principal: { user: 'alice', expiresAt },
      recovery: {},
    });
    assert.equal(handshake.takeAdmission(req), undefined);
    assert.equal(handshake.takeAdmission(request()), undefined, 'another request has none');
    assert.equal(stats.handshakeRefusals.size, 0);
  });

  it('answers a synchronous authenticator before verify returns, an async one later', async () => {
    const sync = setup(() => 'alice');
    assert.deepEqual(sync.verify().answers, [[true]], 'no promise in between');
    const refused = setup(() => null);
    assert.deepEqual(refused.verify().answers, [[false, 401, 'Unauthorized', undefined]]);
    const later = setup(async () => 'alice');
    const { answers } = later.verify();
    assert.deepEqual(answers, []);
    await drain();
    assert.deepEqual(answers, [[true]]);
  });

  it('corks an admitted socket before answering, and uncorks it when the turn ends', async () => {
    const { verify } = setup(() => 'alice');
    const req = request();
    const calls: string[] = [];
    Object.assign(req.socket, {
      cork: () => calls.push('cork'),
      uncork: () => calls.push('uncork'),
    });
    const { answers } = verify(req);
    assert.deepEqual(answers, [[true]]);
    assert.deepEqual(calls, ['cork'], 'the 101 that ws writes now waits for the welcome');
    await drain();
    assert.deepEqual(calls, ['cork', 'uncork']);
  });

  it('refuses with 503 once shutdown began, before authenticating', async () => {
    const authenticate = mock.fn(() => 'alice');
    const { lifecycle, stats, verify } = setup(authenticate);
    await lifecycle.beforeApplicationShutdown();
    assert.equal(lifecycle.isAccepting, false);
    const { answers } = verify();
    assert.deepEqual(answers, [[false, 503, 'Server is shutting down', undefined]], 'at once');
    assert.equal(authenticate.mock.callCount(), 0);
    assert.equal(stats.handshakeRefusals.get(503), 1);
  });

  it('refuses with 503 a handshake whose authentication ends after shutdown began', async () => {
    let admit!: (user: string) => void;
    const { handshake, lifecycle, verify } = setup(
      () => new Promise<string>((resolve) => (admit = resolve)),
    );
    const { answers, req } = verify();
    await drain();
    await lifecycle.beforeApplicationShutdown();
    admit('alice');
    await drain();
    assert.deepEqual(answers, [[false, 503, 'Server is shutting down', undefined]]);
    assert.equal(handshake.takeAdmission(req), undefined);
  });

  it('refuses with 403 an Origin the policy does not allow', async () => {
    const authenticate = mock.fn(() => 'alice');
    const { stats, verify } = setup(authenticate);
    const { answers } = verify(request({ origin: 'https://evil.example', host: 'chat.example' }));
    assert.deepEqual(answers, [[false, 403, 'Origin not allowed', undefined]]);
    assert.equal(authenticate.mock.callCount(), 0);
    assert.equal(stats.handshakeRefusals.get(403), 1);

    const same = verify(request({ origin: 'https://chat.example', host: 'chat.example' }));
    await drain();
    assert.deepEqual(same.answers, [[true]], 'the page’s own origin is allowed');
  });

  it('refuses with 503 at maxConnections, counting handshakes still authenticating', async () => {
    const { stats, verify, registerAt } = setup(
      (req) => (userOf(req) === 'slow' ? never() : userOf(req)),
      { limits: { maxConnections: 2 } },
    );
    registerAt('10.0.0.9');
    const slow = verify(request({ user: 'slow' }));
    await drain();
    assert.deepEqual(slow.answers, [], 'still authenticating');

    const refused = verify(request({ user: 'bob' }));
    assert.deepEqual(refused.answers, [
      [false, 503, 'Server is at capacity', { 'Retry-After': '5' }],
    ]);
    assert.equal(stats.handshakeRefusals.get(503), 1);

    mock.timers.tick(HANDSHAKE_TIMEOUT_MS);
    await drain();
    assert.deepEqual(slow.answers, [[false, 503, 'Authentication timed out', undefined]]);
    const admitted = verify(request({ user: 'bob' }));
    await drain();
    assert.deepEqual(admitted.answers, [[true]], 'the timed-out handshake freed its slot');
  });

  it('refuses with 429 at maxConnectionsPerAddress, counting pending handshakes', async () => {
    const { stats, verify, registerAt } = setup(
      (req) => (userOf(req) === 'slow' ? never() : userOf(req)),
      { limits: { maxConnectionsPerAddress: 1 } },
    );
    registerAt('10.0.0.1');
    const live = verify(request({ address: '10.0.0.1' }));
    assert.deepEqual(live.answers, [
      [false, 429, 'Too many connections from this address', undefined],
    ]);

    verify(request({ address: '10.0.0.2', user: 'slow' }));
    const pending = verify(request({ address: '10.0.0.2' }));
    assert.deepEqual(pending.answers, [
      [false, 429, 'Too many connections from this address', undefined],
    ]);

    const elsewhere = verify(request({ address: '10.0.0.3' }));
    await drain();
    assert.deepEqual(elsewhere.answers, [[true]]);
    assert.equal(stats.handshakeRefusals.get(429), 2);
  });

  it('refuses with 401 when the authenticator answers nothing', async () => {
    for (const answer of [null, undefined]) {
      const { handshake, stats, verify } = setup(() => answer);
      const { answers, req } = verify();
      await drain();
      assert.deepEqual(answers, [[false, 401, 'Unauthorized', undefined]], String(answer));
      assert.equal(handshake.takeAdmission(req), undefined);
      assert.equal(stats.handshakeRefusals.get(401), 1);
    }
  });

  it('refuses with 401 an invalid user id', async () => {
    const invalid: unknown[] = ['', 'x'.repeat(129), 'bad\u0000id', { user: 42 }, { user: '' }];
    for (const answer of invalid) {
      const { stats, verify } = setup(() => answer as string);
      const { answers } = verify();
      await drain();
      assert.deepEqual(answers, [[false, 401, 'Unauthorized', undefined]], JSON.stringify(answer));
      assert.equal(stats.handshakeRefusals.get(401), 1);
    }
  });

  it('refuses with 429 and Retry-After a user over userConnectsPerMinute', async () => {
    const { stats, verify } = setup(undefined, { limits: { userConnectsPerMinute: 2 } });
    const answers: Answer[][] = [];
    for (let i = 0; i < 3; i++) {
      answers.push(verify(request({ user: 'alice' })).answers);
      await drain();
    }
    assert.deepEqual(answers, [
      [[true]],
      [[true]],
      [[false, 429, 'Too many connections for this user', { 'Retry-After': '30' }]],
    ]);
    const other = verify(request({ user: 'bob' }));
    await drain();
    assert.deepEqual(other.answers, [[true]], 'counted per user');
    assert.equal(stats.handshakeRefusals.get(429), 1);
  });

  it('refuses with 500 when the authenticator throws or rejects', async () => {
    const error = mock.method(Logger.prototype, 'error', () => undefined);
    for (const authenticate of [
      () => {
        throw new Error('broken');
      },
      () => Promise.reject(new Error('broken')),
    ]) {
      const { stats, verify } = setup(authenticate);
      const { answers } = verify();
      await drain();
      assert.deepEqual(answers, [[false, 500, 'Authentication failed', undefined]]);
      assert.equal(stats.handshakeRefusals.get(500), 1);
    }
    assert.equal(error.mock.callCount(), 2, 'a broken authenticator is logged');
  });

  it('refuses with 503 an authenticator that does not answer within handshakeTimeoutMs', async () => {
    const { stats, verify } = setup(never);
    const { answers } = verify();
    mock.timers.tick(HANDSHAKE_TIMEOUT_MS - 1);
    await drain();
    assert.deepEqual(answers, []);
    mock.timers.tick(1);
    await drain();
    assert.deepEqual(answers, [[false, 503, 'Authentication timed out', undefined]]);
    assert.equal(stats.handshakeRefusals.get(503), 1);
  });

  it('counts refusals by status', async () => {
    const { lifecycle, stats, verify } = setup((req) => (userOf(req) === 'nobody' ? null : 'x'));
    verify(request({ origin: 'https://evil.example' }));
    verify(request({ origin: 'https://evil.example' }));
    verify(request({ user: 'nobody' }));
    await drain();
    await lifecycle.beforeApplicationShutdown();
    verify();
    assert.deepEqual(
      [...stats.handshakeRefusals].sort(([a], [b]) => a - b),
      [
        [401, 1],
        [403, 2],
        [503, 1],
      ],
    );
  });
});
