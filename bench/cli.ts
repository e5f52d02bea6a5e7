/** The scenarios `--only` can pick, in the order a run performs them. */
export const SCENARIO_NAMES = [
  'storm',
  'coalescing',
  'history',
  'idle',
  'jwt',
  'heartbeat',
  'recovery-storm',
  'cluster',
  'cluster-history',
  'rooms',
  'inbound',
  'cluster-sharded',
  'scale',
  'reconnect-storm',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface CliOptions {
  quick: boolean;
  profile: boolean;
  runs?: number;
  only?: ScenarioName[];
  /** Another checkout whose build also runs, as system 'base' (see scenarios/baseline.ts). */
  baseline?: string;
}

export const USAGE = `Usage: npm run bench [-- options]
  --quick          smoke mode: small counts, one run (well under a minute); numbers mean nothing
  --profile        run our servers under --cpu-prof into bench/results/profiles/ and summarize
  --runs N         interleaved runs (default 3; 1 with --quick)
  --only a,b       scenarios to run: ${SCENARIO_NAMES.join(', ')}
  --baseline DIR   also run the build of another checkout DIR (one where \`npm ci && npm run
                   build && npx tsc -p tsconfig.bench.json\` has been run) right after ours in
                   every scenario, and compare: ours ÷ base, flagging anything > 10 % worse
Only a full run (no --quick, --profile, --only or --baseline) writes docs/benchmarks.md; others
write bench/results/.`;

/** Parses the harness's arguments; throws with the usage on anything it does not know. */
export function parseCli(args: string[]): CliOptions {
  const options: CliOptions = { quick: false, profile: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--runs') {
      const runs = Number(args[++i]);
      if (!Number.isInteger(runs) || runs < 1)
        throw new Error(`--runs needs a positive integer\n${USAGE}`);
      options.runs = runs;
    } else if (arg === '--only') {
      const names = (args[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length)
        throw new Error(`--only: unknown scenario(s) ${unknown.join(', ')}\n${USAGE}`);
      options.only = names as ScenarioName[];
    } else if (arg === '--baseline') {
      const dir = args[++i];
      if (!dir || dir.startsWith('--'))
        throw new Error(`--baseline needs the directory of another checkout\n${USAGE}`);
      options.baseline = dir;
    } else if (arg === '--help' || arg === '-h') {
      throw new Error(USAGE);
    } else {
      throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return options;
}
