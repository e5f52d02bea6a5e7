import type { TallyReport } from '../load/client-tally.js';
import { OPEN_TIMEOUT_MS, RECONNECT_ATTEMPTS } from '../load/clients.js';
import type { Plan } from '../plan.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { ProcessStats } from '../servers/process-stats.js';
import type { ServerConfig } from '../servers/server-config.js';
import type { BenchContext } from './context.js';
import type { LoadPool, ReconnectSummary } from './load-pool.js';
import { runStorm } from './run-storm.js';
import type { ServerProcess } from './server-process.js';
import { connectUsers, QUIET_HEARTBEAT, untilConnections, withSession } from './session.js';
import type { SystemSpec } from './systems.js';

export const RECOVERY_TABLE: TableSpec = {
  id: 'recovery-storm',
  title: 'Reconnect storm with recovery',
  method:
    'One server process; every client is its own user and has received one push. Then each load worker destroys all its clients’ TCP sockets in one loop (no close frame, no disconnect packet); once the server counts no connection, it pushes the same number of messages to each user through its send API, and then every client reconnects at once, asking to recover: ours with `?since=<offset of the last push it got>&epoch=<the welcome’s epoch>` (history on, its default, in memory); socket.io through its client’s connection state recovery (the same Manager reconnects and sends its session id and last offset; `connectionStateRecovery: {}` on the default in-memory adapter). Times run from the start of the reconnects to the last client registered (our welcome, socket.io’s `connect`) and to the moment the last client had all its missed pushes, counted client by client. Event-loop delay (`monitorEventLoopDelay`, 1 ms sampling, so an idle loop reads about 1 ms) and CPU time are the server’s over that span. In the full plan an unmeasured drop and reconnect with fewer missed pushes runs first.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway, history on', short: 'ours' },
    { id: 'sio', label: 'socket.io, connection state recovery', short: 'socket.io' },
  ],
  ratios: [['ours', 'sio']],
};

type RecoveryRow =
  | 'allReceived'
  | 'reconnected'
  | 'recovered'
  | 'notRecovered'
  | 'complete'
  | 'over'
  | 'retries'
  | 'eventLoop'
  | 'cpu';

/** The table's rows, which name the plan's counts. */
export function recoveryRows({
  clients,
  missedPerClient,
}: Plan['recovery']): Record<RecoveryRow, RowSpec> {
  const of = `of ${clients.toLocaleString('en-US')}`;
  const count = { unit: 'count', noRatio: true } as const;
  return {
    allReceived: {
      id: 'all-received',
      label: `until every client had its ${missedPerClient} missed pushes`,
      unit: 'ms',
    },
    reconnected: { id: 'reconnected', label: 'until every client was reconnected', unit: 'ms' },
    recovered: { id: 'recovered', label: `clients recovered, ${of}`, ...count, better: 'higher' },
    notRecovered: { id: 'not-recovered', label: `clients not recovered, ${of}`, ...count },
    complete: {
      id: 'complete',
      label: `clients that got all ${missedPerClient} missed pushes, ${of}`,
      ...count,
      better: 'higher',
    },
    over: {
      id: 'over',
      label: `clients that got more than ${missedPerClient} (duplicates), ${of}`,
      ...count,
    },
    retries: {
      id: 'retries',
      label: `reconnect attempts that failed and were tried again (refused, or not open after ${OPEN_TIMEOUT_MS / 1000} s)`,
      ...count,
    },
    eventLoop: {
      id: 'event-loop',
      label: 'server max event-loop delay during the storm',
      unit: 'ms',
    },
    cpu: { id: 'cpu', label: 'server CPU time during the storm', unit: 'ms' },
  };
}

/** One drop and reconnect of every client, as the server and the clients saw it. */
interface StormCycle {
  reconnect: ReconnectSummary;
  tally: TallyReport;
  before: ProcessStats;
  after: ProcessStats;
}

/** Every client drops, misses pushes, and reconnects at once, recovering what it missed. */
export async function recoveryStormScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const { recovery, stallMs, storm } = ctx.plan;
  const config: ServerConfig = { heartbeat: QUIET_HEARTBEAT, auth: 'query', recovery: true };
  await withSession(ctx, system, 'recovery-storm', config, async ({ server, load }) => {
    await connectUsers(ctx, load, system, server, 0, recovery.clients);
    // socket.io recovers only a client that has an offset, i.e. got a packet since it connected;
    // ours could recover from the welcome's position alone, but gets the same push.
    const primer = { userCount: recovery.clients, total: recovery.clients, perUserPerTurn: 1 };
    const primed = await runStorm(load, server.control, { ...primer, bytes: storm.bytes }, stallMs);
    if (primed.lost > 0) {
      throw new Error(`${primed.lost} of ${recovery.clients} clients never got the first push`);
    }
    if (recovery.warmupMissedPerClient > 0) {
      await dropAndRecover(ctx, server, load, recovery.warmupMissedPerClient);
    }
    record(ctx, system, await dropAndRecover(ctx, server, load, recovery.missedPerClient));
  });
}

/**
 * Drops every client, pushes `missed` messages to each user while nobody is connected, then
 * reconnects every client at once and waits until each has them all (or nothing arrives for
 * `stallMs`).
 */
async function dropAndRecover(
  ctx: BenchContext,
  server: ServerProcess,
  load: LoadPool,
  missed: number,
): Promise<StormCycle> {
  const { clients } = ctx.plan.recovery;
  await load.dropAll();
  // The pushes must find every client away, and socket.io saves a session only once it has seen
  // that socket's transport close.
  await untilConnections(server, (n) => n === 0, 'notice that every client dropped');
  await server.control.pushStorm({
    userCount: clients,
    total: clients * missed,
    perUserPerTurn: Math.min(missed, 20),
    bytes: ctx.plan.storm.bytes,
  });
  await server.control.resetEventLoopDelay();
  const before = await server.control.stats();
  const { reconnect, tally } = await load.reconnectAll(missed, ctx.plan.stallMs);
  const after = await server.control.stats();
  return { reconnect, tally, before, after };
}

/** Puts the measured cycle in the table, and in the notes whatever a client did not get. */
function record(ctx: BenchContext, system: SystemSpec, cycle: StormCycle): void {
  const { recovery } = ctx.plan;
  const { reconnect, tally, before, after } = cycle;
  const rows = recoveryRows(recovery);
  const add = (row: RowSpec, value: number): void =>
    ctx.results.add(RECOVERY_TABLE, row, system.id, value);
  const where = `Run ${ctx.run}, ${system.label}, recovery storm`;
  if (tally.completeNs > 0) {
    add(rows.allReceived, (tally.completeNs - reconnect.startNs) / 1e6);
  } else {
    const short = `${recovery.clients - tally.complete} of ${recovery.clients} clients short`;
    ctx.results.remark(RECOVERY_TABLE, rows.allReceived, system.id, `never: ${short}`);
    ctx.results.note(
      `${where}: only ${tally.complete} of ${tally.clients} clients got all ${recovery.missedPerClient} missed pushes (fewest received: ${tally.min}, ${tally.received} in all).`,
    );
  }
  add(rows.reconnected, (reconnect.endNs - reconnect.startNs) / 1e6);
  add(rows.recovered, reconnect.recovered);
  add(rows.notRecovered, recovery.clients - reconnect.recovered);
  add(rows.complete, tally.complete);
  add(rows.over, tally.over);
  add(rows.retries, reconnect.retries);
  add(rows.eventLoop, after.eventLoopDelay.maxMs);
  add(rows.cpu, (after.cpuMicros - before.cpuMicros) / 1000);
  if (reconnect.failed > 0) {
    ctx.results.note(
      `${where}: ${reconnect.failed} of ${recovery.clients} clients could not reconnect in ${RECONNECT_ATTEMPTS} attempts (first error: ${reconnect.firstError}).`,
    );
  }
  if (tally.over > 0) {
    ctx.results.note(
      `${where}: ${tally.over} clients got more than ${recovery.missedPerClient} pushes (most: ${tally.max}).`,
    );
  }
  const all =
    tally.completeNs > 0
      ? `${((tally.completeNs - reconnect.startNs) / 1e6).toFixed(0)} ms`
      : 'never';
  ctx.log(
    `  ${system.label} recovery storm: ${reconnect.recovered} of ${recovery.clients} recovered (${reconnect.retries} retries), ${tally.complete} got all ${recovery.missedPerClient} (${tally.over} more), all reconnected in ${((reconnect.endNs - reconnect.startNs) / 1e6).toFixed(0)} ms, all missed pushes in ${all}, max event-loop delay ${after.eventLoopDelay.maxMs.toFixed(1)} ms`,
  );
}
