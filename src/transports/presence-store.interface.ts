/** One live connection, as the cluster's presence knows it. */
export interface PresenceEntry {
  /** The connection id; it starts with the id of the node that holds it (`<nodeId>.<n>`). */
  readonly id: string;
  readonly user: string;
  /** When it joined, in milliseconds; orders a user's connections for the per-user limit. */
  readonly since: number;
}

/** What a presence store needs from the node it keeps the presence of. */
export interface PresenceNode {
  /** Unique among the live nodes; a restarted process gets a new one. */
  readonly nodeId: string;
  /** This node's live connections of `user`, oldest first. */
  connectionsOf(user: string): readonly PresenceEntry[];
  /** Every user with a live connection on this node. */
  users(): Iterable<string>;
  /**
   * The store lost this node's presence (a restart, an outage longer than the node
   * time-to-live): the node should join its connections again.
   */
  rejoin(): void;
  /**
   * Connections of this node that a join elsewhere pushed out under the per-user limit. The node
   * that joined closes them through the broker too; this is the fallback when that notice is lost.
   */
  evicted(connectionIds: readonly string[]): void;
}

/** The result of {@link PresenceStore.join}. */
export interface JoinResult {
  /** The order key the store gave the connection; pass it back when re-joining. */
  since: number;
  /** Connections anywhere in the cluster that the per-user limit pushed out, oldest first. */
  evicted: string[];
}

/**
 * Who is connected where, cluster-wide. A presence store only records and answers; the services
 * decide what to do with its answers.
 *
 * Guarantees every implementation gives:
 * - `join` is atomic cluster-wide: concurrent joins of one user on different nodes end with at
 *   most `limit` entries, the newest ones, and each pushed-out entry is reported once, to the
 *   joiner as `evicted`.
 * - Entries of a node that stopped disappear from `locate` and `users`: at once after `detach`,
 *   within the node time-to-live after a crash.
 * - `leave` of an entry that is not there changes nothing.
 */
export interface PresenceStore {
  /** Whether the store can be used right now (false during an outage). */
  readonly reachable: boolean;
  /** Starts keeping `node`'s presence. */
  attach(node: PresenceNode): Promise<void>;
  /** Removes the node's presence. */
  detach(): Promise<void>;
  /**
   * Adds a connection and, atomically, removes the user's oldest connections beyond `limit`,
   * cluster-wide. A fresh join gets a new order key from the store's clock; a `rejoin` (after the
   * store lost its state) keeps `entry.since`.
   */
  join(entry: PresenceEntry, limit: number, rejoin?: boolean): Promise<JoinResult>;
  /** Removes a connection. */
  leave(entry: PresenceEntry): Promise<void>;
  /**
   * For each user, the node id of each of its live connections (a node once per connection).
   * Rejects with a `PartialLookupError`, carrying the answer for the others, when only some of
   * the users could be looked up (a sharded store with a shard down).
   */
  locate(users: readonly string[]): Promise<Map<string, string[]>>;
  /** Every user with a live connection anywhere. */
  users(): Promise<string[]>;
}
