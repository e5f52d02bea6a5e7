import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldReconnect, shouldRetryHandshake } from './retry-policy.js';

describe('retry policy', () => {
  it("retries what the server README calls transient, and stops on 'fix the client' and 4000", () => {
    const retried = [1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014, 4008, 4999];
    const final = [1002, 1003, 1007, 1008, 1009, 1010, 4000];
    assert.deepEqual(retried.filter(shouldReconnect), retried);
    assert.deepEqual(final.filter(shouldReconnect), []);
  });

  it('stops on a refused handshake only when the credentials are refused', () => {
    assert.equal(shouldRetryHandshake(401), false);
    assert.equal(shouldRetryHandshake(403), false);
    assert.equal(shouldRetryHandshake(503), true);
    assert.equal(shouldRetryHandshake(502), true);
    assert.equal(shouldRetryHandshake(500), true);
  });
});
