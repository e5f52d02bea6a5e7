/** Where a stream stands: its epoch, and the offset of its last push (0 when it has none). */
export interface StreamPosition {
  /** Changes whenever the stream's storage was lost, so old offsets cannot be mistaken for new. */
  readonly epoch: string;
  readonly offset: number;
}

/** How much a stream keeps. */
export interface HistoryLimits {
  /** Most pushes a stream keeps; older ones are dropped. */
  readonly size: number;
  /** Longest a push is kept, in milliseconds. */
  readonly ttlMs: number;
}

/**
 * The end of a stored push's frame, after its data, from its position: ASCII only (see
 * `storedPushSuffix` in the protocol).
 */
export type FrameSuffix = (offset: number, epoch: string) => string;

/** One stored push: its offset and the data the appender gave. */
export interface StreamEntry {
  readonly offset: number;
  readonly data: string;
}

/** The answer to {@link HistoryStore.read}. */
export type StreamReplay =
  /** Everything after the given offset, in offset order (nothing when it was the last one). */
  | { recovered: true; position: StreamPosition; entries: StreamEntry[] }
  /** The epoch differs, or the stream no longer holds what followed, or the offset lies beyond. */
  | { recovered: false; position: StreamPosition };

/**
 * Streams of pushes with history, so that a client that reconnects can get what it missed. A
 * stream is named by the caller (a user's, a room's); it exists from its first `append` or
 * `position` until its pushes and its position have expired.
 *
 * Guarantees every implementation gives:
 * - `append` assigns offsets atomically: 1 for the first push of an epoch, then +1 per push,
 *   with no gap and no offset given twice, whichever node appends.
 * - A stream keeps at most `size` pushes, each for at most `ttlMs`.
 * - `read` answers with every kept push after the offset, in order, or with `recovered: false`;
 *   never with part of what followed.
 * - The epoch changes when the stream's storage was lost (a restart of the memory store; Redis
 *   flushed or restarted empty). A stream whose last push and position have expired starts a
 *   new epoch too. The position (epoch and offset) outlives the pushes by at least a day.
 */
export interface HistoryStore {
  /** Pushes kept in all streams, where the store can count them cheaply (for the metrics). */
  readonly size?: number;
  /**
   * Stores `data` as the stream's next push and answers with its position. A store in this
   * process may answer at once (not with a promise), which lets a push be delivered within the
   * call that sent it; it may also throw then, as a remote store's promise may reject.
   */
  append(
    stream: string,
    data: string,
    limits: HistoryLimits,
  ): StreamPosition | Promise<StreamPosition>;
  /**
   * Optional, for a store in this process that keeps pushes as bytes: stores `data` as `append`
   * does, and answers also with the bytes of the push's frame, `data` followed by
   * `suffix(offset, epoch)`, kept with it: a push is then encoded once, for the history and for
   * the sockets. The bytes are never changed afterwards, so they can be written as they are. It
   * never answers with a promise.
   */
  appendFrame?(
    stream: string,
    data: string,
    limits: HistoryLimits,
    suffix: FrameSuffix,
  ): StreamPosition & { readonly frame: Buffer };
  /** The stream's position, starting the stream (offset 0, a new epoch) if there is none. */
  position(stream: string, limits: HistoryLimits): Promise<StreamPosition>;
  /** What the stream kept after `from.offset`, when `from` is a position of this stream. */
  read(stream: string, from: StreamPosition, limits: HistoryLimits): Promise<StreamReplay>;
}
