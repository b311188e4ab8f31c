/**
 * Resolved versus committed offsets of one generation (KafkaJS's `consumer/offsetManager`): `resolveOffset`
 * moves the next position locally, commits send what was resolved, `commitOffsetsIfNecessary` applies the
 * interval/threshold rule, `resolveOffsets` fills unknown positions from OffsetFetch and then ListOffsets
 * (earliest or latest per `fromBeginning`). The committed cache is the per-group map shared by every client
 * of one `Kafka`, and it is cleared for this group each time a new manager is built (every rebalance).
 */
import { ApiKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { Cluster } from '../cluster.ts';
import { createErrorFromCode } from '../errors.ts';
import type { InstrumentationEmitter } from '../instrumentation.ts';
import type { ClientProcess } from '../process.ts';
import type { Offsets } from '../types.ts';

export type { PartitionOffset, TopicOffsets, Offsets } from '../types.ts';

export const isInvalidOffset = (offset: string | undefined | null): boolean =>
  offset === undefined || offset === null || offset === '' || BigInt(offset) < 0n;

export interface TopicConfiguration {
  fromBeginning?: boolean;
}

export interface OffsetManagerOptions {
  process: ClientProcess;
  cluster: Cluster;
  coordinator: Broker;
  memberAssignment: Record<string, number[]>;
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
  topicConfigurations: Record<string, TopicConfiguration>;
  instrumentation: InstrumentationEmitter;
  groupId: string;
  generationId: number;
  memberId: string;
}

/** OffsetCommit as KafkaJS sends it (retention -1, timestamp -1) and parses it (first error throws). */
export async function sendOffsetCommit(
  coordinator: Broker,
  request: { groupId: string; memberId: string; generationId: number; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata?: string | null }> }> },
): Promise<void> {
  const { response } = await coordinator.request(ApiKey.OffsetCommit, () => ({
    groupId: request.groupId,
    generationIdOrMemberEpoch: request.generationId,
    memberId: request.memberId,
    retentionTimeMs: -1n,
    topics: request.topics.map(({ topic, partitions }) => ({
      name: topic,
      partitions: partitions.map(({ partition, offset, metadata }) => ({
        // A string when it comes from uncommittedOffsets() (as in KafkaJS, whose encoder coerces it).
        partitionIndex: Number(partition),
        committedOffset: BigInt(offset),
        commitTimestamp: -1n,
        committedMetadata: metadata ?? null,
      })),
    })),
  }));
  for (const topic of response.topics) {
    for (const partition of topic.partitions) if (partition.errorCode !== 0) throw createErrorFromCode(partition.errorCode);
  }
}

/** OffsetFetch for the given partitions (KafkaJS v4: per-partition and top-level errors throw). */
export async function sendOffsetFetch(
  coordinator: Broker,
  groupId: string,
  topics: Array<{ topic: string; partitions: Array<{ partition: number }> }> | null,
): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null }> }>> {
  const { response } = await coordinator.request(ApiKey.OffsetFetch, () => ({
    groupId,
    topics: topics === null || topics.length === 0 ? null : topics.map(({ topic, partitions }) => ({ name: topic, partitionIndexes: partitions.map((p) => p.partition) })),
  }));
  if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
  for (const topic of response.topics) {
    for (const partition of topic.partitions) if (partition.errorCode !== 0) throw createErrorFromCode(partition.errorCode);
  }
  return response.topics.map((t) => ({
    topic: t.name,
    partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset), metadata: p.metadata })),
  }));
}

export class OffsetManager {
  private coordinator: Broker;
  readonly topics: string[];
  private resolvedOffsets: Record<string, Record<number, string>> = {};
  private committedCache: Record<string, Record<string, string>> | null = null;
  lastCommit: number;

  constructor(private readonly options: OffsetManagerOptions) {
    this.coordinator = options.coordinator;
    this.topics = Object.keys(options.memberAssignment);
    this.lastCommit = options.process.now();
    this.clearAllOffsets();
  }

  committedOffsets(): Record<string, Record<string, string>> {
    this.committedCache ??= this.options.cluster.committedOffsets({ groupId: this.options.groupId });
    return this.committedCache;
  }

  nextOffset(topic: string, partition: number): bigint {
    if (!this.resolvedOffsets[topic][partition]) this.resolvedOffsets[topic][partition] = this.committedOffsets()[topic][partition];
    const offset = this.resolvedOffsets[topic][partition];
    return isInvalidOffset(offset) ? 0n : BigInt(offset);
  }

  private async getCoordinator(): Promise<Broker> {
    if (!this.coordinator.isConnected()) this.coordinator = await this.options.cluster.findBroker({ nodeId: this.coordinator.nodeId! });
    return this.coordinator;
  }

  resetOffset({ topic, partition }: { topic: string; partition: number }): void {
    this.resolvedOffsets[topic][partition] = this.committedOffsets()[topic][partition];
  }

  resolveOffset({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    const next = Number(offset) + 1;
    this.resolvedOffsets[topic][partition] = Number.isSafeInteger(next) ? String(next) : String(BigInt(offset) + 1n);
  }

  countResolvedOffsets(): bigint {
    const committed = this.committedOffsets();
    let sum = 0n;
    for (const topic of this.topics) {
      for (const [partition, resolved] of Object.entries(this.resolvedOffsets[topic])) {
        const c = committed[topic]?.[partition];
        sum += isInvalidOffset(c) ? BigInt(resolved) : BigInt(resolved) - BigInt(c);
      }
    }
    return sum;
  }

  async setDefaultOffset({ topic, partition }: { topic: string; partition: number }): Promise<void> {
    const { groupId, generationId, memberId } = this.options;
    const defaultOffset = this.options.cluster.defaultOffset(this.options.topicConfigurations[topic] ?? {});
    await sendOffsetCommit(await this.getCoordinator(), { groupId, memberId, generationId, topics: [{ topic, partitions: [{ partition, offset: String(defaultOffset) }] }] });
    this.clearOffsets({ topic, partition });
  }

  async seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): Promise<void> {
    if (!this.options.memberAssignment[topic]?.includes(partition)) return;
    if (!this.options.autoCommit) {
      this.resolveOffset({ topic, partition, offset: String(BigInt(offset) - 1n) });
      return;
    }
    const { groupId, generationId, memberId } = this.options;
    await sendOffsetCommit(await this.getCoordinator(), { groupId, memberId, generationId, topics: [{ topic, partitions: [{ partition, offset }] }] });
    this.clearOffsets({ topic, partition });
  }

  async commitOffsetsIfNecessary(): Promise<void> {
    const { autoCommitInterval, autoCommitThreshold } = this.options;
    const now = this.options.process.now();
    const timeoutReached = autoCommitInterval != null && now >= this.lastCommit + autoCommitInterval;
    const thresholdReached = autoCommitThreshold != null && this.countResolvedOffsets() >= BigInt(autoCommitThreshold);
    if (timeoutReached || thresholdReached) await this.commitOffsets();
  }

  uncommittedOffsets(): Offsets {
    const committed = this.committedOffsets();
    const topics = this.topics
      .map((topic) => ({
        topic,
        // KafkaJS reads the partitions from the object's keys (`keys(this.resolvedOffsets[topic])` in
        // offsetManager/index.js uncommittedOffsets) and never converts them: users, the commit_offsets
        // event and its own specs ("partition: partition.toString()") see strings, whatever its d.ts says.
        partitions: Object.keys(this.resolvedOffsets[topic])
          .map((partition) => ({ partition: partition as unknown as number, offset: this.resolvedOffsets[topic][Number(partition)] }))
          .filter(({ partition, offset }) => offset !== committed[topic]?.[partition] && BigInt(offset) >= 0n),
      }))
      .filter(({ partitions }) => partitions.length > 0);
    return { topics };
  }

  async commitOffsets(offsets: Partial<Offsets> = {}): Promise<void> {
    const { groupId, generationId, memberId } = this.options;
    const topics = offsets.topics ?? this.uncommittedOffsets().topics;
    if (topics.length === 0) {
      this.lastCommit = this.options.process.now();
      return;
    }
    const payload = { groupId, memberId, groupGenerationId: generationId, topics };
    try {
      await sendOffsetCommit(await this.getCoordinator(), { groupId, memberId, generationId, topics });
      this.options.instrumentation.emit('consumer.commit_offsets', payload);
      const committed = this.committedOffsets();
      for (const { topic, partitions } of topics) {
        const updated: Record<string, string> = {};
        for (const { partition, offset } of partitions) updated[partition] = String(offset);
        committed[topic] = { ...committed[topic], ...updated };
      }
      this.lastCommit = this.options.process.now();
    } catch (e) {
      if ((e as { type?: string }).type === 'NOT_COORDINATOR_FOR_GROUP') await this.options.cluster.refreshMetadata();
      throw e;
    }
  }

  async resolveOffsets(): Promise<void> {
    const committed = this.committedOffsets();
    const pending = this.topics
      .map((topic) => ({
        topic,
        partitions: this.options.memberAssignment[topic].filter((p) => isInvalidOffset(committed[topic][p])).map((partition) => ({ partition })),
      }))
      .filter((t) => t.partitions.length > 0);
    if (pending.length === 0) return;
    const consumerOffsets = await sendOffsetFetch(await this.getCoordinator(), this.options.groupId, pending);
    const unresolved = consumerOffsets
      .map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.filter(({ offset }) => isInvalidOffset(offset)).map(({ partition }) => ({ partition })),
        ...this.options.topicConfigurations[topic],
      }))
      .filter((t) => t.partitions.length > 0);
    let offsets: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> = consumerOffsets;
    if (unresolved.length > 0) {
      const topicOffsets = await this.options.cluster.fetchTopicsOffset(unresolved);
      const byTopic = new Map(topicOffsets.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, p.offset]))]));
      offsets = consumerOffsets.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(({ partition, offset }) => ({
          partition,
          offset: isInvalidOffset(offset) ? (byTopic.get(topic)?.get(partition) as string) : offset,
        })),
      }));
    }
    for (const { topic, partitions } of offsets) {
      const indexed: Record<string, string> = { ...committed[topic] };
      for (const { partition, offset } of partitions) indexed[partition] = offset;
      committed[topic] = indexed;
    }
  }

  clearOffsets({ topic, partition }: { topic: string; partition: number }): void {
    delete this.committedOffsets()[topic][partition];
    delete this.resolvedOffsets[topic][partition];
  }

  clearAllOffsets(): void {
    const committed = this.committedOffsets();
    for (const topic of Object.keys(committed)) delete committed[topic];
    for (const topic of this.topics) committed[topic] = {};
    this.resolvedOffsets = Object.fromEntries(this.topics.map((t) => [t, {}]));
  }
}
