import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { resolveChatOptions } from '../module/chat-options.resolve.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import { ClientRegistryService } from './client-registry.service.js';
import type { ConnectionEvent } from './connection-event.js';

/** Records what the registry does to a socket; the registry only ever closes or terminates. */
class RecordingSocket {
  readonly calls: string[] = [];
  close(code: number): void {
    this.calls.push(`close ${code}`);
  }
  terminate(): void {
    this.calls.push('terminate');
  }
}

let sequence = 0;
function connection(user: string): ChatConnection & { recorded: RecordingSocket } {
  const socket = new RecordingSocket();
  const result = new ChatConnection(
    `c${++sequence}`,
    user,
    socket as unknown as WebSocket,
    '127.0.0.1',
    0,
    undefined,
    0,
  );
  return Object.assign(result, { recorded: socket });
}

function registryWith(connectionsPerUser: 'single' | number) {
  const events = new ChatEventsService();
  const log: ConnectionEvent[] = [];
  events.connections.subscribe((event) => log.push(event));
  const options = resolveChatOptions({ authenticate: () => null, connectionsPerUser });
  return { registry: new ClientRegistryService(options, events, new ChatStatsService()), log };
}

describe('ClientRegistryService', () => {
  let registry: ClientRegistryService;
  let log: ConnectionEvent[];

  beforeEach(() => {
    ({ registry, log } = registryWith('single'));
  });

  it('registers a connection under its user and its id', () => {
    const a = connection('alice');
    registry.register(a);
    assert.deepEqual(registry.connectionsOf('alice'), [a]);
    assert.equal(registry.get(a.id), a);
    assert.equal(registry.size, 1);
    assert.equal(registry.userCount, 1);
    assert.deepEqual(log, [{ type: 'connected', user: 'alice', connectionId: a.id }]);
  });

  it('returns an empty list for an unknown user', () => {
    assert.deepEqual(registry.connectionsOf('ghost'), []);
    assert.equal(registry.get('nope'), undefined);
  });

  it("with 'single', a new connection ends the previous one as replaced (4000) before it is added", () => {
    const first = connection('bob');
    const second = connection('bob');
    registry.register(first);
    registry.register(second);
    assert.deepEqual(registry.connectionsOf('bob'), [second]);
    assert.equal(registry.get(first.id), undefined);
    assert.deepEqual(first.recorded.calls, [`close ${CloseCode.Replaced}`]);
    assert.deepEqual(second.recorded.calls, []);
    assert.deepEqual(
      log.map((e) => `${e.type} ${e.connectionId}`),
      [`connected ${first.id}`, `disconnected ${first.id}`, `connected ${second.id}`],
    );
  });

  it('ending a connection that was already replaced changes nothing', () => {
    const first = connection('carl');
    const second = connection('carl');
    registry.register(first);
    registry.register(second);
    const events = log.length;
    assert.equal(registry.end(first, 'client_closed'), false);
    assert.deepEqual(registry.connectionsOf('carl'), [second]);
    assert.equal(log.length, events, 'no second disconnected event');
  });

  it('ending the last connection removes the user entirely', () => {
    const a = connection('dora');
    registry.register(a);
    assert.equal(registry.end(a, 'client_closed', { code: 1000 }), true);
    assert.equal(registry.size, 0);
    assert.equal(registry.userCount, 0);
    assert.deepEqual(log.at(-1), {
      type: 'disconnected',
      user: 'dora',
      connectionId: a.id,
      reason: 'client_closed',
      code: 1000,
    });
    assert.deepEqual(a.recorded.calls, [], 'a socket the client closed is not closed again');
  });

  it('closes the socket as each server-side reason requires', () => {
    const expectations = [
      ['slow_consumer', `close ${CloseCode.SlowConsumer}`],
      ['shutdown', `close ${CloseCode.GoingAway}`],
      ['heartbeat_timeout', 'terminate'],
      ['rate_limited', `close ${CloseCode.PolicyViolation}`],
      ['token_expired', `close ${CloseCode.TokenExpired}`],
      ['kicked', `close ${CloseCode.Kicked}`],
      ['error', undefined],
    ] as const;
    for (const [reason, call] of expectations) {
      const c = connection(`u-${reason}`);
      registry.register(c);
      registry.end(c, reason);
      assert.deepEqual(c.recorded.calls, call ? [call] : [], reason);
    }
  });

  it('counts live connections per remote address', () => {
    const a = connection('u1');
    const b = connection('u2');
    registry.register(a);
    registry.register(b);
    assert.equal(registry.countAt('127.0.0.1'), 2);
    registry.end(a, 'client_closed');
    registry.end(b, 'client_closed');
    assert.equal(registry.countAt('127.0.0.1'), 0);
  });

  it('sends a custom close reason, cut to the 123 bytes a close frame allows', () => {
    const a = connection('u3');
    const reasons: string[] = [];
    (a.socket as unknown as { close: (code: number, reason: string) => void }).close = (
      _code,
      reason,
    ) => reasons.push(reason);
    registry.register(a);
    registry.end(a, 'kicked', { message: 'é'.repeat(100) });
    assert.equal(Buffer.byteLength(reasons[0]), 122);
    assert.equal(reasons[0], 'é'.repeat(61));
  });

  it('with a limit of 3, the oldest connections go first and the others stay in order', () => {
    ({ registry, log } = registryWith(3));
    const cs = [1, 2, 3, 4, 5].map(() => connection('eve'));
    for (const c of cs) registry.register(c);
    assert.deepEqual(registry.connectionsOf('eve'), cs.slice(2));
    assert.deepEqual(cs[0].recorded.calls, [`close ${CloseCode.Replaced}`]);
    assert.deepEqual(cs[1].recorded.calls, [`close ${CloseCode.Replaced}`]);
    registry.end(cs[3], 'client_closed');
    assert.deepEqual(registry.connectionsOf('eve'), [cs[2], cs[4]]);
  });

  it('keeps a list handed out earlier unchanged when connections end (a snapshot)', () => {
    ({ registry } = registryWith(2));
    const a = connection('fay');
    const b = connection('fay');
    registry.register(a);
    registry.register(b);
    const snapshot = registry.connectionsOf('fay');
    registry.end(a, 'client_closed');
    assert.deepEqual(snapshot, [a, b]);
    assert.deepEqual(registry.connectionsOf('fay'), [b]);
  });

  it('iterates every connection, and keeps iterating while connections end', () => {
    const all = ['g', 'h', 'i', 'j'].map((user) => connection(user));
    for (const c of all) registry.register(c);
    const seen: ChatConnection[] = [];
    for (const c of registry.all()) {
      seen.push(c);
      registry.end(c, 'shutdown');
    }
    assert.deepEqual(seen, all);
    assert.equal(registry.size, 0);
  });
});
