import { randomBytes } from 'node:crypto';

/**
 * @internal How long a stream's position (epoch and last offset) outlives its last push at
 * least, so that a client that was up to date can still be told `recovered: true` long after the
 * pushes themselves have expired.
 */
export const POSITION_LIFETIME_MS = 24 * 60 * 60_000;

/**
 * Random per process, so that epochs made by two processes, or by one process before and after a
 * restart, never meet; the counter after it makes each one of this process unique. A random
 * draw per epoch cost a system call per new stream, i.e. per first connection of a user.
 */
const EPOCH_PREFIX = randomBytes(8).toString('base64url');
let epochs = 0;

/** @internal A new epoch, never made before: 12 or more URL-safe characters. */
export function newEpoch(): string {
  return `${EPOCH_PREFIX}${(epochs++).toString(36)}`;
}
