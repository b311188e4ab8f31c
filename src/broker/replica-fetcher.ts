/**
 * Follower replication (Kafka's `ReplicaFetcherThread` / `AbstractFetcherThread`): one fetch loop per
 * leader broker, over a real network connection, sending Fetch requests with `replicaId` set, the follower's
 * log end offset as fetch offset and its last fetched epoch (KIP-595's divergence check, Fetch v12).
 *
 * On each answer, per partition: a diverging epoch truncates the follower to the leader's end offset for
 * that epoch (how a deposed leader loses the acks=1 writes nobody replicated); records are appended with
 * their offsets; the follower's high watermark becomes min(leader high watermark, own log end). Errors
 * that mean "metadata moved" wait for the next image; connection failures back off
 * `replica.fetch.backoff.ms` and reconnect.
 *
 * Left out: fetch sessions (KIP-227; every fetch is full), throttling, tiered storage.
 */
import { ApiKey, ErrorCode, readBatchHeader, splitBatches, type FetchResponse, type ListOffsetsResponse } from '../protocol/index.ts';
import type { Broker } from './broker.ts';
import type { BrokerConnection } from './ports.ts';
import type { Replica } from './partition.ts';

const FETCH_VERSION = 12;

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, LeaderFetcher>();

  constructor(private readonly broker: Broker) {}

  /** Starts a fetcher for every leader this broker now follows; fetchers with nothing to fetch end themselves. */
  reconcile(): void {
    const leaders = new Set<number>();
    for (const replica of this.broker.replicas.values()) {
      if (replica.role === 'follower' && replica.leaderId >= 0 && replica.leaderId !== this.broker.id) leaders.add(replica.leaderId);
    }
    for (const leaderId of leaders) {
      let fetcher = this.fetchers.get(leaderId);
      if (fetcher === undefined) {
        fetcher = new LeaderFetcher(this.broker, leaderId, () => this.fetchers.delete(leaderId));
        this.fetchers.set(leaderId, fetcher);
      }
      fetcher.wake();
    }
  }

  stopAll(): void {
    for (const fetcher of this.fetchers.values()) fetcher.stop();
    this.fetchers.clear();
  }
}

class LeaderFetcher {
  private connection: BrokerConnection | null = null;
  private isRunning = false;
  private isStopped = false;

  constructor(
    private readonly broker: Broker,
    private readonly leaderId: number,
    private readonly onExit: () => void,
  ) {}

  wake(): void {
    if (this.isRunning || this.isStopped) return;
    this.isRunning = true;
    void this.loop();
  }

  stop(): void {
    this.isStopped = true;
    this.connection?.close();
    this.connection = null;
  }

  private partitions(): Replica[] {
    return [...this.broker.replicas.values()].filter((r) => r.role === 'follower' && r.leaderId === this.leaderId);
  }

  /** An untracked wait: background replication must not count as something the user awaits. */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.broker.runtime.timer(ms, resolve, `${this.broker.node}:fetcher-backoff`));
  }

  private async loop(): Promise<void> {
    const config = this.broker.config;
    try {
      while (!this.isStopped && this.broker.status === 'running') {
        const partitions = this.partitions();
        if (partitions.length === 0) break;
        try {
          const connection = await this.connect();
          const response = (await connection.request(ApiKey.Fetch, FETCH_VERSION, this.buildRequest(partitions), {
            timeoutMs: 30_000,
          })) as FetchResponse;
          if (this.isStopped || this.broker.status !== 'running') break;
          const { progressed, outOfRange } = this.process(response);
          for (const replica of outOfRange) await this.handleOutOfRange(connection, replica);
          if (!progressed && outOfRange.length === 0) await this.delay(config.int('replica.fetch.backoff.ms'));
        } catch {
          this.connection?.close();
          this.connection = null;
          if (this.isStopped) break;
          await this.delay(config.int('replica.fetch.backoff.ms'));
        }
      }
    } finally {
      this.isRunning = false;
      if (!this.isStopped) {
        // Leadership may have moved back to this leader while the loop was finishing.
        if (this.partitions().length > 0 && this.broker.status === 'running') this.wake();
        else {
          this.stop();
          this.onExit();
        }
      }
    }
  }

  private async connect(): Promise<BrokerConnection> {
    if (this.connection !== null && this.connection.isOpen) return this.connection;
    const leader = this.broker.image.brokers.get(this.leaderId);
    if (leader === undefined) throw new Error(`leader ${this.leaderId} is not registered`);
    this.connection = await this.broker.network.connect(
      { host: leader.host, port: leader.port },
      { clientId: `${this.broker.node}-replica-fetcher`, node: this.broker.node, timeoutMs: 10_000 },
    );
    return this.connection;
  }

  private buildRequest(partitions: Replica[]) {
    const config = this.broker.config;
    const byTopic = new Map<string, Replica[]>();
    for (const replica of partitions) byTopic.set(replica.topic, [...(byTopic.get(replica.topic) ?? []), replica]);
    return {
      replicaId: this.broker.id,
      maxWaitMs: config.int('replica.fetch.wait.max.ms'),
      minBytes: config.int('replica.fetch.min.bytes'),
      maxBytes: config.int('replica.fetch.response.max.bytes'),
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, replicas]) => ({
        topic,
        partitions: replicas.map((replica) => ({
          partition: replica.partition,
          currentLeaderEpoch: replica.leaderEpoch,
          fetchOffset: replica.logEndOffset,
          lastFetchedEpoch: replica.log.latestEpoch() ?? -1,
          logStartOffset: replica.logStartOffset,
          partitionMaxBytes: config.int('replica.fetch.max.bytes'),
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  /** Applies a fetch answer; `progressed` is false when no partition moved (back off). */
  private process(response: FetchResponse): { progressed: boolean; outOfRange: Replica[] } {
    let progressed = false;
    const outOfRange: Replica[] = [];
    for (const topic of response.responses) {
      for (const answer of topic.partitions) {
        const replica = this.broker.replicas.get(`${topic.topic}-${answer.partitionIndex}`);
        if (replica === undefined || replica.role !== 'follower' || replica.leaderId !== this.leaderId) continue;
        if (answer.errorCode === ErrorCode.NONE) {
          progressed = true;
          if (answer.divergingEpoch.epoch >= 0) {
            const end = answer.divergingEpoch.endOffset;
            replica.truncateTo(end < replica.logEndOffset ? end : replica.logEndOffset);
            continue;
          }
          if (answer.records !== null && answer.records.length > 0) this.append(replica, answer.records);
          replica.updateFollowerHighWatermark(answer.highWatermark);
          if (answer.logStartOffset > replica.logStartOffset) replica.log.maybeIncrementLogStartOffset(answer.logStartOffset);
        } else if (answer.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) outOfRange.push(replica);
      }
    }
    return { progressed, outOfRange };
  }

  /**
   * `AbstractFetcherThread.fetchOffsetAndTruncate`: ask the leader its log end (ListOffsets latest, which a
   * follower gets as the log end); past it, truncate to it; behind the leader's log start, start over there.
   */
  private async handleOutOfRange(connection: BrokerConnection, replica: Replica): Promise<void> {
    const ask = async (timestamp: bigint): Promise<bigint | null> => {
      const response = (await connection.request(
        ApiKey.ListOffsets,
        7,
        {
          replicaId: this.broker.id,
          isolationLevel: 0,
          topics: [{ name: replica.topic, partitions: [{ partitionIndex: replica.partition, currentLeaderEpoch: replica.leaderEpoch, timestamp }] }],
        },
        { timeoutMs: 30_000 },
      )) as ListOffsetsResponse;
      const answer = response.topics[0]?.partitions[0];
      return answer !== undefined && answer.errorCode === ErrorCode.NONE ? answer.offset : null;
    };
    const leaderEnd = await ask(-1n);
    if (leaderEnd === null || replica.role !== 'follower') return;
    if (leaderEnd < replica.logEndOffset) {
      replica.truncateTo(leaderEnd);
      return;
    }
    const leaderStart = await ask(-2n);
    if (leaderStart === null || replica.role !== 'follower') return;
    if (replica.logEndOffset < leaderStart) {
      replica.log.truncateFullyAndStartAt(leaderStart);
      replica.rebuildProducerState();
    }
  }

  private append(replica: Replica, records: Buffer): void {
    const { batches } = splitBatches(records);
    for (const batch of batches) {
      const header = readBatchHeader(batch);
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      if (lastOffset < replica.logEndOffset) continue;
      // Compaction leaves offset gaps on the leader, so a batch may start past our end; it must not overlap it.
      if (header.baseOffset < replica.logEndOffset) break;
      replica.log.appendAsFollower(batch);
      replica.producerState.update(header, header.baseOffset, lastOffset);
    }
  }
}
