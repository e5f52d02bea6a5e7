/**
 * Now, in nanoseconds, on the clock every harness process shares: `process.hrtime` reads
 * CLOCK_MONOTONIC, which on Linux is one system-wide clock, so a timestamp taken in a server can
 * be compared with one taken in a load worker. A double holds it exactly for 104 days of uptime.
 */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
