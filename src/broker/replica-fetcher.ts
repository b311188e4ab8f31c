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
 * Fetches run in an incremental fetch session (KIP-227, fetch-session-handler.ts), as Kafka's fetcher threads
 * do: after the first full fetch, a request lists only the partitions whose fetch position changed and the
 * answer only those with news, so an idle follower's fetches carry almost nothing. A partition absent from an
 * incremental answer still counts as answered: the follower applies the leader's high watermark and log start
 * offset it last heard for it (unchanged, or the leader would have said so), exactly as if it had been answered
 * again, so a follower whose own log moved since (a truncation) catches up as it would on a full answer. A new
 * connection starts a new session.
 *
 * Left out: throttling, tiered storage.
 */
import { ApiKey, ErrorCode, readBatchHeader, splitBatches, type FetchResponse, type FetchResponsePartitionData, type ListOffsetsResponse } from '../protocol/index.ts';
import type { Broker } from './broker.ts';
import { FetchSessionHandler, type FetchPartitionData, type FetchSessionRequest } from './fetch-session-handler.ts';
import { topicPartitionKey } from './metadata.ts';
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
  private readonly session = new FetchSessionHandler();
  /** The last fetch parameters built per replica, handed again while unchanged (the session compares by identity first). */
  private readonly fetchData = new WeakMap<Replica, FetchPartitionData>();
  /** Per partition of the session, the leader's high watermark and log start offset as last answered. */
  private readonly leaderPositions = new Map<string, { highWatermark: bigint; logStartOffset: bigint }>();

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
          const request = this.session.build(this.fetchPartitions(partitions));
          const response = (await connection.request(ApiKey.Fetch, FETCH_VERSION, this.buildRequest(request), {
            timeoutMs: 30_000,
          })) as FetchResponse;
          if (this.isStopped || this.broker.status !== 'running') break;
          // A session error: its partitions say nothing and the next request, at once, is full (as Kafka's fetcher).
          if (!this.session.handleResponse(response)) continue;
          const { progressed, outOfRange } = this.process(response, request);
          for (const replica of outOfRange) await this.handleOutOfRange(connection, replica);
          if (!progressed && outOfRange.length === 0) await this.delay(config.int('replica.fetch.backoff.ms'));
        } catch {
          this.session.handleError();
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
    this.session.handleError();
    this.connection = await this.broker.network.connect(
      { host: leader.host, port: leader.port },
      { clientId: `${this.broker.node}-replica-fetcher`, node: this.broker.node, timeoutMs: 10_000 },
    );
    return this.connection;
  }

  /** What each partition would fetch now, grouped by topic as the request lists them. */
  private fetchPartitions(partitions: Replica[]): FetchPartitionData[] {
    const partitionMaxBytes = this.broker.config.int('replica.fetch.max.bytes');
    const byTopic = new Map<string, Replica[]>();
    for (const replica of partitions) {
      const replicas = byTopic.get(replica.topic);
      if (replicas === undefined) byTopic.set(replica.topic, [replica]);
      else replicas.push(replica);
    }
    const wanted: FetchPartitionData[] = [];
    for (const replicas of byTopic.values()) {
      for (const replica of replicas) {
        const previous = this.fetchData.get(replica);
        const fetchOffset = replica.logEndOffset;
        const lastFetchedEpoch = replica.log.latestEpoch() ?? -1;
        const logStartOffset = replica.logStartOffset;
        if (
          previous !== undefined &&
          previous.fetchOffset === fetchOffset &&
          previous.currentLeaderEpoch === replica.leaderEpoch &&
          previous.lastFetchedEpoch === lastFetchedEpoch &&
          previous.logStartOffset === logStartOffset &&
          previous.partitionMaxBytes === partitionMaxBytes
        ) {
          wanted.push(previous);
          continue;
        }
        const data: FetchPartitionData = {
          key: previous?.key ?? topicPartitionKey(replica.topic, replica.partition),
          topic: replica.topic,
          partition: replica.partition,
          currentLeaderEpoch: replica.leaderEpoch,
          fetchOffset,
          lastFetchedEpoch,
          logStartOffset,
          partitionMaxBytes,
        };
        this.fetchData.set(replica, data);
        wanted.push(data);
      }
    }
    return wanted;
  }

  private buildRequest(request: FetchSessionRequest) {
    const config = this.broker.config;
    const topics = new Map<string, FetchPartitionData[]>();
    for (const data of request.toSend) {
      const partitions = topics.get(data.topic);
      if (partitions === undefined) topics.set(data.topic, [data]);
      else partitions.push(data);
    }
    const forgotten = new Map<string, number[]>();
    for (const { topic, partition } of request.toForget) {
      const partitions = forgotten.get(topic);
      if (partitions === undefined) forgotten.set(topic, [partition]);
      else partitions.push(partition);
    }
    return {
      replicaId: this.broker.id,
      maxWaitMs: config.int('replica.fetch.wait.max.ms'),
      minBytes: config.int('replica.fetch.min.bytes'),
      maxBytes: config.int('replica.fetch.response.max.bytes'),
      isolationLevel: 0,
      sessionId: request.sessionId,
      sessionEpoch: request.sessionEpoch,
      topics: [...topics].map(([topic, partitions]) => ({
        topic,
        partitions: partitions.map((data) => ({
          partition: data.partition,
          currentLeaderEpoch: data.currentLeaderEpoch,
          fetchOffset: data.fetchOffset,
          lastFetchedEpoch: data.lastFetchedEpoch,
          logStartOffset: data.logStartOffset,
          partitionMaxBytes: data.partitionMaxBytes,
        })),
      })),
      forgottenTopicsData: [...forgotten].map(([topic, partitions]) => ({ topic, partitions })),
      rackId: '',
    };
  }

  /**
   * Applies a fetch answer, partition by partition in the order they were asked for; `progressed` is false when
   * no partition moved (back off).
   */
  private process(response: FetchResponse, request: FetchSessionRequest): { progressed: boolean; outOfRange: Replica[] } {
    if (request.isFull) this.leaderPositions.clear();
    for (const { topic, partition } of request.toForget) this.leaderPositions.delete(topicPartitionKey(topic, partition));
    const answers = new Map<string, FetchResponsePartitionData>();
    for (const topic of response.responses) {
      for (const answer of topic.partitions) answers.set(topicPartitionKey(topic.topic, answer.partitionIndex), answer);
    }
    let progressed = false;
    const outOfRange: Replica[] = [];
    for (const data of request.partitions) {
      const key = data.key;
      const answer = answers.size === 0 ? undefined : answers.get(key);
      const replica = this.broker.replicas.get(key);
      const isFollowing = replica !== undefined && replica.role === 'follower' && replica.leaderId === this.leaderId;
      if (answer === undefined) {
        // Not in an incremental answer: nothing new, the same positions as the leader last answered.
        const known = request.isFull ? undefined : this.leaderPositions.get(key);
        if (known === undefined || !isFollowing) continue;
        progressed = true;
        replica.updateFollowerHighWatermark(known.highWatermark);
        if (known.logStartOffset > replica.logStartOffset) replica.log.maybeIncrementLogStartOffset(known.logStartOffset);
        continue;
      }
      // What the leader's session now believes we know, whether or not we can use it.
      if (answer.errorCode === ErrorCode.NONE) this.leaderPositions.set(key, { highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset });
      if (!isFollowing) continue;
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
