import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from './wait.js';

/** The demo's entry point, compiled next to the tests. */
const DEMO_MAIN = fileURLToPath(new URL('../../sample/main.js', import.meta.url));

export interface DemoProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Sends `signal` and waits for the exit; resolves with the exit code or signal name. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Runs the demo as its own OS process on a free loopback port (PORT=0) and waits until it logs
 * the port it listens on. `wrapper` runs it through a command, e.g. `['prlimit', '--nofile=1024']`.
 */
export async function startDemoProcess(
  env: Record<string, string> = {},
  wrapper: string[] = [],
): Promise<DemoProcess> {
  const [command, ...args] = [...wrapper, process.execPath, DEMO_MAIN];
  const child = spawn(command, args, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const port = await within(
    new Promise<number>((resolve, reject) => {
      const check = (): void => {
        const match = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout!.on('data', check);
      void exited.then((code) =>
        reject(new Error(`demo exited (${code}) before listening:\n${output}`)),
      );
    }),
    15_000,
    'the demo process to listen',
  ).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    child,
    port,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return within(exited, 15_000, 'the demo process to exit');
    },
  };
}
