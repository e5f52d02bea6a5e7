import { setImmediate as nextTurn } from 'node:timers/promises';
import { nowNs } from '../clock.js';
import { userId } from '../users.js';
import { fillerFor, stamped } from './payload.js';
import type { PushTarget } from './push-target.js';

/** One storm: `total` messages over users u0…u(userCount-1) (from `firstUser`), round-robin. */
export interface StormSpec {
  userCount: number;
  /** Index of the first user; 0 when absent. */
  firstUser?: number;
  total: number;
  /**
   * Messages each user gets per event-loop turn before the loop yields: about 20 models bursts
   * (what write coalescing could batch), 1 models a steady trickle.
   */
  perUserPerTurn: number;
  bytes: number;
}

export interface StormResult {
  startNs: number;
  endNs: number;
  sent: number;
}

/**
 * Pushes the storm through the system's send API as fast as the loop allows: each turn sends
 * `perUserPerTurn` rounds over all users, then yields one `setImmediate` so I/O can run, as an
 * application pushing from request handlers or a queue consumer would.
 */
export async function pushStorm(target: PushTarget, spec: StormSpec): Promise<StormResult> {
  const first = spec.firstUser ?? 0;
  const users = Array.from({ length: spec.userCount }, (_, i) => userId(first + i));
  const filler = fillerFor(spec.bytes);
  const startNs = nowNs();
  let sent = 0;
  while (sent < spec.total) {
    for (let round = 0; round < spec.perUserPerTurn && sent < spec.total; round++) {
      for (let u = 0; u < users.length && sent < spec.total; u++) {
        target.send(users[u], stamped(filler));
        sent++;
      }
    }
    await nextTurn();
  }
  return { startNs, endNs: nowNs(), sent };
}
