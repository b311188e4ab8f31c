/**
 * The KRaft controller, reduced to one logical node (`controller` on the network): it owns the metadata
 * image and is the only writer of topics, partition assignments, leaders, leader epochs and ISRs.
 *
 * What it follows from Kafka (`ReplicationControlManager`, `PartitionChangeBuilder`,
 * `StripedReplicaPlacer`, `BrokerHeartbeatManager`):
 * - placement: round-robin over live brokers from a start index, rack-aware when racks are set (each
 *   partition's replicas spread across racks first); the first replica is the preferred leader;
 * - broker liveness: a broker that misses `broker.session.timeout.ms` of heartbeats is fenced; fencing
 *   removes it from every ISR (never below one member: the last ISR member stays, with no leader, so it can
 *   lead again when it returns) and moves leadership to the first live ISR member in replica order;
 * - unclean election (`unclean.leader.election.enable`): only when no ISR member is alive, the first live
 *   replica becomes leader with an ISR of itself (data loss is possible, as in Kafka);
 * - AlterPartition from a leader: accepted only with the current leader epoch and partition epoch, and
 *   only with unfenced replicas in the new ISR;
 * - every leader change bumps the leader epoch; every leader or ISR change bumps the partition epoch.
 *
 * Left out: a controller quorum (the controller never fails), preferred-leader auto-rebalancing
 * (`auto.leader.rebalance.enable`), reassignments, ELR.
 */
import type { Runtime, Timer } from '../runtime/index.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { BrokerConfig } from './config.ts';
import {
  NO_LEADER,
  type BrokerRegistration,
  type MetadataImage,
  type PartitionRegistration,
  type TopicRegistration,
} from './metadata.ts';

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  /** Explicit assignment: replicas per partition (CreateTopics `assignments`). */
  assignments?: ReadonlyArray<readonly number[]>;
  configs?: ReadonlyMap<string, string>;
  isInternal?: boolean;
}

export type ImageListener = (image: MetadataImage) => void;

export class Controller {
  static readonly NODE = 'controller';

  private image: MetadataImage;
  private readonly sessionTimers = new Map<number, Timer>();
  private readonly listeners: ImageListener[] = [];
  private nextProducerId = 1000n;

  constructor(
    private readonly runtime: Runtime,
    private readonly config: BrokerConfig,
    clusterId: string,
  ) {
    this.image = { version: 0, clusterId, controllerId: 1, brokers: new Map(), topics: new Map() };
  }

  get current(): MetadataImage {
    return this.image;
  }

  onPublish(listener: ImageListener): void {
    this.listeners.push(listener);
  }

  private publish(change: Partial<Omit<MetadataImage, 'version'>>): void {
    this.image = { ...this.image, ...change, version: this.image.version + 1 };
    for (const listener of this.listeners) listener(this.image);
  }

  // -------------------------------------------------------------------------------------------------------
  // Brokers

  /**
   * A broker (re)registers, fenced until its first heartbeat. A new incarnation of a broker the controller
   * still counts as live (it crashed and came back within `broker.session.timeout.ms`) is handled as Kafka's
   * `handleBrokerUncleanShutdown` does: out of every ISR it can leave, leadership elected elsewhere, before it
   * may serve again. Without this a restarted leader that lost its unflushed log would lead again with an
   * empty log, and its followers would truncate acknowledged records away.
   */
  registerBroker(registration: Omit<BrokerRegistration, 'fenced' | 'inControlledShutdown'>): void {
    const previous = this.image.brokers.get(registration.id);
    this.sessionTimers.get(registration.id)?.cancel();
    this.sessionTimers.delete(registration.id);
    const brokers = new Map(this.image.brokers);
    brokers.set(registration.id, { ...registration, fenced: true, inControlledShutdown: false });
    const topics = previous === undefined ? this.image.topics : this.reelect(brokers, registration.id);
    this.publish({ brokers, topics, controllerId: Math.min(...brokers.keys()) });
  }

  /** A broker heartbeat: unfences it (it has caught up, as the simulation delivers images in order) and renews its session. */
  heartbeat(brokerId: number): void {
    const broker = this.image.brokers.get(brokerId);
    if (broker === undefined) return;
    this.sessionTimers.get(brokerId)?.cancel();
    this.sessionTimers.set(
      brokerId,
      this.runtime.timer(this.config.int('broker.session.timeout.ms'), () => this.fence(brokerId), `controller:session:${brokerId}`),
    );
    if (broker.fenced && !broker.inControlledShutdown) this.unfence(brokerId);
  }

  fence(brokerId: number): void {
    const broker = this.image.brokers.get(brokerId);
    if (broker === undefined || broker.fenced) return;
    this.sessionTimers.get(brokerId)?.cancel();
    this.sessionTimers.delete(brokerId);
    const brokers = new Map(this.image.brokers);
    brokers.set(brokerId, { ...broker, fenced: true });
    this.publish({ brokers, topics: this.reelect(brokers, brokerId) });
  }

  private unfence(brokerId: number): void {
    const brokers = new Map(this.image.brokers);
    brokers.set(brokerId, { ...this.image.brokers.get(brokerId)!, fenced: false, inControlledShutdown: false });
    this.publish({ brokers, topics: this.reelect(brokers, null) });
  }

  /** Controlled shutdown: leadership and ISR membership move away before the broker stops. */
  controlledShutdown(brokerId: number): void {
    const broker = this.image.brokers.get(brokerId);
    if (broker === undefined) return;
    this.sessionTimers.get(brokerId)?.cancel();
    this.sessionTimers.delete(brokerId);
    const brokers = new Map(this.image.brokers);
    brokers.set(brokerId, { ...broker, fenced: true, inControlledShutdown: true });
    this.publish({ brokers, topics: this.reelect(brokers, brokerId) });
  }

  /**
   * Recomputes leaders and ISRs after broker liveness changed: `removed` (fenced) leaves every ISR it
   * can leave, and leaderless or fenced-led partitions elect a leader.
   */
  private reelect(brokers: ReadonlyMap<number, BrokerRegistration>, removed: number | null): Map<string, TopicRegistration> {
    const isLive = (id: number) => brokers.get(id)?.fenced === false;
    const topics = new Map<string, TopicRegistration>();
    for (const [name, topic] of this.image.topics) {
      const unclean = (topic.configs.get('unclean.leader.election.enable') ?? this.config.get('unclean.leader.election.enable')) === 'true';
      const partitions = topic.partitions.map((p) => {
        let isr = p.isr;
        if (removed !== null && isr.includes(removed) && isr.length > 1) isr = isr.filter((id) => id !== removed);
        let leader = p.leader;
        if (leader === NO_LEADER || !isLive(leader)) {
          const candidate = p.replicas.find((id) => isr.includes(id) && isLive(id));
          if (candidate !== undefined) leader = candidate;
          else if (unclean && p.replicas.some(isLive)) {
            leader = p.replicas.find(isLive)!;
            isr = [leader];
          } else leader = NO_LEADER;
        }
        if (leader === p.leader && isr === p.isr) return p;
        return {
          ...p,
          leader,
          isr,
          leaderEpoch: leader !== p.leader ? p.leaderEpoch + 1 : p.leaderEpoch,
          partitionEpoch: p.partitionEpoch + 1,
        };
      });
      topics.set(name, partitions.every((p, i) => p === topic.partitions[i]) ? topic : { ...topic, partitions });
    }
    return topics;
  }

  // -------------------------------------------------------------------------------------------------------
  // Topics

  /** Replica placement as Kafka's striped placer does it; null when there are too few live brokers. */
  placeReplicas(numPartitions: number, replicationFactor: number, firstPartition = 0): number[][] | null {
    const live = [...this.image.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id);
    if (replicationFactor > live.length || replicationFactor < 1) return null;
    const byRack = new Map<string, number[]>();
    for (const broker of live) {
      const rack = broker.rack ?? '';
      byRack.set(rack, [...(byRack.get(rack) ?? []), broker.id]);
    }
    // Interleave racks so consecutive brokers in the list sit on different racks (rack-aware placement).
    const racks = [...byRack.keys()].sort();
    const ordered: number[] = [];
    for (let i = 0; ordered.length < live.length; i++) {
      for (const rack of racks) {
        const ids = byRack.get(rack)!;
        if (i < ids.length) ordered.push(ids[i]);
      }
    }
    const start = this.runtime.random.int(ordered.length);
    const shift = this.runtime.random.int(Math.max(1, ordered.length - 1));
    const assignments: number[][] = [];
    for (let p = 0; p < numPartitions; p++) {
      const index = firstPartition + p;
      const first = (start + index) % ordered.length;
      const replicas = [ordered[first]];
      for (let r = 1; r < replicationFactor; r++) {
        const step = 1 + ((shift + Math.floor(index / ordered.length) + r - 1) % (ordered.length - 1));
        let candidate = ordered[(first + step) % ordered.length];
        // Skip brokers already chosen (possible when the shifted steps wrap).
        let guard = 0;
        while (replicas.includes(candidate) && guard++ < ordered.length) {
          candidate = ordered[(ordered.indexOf(candidate) + 1) % ordered.length];
        }
        replicas.push(candidate);
      }
      assignments.push(replicas);
    }
    return assignments;
  }

  createTopic(spec: CreateTopicSpec): TopicRegistration {
    const assignments = spec.assignments ?? this.placeReplicas(spec.numPartitions, spec.replicationFactor);
    if (assignments === null) throw new Error(`cannot place ${spec.name}: replication factor above live brokers`);
    const partitions = assignments.map((replicas, partition) => this.newPartition(partition, replicas));
    const topic: TopicRegistration = {
      name: spec.name,
      topicId: this.runtime.uuid(),
      partitions,
      configs: new Map(spec.configs ?? []),
      isInternal: spec.isInternal ?? false,
    };
    const topics = new Map(this.image.topics);
    topics.set(spec.name, topic);
    this.publish({ topics });
    return topic;
  }

  private newPartition(partition: number, replicas: readonly number[]): PartitionRegistration {
    const live = replicas.filter((id) => this.image.brokers.get(id)?.fenced === false);
    const isr = live.length > 0 ? live : [replicas[0]];
    const leader = live.length > 0 ? live[0] : NO_LEADER;
    return { partition, replicas, isr, leader, leaderEpoch: 0, partitionEpoch: 0 };
  }

  deleteTopic(name: string): boolean {
    if (!this.image.topics.has(name)) return false;
    const topics = new Map(this.image.topics);
    topics.delete(name);
    this.publish({ topics });
    return true;
  }

  /** CreatePartitions: new partitions are appended; existing ones are untouched. */
  createPartitions(name: string, totalCount: number, assignments?: ReadonlyArray<readonly number[]>): void {
    const topic = this.image.topics.get(name)!;
    const existing = topic.partitions.length;
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
    const placed = assignments ?? this.placeReplicas(totalCount - existing, replicationFactor, existing);
    if (placed === null) throw new Error(`cannot place partitions of ${name}`);
    const partitions = [...topic.partitions, ...placed.map((replicas, i) => this.newPartition(existing + i, replicas))];
    const topics = new Map(this.image.topics);
    topics.set(name, { ...topic, partitions });
    this.publish({ topics });
  }

  alterTopicConfigs(name: string, configs: ReadonlyMap<string, string>): void {
    const topic = this.image.topics.get(name);
    if (topic === undefined) return;
    const topics = new Map(this.image.topics);
    topics.set(name, { ...topic, configs: new Map(configs) });
    this.publish({ topics });
  }

  /**
   * AlterPartition: a leader asks to change the ISR. Returns Kafka's error code, and the new
   * registration on success.
   */
  alterPartition(
    brokerId: number,
    topicName: string,
    partitionIndex: number,
    leaderEpoch: number,
    partitionEpoch: number,
    newIsr: readonly number[],
  ): { errorCode: number; partition?: PartitionRegistration } {
    const topic = this.image.topics.get(topicName);
    const partition = topic?.partitions[partitionIndex];
    if (topic === undefined || partition === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (partition.leader !== brokerId || leaderEpoch !== partition.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    if (partitionEpoch !== partition.partitionEpoch) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION };
    if (newIsr.some((id) => !partition.replicas.includes(id) || this.image.brokers.get(id)?.fenced !== false)) {
      return { errorCode: ErrorCode.INELIGIBLE_REPLICA };
    }
    if (!newIsr.includes(brokerId)) return { errorCode: ErrorCode.INVALID_REQUEST };
    const updated: PartitionRegistration = { ...partition, isr: [...newIsr], partitionEpoch: partition.partitionEpoch + 1 };
    const partitions = topic.partitions.map((p) => (p.partition === partitionIndex ? updated : p));
    const topics = new Map(this.image.topics);
    topics.set(topicName, { ...topic, partitions });
    this.publish({ topics });
    return { errorCode: ErrorCode.NONE, partition: updated };
  }

  /** Producer ids come from one cluster-wide counter (KIP-730: the controller allocates them). */
  allocateProducerId(): bigint {
    return this.nextProducerId++;
  }
}
