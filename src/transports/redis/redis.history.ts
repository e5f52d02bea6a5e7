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
   * call: a burst of sends costs a few round trips and script runs instead of one per push. On a
   * Redis Cluster a script may only touch one slot, so there only appends to one stream share a
   * call.
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
    const together = !this.clients.commands.isCluster;
    for (const { limits, appends } of batches.values()) {
      if (together) {
        for (let i = 0; i < appends.length; i += MAX_BATCH) {
          void this.appendAll(appends.slice(i, i + MAX_BATCH), limits);
        }
        continue;
      }
      const byStream = new Map<string, PendingAppend[]>();
      for (const pending of appends) {
        const same = byStream.get(pending.stream);
        if (same) same.push(pending);
        else byStream.set(pending.stream, [pending]);
      }
      for (const same of byStream.values()) void this.appendAll(same, limits);
    }
  }

  private async appendAll(appends: PendingAppend[], limits: HistoryLimits): Promise<void> {
    const keys: string[] = [];
    const args = this.args(limits);
    for (const { stream, data } of appends) {
      keys.push(...this.keys(stream));
      args.push(data);
    }
    let positions;
    try {
      positions = await append.run(this.clients.commands, keys, args);
    } catch (err) {
      for (const pending of appends) pending.reject(err);
      return;
    }
    appends.forEach((pending, i) => {
      pending.resolve({ epoch: String(positions[2 * i]), offset: Number(positions[2 * i + 1]) });
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

/** `<offset>:<stored at>:<data>` as the scripts store it. */
function parseEntry(stored: string): StreamEntry {
  const first = stored.indexOf(':');
  const second = stored.indexOf(':', first + 1);
  return { offset: Number(stored.slice(0, first)), data: stored.slice(second + 1) };
}
