import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../clock.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import { BENCH_CHAT_DATA } from '../servers/bench-chat.dto.js';
import { InboundEvent } from '../servers/inbound-tally.js';
import type { ProcessStats } from '../servers/process-stats.js';
import type { BenchContext } from './context.js';
import type { LoadPool } from './load-pool.js';
import type { ServerProcess } from './server-process.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import type { SystemSpec } from './systems.js';

export const INBOUND_TABLE: TableSpec = {
  id: 'inbound',
  title: 'Inbound frames: handlers',
  method:
    'Every client sends the same small JSON frame (`{"event":…,"data":{"to":"u1","text":…}}`, ~90 bytes) as fast as its worker can, in bursts of a fixed number per client per turn, each burst in one write; the server’s handler counts it. Ours: a `@ChatHandler` method of a provider; Nest’s gateway: `@WebSocketGateway` on `@nestjs/platform-ws`’s `WsAdapter` with a `@SubscribeMessage` method; raw ws: `ws.on("message")` + `JSON.parse`. The validated rows put the same `ValidationPipe` (class-validator DTO) on ours and on Nest’s handler; the request rows answer every frame (ours: the frame carries an `id` and gets its `ack`; Nest: the handler returns a value, which Nest writes back; raw ws: it writes an answer with the id). Frames/s run from the first send to the last frame handled; CPU per frame is the server’s CPU time over that window divided by the frames. Ours runs with `rateLimit: false`, as the others limit nothing. Each row first runs unmeasured, as a warm-up.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway (@ChatHandler)', short: 'ours' },
    { id: 'nest', label: 'Nest gateway (@SubscribeMessage)', short: 'Nest gateway' },
    { id: 'raw', label: 'raw ws', short: 'raw ws' },
  ],
  ratios: [
    ['ours', 'nest'],
    ['ours', 'raw'],
  ],
};

/** The kinds of inbound frames, each a pair of rows. */
export const INBOUND_VARIANTS = [
  { id: 'plain', label: 'no guards or pipes', event: InboundEvent.Plain, request: false },
  {
    id: 'validated',
    label: '`ValidationPipe` + DTO',
    event: InboundEvent.Validated,
    request: false,
  },
  { id: 'request', label: 'request, answered', event: InboundEvent.Request, request: true },
] as const;
export type InboundVariant = (typeof INBOUND_VARIANTS)[number];

export function inboundRows(variant: InboundVariant): Record<'rate' | 'cpu' | 'load', RowSpec> {
  return {
    rate: { id: `${variant.id}.rate`, label: `${variant.label}: frames/s`, unit: 'rate' },
    cpu: {
      id: `${variant.id}.cpu`,
      label: `${variant.label}: server CPU per frame`,
      unit: 'micros',
    },
    // The clients' cost of sending: it says whether the load generator could be the limit.
    load: {
      id: `${variant.id}.load`,
      label: `${variant.label}: load-generator CPU per frame sent (all workers)`,
      unit: 'micros',
      better: 'neither',
    },
  };
}

/** Raw ws has no pipes: it only parses, and answers with the id. */
function variantsOf(system: SystemSpec): readonly InboundVariant[] {
  return system.id === 'raw'
    ? INBOUND_VARIANTS.filter((v) => v.id !== 'validated')
    : INBOUND_VARIANTS;
}

/** How often the harness asks the server how many frames it handled. */
const POLL_MS = 20;

/**
 * Clients flood one server with frames, each kind of frame in turn: how many a second its
 * handlers take, and the server CPU each costs.
 */
export async function inboundScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const { inbound } = ctx.plan;
  const config = { heartbeat: QUIET_HEARTBEAT, auth: 'query', inbound: true } as const;
  await withSession(ctx, system, 'inbound', config, async ({ server, load }) => {
    await connectUsers(ctx, load, system, server, 0, inbound.clients);
    for (const variant of variantsOf(system)) {
      await flood(ctx, server, load, variant, inbound.warmupFramesPerClient, 'warm');
      const run = await flood(ctx, server, load, variant, inbound.framesPerClient, 'run');
      const rows = inboundRows(variant);
      ctx.results.add(INBOUND_TABLE, rows.rate, system.id, run.rate);
      ctx.results.add(INBOUND_TABLE, rows.cpu, system.id, run.cpuPerFrame);
      ctx.results.add(INBOUND_TABLE, rows.load, system.id, run.loadCpuPerFrame);
      ctx.log(
        `  ${system.label} inbound ${variant.id}: ${Math.round(run.rate)} frames/s, ${run.cpuPerFrame.toFixed(2)} µs CPU per frame`,
      );
      if (run.missing > 0) {
        ctx.results.note(
          `Run ${ctx.run}, ${system.label}, inbound ${variant.id}: ${run.missing} frames were never handled.`,
        );
      }
    }
  });
}

/** One flood of `perClient` frames from every client, until the server handled them all. */
async function flood(
  ctx: BenchContext,
  server: ServerProcess,
  load: LoadPool,
  variant: InboundVariant,
  perClient: number,
  phase: string,
): Promise<{ rate: number; cpuPerFrame: number; loadCpuPerFrame: number; missing: number }> {
  const before = await server.control.stats();
  const startNs = nowNs();
  const { sent, cpuMicros: loadCpuMicros } = await load.sendFrames({
    event: variant.event,
    data: BENCH_CHAT_DATA,
    perClient,
    perTurn: ctx.plan.inbound.perTurn,
    // Unique per flood: a repeated id would get the stored answer without running the handler.
    ...(variant.request && { idPrefix: `r${ctx.run}-${phase}-` }),
  });
  const after = await untilHandled(server, before.handled + sent, ctx.plan.stallMs);
  const handled = after.handled - before.handled;
  const seconds = (after.lastHandledNs - startNs) / 1e9;
  return {
    rate: handled / seconds,
    cpuPerFrame: (after.cpuMicros - before.cpuMicros) / Math.max(1, handled),
    loadCpuPerFrame: loadCpuMicros / sent,
    missing: sent - handled,
  };
}

/**
 * Polls the server until its handlers counted `target` frames in all, or the count did not move
 * for `stallMs`.
 */
async function untilHandled(
  server: ServerProcess,
  target: number,
  stallMs: number,
): Promise<ProcessStats> {
  let stats = await server.control.stats();
  let last = stats.handled;
  let movedAt = Date.now();
  while (stats.handled < target && Date.now() - movedAt < stallMs) {
    await sleep(POLL_MS);
    stats = await server.control.stats();
    if (stats.handled !== last) {
      last = stats.handled;
      movedAt = Date.now();
    }
  }
  return stats;
}
