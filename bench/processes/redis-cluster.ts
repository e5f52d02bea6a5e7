import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startChild, stopChild, whileRunning, type Child } from './children.js';
import { freeLoopbackPort } from './free-port.js';

/** A Redis Cluster of the harness's own: three masters, no replica, on free loopback ports. */
export interface RedisClusterProcesses {
  readonly nodes: Array<{ host: string; port: number }>;
  /** The masters' process ids, to sum their CPU. */
  readonly pids: number[];
  stop(): Promise<void>;
}

const MASTERS = 3;
const READY_TIMEOUT_MS = 5000;
const HEALTHY_TIMEOUT_MS = 20_000;

/**
 * Starts three `redis-server --cluster-enabled yes` with persistence off, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0` and waits for `cluster_state:ok` on each.
 */
export async function startRedisCluster(): Promise<RedisClusterProcesses> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-redis-cluster-'));
  const children: Child[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = new Set<number>();
    while (ports.size < MASTERS * 2) ports.add(await freeLoopbackPort());
    const [clientPorts, busPorts] = [[...ports].slice(0, MASTERS), [...ports].slice(MASTERS)];
    await Promise.all(
      clientPorts.map(async (port, i) => {
        // prettier-ignore
        const child = startChild('redis-server', [
          '--port', String(port), '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes', '--cluster-port', String(busPorts[i]),
          '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir,
          '--save', '', '--appendonly', 'no',
        ], { name: `redis-server cluster :${port}` });
        children.push(child);
        await whileRunning(
          child,
          new Promise<void>((resolve) => {
            child.process.stdout!.on('data', (chunk: Buffer) => {
              if (chunk.toString().includes('Ready to accept connections')) resolve();
            });
          }),
          READY_TIMEOUT_MS,
        );
      }),
    );
    const run = promisify(execFile);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...clientPorts.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: HEALTHY_TIMEOUT_MS },
    );
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    for (const port of clientPorts) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster master :${port} is not ok`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return {
      nodes: clientPorts.map((port) => ({ host: '127.0.0.1', port })),
      pids: children.map((child) => child.process.pid!),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
