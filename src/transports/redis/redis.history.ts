import type {
  HistoryLimits,
  HistoryStore,
  StreamEntry,
  StreamPosition,
  StreamReplay,
} from '../history-store.interface.js';
import { newEpoch, POSITION_LIFETIME_MS } from '../stream-epoch.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisScript } from './redis-script.js';
import { STREAM_APPEND, STREAM_POSITION, STREAM_READ } from './redis-scripts.js';

const append = new RedisScript<(string | number)[]>(STREAM_APPEND);
const position = new RedisScript<[string, number]>(STREAM_POSITION);
const read = new RedisScript<[0 | 1, string, number, ...string[]]>(STREAM_READ);

/** Most appends one script call makes: a longer batch would hold Redis up for the others. */
const MAX_BATCH = 256;

/** An append waiting for the end of the turn, when it goes to Redis with the others. */
interface PendingAppend {
  stream: string;
  data: string;
  resolve: (position: StreamPosition) => void;
  reject: (err: unknown) => void;
}

/**
 * @internal Streams on Redis: per stream a hash with its position and a list of its pushes,
 * changed only by Lua scripts, so an append assigns its offset, stores and trims in one atomic
 * step whichever node makes it, and a read sees a consistent stream. Both keys share the
 * stream's hash tag. A Redis restarted empty or flushed has no positions: the next touch starts
 * the stream with a new epoch, so a client's old position is answered `recovered: false`.
 */
export class RedisHistory implements HistoryStore {
  /** Appends of this turn, by the limits they ask for (in practice: one). */
  private pending = new Map<string, { limits: HistoryLimits; appends: PendingAppend[] }>();
  private flushScheduled = false;

  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {}

  /**
   * Appends are sent together at the end of the turn, up to {@link MAX_BATCH} in one script
   * call, grouped by stream: a burst of sends costs a few round trips and script runs instead of
   * one per push, and a burst to one user one write to its stream.
   */
  append(stream: string, data: string, limits: HistoryLimits): Promise<StreamPosition> {
    return new Promise((resolve, reject) => {
      const group = `${limits.size}:${limits.ttlMs}`;
      let batch = this.pending.get(group);
      if (!batch) this.pending.set(group, (batch = { limits, appends: [] }));
      batch.appends.push({ stream, data, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    });
  }

  async position(stream: string, limits: HistoryLimits): Promise<StreamPosition> {
    const [epoch, offset] = await position.run(
      this.clients.commands,
      this.keys(stream),
      this.args(limits),
    );
    return { epoch, offset: Number(offset) };
  }

  async read(stream: string, from: StreamPosition, limits: HistoryLimits): Promise<StreamReplay> {
    const [recovered, epoch, head, ...pushes] = await read.run(
      this.clients.commands,
      this.keys(stream),
      [...this.args(limits), from.epoch, from.offset],
    );
    const current = { epoch, offset: Number(head) };
    if (Number(recovered) !== 1) return { recovered: false, position: current };
    return { recovered: true, position: current, entries: pushes.map(parseEntry) };
  }

  private flush(): void {
    this.flushScheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    // On a Redis Cluster a script may only touch one slot, so there each call holds one stream.
    const together = !this.clients.commands.isCluster;
    for (const { limits, appends } of batches.values()) {
      let call: PendingAppend[][] = [];
      let pushes = 0;
      for (const same of byStream(appends)) {
        for (let i = 0; i < same.length; i += MAX_BATCH) {
          const part = same.slice(i, i + MAX_BATCH);
          if (pushes + part.length > MAX_BATCH || (!together && call.length > 0)) {
            void this.appendAll(call, limits);
            call = [];
            pushes = 0;
          }
          call.push(part);
          pushes += part.length;
        }
      }
      if (call.length > 0) void this.appendAll(call, limits);
    }
  }

  /** One script call for `streams`, each the pushes of one stream in the order they were sent. */
  private async appendAll(streams: PendingAppend[][], limits: HistoryLimits): Promise<void> {
    const keys: string[] = [];
    const args = this.args(limits);
    for (const same of streams) {
      keys.push(...this.keys(same[0].stream));
      args.push(same.length);
    }
    for (const same of streams) for (const { data } of same) args.push(data);
    let positions;
    try {
      positions = await append.run(this.clients.commands, keys, args);
    } catch (err) {
      for (const same of streams) for (const pending of same) pending.reject(err);
      return;
    }
    streams.forEach((same, i) => {
      const epoch = String(positions[2 * i]);
      const first = Number(positions[2 * i + 1]);
      same.forEach((pending, j) => pending.resolve({ epoch, offset: first + j }));
    });
  }

  private keys(stream: string): string[] {
    const tag = `${this.options.keyPrefix}{${stream}}`;
    return [`${tag}:pos`, `${tag}:log`];
  }

  private args({ size, ttlMs }: HistoryLimits): (string | number)[] {
    return [newEpoch(), size, ttlMs, POSITION_LIFETIME_MS];
  }
}

/** The appends grouped by stream, each group in the order its pushes were sent. */
function byStream(appends: PendingAppend[]): Iterable<PendingAppend[]> {
  const groups = new Map<string, PendingAppend[]>();
  for (const pending of appends) {
    const same = groups.get(pending.stream);
    if (same) same.push(pending);
    else groups.set(pending.stream, [pending]);
  }
  return groups.values();
}

/** `<offset>:<stored at>:<data>` as the scripts store it. */
function parseEntry(stored: string): StreamEntry {
  const first = stored.indexOf(':');
  const second = stored.indexOf(':', first + 1);
  return { offset: Number(stored.slice(0, first)), data: stored.slice(second + 1) };
}
