/**
 * @internal One action for a node to apply to its own connections: push a frame, or close them
 * (a session ended by the application). The receipt counts the connections it reached.
 */
export interface DeliverItem {
  /** Request id, echoed in the receipt. */
  id: number;
  /** The complete wire frame to push, serialized once by the sender. */
  frame?: string;
  /** Close the connections with 4003 and this reason text, instead of pushing. */
  close?: string;
  /** Deliver to every local connection of these users. */
  users?: string[];
  /** Deliver to these local connections. */
  connectionIds?: string[];
  /** Deliver to every local connection. */
  all?: true;
}

/** @internal `[request id, delivered, dropped]` for one {@link DeliverItem}. */
export type DeliveryReceipt = [id: number, delivered: number, dropped: number];

/**
 * @internal Messages between nodes: a union on `type`, each stamped with the sending node so a
 * node can answer it (and ignore its own broadcasts).
 */
export type ClusterMessage =
  | { type: 'deliver'; from: string; items: DeliverItem[] }
  | { type: 'delivered'; from: string; receipts: DeliveryReceipt[] }
  | { type: 'evict'; from: string; connectionIds: string[] };

/** @internal The node id part of a connection id `<nodeId>.<n>`. */
export function nodeOf(connectionId: string): string {
  return connectionId.slice(0, connectionId.lastIndexOf('.'));
}

/** @internal Parses a message from the wire; undefined for anything malformed. */
export function decodeClusterMessage(raw: string): ClusterMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (message === null || typeof message !== 'object') return undefined;
  const { type, from } = message as { type?: unknown; from?: unknown };
  if (typeof from !== 'string') return undefined;
  const fields = message as Record<string, unknown>;
  switch (type) {
    case 'deliver':
      return Array.isArray(fields.items) ? (message as ClusterMessage) : undefined;
    case 'delivered':
      return Array.isArray(fields.receipts) ? (message as ClusterMessage) : undefined;
    case 'evict':
      return Array.isArray(fields.connectionIds) ? (message as ClusterMessage) : undefined;
    default:
      return undefined;
  }
}
