/**
 * The client's view of the cluster (KafkaJS's `src/cluster/index.js` + `brokerPool.js` +
 * `connectionPoolBuilder.js`): the seed broker rotating through the `brokers` list, the metadata cache with
 * `metadataMaxAge`, target topics (Metadata requests carry them, with `allowAutoTopicCreation`), a broker
 * per node id, coordinator lookup, ListOffsets by leader, and the committed-offsets cache shared by every
 * client of one `Kafka` instance. Each producer, consumer and admin owns one, as in KafkaJS.
 */
import { ApiKey } from '../protocol/index.ts';
import { Broker, type ApiVersionsMap } from './broker.ts';
import {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSMetadataNotLoaded,
  KafkaJSNonRetriableError,
  KafkaJSTopicMetadataNotLoaded,
  createErrorFromCode,
} from './errors.ts';
import type { InstrumentationEmitter } from './instrumentation.ts';
import type { Logger } from './logger.ts';
import type { ClientProcess } from './process.ts';
import { createRetry, type Retrier, type RetryOptions } from './retry.ts';
import type { PartitionMetadata } from './types.ts';

export const EARLIEST_OFFSET = -2;
export const LATEST_OFFSET = -1;

export interface BrokerMetadata {
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  controllerId: number | null;
  clusterId: string | null;
  topicMetadata: Array<{ topicErrorCode: number; topic: string; isInternal: boolean; partitionMetadata: PartitionMetadata[] }>;
}

export type BrokersOption = string[] | (() => string[] | Promise<string[]>);

export interface ClusterOptions {
  readonly process: ClientProcess;
  readonly logger: Logger;
  readonly brokers: BrokersOption;
  readonly clientId: string;
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly enforceRequestTimeout: boolean;
  readonly metadataMaxAge: number;
  readonly retry: RetryOptions;
  readonly allowAutoTopicCreation: boolean;
  readonly maxInFlightRequests: number | null;
  readonly isolationLevel: number;
  readonly instrumentation: InstrumentationEmitter | null;
  readonly eventNames?: { request: string; requestTimeout: string; requestQueueSize: string };
  readonly offsets: Map<string, Record<string, Record<string, string>>>;
}

/** A KafkaJS-style shared promise: concurrent callers share one run. */
function shared<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => (running ??= fn().finally(() => (running = null)));
}

/** KafkaJS's `host:port` split (`connectionPoolBuilder.js`): first two colon-separated parts. */
export function parseBroker(entry: string): { host: string; port: number } {
  const parts = entry.split(':');
  return { host: parts[0], port: Number(parts[1]) };
}

export class Cluster {
  readonly process: ClientProcess;
  readonly logger: Logger;
  readonly retrier: Retrier;
  readonly isolationLevel: number;
  targetTopics = new Set<string>();
  metadata: BrokerMetadata | null = null;
  private metadataExpireAt: number | null = null;
  private versions: ApiVersionsMap | null = null;
  private brokers = new Map<number, Broker>();
  private seedBroker: Broker | null = null;
  private seedIndex = -1;
  private readonly rootLogger: Logger;
  private topicsLock: Promise<void> = Promise.resolve();

  constructor(private readonly options: ClusterOptions) {
    this.process = options.process;
    this.rootLogger = options.logger;
    this.logger = options.logger.namespace('Cluster');
    this.retrier = createRetry(options.process, options.retry);
    this.isolationLevel = options.isolationLevel;
  }

  readonly connect = shared(async () => {
    if (this.isConnected()) return;
    if (this.seedBroker === null) await this.createSeedBroker();
    const poolLogger = this.rootLogger.namespace('BrokerPool');
    await this.retrier(async (bail, retryCount, retryTime) => {
      try {
        await this.seedBroker!.connect();
        this.versions = this.seedBroker!.versions;
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.name === 'KafkaJSConnectionError') {
          await this.createSeedBroker();
          poolLogger.error(`Failed to connect to seed broker, trying another broker from the list: ${error.message}`, { retryCount, retryTime });
        } else {
          poolLogger.error(error.message, { retryCount, retryTime });
        }
        if (error.retriable) throw error;
        bail(error);
      }
    });
  });

  private async createSeedBroker(): Promise<void> {
    if (this.seedBroker !== null) await this.seedBroker.disconnect();
    const list = await this.resolveBrokers();
    this.seedIndex = (this.seedIndex + 1) % list.length;
    this.seedBroker = this.createBroker(parseBroker(list[this.seedIndex]));
  }

  /** KafkaJS's `getBrokers` + `validateBrokers`, with its messages. */
  private async resolveBrokers(): Promise<string[]> {
    const { brokers } = this.options;
    let list: unknown;
    if (typeof brokers === 'function') {
      try {
        list = await brokers();
      } catch (e) {
        const wrapped = new KafkaJSConnectionError(`Failed to connect: "config.brokers" threw: ${(e as Error).message}`);
        wrapped.stack = `${wrapped.name}\n  Caused by: ${(e as Error).stack}`;
        throw wrapped;
      }
    } else {
      list = brokers;
    }
    if (!list) throw new KafkaJSNonRetriableError('Failed to connect: brokers should not be null');
    if (Array.isArray(list)) {
      if (list.length === 0) throw new KafkaJSNonRetriableError('Failed to connect: brokers array is empty');
      list.forEach((broker: unknown, index) => {
        if (!broker || typeof broker !== 'string') {
          throw new KafkaJSNonRetriableError(`Failed to connect: broker at index ${index} is invalid "${typeof broker}"`);
        }
      });
    }
    return list as string[];
  }

  private createBroker(address: { host: string; port: number }, nodeId?: number, rack: string | null = null): Broker {
    const o = this.options;
    return new Broker({
      process: o.process,
      address,
      nodeId,
      rack,
      clientId: o.clientId,
      connectionTimeout: o.connectionTimeout,
      requestTimeout: o.requestTimeout,
      enforceRequestTimeout: o.enforceRequestTimeout,
      maxInFlightRequests: o.maxInFlightRequests,
      logger: this.rootLogger,
      instrumentation: o.instrumentation,
      eventNames: o.eventNames,
      versions: this.versions,
    });
  }

  isConnected(): boolean {
    return [...this.brokers.values()].some((b) => b.isConnected()) || (this.seedBroker?.isConnected() ?? false);
  }

  async disconnect(): Promise<void> {
    await this.seedBroker?.disconnect();
    await Promise.all([...this.brokers.values()].map((b) => b.disconnect()));
    this.brokers = new Map();
    this.metadata = null;
    this.versions = null;
  }

  removeBroker({ host, port }: { host: string; port: number }): void {
    for (const [nodeId, broker] of this.brokers) {
      if (broker.address.host !== host || broker.address.port !== port) continue;
      this.brokers.delete(nodeId);
      this.metadataExpireAt = null;
      if (this.seedBroker?.nodeId === nodeId) {
        const rest = this.process.random.shuffle([...this.brokers.values()]);
        this.seedBroker = rest[0] ?? null;
      }
      return;
    }
  }

  readonly refreshMetadata = shared(() => this.doRefreshMetadata([...this.targetTopics]));
  readonly refreshMetadataIfNecessary = shared(() => this.refreshIfNecessary([...this.targetTopics]));

  private async refreshIfNecessary(topics: string[]): Promise<void> {
    const stale =
      this.metadata === null ||
      this.metadataExpireAt === null ||
      this.process.now() > this.metadataExpireAt ||
      !topics.every((topic) => this.metadata!.topicMetadata.some((t) => t.topic === topic));
    if (stale) await this.doRefreshMetadata(topics);
  }

  private async doRefreshMetadata(topics: string[]): Promise<void> {
    const broker = await this.findConnectedBroker();
    await this.retrier(async (bail) => {
      try {
        this.metadata = await this.requestMetadata(broker, topics);
        this.metadataExpireAt = this.process.now() + this.options.metadataMaxAge;
        const fresh = new Map<number, Broker>();
        for (const { nodeId, host, port, rack } of this.metadata.brokers) {
          const existing = this.brokers.get(nodeId);
          if (existing !== undefined && existing.address.host === host && existing.address.port === port) {
            fresh.set(nodeId, existing);
            continue;
          }
          if (existing !== undefined) await existing.disconnect();
          if (this.seedBroker !== null && this.seedBroker.address.host === host && this.seedBroker.address.port === port) {
            this.seedBroker.nodeId = nodeId;
            this.seedBroker.rack = rack;
            fresh.set(nodeId, this.seedBroker);
          } else {
            fresh.set(nodeId, this.createBroker({ host, port }, nodeId, rack));
          }
        }
        for (const [nodeId, broker] of this.brokers) if (!fresh.has(nodeId) && broker !== this.seedBroker) await broker.disconnect();
        this.brokers = fresh;
      } catch (e) {
        if ((e as { type?: string }).type === 'LEADER_NOT_AVAILABLE') throw e;
        bail(e);
      }
    });
  }

  /** One Metadata request (KafkaJS's `broker.metadata`): topic and partition errors throw, first one wins. */
  async requestMetadata(broker: Broker, topics: string[], allowAutoTopicCreation = this.options.allowAutoTopicCreation): Promise<BrokerMetadata> {
    const shuffled = this.process.random.shuffle([...topics]);
    const { response } = await broker.request(ApiKey.Metadata, () => ({
      topics: shuffled.length === 0 ? null : shuffled.map((name) => ({ name })),
      allowAutoTopicCreation,
    }));
    const metadata: BrokerMetadata = {
      brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      controllerId: response.controllerId,
      clusterId: response.clusterId,
      topicMetadata: response.topics.map((t) => ({
        topicErrorCode: t.errorCode,
        topic: t.name ?? '',
        isInternal: t.isInternal,
        partitionMetadata: t.partitions.map((p) => ({
          partitionErrorCode: p.errorCode,
          partitionId: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
        })),
      })),
    };
    const topicError = metadata.topicMetadata.find((t) => t.topicErrorCode !== 0);
    if (topicError !== undefined) throw createErrorFromCode(topicError.topicErrorCode);
    const partitionError = metadata.topicMetadata.flatMap((t) => t.partitionMetadata).find((p) => p.partitionErrorCode !== 0);
    if (partitionError !== undefined) throw createErrorFromCode(partitionError.partitionErrorCode);
    return metadata;
  }

  /** KafkaJS's `cluster.metadata({ topics })`: fresh metadata for exactly these topics, without touching targets. */
  async fetchMetadata(topics: string[] = []): Promise<BrokerMetadata> {
    return this.retrier(async (bail) => {
      try {
        await this.refreshIfNecessary(topics);
        return await this.withBroker((broker) => this.requestMetadata(broker, topics));
      } catch (e) {
        if ((e as { type?: string }).type === 'LEADER_NOT_AVAILABLE') throw e;
        bail(e);
        throw e;
      }
    });
  }

  async addTargetTopic(topic: string): Promise<void> {
    return this.addMultipleTargetTopics([topic]);
  }

  async addMultipleTargetTopics(topics: string[]): Promise<void> {
    const previous = this.topicsLock;
    let release: () => void = () => undefined;
    this.topicsLock = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      const before = new Set(this.targetTopics);
      for (const topic of topics) this.targetTopics.add(topic);
      if (before.size !== this.targetTopics.size || this.metadata === null) {
        try {
          await this.refreshMetadata();
        } catch (e) {
          const type = (e as { type?: string }).type;
          if (type === 'INVALID_TOPIC_EXCEPTION' || type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'TOPIC_AUTHORIZATION_FAILED') {
            this.targetTopics = before;
          }
          throw e;
        }
      }
    } finally {
      release();
    }
  }

  getNodeIds(): number[] {
    return [...this.brokers.keys()];
  }

  async findBroker({ nodeId }: { nodeId: number }): Promise<Broker> {
    try {
      return await this.findPoolBroker(nodeId);
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'KafkaJSBrokerNotFound' || name === 'KafkaJSLockTimeout' || name === 'KafkaJSConnectionError') await this.refreshMetadata();
      throw e;
    }
  }

  /**
   * KafkaJS's `brokerPool.findBroker`: no metadata refresh on failure. The metadata refresh itself looks for a
   * connected broker through this one; going through `findBroker` would make a refresh that meets a dead
   * broker wait on itself (the shared refresh promise) forever.
   */
  private async findPoolBroker(nodeId: number): Promise<Broker> {
    const broker = this.brokers.get(Number(nodeId));
    if (broker === undefined) throw new KafkaJSBrokerNotFound(`Broker ${nodeId} not found in the cached metadata`);
    await this.connectBroker(broker);
    return broker;
  }

  private async connectBroker(broker: Broker): Promise<void> {
    if (broker.isConnected()) return;
    await this.retrier(async (bail) => {
      try {
        await broker.connect();
      } catch (e) {
        if ((e as Error).name === 'KafkaJSConnectionError') {
          await broker.disconnect();
          bail(e);
          return;
        }
        throw e;
      }
    });
  }

  /** Runs `callback` against brokers in random order until one succeeds (KafkaJS's `withBroker`). */
  async withBroker<T>(callback: (broker: Broker, nodeId: number) => Promise<T>): Promise<T> {
    const nodeIds = this.process.random.shuffle([...this.brokers.keys()]);
    if (nodeIds.length === 0) throw new KafkaJSBrokerNotFound('No brokers in the broker pool');
    let lastError: unknown;
    for (const nodeId of nodeIds) {
      try {
        const broker = await this.findPoolBroker(nodeId);
        return await callback(broker, nodeId);
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError ?? new KafkaJSBrokerNotFound('No brokers in the broker pool');
  }

  async findConnectedBroker(): Promise<Broker> {
    const nodeIds = this.process.random.shuffle([...this.brokers.keys()]);
    const connected = nodeIds.find((id) => this.brokers.get(id)!.isConnected());
    if (connected !== undefined) return this.findPoolBroker(connected);
    for (const nodeId of nodeIds) {
      try {
        return await this.findPoolBroker(nodeId);
      } catch {
        // try the next one
      }
    }
    await this.connect();
    return this.seedBroker!;
  }

  /** The broker Metadata names as controller; concurrent callers share one lookup, as in KafkaJS. */
  readonly findControllerBroker = shared(async (): Promise<Broker> => {
    if (this.metadata === null || this.metadata.controllerId === null) throw new KafkaJSMetadataNotLoaded('Topic metadata not loaded');
    return this.findBroker({ nodeId: this.metadata.controllerId });
  });

  findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
    if (this.metadata === null) throw new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', { topic });
    return this.metadata.topicMetadata.find((t) => t.topic === topic)?.partitionMetadata ?? [];
  }

  /** `{ [leaderNodeId]: partitionIds[] }` for the given partitions of a topic. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<number, number[]> {
    const metadata = this.findTopicPartitionMetadata(topic);
    const result: Record<number, number[]> = {};
    for (const id of partitions) {
      const partitionId = parseInt(String(id), 10);
      const entry = metadata.find((p) => p.partitionId === partitionId);
      if (entry === undefined) continue;
      if (entry.leader === null || entry.leader === undefined) throw new KafkaJSError('Invalid partition metadata');
      (result[entry.leader] ??= []).push(partitionId);
    }
    return result;
  }

  /** FindCoordinator (group or transaction), retried as KafkaJS does, then a connected broker for it. */
  async findGroupCoordinator({ groupId, coordinatorType = 0 }: { groupId: string; coordinatorType?: number }): Promise<Broker> {
    return this.retrier(async (bail, retryCount, retryTime) => {
      try {
        const nodeId = await this.findGroupCoordinatorNodeId(groupId, coordinatorType);
        return await this.findBroker({ nodeId });
      } catch (e) {
        const error = e as { name?: string; type?: string; code?: string; message?: string };
        if (error.name === 'KafkaJSBrokerNotFound' || error.type === 'GROUP_COORDINATOR_NOT_AVAILABLE') {
          this.logger.debug(`${error.message}, refreshing metadata and trying again...`, { groupId, retryCount, retryTime });
          await this.refreshMetadata();
          throw e;
        }
        if (error.code === 'ECONNREFUSED') throw e;
        bail(e);
        throw e;
      }
    });
  }

  private async findGroupCoordinatorNodeId(groupId: string, coordinatorType: number): Promise<number> {
    if (this.brokers.size === 0) await this.refreshMetadata();
    const nodeId = await this.withBroker(async (broker) =>
      this.retrier(async (bail) => {
        try {
          const { version, response } = await broker.request(ApiKey.FindCoordinator, (v) =>
            v >= 4 ? { keyType: coordinatorType, coordinatorKeys: [groupId] } : { key: groupId, keyType: coordinatorType },
          );
          const entry = version >= 4 ? response.coordinators[0] : { errorCode: response.errorCode, nodeId: response.nodeId };
          if (entry === undefined) throw new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
          if (entry.errorCode !== 0) throw createErrorFromCode(entry.errorCode);
          this.logger.debug('Found group coordinator', { nodeId: entry.nodeId });
          return entry.nodeId;
        } catch (e) {
          if ((e as { type?: string }).type === 'GROUP_COORDINATOR_NOT_AVAILABLE') throw e;
          bail(e);
          throw e;
        }
      }),
    ).catch(() => null);
    if (nodeId === null) throw new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
    return nodeId;
  }

  defaultOffset({ fromBeginning }: { fromBeginning?: boolean }): number {
    return fromBeginning ? EARLIEST_OFFSET : LATEST_OFFSET;
  }

  /** ListOffsets by leader for `{ topic, partitions: [{ partition }], fromBeginning?, fromTimestamp? }`. */
  async fetchTopicsOffset(
    topics: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning?: boolean; fromTimestamp?: number | string }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>> {
    const perBroker = new Map<number, Map<string, { partitions: number[]; timestamp: bigint }>>();
    for (const { topic, partitions, fromBeginning, fromTimestamp } of topics) {
      const leaders = this.findLeaderForPartitions(topic, partitions.map((p) => p.partition));
      const timestamp = BigInt(fromTimestamp ?? this.defaultOffset({ fromBeginning }));
      for (const [nodeId, ids] of Object.entries(leaders)) {
        const byTopic = perBroker.get(Number(nodeId)) ?? new Map();
        perBroker.set(Number(nodeId), byTopic);
        byTopic.set(topic, { partitions: ids, timestamp });
      }
    }
    const results = await Promise.all(
      [...perBroker].map(async ([nodeId, byTopic]) => {
        const broker = await this.findBroker({ nodeId });
        const { response } = await broker.request(ApiKey.ListOffsets, () => ({
          replicaId: -1,
          isolationLevel: this.isolationLevel,
          topics: [...byTopic].map(([name, { partitions, timestamp }]) => ({
            name,
            partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp, currentLeaderEpoch: -1, maxNumOffsets: 1 })),
          })),
        }));
        for (const topic of response.topics) {
          for (const partition of topic.partitions) if (partition.errorCode !== 0) throw createErrorFromCode(partition.errorCode);
        }
        return response.topics;
      }),
    );
    const merged = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const topic of results.flat()) {
      const list = merged.get(topic.name) ?? [];
      merged.set(topic.name, list);
      for (const p of topic.partitions) list.push({ partition: p.partitionIndex, offset: String(p.offset) });
    }
    return [...merged].map(([topic, partitions]) => ({ topic, partitions }));
  }

  committedOffsets({ groupId }: { groupId: string }): Record<string, Record<string, string>> {
    let offsets = this.options.offsets.get(groupId);
    if (offsets === undefined) this.options.offsets.set(groupId, (offsets = {}));
    return offsets;
  }

  markOffsetAsCommitted({ groupId, topic, partition, offset }: { groupId: string; topic: string; partition: number; offset: string }): void {
    const offsets = this.committedOffsets({ groupId });
    (offsets[topic] ??= {})[partition] = offset;
  }
}
