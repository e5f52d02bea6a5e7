import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * @internal A Lua script run by its SHA1 (`EVALSHA`), loaded with `EVAL` the first time a server
 * does not know it (a new or restarted Redis). It works on any client, the application's own
 * included, without adding commands to it.
 */
export class RedisScript<T> {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Loads the script into each of `servers` (every master of a cluster), so that its first run
   * finds it. A first run that does not is sent again as `EVAL`, and commands sent meanwhile on
   * the same connection, such as a leave after a join, can then reach Redis before it.
   */
  async load(servers: readonly Redis[]): Promise<void> {
    await Promise.all(servers.map((server) => server.script('LOAD', this.lua)));
  }

  async run(
    client: Redis,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<T> {
    try {
      return (await client.evalsha(this.sha, keys.length, ...keys, ...args)) as T;
    } catch (err) {
      if (!(err as Error)?.message?.startsWith('NOSCRIPT')) throw err;
      return (await client.eval(this.lua, keys.length, ...keys, ...args)) as T;
    }
  }
}
