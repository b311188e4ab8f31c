/**
 * A Kafka cluster in one process: N brokers (1 by default), one KRaft-like controller, all on a network
 * supplied by the caller (the in-process network on a virtual runtime in tests and simulations).
 *
 * It wires metadata propagation: every image the controller publishes reaches each running broker after
 * the controller-to-broker latency, if the network lets it through; a broker cut off from the controller
 * keeps its old image until its next successful heartbeat (the broker that forwarded an admin request adopts
 * the resulting image at once, `Broker.adoptForwardedChange`). It also offers the fault controls (crash,
 * restart, controlled shutdown), direct topic creation for tests, introspection (partition state,
 * segments) and invariant checks.
 */
import type { Runtime } from '../runtime/index.ts';
import { assert } from '../runtime/assert.ts';
import { Broker, type BrokerSpec } from './broker.ts';
import { BrokerConfig, TOPIC_CONFIG_BY_NAME } from './config.ts';
import { Controller } from './controller.ts';
import { NO_LEADER, type MetadataImage, type TopicRegistration } from './metadata.ts';
import type { ClusterNetwork } from './ports.ts';

export interface ClusterOptions {
  readonly runtime: Runtime;
  readonly network: ClusterNetwork;
  /** A count (ids 1..N) or explicit specs. Default 1. */
  readonly brokers?: number | ReadonlyArray<Partial<BrokerSpec> & { id: number }>;
  /** Broker configs applied to every broker (Kafka names), e.g. `{ 'min.insync.replicas': 2 }`. */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  readonly host?: string;
  readonly basePort?: number;
  readonly clusterId?: string;
}

export interface CreateTopicOptions {
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly configs?: Readonly<Record<string, string | number | boolean>>;
  readonly assignments?: ReadonlyArray<readonly number[]>;
}

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  /** Per replica broker: its own view (role, epoch, offsets). */
  readonly replicaStates: ReadonlyArray<{
    brokerId: number;
    role: string;
    leaderEpoch: number;
    highWatermark: bigint;
    logStartOffset: bigint;
    logEndOffset: bigint;
  }>;
}

export class Cluster {
  readonly runtime: Runtime;
  readonly network: ClusterNetwork;
  readonly controller: Controller;
  readonly config: BrokerConfig;
  readonly brokers = new Map<number, Broker>();
  /** Highest high watermark seen per partition and leader epoch: it must never move backwards. */
  private readonly highWatermarks = new Map<string, { epoch: number; value: bigint }>();

  constructor(options: ClusterOptions) {
    this.runtime = options.runtime;
    this.network = options.network;
    this.config = new BrokerConfig(options.brokerConfig ?? {});
    this.controller = new Controller(this.runtime, this.config, options.clusterId ?? 'kafkasim-cluster');
    const host = options.host ?? 'localhost';
    const basePort = options.basePort ?? 9092;
    const specs: BrokerSpec[] =
      typeof options.brokers === 'object'
        ? options.brokers.map((spec, i) => ({ id: spec.id, host: spec.host ?? host, port: spec.port ?? basePort + i, rack: spec.rack ?? null }))
        : Array.from({ length: options.brokers ?? 1 }, (_, i) => ({ id: i + 1, host, port: basePort + i, rack: null }));
    assert(specs.length > 0, 'a cluster needs at least one broker');
    this.controller.onPublish((image) => this.propagate(image));
    for (const spec of specs) {
      const broker = new Broker(spec, this.config, this.runtime, this.network, this.controller);
      this.brokers.set(spec.id, broker);
      this.network.listen(broker);
    }
    for (const broker of this.brokers.values()) broker.start();
  }

  /** `host:port` of every broker, as a client's `brokers` list. */
  get bootstrapBrokers(): string[] {
    return [...this.brokers.values()].map((b) => `${b.address.host}:${b.address.port}`);
  }

  broker(id: number): Broker {
    const broker = this.brokers.get(id);
    if (broker === undefined) throw new RangeError(`no broker ${id} (brokers: ${[...this.brokers.keys()].join(', ')})`);
    return broker;
  }

  get metadata(): MetadataImage {
    return this.controller.current;
  }

  private propagate(image: MetadataImage): void {
    for (const broker of this.brokers.values()) {
      if (broker.status !== 'running' || !this.network.isReachable(Controller.NODE, broker.node)) continue;
      const latencyMs = this.network.sampleLatencyMs(Controller.NODE, broker.node);
      // A link without latency (the TCP server's) delivers at once: a timer of 0 on the wall clock still waits a
      // host tick, time enough for a client's next request to reach a broker that has not heard.
      if (latencyMs === 0) broker.applyImage(this.controller.current);
      else this.runtime.timer(latencyMs, () => broker.applyImage(this.controller.current), `metadata:${broker.node}:v${image.version}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Faults

  /** An abrupt crash: connections reset, no controlled shutdown; `loseUnflushed` drops log bytes not yet flushed. */
  crashBroker(id: number, options: { loseUnflushed?: boolean } = {}): void {
    this.broker(id).crash(options);
  }

  restartBroker(id: number): void {
    this.broker(id).restart();
  }

  /** A controlled shutdown: leadership moves away first, nothing is lost. */
  shutdownBroker(id: number): void {
    this.broker(id).shutdown();
  }

  // -------------------------------------------------------------------------------------------------------
  // Topics (directly through the controller, for tests; clients use CreateTopics)

  createTopic(name: string, options: CreateTopicOptions = {}): TopicRegistration {
    const configs = new Map<string, string>();
    for (const [key, value] of Object.entries(options.configs ?? {})) {
      if (!TOPIC_CONFIG_BY_NAME.has(key)) throw new RangeError(`unknown topic config ${key}`);
      configs.set(key, String(value));
    }
    return this.controller.createTopic({
      name,
      numPartitions: options.assignments?.length ?? options.partitions ?? this.config.int('num.partitions'),
      replicationFactor: options.assignments?.[0]?.length ?? options.replicationFactor ?? this.config.int('default.replication.factor'),
      assignments: options.assignments,
      configs,
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Introspection

  partitionState(topic: string, partition: number): PartitionState {
    const registration = this.controller.current.topics.get(topic)?.partitions[partition];
    if (registration === undefined) throw new RangeError(`no partition ${topic}-${partition}`);
    const replicaStates = registration.replicas.map((brokerId) => {
      const replica = this.brokers.get(brokerId)?.replicas.get(`${topic}-${partition}`);
      return {
        brokerId,
        role: replica?.role ?? 'offline',
        leaderEpoch: replica?.leaderEpoch ?? -1,
        highWatermark: replica?.highWatermark ?? -1n,
        logStartOffset: replica?.logStartOffset ?? -1n,
        logEndOffset: replica?.logEndOffset ?? -1n,
      };
    });
    const leader = registration.leader === NO_LEADER ? undefined : replicaStates.find((r) => r.brokerId === registration.leader);
    return {
      topic,
      partition,
      leader: registration.leader,
      leaderEpoch: registration.leaderEpoch,
      replicas: registration.replicas,
      isr: registration.isr,
      highWatermark: leader?.highWatermark ?? -1n,
      logStartOffset: leader?.logStartOffset ?? -1n,
      logEndOffset: leader?.logEndOffset ?? -1n,
      replicaStates,
    };
  }

  /** `partitionState(topic, partition).highWatermark` without building the whole state (simulations poll it per event). */
  highWatermark(topic: string, partition: number): bigint {
    const registration = this.controller.current.topics.get(topic)?.partitions[partition];
    if (registration === undefined) throw new RangeError(`no partition ${topic}-${partition}`);
    if (registration.leader === NO_LEADER || !registration.replicas.includes(registration.leader)) return -1n;
    return this.brokers.get(registration.leader)?.replicas.get(`${topic}-${partition}`)?.highWatermark ?? -1n;
  }

  /** The segments of a partition's log on one broker (the leader by default), as Kafka names its files. */
  segments(topic: string, partition: number, brokerId?: number) {
    const registration = this.controller.current.topics.get(topic)?.partitions[partition];
    if (registration === undefined) throw new RangeError(`no partition ${topic}-${partition}`);
    const id = brokerId ?? registration.leader;
    const replica = this.brokers.get(id)?.replicas.get(`${topic}-${partition}`);
    if (replica === undefined) throw new RangeError(`broker ${id} hosts no running replica of ${topic}-${partition}`);
    return replica.log.segments();
  }

  /**
   * Asserts the model's invariants across every replica: HW <= LEO, logStartOffset <= HW (on leaders),
   * the high watermark never moves backwards within a leader epoch, and at most one broker believes it
   * leads a partition at a given epoch.
   */
  checkInvariants(): void {
    const leadersByEpoch = new Map<string, number>();
    for (const broker of this.brokers.values()) {
      if (broker.status !== 'running') continue;
      for (const replica of broker.replicas.values()) {
        const where = `${replica.topic}-${replica.partition} on broker ${broker.id}`;
        assert(replica.highWatermark <= replica.logEndOffset, `HW <= LEO for ${where}`);
        if (!replica.isLeader) continue;
        const key = `${replica.topic}-${replica.partition}@${replica.leaderEpoch}`;
        const other = leadersByEpoch.get(key);
        assert(other === undefined, `one leader per partition per epoch: ${key} led by ${other} and ${broker.id}`);
        leadersByEpoch.set(key, broker.id);
        const seen = this.highWatermarks.get(`${replica.topic}-${replica.partition}`);
        if (seen !== undefined && seen.epoch === replica.leaderEpoch) {
          assert(replica.highWatermark >= seen.value, `HW never moves backwards within epoch ${replica.leaderEpoch} for ${where}`);
        }
        if (seen === undefined || replica.leaderEpoch >= seen.epoch) {
          this.highWatermarks.set(`${replica.topic}-${replica.partition}`, { epoch: replica.leaderEpoch, value: replica.highWatermark });
        }
      }
    }
  }
}
