import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { isRunning, startChild, stopChild, whileRunning } from '../processes/children.js';
import { paths } from '../paths.js';
import type { ServerConfig, ServerReady } from '../servers/server-config.js';
import { ControlClient } from './control-client.js';
import type { SystemSpec } from './systems.js';

const READY_TIMEOUT_MS = 20_000;

/** A running benchmark server and the way to drive it. */
export interface ServerProcess {
  readonly pid: number;
  readonly wsPort: number;
  readonly control: ControlClient;
  stop(): Promise<void>;
  /** SIGKILL, by its PID, as a crashing machine ends it: no shutdown, no close frames. */
  kill(): Promise<void>;
}

/**
 * Starts a system's server as its own process (with `--expose-gc`, for memory readings after a
 * full GC) and waits until it listens. With `profileName`, the process also runs under
 * `--cpu-prof` and writes bench/results/profiles/<profileName>.cpuprofile when it stops.
 */
export async function startServer(
  spec: SystemSpec,
  config: ServerConfig,
  profileName?: string,
): Promise<ServerProcess> {
  const flags = ['--expose-gc'];
  if (profileName) {
    flags.push(
      '--cpu-prof',
      `--cpu-prof-dir=${join(paths.results, 'profiles')}`,
      `--cpu-prof-name=${profileName}.cpuprofile`,
    );
  }
  const child = startChild(
    process.execPath,
    [...flags, resolve(paths.compiled, spec.script), JSON.stringify({ ...config, ...spec.config })],
    { name: `${spec.label} server`, ipc: true },
  );
  const ready = await whileRunning(
    child,
    new Promise<ServerReady>((resolve) => {
      child.process.on('message', (message: ServerReady) => {
        if (message?.type === 'ready') resolve(message);
      });
    }),
    READY_TIMEOUT_MS,
  );
  return {
    pid: child.process.pid!,
    wsPort: ready.wsPort,
    control: new ControlClient(ready.controlPort),
    stop: () => stopChild(child),
    kill: async () => {
      if (!isRunning(child.process)) return;
      const exited = once(child.process, 'exit');
      child.process.kill('SIGKILL');
      await exited;
    },
  };
}
