import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const rule = new TokenBucket(10, 3);
    const bucket = rule.full(0);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => rule.take(bucket, 0)),
      [true, true, true, false],
    );
    assert.equal(rule.msUntilNext(bucket, 0), 100);
    assert.equal(rule.take(bucket, 99), false);
    assert.equal(rule.take(bucket, 100), true);
    assert.equal(rule.take(bucket, 100), false);
  });

  it('never holds more than the burst, and reports when it is full again', () => {
    const rule = new TokenBucket(10, 2);
    const bucket = rule.full(0);
    rule.take(bucket, 0);
    assert.equal(rule.isFull(bucket, 0), false);
    assert.equal(rule.isFull(bucket, 10_000), true);
    assert.deepEqual(
      [1, 2, 3].map(() => rule.take(bucket, 10_000)),
      [true, true, false],
    );
  });

  it('keeps separate states apart under one rule', () => {
    const rule = new TokenBucket(1, 1);
    const a = rule.full(0);
    const b = rule.full(0);
    assert.equal(rule.take(a, 0), true);
    assert.equal(rule.take(a, 0), false);
    assert.equal(rule.take(b, 0), true);
  });
});
