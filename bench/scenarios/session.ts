import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerConfig } from '../servers/server-config.js';
import { profileName, type BenchContext } from './context.js';
import { LoadPool, type ConnectSummary } from './load-pool.js';
import { startServer, type ServerProcess } from './server-process.js';
import type { SystemSpec } from './systems.js';

/**
 * Outside the heartbeat scenario every server pings this rarely, so that no sweep falls inside a
 * measurement (a session lasts well under a minute).
 */
export const QUIET_HEARTBEAT = { intervalMs: 120_000, timeoutMs: 240_000 } as const;

/** One server of one system, and a fresh load generator, for one scenario. */
export interface Session {
  system: SystemSpec;
  server: ServerProcess;
  load: LoadPool;
}

/**
 * Runs `body` against a fresh server and load generator, and stops both afterwards, also when
 * the body fails.
 */
export async function withSession<T>(
  ctx: BenchContext,
  system: SystemSpec,
  scenario: string,
  config: ServerConfig,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  // Both boot at once, which shortens every session: nothing is measured before the body.
  const [server, load] = await Promise.allSettled([
    startServer(system, config, profileName(ctx, system, scenario)),
    LoadPool.start(ctx.plan.workers),
  ]);
  try {
    if (server.status === 'rejected') throw server.reason;
    if (load.status === 'rejected') throw load.reason;
    return await body({ system, server: server.value, load: load.value });
  } finally {
    if (load.status === 'fulfilled') await load.value.stop();
    if (server.status === 'fulfilled') await server.value.stop();
  }
}

const REGISTRATION_TIMEOUT_MS = 20_000;

/**
 * Connects users `from` ≤ i < `to` to `server` and waits until the server counts them all, so
 * the next push reaches every one. Throws if any handshake fails: a partial population would
 * make every later number wrong. `held` is how many connections the server has before (by
 * default users below `from` are connected to it; another node of a cluster may hold them).
 */
export async function connectUsers(
  ctx: BenchContext,
  load: LoadPool,
  system: SystemSpec,
  server: ServerProcess,
  from: number,
  to: number,
  token?: (userIndex: number) => string,
  held = from,
): Promise<ConnectSummary> {
  const summary = await load.connect(
    system.protocol,
    from,
    to,
    (i) => system.url(server.wsPort, i, token?.(i)),
    ctx.plan.connectConcurrency,
  );
  if (summary.failed > 0) {
    throw new Error(
      `${summary.failed} of ${to - from} handshakes failed (first: ${summary.firstError})`,
    );
  }
  const expected = held + to - from;
  await untilConnections(server, (n) => n >= expected, `register ${expected} connections`);
  return summary;
}

/**
 * Waits until the server's connection count satisfies `done`; after a generous timeout, throws
 * that the server did not do `what` (e.g. "register 100 connections").
 */
export async function untilConnections(
  server: ServerProcess,
  done: (connections: number) => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + REGISTRATION_TIMEOUT_MS;
  while (!done((await server.control.stats()).connections)) {
    if (Date.now() > deadline) throw new Error(`the server did not ${what}`);
    await sleep(50);
  }
}
