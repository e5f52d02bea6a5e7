import type { MaybePromise } from '../../common/maybe-promise.js';
import type {
  FrameSuffix,
  HistoryLimits,
  HistoryStore,
  StreamPosition,
} from '../../transports/history-store.interface.js';

/** @internal Where a push was stored, and its frame when the store made it (`appendFrame`). */
export type StoredPush = StreamPosition & { readonly frame?: Buffer };

/**
 * @internal Stores a push's head in `stream`: as its whole frame, `head` then `suffix`, when the
 * store can keep frames, so the frame is encoded once; as the head alone otherwise. A push that
 * asks for acks is framed with its ack id, which the history must not keep, so it is stored as
 * its head even then.
 */
export function storePush(
  history: HistoryStore,
  stream: string,
  head: string,
  limits: HistoryLimits,
  suffix: FrameSuffix,
  ackTimeoutMs: number | undefined,
): MaybePromise<StoredPush> {
  if (history.appendFrame && ackTimeoutMs === undefined) {
    return history.appendFrame(stream, head, limits, suffix);
  }
  return history.append(stream, head, limits);
}
