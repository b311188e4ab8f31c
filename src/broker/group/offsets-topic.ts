/**
 * The coordinator's side of `__consumer_offsets`: appending its records to a partition it leads, and replaying
 * a partition's log when it becomes the leader (Kafka's `GroupMetadataManager.appendForGroup` and
 * `doLoadGroupsAndOffsets`).
 *
 * Appends go through the leader's log like a produce with `offsets.commit.required.acks` (-1: wait up to
 * `offsets.commit.timeout.ms` for the high watermark; NOT_ENOUGH_REPLICAS up front when the ISR is below
 * `min.insync.replicas`), with the coordinator's append origin (no client-only checks, no sequence checks;
 * a transactional batch with an epoch older than the partition knows for its producer is
 * INVALID_PRODUCER_EPOCH, as `ProducerAppendInfo.checkProducerEpoch`, and one whose KIP-890 verification was
 * overtaken by a transaction marker is INVALID_TXN_STATE). Callers map the raw error codes the way
 * `GroupMetadataManager` does for their kind of write.
 *
 * The replay reads from the log start to the log end (not the high watermark, as Kafka), keeps the last value
 * per key, drops keys whose last record is a tombstone, and holds transactional offsets per producer until
 * that producer's COMMIT marker (ABORT drops them; no marker yet: they stay pending).
 */
import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeRecordBatch,
  encodeRecordBatch,
  ErrorCode,
  readBatchHeader,
  splitBatches,
} from '../../protocol/index.ts';
import { assert } from '../../runtime/assert.ts';
import type { Broker } from '../broker.ts';
import { OFFSETS_TOPIC } from '../internal-topics.ts';
import { topicPartitionKey } from '../metadata.ts';
import type { Replica } from '../partition.ts';
import type { VerificationGuard } from '../producer-state.ts';
import type { CommitRecord, TopicPartition } from './group-offsets.ts';
import { ClassicGroup, Member } from './group.ts';
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeRecordKey, type StoredGroup } from './records.ts';

export interface CoordinatorRecord {
  readonly key: Buffer;
  /** Null for a tombstone. */
  readonly value: Buffer | null;
}

export interface AppendOptions {
  /** -1 waits for the high watermark; 0 (tombstones) answers after the local append. */
  readonly requiredAcks: number;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly isTransactional?: boolean;
  /** KIP-890: the guard the transaction verification started with; a marker since then fails the append. */
  readonly verificationGuard?: VerificationGuard;
}

export interface AppendOutcome {
  /** The raw error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, MESSAGE_TOO_LARGE...). */
  readonly errorCode: number;
  readonly baseOffset: bigint;
}

export function offsetsReplica(broker: Broker, partition: number): Replica | undefined {
  return broker.replicas.get(topicPartitionKey(OFFSETS_TOPIC, partition));
}

/** Appends one batch of coordinator records to the offsets partition this broker leads. */
export async function appendToOffsetsPartition(broker: Broker, partition: number, records: readonly CoordinatorRecord[], options: AppendOptions): Promise<AppendOutcome> {
  const failed = (errorCode: number): AppendOutcome => ({ errorCode, baseOffset: -1n });
  const replica = offsetsReplica(broker, partition);
  const topic = broker.image.topics.get(OFFSETS_TOPIC);
  if (replica === undefined || !replica.isLeader || topic === undefined) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const minInsyncReplicas = broker.topicConfig(topic).number('min.insync.replicas');
  if (options.requiredAcks === -1 && replica.isr.length < minInsyncReplicas) return failed(ErrorCode.NOT_ENOUGH_REPLICAS);
  const producerId = options.producerId ?? -1n;
  const producerEpoch = options.producerEpoch ?? -1;
  if (producerId >= 0n) {
    const known = replica.producerState.entry(producerId);
    if (known !== undefined && producerEpoch < known.epoch) return failed(ErrorCode.INVALID_PRODUCER_EPOCH);
    if (options.verificationGuard !== undefined && !replica.producerState.isVerified(producerId, options.verificationGuard)) return failed(ErrorCode.INVALID_TXN_STATE);
  }
  const nowMs = broker.runtime.now();
  const batch = encodeRecordBatch({
    baseTimestamp: BigInt(nowMs),
    producerId,
    producerEpoch,
    // Kafka's coordinator writes sequence 0 for transactional offset commits and none otherwise.
    baseSequence: producerId >= 0n ? 0 : -1,
    isTransactional: options.isTransactional ?? false,
    records: records.map((record, i) => ({ offsetDelta: i, timestampDelta: 0, key: record.key, value: record.value, headers: [] })),
  });
  const appended = replica.log.appendAsLeader(batch, { leaderEpoch: replica.leaderEpoch, nowMs, origin: 'coordinator' });
  if (appended.errorCode !== ErrorCode.NONE) return failed(appended.errorCode);
  replica.producerState.update(readBatchHeader(batch), appended.firstOffset, appended.lastOffset, appended.maxTimestamp);
  replica.afterLeaderAppend();
  if (options.requiredAcks !== -1) return { errorCode: ErrorCode.NONE, baseOffset: appended.firstOffset };
  const errorCode = await replica.waitForHighWatermark(appended.lastOffset + 1n, minInsyncReplicas, broker.config.int('offsets.commit.timeout.ms'));
  return { errorCode, baseOffset: appended.firstOffset };
}

interface LoadedOffset extends TopicPartition {
  readonly group: string;
  readonly record: CommitRecord;
}

/** The groups (with their committed and pending transactional offsets) found in one offsets partition. */
export interface LoadedPartition {
  readonly groups: ClassicGroup[];
  /** Records that could not be read (unknown key versions, corrupt values): Kafka logs and skips them. */
  readonly skippedRecords: number;
}

const offsetKey = (group: string, topic: string, partition: number): string => `${group}\u0000${partition}:${topic}`;

/** Replays a partition's log into groups, as a newly elected coordinator does before it serves them. */
export function loadOffsetsPartition(replica: Replica, nowMs: number): LoadedPartition {
  const loadedOffsets = new Map<string, LoadedOffset>();
  const pendingOffsets = new Map<bigint, Map<string, LoadedOffset>>();
  const loadedGroups = new Map<string, StoredGroup>();
  let skippedRecords = 0;

  const log = replica.log;
  const end = log.logEndOffset;
  let offset = log.logStartOffset;
  while (offset < end) {
    const read = log.read(offset, { maxBytes: 1 << 20, maxOffset: end, minOneMessage: true });
    if (read.errorCode !== ErrorCode.NONE || read.records.length === 0) break;
    let next = offset;
    for (const buffer of splitBatches(read.records).batches) {
      const batch = decodeRecordBatch(buffer);
      next = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      if (next <= offset) continue;
      if (batch.isControl) {
        const marker = batch.records[0];
        if (marker === undefined) continue;
        const pending = pendingOffsets.get(batch.producerId);
        let type: number;
        try {
          type = decodeControlRecordKey(marker.key).type;
        } catch {
          skippedRecords++;
          continue;
        }
        if (type === ControlRecordType.COMMIT && pending !== undefined) {
          for (const [key, entry] of pending) {
            const current = loadedOffsets.get(key);
            if (current === undefined || (current.record.appendedBatchOffset ?? -1n) < (entry.record.appendedBatchOffset ?? -1n)) loadedOffsets.set(key, entry);
          }
        }
        pendingOffsets.delete(batch.producerId);
        continue;
      }
      const batchBaseOffset = batch.records.length > 0 ? batch.baseOffset + BigInt(batch.records[0].offsetDelta) : batch.baseOffset;
      for (const record of batch.records) {
        if (record.key === null) {
          skippedRecords++;
          continue;
        }
        try {
          const key = decodeRecordKey(record.key);
          if (key.kind === 'offset') {
            const composite = offsetKey(key.group, key.topic, key.partition);
            let target = loadedOffsets;
            if (batch.isTransactional) {
              target = pendingOffsets.get(batch.producerId) ?? new Map();
              pendingOffsets.set(batch.producerId, target);
            }
            const value = decodeOffsetCommitValue(record.value === null ? null : Buffer.from(record.value));
            if (value === null) target.delete(composite);
            else target.set(composite, { group: key.group, topic: key.topic, partition: key.partition, record: { appendedBatchOffset: batchBaseOffset, offsetAndMetadata: value } });
          } else if (key.kind === 'group') {
            const value = decodeGroupMetadataValue(record.value === null ? null : Buffer.from(record.value));
            if (value === null) loadedGroups.delete(key.group);
            else {
              loadedGroups.delete(key.group);
              loadedGroups.set(key.group, value);
            }
          } else {
            skippedRecords++;
          }
        } catch {
          skippedRecords++;
        }
      }
    }
    assert(next > offset, 'replaying the offsets partition makes progress');
    offset = next;
  }

  const groups = new Map<string, ClassicGroup>();
  const groupFor = (groupId: string): ClassicGroup => {
    let group = groups.get(groupId);
    if (group === undefined) {
      group = new ClassicGroup(groupId, 'Empty', nowMs);
      groups.set(groupId, group);
    }
    return group;
  };
  for (const [groupId, stored] of loadedGroups) groups.set(groupId, restoreGroup(groupId, stored, nowMs));
  const committedByGroup = new Map<string, Array<TopicPartition & { record: CommitRecord }>>();
  for (const entry of loadedOffsets.values()) {
    groupFor(entry.group);
    const list = committedByGroup.get(entry.group) ?? [];
    list.push({ topic: entry.topic, partition: entry.partition, record: entry.record });
    committedByGroup.set(entry.group, list);
  }
  const pendingByGroup = new Map<string, Map<bigint, Array<TopicPartition & { record: CommitRecord }>>>();
  for (const [producerId, entries] of pendingOffsets) {
    for (const entry of entries.values()) {
      groupFor(entry.group);
      const byProducer = pendingByGroup.get(entry.group) ?? new Map<bigint, Array<TopicPartition & { record: CommitRecord }>>();
      const list = byProducer.get(producerId) ?? [];
      list.push({ topic: entry.topic, partition: entry.partition, record: entry.record });
      byProducer.set(producerId, list);
      pendingByGroup.set(entry.group, byProducer);
    }
  }
  for (const group of groups.values()) group.offsets.initialize(committedByGroup.get(group.groupId) ?? [], pendingByGroup.get(group.groupId) ?? new Map());
  return { groups: [...groups.values()], skippedRecords };
}

/** `GroupMetadata.loadGroup`: Stable with its members, or Empty. */
function restoreGroup(groupId: string, stored: StoredGroup, nowMs: number): ClassicGroup {
  const group = new ClassicGroup(groupId, stored.members.length > 0 ? 'Stable' : 'Empty', nowMs);
  group.generationId = stored.generationId;
  for (const m of stored.members) {
    const member = new Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.sessionTimeoutMs, stored.protocolType, [
      { name: stored.protocolName ?? '', metadata: m.subscription },
    ]);
    member.assignment = m.assignment;
    group.add(member, null);
  }
  // add() makes the first member leader and takes its protocol type; the record names the real ones.
  group.leaderId = stored.leaderId;
  group.protocolType = stored.protocolType.length > 0 ? stored.protocolType : null;
  group.protocolName = stored.protocolName;
  group.currentStateTimestamp = stored.currentStateTimestamp === -1n ? null : Number(stored.currentStateTimestamp);
  group.subscribedTopics = group.computeSubscribedTopics();
  return group;
}
