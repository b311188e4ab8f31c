/**
 * The sparse time index of one segment (Kafka's `TimeIndex`, the `.timeindex` file): 12-byte entries
 * `(timestamp int64, relativeOffset int32)`. Whenever the segment adds an offset index entry it also offers the
 * largest timestamp seen so far with the offset of the batch that carried it; the entry is written only when that
 * timestamp exceeds the last indexed one, so timestamps strictly increase and offsets never decrease. A lookup
 * gives the largest entry with timestamp <= the target, or `(-1, baseOffset)` when there is none.
 *
 * One slot is reserved (`isFull` at `maxEntries - 1`) for the entry a segment writes when it becomes inactive
 * (`onBecomeInactiveSegment`), which is what time-based retention later reads.
 *
 * Left out: the file and its mmap (`toBuffer()` gives the file's bytes), the warm-section search.
 */
import { assert } from '../../runtime/assert.ts';

export const TIME_INDEX_ENTRY_SIZE = 12;
const INT32_MAX = 0x7fffffff;

/** Kafka's `TimestampOffset`. */
export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

export class TimeIndex {
  private timestamps = new BigInt64Array(16);
  private relativeOffsets = new Int32Array(16);
  private count = 0;
  private maxEntryCount: number;

  constructor(
    readonly baseOffset: bigint,
    private maxIndexSize: number,
  ) {
    this.maxEntryCount = Math.floor(maxIndexSize / TIME_INDEX_ENTRY_SIZE);
  }

  get entries(): number {
    return this.count;
  }

  get maxEntries(): number {
    return this.maxEntryCount;
  }

  get sizeInBytes(): number {
    return this.count * TIME_INDEX_ENTRY_SIZE;
  }

  /** Kafka keeps the last slot for the roll-time entry. */
  isFull(): boolean {
    return this.count >= this.maxEntryCount - 1;
  }

  /** `(-1, baseOffset)` when empty. */
  lastEntry(): TimestampOffset {
    return this.count === 0 ? { timestamp: -1n, offset: this.baseOffset } : this.entry(this.count - 1);
  }

  entry(n: number): TimestampOffset {
    assert(n >= 0 && n < this.count, `time index entry ${n} of ${this.count}`);
    return { timestamp: this.timestamps[n], offset: this.baseOffset + BigInt(this.relativeOffsets[n]) };
  }

  entryList(): TimestampOffset[] {
    const list: TimestampOffset[] = [];
    for (let n = 0; n < this.count; n++) list.push(this.entry(n));
    return list;
  }

  /** Adds `(timestamp, offset)` if the timestamp is larger than the last entry's. */
  maybeAppend(timestamp: bigint, offset: bigint, skipFullCheck = false): void {
    assert(skipFullCheck || !this.isFull(), `append to a full time index (${this.count} entries)`);
    const last = this.lastEntry();
    assert(this.count === 0 || offset >= last.offset, `time index offsets never decrease: ${offset} after ${last.offset}`);
    assert(this.count === 0 || timestamp >= last.timestamp, `time index timestamps never decrease: ${timestamp} after ${last.timestamp}`);
    if (timestamp <= last.timestamp) return;
    const relative = offset - this.baseOffset;
    assert(relative >= 0n && relative <= BigInt(INT32_MAX), `offset ${offset} fits the int32 relative form of base ${this.baseOffset}`);
    if (this.count === this.timestamps.length) this.grow();
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = Number(relative);
    this.count++;
  }

  /** The largest entry with timestamp <= target, or `(-1, baseOffset)`. */
  lookup(targetTimestamp: bigint): TimestampOffset {
    if (this.count === 0 || this.timestamps[0] > targetTimestamp) return { timestamp: -1n, offset: this.baseOffset };
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.timestamps[mid] <= targetTimestamp) low = mid;
      else high = mid - 1;
    }
    return this.entry(low);
  }

  /** Removes every entry with offset >= `offset` (searching by offset, Kafka's `IndexSearchType.VALUE`). */
  truncateTo(offset: bigint): void {
    let slot = -1;
    let low = 0;
    let high = this.count - 1;
    const relative = offset - this.baseOffset;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (BigInt(this.relativeOffsets[mid]) <= relative) {
        slot = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (slot < 0) this.count = 0;
    else if (BigInt(this.relativeOffsets[slot]) === relative) this.count = slot;
    else this.count = slot + 1;
  }

  reset(): void {
    this.count = 0;
    this.resize(this.maxIndexSize);
  }

  trimToValidSize(): void {
    this.maxEntryCount = this.count;
  }

  resize(maxIndexSize: number): void {
    this.maxIndexSize = maxIndexSize;
    this.maxEntryCount = Math.max(this.count, Math.floor(maxIndexSize / TIME_INDEX_ENTRY_SIZE));
  }

  /** The `.timeindex` file's bytes: big-endian `(timestamp, relativeOffset)` pairs. */
  toBuffer(): Buffer {
    const buf = Buffer.alloc(this.sizeInBytes);
    for (let n = 0; n < this.count; n++) {
      buf.writeBigInt64BE(this.timestamps[n], n * TIME_INDEX_ENTRY_SIZE);
      buf.writeInt32BE(this.relativeOffsets[n], n * TIME_INDEX_ENTRY_SIZE + 8);
    }
    return buf;
  }

  private grow(): void {
    const timestamps = new BigInt64Array(this.timestamps.length * 2);
    timestamps.set(this.timestamps);
    const relativeOffsets = new Int32Array(this.relativeOffsets.length * 2);
    relativeOffsets.set(this.relativeOffsets);
    this.timestamps = timestamps;
    this.relativeOffsets = relativeOffsets;
  }
}
