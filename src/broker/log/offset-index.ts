/**
 * The sparse offset index of one segment (Kafka's `OffsetIndex` over `AbstractIndex`, the `.index` file): 8-byte
 * entries `(relativeOffset int32, position int32)` in increasing offset order. The segment adds one when more than
 * `index.interval.bytes` were appended since the previous entry; the entry maps the last offset of the batch being
 * appended to the byte position where that batch starts. A lookup finds the largest entry <= the target (binary
 * search) and the segment scans its batches forward from that position.
 *
 * `maxEntries` comes from `segment.index.bytes` (default 10 MiB): a full index rolls the segment. Rolling trims
 * it to its entries (`trimToValidSize`), truncating the active segment restores the maximum (`resize`), as Kafka
 * does with the preallocated, memory-mapped file.
 *
 * Left out: the file itself and its mmap (entries live in typed arrays; `toBuffer()` gives the bytes Kafka's
 * `.index` file would hold), the warm-section binary search (a page-cache optimisation), `fetchUpperBoundOffset`.
 */
import { assert } from '../../runtime/assert.ts';

export const OFFSET_INDEX_ENTRY_SIZE = 8;
const INT32_MAX = 0x7fffffff;

/** Kafka's `OffsetPosition`. */
export interface OffsetPosition {
  offset: bigint;
  position: number;
}

export class OffsetIndex {
  private relativeOffsets = new Int32Array(16);
  private positions = new Int32Array(16);
  private count = 0;
  private maxEntryCount: number;

  constructor(
    readonly baseOffset: bigint,
    private maxIndexSize: number,
  ) {
    this.maxEntryCount = Math.floor(maxIndexSize / OFFSET_INDEX_ENTRY_SIZE);
  }

  get entries(): number {
    return this.count;
  }

  get maxEntries(): number {
    return this.maxEntryCount;
  }

  get sizeInBytes(): number {
    return this.count * OFFSET_INDEX_ENTRY_SIZE;
  }

  isFull(): boolean {
    return this.count >= this.maxEntryCount;
  }

  /** The last indexed offset, or the base offset when empty (Kafka's `lastOffset`). */
  get lastOffset(): bigint {
    return this.count === 0 ? this.baseOffset : this.baseOffset + BigInt(this.relativeOffsets[this.count - 1]);
  }

  /** `AbstractIndex.canAppendOffset`: the offset fits the int32 relative form. */
  canAppendOffset(offset: bigint): boolean {
    const relative = offset - this.baseOffset;
    return relative >= 0n && relative <= BigInt(INT32_MAX);
  }

  append(offset: bigint, position: number): void {
    assert(!this.isFull(), `append to a full offset index (${this.count} entries)`);
    assert(this.canAppendOffset(offset), `offset ${offset} fits the int32 relative form of base ${this.baseOffset}`);
    assert(this.count === 0 || offset > this.lastOffset, `offset index entries increase: ${offset} after ${this.lastOffset}`);
    assert(this.count === 0 || position > this.positions[this.count - 1], `offset index positions increase: ${position} after ${this.positions[this.count - 1]}`);
    if (this.count === this.relativeOffsets.length) this.grow();
    this.relativeOffsets[this.count] = Number(offset - this.baseOffset);
    this.positions[this.count] = position;
    this.count++;
  }

  /** The largest entry with offset <= target, or `(baseOffset, 0)` when there is none. */
  lookup(targetOffset: bigint): OffsetPosition {
    const slot = this.largestLowerBoundSlot(targetOffset);
    return slot === -1 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  entry(n: number): OffsetPosition {
    assert(n >= 0 && n < this.count, `offset index entry ${n} of ${this.count}`);
    return { offset: this.baseOffset + BigInt(this.relativeOffsets[n]), position: this.positions[n] };
  }

  entryList(): OffsetPosition[] {
    const list: OffsetPosition[] = [];
    for (let n = 0; n < this.count; n++) list.push(this.entry(n));
    return list;
  }

  /** Removes every entry with offset >= `offset`. */
  truncateTo(offset: bigint): void {
    const slot = this.largestLowerBoundSlot(offset);
    if (slot < 0) this.count = 0;
    else if (this.baseOffset + BigInt(this.relativeOffsets[slot]) === offset) this.count = slot;
    else this.count = slot + 1;
  }

  reset(): void {
    this.count = 0;
    this.resize(this.maxIndexSize);
  }

  /** On roll: the index of an inactive segment holds exactly its entries. */
  trimToValidSize(): void {
    this.maxEntryCount = this.count;
  }

  resize(maxIndexSize: number): void {
    this.maxIndexSize = maxIndexSize;
    this.maxEntryCount = Math.max(this.count, Math.floor(maxIndexSize / OFFSET_INDEX_ENTRY_SIZE));
  }

  /** The `.index` file's bytes: big-endian `(relativeOffset, position)` pairs. */
  toBuffer(): Buffer {
    const buf = Buffer.alloc(this.sizeInBytes);
    for (let n = 0; n < this.count; n++) {
      buf.writeInt32BE(this.relativeOffsets[n], n * OFFSET_INDEX_ENTRY_SIZE);
      buf.writeInt32BE(this.positions[n], n * OFFSET_INDEX_ENTRY_SIZE + 4);
    }
    return buf;
  }

  private largestLowerBoundSlot(target: bigint): number {
    if (this.count === 0) return -1;
    const relative = target - this.baseOffset;
    if (relative < BigInt(this.relativeOffsets[0])) return -1;
    if (relative > BigInt(INT32_MAX)) return this.count - 1;
    const key = Number(relative);
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.relativeOffsets[mid] <= key) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private grow(): void {
    const relativeOffsets = new Int32Array(this.relativeOffsets.length * 2);
    relativeOffsets.set(this.relativeOffsets);
    const positions = new Int32Array(this.positions.length * 2);
    positions.set(this.positions);
    this.relativeOffsets = relativeOffsets;
    this.positions = positions;
  }
}
