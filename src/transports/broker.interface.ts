/** What a broker needs from the node it connects to the cluster. */
export interface BrokerNode {
  /** Unique among the live nodes; a restarted process gets a new one. */
  readonly nodeId: string;
  /**
   * A message another node published to this one, or to all nodes. `body` is what the publisher
   * passed, unverified: the node checks it before use.
   */
  receive(from: string, body: unknown): void;
  /**
   * Messages published to this node may have been lost (its subscription was down and is back):
   * the node should catch up from what is stored.
   */
  missed(): void;
}

/**
 * How the nodes of a cluster reach each other. A broker only carries messages between nodes;
 * every routing decision (who gets a push, what a send reports) belongs to the services.
 *
 * Guarantees every implementation gives:
 * - A message published to a node is delivered to that node only, at most once, and the messages
 *   one node publishes to another arrive in the order they were published.
 * - When messages to a node may have been lost on the way, the node is told (`missed`) once it
 *   receives again.
 * - `publishAll` delivers to every other attached node at most once, never to the publisher.
 * - `publishTo` delivers only to the other nodes subscribed to the channel when it is published,
 *   each at most once, and one node's messages to a channel arrive in publish order.
 * - `receive` is called with the publisher's node id as `from`.
 * - After `detach`, the node receives nothing, and publishing to it resolves `false`.
 * - No publish waits for a node to act on the message: it resolves once the broker has taken it.
 */
export interface ChatBroker {
  /**
   * Whether other nodes may be attached. False lets a lone node skip every cluster round trip (a
   * single process).
   */
  readonly distributed: boolean;
  /** Whether the broker can carry messages right now (false during an outage). */
  readonly reachable: boolean;
  /** Connects `node`; from now on it receives the messages published to it and to all. */
  attach(node: BrokerNode): Promise<void>;
  /** Stops receiving. */
  detach(): Promise<void>;
  /** Sends `body` to one node; resolves `false` when no node with that id is listening. */
  publish(nodeId: string, body: unknown): Promise<boolean>;
  /** Sends `body` to every other node; resolves with how many nodes received it. */
  publishAll(body: unknown): Promise<number>;
  /**
   * From now on this node receives what is published to `channel` (a room's, say). Resolves
   * once the subscription is in effect: a later publish reaches it. Idempotent.
   */
  subscribe(channel: string): Promise<void>;
  /** Stops receiving `channel`. Idempotent. */
  unsubscribe(channel: string): Promise<void>;
  /**
   * Sends `body` to every other node subscribed to `channel`, and to no other node; resolves
   * with how many received it.
   */
  publishTo(channel: string, body: unknown): Promise<number>;
}
