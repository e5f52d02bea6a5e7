import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCode } from '../../src/protocol/index.js';
import { afterClose, afterRefusedHandshake, CLOSE_RULES } from './retry-policy.js';

describe('retry policy', () => {
  it('has a rule for every close code of the protocol', () => {
    const codes = Object.values(CloseCode).sort();
    assert.deepEqual(Object.keys(CLOSE_RULES).map(Number).sort(), codes);
  });

  it("follows the server's close-code table", () => {
    const retried = [1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014, 4001, 4008, 4010, 4999];
    const final = [1002, 1003, 1007, 1009, 1010, 4000, 4003];
    assert.deepEqual(
      retried.map(afterClose),
      retried.map(() => 'retry'),
    );
    assert.deepEqual(
      final.map(afterClose),
      final.map(() => 'stop'),
    );
    assert.equal(afterClose(1008), 'slow-down');
  });

  it('stops on a refused handshake only when the credentials or the origin are refused', () => {
    assert.equal(afterRefusedHandshake(401), 'stop');
    assert.equal(afterRefusedHandshake(403), 'stop');
    for (const status of [429, 500, 502, 503]) assert.equal(afterRefusedHandshake(status), 'retry');
  });
});
