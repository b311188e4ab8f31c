/**
 * Where segment bytes live: Kafka's log directory of `FileRecords` (`<topic>-<partition>/*.log`) reduced to the
 * few file operations a log needs (append, read a range, truncate, flush, delete, rename). Storage is in memory
 * by default (`InMemorySegmentStore`), behind an interface a file-backed store can implement later.
 *
 * Durability follows the page cache Kafka relies on (it never fsyncs per write; `flush.messages` and `flush.ms`
 * default to never): appended bytes are readable at once but only durable after `flush()`. A process crash loses
 * nothing (the kernel still holds the pages); a machine crash, `crash({ loseUnflushed: true })`, drops every
 * byte appended since the file's last flush. Truncation, deletion and renames are durable immediately, as the
 * metadata operations of a journaling file system are for our purposes.
 *
 * Bytes handed out by `read` are views, never copies, and stay valid forever: appends only write past the end,
 * and a truncation moves the file to a fresh buffer rather than letting a later append overwrite bytes that a
 * Fetch response still being delivered points at.
 *
 * Left out: index files (the indexes live in memory next to their segment and are rebuilt after a crash, as
 * Kafka rebuilds them: it never trusts them after an unclean shutdown), `.txnindex`, producer snapshots,
 * preallocation (`log.preallocate`), the async `.deleted` rename before removal (`file.delete.delay.ms`).
 */
import { assert } from '../../runtime/assert.ts';

/** One file of a log directory. Positions and sizes are byte counts (numbers: a segment is at most 2 GiB). */
export interface SegmentFile {
  readonly name: string;
  /** Bytes written so far, flushed or not. */
  size(): number;
  /** Bytes that survive a machine crash. */
  flushedSize(): number;
  /** Appends a copy of `bytes` at the end; returns the position they start at. */
  append(bytes: Uint8Array): number;
  /** `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Buffer;
  /** Drops every byte from `size` on; a no-op when the file is not longer than that. */
  truncate(size: number): void;
  /** Makes every byte written so far durable. */
  flush(): void;
}

export interface CrashOptions {
  /** A machine crash: bytes appended since each file's last flush are lost. False models a process crash. */
  loseUnflushed: boolean;
  /**
   * With `loseUnflushed`, keep this many of each file's unflushed bytes: a torn write that reached the disk in
   * part, which recovery must cut back to the last whole, valid batch. Default 0.
   */
  keepUnflushedBytes?: number;
}

export interface SegmentStore {
  /** The file called `name`, created empty if missing. */
  open(name: string): SegmentFile;
  get(name: string): SegmentFile | undefined;
  /** File names in name order (for 20-digit segment names, base offset order). */
  list(): string[];
  delete(name: string): void;
  /** Replaces `to` if it exists; Kafka's atomic rename when a cleaned `.swap` segment takes the old one's place. */
  rename(from: string, to: string): void;
  /** Applies a crash to every file; see `CrashOptions`. */
  crash(options: CrashOptions): void;
}

const INITIAL_CAPACITY = 1024;

class InMemorySegmentFile implements SegmentFile {
  private bytes: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private length = 0;
  private durableLength = 0;

  constructor(public name: string) {}

  size(): number {
    return this.length;
  }

  flushedSize(): number {
    return this.durableLength;
  }

  append(bytes: Uint8Array): number {
    const position = this.length;
    const needed = position + bytes.length;
    if (needed > this.bytes.length) {
      let capacity = this.bytes.length;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.bytes.copy(grown, 0, 0, position);
      this.bytes = grown;
    }
    this.bytes.set(bytes, position);
    this.length = needed;
    return position;
  }

  read(position: number, length: number): Buffer {
    assert(Number.isInteger(position) && position >= 0 && position <= this.length, `read position ${position} within ${this.name} of ${this.length} bytes`);
    assert(Number.isInteger(length) && length >= 0, `read length ${length} is a byte count`);
    return this.bytes.subarray(position, Math.min(this.length, position + length));
  }

  truncate(size: number): void {
    assert(Number.isInteger(size) && size >= 0, `truncate size ${size} is a byte count`);
    if (size >= this.length) return;
    // A fresh buffer, so views handed out earlier never see bytes a later append writes over the cut.
    const kept = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, size));
    this.bytes.copy(kept, 0, 0, size);
    this.bytes = kept;
    this.length = size;
    if (this.durableLength > size) this.durableLength = size;
  }

  flush(): void {
    this.durableLength = this.length;
  }

  crash(options: CrashOptions): void {
    if (!options.loseUnflushed) return;
    const kept = Math.min(this.length, this.durableLength + Math.max(0, options.keepUnflushedBytes ?? 0));
    this.truncate(kept);
    this.durableLength = this.length;
  }
}

/** The default store: a map of names to growable buffers. */
export class InMemorySegmentStore implements SegmentStore {
  private readonly files = new Map<string, InMemorySegmentFile>();

  open(name: string): SegmentFile {
    let file = this.files.get(name);
    if (file === undefined) {
      file = new InMemorySegmentFile(name);
      this.files.set(name, file);
    }
    return file;
  }

  get(name: string): SegmentFile | undefined {
    return this.files.get(name);
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  delete(name: string): void {
    this.files.delete(name);
  }

  rename(from: string, to: string): void {
    const file = this.files.get(from);
    assert(file !== undefined, `rename of ${from}, which exists`);
    this.files.delete(from);
    file.name = to;
    this.files.set(to, file);
  }

  crash(options: CrashOptions): void {
    for (const file of this.files.values()) file.crash(options);
  }

  /** Total bytes held, flushed or not; for tests and the CLI. */
  totalBytes(): number {
    let total = 0;
    for (const file of this.files.values()) total += file.size();
    return total;
  }
}
