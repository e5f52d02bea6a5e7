import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Every process the harness starts (servers, load workers, redis-server) is registered here, so
 * that each one is ended by its own PID, whatever way the harness itself ends: normally, on an
 * error, or on Ctrl-C. Nothing is ever killed by name.
 */
const live = new Set<ChildProcess>();

/** Lines of output kept per child, shown when it dies unexpectedly. */
const TAIL_LINES = 30;

/** A started process and the last lines it printed. */
export interface Child {
  readonly process: ChildProcess;
  readonly name: string;
  /** The last lines of stdout and stderr, for error messages. */
  tail(): string;
}

export interface StartOptions {
  /** Shown in error messages. */
  name: string;
  /** Give the child an IPC channel (node children only). */
  ipc?: boolean;
  /** Environment variables on top of the harness's own. */
  env?: Record<string, string>;
}

/**
 * Starts `command` and registers it for cleanup. The open-file limit is raised to the hard limit
 * first (through `sh … exec`, so the PID stays the command's own): 19 000 connections need more
 * descriptors than many shells allow by default.
 */
export function startChild(command: string, args: string[], options: StartOptions): Child {
  const child = spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', command, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
      env: { ...process.env, ...options.env },
    },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - TAIL_LINES));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return { process: child, name: options.name, tail: () => lines.join('\n') };
}

/** Whether the process has not exited yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Asks the process to end (SIGTERM: servers then exit cleanly, which also writes a CPU profile)
 * and kills it if it has not exited within `graceMs`.
 */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  const proc = child.process;
  if (!isRunning(proc)) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills every process still running, synchronously, by PID. Safe to call more than once. */
export function killAllChildren(): void {
  for (const child of live) {
    if (isRunning(child)) child.kill('SIGKILL');
  }
  live.clear();
}

/**
 * Makes sure no child outlives the harness: on normal exit, on an uncaught error, and on
 * SIGINT/SIGTERM (which also reach children in the terminal's process group; this covers the
 * rest).
 */
export function installCleanup(): void {
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

/**
 * Waits for `event` (e.g. a child's "ready"), failing with the child's last output if the child
 * exits first or nothing happens within `timeoutMs`.
 */
export async function whileRunning<T>(
  child: Child,
  event: Promise<T>,
  timeoutMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const exited = once(child.process, 'exit').then(([code, signal]) => {
    throw new Error(`${child.name} exited (${signal ?? code}):\n${child.tail()}`);
  });
  exited.catch(() => undefined); // only the race below reports it
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`${child.name} did not get ready within ${timeoutMs} ms:\n${child.tail()}`),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([event, exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
