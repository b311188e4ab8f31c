/**
 * One consumer's membership in its group (KafkaJS's `consumer/consumerGroup.js`): JoinGroup (with the
 * MEMBER_ID_REQUIRED round), the leader's assignment, SyncGroup, the rate-limited heartbeat that is only
 * ever sent when the runner asks for it, the fetch of assigned partitions led by one broker, pause/resume
 * and seeks, and the recovery KafkaJS applies to fetch errors.
 */
import { ApiKey } from '../../protocol/index.ts';
import { AssignerProtocol, type Assigner, type GroupMember } from '../assigners.ts';
import type { Broker } from '../broker.ts';
import type { Cluster } from '../cluster.ts';
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSOffsetOutOfRange,
  KafkaJSStaleTopicMetadataAssignment,
  createErrorFromCode,
  isRebalancing,
} from '../errors.ts';
import type { InstrumentationEmitter } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { ClientProcess } from '../process.ts';
import { createRetry, type Retrier, type RetryOptions } from '../retry.ts';
import { FetchedPartition, scanFetchedRecords } from './batch.ts';
import { OffsetManager, type Offsets, type TopicConfiguration } from './offset-manager.ts';
import { SubscriptionState, type TopicPartitions } from './subscription-state.ts';
import { requireCodec } from './codecs.ts';

const STALE_METADATA_ERRORS = new Set(['LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'UNKNOWN_TOPIC_OR_PARTITION']);

export interface ConsumerGroupOptions {
  process: ClientProcess;
  retry: RetryOptions;
  cluster: Cluster;
  groupId: string;
  topics: string[];
  topicConfigurations: Record<string, TopicConfiguration>;
  logger: Logger;
  instrumentation: InstrumentationEmitter;
  assigners: Assigner[];
  sessionTimeout: number;
  rebalanceTimeout: number;
  maxBytesPerPartition: number;
  minBytes: number;
  maxBytes: number;
  maxWaitTimeInMs: number;
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
  isolationLevel: number;
  rackId: string;
}

export class ConsumerGroup {
  readonly groupId: string;
  readonly cluster: Cluster;
  topics: string[];
  readonly topicsSubscribed: string[];
  coordinator: Broker | null = null;
  generationId: number | null = null;
  leaderId: string | null = null;
  memberId: string | null = null;
  members: GroupMember[] = [];
  groupProtocol: string | null = null;
  offsetManager: OffsetManager | null = null;
  private partitionsPerSubscribedTopic: Map<string, number[]> | null = null;
  private readonly subscriptionState = new SubscriptionState();
  private readonly seekOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  private readonly retrier: Retrier;
  private readonly logger: Logger;
  private lastRequest: number;
  private heartbeatInFlight: Promise<void> | null = null;

  constructor(private readonly options: ConsumerGroupOptions) {
    this.groupId = options.groupId;
    this.cluster = options.cluster;
    this.topics = options.topics;
    this.topicsSubscribed = options.topics;
    this.logger = options.logger.namespace('ConsumerGroup');
    this.retrier = createRetry(options.process, options.retry);
    this.lastRequest = options.process.now();
  }

  isLeader(): boolean {
    return this.leaderId !== null && this.leaderId !== '' && this.memberId === this.leaderId;
  }

  getNodeIds(): number[] {
    return this.cluster.getNodeIds();
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
    this.options.instrumentation.emit('consumer.connect');
    await this.cluster.refreshMetadataIfNecessary();
  }

  private async join(): Promise<void> {
    const { groupId, sessionTimeout, rebalanceTimeout } = this.options;
    this.coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const protocols = this.options.assigners.map((assigner) => assigner.protocol({ topics: this.topicsSubscribed }));
    const joinOnce = async (memberId: string) => {
      const { response } = await this.coordinator!.request(ApiKey.JoinGroup, () => ({
        groupId,
        sessionTimeoutMs: sessionTimeout,
        rebalanceTimeoutMs: rebalanceTimeout,
        memberId,
        protocolType: 'consumer',
        protocols: protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      }), { extraTimeoutMs: rebalanceTimeout });
      return response;
    };
    let response = await joinOnce(this.memberId ?? '');
    if (response.errorCode === 79) {
      // MEMBER_ID_REQUIRED (JoinGroup v4+): join again with the id the coordinator assigned (KafkaJS's broker.joinGroup).
      response = await joinOnce(response.memberId);
    }
    if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
    this.generationId = response.generationId;
    this.leaderId = response.leader;
    this.memberId = response.memberId;
    this.members = response.members.map((m) => ({ memberId: m.memberId, memberMetadata: m.metadata }));
    this.groupProtocol = response.protocolName;
  }

  async leave(): Promise<void> {
    const { memberId } = this;
    if (memberId && this.coordinator !== null) {
      const { response } = await this.coordinator.request(ApiKey.LeaveGroup, (v) =>
        v >= 3 ? { groupId: this.groupId, members: [{ memberId, groupInstanceId: null }] } : { groupId: this.groupId, memberId },
      );
      if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      for (const member of response.members ?? []) if (member.errorCode !== 0) throw createErrorFromCode(member.errorCode);
      this.memberId = null;
    }
  }

  private async sync(): Promise<void> {
    const { groupId, generationId, memberId, members, groupProtocol } = this;
    let assignment: Array<{ memberId: string; memberAssignment: Buffer }> = [];
    if (this.isLeader()) {
      this.logger.debug('Chosen as group leader', { groupId, generationId, memberId, topics: this.topics });
      const assigner = this.options.assigners.find(({ name }) => name === groupProtocol);
      if (assigner === undefined) {
        throw new KafkaJSNonRetriableError(`Unsupported partition assigner "${groupProtocol}", the assigner wasn't found in the assigners list`);
      }
      await this.cluster.refreshMetadata();
      assignment = await assigner.assign({ members, topics: this.topicsSubscribed });
    }
    this.partitionsPerSubscribedTopic = this.generatePartitionsPerSubscribedTopic();
    const { response } = await this.coordinator!.request(ApiKey.SyncGroup, () => ({
      groupId,
      generationId: generationId!,
      memberId: memberId!,
      assignments: assignment.map((a) => ({ memberId: a.memberId, assignment: a.memberAssignment })),
    }));
    if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
    const decoded = AssignerProtocol.MemberAssignment.decode(response.assignment);
    const decodedAssignment = decoded !== null ? decoded.assignment : {};
    const assignedTopics = Object.keys(decodedAssignment);
    const topicsNotSubscribed = assignedTopics.filter((t) => !this.topicsSubscribed.includes(t));
    if (topicsNotSubscribed.length > 0) {
      const payload = { groupId, generationId, memberId, assignedTopics, topicsSubscribed: this.topicsSubscribed, topicsNotSubscribed };
      this.options.instrumentation.emit('consumer.received_unsubscribed_topics', payload);
      this.logger.warn('Consumer group received unsubscribed topics', {
        ...payload,
        helpUrl: 'https://kafka.js.org/docs/faq#why-am-i-receiving-messages-for-topics-i-m-not-subscribed-to',
      });
    }
    const current = assignedTopics.filter((t) => !topicsNotSubscribed.includes(t)).map((topic) => ({ topic, partitions: decodedAssignment[topic] }));
    for (const { topic, partitions } of current) {
      const known = this.partitionsPerSubscribedTopic.get(topic) ?? [];
      if (!partitions.every((p) => known.includes(p))) {
        this.logger.warn('Consumer is not aware of all assigned partitions, refreshing metadata', { groupId, generationId, memberId, topic });
        await this.cluster.refreshMetadata();
        this.partitionsPerSubscribedTopic = this.generatePartitionsPerSubscribedTopic();
        break;
      }
    }
    this.topics = current.map(({ topic }) => topic);
    this.subscriptionState.assign(current);
    this.offsetManager = new OffsetManager({
      process: this.options.process,
      cluster: this.cluster,
      coordinator: this.coordinator!,
      topicConfigurations: this.options.topicConfigurations,
      instrumentation: this.options.instrumentation,
      memberAssignment: Object.fromEntries(current.map(({ topic, partitions }) => [topic, partitions])),
      autoCommit: this.options.autoCommit,
      autoCommitInterval: this.options.autoCommitInterval,
      autoCommitThreshold: this.options.autoCommitThreshold,
      groupId,
      generationId: generationId!,
      memberId: memberId!,
    });
  }

  joinAndSync(): Promise<void> {
    const startJoin = this.options.process.now();
    return this.retrier(async (bail) => {
      try {
        await this.join();
        await this.sync();
        const memberAssignment = Object.fromEntries(this.assigned().map(({ topic, partitions }) => [topic, partitions]));
        const payload = {
          groupId: this.groupId,
          memberId: this.memberId,
          leaderId: this.leaderId,
          isLeader: this.isLeader(),
          memberAssignment,
          groupProtocol: this.groupProtocol,
          duration: this.options.process.now() - startJoin,
        };
        this.options.instrumentation.emit('consumer.group_join', payload);
        this.logger.info('Consumer has joined the group', payload);
      } catch (e) {
        if (isRebalancing(e as { type?: string })) throw new KafkaJSError(e as Error);
        if ((e as { type?: string }).type === 'UNKNOWN_MEMBER_ID') {
          this.memberId = null;
          throw new KafkaJSError(e as Error);
        }
        bail(e);
      }
    });
  }

  resetOffset(tp: { topic: string; partition: number }): void {
    this.offsetManager!.resetOffset(tp);
  }

  resolveOffset(tp: { topic: string; partition: number; offset: string }): void {
    this.offsetManager!.resolveOffset(tp);
  }

  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    this.seekOffsets.set(JSON.stringify([topic, partition]), { topic, partition, offset });
  }

  hasSeekOffset({ topic, partition }: { topic: string; partition: number }): boolean {
    // Asked before every message: skip building the key when no seek is pending (the usual case).
    return this.seekOffsets.size !== 0 && this.seekOffsets.has(JSON.stringify([topic, partition]));
  }

  pause(topicPartitions: TopicPartitions[]): void {
    this.logger.info(`Pausing fetching from ${topicPartitions.length} topics`, { topicPartitions });
    this.subscriptionState.pause(topicPartitions);
  }

  resume(topicPartitions: TopicPartitions[]): void {
    this.logger.info(`Resuming fetching from ${topicPartitions.length} topics`, { topicPartitions });
    this.subscriptionState.resume(topicPartitions);
  }

  assigned(): Array<{ topic: string; partitions: number[] }> {
    return this.subscriptionState.assigned();
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    return this.subscriptionState.paused();
  }

  isPaused(topic: string, partition: number): boolean {
    return this.subscriptionState.isPaused(topic, partition);
  }

  async commitOffsetsIfNecessary(): Promise<void> {
    await this.offsetManager!.commitOffsetsIfNecessary();
  }

  async commitOffsets(offsets?: Partial<Offsets>): Promise<void> {
    await this.offsetManager!.commitOffsets(offsets);
  }

  uncommittedOffsets(): Offsets {
    return this.offsetManager!.uncommittedOffsets();
  }

  /** Whether `heartbeat({ interval })` would do anything now (a request due, or one in flight to share). */
  isHeartbeatDue(interval: number): boolean {
    return this.heartbeatInFlight !== null || (this.memberId !== null && this.memberId !== '' && this.options.process.now() >= this.lastRequest + interval);
  }

  /** Whether `commitOffsetsIfNecessary` can ever commit: an interval or a threshold is set. */
  hasCommitRule(): boolean {
    return this.options.autoCommitInterval != null || this.options.autoCommitThreshold != null;
  }

  /** Heartbeat only if `interval` passed since the last one; concurrent callers share one request. */
  heartbeat({ interval }: { interval: number }): Promise<void> {
    // Fast path for the common case between messages: nothing in flight and not due yet.
    if (this.heartbeatInFlight === null && (!this.memberId || this.options.process.now() < this.lastRequest + interval)) return Promise.resolve();
    this.heartbeatInFlight ??= this.doHeartbeat(interval).finally(() => (this.heartbeatInFlight = null));
    return this.heartbeatInFlight;
  }

  private async doHeartbeat(interval: number): Promise<void> {
    const { groupId, generationId, memberId } = this;
    if (!memberId || this.options.process.now() < this.lastRequest + interval) return;
    const payload = { groupId, memberId, groupGenerationId: generationId };
    const { response } = await this.coordinator!.request(ApiKey.Heartbeat, () => ({ groupId, generationId: generationId!, memberId }));
    if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
    this.options.instrumentation.emit('consumer.heartbeat', payload);
    this.lastRequest = this.options.process.now();
  }

  async fetch(nodeId: number): Promise<FetchedPartition[]> {
    try {
      await this.cluster.refreshMetadataIfNecessary();
      this.checkForStaleAssignment();
      const topicPartitions = this.filterPartitionsByNode(nodeId, this.subscriptionState.assigned());
      await this.applySeekOffsets(topicPartitions);
      const offsetManager = this.offsetManager!;
      const committed = offsetManager.committedOffsets();
      const active = new Map(this.subscriptionState.active().map(({ topic, partitions }) => [topic, new Set(partitions)]));
      const requests = topicPartitions
        .map(({ topic, partitions }) => ({
          topic,
          partitions: partitions
            .filter((partition) => committed[topic]?.[partition] != null && active.get(topic)?.has(partition))
            .map((partition) => ({ partition, fetchOffset: offsetManager.nextOffset(topic, partition) })),
        }))
        .filter(({ partitions }) => partitions.length > 0);
      if (requests.length === 0) {
        await this.options.process.delay(this.options.maxWaitTimeInMs);
        return [];
      }
      const broker = await this.cluster.findBroker({ nodeId });
      const { maxWaitTimeInMs, minBytes, maxBytes, isolationLevel, rackId, maxBytesPerPartition } = this.options;
      const { response } = await broker.request(
        ApiKey.Fetch,
        () => ({
          replicaId: -1,
          maxWaitMs: maxWaitTimeInMs,
          minBytes,
          maxBytes,
          isolationLevel,
          sessionId: 0,
          sessionEpoch: -1,
          topics: requests.map(({ topic, partitions }) => ({
            topic,
            partitions: partitions.map(({ partition, fetchOffset }) => ({
              partition,
              currentLeaderEpoch: -1,
              fetchOffset,
              logStartOffset: -1n,
              partitionMaxBytes: maxBytesPerPartition,
            })),
          })),
          forgottenTopicsData: [],
          rackId,
        }),
        { extraTimeoutMs: maxWaitTimeInMs },
      );
      if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      for (const topic of response.responses) {
        for (const partition of topic.partitions) {
          if (partition.errorCode === 1) {
            throw new KafkaJSOffsetOutOfRange(createErrorFromCode(1), { topic: topic.topic, partition: partition.partitionIndex });
          }
          if (partition.errorCode !== 0) throw createErrorFromCode(partition.errorCode);
        }
      }
      const batches: FetchedPartition[] = [];
      for (const topic of response.responses) {
        const requested = requests.find((r) => r.topic === topic.topic);
        for (const partitionData of topic.partitions) {
          const partition = partitionData.partitionIndex;
          if (this.hasSeekOffset({ topic: topic.topic, partition }) || this.subscriptionState.isPaused(topic.topic, partition)) continue;
          const fetchedOffset = requested?.partitions.find((p) => p.partition === partition)?.fetchOffset ?? 0n;
          batches.push(
            new FetchedPartition(
              topic.topic,
              partition,
              String(fetchedOffset),
              String(partitionData.highWatermark),
              scanFetchedRecords(partitionData.records as Buffer | null, requireCodec),
              partitionData.abortedTransactions,
            ),
          );
        }
      }
      return batches;
    } catch (e) {
      await this.recoverFromFetch(e);
      return [];
    }
  }

  private async recoverFromFetch(e: unknown): Promise<void> {
    const error = e as { type?: string; name?: string; message?: string; host?: string; port?: number; topic?: string; partition?: number };
    if (STALE_METADATA_ERRORS.has(error.type ?? '') || error.name === 'KafkaJSTopicMetadataNotLoaded') {
      this.logger.debug('Stale cluster metadata, refreshing...', { groupId: this.groupId, memberId: this.memberId, error: error.message });
      await this.cluster.refreshMetadata();
      await this.joinAndSync();
      return;
    }
    if (error.name === 'KafkaJSStaleTopicMetadataAssignment') {
      this.logger.warn(`${error.message}, resync group`, { groupId: this.groupId, memberId: this.memberId, topic: error.topic });
      await this.joinAndSync();
      return;
    }
    if (error.name === 'KafkaJSOffsetOutOfRange') {
      this.logger.error('Offset out of range, resetting to default offset', { topic: error.topic, partition: error.partition, groupId: this.groupId, memberId: this.memberId });
      await this.offsetManager!.setDefaultOffset({ topic: error.topic!, partition: error.partition! });
      return;
    }
    if (error.name === 'KafkaJSConnectionClosedError') {
      this.cluster.removeBroker({ host: error.host!, port: error.port! });
      return;
    }
    if (error.name === 'KafkaJSBrokerNotFound') {
      this.logger.debug(`${error.message}, refreshing metadata and retrying...`);
      await this.cluster.refreshMetadata();
      return;
    }
    throw e;
  }

  private generatePartitionsPerSubscribedTopic(): Map<string, number[]> {
    const map = new Map<string, number[]>();
    for (const topic of this.topicsSubscribed) {
      map.set(topic, this.cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId).sort());
    }
    return map;
  }

  private checkForStaleAssignment(): void {
    if (this.partitionsPerSubscribedTopic === null) return;
    for (const [topic, partitions] of this.generatePartitionsPerSubscribedTopic()) {
      const known = this.partitionsPerSubscribedTopic.get(topic) ?? [];
      const diff = partitions.filter((p) => !known.includes(p));
      if (diff.length > 0) throw new KafkaJSStaleTopicMetadataAssignment('Topic has been updated', { topic, unknownPartitions: diff });
    }
  }

  private async applySeekOffsets(topicPartitions: Array<{ topic: string; partitions: number[] }>): Promise<void> {
    for (const { topic, partitions } of topicPartitions) {
      for (const partition of partitions) {
        const key = JSON.stringify([topic, partition]);
        const entry = this.seekOffsets.get(key);
        if (entry === undefined) continue;
        this.seekOffsets.delete(key);
        this.logger.debug('Seek offset', { groupId: this.groupId, memberId: this.memberId, seek: entry });
        await this.offsetManager!.seek(entry);
      }
    }
    await this.offsetManager!.resolveOffsets();
  }

  private filterPartitionsByNode(nodeId: number, topicPartitions: Array<{ topic: string; partitions: number[] }>): Array<{ topic: string; partitions: number[] }> {
    return topicPartitions.map(({ topic, partitions }) => ({
      topic,
      partitions: this.cluster.findLeaderForPartitions(topic, partitions)[nodeId] ?? [],
    }));
  }
}
