import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  OPEN_FILE_HEADROOM,
  OPEN_FILE_THRESHOLD,
  openFileLimitWarning,
  parseOpenFileLimit,
} from './open-file-limit.check.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             94828                94828                processes
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('open-file limit', () => {
  it('reads the soft and hard limit from /proc/<pid>/limits', () => {
    assert.deepEqual(parseOpenFileLimit(LIMITS), { soft: 1024, hard: 524288 });
    assert.deepEqual(
      parseOpenFileLimit(
        'Max open files            unlimited            unlimited            files',
      ),
      { soft: Infinity, hard: Infinity },
    );
    assert.equal(parseOpenFileLimit('Max processes 1 1 processes'), undefined);
    assert.equal(parseOpenFileLimit('Max open files  lots  lots  files'), undefined);
  });

  it('warns below the threshold when maxConnections is unset', () => {
    const low = openFileLimitWarning({ soft: OPEN_FILE_THRESHOLD - 1, hard: 20_000 }, Infinity);
    assert.match(
      low!,
      /open-file limit \(9999\) is below 10000 \(limits.maxConnections is unset\)/,
    );
    assert.match(low!, /LimitNOFILE/);
    assert.equal(
      openFileLimitWarning({ soft: OPEN_FILE_THRESHOLD, hard: 20_000 }, Infinity),
      undefined,
    );
  });

  it('warns below maxConnections plus the headroom when it is set', () => {
    const needed = 19_000 + OPEN_FILE_HEADROOM;
    assert.match(
      openFileLimitWarning({ soft: needed - 1, hard: needed }, 19_000)!,
      /below limits.maxConnections \(19000\) plus 1000/,
    );
    assert.equal(openFileLimitWarning({ soft: needed, hard: needed }, 19_000), undefined);
    // A small node is fine with a small limit.
    assert.equal(openFileLimitWarning({ soft: 1024, hard: 1024 }, 20), undefined);
    assert.equal(openFileLimitWarning({ soft: Infinity, hard: Infinity }, 1e9), undefined);
  });
});
