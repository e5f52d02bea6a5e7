import type { Plan } from '../plan.js';
import type { Results } from '../report/results.js';
import { isOurModule, type SystemSpec } from './systems.js';

/** What every scenario gets: the counts, where samples go, and which run this is. */
export interface BenchContext {
  plan: Plan;
  results: Results;
  /** 1-based number of the current interleaved run. */
  run: number;
  /** Whether our server (and the baseline's build of it) runs under `--cpu-prof`. */
  profile: boolean;
  log(line: string): void;
}

/**
 * The CPU profile name for a server of this session, when profiling ours. The baseline's build
 * is profiled too: the profiler's overhead must slow both sides of `ours ÷ base` alike.
 */
export function profileName(
  ctx: BenchContext,
  system: SystemSpec,
  scenario: string,
): string | undefined {
  return ctx.profile && isOurModule(system) ? `${system.id}-${scenario}-run${ctx.run}` : undefined;
}
