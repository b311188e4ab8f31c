/**
 * The ordered set of a log's segments (Kafka's `LogSegments`, a skip list keyed by base offset): floor and higher
 * lookups by offset, the active (last) segment, ranges overlapping an offset interval, total size. An array kept
 * sorted is enough: a log holds few segments and lookups are binary searches.
 *
 * Invariant (asserted on every change): base offsets strictly increase.
 *
 * Left out: the concurrent skip list (kafkasim is single-threaded) and `LogSegments.sizeInBytes` over a range.
 */
import { assert } from '../../runtime/assert.ts';
import type { LogSegment } from './segment.ts';

export class LogSegments {
  private list: LogSegment[] = [];

  get length(): number {
    return this.list.length;
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  all(): readonly LogSegment[] {
    return this.list;
  }

  first(): LogSegment {
    assert(this.list.length > 0, 'a log always has a segment');
    return this.list[0];
  }

  /** The last segment, the one taking appends. */
  active(): LogSegment {
    assert(this.list.length > 0, 'a log always has an active segment');
    return this.list[this.list.length - 1];
  }

  get(baseOffset: bigint): LogSegment | undefined {
    const index = this.floorIndex(baseOffset);
    return index >= 0 && this.list[index].baseOffset === baseOffset ? this.list[index] : undefined;
  }

  /** Index of the segment with the greatest base offset <= `offset`, or -1. */
  floorIndex(offset: bigint): number {
    let low = 0;
    let high = this.list.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.list[mid].baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  }

  floor(offset: bigint): LogSegment | undefined {
    const index = this.floorIndex(offset);
    return index < 0 ? undefined : this.list[index];
  }

  /** The segment after the one based at `baseOffset`. */
  higher(baseOffset: bigint): LogSegment | undefined {
    const index = this.floorIndex(baseOffset);
    return this.list[index + 1];
  }

  /** Segments holding offsets in [from, to): from the floor of `from` to the last based below `to`. */
  range(from: bigint, to: bigint): LogSegment[] {
    const start = Math.max(0, this.floorIndex(from));
    return this.list.slice(start).filter((segment) => segment.baseOffset < to);
  }

  add(segment: LogSegment): void {
    const index = this.floorIndex(segment.baseOffset);
    assert(index < 0 || this.list[index].baseOffset !== segment.baseOffset, `no segment is based at ${segment.baseOffset} yet`);
    this.list.splice(index + 1, 0, segment);
  }

  remove(segment: LogSegment): void {
    const index = this.list.indexOf(segment);
    assert(index >= 0, `segment ${segment.baseOffset} is in the log`);
    this.list.splice(index, 1);
  }

  /** Replaces `old` (consecutive segments) by `replacement`, which takes the place of the first. */
  replace(old: readonly LogSegment[], replacement: LogSegment): void {
    const index = this.list.indexOf(old[0]);
    assert(index >= 0, `segment ${old[0].baseOffset} is in the log`);
    for (let i = 0; i < old.length; i++) assert(this.list[index + i] === old[i], 'replaced segments are consecutive');
    this.list.splice(index, old.length, replacement);
  }

  clear(): void {
    this.list = [];
  }

  sizeInBytes(): number {
    let total = 0;
    for (const segment of this.list) total += segment.size;
    return total;
  }

  checkInvariants(): void {
    for (let i = 1; i < this.list.length; i++) {
      assert(this.list[i].baseOffset > this.list[i - 1].baseOffset, `segment base offsets increase: ${this.list[i - 1].baseOffset} then ${this.list[i].baseOffset}`);
    }
  }
}
