import type {
  FrameSuffix,
  HistoryLimits,
  HistoryStore,
  StreamEntry,
  StreamPosition,
  StreamReplay,
} from '../history-store.interface.js';
import { newEpoch, POSITION_LIFETIME_MS } from '../stream-epoch.js';
import { PushRing } from './push-ring.js';

/**
 * One stream. Its position is kept as two fields, not as an object: one object fewer per stream,
 * and a stream is kept at least a day.
 */
interface Stream {
  readonly name: string;
  readonly epoch: string;
  /** The last push's offset; 0 before the first. */
  offset: number;
  /**
   * Kept pushes, oldest first: the newest has offset `offset`. Made by the first append and
   * dropped once empty: most streams are started by a connection reading its position, and many
   * get no push.
   */
  pushes: PushRing | undefined;
  /** When the position expires. */
  expiresAt: number;
}

/**
 * Streams nobody touches any more are looked at in sweeps: one at most every `SWEEP_EVERY_MS`,
 * of a share of the streams such that all are seen about every `SWEEP_ROUND_MS`, within bounds.
 */
const SWEEP_EVERY_MS = 100;
const SWEEP_ROUND_MS = 5_000;
const SWEEP_MIN_STREAMS = 256;
const SWEEP_MAX_STREAMS = 10_000;

/**
 * How long the streams that start share one epoch: one string per hour instead of one per
 * stream, and a stream is started by every user's first connection (measured: about 30 bytes of
 * heap per idle connection). It must be shorter than a position's lifetime: a stream starts
 * again only once its position has expired, at least a day after the stream started, so by then
 * the epoch it had is no longer handed out, and an old position of it is never taken for one of
 * the new stream.
 */
const EPOCH_SHARED_MS = 60 * 60_000;

/**
 * @internal Streams kept in this process: lost with it, so a stream's epoch is one this process
 * made (see `EPOCH_SHARED_MS`). Expired pushes and positions are dropped when the stream is next
 * touched; besides, each use of the store at least `SWEEP_EVERY_MS` after the last sweep sweeps
 * some other streams, round robin, so that streams nobody touches any more are dropped too,
 * without a timer. A sweep per append would cost more than the append: each stream looked at is
 * a cache miss, and in a busy process appends are many.
 */
export class MemoryHistory implements HistoryStore {
  private readonly streams = new Map<string, Stream>();
  private sweeper: Iterator<Stream> = this.streams.values();
  private nextSweepAt = 0;
  /** Kept pushes in all streams. */
  private entries = 0;
  /** The epoch streams that start now get, and until when. */
  private epoch = '';
  private epochUntil = 0;

  /** Kept pushes in all streams, for the metrics. */
  get size(): number {
    return this.entries;
  }

  append(name: string, data: string, limits: HistoryLimits): StreamPosition {
    const { epoch, offset } = this.keep(name, data, limits, undefined);
    return { epoch, offset };
  }

  appendFrame(
    name: string,
    data: string,
    limits: HistoryLimits,
    suffix: FrameSuffix,
  ): StreamPosition & { frame: Buffer } {
    const { epoch, offset, pushes } = this.keep(name, data, limits, suffix);
    return { epoch, offset, frame: pushes!.newest() };
  }

  async position(name: string, limits: HistoryLimits): Promise<StreamPosition> {
    const { epoch, offset } = this.touch(name, limits, Date.now());
    return { epoch, offset };
  }

  async read(name: string, from: StreamPosition, limits: HistoryLimits): Promise<StreamReplay> {
    const { epoch, offset, pushes } = this.touch(name, limits, Date.now());
    const position = { epoch, offset };
    if (from.epoch !== epoch || from.offset > offset) {
      return { recovered: false, position };
    }
    const kept = pushes?.length ?? 0;
    const first = offset - kept + 1;
    if (from.offset + 1 < first) return { recovered: false, position };
    const entries: StreamEntry[] = [];
    for (let i = from.offset + 1 - first; i < kept; i++) {
      entries.push({ offset: first + i, data: pushes!.get(i) });
    }
    return { recovered: true, position, entries };
  }

  /** Appends a push to the stream `name`, followed by its frame's suffix when there is one. */
  private keep(
    name: string,
    data: string,
    limits: HistoryLimits,
    suffix: FrameSuffix | undefined,
  ): Stream {
    const now = Date.now();
    const stream = this.touch(name, limits, now);
    const offset = ++stream.offset;
    const pushes = (stream.pushes ??= new PushRing());
    const text = suffix ? suffix(offset, stream.epoch) : '';
    this.entries += 1 - pushes.push(data, text, now, limits.size);
    return stream;
  }

  /** The live stream `name`, made anew if it expired, with its expired pushes dropped. */
  private touch(name: string, limits: HistoryLimits, now: number): Stream {
    let stream = this.streams.get(name);
    if (stream && stream.expiresAt <= now) {
      this.drop(stream);
      stream = undefined;
    }
    if (!stream) {
      stream = { name, epoch: this.epochAt(now), offset: 0, pushes: undefined, expiresAt: 0 };
      this.streams.set(name, stream);
    }
    stream.expiresAt = now + Math.max(limits.ttlMs, POSITION_LIFETIME_MS);
    this.expire(stream, limits, now);
    if (now >= this.nextSweepAt) this.sweep(limits, now);
    return stream;
  }

  /** The epoch of a stream that starts at `now`: a new one once the last was shared long enough. */
  private epochAt(now: number): string {
    // Also when the clock went back past when the last one was made.
    if (now >= this.epochUntil || now < this.epochUntil - EPOCH_SHARED_MS) {
      this.epoch = newEpoch();
      this.epochUntil = now + EPOCH_SHARED_MS;
    }
    return this.epoch;
  }

  /** Looks at the next share of the streams, round robin, and drops what has expired there. */
  private sweep(limits: HistoryLimits, now: number): void {
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    const share = Math.ceil((this.streams.size * SWEEP_EVERY_MS) / SWEEP_ROUND_MS);
    const count = Math.min(
      this.streams.size,
      Math.max(SWEEP_MIN_STREAMS, Math.min(SWEEP_MAX_STREAMS, share)),
    );
    for (let i = 0; i < count; i++) {
      let next = this.sweeper.next();
      if (next.done) {
        this.sweeper = this.streams.values();
        next = this.sweeper.next();
        if (next.done) return;
      }
      const stream = next.value;
      if (stream.expiresAt <= now) {
        this.drop(stream);
        this.streams.delete(stream.name);
      } else {
        this.expire(stream, limits, now);
      }
    }
  }

  private expire(stream: Stream, { ttlMs }: HistoryLimits, now: number): void {
    const dropped = stream.pushes?.dropStoredBy(now - ttlMs) ?? 0;
    if (dropped > 0) this.dropped(stream, dropped);
  }

  /** Drops every push of a stream. */
  private drop(stream: Stream): void {
    const count = stream.pushes?.length ?? 0;
    if (count === 0) return;
    stream.pushes!.drop(count);
    this.dropped(stream, count);
  }

  /** Counts `count` pushes of a stream as gone, and lets an emptied ring go. */
  private dropped(stream: Stream, count: number): void {
    if (stream.pushes!.length === 0) stream.pushes = undefined;
    this.entries -= count;
  }
}
