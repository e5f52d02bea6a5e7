import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { POSITION_LIFETIME_MS } from '../stream-epoch.js';
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

  it('gives streams that start within an hour one epoch, and a restarted stream a new one', async () => {
    const history = new MemoryHistory();
    const first = await history.position('a', LIMITS);
    mock.timers.tick(59 * 60_000);
    assert.equal((await history.position('b', LIMITS)).epoch, first.epoch);
    mock.timers.tick(60_000);
    const later = await history.position('c', LIMITS);
    assert.notEqual(later.epoch, first.epoch, 'an hour on, streams get another epoch');

    history.append('a', 'p', LIMITS);
    mock.timers.tick(POSITION_LIFETIME_MS);
    const restarted = await history.position('a', LIMITS);
    assert.equal(restarted.offset, 0, 'the position expired');
    assert.notEqual(restarted.epoch, first.epoch);
    assert.notEqual(restarted.epoch, later.epoch);
    const read = await history.read('a', { epoch: first.epoch, offset: 1 }, LIMITS);
    assert.equal(read.recovered, false, 'a position of the old stream is not one of the new');
  });

  it('frames a push with its suffix, numbered with the plain appends, and reads back its data', async () => {
    const history = new MemoryHistory();
    const suffix = (offset: number, epoch: string) => `,"offset":${offset},"epoch":"${epoch}"}`;
    history.append('s', 'a', LIMITS);
    const framed = history.appendFrame('s', '{"data":"é"', LIMITS, suffix);
    assert.equal(framed.offset, 2);
    assert.equal(framed.frame.toString(), `{"data":"é","offset":2,"epoch":"${framed.epoch}"}`);
    assert.equal(history.append('s', 'c', LIMITS).offset, 3);
    const read = await history.read('s', { epoch: framed.epoch, offset: 0 }, LIMITS);
    assert.deepEqual(read.recovered && read.entries, [
      { offset: 1, data: 'a' },
      { offset: 2, data: '{"data":"é"' },
      { offset: 3, data: 'c' },
    ]);
  });
});
