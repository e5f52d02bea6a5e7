import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveChatClientOptions, type ChatClientOptions } from './chat-client-options.js';
import type { WebSocketConstructor } from './web-socket.js';

const NoSocket = class {} as unknown as WebSocketConstructor;
const resolve = (options: Partial<ChatClientOptions>) =>
  resolveChatClientOptions({ url: 'ws://127.0.0.1:1/ws', WebSocket: NoSocket, ...options });

describe('resolveChatClientOptions', () => {
  it('fills in the defaults', () => {
    const options = resolve({});
    assert.equal(options.url.href, 'ws://127.0.0.1:1/ws');
    assert.equal(options.getToken, undefined);
    assert.equal(options.tokenParameter, 'token');
    assert.equal(options.WebSocket, NoSocket);
    assert.equal(options.baseDelayMs, 500);
    assert.equal(options.maxDelayMs, 30_000);
    assert.equal(options.connectTimeoutMs, 10_000);
    assert.equal(options.heartbeatTimeoutMs, 10_000);
    assert.equal(options.whileDisconnected, 'queue');
    assert.equal(options.maxQueued, 50);
  });

  it('turns http(s) into ws(s), drops the fragment, and serves a fixed token as getToken', async () => {
    const options = resolve({ url: 'https://example.com/ws?x=1#top', token: 't0' });
    assert.equal(options.url.href, 'wss://example.com/ws?x=1');
    assert.equal(await options.getToken?.(), 't0');
    assert.equal(resolve({ url: 'http://example.com/ws' }).url.protocol, 'ws:');
    assert.equal(resolve({ reconnect: { baseDelayMs: 60_000 } }).maxDelayMs, 60_000);
  });

  it('names the option that cannot work', () => {
    const cases: [Partial<ChatClientOptions>, RegExp][] = [
      [{ url: 'ftp://x/ws' }, /option "url" must be a ws:\/\/ or wss:\/\/ URL/],
      [{ url: '/ws' }, /option "url" is not a valid URL: \/ws/],
      [{ url: undefined }, /option "url" is required/],
      [{ token: 't', getToken: () => 't' }, /"token" and "getToken" exclude each other/],
      [{ token: '' }, /"token" must be a non-empty string/],
      [{ reconnect: { baseDelayMs: 0 } }, /"reconnect.baseDelayMs" must be an integer >= 1/],
      [
        { reconnect: { baseDelayMs: 1000, maxDelayMs: 10 } },
        /"reconnect.maxDelayMs" must be an integer >= 1000, got 10/,
      ],
      [{ heartbeatTimeoutMs: 1.5 }, /"heartbeatTimeoutMs" must be an integer >= 1, got 1.5/],
      [{ maxQueued: 0 }, /"maxQueued"/],
      [{ whileDisconnected: 'drop' as 'queue' }, /"whileDisconnected" must be 'queue' or 'reject'/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => resolve(options), { name: 'TypeError', message }, String(message));
    }
  });

  it('uses the global WebSocket, and asks for one where there is none (Node 20)', () => {
    const global = (globalThis as { WebSocket?: unknown }).WebSocket;
    if (global) {
      assert.equal(resolveChatClientOptions({ url: 'ws://127.0.0.1:1/ws' }).WebSocket, global);
    } else {
      assert.throws(
        () => resolveChatClientOptions({ url: 'ws://127.0.0.1:1/ws' }),
        /no WebSocket implementation. Pass one as option "WebSocket"/,
      );
    }
  });
});
