/**
 * The leader epoch cache of one replica (Kafka's `LeaderEpochFileCache`, the `leader-epoch-checkpoint` file;
 * KIP-101, KIP-279): epoch -> the first offset written in that epoch. A new leader records its epoch at its log
 * end offset; every appended batch re-asserts the epoch stamped on it. `endOffsetFor` answers OffsetsForLeaderEpoch
 * and the Fetch diverging-epoch check, which is how a follower finds the divergent tail it must truncate.
 *
 * Entries stay monotonic in both epoch and start offset: assigning an entry removes later ones that contradict
 * it (`maybeTruncateNonMonotonicEntries`). Truncating the log truncates the cache from the end; advancing the log
 * start offset moves the first entry up (`truncateFromStart`).
 *
 * Durability: Kafka writes the checkpoint synchronously on assign, so kafkasim treats the cache as surviving a
 * crash; recovery then truncates it to the recovered log end offset, as `LogLoader` does.
 *
 * Left out: the checkpoint file format and its async flushes.
 */
import { assert } from '../../runtime/assert.ts';

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/** `OffsetsForLeaderEpoch`'s answer: the largest known epoch <= the requested one and where it ends. */
export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

export class LeaderEpochCache {
  /** Sorted by epoch; start offsets increase with epochs. */
  private epochs: EpochEntry[] = [];

  entries(): EpochEntry[] {
    return this.epochs.map((entry) => ({ ...entry }));
  }

  isEmpty(): boolean {
    return this.epochs.length === 0;
  }

  latestEntry(): EpochEntry | null {
    return this.epochs.length === 0 ? null : { ...this.epochs[this.epochs.length - 1] };
  }

  latestEpoch(): number | null {
    return this.epochs.length === 0 ? null : this.epochs[this.epochs.length - 1].epoch;
  }

  earliestEntry(): EpochEntry | null {
    return this.epochs.length === 0 ? null : { ...this.epochs[0] };
  }

  /** The start offset recorded for exactly `epoch`, or null. */
  startOffsetOf(epoch: number): bigint | null {
    return this.epochs.find((entry) => entry.epoch === epoch)?.startOffset ?? null;
  }

  /** Records that `epoch` starts at `startOffset`; a no-op when the latest entry already says so (or earlier). */
  assign(epoch: number, startOffset: bigint): void {
    assert(epoch >= 0 && startOffset >= 0n, `leader epoch entry (${epoch}, ${startOffset}) is valid`);
    const latest = this.epochs[this.epochs.length - 1];
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return;
    while (this.epochs.length > 0) {
      const last = this.epochs[this.epochs.length - 1];
      if (last.epoch >= epoch || last.startOffset >= startOffset) this.epochs.pop();
      else break;
    }
    this.epochs.push({ epoch, startOffset });
    this.checkInvariants();
  }

  /**
   * `endOffsetFor(requestedEpoch, logEndOffset)`: for the latest epoch, the log end offset; otherwise the largest
   * epoch <= requested, ending where the next larger epoch starts. A requested epoch below every entry answers
   * `(requested, start of the first entry)`; an unknown epoch (or an empty cache) answers null, Kafka's
   * `UNDEFINED_EPOCH_OFFSET`.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset | null {
    if (requestedEpoch < 0) return null;
    const latest = this.epochs[this.epochs.length - 1];
    if (latest === undefined) return null;
    if (latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higherIndex = this.epochs.findIndex((entry) => entry.epoch > requestedEpoch);
    if (higherIndex === -1) return null;
    const higher = this.epochs[higherIndex];
    if (higherIndex === 0) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: this.epochs[higherIndex - 1].epoch, endOffset: higher.startOffset };
  }

  /** The epoch of the entry covering `offset`, or null (Kafka's `epochForOffset`). */
  epochForOffset(offset: bigint): number | null {
    let previous: number | null = null;
    for (const entry of this.epochs) {
      if (entry.startOffset === offset) return entry.epoch;
      if (entry.startOffset > offset) return previous;
      previous = entry.epoch;
    }
    return previous;
  }

  /** Removes entries starting at or after `endOffset` (log truncation). */
  truncateFromEnd(endOffset: bigint): void {
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1].startOffset >= endOffset) this.epochs.pop();
  }

  /** Drops entries wholly before `startOffset`; the epoch covering it now starts there. */
  truncateFromStart(startOffset: bigint): void {
    let lastRemoved: EpochEntry | undefined;
    while (this.epochs.length > 0 && this.epochs[0].startOffset <= startOffset) lastRemoved = this.epochs.shift();
    if (lastRemoved !== undefined) this.epochs.unshift({ epoch: lastRemoved.epoch, startOffset });
    this.checkInvariants();
  }

  clear(): void {
    this.epochs = [];
  }

  private checkInvariants(): void {
    for (let i = 1; i < this.epochs.length; i++) {
      const previous = this.epochs[i - 1];
      const entry = this.epochs[i];
      assert(entry.epoch > previous.epoch && entry.startOffset > previous.startOffset, `leader epoch entries increase: ${JSON.stringify([previous, entry], (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    }
  }
}
