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
  /**
   * Appends `bytes` (or consecutive byte ranges, written back to back) at the end; returns the position they
   * start at. The file copies them (the caller's buffers may be reused or changed afterwards) unless
   * `options.mayKeep` says it may keep them.
   */
  append(bytes: Uint8Array | readonly Uint8Array[], options?: AppendOptions): number;
  /** `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Buffer;
  /** Drops every byte from `size` on; a no-op when the file is not longer than that. */
  truncate(size: number): void;
  /** Makes every byte written so far durable. */
  flush(): void;
}

export interface AppendOptions {
  /**
   * The caller hands the bytes over and never changes them (a follower's fetched batches, views into a Fetch
   * response nobody else writes): a large single range may then become part of the file as is, instead of a copy.
   * It keeps the whole buffer it views alive.
   */
  mayKeep?: boolean;
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

const FIRST_CHUNK_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
/** Each new chunk is this many times the previous one: few chunk boundaries for a Fetch to straddle. */
const CHUNK_GROWTH = 4;
/** A range handed over with `mayKeep` at least this large becomes a chunk of its own rather than a copy. */
const KEEP_MIN_BYTES = 8 * 1024;

/**
 * A file as a list of chunks, each written once and never moved: an append copies only the new bytes (a single
 * growing buffer would copy everything it holds at each doubling, and touch fresh memory each time). Chunks
 * grow from 16 KiB to 16 MiB, fourfold each time, so a small log stays small and a large one has few chunk
 * boundaries; the unused tail of a chunk is address space the allocator has not backed yet. One append (a batch,
 * even when given as a patched header and the rest) lands in one chunk, so a read of whole batches inside a
 * chunk is a view; a read spanning chunks is a copy (a Fetch of up to `max.bytes` spans at most two of the large
 * ones).
 *
 * A leader's appends are copied, never kept as chunks of their own: keeping each produced batch saves its copy but
 * leaves the file as thousands of batch-sized chunks, so every consumer's Fetch would join (copy) its whole answer
 * instead. A follower's appends (`mayKeep`) are kept: nobody fetches from a follower, and the copy would touch as
 * much fresh memory as the data (most of an append's cost); after a failover, reads across them are joined.
 */
class InMemorySegmentFile implements SegmentFile {
  private chunks: Buffer[] = [];
  /** File position of each chunk's first byte. */
  private starts: number[] = [];
  /** Bytes used in the last chunk. */
  private lastUsed = 0;
  private length = 0;
  private durableLength = 0;

  constructor(public name: string) {}

  size(): number {
    return this.length;
  }

  flushedSize(): number {
    return this.durableLength;
  }

  append(bytes: Uint8Array | readonly Uint8Array[], options: AppendOptions = {}): number {
    const position = this.length;
    const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
    let size = 0;
    for (const part of parts) size += part.length;
    if (size === 0) return position;
    if (options.mayKeep === true && parts.length === 1 && size >= KEEP_MIN_BYTES) {
      // The kept chunk counts as full, so the next append starts a new chunk and never writes into it.
      const kept = parts[0];
      this.chunks.push(Buffer.isBuffer(kept) ? kept : Buffer.from(kept.buffer, kept.byteOffset, kept.length));
      this.starts.push(position);
      this.lastUsed = size;
      this.length = position + size;
      return position;
    }
    let last = this.chunks[this.chunks.length - 1];
    if (last === undefined || last.length - this.lastUsed < size) {
      const previous = Math.min(last?.length ?? FIRST_CHUNK_BYTES / CHUNK_GROWTH, MAX_CHUNK_BYTES / CHUNK_GROWTH);
      last = Buffer.allocUnsafe(Math.max(size, Math.min(MAX_CHUNK_BYTES, previous * CHUNK_GROWTH)));
      this.chunks.push(last);
      this.starts.push(position);
      this.lastUsed = 0;
    }
    for (const part of parts) {
      last.set(part, this.lastUsed);
      this.lastUsed += part.length;
    }
    this.length = position + size;
    return position;
  }

  /** Index of the chunk holding `position` (the last chunk for the end of file). */
  private chunkAt(position: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.starts[mid] <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private chunkEnd(index: number): number {
    return index === this.chunks.length - 1 ? this.length : this.starts[index + 1];
  }

  read(position: number, length: number): Buffer {
    assert(Number.isInteger(position) && position >= 0 && position <= this.length, `read position ${position} within ${this.name} of ${this.length} bytes`);
    assert(Number.isInteger(length) && length >= 0, `read length ${length} is a byte count`);
    const end = Math.min(this.length, position + length);
    if (end === position || this.chunks.length === 0) return Buffer.alloc(0);
    let index = this.chunkAt(position);
    const first = this.chunks[index];
    if (end <= this.chunkEnd(index)) return first.subarray(position - this.starts[index], end - this.starts[index]);
    const parts: Buffer[] = [];
    let at = position;
    while (at < end) {
      const chunkEnd = Math.min(end, this.chunkEnd(index));
      parts.push(this.chunks[index].subarray(at - this.starts[index], chunkEnd - this.starts[index]));
      at = chunkEnd;
      index++;
    }
    return Buffer.concat(parts, end - position);
  }

  truncate(size: number): void {
    assert(Number.isInteger(size) && size >= 0, `truncate size ${size} is a byte count`);
    if (size >= this.length) return;
    if (size === 0) {
      this.chunks = [];
      this.starts = [];
      this.lastUsed = 0;
    } else {
      const index = this.chunkAt(size === this.length ? size : Math.max(0, size - 1));
      // The cut chunk moves to a fresh buffer, so views handed out earlier never see bytes a later append writes.
      const keptBytes = size - this.starts[index];
      const kept = Buffer.allocUnsafe(Math.max(FIRST_CHUNK_BYTES, keptBytes));
      this.chunks[index].copy(kept, 0, 0, keptBytes);
      this.chunks = [...this.chunks.slice(0, index), kept];
      this.starts = this.starts.slice(0, index + 1);
      this.lastUsed = keptBytes;
    }
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

/** The default store: a map of names to chunked in-memory files. */
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
