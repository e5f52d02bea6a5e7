import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH } from '../protocol/error-codes.js';
import { parseInbound } from './inbound-frame.js';

describe('parseInbound', () => {
  it('parses an envelope with and without data', () => {
    assert.deepEqual(parseInbound(Buffer.from('{"event":"x","data":{"k":1}}'), false), {
      ok: true,
      frame: { event: 'x', data: { k: 1 } },
    });
    assert.deepEqual(parseInbound(Buffer.from('{"event":"x"}'), false), {
      ok: true,
      frame: { event: 'x', data: undefined },
    });
    assert.deepEqual(parseInbound(Buffer.from('{"event":"x","id":"r1","extra":1}'), false), {
      ok: true,
      frame: { event: 'x', data: undefined, id: 'r1' },
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
