import { startCpuAccount, waitForQuietMachine } from '../processes/machine-cpu.js';
import type { TableSpec } from '../report/results.js';
import type { BenchContext } from './context.js';
import { columnOf, SYSTEMS, type SystemSpec } from './systems.js';

export const OTHER_LOAD_TABLE: TableSpec = {
  id: 'other-load',
  title: 'Other load on the machine',
  method:
    'CPU used by processes the harness did not start (other engineers’ tests, services), averaged over each session, from /proc/stat minus the harness’s own and its children’s CPU time. Before each session the harness waits (up to a limit) until the machine is quiet. High values mean that session’s numbers are less trustworthy.',
  columns: SYSTEMS.map(columnOf),
  ratios: [],
};

/** Busy CPU of the whole machine, in % of one core, below which it counts as quiet. */
const QUIET_PERCENT = 20;

/** Runs one session after waiting for a quiet machine, and records the other load during it. */
export async function withLoadAccount(
  ctx: BenchContext,
  scenario: string,
  system: SystemSpec,
  session: () => Promise<void>,
): Promise<void> {
  if (!(await waitForQuietMachine(QUIET_PERCENT, ctx.plan.quietWaitMs))) {
    ctx.log(`  (the machine stayed busy for ${ctx.plan.quietWaitMs / 1000} s; measuring anyway)`);
  }
  const account = startCpuAccount();
  try {
    await session();
  } finally {
    const { otherPercent } = account();
    ctx.results.add(
      OTHER_LOAD_TABLE,
      { id: scenario, label: `during ${scenario} sessions`, unit: 'percent' },
      system.id,
      otherPercent,
    );
  }
}
