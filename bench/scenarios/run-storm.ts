import type { StormSpec } from '../servers/push-storm.js';
import type { ControlClient } from './control-client.js';
import type { LoadPool, Measurement } from './load-pool.js';

/** One storm as the clients saw it. */
export interface StormRun {
  measurement: Measurement;
  /** Messages received per second, from the first send to the last arrival. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  /** Messages that never arrived (dropped, or still queued when the measurement stalled). */
  lost: number;
}

/**
 * Has `sender` push a storm to users that `load` holds (possibly through another server, in the
 * cluster) and measures it end to end: throughput from the server's first send to the last
 * arrival, latency from each message's send timestamp to its arrival.
 */
export async function runStorm(
  load: LoadPool,
  sender: ControlClient,
  spec: StormSpec,
  stallMs: number,
): Promise<StormRun> {
  const base = Math.floor(spec.total / spec.userCount);
  const extra = spec.total % spec.userCount;
  const { result, measurement } = await load.measure(
    (i) => base + (i < extra ? 1 : 0),
    spec.userCount,
    () => sender.pushStorm(spec),
    stallMs,
  );
  const seconds = (measurement.lastReceivedNs - result.startNs) / 1e9;
  return {
    measurement,
    throughput: measurement.received / seconds,
    p50Ms: measurement.latency.quantile(0.5) / 1000,
    p99Ms: measurement.latency.quantile(0.99) / 1000,
    lost: measurement.expected - measurement.received,
  };
}
