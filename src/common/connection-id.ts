/**
 * @internal A connection id, `<nodeId>.<n>`: unique cluster-wide, and it names the node that holds
 * the connection, so routing to a connection needs no lookup.
 */
export function connectionId(nodeId: string, sequence: number): string {
  return `${nodeId}.${sequence.toString(36)}`;
}

/** @internal The node id part of a connection id. */
export function nodeOf(connectionId: string): string {
  return connectionId.slice(0, connectionId.lastIndexOf('.'));
}
