import type { Logger } from '@nestjs/common';

/** @internal Lines of one kind logged at most once per window. */
const WINDOW_MS = 10_000;

/**
 * @internal Logs events that any client can provoke at will (refused handshakes, connections
 * closed for cause) without letting a flood of them flood the log: each kind is written at most
 * once per ten seconds, with the number of similar events it stands for.
 */
export class ThrottledLog {
  private readonly kinds = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(private readonly logger: Logger) {}

  /** Logs `message` at debug level unless a line of the same `kind` was logged lately. */
  debug(kind: string, message: string, now = Date.now()): void {
    const seen = this.kinds.get(kind);
    if (seen && now - seen.loggedAt < WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    const more = seen?.suppressed
      ? ` (and ${seen.suppressed} similar in the last ${Math.round((now - seen.loggedAt) / 1000)} s)`
      : '';
    this.kinds.set(kind, { loggedAt: now, suppressed: 0 });
    this.logger.debug(message + more);
  }
}
