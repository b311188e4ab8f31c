/**
 * Fetch (key 1), v0-17, for consumers and for follower replicas (`replicaId` >= 0, or `replicaState` from
 * v15), after Kafka's `ReplicaManager.fetchMessages` and `Partition.fetchRecords`:
 * - consumers read up to the high watermark (READ_UNCOMMITTED) or the last stable offset
 *   (READ_COMMITTED); followers read up to the log end and report their position, which drives the high
 *   watermark and ISR expansion on the leader;
 * - READ_COMMITTED answers (v4+) list the aborted transactions (producer id, first offset) overlapping the records
 *   returned, from the segments' `.txnindex`, so the consumer can drop aborted records up to their ABORT marker;
 *   READ_UNCOMMITTED answers carry null there, as Kafka's do;
 * - a follower's `lastFetchedEpoch` (v12+) is checked against the leader's epoch cache: if its log has
 *   diverged, the answer carries `divergingEpoch` and no records, and the follower truncates;
 * - fetch offsets outside [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE; leader epochs older or
 *   newer than ours are FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v9+);
 * - `maxBytes` bounds the whole answer and `partitionMaxBytes` each partition, except that the first
 *   non-empty partition always returns at least one batch (KIP-74);
 * - long poll: when fewer than `minBytes` are available and nothing failed, the answer waits up to
 *   `maxWaitMs` (virtual time) for new data;
 * - v0-3 predate record batches, so batches are down-converted to message sets (magic 0 for v0-1,
 *   magic 1 for v2-3), as Kafka does for old consumers.
 * - fetch sessions (KIP-227, v7+; ../fetch-session.ts): epoch 0 opens a session, later requests list only the
 *   partitions whose parameters changed and the answer only the partitions with news; an incremental fetch reads
 *   and long-polls every partition of its session. Sessionless requests (id 0, epoch -1, what KafkaJS sends) and
 *   v0-6 are answered in full, as before sessions existed.
 * Leaves out: follower fetching for consumers (KIP-392).
 * The aborted transactions are those overlapping the exact records returned; Kafka bounds the search by the next
 * index entry, so it may list a few more.
 */
import {
  ApiKey,
  decodeRecordBatch,
  encodeMessageSet,
  ErrorCode,
  splitBatches,
  ZERO_UUID,
  type FetchResponseInput,
  type FetchResponsePartitionDataInput,
} from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { completeFetchContext, INVALID_SESSION_ID, newFetchContext, type FetchTarget } from '../fetch-session.ts';
import type { Replica } from '../partition.ts';
import { defineHandler } from './handler.ts';
import { leaderEndpoints } from './produce.ts';

type PartitionAnswer = FetchResponsePartitionDataInput;

/** Answers without records share one empty buffer (a zero-length Buffer cannot be written to). */
const NO_RECORDS = Buffer.alloc(0);

/** Kafka's createLogReadResult for a failed partition: -1 offsets, no records (followers ask ListOffsets). */
function errorAnswer(partitionIndex: number, errorCode: number): PartitionAnswer {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    records: NO_RECORDS,
  };
}

/** Turns v2 batches into a legacy message set for Fetch v0-3. */
function downConvert(records: Buffer, magic: 0 | 1): Buffer {
  if (records.length === 0) return records;
  const messages = [];
  for (const batch of splitBatches(records).batches) {
    const decoded = decodeRecordBatch(batch);
    if (decoded.isControl) continue;
    for (const record of decoded.records) {
      messages.push({
        offset: decoded.baseOffset + BigInt(record.offsetDelta),
        timestamp: decoded.timestampType === 1 ? decoded.maxTimestamp : decoded.baseTimestamp + BigInt(record.timestampDelta),
        key: record.key,
        value: record.value,
      });
    }
  }
  return encodeMessageSet(messages, { magic });
}

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,
  handle: async ({ broker, header }, request): Promise<FetchResponseInput> => {
    const replicaId = header.apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
    const isFollower = replicaId >= 0;
    const context = newFetchContext(broker.fetchSessions, request, header.apiVersion, broker.runtime.now(), broker.image);
    // Kafka answers a session error at once, with no partitions (`SessionErrorContext`).
    if (context.kind === 'error') return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, responses: [] };
    // An incremental fetch reads every partition of its session, listed in the request or not.
    const { targets } = context;

    // Only the first read records a follower's position (Kafka's `updateFetchState = !readFromPurgatory`): a
    // parked fetch re-read when data arrives says nothing new about the follower, and re-recording it woke every
    // other parked follower fetch, each re-recording in turn.
    const read = (updateFetchState: boolean): { answers: PartitionAnswer[]; bytes: number; failed: boolean } => {
      let remaining = request.maxBytes;
      let bytes = 0;
      let failed = false;
      let first = true;
      const answers = targets.map((target) => {
        const answer = readPartition(broker, target, replicaId, request.isolationLevel, header.apiVersion, remaining, first, updateFetchState);
        if (answer.errorCode !== ErrorCode.NONE) failed = true;
        const size = answer.records?.length ?? 0;
        if (size > 0) first = false;
        remaining -= size;
        bytes += size;
        return answer;
      });
      return { answers, bytes, failed };
    };

    let result = read(true);
    if (!result.failed && result.bytes < request.minBytes && request.maxWaitMs > 0 && targets.length > 0) {
      const replicas = targets
        .map((t) => (t.topicName === null ? undefined : broker.replicas.get(t.replicaKey)))
        .filter((r): r is Replica => r !== undefined);
      const parked = targets.map((target) => parkedState(broker, target));
      const isReadCommitted = !isFollower && header.apiVersion >= 4 && request.isolationLevel === 1;
      await new Promise<void>((resolve) => {
        const unsubscribes: Array<() => void> = [];
        const done = (): void => {
          timer.cancel();
          for (const unsubscribe of unsubscribes) unsubscribe();
          resolve();
        };
        const timer = broker.runtime.timer(request.maxWaitMs, done, `${broker.node}:fetch-wait`);
        for (const replica of replicas) {
          unsubscribes.push(
            replica.onData(() => {
              // Kafka's DelayedFetch.tryComplete looks at offsets, not at the data: only a partition with records
              // past its fetch offset, or whose leadership or log start moved, can change the answer.
              if (!parked.some((state, i) => mayAnswer(broker, targets[i], state, isFollower, isReadCommitted))) return;
              const again = read(false);
              if (again.failed || again.bytes >= request.minBytes) done();
            }),
          );
        }
      });
      result = read(false);
    }

    const { errorCode, sessionId, included } = completeFetchContext(broker.fetchSessions, context, result.answers, isFollower, broker.runtime.now());
    const byTopic = new Map<string, { topic: string; topicId: string; partitions: PartitionAnswer[] }>();
    const sent: PartitionAnswer[] = [];
    targets.forEach((target, i) => {
      if (included !== null && !included[i]) return;
      const key = `${target.topicName ?? ''}:${target.topicId}`;
      let entry = byTopic.get(key);
      if (entry === undefined) {
        entry = { topic: target.topicName ?? '', topicId: target.topicId, partitions: [] };
        byTopic.set(key, entry);
      }
      entry.partitions.push(result.answers[i]);
      sent.push(result.answers[i]);
    });
    const nodeEndpoints = header.apiVersion >= 16 ? leaderEndpoints(broker, sent) : [];
    return { throttleTimeMs: 0, errorCode, sessionId, responses: [...byTopic.values()], ...(nodeEndpoints.length > 0 ? { nodeEndpoints } : {}) };
  },
});

/** What a parked fetch saw of a partition when it parked: the replica object and the leadership and log start it had. */
interface ParkedState {
  readonly replica: Replica | undefined;
  readonly leaderEpoch: number;
  readonly logStartOffset: bigint;
}

function parkedState(broker: Broker, target: FetchTarget): ParkedState {
  const replica = target.topicName === null ? undefined : broker.replicas.get(target.replicaKey);
  return { replica, leaderEpoch: replica?.leaderEpoch ?? -1, logStartOffset: replica?.logStartOffset ?? -1n };
}

/**
 * Whether re-reading `target` could now give records or an error: a necessary condition for `readPartition` to
 * answer differently from when the fetch parked (a leader's log end only grows within its epoch, and its epoch
 * cache only changes with a new epoch or a new log start), checked without touching the log.
 */
function mayAnswer(broker: Broker, target: FetchTarget, state: ParkedState, isFollower: boolean, isReadCommitted: boolean): boolean {
  const replica = state.replica;
  if (replica === undefined || target.topicName === null) return false;
  if (broker.replicas.get(target.replicaKey) !== replica || !replica.isLeader) return true;
  if (replica.leaderEpoch !== state.leaderEpoch || replica.logStartOffset !== state.logStartOffset) return true;
  const fetchOffset = target.partition.fetchOffset;
  if (fetchOffset > replica.logEndOffset) return true;
  const maxOffset = isFollower ? replica.logEndOffset : isReadCommitted ? replica.lastStableOffset : replica.highWatermark;
  return maxOffset > fetchOffset;
}

function readPartition(
  broker: Broker,
  target: FetchTarget,
  replicaId: number,
  isolationLevel: number,
  apiVersion: number,
  remainingBytes: number,
  minOneMessage: boolean,
  updateFetchState: boolean,
): PartitionAnswer {
  const { partition: requested } = target;
  const index = requested.partition;
  if (target.topicName === null) return errorAnswer(index, apiVersion >= 13 && target.topicId !== ZERO_UUID ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const topic = broker.image.topics.get(target.topicName);
  if (topic === undefined || index < 0 || index >= topic.partitions.length) return errorAnswer(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const replica = broker.replicas.get(target.replicaKey);
  if (replica === undefined || !replica.isLeader) {
    const registration = topic.partitions[index];
    const answer = errorAnswer(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Kafka fills the leader hint (KIP-951) from v16, with the leader's endpoint in nodeEndpoints.
    if (apiVersion >= 16) answer.currentLeader = { leaderId: registration.leader, leaderEpoch: registration.leaderEpoch };
    return answer;
  }
  if (requested.currentLeaderEpoch >= 0) {
    if (requested.currentLeaderEpoch < replica.leaderEpoch) return errorAnswer(index, ErrorCode.FENCED_LEADER_EPOCH);
    if (requested.currentLeaderEpoch > replica.leaderEpoch) return errorAnswer(index, ErrorCode.UNKNOWN_LEADER_EPOCH);
  }
  const isFollower = replicaId >= 0;
  const fetchOffset = requested.fetchOffset;

  if (isFollower && requested.lastFetchedEpoch >= 0) {
    const end = replica.log.endOffsetForEpoch(requested.lastFetchedEpoch);
    if (end !== null && (end.epoch < requested.lastFetchedEpoch || end.endOffset < fetchOffset)) {
      // Only followers send lastFetchedEpoch, which exists from v12 like divergingEpoch.
      return {
        ...errorAnswer(index, ErrorCode.NONE),
        highWatermark: replica.highWatermark,
        lastStableOffset: replica.lastStableOffset,
        logStartOffset: replica.logStartOffset,
        divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset },
      };
    }
  }
  if (fetchOffset < replica.logStartOffset || fetchOffset > replica.logEndOffset) {
    return errorAnswer(index, ErrorCode.OFFSET_OUT_OF_RANGE);
  }
  if (isFollower && updateFetchState) {
    const { shouldExpandIsr } = replica.recordFollowerFetch(replicaId, fetchOffset, broker.runtime.now(), requested.logStartOffset);
    if (shouldExpandIsr) broker.alterIsr(replica, [...replica.isr, replicaId]);
  }
  const isReadCommitted = !isFollower && apiVersion >= 4 && isolationLevel === 1;
  const maxOffset = isFollower ? replica.logEndOffset : isReadCommitted ? replica.lastStableOffset : replica.highWatermark;
  const maxBytes = Math.max(0, Math.min(requested.partitionMaxBytes, remainingBytes));
  const data = replica.log.read(fetchOffset, { maxBytes, maxOffset, minOneMessage, includeAbortedTransactions: isReadCommitted });
  let records = data.errorCode === ErrorCode.NONE ? data.records : NO_RECORDS;
  if (apiVersion <= 3) records = downConvert(records, apiVersion <= 1 ? 0 : 1);
  const answer: PartitionAnswer = {
    partitionIndex: index,
    errorCode: ErrorCode.NONE,
    highWatermark: replica.highWatermark,
    lastStableOffset: replica.lastStableOffset,
    logStartOffset: replica.logStartOffset,
  };
  if (apiVersion >= 4) {
    answer.abortedTransactions = isReadCommitted ? (data.abortedTransactions ?? []).map((txn) => ({ producerId: txn.producerId, firstOffset: txn.firstOffset })) : null;
  }
  if (apiVersion >= 11) answer.preferredReadReplica = -1;
  answer.records = records;
  return answer;
}
