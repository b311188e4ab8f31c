/**
 * One Kafka broker: an endpoint on the network that decodes request frames, dispatches them to the handler
 * registry and encodes the answers, and that hosts replicas of partitions as its metadata image says.
 *
 * Lifecycle, after Kafka's KRaft broker: it registers with the controller and heartbeats every
 * `broker.heartbeat.interval.ms` while it can reach the controller; it adopts metadata images as they
 * arrive (or on its next heartbeat if it could not be reached) and turns them into leader/follower roles;
 * as a leader it shrinks the ISR of followers that lag more than `replica.lag.time.max.ms`; as a follower
 * it fetches from leaders (replica-fetcher.ts).
 *
 * Faults: `crash()` stops everything at once (connections reset, timers gone, no goodbye), optionally losing
 * log bytes that were not flushed; `restart()` recovers the logs and rejoins; `shutdown()` is a controlled
 * shutdown (leadership moves away first). A crashed broker keeps its disk (the logs).
 */
import type { Runtime, Timer } from '../runtime/index.ts';
import {
  ApiKey,
  decodeRequestHeader,
  decodeMessage,
  encodeResponse,
  ErrorCode,
  hasVersion,
  ProtocolDecodeError,
  Reader,
  API_SCHEMAS,
  type ApiKeyNumber,
  type ResponseInputByKey,
} from '../protocol/index.ts';
import { BrokerConfig, TopicConfig } from './config.ts';
import { Controller } from './controller.ts';
import { HANDLERS_BY_KEY } from './handlers/index.ts';
import type { RequestContext } from './handlers/handler.ts';
import { PartitionLog, InMemorySegmentStore } from './log/index.ts';
import { topicPartitionKey, type MetadataImage, type TopicRegistration } from './metadata.ts';
import { Replica } from './partition.ts';
import { CloseConnectionSignal, type BrokerAddress, type ClientSession, type ClusterNetwork, type FrameEndpoint } from './ports.ts';
import { ReplicaFetcherManager } from './replica-fetcher.ts';
import { FetchSessionCache } from './fetch-session.ts';
import { GroupCoordinator } from './group/group-coordinator.ts';
import { TransactionCoordinator } from './txn/transaction-coordinator.ts';

export type BrokerStatus = 'running' | 'crashed' | 'stopped';

export interface BrokerSpec {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack?: string | null;
}

export class Broker implements FrameEndpoint {
  readonly node: string;
  readonly address: BrokerAddress;
  status: BrokerStatus = 'stopped';
  image: MetadataImage;
  readonly replicas = new Map<string, Replica>();
  /** The broker's disk: logs survive a crash, replica state does not. */
  private readonly logs = new Map<string, PartitionLog>();
  private readonly timers: Timer[] = [];
  /** Whether the replicas reflect `image` (false after a crash: the next image is applied even if not newer). */
  private isReconciled = false;
  readonly fetchers: ReplicaFetcherManager;
  /** Incremental fetch sessions (KIP-227): in memory, so a restarted broker has none. */
  readonly fetchSessions: FetchSessionCache;
  readonly groupCoordinator: GroupCoordinator;
  readonly transactionCoordinator: TransactionCoordinator;

  constructor(
    readonly spec: BrokerSpec,
    readonly config: BrokerConfig,
    readonly runtime: Runtime,
    readonly network: ClusterNetwork,
    readonly controller: Controller,
  ) {
    this.node = `broker-${spec.id}`;
    this.address = { host: spec.host, port: spec.port };
    this.image = controller.current;
    this.fetchers = new ReplicaFetcherManager(this);
    this.fetchSessions = new FetchSessionCache(runtime.random.fork(`${this.node}:fetch-sessions`), config);
    this.groupCoordinator = new GroupCoordinator(this);
    this.transactionCoordinator = new TransactionCoordinator(this);
  }

  get id(): number {
    return this.spec.id;
  }

  get isAvailable(): boolean {
    return this.status === 'running';
  }

  get canReachController(): boolean {
    return this.network.isReachable(this.node, Controller.NODE) && this.network.isReachable(Controller.NODE, this.node);
  }

  // -------------------------------------------------------------------------------------------------------
  // Lifecycle

  start(): void {
    if (this.status === 'running') return;
    this.status = 'running';
    this.controller.registerBroker({ id: this.id, host: this.spec.host, port: this.spec.port, rack: this.spec.rack ?? null });
    this.heartbeat();
    this.scheduleIsrExpiration();
    this.scheduleRetention();
    this.groupCoordinator.start();
    this.transactionCoordinator.start();
  }

  crash(options: { loseUnflushed?: boolean } = {}): void {
    if (this.status !== 'running') return;
    this.status = 'crashed';
    this.stopActivity();
    for (const log of this.logs.values()) log.crash({ loseUnflushed: options.loseUnflushed ?? false });
    this.network.closeAll(this.node);
  }

  restart(): void {
    if (this.status === 'running') return;
    for (const log of this.logs.values()) log.recover();
    this.start();
  }

  /** Controlled shutdown: the controller moves leadership away, then the broker stops cleanly. */
  shutdown(): void {
    if (this.status !== 'running') return;
    this.controller.controlledShutdown(this.id);
    this.applyImage(this.controller.current);
    this.status = 'stopped';
    this.stopActivity();
    for (const log of this.logs.values()) log.flush();
    this.network.closeAll(this.node);
  }

  private stopActivity(): void {
    for (const timer of this.timers.splice(0)) timer.cancel();
    this.fetchers.stopAll();
    this.fetchSessions.clear();
    this.groupCoordinator.stop();
    this.transactionCoordinator.stop();
    for (const replica of this.replicas.values()) replica.stop();
    this.replicas.clear();
    this.isReconciled = false;
  }

  private every(intervalMs: number, label: string, task: () => void): void {
    const tick = (): void => {
      if (this.status !== 'running') return;
      task();
      this.timers.push(this.runtime.timer(intervalMs, tick, label));
    };
    this.timers.push(this.runtime.timer(intervalMs, tick, label));
  }

  private heartbeat(): void {
    if (this.canReachController) {
      this.controller.heartbeat(this.id);
      this.applyImage(this.controller.current);
    }
    this.timers.push(this.runtime.timer(this.config.int('broker.heartbeat.interval.ms'), () => this.status === 'running' && this.heartbeat(), `${this.node}:heartbeat`));
  }

  private scheduleIsrExpiration(): void {
    const lagMs = this.config.int('replica.lag.time.max.ms');
    this.every(Math.max(1, Math.floor(lagMs / 2)), `${this.node}:isr-expiration`, () => {
      const now = this.runtime.now();
      for (const replica of this.replicas.values()) {
        if (!replica.isLeader || replica.pendingIsrChange) continue;
        const outOfSync = replica.outOfSyncReplicas(now, lagMs);
        if (outOfSync.length > 0) this.alterIsr(replica, replica.isr.filter((id) => !outOfSync.includes(id)));
      }
    });
  }

  private scheduleRetention(): void {
    this.every(this.config.int('log.retention.check.interval.ms'), `${this.node}:retention`, () => this.enforceRetention());
  }

  /** Retention and compaction over every log this broker leads or follows (the log cleaner and retention task). */
  enforceRetention(): void {
    const now = this.runtime.now();
    for (const replica of this.replicas.values()) {
      replica.log.deleteOldSegments(now, replica.highWatermark);
      // Kafka's cleaner never cleans past the last stable offset (open transactions stay intact).
      if (replica.log.config.cleanupPolicy.includes('compact')) replica.log.compact(now, { lastStableOffset: replica.lastStableOffset });
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Metadata

  /**
   * After a request this broker forwarded to the controller (CreateTopics, AlterConfigs, ...) changed the
   * metadata. In Kafka the broker replays the committed records about as fast as the controller's answer comes
   * back (both one hop), so a client reading the change back from the broker that answered (DescribeConfigs,
   * Metadata, ListOffsets) nearly always sees it. Here the image would lag by the modelled controller hop, longer
   * than a loopback round trip over TCP, so the answering broker adopts it at once; others still learn it after
   * the network's latency.
   */
  adoptForwardedChange(): void {
    if (this.canReachController) this.applyImage(this.controller.current);
  }

  /** Adopts a newer image and reconciles replica roles with it (Kafka's `ReplicaManager.applyDelta`). */
  applyImage(image: MetadataImage): void {
    if (this.status !== 'running') return;
    if (image.version < this.image.version || (image.version === this.image.version && this.isReconciled)) return;
    this.image = image;
    this.isReconciled = true;
    const now = this.runtime.now();
    const wanted = new Set<string>();
    for (const topic of image.topics.values()) {
      for (const registration of topic.partitions) {
        if (!registration.replicas.includes(this.id)) continue;
        const key = topicPartitionKey(topic.name, registration.partition);
        wanted.add(key);
        const replica = this.replicaFor(topic, registration.partition);
        replica.log.updateConfig(this.logConfig(topic));
        const brokerFenced = image.brokers.get(this.id)?.fenced !== false;
        if (registration.leader === this.id && !brokerFenced) {
          if (replica.isLeader && replica.leaderEpoch === registration.leaderEpoch) replica.updateRegistration(registration);
          else replica.becomeLeader(registration, now);
        } else if (replica.role === 'follower' && replica.leaderEpoch === registration.leaderEpoch && replica.leaderId === registration.leader) {
          replica.updateRegistration(registration);
        } else {
          replica.becomeFollower(registration);
        }
      }
    }
    for (const [key, replica] of this.replicas) {
      if (wanted.has(key)) continue;
      replica.stop();
      this.replicas.delete(key);
      if (!image.topics.has(replica.topic) || image.topics.get(replica.topic)!.topicId !== replica.topicId) this.logs.delete(key);
    }
    this.fetchers.reconcile();
    this.groupCoordinator.onImage(image);
    this.transactionCoordinator.onImage(image);
  }

  private replicaFor(topic: TopicRegistration, partition: number): Replica {
    const key = topicPartitionKey(topic.name, partition);
    let replica = this.replicas.get(key);
    if (replica !== undefined && replica.topicId === topic.topicId) return replica;
    let log = this.logs.get(key);
    if (log === undefined || (replica !== undefined && replica.topicId !== topic.topicId)) {
      log = new PartitionLog({ store: new InMemorySegmentStore(), config: this.logConfig(topic), nowMs: this.runtime.now(), runtime: this.runtime, name: `${this.node}/${key}` });
      this.logs.set(key, log);
    }
    replica = new Replica(this.id, topic.name, partition, topic.topicId, log, this.runtime);
    this.replicas.set(key, replica);
    return replica;
  }

  topicConfig(topic: TopicRegistration): TopicConfig {
    return new TopicConfig(this.config, new Map(topic.configs));
  }

  private logConfig(topic: TopicRegistration): ConstructorParameters<typeof PartitionLog>[0]['config'] {
    const config = this.topicConfig(topic);
    return {
      segmentBytes: config.number('segment.bytes'),
      segmentMs: config.number('segment.ms'),
      segmentJitterMs: config.number('segment.jitter.ms'),
      segmentIndexBytes: config.number('segment.index.bytes'),
      indexIntervalBytes: config.number('index.interval.bytes'),
      retentionMs: config.number('retention.ms'),
      retentionBytes: config.number('retention.bytes'),
      cleanupPolicy: config.get('cleanup.policy') ?? 'delete',
      deleteRetentionMs: config.number('delete.retention.ms'),
      minCompactionLagMs: config.number('min.compaction.lag.ms'),
      messageTimestampType: config.get('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
      maxMessageBytes: config.number('max.message.bytes'),
    };
  }

  /** A leader asks the controller to change the ISR (AlterPartition), over the network's reachability and latency. */
  alterIsr(replica: Replica, newIsr: readonly number[]): void {
    if (replica.registration === null || newIsr.length === 0) return;
    replica.pendingIsrChange = true;
    const { leaderEpoch, partitionEpoch } = replica.registration;
    if (!this.canReachController) {
      // The request is lost with the partition; Kafka's AlterPartitionManager retries, as the next expiration tick will.
      this.runtime.timer(this.config.int('replica.lag.time.max.ms') / 2, () => (replica.pendingIsrChange = false), `${this.node}:alter-partition-retry`);
      return;
    }
    this.runtime.timer(this.network.sampleLatencyMs(this.node, Controller.NODE), () => {
      const result = this.controller.alterPartition(this.id, replica.topic, replica.partition, leaderEpoch, partitionEpoch, newIsr);
      this.runtime.timer(this.network.sampleLatencyMs(Controller.NODE, this.node), () => {
        if (this.status !== 'running') return;
        if (result.errorCode !== ErrorCode.NONE) replica.pendingIsrChange = false;
        else this.applyImage(this.controller.current);
      }, `${this.node}:alter-partition-response`);
    }, `${this.node}:alter-partition`);
  }

  // -------------------------------------------------------------------------------------------------------
  // Requests

  async handleFrame(frame: Buffer, session: ClientSession): Promise<Buffer | null> {
    if (this.status !== 'running') throw new CloseConnectionSignal('broker is not running');
    let header;
    let bodyOffset;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (error) {
      throw new CloseConnectionSignal(`malformed request header: ${(error as Error).message}`);
    }
    const handler = HANDLERS_BY_KEY.get(header.apiKey);
    const schemas = API_SCHEMAS.get(header.apiKey);
    if (handler === undefined || schemas === undefined) throw new CloseConnectionSignal(`unsupported api key ${header.apiKey}`);
    const apiKey = header.apiKey as ApiKeyNumber;
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion || !hasVersion(schemas.request, header.apiVersion)) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: a v0 body with UNSUPPORTED_VERSION listing only ApiVersions' own range
        // (ApiVersionsRequest.getErrorResponse), so the client retries with a version it can use.
        const own = HANDLERS_BY_KEY.get(ApiKey.ApiVersions)!;
        return encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: own.minVersion, maxVersion: own.maxVersion }],
        }).subarray(4);
      }
      throw new CloseConnectionSignal(`unsupported version ${header.apiVersion} of api key ${header.apiKey}`);
    }
    let body;
    try {
      body = decodeMessage(schemas.request, header.apiVersion, new Reader(frame, bodyOffset));
    } catch (error) {
      if (error instanceof ProtocolDecodeError) throw new CloseConnectionSignal(`malformed ${schemas.name} request: ${error.message}`);
      throw error;
    }
    const context: RequestContext = { broker: this, header, session };
    const response = await (handler.handle as (c: RequestContext, r: unknown) => Promise<unknown> | unknown)(context, body);
    if (response === null) return null;
    if (this.status !== 'running') throw new CloseConnectionSignal('broker stopped while handling the request');
    return encodeResponse(apiKey, header.apiVersion, header.correlationId, response as ResponseInputByKey[typeof apiKey]).subarray(4);
  }
}

/** The ApiVersions answer, derived from the handler registry. */
export function supportedApiVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...HANDLERS_BY_KEY.values()]
    .map((handler) => ({ apiKey: handler.apiKey, minVersion: handler.minVersion, maxVersion: handler.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}
