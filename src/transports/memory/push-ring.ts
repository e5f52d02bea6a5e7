/** Fields per push in `slots`: where its bytes start and end, and when it was stored. */
const START = 0;
const END = 1;
const AT = 2;
const FIELDS = 3;

/** Fewest bytes a ring's buffer is given, and how much it grows beyond what it must hold. */
const MIN_BYTES = 256;
const GROWTH = 1.5;

const EMPTY_BYTES = Buffer.alloc(0);
const EMPTY_SLOTS = new Float64Array(0);

/**
 * @internal The kept pushes of one stream in this process, oldest first, each with when it was
 * stored. The pushes are kept as UTF-8 bytes in one buffer per stream, used as a circle, and
 * their places and times in one typed array: no JavaScript object per push. A busy process keeps
 * `size` pushes of every user, long enough for each to be promoted to the old generation; as
 * strings, every full collection had to mark them all (measured: 425 ms for 2 million kept
 * pushes, against 10 ms as bytes).
 */
export class PushRing {
  private bytes = EMPTY_BYTES;
  /** `FIELDS` numbers per push, in a circle of `capacity` pushes. */
  private slots = EMPTY_SLOTS;
  private capacity = 0;
  /** Slot of the oldest push. */
  private first = 0;
  private count = 0;
  /** Where the bytes of the next push may start: the end of the newest one. */
  private end = 0;

  get length(): number {
    return this.count;
  }

  /** When the oldest push was stored; undefined when the ring is empty. */
  get oldestAt(): number | undefined {
    return this.count === 0 ? undefined : this.slots[this.first * FIELDS + AT];
  }

  /** Adds a push; when the ring holds `size` already, the oldest go. Returns how many went. */
  push(data: string, at: number, size: number): number {
    const dropped = Math.max(0, this.count - size + 1);
    this.drop(dropped);
    if (this.count === this.capacity) {
      const capacity = Math.min(size, Math.max(4, this.capacity * 2));
      // The bytes grow with the slots, for that many pushes of the average size so far: one
      // copy per doubling. Grown apart, each when it ran out, a ring filling up to 100 pushes of
      // 130 bytes was copied 16 times instead of 6, each time into a new buffer.
      const average = this.count === 0 ? data.length : this.used() / this.count;
      const bytes = Math.max(this.bytes.length, MIN_BYTES, Math.ceil(average * capacity * GROWTH));
      this.resize(capacity, bytes);
    } else if (this.capacity > size) {
      this.resize(size, this.bytes.length);
    }
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: the exact count needs a pass over the
    // string, so it is taken only when that bound does not fit.
    let start = this.freeRun(data.length * 3);
    if (start < 0) {
      const need = Buffer.byteLength(data);
      start = this.freeRun(need);
      if (start < 0) {
        this.resize(this.capacity, Math.max(MIN_BYTES, Math.ceil((this.used() + need) * GROWTH)));
        start = this.end;
      }
    }
    const written = this.bytes.write(data, start);
    const slot = this.slotOf(this.count);
    this.slots[slot + START] = start;
    this.slots[slot + END] = start + written;
    this.slots[slot + AT] = at;
    this.end = start + written;
    this.count++;
    return dropped;
  }

  /** How many of the oldest pushes were stored at or before `time`. */
  countStoredBy(time: number): number {
    let n = 0;
    while (n < this.count && this.slots[this.slotOf(n) + AT] <= time) n++;
    return n;
  }

  /** The push `index` places after the oldest. */
  get(index: number): string {
    const slot = this.slotOf(index);
    return this.bytes.toString('utf8', this.slots[slot + START], this.slots[slot + END]);
  }

  /** Drops the oldest `n` pushes. */
  drop(n: number): void {
    if (n === 0) return;
    this.count -= n;
    this.first = this.count === 0 ? 0 : (this.first + n) % this.capacity;
    if (this.count === 0) this.end = 0;
  }

  private slotOf(index: number): number {
    return ((this.first + index) % this.capacity) * FIELDS;
  }

  /** Bytes the kept pushes take. */
  private used(): number {
    let used = 0;
    for (let i = 0; i < this.count; i++) {
      const slot = this.slotOf(i);
      used += this.slots[slot + END] - this.slots[slot + START];
    }
    return used;
  }

  /**
   * Where `need` free bytes in a row start: after the newest push, or at the buffer's start when
   * only the space before the oldest push is large enough; -1 when there is no such run.
   */
  private freeRun(need: number): number {
    if (this.count === 0) return this.bytes.length >= need ? 0 : -1;
    const oldest = this.slots[this.first * FIELDS + START];
    if (this.end <= oldest) return oldest - this.end >= need ? this.end : -1;
    if (this.bytes.length - this.end >= need) return this.end;
    return oldest >= need ? 0 : -1;
  }

  /** Lays the kept pushes out anew, oldest first from 0, in room for `capacity` pushes. */
  private resize(capacity: number, byteLength: number): void {
    const bytes = Buffer.allocUnsafeSlow(byteLength);
    const slots = new Float64Array(capacity * FIELDS);
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      const from = this.slotOf(i);
      const start = this.slots[from + START];
      const end = this.slots[from + END];
      this.bytes.copy(bytes, at, start, end);
      slots[i * FIELDS + START] = at;
      slots[i * FIELDS + END] = at + end - start;
      slots[i * FIELDS + AT] = this.slots[from + AT];
      at += end - start;
    }
    this.bytes = bytes;
    this.slots = slots;
    this.capacity = capacity;
    this.first = 0;
    this.end = at;
  }
}
