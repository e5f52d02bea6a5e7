import type { ClusterMessage } from '../cluster/cluster-message.js';

/** One live connection, as the cluster's presence knows it. */
export interface PresenceEntry {
  /** The connection id; it starts with the id of the node that holds it (`<nodeId>.<n>`). */
  readonly id: string;
  readonly user: string;
  /** When it joined, in milliseconds; orders a user's connections for the per-user limit. */
  readonly since: number;
}

/** What a transport needs from the node it connects to the cluster. */
export interface TransportNode {
  /** Unique among the live nodes; a restarted process gets a new one. */
  readonly nodeId: string;
  /** This node's live connections of `user`, oldest first. */
  connectionsOf(user: string): readonly PresenceEntry[];
  /** This node's live connections. */
  connections(): Iterable<PresenceEntry>;
  /** Every user with a live connection on this node. */
  users(): Iterable<string>;
  /** Handles a message another node sent to this one (or to all nodes). */
  receive(message: ClusterMessage): void;
  /**
   * The backplane came back after losing this node's presence (a restart, an outage longer than
   * the node time-to-live): the node should join its connections again.
   */
  rejoin(): void;
}

/** The result of {@link ChatTransport.join}. */
export interface JoinResult {
  /** The order key the cluster gave the connection; pass it back when re-joining. */
  since: number;
  /** Connections anywhere in the cluster that the per-user limit pushed out, oldest first. */
  evicted: string[];
}

/**
 * How the nodes of a cluster share presence and reach each other. Routing decisions (who gets a
 * message, what a send reports) belong to the services; a transport only stores presence and
 * carries messages.
 *
 * Guarantees every implementation gives:
 * - `join` is atomic cluster-wide: concurrent joins of one user on different nodes end with at
 *   most `limit` entries, the newest ones.
 * - Entries of a node that stopped (cleanly or not) disappear from `locate`, `users` and
 *   `count`: at once after `detach`, within the node time-to-live after a crash.
 * - A message published to a node is delivered to that node only, in publish order.
 */
export interface ChatTransport {
  /**
   * Whether other nodes may hold connections. False lets a node skip every cluster round trip
   * (a single process).
   */
  readonly distributed: boolean;
  /** Whether the backplane can be used right now (false during an outage). */
  readonly reachable: boolean;
  /** Connects `node` to the cluster; from now on it receives its messages. */
  attach(node: TransportNode): Promise<void>;
  /** Removes the node's presence and stops receiving. */
  detach(): Promise<void>;
  /**
   * Adds a connection to the presence and, atomically, removes the user's oldest connections
   * beyond `limit`, cluster-wide. A fresh join gets a new order key from the transport's clock;
   * a `rejoin` (after the backplane lost its state) keeps `entry.since`.
   */
  join(entry: PresenceEntry, limit: number, rejoin?: boolean): Promise<JoinResult>;
  /** Removes a connection from the presence; removing one that is not there is a no-op. */
  leave(entry: PresenceEntry): Promise<void>;
  /** For each user, the node id of each of its live connections (a node once per connection). */
  locate(users: readonly string[]): Promise<Map<string, string[]>>;
  /** Every user with a live connection anywhere. */
  users(): Promise<string[]>;
  /** The ids of the live nodes, this one included. */
  nodes(): Promise<string[]>;
  /** Sends `message` to one node; resolves false when no such node is listening. */
  publish(nodeId: string, message: ClusterMessage): Promise<boolean>;
  /** Sends `message` to every node but this one; resolves with how many nodes received it. */
  publishAll(message: ClusterMessage): Promise<number>;
}
