/**
 * Thrown by {@link PresenceStore.locate} when only some users could be looked up: on a Redis
 * Cluster with a shard down, the users whose keys are in its slots. It carries the answer for
 * the others, so that a send to them still goes out.
 */
export class PartialLookupError extends Error {
  constructor(
    /** The users that were looked up, as `locate` answers them. */
    readonly located: Map<string, string[]>,
    /** The users that could not be looked up. */
    readonly unreachable: ReadonlySet<string>,
    cause: unknown,
  ) {
    super(`presence of ${unreachable.size} user(s) could not be read`, { cause });
    this.name = 'PartialLookupError';
  }
}
