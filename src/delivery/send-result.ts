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
  /** `send`: the push's offset in the user's stream, when it was stored (history on). */
  offset?: number;
  /** `send`: the epoch of the user's stream, with `offset`. */
  epoch?: string;
  /** `sendMany`: each user's offset, when the push was stored. */
  offsets?: Record<string, number>;
  /**
   * With `ackTimeoutMs`: connections that confirmed the push within the timeout, across the
   * cluster ("delivered to the device").
   */
  acked?: number;
}

/** Options of a push: `volatile` applies to sends that store, `event` to every send. */
export interface PushOptions {
  /**
   * The event name of the push, instead of `message`: `{"event":"presence","data":…}`. Names
   * are 1–64 letters, digits, `_ . : -`; the protocol's own (`welcome`, `heartbeat`, `error`,
   * `ack`, `room`) are refused with a `TypeError`.
   * @default 'message'
   */
  event?: string;
  /**
   * Ask each connection to confirm the push: it carries an `"id"`, the client answers
   * `{"event":"ack","id":…}` (`ChatClient` does by itself), and the result counts the connections
   * that did (`acked`) within this many milliseconds (1 to 60000). The send resolves once every
   * connection it reached confirmed, or when the time is up; a client that never confirms is not
   * disconnected for it.
   */
  ackTimeoutMs?: number;
}

/** Options of `send` and `sendMany`. */
export interface SendOptions extends PushOptions {
  /**
   * Do not store the push (typing indicators, cursors, anything stale a second later): it is
   * delivered at most once, to the connections live now, and gets no offset.
   * @default false
   */
  volatile?: boolean;
}

/** What `MessagingService.disconnect` reports. */
export interface DisconnectResult {
  /** Connections closed, on every node. */
  disconnected: number;
  /** As in {@link SendResult}: set when part of the cluster could not be asked. */
  incomplete?: SendResult['incomplete'];
}
