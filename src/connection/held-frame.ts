/** @internal Marks a push as a stream's: which stream, and where in it. */
export interface StreamStamp {
  readonly stream: string;
  readonly epoch: string;
  readonly offset: number;
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
