import { readFileSync } from 'node:fs';
import { procStatFields, TICKS_PER_SECOND } from './proc.js';

/** How the machine's CPU was shared during a stretch of time. */
export interface CpuShare {
  /** The harness and every process it started and has reaped, in % of one core. */
  harnessPercent: number;
  /** Everything else on the machine (other engineers' tests, services), in % of one core. */
  otherPercent: number;
}

/**
 * Starts counting CPU time: the whole machine's from /proc/stat, and the harness's own plus its
 * reaped children's (servers, workers, redis-server) from /proc/self/stat. The difference is the
 * load other people put on the shared machine, which the report states next to the numbers.
 * Call the returned function once every child has exited.
 */
export function startCpuAccount(): () => CpuShare {
  const machine0 = machineBusyTicks();
  const harness0 = harnessTicks();
  const start = process.hrtime.bigint();
  return () => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const percent = (ticks: number): number => (100 * ticks) / TICKS_PER_SECOND / seconds;
    const harness = harnessTicks() - harness0;
    return {
      harnessPercent: percent(harness),
      otherPercent: Math.max(0, percent(machineBusyTicks() - machine0 - harness)),
    };
  };
}

/** Ticks all CPUs spent running processes (or stolen by the hypervisor). */
function machineBusyTicks(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  // Fields: user nice system idle iowait irq softirq steal guest guest_nice (guest time is
  // already in user and nice). Interrupt time is left out: it is mostly the kernel moving the
  // harness's own loopback traffic, which no process is charged for.
  const [user, nice, system, , , , , steal] = fields.map(Number);
  return user + nice + system + steal;
}

/** This process's CPU ticks plus those of its children that have exited and been reaped. */
function harnessTicks(): number {
  // utime, stime, cutime, cstime: fields 14–17.
  return procStatFields('self')
    .slice(14 - 3, 17 - 3 + 1)
    .map(Number)
    .reduce((a, b) => a + b, 0);
}

const QUIET_SAMPLE_MS = 500;

/**
 * Waits, up to `maxWaitMs`, until the machine's busy CPU over half a second is below
 * `thresholdPercent` of one core. Called between sessions, when the harness itself is idle, so
 * that a colleague's test burst does not land inside a measurement.
 * @returns whether the machine became quiet in time
 */
export async function waitForQuietMachine(
  thresholdPercent: number,
  maxWaitMs: number,
): Promise<boolean> {
  if (maxWaitMs <= 0) return true;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const before = machineBusyTicks();
    await new Promise((resolve) => setTimeout(resolve, QUIET_SAMPLE_MS));
    const percent =
      ((100 * (machineBusyTicks() - before)) / TICKS_PER_SECOND) * (1000 / QUIET_SAMPLE_MS);
    if (percent < thresholdPercent) return true;
    if (Date.now() >= deadline) return false;
  }
}
