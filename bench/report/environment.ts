import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { paths } from '../paths.js';

/** Where and with what a report was produced, so a reader can judge and reproduce it. */
export interface Environment {
  date: string;
  command: string;
  machine: { cores: number; cpu: string; memoryGiB: number; kernel: string; loadAverage: string };
  /** The module under test: its version and the commit it was built from. */
  module: string;
  versions: [name: string, version: string][];
}

const PACKAGES = [
  'ws',
  '@nestjs/core',
  '@nestjs/platform-ws',
  'socket.io',
  'socket.io-client',
  '@socket.io/redis-adapter',
  '@socket.io/redis-streams-adapter',
  'ioredis',
  'jose',
];

/** Reads the machine, the versions in node_modules and the git commit, at the start of a run. */
export function describeEnvironment(command: string): Environment {
  const [one, five] = os.loadavg();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    machine: {
      cores: os.availableParallelism(),
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      kernel: `${os.type()} ${os.release()}`,
      loadAverage: `${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min) at the start`,
    },
    module: describeModule(paths.root),
    versions: [
      ['Node.js', process.version],
      ...PACKAGES.map((name): [string, string] => [
        name,
        packageVersion(join(paths.root, 'node_modules', name)),
      ]),
      ['redis-server', redisVersion()],
    ],
  };
}

/**
 * The module in the checkout at `root`, e.g. "nest-chat-gateway 0.1.0 at commit 6e3352f": this
 * one, or the baseline's (`--baseline`).
 */
export function describeModule(root: string): string {
  const head = gitHead(root);
  const commit = head
    ? `commit ${head.commit}${head.dirty ? ' with uncommitted changes in src/' : ''}`
    : 'an unknown commit';
  return `nest-chat-gateway ${packageVersion(root)} at ${commit}`;
}

/** The short commit checked out at `root` and whether src/ differs from it; none outside git. */
export function gitHead(root: string): { commit: string; dirty: boolean } | undefined {
  const run = (...args: string[]): string =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }).trim();
  try {
    const dirty = run('status', '--porcelain', '--', 'src').length > 0;
    return { commit: run('rev-parse', '--short', 'HEAD'), dirty };
  } catch {
    return undefined;
  }
}

function packageVersion(dir: string): string {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

function redisVersion(): string {
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}
