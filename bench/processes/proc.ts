import { readFileSync } from 'node:fs';

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) in /proc. */
export const TICKS_PER_SECOND = 100;

/**
 * The fields of `/proc/PID/stat` from field 3 on, so field N of proc(5) is at index N − 3. The
 * command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
 */
export function procStatFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU time (user + system) a process has used so far, in microseconds, read from
 * `/proc/PID/stat`. Used for processes that cannot report it themselves (redis-server); its
 * resolution is 10 ms, so it only suits measurements that last seconds.
 */
export function processCpuMicros(pid: number): number {
  const fields = procStatFields(pid);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
}

/**
 * The hard limit on open files of processes this harness starts (they raise their soft limit to
 * it), or `Infinity` when unlimited. Read from /proc because Node has no getrlimit.
 */
export function openFileHardLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
}
