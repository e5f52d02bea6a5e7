/** What `MessagingService.send` and friends report. */
export interface SendResult {
  /** Connections the message was handed to, on every node. 0 with `dropped` 0: nobody online. */
  delivered: number;
  /** Connections that were online but skipped because of backpressure. */
  dropped: number;
  /**
   * Set when part of the cluster could not be asked, so the counts cover only the nodes that
   * answered: `'backplane_unavailable'` when Redis is unreachable (only this process's
   * connections were served), `'node_unreachable'` when a node holding recipients did not answer
   * within `clusterTimeoutMs`.
   */
  incomplete?: 'backplane_unavailable' | 'node_unreachable';
}

/** What `MessagingService.disconnect` reports. */
export interface DisconnectResult {
  /** Connections closed, on every node. */
  disconnected: number;
  /** As in {@link SendResult}: set when part of the cluster could not be asked. */
  incomplete?: SendResult['incomplete'];
}
