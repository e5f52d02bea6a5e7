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

const append = new RedisScript<[string, number]>(STREAM_APPEND);
const position = new RedisScript<[string, number]>(STREAM_POSITION);
const read = new RedisScript<[0 | 1, string, number, ...string[]]>(STREAM_READ);

/**
 * @internal Streams on Redis: per stream a hash with its position and a list of its pushes,
 * changed only by Lua scripts, so an append assigns its offset, stores and trims in one atomic
 * step whichever node makes it, and a read sees a consistent stream. Both keys share the
 * stream's hash tag. A Redis restarted empty or flushed has no positions: the next touch starts
 * the stream with a new epoch, so a client's old position is answered `recovered: false`.
 */
export class RedisHistory implements HistoryStore {
  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {}

  async append(stream: string, data: string, limits: HistoryLimits): Promise<StreamPosition> {
    const [epoch, offset] = await append.run(this.clients.commands, this.keys(stream), [
      ...this.args(limits),
      data,
    ]);
    return { epoch, offset: Number(offset) };
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
