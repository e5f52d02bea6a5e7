import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { MemoryHistory } from './memory.history.js';

const LIMITS = { size: 10, ttlMs: 1_000 };

describe('MemoryHistory', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('drops the expired pushes of a stream nobody touches when another one is used', () => {
    const history = new MemoryHistory();
    for (let i = 0; i < 3; i++) history.append('idle', `p${i}`, LIMITS);
    assert.equal(history.size, 3);
    mock.timers.tick(LIMITS.ttlMs + 1);
    history.append('busy', 'q', LIMITS);
    assert.equal(history.size, 1);
  });

  it('sweeps at most once per 100 ms, however many appends come', () => {
    const history = new MemoryHistory();
    const limits = { size: 10, ttlMs: 50 };
    history.append('idle', 'p', limits);
    mock.timers.tick(99);
    history.append('busy', 'q', limits);
    assert.equal(history.size, 2, 'within 100 ms of the last sweep, the expired push stays');
    mock.timers.tick(1);
    history.append('busy', 'r', limits);
    assert.equal(history.size, 2, 'the next sweep dropped the expired push');
  });
});
