import { startControlServer } from './control-server.js';
import { ProcessMonitor } from './process-stats.js';
import type { PushTarget } from './push-target.js';
import type { ServerConfig, ServerReady } from './server-config.js';

/** A system under test, started inside a server process on a loopback port. */
export type StartSystem = (config: ServerConfig) => Promise<{ target: PushTarget; wsPort: number }>;

/**
 * The shared `main` of every server process: starts the system from the config in argv[2], adds
 * the control server and tells the harness over IPC that it is ready. It exits cleanly on
 * SIGTERM (so `--cpu-prof` can write its profile) and when the harness goes away.
 */
export function serve(start: StartSystem): void {
  process.once('SIGTERM', () => process.exit(0));
  process.once('disconnect', () => process.exit(0));
  const config = JSON.parse(process.argv[2]) as ServerConfig;
  start(config)
    .then(async ({ target, wsPort }) => {
      const controlPort = await startControlServer(
        target,
        new ProcessMonitor(() => target.connectionCount()),
      );
      const ready: ServerReady = { type: 'ready', wsPort, controlPort };
      process.send!(ready);
    })
    .catch((err: unknown) => {
      console.error((err as Error)?.stack ?? err);
      process.exit(1);
    });
}
