/**
 * The group coordinator of one broker (Kafka 3.x's classic `GroupCoordinator` with its `GroupMetadataManager`):
 * it serves the groups whose `__consumer_offsets` partition (`abs(groupId.hashCode) % partitions`) this broker
 * leads, keeps their membership in memory and their committed offsets and group metadata in that partition's
 * log.
 *
 * Ownership follows the metadata image: when the broker becomes leader of an offsets partition it replays the
 * partition's log (COORDINATOR_LOAD_IN_PROGRESS until done, one timer tick later), then serves its groups
 * (members restored from the log get a fresh session); when it stops leading one, its groups are unloaded and
 * requests waiting in a rebalance are answered NOT_COORDINATOR. A crash moves the coordinator with the
 * partition leadership and the new one finds everything that was replicated.
 *
 * Also here: DescribeGroups, ListGroups and DeleteGroups, the periodic expiration of offsets
 * (`offsets.retention.minutes`, Kafka 2.1+ rules: an Empty group's offsets expire retention after it became
 * empty), the removal of offsets of deleted topics, and the completion of transactional offset commits when
 * the transaction coordinator has written its marker.
 *
 * The membership protocol is in membership.ts and rebalance.ts, offset commits and fetches in offset-commits.ts.
 * Leaves out: the KIP-848 consumer protocol, share groups, authorization.
 */
import { ErrorCode } from '../../protocol/index.ts';
import type { Timer } from '../../runtime/index.ts';
import type { Broker } from '../broker.ts';
import { coordinatorPartition, effectiveReplicationFactor, lookupCoordinator, OFFSETS_TOPIC, type CoordinatorLookup } from '../internal-topics.ts';
import type { MetadataImage } from '../metadata.ts';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE } from './group.ts';
import type { TopicPartition } from './group-offsets.ts';
import { Membership } from './membership.ts';
import { OffsetCommits } from './offset-commits.ts';
import { Rebalance } from './rebalance.ts';
import { appendToOffsetsPartition, loadOffsetsPartition, offsetsReplica } from './offsets-topic.ts';
import { encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey } from './records.ts';

export type GroupApi =
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'TxnOffsetCommit'
  | 'OffsetFetch'
  | 'DescribeGroups'
  | 'DeleteGroups'
  | 'OffsetDelete';

/** APIs that accept the empty group id (offsets without group management, and admin views of "all groups"). */
const EMPTY_GROUP_ID_APIS: ReadonlySet<GroupApi> = new Set(['OffsetCommit', 'OffsetFetch', 'DescribeGroups', 'DeleteGroups']);

export interface MemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly metadata: Buffer;
  readonly assignment: Buffer;
}

export interface GroupDescription {
  readonly errorCode: number;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly members: readonly MemberDescription[];
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: string;
}

/** `GroupMetadataManager.storeGroup`'s mapping of a failed group metadata write. */
function storeGroupError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

export class GroupCoordinator {
  isActive = false;
  /** The groups of the partitions this broker owns or is loading, in the order they appeared. */
  private readonly groups = new Map<string, ClassicGroup>();
  /** Offsets partitions served, with the leader epoch they were loaded at. */
  private readonly ownedPartitions = new Map<number, number>();
  private readonly loadingPartitions = new Map<number, { epoch: number; timer: Timer }>();
  /** Groups with transactional offsets pending per producer id (`openGroupsForProducer`). */
  private readonly openGroupsForProducer = new Map<bigint, Set<string>>();
  /** Topic ids of the last image, to notice deleted topics. */
  private knownTopics = new Map<string, string>();
  private retentionTimer: Timer | null = null;
  readonly membership = new Membership(this);
  readonly rebalance = new Rebalance(this);
  readonly offsetCommits = new OffsetCommits(this);

  constructor(readonly broker: Broker) {}

  /** The broker started (or restarted). */
  start(): void {
    if (this.isActive) return;
    this.isActive = true;
    this.knownTopics = new Map([...this.broker.image.topics.values()].map((t) => [t.name, t.topicId]));
    // Kafka runs the expiration task right away, then every offsets.retention.check.interval.ms.
    const expire = (): void => {
      if (!this.isActive) return;
      this.expireOffsets();
      this.retentionTimer = this.broker.runtime.timer(this.broker.config.int('offsets.retention.check.interval.ms'), expire, `${this.broker.node}:offsets-expiration`);
    };
    this.retentionTimer = this.broker.runtime.timer(0, expire, `${this.broker.node}:offsets-expiration`);
    this.onImage(this.broker.image);
  }

  /** The broker crashed or shut down: drop in-memory state and cancel timers. */
  stop(): void {
    if (!this.isActive) return;
    this.isActive = false;
    this.retentionTimer?.cancel();
    this.retentionTimer = null;
    for (const loading of this.loadingPartitions.values()) loading.timer.cancel();
    this.loadingPartitions.clear();
    this.ownedPartitions.clear();
    for (const group of this.groups.values()) this.rebalance.onGroupUnloaded(group);
    this.groups.clear();
    this.openGroupsForProducer.clear();
  }

  /** The broker adopted a new metadata image (leadership of offsets partitions may have changed). */
  onImage(image: MetadataImage): void {
    if (!this.isActive) return;
    this.removeOffsetsOfDeletedTopics(image);
    const topic = image.topics.get(OFFSETS_TOPIC);
    const led = new Map<number, number>();
    for (const registration of topic?.partitions ?? []) {
      const replica = offsetsReplica(this.broker, registration.partition);
      if (replica !== undefined && replica.isLeader && replica.topicId === topic!.topicId) led.set(registration.partition, replica.leaderEpoch);
    }
    const served = [...this.ownedPartitions, ...[...this.loadingPartitions].map(([p, l]) => [p, l.epoch] as const)];
    // A new leader epoch without a resignation in between means the log may have changed under the cache: reload.
    for (const [partition, epoch] of served) if (led.get(partition) !== epoch) this.resign(partition);
    for (const [partition, epoch] of led) {
      if (!this.ownedPartitions.has(partition) && !this.loadingPartitions.has(partition)) this.elect(partition, epoch);
    }
  }

  /**
   * A transaction marker for `producerId` was written to partition `offsetsPartition` of __consumer_offsets
   * on this broker: pending transactional offset commits of that producer become committed (commit) or are
   * dropped (abort), as Kafka's `GroupCoordinator.onTransactionCompleted` does.
   */
  completeTransaction(offsetsPartition: number, producerId: bigint, _producerEpoch: number, commit: boolean): void {
    const groupIds = this.openGroupsForProducer.get(producerId);
    if (groupIds === undefined) return;
    for (const groupId of [...groupIds]) {
      if (this.partitionFor(groupId) !== offsetsPartition) continue;
      const group = this.groups.get(groupId);
      // A group that moved to another coordinator is completed there, from the marker in the log.
      if (group === undefined || group.is('Dead')) continue;
      group.offsets.completePendingTxnOffsetCommit(producerId, commit);
      this.removeProducerGroup(producerId, groupId);
    }
  }

  /** FindCoordinator for a group: the leader of its offsets partition, creating `__consumer_offsets` on first use. */
  findCoordinator(groupId: string): CoordinatorLookup {
    const config = this.broker.config;
    return lookupCoordinator(this.broker, OFFSETS_TOPIC, groupId, {
      partitions: config.int('offsets.topic.num.partitions'),
      replicationFactor: effectiveReplicationFactor(this.broker, 'offsets.topic.replication.factor'),
      // `GroupCoordinator.offsetsTopicConfigs`.
      configs: new Map([
        ['cleanup.policy', 'compact'],
        ['segment.bytes', String(config.int('offsets.topic.segment.bytes'))],
        ['compression.type', 'producer'],
      ]),
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Ownership

  private elect(partition: number, epoch: number): void {
    // Kafka loads on its scheduler thread; requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS.
    const timer = this.broker.runtime.timer(0, () => this.load(partition, epoch), `${this.broker.node}:load-offsets-${partition}`);
    this.loadingPartitions.set(partition, { epoch, timer });
  }

  private load(partition: number, epoch: number): void {
    if (!this.isActive || this.loadingPartitions.get(partition)?.epoch !== epoch) return;
    this.loadingPartitions.delete(partition);
    const replica = offsetsReplica(this.broker, partition);
    if (replica === undefined || !replica.isLeader || replica.leaderEpoch !== epoch) return;
    const loaded = loadOffsetsPartition(replica, this.broker.runtime.now());
    const fresh: ClassicGroup[] = [];
    for (const group of loaded.groups) {
      if (this.groups.has(group.groupId)) continue;
      this.groups.set(group.groupId, group);
      for (const producerId of group.offsets.activeProducers) this.addProducerGroup(producerId, group.groupId);
      fresh.push(group);
    }
    this.ownedPartitions.set(partition, epoch);
    for (const group of fresh) this.rebalance.onGroupLoaded(group);
  }

  private resign(partition: number): void {
    this.loadingPartitions.get(partition)?.timer.cancel();
    this.loadingPartitions.delete(partition);
    this.ownedPartitions.delete(partition);
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      this.rebalance.onGroupUnloaded(group);
      this.groups.delete(group.groupId);
      for (const groupIds of this.openGroupsForProducer.values()) groupIds.delete(group.groupId);
    }
  }

  /** `onPartitionsDeleted`: a deleted topic's offsets go from every group (tombstoned in the log). */
  private removeOffsetsOfDeletedTopics(image: MetadataImage): void {
    const deleted = new Set<string>();
    for (const [name, topicId] of this.knownTopics) if (image.topics.get(name)?.topicId !== topicId) deleted.add(name);
    this.knownTopics = new Map([...image.topics.values()].map((t) => [t.name, t.topicId]));
    if (deleted.size === 0) return;
    this.cleanupGroupMetadata([...this.groups.values()], (group) =>
      group.offsets.remove(group.offsets.all().filter((o) => deleted.has(o.topic))),
    );
  }

  /** The offsets partition count: the topic's, or the configured one before it exists. */
  private get partitionCount(): number {
    return this.broker.image.topics.get(OFFSETS_TOPIC)?.partitions.length ?? this.broker.config.int('offsets.topic.num.partitions');
  }

  partitionFor(groupId: string): number {
    return coordinatorPartition(groupId, this.partitionCount);
  }

  /** `validateGroupStatus`: a valid group id, an active coordinator, loaded, and the group's coordinator. */
  validateGroupStatus(groupId: string, api: GroupApi): number | null {
    if (groupId.length === 0 && !EMPTY_GROUP_ID_APIS.has(api)) return ErrorCode.INVALID_GROUP_ID;
    if (!this.isActive) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = this.partitionFor(groupId);
    if (this.loadingPartitions.has(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.ownedPartitions.has(partition)) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  /** Whether a group of a partition this broker loads right now, for tests and ListGroups. */
  get isLoading(): boolean {
    return this.loadingPartitions.size > 0;
  }

  // -------------------------------------------------------------------------------------------------------
  // The group cache

  getGroup(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  getOrMaybeCreateGroup(groupId: string, createIfMissing: boolean): ClassicGroup | undefined {
    const existing = this.groups.get(groupId);
    if (existing !== undefined || !createIfMissing) return existing;
    return this.addGroup(new ClassicGroup(groupId, 'Empty', this.broker.runtime.now()));
  }

  addGroup(group: ClassicGroup): ClassicGroup {
    const existing = this.groups.get(group.groupId);
    if (existing !== undefined) return existing;
    this.groups.set(group.groupId, group);
    return group;
  }

  /** The group is ours and absent or dead: GROUP_ID_NOT_FOUND rather than NOT_COORDINATOR. */
  groupNotExists(groupId: string): boolean {
    if (!this.ownedPartitions.has(this.partitionFor(groupId))) return false;
    const group = this.groups.get(groupId);
    return group === undefined || group.is('Dead');
  }

  addProducerGroup(producerId: bigint, groupId: string): void {
    let groupIds = this.openGroupsForProducer.get(producerId);
    if (groupIds === undefined) {
      groupIds = new Set();
      this.openGroupsForProducer.set(producerId, groupIds);
    }
    groupIds.add(groupId);
  }

  removeProducerGroup(producerId: bigint, groupId: string): void {
    const groupIds = this.openGroupsForProducer.get(producerId);
    if (groupIds === undefined) return;
    groupIds.delete(groupId);
    if (groupIds.size === 0) this.openGroupsForProducer.delete(producerId);
  }

  // -------------------------------------------------------------------------------------------------------
  // Writes

  /**
   * Persists the group's generation (members, protocol, leader, the given assignment) and resolves with the
   * error a member sees. The write waits for replication like an offset commit.
   */
  async storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    const partition = this.partitionFor(group.groupId);
    if (offsetsReplica(this.broker, partition) === undefined) return ErrorCode.NOT_COORDINATOR;
    const protocolName = group.protocolName;
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName,
      leaderId: group.leaderId,
      currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocolName === null ? Buffer.alloc(0) : m.metadata(protocolName),
        assignment: assignment.get(m.memberId) ?? Buffer.alloc(0),
      })),
    });
    const outcome = await appendToOffsetsPartition(this.broker, partition, [{ key: encodeGroupMetadataKey(group.groupId), value }], {
      requiredAcks: this.broker.config.int('offsets.commit.required.acks'),
    });
    return storeGroupError(outcome.errorCode);
  }

  /**
   * `cleanupGroupMetadata`: applies `selector` (which removes offsets) to each group, turns an Empty group
   * left without offsets Dead and forgets it, and appends tombstones for what went (the group's own record
   * too, if it ever had a generation) without waiting for replication: a lost tombstone is written again by
   * the next cleanup. Returns the number of offsets removed.
   */
  cleanupGroupMetadata(groups: readonly ClassicGroup[], selector: (group: ClassicGroup) => TopicPartition[]): number {
    let removedCount = 0;
    for (const group of groups) {
      const removed = selector(group);
      if (group.is('Empty') && !group.offsets.hasOffsets) {
        group.transitionTo('Dead', this.broker.runtime.now());
        this.rebalance.cancelTimers(group);
      }
      const tombstones = removed.map((tp) => ({ key: encodeOffsetCommitKey(group.groupId, tp.topic, tp.partition), value: null }));
      if (group.is('Dead') && this.groups.get(group.groupId) === group) {
        this.groups.delete(group.groupId);
        // A group that only stored offsets (generation 0) never wrote a group record.
        if (group.generationId > 0) tombstones.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
      }
      if (tombstones.length > 0) void appendToOffsetsPartition(this.broker, this.partitionFor(group.groupId), tombstones, { requiredAcks: 0 });
      removedCount += removed.length;
    }
    return removedCount;
  }

  /** `removeExpiredOffsets` over every group, then the cleanup above. */
  private expireOffsets(): number {
    const nowMs = BigInt(this.broker.runtime.now());
    const retentionMs = BigInt(this.broker.config.int('offsets.retention.minutes')) * 60_000n;
    return this.cleanupGroupMetadata([...this.groups.values()], (group) => {
      const none = new Set<string>();
      if (group.protocolType !== null && group.is('Empty')) {
        // Kafka 2.1+ (KIP-211): an empty group's offsets expire retention after the group became empty.
        const since = group.currentStateTimestamp;
        return group.offsets.removeExpired(nowMs, retentionMs, (o) => (since === null ? o.commitTimestamp : BigInt(since)), none);
      }
      if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.is('Stable')) {
        return group.offsets.removeExpired(nowMs, retentionMs, (o) => o.commitTimestamp, group.subscribedTopics);
      }
      if (group.protocolType === null) return group.offsets.removeExpired(nowMs, retentionMs, (o) => o.commitTimestamp, none);
      return [];
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Describe, list, delete

  describeGroup(groupId: string): GroupDescription {
    const statusError = this.validateGroupStatus(groupId, 'DescribeGroups');
    if (statusError !== null) return { errorCode: statusError, state: '', protocolType: '', protocol: '', members: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.NONE, state: 'Dead', protocolType: '', protocol: '', members: [] };
    const protocol = group.is('Stable') ? group.protocolName : null;
    return {
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol: protocol ?? '',
      // Member metadata and assignments are only shown once the group is stable.
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: protocol === null ? Buffer.alloc(0) : m.metadata(protocol),
        assignment: protocol === null ? Buffer.alloc(0) : m.assignment,
      })),
    };
  }

  /** Every group this broker coordinates; LOAD_IN_PROGRESS (with the groups so far) while a partition loads. */
  listGroups(states: readonly string[]): { errorCode: number; groups: GroupListing[] } {
    if (!this.isActive) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const wanted = new Set(states);
    const groups = [...this.groups.values()]
      .filter((g) => wanted.size === 0 || wanted.has(g.state))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }));
    return { errorCode: this.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  /** `handleDeleteGroups`: only Empty groups go (NON_EMPTY_GROUP otherwise); their offsets and record are tombstoned. */
  deleteGroups(groupIds: readonly string[]): Array<{ groupId: string; errorCode: number }> {
    const errors = new Map<string, number>();
    const eligible: ClassicGroup[] = [];
    for (const groupId of groupIds) {
      const statusError = this.validateGroupStatus(groupId, 'DeleteGroups');
      if (statusError !== null) {
        errors.set(groupId, statusError);
        continue;
      }
      const group = this.groups.get(groupId);
      if (group === undefined || group.is('Dead')) {
        errors.set(groupId, this.groupNotExists(groupId) ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR);
      } else if (group.is('Empty')) {
        group.transitionTo('Dead', this.broker.runtime.now());
        this.rebalance.cancelTimers(group);
        eligible.push(group);
      } else {
        errors.set(groupId, ErrorCode.NON_EMPTY_GROUP);
      }
    }
    if (eligible.length > 0) {
      this.cleanupGroupMetadata(eligible, (group) => group.offsets.removeAll());
      for (const group of eligible) errors.set(group.groupId, ErrorCode.NONE);
    }
    return groupIds.map((groupId) => ({ groupId, errorCode: errors.get(groupId) ?? ErrorCode.NONE }));
  }
}
