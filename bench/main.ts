import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { parseCli, type CliOptions, type ScenarioName } from './cli.js';
import { paths } from './paths.js';
import { FULL_PLAN, QUICK_PLAN, type Plan } from './plan.js';
import { installCleanup } from './processes/children.js';
import { renderChart } from './report/chart.js';
import { describeEnvironment } from './report/environment.js';
import { renderMarkdown } from './report/markdown.js';
import { summarizeProfiles } from './report/profile-summary.js';
import { Results } from './report/results.js';
import { judgeTargets } from './report/targets.js';
import { loadBaseline, type Baseline } from './scenarios/baseline.js';
import { CLUSTER_HISTORY_TABLE, clusterHistoryScenario } from './scenarios/cluster-history.js';
import { CLUSTER_SHARDED_TABLE, clusterShardedScenario } from './scenarios/cluster-sharded.js';
import { CLUSTER_TABLE, clusterScenario } from './scenarios/cluster.js';
import { COALESCING_TABLE, coalescingScenario } from './scenarios/coalescing.js';
import { FAN_OUT_TABLE } from './scenarios/fan-out.js';
import type { BenchContext } from './scenarios/context.js';
import { HEARTBEAT_TABLE, heartbeatScenario } from './scenarios/heartbeat.js';
import { HISTORY_TABLE, historyScenario } from './scenarios/history.js';
import { INBOUND_TABLE, inboundScenario } from './scenarios/inbound.js';
import { CONNECTIONS_TABLE, idleConnectionsScenario } from './scenarios/idle-connections.js';
import { jwtConnectScenario } from './scenarios/jwt-connect.js';
import { OTHER_LOAD_TABLE, withLoadAccount } from './scenarios/other-load.js';
import { RECONNECT_STORM_TABLE, reconnectStormScenario } from './scenarios/reconnect-storm.js';
import { RECOVERY_TABLE, recoveryStormScenario } from './scenarios/recovery-storm.js';
import { ROOMS_CLUSTER_TABLE, ROOMS_TABLE, roomsScenario } from './scenarios/rooms.js';
import { SCALE_DEMO_TABLE, scaleDemoScenario } from './scenarios/scale-demo.js';
import { SCALE_TABLE, scaleScenario } from './scenarios/scale.js';
import { STORM_TABLE, stormScenario } from './scenarios/storm.js';
import { system, type SystemId, type SystemSpec } from './scenarios/systems.js';

type Scenario = (ctx: BenchContext, system: SystemSpec) => Promise<void>;

/** Each scenario and the systems it compares, in the order of a run. */
const SCENARIOS: [ScenarioName, Scenario, SystemId[]][] = [
  ['storm', stormScenario, ['ours', 'raw', 'sio']],
  ['coalescing', coalescingScenario, ['ours']],
  ['history', historyScenario, ['ours']],
  ['idle', idleConnectionsScenario, ['ours', 'raw', 'raw-welcome', 'sio']],
  ['jwt', jwtConnectScenario, ['ours']],
  ['heartbeat', heartbeatScenario, ['ours', 'raw', 'sio']],
  // Raw ws has nothing to recover with.
  ['recovery-storm', recoveryStormScenario, ['ours', 'sio']],
  ['cluster', clusterScenario, ['ours', 'sio']],
  ['cluster-history', clusterHistoryScenario, ['ours', 'sio']],
  // Raw ws has no rooms.
  ['rooms', roomsScenario, ['ours', 'sio']],
  // socket.io is not in it: the issue compares the handler path with Nest's own gateway.
  ['inbound', inboundScenario, ['ours', 'nest', 'raw']],
  ['cluster-sharded', clusterShardedScenario, ['ours', 'sio']],
  ['scale', scaleScenario, ['ours', 'raw']],
  // The same scenario name: `--only scale` runs the demo on three nodes too.
  ['scale', scaleDemoScenario, ['ours']],
  // Raw ws has no client that reconnects by itself.
  ['reconnect-storm', reconnectStormScenario, ['ours', 'sio']],
];

/**
 * `npm run bench`: runs every scenario for every system, interleaved (ours, the baseline build
 * with `--baseline`, raw ws, socket.io, then the next scenario; the whole sequence once per
 * run), then writes the report and chart. Exits non-zero if any session failed, after reporting
 * what it measured.
 */
async function main(): Promise<number> {
  installCleanup();
  const options = parseCli(process.argv.slice(2));
  // Checked before anything runs: a wrong directory must not cost a whole run.
  const baseline = options.baseline ? loadBaseline(options.baseline) : undefined;
  const plan: Plan = { ...(options.quick ? QUICK_PLAN : FULL_PLAN) };
  if (options.runs) plan.runs = options.runs;
  const command = [
    'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  const environment = describeEnvironment(command);
  const profiles = join(paths.results, 'profiles');
  if (options.profile) {
    rmSync(profiles, { recursive: true, force: true });
    mkdirSync(profiles, { recursive: true });
  }

  const results = new Results();
  results.declare(
    STORM_TABLE,
    COALESCING_TABLE,
    HISTORY_TABLE,
    FAN_OUT_TABLE,
    CONNECTIONS_TABLE,
    HEARTBEAT_TABLE,
    RECOVERY_TABLE,
    CLUSTER_TABLE,
    CLUSTER_HISTORY_TABLE,
    ROOMS_TABLE,
    ROOMS_CLUSTER_TABLE,
    INBOUND_TABLE,
    CLUSTER_SHARDED_TABLE,
    SCALE_TABLE,
    SCALE_DEMO_TABLE,
    RECONNECT_STORM_TABLE,
    OTHER_LOAD_TABLE,
  );
  let failures = 0;
  const started = Date.now();
  for (let run = 1; run <= plan.runs; run++) {
    const ctx: BenchContext = {
      plan,
      results,
      run,
      profile: options.profile,
      log: (l) => console.log(l),
    };
    for (const [name, scenario, systems] of SCENARIOS) {
      if (options.only && !options.only.includes(name)) continue;
      console.log(`run ${run}/${plan.runs}: ${name}`);
      for (const spec of sessionOrder(systems, baseline, run)) {
        const sessionStart = Date.now();
        try {
          await withLoadAccount(ctx, name, spec, () => scenario(ctx, spec));
          console.log(`  ${spec.label} ${name}: ${(Date.now() - sessionStart) / 1000} s`);
        } catch (err) {
          failures++;
          const message = (err as Error)?.message ?? String(err);
          console.error(`  ${spec.label} ${name} FAILED: ${message}`);
          results.note(
            `Run ${run}, ${name}, ${spec.label}: the session failed: ${message.split('\n')[0]}`,
          );
        }
      }
    }
  }
  console.log(`finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const { dir, warning } = destination(options);
  mkdirSync(dir, { recursive: true });
  const markdown = renderMarkdown({
    environment,
    plan,
    results,
    targets: judgeTargets(results, plan),
    chart: 'benchmarks.svg',
    warning,
    baseline,
  });
  const report = join(dir, 'benchmarks.md');
  const config = await prettier.resolveConfig(report);
  writeFileSync(report, await prettier.format(markdown, { ...config, parser: 'markdown' }));
  writeFileSync(join(dir, 'benchmarks.svg'), renderChart(results, plan));
  console.log(`wrote ${report} and benchmarks.svg beside it`);
  if (options.profile) console.log(summarizeProfiles(profiles));
  return failures > 0 ? 1 : 0;
}

/**
 * The systems of one scenario in the order they run: the baseline's build next to ours, so that
 * the two see the same machine conditions, and first on every other run, so that neither build
 * always takes the first session of a scenario (which runs measurably slower).
 */
function sessionOrder(ids: SystemId[], baseline: Baseline | undefined, run: number): SystemSpec[] {
  return ids.flatMap((id) => {
    if (id !== 'ours' || !baseline) return [system(id)];
    return run % 2 === 1 ? [system(id), baseline.system] : [baseline.system, system(id)];
  });
}

/**
 * Only a full, unprofiled run of every scenario, against the published systems alone, may
 * replace the published report; a `--baseline` run compares with a local checkout.
 */
function destination(options: CliOptions): { dir: string; warning?: string } {
  if (options.quick)
    return {
      dir: paths.results,
      warning: 'Smoke run (--quick): tiny counts, one run. These numbers mean nothing.',
    };
  if (options.profile)
    return {
      dir: paths.results,
      warning: 'Profiled run: our servers ran under --cpu-prof, which slows them.',
    };
  if (options.only)
    return { dir: paths.results, warning: `Partial run (--only ${options.only.join(',')}).` };
  if (options.baseline) return { dir: paths.results };
  return { dir: paths.docs };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error)?.message ?? err);
    process.exit(2);
  },
);
