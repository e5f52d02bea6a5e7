import { randomBytes } from 'node:crypto';

/**
 * @internal How long a stream's position (epoch and last offset) outlives its last push at
 * least, so that a client that was up to date can still be told `recovered: true` long after the
 * pushes themselves have expired.
 */
export const POSITION_LIFETIME_MS = 24 * 60 * 60_000;

/** @internal A new, random epoch: 11 URL-safe characters. */
export function newEpoch(): string {
  return randomBytes(8).toString('base64url');
}
