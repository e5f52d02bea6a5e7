import { Redis } from 'ioredis';

/** What the rooms scenario reads from its own redis-server between two moments. */
export interface RedisCounters {
  /** `used_cpu_user` + `used_cpu_sys` of INFO CPU, in microseconds. */
  cpuMicros: number;
  /** Calls of PUBLISH and SPUBLISH so far (INFO COMMANDSTATS). */
  publishes: number;
  /** Calls of every command but INFO so far. */
  commands: number;
}

/**
 * Reads INFO from the harness's own redis-server over one connection of its own. INFO's CPU
 * figures have microsecond resolution, where /proc's clock ticks are 10 ms: a few room messages
 * cost Redis far less than a tick.
 */
export class RedisInfo {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async read(): Promise<RedisCounters> {
    const cpu = fields(await this.client.info('cpu'));
    const stats = fields(await this.client.info('commandstats'));
    const calls = (command: string): number =>
      Number(/(?:^|,)calls=(\d+)/.exec(stats.get(`cmdstat_${command}`) ?? '')?.[1] ?? 0);
    let commands = 0;
    for (const name of stats.keys()) {
      if (name !== 'cmdstat_info') commands += calls(name.slice('cmdstat_'.length));
    }
    return {
      cpuMicros:
        (Number(cpu.get('used_cpu_user') ?? 0) + Number(cpu.get('used_cpu_sys') ?? 0)) * 1e6,
      publishes: calls('publish') + calls('spublish'),
      commands,
    };
  }

  close(): void {
    this.client.disconnect();
  }
}

/** The `name:value` lines of an INFO answer. */
function fields(info: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}
