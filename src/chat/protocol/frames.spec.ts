import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  errorFrame,
  heartbeatFrame,
  MAX_JSON_DEPTH,
  messageFrame,
  parseInbound,
  welcomeFrame,
} from './frames.js';

const json = (frame: Buffer) => JSON.parse(frame.toString());

describe('frames', () => {
  it('wraps a payload as a message frame', () => {
    assert.deepEqual(json(messageFrame({ a: [1, 'b'] })), {
      event: 'message',
      data: { a: [1, 'b'] },
    });
    assert.deepEqual(json(messageFrame(null)), { event: 'message', data: null });
    assert.deepEqual(json(messageFrame('</script>"')), { event: 'message', data: '</script>"' });
  });

  it('refuses payloads without a JSON form', () => {
    assert.throws(() => messageFrame(undefined), TypeError);
    assert.throws(() => messageFrame(() => 1), TypeError);
    assert.throws(() => messageFrame(10n), /not JSON-serializable/);
  });

  it('builds the welcome, heartbeat and error frames', () => {
    assert.deepEqual(json(welcomeFrame('u', 'c1', 25_000)), {
      event: 'welcome',
      data: { user: 'u', connectionId: 'c1', heartbeatIntervalMs: 25_000 },
    });
    assert.deepEqual(json(heartbeatFrame(123)), { event: 'heartbeat', data: { ts: 123 } });
    assert.deepEqual(json(errorFrame('bad_json', 'nope')), {
      event: 'error',
      data: { code: 'bad_json', message: 'nope' },
    });
  });

  it('parses an envelope with and without data', () => {
    assert.deepEqual(parseInbound(Buffer.from('{"event":"x","data":{"k":1}}'), false), {
      ok: true,
      event: 'x',
      data: { k: 1 },
    });
    assert.deepEqual(parseInbound(Buffer.from('{"event":"x"}'), false), {
      ok: true,
      event: 'x',
      data: undefined,
    });
  });

  it('rejects what is not an envelope with the matching code', () => {
    const code = (raw: string, binary = false) => {
      const result = parseInbound(Buffer.from(raw), binary);
      return result.ok ? 'ok' : result.code;
    };
    assert.equal(code('{'), 'bad_json');
    assert.equal(code(''), 'bad_json');
    assert.equal(code('[]'), 'bad_envelope');
    assert.equal(code('1'), 'bad_envelope');
    assert.equal(code('{"event":null}'), 'bad_envelope');
    assert.equal(code('{"event":"x"}', true), 'unsupported_frame');
  });

  it('refuses JSON nested deeper than MAX_JSON_DEPTH, counting only brackets outside strings', () => {
    const nested = (depth: number) =>
      `{"event":"x","data":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    assert.equal(parseInbound(Buffer.from(nested(MAX_JSON_DEPTH)), false).ok, true);
    const deep = parseInbound(Buffer.from(nested(MAX_JSON_DEPTH + 1)), false);
    assert.equal(deep.ok ? 'ok' : deep.code, 'too_deep');
    const escapedQuote = String.raw`\\\"`;
    const bracketsInText = `{"event":"x","data":"${'[{'.repeat(200)}${escapedQuote}${'['.repeat(100)}"}`;
    assert.equal(parseInbound(Buffer.from(bracketsInText), false).ok, true);
  });
});
