import type { TableSpec } from '../report/results.js';
import type { ServerConfig } from '../servers/server-config.js';
import type { BenchContext } from './context.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import { measureShapes } from './storm.js';
import type { SystemSpec } from './systems.js';

/** The settings compared: the default (every push stored with an offset) and none. */
const SETTINGS: { id: string; label: string; history: ServerConfig['history'] }[] = [
  { id: 'on', label: 'history on (default, `{ size: 100, ttlMs: 300000 }`)', history: undefined },
  { id: 'off', label: '`history: false`', history: false },
];

export const HISTORY_TABLE: TableSpec = {
  id: 'history',
  title: 'Streams: history on against off',
  method:
    'Our module alone, on one process, under the push storm of both shapes (as in the push storm above, after the same warm-up), once with history on (its default: each push is appended to its user’s stream in memory and carries an offset) and once with `history: false` (at most once, no offsets). Each setting runs on its own fresh server; the two take turns going first from run to run. A baseline build (`--baseline`) from before the streams ignores the option: both of its columns run without history.',
  // Ids name the system and the setting, so that the baseline's build (`--baseline`) records
  // beside ours under `base.<setting>`.
  columns: SETTINGS.map(({ id, label }) => ({ id: `ours.${id}`, label, short: id })),
  ratios: [['ours.on', 'ours.off']],
};

/** The storm shapes against our server (or the baseline's build) with history on and off. */
export async function historyScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  // The first session of a scenario runs measurably slower: neither setting always takes it.
  const order = ctx.run % 2 === 1 ? SETTINGS : [...SETTINGS].reverse();
  for (const { id, history } of order) {
    const config: ServerConfig = { heartbeat: QUIET_HEARTBEAT, auth: 'query', history };
    await withSession(ctx, system, `history-${id}`, config, async ({ server, load }) => {
      await connectUsers(ctx, load, system, server, 0, ctx.plan.storm.users);
      const label = `${system.label} history ${id}`;
      await measureShapes(ctx, HISTORY_TABLE, `${system.id}.${id}`, label, server, load);
    });
  }
}
