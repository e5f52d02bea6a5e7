/** Frames emitted while disconnected, waiting for the next connection; at most `limit` of them. */
export class Outbox {
  private frames: string[] = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.frames.length;
  }

  /** Adds a serialized frame; false when the outbox is full (the frame is not added). */
  push(frame: string): boolean {
    if (this.frames.length >= this.limit) return false;
    this.frames.push(frame);
    return true;
  }

  /** Removes and returns every frame, oldest first. */
  drain(): string[] {
    const frames = this.frames;
    this.frames = [];
    return frames;
  }
}
