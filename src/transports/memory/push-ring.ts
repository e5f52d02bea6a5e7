/**
 * Fields per push in `slots`: where its bytes start (a position in the sequence of all bytes the
 * ring appended, see `base`), where its data ends and its suffix starts, and when it was stored.
 */
const START = 0;
const DATA_END = 1;
const AT = 2;
const FIELDS = 3;

/** Bounds of a new buffer's size, which follows the bytes the ring keeps. */
const MIN_BYTES = 256;
const MAX_BYTES = 64 * 1024;

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
 * pushes are appended to a buffer, and when it is full to a new one, about as large as what the
 * ring keeps; a buffer that holds no kept push any more is left to the garbage collector. Nothing
 * is copied: copying the kept pushes to each fresh buffer instead cost 0.14 µs per push (profile
 * of 320 000 pushes to 1 000 streams of 100).
 */
export class PushRing {
  /** The buffer new pushes go to. */
  private bytes: Buffer = EMPTY_BYTES;
  /** Position of `bytes[0]` in the sequence of all bytes this ring ever appended. */
  private base = 0;
  /** Position where the next push's bytes start. */
  private end = 0;
  /** Earlier buffers that may still hold kept pushes, oldest first, and their positions. */
  private readonly older: Buffer[] = [];
  private readonly olderBases: number[] = [];
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
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: the exact count needs a pass over the
    // string, so it is taken only when that bound does not fit.
    if (this.bytes.length - (this.end - this.base) < text.length * 3) {
      const need = Buffer.byteLength(text);
      if (this.bytes.length - (this.end - this.base) < need) this.startBuffer(need);
    }
    const written = this.bytes.write(text, this.end - this.base);
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
    const start = this.slots[slot + START];
    let bytes = this.bytes;
    let base = this.base;
    for (let i = this.older.length - 1; start < base; i--) {
      bytes = this.older[i];
      base = this.olderBases[i];
    }
    return bytes.toString('utf8', start - base, this.slots[slot + DATA_END] - base);
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
    const wrapped = Math.max(0, this.first + this.count - this.capacity);
    const from = this.first * FIELDS;
    slots.set(this.slots.subarray(from, from + (this.count - wrapped) * FIELDS));
    if (wrapped > 0) {
      slots.set(this.slots.subarray(0, wrapped * FIELDS), (this.count - wrapped) * FIELDS);
    }
    this.slots = slots;
    this.capacity = capacity;
    this.first = 0;
  }

  /**
   * Starts a new buffer for the pushes from now on, with room for `need` bytes at least, and lets
   * go the earlier buffers that hold no kept push.
   */
  private startBuffer(need: number): void {
    const oldest = this.count === 0 ? this.end : this.slots[this.first * FIELDS + START];
    this.older.push(this.bytes);
    this.olderBases.push(this.base);
    // A buffer holds no kept push once the next one starts at or before the oldest kept push.
    while (this.older.length > 0 && (this.olderBases[1] ?? this.end) <= oldest) {
      this.older.shift();
      this.olderBases.shift();
    }
    const kept = this.end - oldest;
    this.bytes = Buffer.allocUnsafeSlow(
      Math.max(need, MIN_BYTES, Math.min(MAX_BYTES, kept + need)),
    );
    this.base = this.end;
  }
}
