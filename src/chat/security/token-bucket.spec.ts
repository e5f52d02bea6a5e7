import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.take(0)),
      [true, true, true, false],
    );
    assert.equal(bucket.msUntilNext(0), 100);
    assert.equal(bucket.take(99), false);
    assert.equal(bucket.take(100), true);
    assert.equal(bucket.take(100), false);
  });

  it('never holds more than the burst, and reports when it is full again', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.take(0);
    assert.equal(bucket.isFull(0), false);
    assert.equal(bucket.isFull(10_000), true);
    assert.deepEqual(
      [1, 2, 3].map(() => bucket.take(10_000)),
      [true, true, false],
    );
  });
});
