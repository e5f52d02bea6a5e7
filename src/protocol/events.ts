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
} as const;

/** Event names a client sends that the gateway answers itself. */
export const ClientEvent = {
  /** A liveness probe; the server answers with a `heartbeat` frame. */
  Heartbeat: 'heartbeat',
} as const;
