import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

const HOST = '127.0.0.1';
const SLOTS = 16384;

/**
 * Masters and temp dirs not yet cleaned up, over every cluster of this process. A test process
 * that exits early (an uncaught exception, `process.exit()`) would otherwise leave the masters
 * running with no parent to stop them.
 */
const leftovers = { children: new Set<ChildProcess>(), dirs: new Set<string>() };
process.once('exit', () => {
  for (const child of leftovers.children) child.kill('SIGKILL');
  for (const dir of leftovers.dirs) rmSync(dir, { recursive: true, force: true });
});

/** One seed address of the cluster, as ioredis's `Cluster` takes it. */
export interface ClusterSeed {
  host: string;
  port: number;
}

/** One command a master executed, as its MONITOR feed reported it. */
export interface MonitoredCommand {
  /** Index of the master (as in {@link RedisCluster.nodes}) that executed the command. */
  master: number;
  /** Command name, upper-cased (`SPUBLISH`, `EVALSHA`, …). */
  name: string;
  /** Arguments after the name, as MONITOR prints them. */
  args: string[];
  /** `ip:port` of the client connection, or `lua` for a command called by a script. */
  source: string;
}

/** The parts of `CLUSTER NODES` the helper needs, for one line. */
interface NodeLine {
  port: number;
  flags: string[];
  connected: boolean;
  /** Slot ranges as `[first, last]`, inclusive. */
  slots: Array<[number, number]>;
}

/**
 * A real Redis Cluster of the test's own: `masters` masters without replicas on free loopback
 * ports, keeping nothing on disk but each node's cluster config. A master can be killed and
 * started again, keeping its slots, to test an outage of one shard.
 *
 * The masters run with `cluster-require-full-coverage no`, so while one is down the others keep
 * serving their own slots: only keys (and shard channels) in the dead master's slots fail.
 */
export class RedisCluster {
  private readonly children: Array<ChildProcess | undefined>;
  /** One connection per running master, for the helper's own CLUSTER queries. */
  private readonly admins: Array<Redis | undefined>;
  /** Connections handed out to the test, closed by {@link stop} if the test did not. */
  private readonly handedOut = new Set<{ disconnect(): void }>();

  private constructor(
    private readonly dir: string,
    private readonly ports: number[],
    private readonly busPorts: number[],
    private readonly nodeTimeoutMs: number,
  ) {
    this.children = ports.map(() => undefined);
    this.admins = ports.map(() => undefined);
  }

  /**
   * Starts the masters, joins them into one cluster and waits until every master reports
   * `cluster_state:ok` with all 16384 slots assigned. If anything fails on the way, whatever was
   * started is killed again before the error is thrown.
   */
  static async start({ masters = 3, nodeTimeoutMs = 2000 } = {}): Promise<RedisCluster> {
    // `redis-cli --cluster create` refuses fewer than three masters.
    if (!Number.isInteger(masters) || masters < 3)
      throw new TypeError(`masters must be an integer >= 3, got ${masters}`);
    const ports = await distinctFreePorts(masters * 2);
    const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
    leftovers.dirs.add(dir);
    const cluster = new RedisCluster(
      dir,
      ports.slice(0, masters),
      ports.slice(masters),
      nodeTimeoutMs,
    );
    try {
      // Settle every spawn before cleaning up, so no probe is left polling a killed master.
      const spawned = await Promise.allSettled(cluster.ports.map((_, i) => cluster.spawnMaster(i)));
      const failed = spawned.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      await createCluster(cluster.ports);
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Seed addresses, one per master, in master order. */
  get nodes(): ClusterSeed[] {
    return this.ports.map((port) => ({ host: HOST, port }));
  }

  /** Whether master `i` is running (it is, unless {@link stopMaster} stopped it). */
  isRunning(i: number): boolean {
    return this.children[this.checkIndex(i)] !== undefined;
  }

  /** Kills master `i` at once, like a crash, and waits for the process to be gone. */
  async stopMaster(i: number): Promise<void> {
    const child = this.children[this.checkIndex(i)];
    this.children[i] = undefined;
    this.admins[i]?.disconnect();
    this.admins[i] = undefined;
    if (child) await kill(child);
  }

  /**
   * Waits until every running master has flagged the stopped master `i` as failed (`fail`, not
   * only `fail?`), which takes about the node timeout. Before that, the others still count the
   * dead master's slots as served; a test of "the rest of the cluster keeps working" needs this
   * state.
   */
  async waitUntilMarkedFailed(i: number): Promise<void> {
    const port = this.ports[this.checkIndex(i)];
    await waitFor(
      async () => {
        for (const j of this.runningIndexes()) {
          const line = (await this.clusterNodes(j)).find((node) => node.port === port);
          if (!line?.flags.includes('fail')) return false;
        }
        return true;
      },
      { timeoutMs: this.nodeTimeoutMs * 5, intervalMs: 50, what: `master ${i} marked as failed` },
    );
  }

  /**
   * Starts the stopped master `i` again on the same port with the same cluster config file, so it
   * rejoins as the owner of the same slots (it comes back empty: nothing is persisted), and waits
   * until the cluster is healthy again.
   */
  async restartMaster(i: number): Promise<void> {
    if (this.isRunning(i)) throw new Error(`master ${i} is running; stop it first`);
    await this.spawnMaster(i);
    await this.waitUntilHealthy();
  }

  /**
   * Resolves when every running master (stopped ones are left out) reports `cluster_state:ok` with all slots assigned, and
   * sees every other running master as connected and not failed. Survivors of an outage report
   * `cluster_state:ok` all along, so the state alone would not show that a restarted master is
   * back.
   */
  async waitUntilHealthy(): Promise<void> {
    const running = this.runningIndexes();
    const runningPorts = new Set(running.map((i) => this.ports[i]));
    await waitFor(
      async () => {
        for (const i of running) {
          const info = parseInfo(String(await this.admin(i).call('CLUSTER', 'INFO')));
          if (info.cluster_state !== 'ok' || info.cluster_slots_assigned !== String(SLOTS))
            return false;
          for (const node of await this.clusterNodes(i)) {
            if (!runningPorts.has(node.port)) continue;
            if (!node.flags.includes('myself') && !node.connected) return false;
            if (node.flags.some((flag) => flag === 'fail' || flag === 'fail?')) return false;
          }
        }
        return true;
      },
      // A restarted master waits 2 s before it declares itself ok, and the others clear its
      // `fail` flag only two node timeouts after setting it.
      { timeoutMs: 10_000 + this.nodeTimeoutMs * 3, intervalMs: 50, what: 'cluster_state:ok' },
    );
  }

  /** Index of the master that owns `key`'s slot (hash tags count, as for any key or channel). */
  async masterOf(key: string): Promise<number> {
    const [i] = this.runningIndexes();
    if (i === undefined) throw new Error('no master is running');
    const slot = Number(await this.admin(i).call('CLUSTER', 'KEYSLOT', key));
    const owner = (await this.clusterNodes(i)).find(({ slots }) =>
      slots.some(([first, last]) => first <= slot && slot <= last),
    );
    if (!owner) throw new Error(`slot ${slot} of ${key} has no owner`);
    return this.ports.indexOf(owner.port);
  }

  /**
   * A cluster client for assertions, closed by {@link stop} if the test has not closed it. Its
   * `error` events are swallowed, since the tests cause outages on purpose (an unhandled `error`
   * event would crash the run); commands still reject as usual.
   */
  client(options: ClusterOptions = {}): Cluster {
    const client = new Cluster(this.nodes, options);
    client.on('error', () => undefined);
    this.handedOut.add(client);
    return client;
  }

  /**
   * One plain connection per master, in master order, for per-shard assertions (DBSIZE, KEYS,
   * PUBSUB SHARDNUMSUB). Closed by {@link stop}; `error` events are swallowed as in
   * {@link client}.
   */
  masterClients(): Redis[] {
    return this.ports.map((port) => {
      const client = new Redis(port, HOST);
      client.on('error', () => undefined);
      this.handedOut.add(client);
      return client;
    });
  }

  /**
   * Starts MONITOR on every master and records every command executed from then on. The feed of a
   * restarted master resumes once its monitor connection has reconnected.
   */
  async monitor(): Promise<ClusterMonitor> {
    const feeds = await Promise.all(
      this.ports.map(async (port, master) => {
        const feed = await startMonitor(port);
        this.handedOut.add(feed);
        return { master, feed };
      }),
    );
    const markers = this.masterClients();
    return new ClusterMonitor(feeds, markers, (i) => this.isRunning(i));
  }

  /** Closes the connections handed out, kills every master, and removes the temp dir. */
  async stop(): Promise<void> {
    for (const client of this.handedOut) client.disconnect();
    this.handedOut.clear();
    await Promise.all(this.ports.map((_, i) => this.stopMaster(i)));
    await rm(this.dir, { recursive: true, force: true });
    leftovers.dirs.delete(this.dir);
  }

  /** Spawns master `i` and waits until it answers PING; its probe stays as the admin link. */
  private async spawnMaster(i: number): Promise<void> {
    const port = this.ports[i];
    const child = spawn(
      'redis-server',
      // prettier-ignore
      [
        '--port', String(port),
        '--bind', HOST,
        '--cluster-enabled', 'yes',
        // The bus port defaults to port + 10000, which may be taken or above 65535.
        '--cluster-port', String(this.busPorts[i]),
        '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', String(this.nodeTimeoutMs),
        '--cluster-require-full-coverage', 'no',
        '--save', '',
        '--appendonly', 'no',
        '--dir', this.dir,
        '--logfile', `redis-${port}.log`,
      ],
      { stdio: 'ignore' },
    );
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    this.children[i] = child;
    leftovers.children.add(child);
    child.once('exit', () => leftovers.children.delete(child));
    const probe = new Redis(port, HOST, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await waitFor(
        async () => {
          if (spawnError) throw new Error(`cannot start redis-server: ${spawnError.message}`);
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(
              `redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}): ` +
                (await this.logTail(port)),
            );
          try {
            if (probe.status !== 'ready') await probe.connect();
            return (await probe.ping()) === 'PONG';
          } catch {
            return false;
          }
        },
        { timeoutMs: 10_000, intervalMs: 25, what: `redis-server on port ${port}` },
      );
      this.admins[i] = probe;
    } catch (error) {
      probe.disconnect();
      throw error;
    }
  }

  private admin(i: number): Redis {
    const admin = this.admins[i];
    if (!admin) throw new Error(`master ${i} is not running`);
    return admin;
  }

  private async clusterNodes(i: number): Promise<NodeLine[]> {
    const text = String(await this.admin(i).call('CLUSTER', 'NODES'));
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(parseNodeLine);
  }

  private runningIndexes(): number[] {
    return this.ports.map((_, i) => i).filter((i) => this.isRunning(i));
  }

  private checkIndex(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.ports.length)
      throw new RangeError(`no master ${i}: the cluster has ${this.ports.length}`);
    return i;
  }

  private async logTail(port: number): Promise<string> {
    const log = await readFile(join(this.dir, `redis-${port}.log`), 'utf8').catch(() => '');
    return log.trim().split('\n').slice(-5).join('\n');
  }
}

/**
 * The MONITOR feeds of every master of a {@link RedisCluster}: which commands reached which
 * shard. Feeds arrive asynchronously; {@link sync} makes "nothing else arrived" assertions safe.
 */
export class ClusterMonitor {
  /** Every command seen so far, in arrival order (ordered per master, not across masters). */
  readonly commands: MonitoredCommand[] = [];
  private readonly seenMarkers = new Set<string>();
  private markerCount = 0;

  /** @internal Built by {@link RedisCluster.monitor}. */
  constructor(
    private readonly feeds: Array<{ master: number; feed: Redis }>,
    private readonly markers: Redis[],
    private readonly isRunning: (master: number) => boolean,
  ) {
    for (const { master, feed } of feeds) {
      feed.on('monitor', (_time: string, argv: string[], source: string) => {
        const [name = '', ...args] = argv;
        // The helper's own markers are barriers, not traffic of the test.
        if (name.toUpperCase() === 'ECHO' && args[0]?.startsWith(MARKER_PREFIX)) {
          this.seenMarkers.add(`${master}:${args[0]}`);
          return;
        }
        this.commands.push({ master, name: name.toUpperCase(), args, source });
      });
    }
  }

  /** The commands named `name` (any case), optionally only those master `master` executed. */
  named(name: string, master?: number): MonitoredCommand[] {
    const wanted = name.toUpperCase();
    return this.commands.filter(
      (command) => command.name === wanted && (master === undefined || command.master === master),
    );
  }

  /**
   * Forgets everything executed so far. It syncs first: commands executed just before the call may
   * still be on their way through a feed, and would otherwise show up after the clear.
   */
  async clear(): Promise<void> {
    await this.sync();
    this.commands.length = 0;
  }

  /**
   * Resolves once every running master's feed has delivered everything that master executed
   * before the call. MONITOR reports one master's commands in order, so a marker command sent
   * now and seen in the feed proves the earlier ones arrived. The marker is resent until seen,
   * because a feed that is still reconnecting after a restart misses what happens meanwhile.
   */
  async sync(): Promise<void> {
    const marker = `${MARKER_PREFIX}${++this.markerCount}`;
    await Promise.all(
      this.feeds
        .filter(({ master }) => this.isRunning(master))
        .map(({ master }) =>
          waitFor(
            async () => {
              if (this.seenMarkers.has(`${master}:${marker}`)) return true;
              await this.markers[master].echo(marker).catch(() => undefined);
              return false;
            },
            { timeoutMs: 10_000, intervalMs: 25, what: `MONITOR feed of master ${master}` },
          ),
        ),
    );
  }
}

const MARKER_PREFIX = 'redis-cluster-monitor-sync:';

/** Joins the masters into one cluster, each owning an equal share of the slots. */
async function createCluster(ports: number[]): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`)];
  try {
    await promisify(execFile)('redis-cli', [...args, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
  } catch (error) {
    // redis-cli reports most failures ("[ERR] ...") on stdout, which the error message lacks.
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`redis-cli --cluster create failed: ${`${stdout}${stderr}`.trim()}`, {
      cause: error,
    });
  }
}

/** `count` distinct free ports, so no node's client port collides with another's bus port. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function kill(child: ChildProcess): Promise<void> {
  // No pid: the spawn itself failed, there is no process to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** Parses `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
function parseNodeLine(line: string): NodeLine {
  const [, address = '', flags = '', , , , , link = '', ...slotFields] = line.trim().split(' ');
  const port = Number(address.split('@')[0].split(':').pop());
  const slots = slotFields
    // `[slot->-id]` / `[slot-<-id]` entries are migrations in progress, not ownership.
    .filter((field) => !field.startsWith('['))
    .map((field): [number, number] => {
      const [first, last = first] = field.split('-').map(Number);
      return [first, last];
    });
  return { port, flags: flags.split(','), connected: link === 'connected', slots };
}

/**
 * A MONITOR connection to `port`, listening for errors from the start: ioredis reports "Command
 * queue state error" when a command of another client is monitored in the same read as the OK to
 * MONITOR (it switches to monitoring a tick later), and an error event nobody listens to would be
 * thrown. That line is startup traffic, not the test's, so losing it is harmless.
 */
function startMonitor(port: number): Promise<Redis> {
  const feed = new Redis(port, HOST, { monitor: true });
  feed.on('error', () => undefined);
  return new Promise((resolve) => feed.once('monitoring', () => resolve(feed)));
}
