/** @internal How a node is asked to close connections instead of pushing to them. */
export interface CloseAction {
  /** `kicked` (4003, an application's `disconnect`) or `replaced` (4000, the per-user limit). */
  reason: 'kicked' | 'replaced';
  /** The close reason text, when not the default one. */
  message?: string;
}

/** @internal A user joining or leaving a room, for the nodes that hold the user's connections. */
export interface MembershipAction {
  room: string;
  member: boolean;
  /** On a join, with history: where the room's stream stood when the user joined. */
  position?: { epoch: string; offset: number };
}

/** @internal Who a forwarded action is for, on the nodes that hold them. */
export type DeliveryTarget =
  | { users: readonly string[] }
  | { connectionIds: readonly string[] }
  | { all: true }
  /** The members of a room, on the nodes that hold any, but those in `except`. */
  | { room: string; except?: readonly string[] };

/**
 * @internal One action for a node to apply to its own connections: push a frame, or close them.
 * The receipt counts the connections it reached.
 */
export interface DeliverItem {
  /** Request id, echoed in the receipt. */
  id: number;
  /** The complete wire frame to push, serialized once by the sender. */
  frame?: string;
  /** For a stored push: `[stream, epoch, offset]`. */
  stamp?: [stream: string, epoch: string, offset: number];
  /** For a push that waits for acks: `[ack id, timeout ms]`; the acks go back to the sender. */
  ack?: [id: string, timeoutMs: number];
  /** Close the connections instead of pushing. */
  close?: CloseAction;
  /** Apply a room membership change to the users' connections instead of pushing. */
  membership?: MembershipAction;
  /** Deliver to every local connection of these users. */
  users?: string[];
  /** Deliver to these local connections. */
  connectionIds?: string[];
  /** Deliver to every local connection. */
  all?: true;
  /** Deliver to the local members of this room. */
  room?: string;
  /** With `room`: members who do not get it. */
  except?: string[];
}

/** @internal What a {@link DeliverItem} asks for, without its id and target. */
export type ItemAction = Pick<DeliverItem, 'frame' | 'stamp' | 'ack' | 'close' | 'membership'>;

/** @internal `[request id, delivered, dropped]` for one {@link DeliverItem}. */
export type DeliveryReceipt = [id: number, delivered: number, dropped: number];

/** @internal Messages between nodes, a union on `type`; the broker tells who sent each. */
export type ClusterMessage =
  | { type: 'deliver'; items: DeliverItem[] }
  | { type: 'delivered'; receipts: DeliveryReceipt[] }
  /** Delivery acks of the sender's pushes, counted by the node that delivered them. */
  | { type: 'acked'; counts: [id: string, acked: number][] };

/**
 * @internal Checks a message from another node field by field; undefined for anything malformed,
 * so that a bad or foreign publisher cannot make this node throw or deliver garbage.
 */
export function decodeClusterMessage(body: unknown): ClusterMessage | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { type } = body as { type?: unknown };
  if (type === 'deliver') {
    const { items } = body as { items?: unknown };
    return Array.isArray(items) && items.every(isDeliverItem) ? { type, items } : undefined;
  }
  if (type === 'delivered') {
    const { receipts } = body as { receipts?: unknown };
    return Array.isArray(receipts) && receipts.every(isReceipt) ? { type, receipts } : undefined;
  }
  if (type === 'acked') {
    const { counts } = body as { counts?: unknown };
    return Array.isArray(counts) && counts.every(isAckCount) ? { type, counts } : undefined;
  }
  return undefined;
}

function isDeliverItem(value: unknown): value is DeliverItem {
  if (value === null || typeof value !== 'object') return false;
  const item = value as Record<string, unknown>;
  return (
    typeof item.id === 'number' &&
    (item.frame === undefined || typeof item.frame === 'string') &&
    (item.stamp === undefined || isStamp(item.stamp)) &&
    (item.ack === undefined || isAck(item.ack)) &&
    (item.close === undefined || isCloseAction(item.close)) &&
    (item.membership === undefined || isMembership(item.membership)) &&
    (item.room === undefined || typeof item.room === 'string') &&
    (item.except === undefined || isStringArray(item.except)) &&
    (item.users === undefined || isStringArray(item.users)) &&
    (item.connectionIds === undefined || isStringArray(item.connectionIds)) &&
    (item.all === undefined || item.all === true)
  );
}

function isCloseAction(value: unknown): value is CloseAction {
  if (value === null || typeof value !== 'object') return false;
  const { reason, message } = value as Record<string, unknown>;
  return (
    (reason === 'kicked' || reason === 'replaced') &&
    (message === undefined || typeof message === 'string')
  );
}

function isStamp(value: unknown): value is DeliverItem['stamp'] {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string' &&
    Number.isSafeInteger(value[2])
  );
}

function isMembership(value: unknown): value is MembershipAction {
  if (value === null || typeof value !== 'object') return false;
  const { room, member, position } = value as Record<string, unknown>;
  if (typeof room !== 'string' || typeof member !== 'boolean') return false;
  if (position === undefined) return true;
  const { epoch, offset } = (position ?? {}) as Record<string, unknown>;
  return typeof epoch === 'string' && Number.isSafeInteger(offset);
}

function isAck(value: unknown): value is DeliverItem['ack'] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    Number.isSafeInteger(value[1])
  );
}

function isAckCount(value: unknown): value is [string, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    Number.isSafeInteger(value[1])
  );
}

function isReceipt(value: unknown): value is DeliveryReceipt {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((field) => typeof field === 'number' && Number.isFinite(field))
  );
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}
