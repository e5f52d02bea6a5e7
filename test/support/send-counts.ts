import type { SendResult } from '../../src/index.js';

/**
 * What a send reached, without the stream fields (`offset`, `epoch`, `offsets`) that every stored
 * push adds: for tests about delivery counts, not about history.
 */
export function counts({
  delivered,
  dropped,
  incomplete,
}: SendResult): Pick<SendResult, 'delivered' | 'dropped' | 'incomplete'> {
  return incomplete === undefined ? { delivered, dropped } : { delivered, dropped, incomplete };
}
