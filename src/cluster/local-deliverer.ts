import type { StreamStamp } from '../connection/held-frame.js';
import type { DeliveryCount } from '../connection/outbound.service.js';
import type { CloseAction, DeliveryTarget, MembershipAction } from './cluster-message.js';

/**
 * @internal What to do to a target's connections: push a frame (a stored push carries its stream
 * stamp, so that each connection takes it through its cursor), close them, or apply a room
 * membership change to them.
 */
export type DeliveryAction =
  | { frame: Buffer; stamp?: StreamStamp; ack?: AckRequest }
  | { close: CloseAction }
  | { membership: MembershipAction };

/**
 * @internal Applies an action to this node's connections. The delivery layer provides it (under
 * {@link LOCAL_DELIVERY}), so that the router applies other nodes' requests exactly as local sends
 * are applied.
 */
export interface LocalDeliverer {
  deliver(target: DeliveryTarget, action: DeliveryAction): DeliveryCount;
  /**
   * Messages to this node may have been lost: bring every connection's stream up to date from
   * what is stored.
   */
  catchUp(): void;
  /** Delivery acks of this node's pushes that another node counted. */
  acknowledged(counts: readonly [id: string, acked: number][]): void;
}

/** @internal A push that waits for delivery acks. */
export interface AckRequest {
  id: string;
  timeoutMs: number;
  /** Where the acks go: the sending node, when it is another one. */
  origin?: string;
}

/** @internal Injection token of the {@link LocalDeliverer}. */
export const LOCAL_DELIVERY = Symbol('nest-chat-gateway:local-delivery');
