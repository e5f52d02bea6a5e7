import { nowNs } from '../clock.js';

/** A pushed message: its send time (see clock.ts) and filler up to the requested size. */
export interface StampedPayload {
  t: number;
  p: string;
}

/**
 * Filler that makes a stamped payload serialize to about `bytes` bytes of JSON (the timestamp's
 * digit count can vary by one). Computed once per storm, not per message.
 */
export function fillerFor(bytes: number): string {
  const overhead = JSON.stringify({ t: nowNs(), p: '' }).length;
  return 'x'.repeat(Math.max(0, bytes - overhead));
}

/** A payload stamped now; every system serializes it once per send with its own framing. */
export function stamped(filler: string): StampedPayload {
  return { t: nowNs(), p: filler };
}
