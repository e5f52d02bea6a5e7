/** Event names the server sends. */
export const ServerEvent = {
  /** The first frame of every connection, once it is registered. */
  Welcome: 'welcome',
  /** A push from the application. */
  Message: 'message',
  /** The answer to a client heartbeat. */
  Heartbeat: 'heartbeat',
  /** The answer to a frame the server could not use. */
  Error: 'error',
  /** The user joined or left a room while connected. */
  Room: 'room',
  /** A room member came online or went offline (opt-in room presence). */
  Presence: 'presence',
  /** The answer to a client frame that carried an `id`. */
  Ack: 'ack',
} as const;

/** Event names a client sends that the gateway answers itself. */
export const ClientEvent = {
  /** A liveness probe; the server answers with a `heartbeat` frame. */
  Heartbeat: 'heartbeat',
  /** The client confirms a push that asked for it (it carried an `id`). */
  Ack: 'ack',
} as const;

/**
 * Event names the server uses for its own frames, which an application's push may not take:
 * a client could not tell them apart. (`presence` is not one: applications push presence too.)
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  ServerEvent.Welcome,
  ServerEvent.Heartbeat,
  ServerEvent.Error,
  ServerEvent.Room,
  ServerEvent.Ack,
]);

/** An application event name: 1 to 64 letters, digits, `_ . : -`. */
export const EVENT_NAME_PATTERN = /^[\w.:-]{1,64}$/;

/** Why `event` cannot name a push, or undefined when it can. */
export function eventNameProblem(event: unknown): string | undefined {
  if (typeof event !== 'string' || !EVENT_NAME_PATTERN.test(event)) {
    return 'an event name must be 1 to 64 letters, digits, "_", ".", ":" or "-"';
  }
  if (RESERVED_EVENTS.has(event)) return `"${event}" is reserved by the protocol`;
  return undefined;
}
