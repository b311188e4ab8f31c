/**
 * Committed offsets of one coordinator, as Kafka 3.x's `GroupCoordinator.handleCommitOffsets` /
 * `handleTxnCommitOffsets` / `handleFetchOffsets` / `handleDeleteOffsets` and `GroupMetadataManager.storeOffsets`
 * / `getOffsets` do them:
 * - a commit is checked against the group (generation, member, state), written to the group's
 *   `__consumer_offsets` partition and becomes visible once replicated; commits of the current generation
 *   are accepted while the group prepares a rebalance (the heartbeat tells the member to rejoin) and refused
 *   with REBALANCE_IN_PROGRESS once it completes one; a member's commit also counts as its heartbeat;
 * - generation -1 on an Empty (or unknown) group is a "simple" commit without membership (admin tools,
 *   standalone consumers);
 * - offsets are stored verbatim (negative ones too), metadata longer than `offset.metadata.max.bytes` is
 *   OFFSET_METADATA_TOO_LARGE for that partition;
 * - transactional commits (KIP-98) are written as transactional batches of the producer and stay pending
 *   until the transaction coordinator's marker completes them; the first one of a transaction is verified with
 *   the transaction coordinator (KIP-890 part 1) when `transaction.partition.verification.enable` is on.
 */
import { ErrorCode } from '../../protocol/index.ts';
import { OFFSETS_TOPIC } from '../internal-topics.ts';
import type { VerificationGuard } from '../producer-state.ts';
import type { GroupCoordinator } from './group-coordinator.ts';
import { ClassicGroup } from './group.ts';
import type { TopicPartition, TopicPartitionOffset } from './group-offsets.ts';
import { appendToOffsetsPartition, offsetsReplica } from './offsets-topic.ts';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from './records.ts';

export interface PartitionError extends TopicPartition {
  readonly errorCode: number;
}

export interface FetchedOffset extends TopicPartition {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface CommitInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly generationId: number;
  readonly offsets: readonly TopicPartitionOffset[];
}

export interface TxnCommitInput extends CommitInput {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** `maybeConvertOffsetCommitError`: what a failed offsets write means to the committer. */
export function offsetCommitError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return errorCode;
  }
}

const allFailed = (offsets: readonly TopicPartition[], errorCode: number): PartitionError[] =>
  offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }));

export class OffsetCommits {
  constructor(private readonly coordinator: GroupCoordinator) {}

  async commitOffsets(input: CommitInput): Promise<PartitionError[]> {
    const statusError = this.coordinator.validateGroupStatus(input.groupId, 'OffsetCommit');
    if (statusError !== null) return allFailed(input.offsets, statusError);
    let group = this.coordinator.getGroup(input.groupId);
    if (group === undefined) {
      // Without group management (generation -1) the commit creates the group; otherwise it is from an old generation.
      if (input.generationId >= 0) return allFailed(input.offsets, ErrorCode.ILLEGAL_GENERATION);
      group = this.coordinator.addGroup(new ClassicGroup(input.groupId, 'Empty', this.coordinator.broker.runtime.now()));
    }
    const validationError = this.validateOffsetCommit(group, input, false);
    if (validationError !== null) return allFailed(input.offsets, validationError);
    switch (group.state) {
      case 'Empty':
        return this.storeOffsets(group, input.offsets, -1n, -1);
      case 'Stable':
      case 'PreparingRebalance':
        // The heartbeat, not the commit, tells a member of a rebalancing group to rejoin.
        this.coordinator.rebalance.completeAndScheduleNextHeartbeatExpiration(group, group.get(input.memberId));
        return this.storeOffsets(group, input.offsets, -1n, -1);
      case 'CompletingRebalance':
        return allFailed(input.offsets, ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Dead':
        return allFailed(input.offsets, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  async commitTransactionalOffsets(input: TxnCommitInput): Promise<PartitionError[]> {
    const statusError = this.coordinator.validateGroupStatus(input.groupId, 'TxnOffsetCommit');
    if (statusError !== null) return allFailed(input.offsets, statusError);
    const group = this.coordinator.getGroup(input.groupId) ?? this.coordinator.addGroup(new ClassicGroup(input.groupId, 'Empty', this.coordinator.broker.runtime.now()));
    const verification = await this.verifyTransaction(input);
    if (typeof verification === 'number') return allFailed(input.offsets, offsetCommitError(verification));
    const validationError = this.validateOffsetCommit(group, input, true);
    if (validationError !== null) return allFailed(input.offsets, validationError);
    return this.storeOffsets(group, input.offsets, input.producerId, input.producerEpoch, verification ?? undefined);
  }

  /**
   * KIP-890 part 1 (`transaction.partition.verification.enable`): before the first transactional write of a
   * producer to the offsets partition, the transaction coordinator must confirm the partition is in the
   * transaction (AddOffsetsToTxn). Returns the guard to append with, null when no check was needed, or the error.
   */
  private async verifyTransaction(input: TxnCommitInput): Promise<VerificationGuard | null | number> {
    const broker = this.coordinator.broker;
    if (!broker.config.bool('transaction.partition.verification.enable')) return null;
    const partition = this.coordinator.partitionFor(input.groupId);
    const replica = offsetsReplica(broker, partition);
    if (replica === undefined || !replica.isLeader || replica.producerState.hasOngoingTransaction(input.producerId)) return null;
    const guard = replica.producerState.startVerification(input.producerId);
    const errorCode = await broker.transactionCoordinator.verifyPartition(input.transactionalId, input.producerId, input.producerEpoch, { topic: OFFSETS_TOPIC, partition });
    return errorCode === ErrorCode.NONE ? guard : errorCode;
  }

  /**
   * `validateOffsetCommit`: generation -1 on an Empty group needs no membership; a generation, member id or
   * instance id must name a current member of the current generation; anything else (no identity) commits
   * only to an Empty group, except transactional commits, whose older versions carry no identity at all.
   */
  private validateOffsetCommit(group: ClassicGroup, input: CommitInput, isTransactional: boolean): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (input.generationId < 0 && group.is('Empty')) return null;
    if (input.generationId >= 0 || input.memberId !== '' || input.groupInstanceId !== null) {
      const memberError = this.coordinator.membership.validateCurrentMember(group, input.memberId, input.groupInstanceId);
      if (memberError !== null) return memberError;
      return input.generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : null;
    }
    if (!isTransactional && !group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    return null;
  }

  /** `storeOffsets`: one batch (transactional for a producer) with the offsets whose metadata fits. */
  private async storeOffsets(
    group: ClassicGroup,
    offsets: readonly TopicPartitionOffset[],
    producerId: bigint,
    producerEpoch: number,
    verificationGuard?: VerificationGuard,
  ): Promise<PartitionError[]> {
    const maxMetadataBytes = this.coordinator.broker.config.int('offset.metadata.max.bytes');
    // Kafka measures String.length (UTF-16 code units), as JavaScript's length does.
    const fits = (o: TopicPartitionOffset): boolean => o.offsetAndMetadata.metadata.length <= maxMetadataBytes;
    const accepted = offsets.filter(fits);
    if (accepted.length === 0) return allFailed(offsets, ErrorCode.OFFSET_METADATA_TOO_LARGE);
    const partition = this.coordinator.partitionFor(group.groupId);
    if (offsetsReplica(this.coordinator.broker, partition) === undefined) return allFailed(offsets, ErrorCode.NOT_COORDINATOR);

    const isTransactional = producerId !== -1n;
    if (isTransactional) {
      this.coordinator.addProducerGroup(producerId, group.groupId);
      group.offsets.prepareTxnOffsetCommit(producerId, accepted);
    } else {
      group.offsets.prepareOffsetCommit(accepted);
    }
    const records = accepted.map((o) => ({ key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition), value: encodeOffsetCommitValue(o.offsetAndMetadata) }));
    const outcome = await appendToOffsetsPartition(this.coordinator.broker, partition, records, {
      requiredAcks: this.coordinator.broker.config.int('offsets.commit.required.acks'),
      producerId,
      producerEpoch,
      isTransactional,
      verificationGuard,
    });

    let errorCode: number = ErrorCode.NONE;
    if (outcome.errorCode === ErrorCode.NONE) {
      if (!group.is('Dead')) {
        for (const o of accepted) {
          const record = { appendedBatchOffset: outcome.baseOffset, offsetAndMetadata: o.offsetAndMetadata };
          if (isTransactional) group.offsets.onTxnOffsetCommitAppend(producerId, o, record);
          else group.offsets.onOffsetCommitAppend(o, record);
        }
      }
    } else {
      if (!group.is('Dead')) {
        if (!group.offsets.hasPendingOffsetCommitsFromProducer(producerId)) this.coordinator.removeProducerGroup(producerId, group.groupId);
        for (const o of accepted) {
          if (isTransactional) group.offsets.failPendingTxnOffsetCommit(producerId, o);
          else group.offsets.failPendingOffsetWrite(o, o.offsetAndMetadata);
        }
      }
      errorCode = offsetCommitError(outcome.errorCode);
    }
    return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: fits(o) ? errorCode : ErrorCode.OFFSET_METADATA_TOO_LARGE }));
  }

  /**
   * `handleFetchOffsets` / `getOffsets`: whatever the group's state (offsets may be used without group
   * management); `partitions` null means every committed partition. A partition without a commit is offset -1
   * with metadata ""; with `requireStable`, one with a commit in flight or in an open transaction is
   * UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(groupId: string, requireStable: boolean, partitions: readonly TopicPartition[] | null): { errorCode: number; offsets: FetchedOffset[] } {
    const statusError = this.coordinator.validateGroupStatus(groupId, 'OffsetFetch');
    if (statusError !== null) return { errorCode: statusError, offsets: [] };
    const none = (tp: TopicPartition, errorCode: number = ErrorCode.NONE): FetchedOffset => ({ topic: tp.topic, partition: tp.partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode });
    const group = this.coordinator.getGroup(groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.NONE, offsets: (partitions ?? []).map((tp) => none(tp)) };
    const wanted = partitions ?? group.offsets.all();
    const offsets = wanted.map((tp) => {
      if (requireStable && group.offsets.hasPendingOffsetCommitsForTopicPartition(tp)) return none(tp, ErrorCode.UNSTABLE_OFFSET_COMMIT);
      const committed = group.offsets.offset(tp);
      if (committed === undefined) return none(tp);
      return { topic: tp.topic, partition: tp.partition, offset: committed.offset, leaderEpoch: committed.leaderEpoch, metadata: committed.metadata, errorCode: ErrorCode.NONE };
    });
    return { errorCode: ErrorCode.NONE, offsets };
  }

  /**
   * `handleDeleteOffsets` (KIP-496): an Empty group loses the offsets; a consumer group that is rebalancing or
   * stable keeps those of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); any other non-empty group is
   * NON_EMPTY_GROUP. Deleted offsets are tombstoned in the log.
   */
  deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): { errorCode: number; partitions: PartitionError[] } {
    const statusError = this.coordinator.validateGroupStatus(groupId, 'OffsetDelete');
    if (statusError !== null) return { errorCode: statusError, partitions: [] };
    const group = this.coordinator.getGroup(groupId);
    const missing = (): number => (this.coordinator.groupNotExists(groupId) ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR);
    if (group === undefined || group.is('Dead')) return { errorCode: missing(), partitions: [] };
    let eligible: readonly TopicPartition[] = [];
    const results = new Map<TopicPartition, number>();
    if (group.is('Empty')) {
      eligible = partitions;
    } else if (group.isConsumerGroup) {
      eligible = partitions.filter((tp) => !group.isSubscribedToTopic(tp.topic));
      for (const tp of partitions) if (group.isSubscribedToTopic(tp.topic)) results.set(tp, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    } else {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    }
    if (eligible.length > 0) {
      this.coordinator.cleanupGroupMetadata([group], (g) => g.offsets.remove(eligible));
      for (const tp of eligible) results.set(tp, ErrorCode.NONE);
    }
    return { errorCode: ErrorCode.NONE, partitions: partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, errorCode: results.get(tp) ?? ErrorCode.NONE })) };
  }
}
