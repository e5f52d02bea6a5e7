/** @internal Marks a push as a stream's: which stream, and where in it. */
export interface StreamStamp {
  readonly stream: string;
  readonly epoch: string;
  readonly offset: number;
  /** The room, for a room's stream; absent for the user's own stream. */
  readonly room?: string;
}

/** @internal Where a connection stands in a stream: the last offset it was given. */
export interface StreamCursor {
  readonly epoch: string;
  offset: number;
}

/** @internal A frame kept for a connection until it goes live, with its stamp if it has one. */
export interface HeldFrame {
  readonly frame: Buffer;
  readonly stamp?: StreamStamp;
}
