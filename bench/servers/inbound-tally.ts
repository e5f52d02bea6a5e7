import { nowNs } from '../clock.js';

/**
 * The client frames a server's handlers have run for, and when the last one ran: the inbound
 * scenario reads both through `GET /stats`. One per server process; every system's handler
 * calls {@link InboundTally.record} once per frame it handled, so its cost is the same in each.
 */
class InboundTally {
  handled = 0;
  lastNs = 0;

  record(): void {
    this.handled++;
    this.lastNs = nowNs();
  }
}

export const inboundTally = new InboundTally();

/** The client events of the inbound scenario; every server handles the same three. */
export const InboundEvent = {
  /** No guard, pipe or answer. */
  Plain: 'chat',
  /** Its `data` goes through a `ValidationPipe` into {@link BenchChatDto}. */
  Validated: 'chat.valid',
  /** Answered: ours acks the frame's `id`, Nest's gateway returns a value, raw ws writes one. */
  Request: 'chat.reply',
} as const;

/** What the request handlers answer. */
export const REQUEST_ANSWER = { ok: true } as const;
