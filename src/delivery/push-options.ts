import { eventNameProblem } from '../protocol/events.js';
import type { PushOptions } from './send-result.js';

/** Longest delivery-ack wait a send may ask for. */
const MAX_ACK_TIMEOUT_MS = 60_000;

/**
 * @internal The options of a push, checked before anything is stored or sent: the event name
 * (undefined for the default, `message`) and the delivery-ack wait.
 * @throws TypeError for an event name that is invalid or reserved by the protocol, or an
 * `ackTimeoutMs` that is not an integer from 1 to 60000.
 */
export function pushOptions(options: PushOptions | undefined): {
  event: string | undefined;
  ackTimeoutMs: number | undefined;
} {
  const { event, ackTimeoutMs } = options ?? {};
  if (event !== undefined && event !== 'message') {
    const problem = eventNameProblem(event);
    if (problem) throw new TypeError(`event ${JSON.stringify(event)}: ${problem}`);
  }
  if (
    ackTimeoutMs !== undefined &&
    (!Number.isInteger(ackTimeoutMs) || ackTimeoutMs < 1 || ackTimeoutMs > MAX_ACK_TIMEOUT_MS)
  ) {
    throw new TypeError(
      `ackTimeoutMs must be an integer from 1 to ${MAX_ACK_TIMEOUT_MS}, got ${String(ackTimeoutMs)}`,
    );
  }
  return { event: event === 'message' ? undefined : event, ackTimeoutMs };
}
