import { nowNs } from '../clock.js';
import { serveRpc } from '../processes/rpc.js';
import { ClientTally } from './client-tally.js';
import { openClient, RECONNECT_ATTEMPTS, type BenchClient, type Protocol } from './clients.js';
import { cpuMicros, ReceiveMeter } from './receive-meter.js';
import { StormClients, type StormProtocol } from './storm-clients.js';

/** Parameters of the `connect` call. */
export interface ConnectParams {
  protocol: Protocol;
  urls: string[];
  /** Handshakes this worker keeps in flight at once. */
  concurrency: number;
  /** Source address of the clients' TCP connections (e.g. 127.0.0.2); the system's default when absent. */
  localAddress?: string;
}

/** What a worker reports for a wave of connections. */
export interface ConnectReport {
  opened: number;
  failed: number;
  firstError?: string;
  startNs: number;
  endNs: number;
  cpuMicros: number;
}

/** What a worker reports for `reconnectAll`: a {@link ConnectReport} and what was recovered. */
export interface ReconnectReport extends ConnectReport {
  /** Clients the server said it recovered (ours: `recovered: true`; socket.io: `recovered`). */
  recovered: number;
  /** Attempts that failed (timed out, refused) and were tried again. */
  retries: number;
}

/**
 * A load-generator process: it opens its share of the clients on request and measures what
 * they receive, in total (the meter: counts and latency) and client by client (the tally). It
 * can also drop all its clients at once and reconnect them all at once. The harness runs
 * several, each a separate OS process, so that the clients are not limited to one core and
 * their CPU time can be reported apart from the server's.
 */
const meter = new ReceiveMeter();
const tally = new ClientTally();
/** Every client this worker opened, in the order they opened. */
const clients: BenchClient[] = [];
/** The reconnect storm's clients, which reconnect by themselves (a worker has these or those). */
const storm = new StormClients((sentNs) => meter.record(sentNs));

/** Parameters of the `stormConnect` call. */
export interface StormConnectParams {
  protocol: StormProtocol;
  urls: string[];
  concurrency: number;
}

async function connect({
  protocol,
  urls,
  concurrency,
  localAddress,
}: ConnectParams): Promise<ConnectReport> {
  return inLanes(urls, concurrency, async (url) => {
    // The slot exists only once the client is open, so that a failed handshake leaves no
    // counter behind that could never complete.
    let slot = -1;
    const client = await openClient(
      protocol,
      url,
      (sentNs) => {
        meter.record(sentNs);
        if (slot >= 0) tally.record(slot);
      },
      localAddress,
    );
    slot = tally.add();
    clients.push(client);
  });
}

/** Drops every client abruptly, in one synchronous loop: to the server, they fail together. */
function dropAll(): { dropped: number } {
  for (const client of clients) client.drop();
  return { dropped: clients.length };
}

/**
 * Reconnects every client, asking to recover, with up to `concurrency` handshakes in flight
 * (all at once when absent); a failed attempt is tried again at once, up to
 * {@link RECONNECT_ATTEMPTS} in all.
 */
async function reconnectAll({ concurrency }: { concurrency?: number }): Promise<ReconnectReport> {
  let recovered = 0;
  let retries = 0;
  const report = await inLanes(clients, concurrency ?? clients.length, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await client.reconnect()).recovered) recovered++;
        return;
      } catch (err) {
        if (attempt === RECONNECT_ATTEMPTS) throw err;
        retries++;
      }
    }
  });
  return { ...report, recovered, retries };
}

/** Runs `open` for every item, `concurrency` at a time, and counts what failed. */
async function inLanes<T>(
  items: readonly T[],
  concurrency: number,
  open: (item: T) => Promise<void>,
): Promise<ConnectReport> {
  const cpuStart = cpuMicros();
  const startNs = nowNs();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      try {
        await open(items[next++]);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return {
    opened: items.length - failed,
    failed,
    firstError,
    startNs,
    endNs: nowNs(),
    cpuMicros: cpuMicros() - cpuStart,
  };
}

/** Opens the storm's clients, `concurrency` first connections in flight at once. */
function stormConnect({ protocol, urls, concurrency }: StormConnectParams): Promise<ConnectReport> {
  return inLanes(urls, concurrency, (url) => storm.open(protocol, url));
}

/** Parameters of the `sendFrames` call. */
export interface SendFramesParams {
  event: string;
  data: unknown;
  perClient: number;
  /** Frames each client sends per event-loop turn. */
  perTurn: number;
  /** Each frame then carries the id `<idPrefix><n>`, unique per client: a request. */
  idPrefix?: string;
}

/**
 * Every client sends `perClient` frames, `perTurn` at a time with one `setImmediate` between
 * turns; resolves once all are handed to the sockets.
 */
async function sendFrames({
  event,
  data,
  perClient,
  perTurn,
  idPrefix,
}: SendFramesParams): Promise<{ sent: number; cpuMicros: number }> {
  const cpuStart = cpuMicros();
  const head = `{"event":${JSON.stringify(event)},`;
  const tail = `"data":${JSON.stringify(data)}}`;
  const plain = head + tail;
  const frame =
    idPrefix === undefined ? () => plain : (n: number) => `${head}"id":"${idPrefix}${n}",${tail}`;
  for (let first = 0; first < perClient; first += perTurn) {
    const count = Math.min(perTurn, perClient - first);
    for (const client of clients) client.sendFrames(first, count, frame);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sent: perClient * clients.length, cpuMicros: cpuMicros() - cpuStart };
}

serveRpc({
  sendFrames,
  connect,
  arm: ({ expected }: { expected: number }) => meter.arm(expected),
  collect: ({ stallMs }: { stallMs: number }) => meter.collect(stallMs),
  dropAll,
  reconnectAll,
  stormConnect,
  stormMark: () => storm.mark(),
  stormDrop: () => storm.dropAll(),
  stormUntilBack: ({ timeoutMs }: { timeoutMs: number }) => storm.untilBack(timeoutMs),
  armTally: ({ perClient }: { perClient: number }) => tally.arm(perClient),
  collectTally: ({ stallMs }: { stallMs: number }) => tally.collect(stallMs),
});
