/**
 * The offsets of one group, as Kafka's `GroupMetadata` keeps them next to the membership: committed offsets
 * (with the log offset of the batch that carried them, so an older write never replaces a newer one), commits
 * in flight (written to the log but not yet replicated), and transactional commits per producer id that wait
 * for the transaction's end marker (KIP-98: they become visible on COMMIT and vanish on ABORT).
 *
 * Maps iterate in insertion order; nothing here depends on anything else.
 */
import type { OffsetAndMetadata } from './records.ts';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Kafka's `CommitRecordMetadataAndOffset`: the batch offset is null until the append completes. */
export interface CommitRecord {
  readonly appendedBatchOffset: bigint | null;
  readonly offsetAndMetadata: OffsetAndMetadata;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offsetAndMetadata: OffsetAndMetadata;
}

interface Entry<T> extends TopicPartition {
  value: T;
}

const keyOf = (tp: TopicPartition): string => `${tp.partition}:${tp.topic}`;

export function sameOffset(a: OffsetAndMetadata, b: OffsetAndMetadata): boolean {
  return (
    a.offset === b.offset &&
    a.leaderEpoch === b.leaderEpoch &&
    a.metadata === b.metadata &&
    a.commitTimestamp === b.commitTimestamp &&
    a.expireTimestamp === b.expireTimestamp
  );
}

const isOlder = (a: CommitRecord, b: CommitRecord): boolean => (a.appendedBatchOffset ?? -1n) < (b.appendedBatchOffset ?? -1n);

export class GroupOffsets {
  private readonly committed = new Map<string, Entry<CommitRecord>>();
  private readonly pending = new Map<string, Entry<OffsetAndMetadata>>();
  private readonly pendingTransactional = new Map<bigint, Map<string, Entry<CommitRecord>>>();

  get size(): number {
    return this.committed.size;
  }

  /** Whether anything (committed, in flight or transactional) keeps the group alive. */
  get hasOffsets(): boolean {
    return this.committed.size > 0 || this.pending.size > 0 || this.pendingTransactional.size > 0;
  }

  /** What a loading coordinator replayed from the log. */
  initialize(committed: ReadonlyArray<TopicPartition & { record: CommitRecord }>, pendingTransactional: ReadonlyMap<bigint, ReadonlyArray<TopicPartition & { record: CommitRecord }>>): void {
    for (const { topic, partition, record } of committed) this.committed.set(keyOf({ topic, partition }), { topic, partition, value: record });
    for (const [producerId, entries] of pendingTransactional) {
      const map = new Map<string, Entry<CommitRecord>>();
      for (const { topic, partition, record } of entries) map.set(keyOf({ topic, partition }), { topic, partition, value: record });
      this.pendingTransactional.set(producerId, map);
    }
  }

  offset(tp: TopicPartition): OffsetAndMetadata | undefined {
    return this.committed.get(keyOf(tp))?.value.offsetAndMetadata;
  }

  /** Every committed offset, by topic then partition (a stable order for OffsetFetch with all topics). */
  all(): TopicPartitionOffset[] {
    return [...this.committed.values()]
      .map((e) => ({ topic: e.topic, partition: e.partition, offsetAndMetadata: e.value.offsetAndMetadata }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  // --- consumer commits --------------------------------------------------------------------------------

  prepareOffsetCommit(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.pending.set(keyOf(o), { topic: o.topic, partition: o.partition, value: o.offsetAndMetadata });
  }

  /** The commit's batch is replicated: it becomes the committed offset unless a newer write already did. */
  onOffsetCommitAppend(tp: TopicPartition, record: CommitRecord): void {
    const key = keyOf(tp);
    const staged = this.pending.get(key);
    if (staged !== undefined) {
      const current = this.committed.get(key);
      if (current === undefined || isOlder(current.value, record)) this.committed.set(key, { topic: tp.topic, partition: tp.partition, value: record });
      if (sameOffset(staged.value, record.offsetAndMetadata)) this.pending.delete(key);
    }
  }

  failPendingOffsetWrite(tp: TopicPartition, offset: OffsetAndMetadata): void {
    const key = keyOf(tp);
    const staged = this.pending.get(key);
    if (staged !== undefined && sameOffset(staged.value, offset)) this.pending.delete(key);
  }

  // --- transactional commits ---------------------------------------------------------------------------

  prepareTxnOffsetCommit(producerId: bigint, offsets: readonly TopicPartitionOffset[]): void {
    let map = this.pendingTransactional.get(producerId);
    if (map === undefined) {
      map = new Map();
      this.pendingTransactional.set(producerId, map);
    }
    for (const o of offsets) map.set(keyOf(o), { topic: o.topic, partition: o.partition, value: { appendedBatchOffset: null, offsetAndMetadata: o.offsetAndMetadata } });
  }

  onTxnOffsetCommitAppend(producerId: bigint, tp: TopicPartition, record: CommitRecord): void {
    const entry = this.pendingTransactional.get(producerId)?.get(keyOf(tp));
    if (entry !== undefined && sameOffset(entry.value.offsetAndMetadata, record.offsetAndMetadata)) entry.value = record;
  }

  failPendingTxnOffsetCommit(producerId: bigint, tp: TopicPartition): void {
    const map = this.pendingTransactional.get(producerId);
    if (map === undefined) return;
    map.delete(keyOf(tp));
    if (map.size === 0) this.pendingTransactional.delete(producerId);
  }

  /**
   * The transaction's marker is in the log: on commit the producer's offsets replace older committed ones
   * (by log position); on abort they are dropped. An entry whose own append never completed is skipped: its
   * record is not in the log, so a reload would not see it either.
   */
  completePendingTxnOffsetCommit(producerId: bigint, isCommit: boolean): void {
    const map = this.pendingTransactional.get(producerId);
    this.pendingTransactional.delete(producerId);
    if (!isCommit || map === undefined) return;
    for (const [key, entry] of map) {
      if (entry.value.appendedBatchOffset === null) continue;
      const current = this.committed.get(key);
      if (current === undefined || isOlder(current.value, entry.value)) this.committed.set(key, entry);
    }
  }

  hasPendingOffsetCommitsFromProducer(producerId: bigint): boolean {
    return this.pendingTransactional.has(producerId);
  }

  get activeProducers(): bigint[] {
    return [...this.pendingTransactional.keys()];
  }

  /** requireStable (KIP-447): a commit in flight or in an open transaction makes the partition unstable. */
  hasPendingOffsetCommitsForTopicPartition(tp: TopicPartition): boolean {
    const key = keyOf(tp);
    if (this.pending.has(key)) return true;
    for (const map of this.pendingTransactional.values()) if (map.has(key)) return true;
    return false;
  }

  // --- removal -----------------------------------------------------------------------------------------

  /** Removes the partitions everywhere; returns those that had a committed offset. */
  remove(tps: readonly TopicPartition[]): TopicPartition[] {
    const removed: TopicPartition[] = [];
    for (const tp of tps) {
      const key = keyOf(tp);
      this.pending.delete(key);
      for (const map of this.pendingTransactional.values()) map.delete(key);
      const entry = this.committed.get(key);
      if (entry !== undefined) {
        this.committed.delete(key);
        removed.push({ topic: entry.topic, partition: entry.partition });
      }
    }
    return removed;
  }

  removeAll(): TopicPartition[] {
    return this.remove([...this.committed.values()].map((e) => ({ topic: e.topic, partition: e.partition })));
  }

  /**
   * `GroupMetadata.removeExpiredOffsets`' filter: committed offsets not in flight, not of a subscribed topic,
   * whose expire timestamp passed or, without one, whose base timestamp is `retentionMs` old. Removes them.
   */
  removeExpired(nowMs: bigint, retentionMs: bigint, baseTimestamp: (offset: OffsetAndMetadata) => bigint, subscribedTopics: ReadonlySet<string>): TopicPartition[] {
    const expired: TopicPartition[] = [];
    for (const [key, entry] of this.committed) {
      if (subscribedTopics.has(entry.topic) || this.pending.has(key)) continue;
      const offset = entry.value.offsetAndMetadata;
      const isExpired = offset.expireTimestamp !== null ? nowMs >= offset.expireTimestamp : nowMs - baseTimestamp(offset) >= retentionMs;
      if (isExpired) expired.push({ topic: entry.topic, partition: entry.partition });
    }
    for (const tp of expired) this.committed.delete(keyOf(tp));
    return expired;
  }
}
