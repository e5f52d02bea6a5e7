/**
 * @internal The kept pushes of one stream in this process, oldest first, each with when it was
 * stored: a ring over two parallel arrays, so that a full stream replaces its oldest push in
 * place. A busy process keeps `size` pushes for every user, and neither an object per push nor
 * an array shift per append should be the price.
 */
export class PushRing {
  private data: string[] = [];
  private at: number[] = [];
  /** Index of the oldest push in the arrays. */
  private start = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** When the oldest push was stored; undefined when the ring is empty. */
  get oldestAt(): number | undefined {
    return this.count === 0 ? undefined : this.at[this.start];
  }

  /** Adds a push; when the ring holds `size` already, the oldest goes. Returns how many went. */
  push(data: string, at: number, size: number): number {
    // A smaller size than before: keep the newest.
    const dropped = this.data.length > size ? this.layOut(size) : 0;
    if (this.count === size) {
      this.data[this.start] = data;
      this.at[this.start] = at;
      this.start = (this.start + 1) % size;
      return dropped + 1;
    }
    if (this.count === this.data.length) {
      // Full arrays below `size`: they grow at their end, which needs the oldest at index 0.
      if (this.start !== 0) this.layOut(size);
      this.data.push(data);
      this.at.push(at);
    } else {
      const i = (this.start + this.count) % this.data.length;
      this.data[i] = data;
      this.at[i] = at;
    }
    this.count++;
    return dropped;
  }

  /** Drops the oldest `n` pushes. */
  drop(n: number): void {
    for (let k = 0; k < n; k++) {
      // Released at once: an expired push should not stay in memory until it is overwritten.
      this.data[(this.start + k) % this.data.length] = '';
    }
    this.start = this.count === n ? 0 : (this.start + n) % this.data.length;
    this.count -= n;
  }

  /** How many of the oldest pushes were stored at or before `time`. */
  countStoredBy(time: number): number {
    let n = 0;
    while (n < this.count && this.at[(this.start + n) % this.at.length] <= time) n++;
    return n;
  }

  /** The push `index` places after the oldest. */
  get(index: number): string {
    return this.data[(this.start + index) % this.data.length];
  }

  /** Lays the newest `size` pushes out from index 0; returns how many older ones went. */
  private layOut(size: number): number {
    const data: string[] = [];
    const at: number[] = [];
    const dropped = Math.max(0, this.count - size);
    for (let k = dropped; k < this.count; k++) {
      const i = (this.start + k) % this.data.length;
      data.push(this.data[i]);
      at.push(this.at[i]);
    }
    this.data = data;
    this.at = at;
    this.start = 0;
    this.count = data.length;
    return dropped;
  }
}
