import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffCap, backoffDelay, slowDownDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles the window from the base up to the maximum', () => {
    const caps = [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffCap(attempt, 100, 3000));
    assert.deepEqual(caps, [100, 200, 400, 800, 1600, 3000, 3000]);
    assert.equal(backoffCap(5000, 100, 3000), 3000);
  });

  it('draws uniformly from [0, cap): the random source picks the point', () => {
    assert.equal(
      backoffDelay(3, 100, 3000, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(3, 100, 3000, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(3, 100, 3000, () => 0.999_999),
      399,
    );
    assert.equal(
      backoffDelay(20, 100, 3000, () => 0.5),
      1500,
    );
  });

  it('stays within the bounds with the real random source', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const delay = backoffDelay(attempt, 50, 1000);
      assert.ok(
        delay >= 0 && delay < backoffCap(attempt, 50, 1000),
        `attempt ${attempt}: ${delay}`,
      );
    }
  });

  it('waits at least half the maximum when asked to slow down', () => {
    assert.equal(
      slowDownDelay(30_000, () => 0),
      15_000,
    );
    assert.equal(
      slowDownDelay(30_000, () => 0.999_999),
      29_999,
    );
  });
});
