import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';

/**
 * @internal The open-file limit below which a node without `limits.maxConnections` is warned
 * about: every connection is a file descriptor, and Linux's usual soft default (1 024) refuses
 * the 1 025th socket with EMFILE, which `ws` cannot answer with any status.
 */
export const OPEN_FILE_THRESHOLD = 10_000;

/**
 * @internal Descriptors a process needs besides its WebSocket connections: Redis connections, log
 * files, the listening socket, handshakes in progress, Node's own.
 */
export const OPEN_FILE_HEADROOM = 1_000;

/** @internal The soft and hard open-file limits of a process; `Infinity` for "unlimited". */
export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/**
 * @internal Reads the "Max open files" line of a Linux `/proc/<pid>/limits` text; undefined when
 * the line is not there or cannot be read.
 */
export function parseOpenFileLimit(limits: string): OpenFileLimit | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!match) return undefined;
  const soft = limitValue(match[1]);
  const hard = limitValue(match[2]);
  if (soft === undefined || hard === undefined) return undefined;
  return { soft, hard };
}

function limitValue(raw: string): number | undefined {
  if (raw === 'unlimited') return Infinity;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/**
 * @internal The warning for a soft limit too low for `maxConnections` (`Infinity`: unset), or
 * undefined when the limit is enough.
 */
export function openFileLimitWarning(
  limit: OpenFileLimit,
  maxConnections: number,
): string | undefined {
  const bounded = Number.isFinite(maxConnections);
  const needed = bounded ? maxConnections + OPEN_FILE_HEADROOM : OPEN_FILE_THRESHOLD;
  if (limit.soft >= needed) return undefined;
  const why = bounded
    ? `limits.maxConnections (${maxConnections}) plus ${OPEN_FILE_HEADROOM} for everything else`
    : `${OPEN_FILE_THRESHOLD} (limits.maxConnections is unset)`;
  return (
    `the open-file limit (${limit.soft}) is below ${why}: connections past it fail with EMFILE ` +
    `and get no HTTP answer. Raise it (ulimit -n, systemd LimitNOFILE=, docker --ulimit nofile=; ` +
    `see the README, "Open files") or set limits.maxConnections below it`
  );
}

/**
 * Logs the process's open-file limit at startup and warns when it cannot hold the connections
 * the node is meant to take. Linux only (it reads `/proc/self/limits`); elsewhere it says nothing.
 */
@Injectable()
export class OpenFileLimitCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('ChatModule');

  /** @internal */
  constructor(@Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions) {}

  onApplicationBootstrap(): void {
    const limit = readOwnOpenFileLimit();
    if (!limit) return;
    this.logger.log(`open-file limit: ${limit.soft} (hard ${limit.hard})`);
    const warning = openFileLimitWarning(limit, this.options.limits.maxConnections);
    if (warning) this.logger.warn(warning);
  }
}

function readOwnOpenFileLimit(): OpenFileLimit | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    // A sandbox without /proc: nothing to report, and nothing worth failing the start for.
    return undefined;
  }
}
