/**
 * Fields per push in `slots`: where its bytes start (a position in the ring's byte sequence, see
 * `base`), where its data ends and its suffix starts, and when it was stored. A push's bytes end
 * where the next one's start, or at `end` for the newest.
 */
const START = 0;
const DATA_END = 1;
const AT = 2;
const FIELDS = 3;

/** Fewest bytes a ring's buffer is given, and how much room it gets beyond what it must hold. */
const MIN_BYTES = 256;
const GROWTH = 2;

const EMPTY_BYTES = Buffer.alloc(0);
const EMPTY_SLOTS = new Float64Array(0);

/**
 * @internal The kept pushes of one stream in this process, oldest first, each with when it was
 * stored. Each push is kept as the UTF-8 bytes of its data followed by an ASCII suffix, so that
 * the bytes are the push's whole frame and the sockets can be handed them as they are
 * ({@link newest}): a stored push is then encoded once, not once for the history and once for
 * the wire. The places and times are kept in one typed array: no JavaScript object per push. A
 * busy process keeps `size` pushes of every user, long enough for each to be promoted to the old
 * generation; as strings, every full collection had to mark them all (measured: 425 ms for
 * 2 million kept pushes, against 10 ms as bytes).
 *
 * Bytes once written are never written again, since a socket may still hold a view of them:
 * pushes are appended to the buffer, and when it is full the kept ones are copied to a new one
 * (one copy, as they lie in a row) and the old buffer is left to the garbage collector.
 */
export class PushRing {
  private bytes = EMPTY_BYTES;
  /** Position of `bytes[0]` in the sequence of all bytes this ring ever appended. */
  private base = 0;
  /** Position where the next push's bytes start: the end of the newest one. */
  private end = 0;
  /** `FIELDS` numbers per push, in a circle of `capacity` pushes. */
  private slots = EMPTY_SLOTS;
  private capacity = 0;
  /** Slot of the oldest push. */
  private first = 0;
  private count = 0;
  /**
   * No kept push was stored before this time: the oldest's time or earlier. Kept in the object,
   * whose fields are read by every push anyway, so that checking for expired pushes reads no
   * slot, and a slot of the oldest push is a cache miss in a busy process.
   */
  private notBefore = Infinity;

  get length(): number {
    return this.count;
  }

  /** When the oldest push was stored; undefined when the ring is empty. */
  get oldestAt(): number | undefined {
    return this.count === 0 ? undefined : this.slots[this.first * FIELDS + AT];
  }

  /**
   * Adds a push: the bytes of `data`, then those of `suffix`, which must be ASCII. When the ring
   * holds `size` already, the oldest go. Returns how many went.
   */
  push(data: string, suffix: string, at: number, size: number): number {
    const dropped = Math.max(0, this.count - size + 1);
    this.drop(dropped);
    if (this.count === this.capacity) {
      this.resizeSlots(Math.min(size, Math.max(4, this.capacity * 2)));
    } else if (this.capacity > size) {
      this.resizeSlots(size);
    }
    const text = suffix === '' ? data : data + suffix;
    let start = this.end - this.base;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: the exact count needs a pass over the
    // string, so it is taken only when that bound does not fit.
    if (this.bytes.length - start < text.length * 3) {
      const need = Buffer.byteLength(text);
      if (this.bytes.length - start < need) {
        this.compact(need);
        start = this.end - this.base;
      }
    }
    const written = this.bytes.write(text, start);
    const slot = this.slotOf(this.count);
    this.slots[slot + START] = this.end;
    this.slots[slot + DATA_END] = this.end + written - suffix.length;
    this.slots[slot + AT] = at;
    this.end += written;
    if (this.count++ === 0) this.notBefore = at;
    return dropped;
  }

  /**
   * The bytes of the newest push, data and suffix, as a view that stays valid as long as it is
   * held: they are never written again.
   */
  newest(): Buffer {
    const start = this.slots[this.slotOf(this.count - 1) + START] - this.base;
    return this.bytes.subarray(start, this.end - this.base);
  }

  /** The data of the push `index` places after the oldest, without its suffix. */
  get(index: number): string {
    const slot = this.slotOf(index);
    const start = this.slots[slot + START] - this.base;
    return this.bytes.toString('utf8', start, this.slots[slot + DATA_END] - this.base);
  }

  /** Drops the oldest pushes that were stored at or before `time`, and returns how many. */
  dropStoredBy(time: number): number {
    if (time < this.notBefore) return 0;
    let n = 0;
    while (n < this.count && this.slots[this.slotOf(n) + AT] <= time) n++;
    this.drop(n);
    this.notBefore = this.oldestAt ?? Infinity;
    return n;
  }

  /** Drops the oldest `n` pushes. */
  drop(n: number): void {
    if (n === 0) return;
    this.count -= n;
    this.first = this.count === 0 ? 0 : (this.first + n) % this.capacity;
  }

  private slotOf(index: number): number {
    return ((this.first + index) % this.capacity) * FIELDS;
  }

  /** Lays the slots out anew, oldest first from 0, in room for `capacity` pushes. */
  private resizeSlots(capacity: number): void {
    const slots = new Float64Array(capacity * FIELDS);
    for (let i = 0; i < this.count; i++) {
      const from = this.slotOf(i);
      slots.set(this.slots.subarray(from, from + FIELDS), i * FIELDS);
    }
    this.slots = slots;
    this.capacity = capacity;
    this.first = 0;
  }

  /** Moves the kept pushes' bytes to a new buffer with room for `need` more after them. */
  private compact(need: number): void {
    const from = this.count === 0 ? this.end : this.slots[this.first * FIELDS + START];
    const kept = this.end - from;
    const bytes = Buffer.allocUnsafeSlow(Math.max(MIN_BYTES, Math.ceil((kept + need) * GROWTH)));
    this.bytes.copy(bytes, 0, from - this.base, this.end - this.base);
    this.bytes = bytes;
    this.base = from;
  }
}
