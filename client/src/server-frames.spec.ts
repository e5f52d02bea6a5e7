import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readServerError, readWelcome } from './server-frames.js';

describe('server frames', () => {
  it('reads a welcome, and falls back to a usable heartbeat interval', () => {
    assert.deepEqual(readWelcome({ user: 'u', connectionId: 'c', heartbeatIntervalMs: 50 }, 9), {
      user: 'u',
      connectionId: 'c',
      heartbeatIntervalMs: 50,
    });
    for (const interval of [undefined, 0, -5, Number.NaN, '50', Infinity]) {
      const welcome = readWelcome(
        { user: 'u', connectionId: 'c', heartbeatIntervalMs: interval },
        9,
      );
      assert.equal(welcome?.heartbeatIntervalMs, 9, String(interval));
    }
    assert.equal(readWelcome({ user: 'u' }, 9), undefined);
    assert.equal(readWelcome('welcome', 9), undefined);
    assert.equal(readWelcome(null, 9), undefined);
  });

  it('reads an error frame, whatever it holds', () => {
    assert.deepEqual(readServerError({ code: 'bad_json', message: 'nope' }), {
      code: 'bad_json',
      message: 'nope',
    });
    assert.equal(readServerError(undefined).code, 'unknown');
  });
});
