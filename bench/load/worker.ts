import { nowNs } from '../clock.js';
import { serveRpc } from '../processes/rpc.js';
import { openClient, type Protocol } from './clients.js';
import { cpuMicros, ReceiveMeter } from './receive-meter.js';

/** Parameters of the `connect` call. */
export interface ConnectParams {
  protocol: Protocol;
  urls: string[];
  /** Handshakes this worker keeps in flight at once. */
  concurrency: number;
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

/**
 * A load-generator process: it opens its share of the clients on request and measures
 * what they receive. The harness runs several, each a separate OS process, so that the clients
 * are not limited to one core and their CPU time can be reported apart from the server's.
 */
const meter = new ReceiveMeter();
const onStamp = (sentNs: number): void => meter.record(sentNs);

async function connect({ protocol, urls, concurrency }: ConnectParams): Promise<ConnectReport> {
  const cpuStart = cpuMicros();
  const startNs = nowNs();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next++];
      try {
        await openClient(protocol, url, onStamp);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return {
    opened: urls.length - failed,
    failed,
    firstError,
    startNs,
    endNs: nowNs(),
    cpuMicros: cpuMicros() - cpuStart,
  };
}

serveRpc({
  connect,
  arm: ({ expected }: { expected: number }) => meter.arm(expected),
  collect: ({ stallMs }: { stallMs: number }) => meter.collect(stallMs),
});
