import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describeModule, gitHead } from '../report/environment.js';
import { system, type SystemSpec } from './systems.js';

/** Another checkout of this repository whose build runs beside ours (`--baseline <dir>`). */
export interface Baseline {
  /** Absolute path of the checkout. */
  dir: string;
  /** Its short commit (or the directory's name outside git), for column labels. */
  commit: string;
  /** E.g. "nest-chat-gateway 0.1.0 at commit 6e3352f", for the report's header. */
  module: string;
  /** The system 'base': our server entry as that checkout compiled it. */
  system: SystemSpec;
}

/** What the checkout must contain, relative to it, and the commands that produce it. */
const SERVER_ENTRY = 'dist-bench/servers/ours.js';
const MODULE_ENTRY = 'dist/index.js';
const PREPARE = 'npm ci && npm run build && npx tsc -p tsconfig.bench.json';

/**
 * Checks the checkout at `dirArgument` and describes its build as the system 'base'. Its server
 * is that checkout's own compiled `servers/ours.js`, so the package name it imports resolves
 * through that checkout's package.json to that checkout's dist/ (and its node_modules): exactly
 * what an application on the older version ran. It speaks the same wire protocol as ours, so
 * the load generator and URLs are ours. Throws, naming the option, before anything runs.
 */
export function loadBaseline(dirArgument: string): Baseline {
  // npm runs scripts in the package root; resolve a relative path from where the user typed it.
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), dirArgument);
  for (const entry of [SERVER_ENTRY, MODULE_ENTRY]) {
    if (!existsSync(join(dir, entry))) {
      throw new Error(
        `--baseline ${dirArgument}: ${join(dir, entry)} does not exist; the directory must be a checkout of this repository in which \`${PREPARE}\` has been run`,
      );
    }
  }
  const commit = gitHead(dir)?.commit ?? basename(dir);
  const ours = system('ours');
  return {
    dir,
    commit,
    module: describeModule(dir),
    system: {
      ...ours,
      id: 'base',
      label: `${ours.label} @ ${commit}`,
      short: 'base',
      script: join(dir, SERVER_ENTRY),
    },
  };
}
