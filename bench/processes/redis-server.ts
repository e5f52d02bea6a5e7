import { startChild, stopChild, whileRunning, type Child } from './children.js';
import { freeLoopbackPort } from './free-port.js';

/** A redis-server of the harness's own, on a free loopback port; never the shared one. */
export interface RedisServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;
const ATTEMPTS = 3;

/**
 * Starts `redis-server` with persistence off, bound to 127.0.0.1 on a free port. The port is
 * picked before redis binds it, so another program may take it in between: then redis exits
 * and the next attempt picks another port.
 */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freeLoopbackPort();
    const child = startChild(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { name: `redis-server :${port}` },
    );
    try {
      await ready(child);
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.process.pid!,
        stop: () => stopChild(child),
      };
    } catch (err) {
      lastError = err as Error;
      await stopChild(child);
    }
  }
  throw new Error(`could not start redis-server: ${lastError?.message}`);
}

/** Resolves when redis logs that it accepts connections. */
function ready(child: Child): Promise<void> {
  return whileRunning(
    child,
    new Promise<void>((resolve) => {
      child.process.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) resolve();
      });
    }),
    READY_TIMEOUT_MS,
  );
}
