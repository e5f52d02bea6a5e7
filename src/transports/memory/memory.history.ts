import type {
  HistoryLimits,
  HistoryStore,
  StreamEntry,
  StreamPosition,
  StreamReplay,
} from '../history-store.interface.js';
import { newEpoch, POSITION_LIFETIME_MS } from '../stream-epoch.js';

interface Stream {
  position: StreamPosition;
  /** Kept pushes, oldest first, with when each was stored (Date.now()). */
  entries: (StreamEntry & { at: number })[];
  /** When the position expires. */
  expiresAt: number;
}

/** Other streams each append looks at for expiry, so that idle streams are dropped too. */
const SWEEP_PER_APPEND = 2;

/**
 * @internal Streams kept in this process: lost with it, so every stream starts with an epoch of
 * its own. Expired pushes and positions are dropped when the stream is next touched; besides,
 * every append looks at a couple of other streams, round robin, so that streams nobody touches
 * any more are dropped too, without a timer.
 */
export class MemoryHistory implements HistoryStore {
  private readonly streams = new Map<string, Stream>();
  private sweeper: Iterator<[string, Stream]> = this.streams.entries();
  /** Kept pushes in all streams. */
  private entries = 0;

  /** Kept pushes in all streams, for the metrics. */
  get size(): number {
    return this.entries;
  }

  async append(name: string, data: string, limits: HistoryLimits): Promise<StreamPosition> {
    const now = Date.now();
    const stream = this.touch(name, limits, now);
    const position = { epoch: stream.position.epoch, offset: stream.position.offset + 1 };
    stream.position = position;
    stream.entries.push({ offset: position.offset, data, at: now });
    this.entries++;
    if (stream.entries.length > limits.size) this.drop(stream, stream.entries.length - limits.size);
    this.sweep(limits, now);
    return position;
  }

  async position(name: string, limits: HistoryLimits): Promise<StreamPosition> {
    return this.touch(name, limits, Date.now()).position;
  }

  async read(name: string, from: StreamPosition, limits: HistoryLimits): Promise<StreamReplay> {
    const stream = this.touch(name, limits, Date.now());
    const { position, entries } = stream;
    if (from.epoch !== position.epoch || from.offset > position.offset) {
      return { recovered: false, position };
    }
    const first = entries.length > 0 ? entries[0].offset : position.offset + 1;
    if (from.offset + 1 < first) return { recovered: false, position };
    return {
      recovered: true,
      position,
      entries: entries.slice(from.offset + 1 - first).map(({ offset, data }) => ({ offset, data })),
    };
  }

  /** The live stream `name`, made anew if it expired, with its expired pushes dropped. */
  private touch(name: string, limits: HistoryLimits, now: number): Stream {
    let stream = this.streams.get(name);
    if (stream && stream.expiresAt <= now) {
      this.drop(stream, stream.entries.length);
      stream = undefined;
    }
    if (!stream) {
      stream = { position: { epoch: newEpoch(), offset: 0 }, entries: [], expiresAt: 0 };
      this.streams.set(name, stream);
    }
    stream.expiresAt = now + Math.max(limits.ttlMs, POSITION_LIFETIME_MS);
    this.expire(stream, limits, now);
    return stream;
  }

  /** Looks at the next few streams, round robin, and drops what has expired there. */
  private sweep(limits: HistoryLimits, now: number): void {
    for (let i = 0; i < SWEEP_PER_APPEND; i++) {
      let next = this.sweeper.next();
      if (next.done) {
        this.sweeper = this.streams.entries();
        next = this.sweeper.next();
        if (next.done) return;
      }
      const [name, stream] = next.value;
      if (stream.expiresAt <= now) {
        this.drop(stream, stream.entries.length);
        this.streams.delete(name);
      } else {
        this.expire(stream, limits, now);
      }
    }
  }

  private expire(stream: Stream, { ttlMs }: HistoryLimits, now: number): void {
    const { entries } = stream;
    let stale = 0;
    while (stale < entries.length && entries[stale].at <= now - ttlMs) stale++;
    if (stale > 0) this.drop(stream, stale);
  }

  /** Drops the oldest `count` pushes of a stream. */
  private drop(stream: Stream, count: number): void {
    stream.entries.splice(0, count);
    this.entries -= count;
  }
}
