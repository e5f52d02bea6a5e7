import type { Plan } from '../plan.js';
import type { Results } from '../report/results.js';
import type { SystemSpec } from './systems.js';

/** What every scenario gets: the counts, where samples go, and which run this is. */
export interface BenchContext {
  plan: Plan;
  results: Results;
  /** 1-based number of the current interleaved run. */
  run: number;
  /** Whether our server runs under `--cpu-prof`. */
  profile: boolean;
  log(line: string): void;
}

/** The CPU profile name for a server of this session, when profiling (ours only). */
export function profileName(
  ctx: BenchContext,
  system: SystemSpec,
  scenario: string,
): string | undefined {
  return ctx.profile && system.id === 'ours' ? `ours-${scenario}-run${ctx.run}` : undefined;
}
