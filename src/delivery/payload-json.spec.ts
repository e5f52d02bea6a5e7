import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageText } from '../protocol/frames.js';
import { payloadJson } from './payload-json.js';

describe('payloadJson', () => {
  it('serializes a payload that a message frame wraps', () => {
    const frame = (payload: unknown) => JSON.parse(messageText(payloadJson(payload)));
    assert.deepEqual(frame({ a: [1, 'b'] }), { event: 'message', data: { a: [1, 'b'] } });
    assert.deepEqual(frame(null), { event: 'message', data: null });
    assert.deepEqual(frame('</script>"'), { event: 'message', data: '</script>"' });
  });

  it('refuses payloads without a JSON form', () => {
    assert.throws(() => payloadJson(undefined), TypeError);
    assert.throws(() => payloadJson(() => 1), TypeError);
    assert.throws(() => payloadJson(10n), /not JSON-serializable/);
  });
});
