import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageFrame } from './message-frame.js';

const json = (frame: Buffer) => JSON.parse(frame.toString());

describe('messageFrame', () => {
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
});
