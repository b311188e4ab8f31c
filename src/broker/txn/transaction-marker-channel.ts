/**
 * Writing the markers that end a transaction (Kafka's `TransactionMarkerChannelManager` and
 * `TransactionMarkerRequestCompletionHandler`, KIP-98): once PrepareCommit/PrepareAbort is in the transaction log,
 * the coordinator sends WriteTxnMarkers to the leader of every partition in the transaction (data partitions and the
 * `__consumer_offsets` partitions of AddOffsetsToTxn), one request per destination broker carrying every marker
 * queued for it, and when every partition has its marker it writes CompleteCommit/CompleteAbort.
 *
 * Per partition answer, as Kafka's completion handler decides:
 * - NONE: the partition leaves the transaction;
 * - INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED: this coordinator is stale; it stops sending for the
 *   transaction (the new coordinator completes it);
 * - anything else (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, ...), or a failed request: the
 *   partition is queued again for its current leader after `RETRY_BACKOFF_MS`.
 * A partition whose topic is gone is dropped (Kafka assumes it was deleted); one without a leader waits for one.
 * Markers are dropped when the coordinator loses the transaction's `__transaction_state` partition or its epoch
 * changes. The completion record is retried while the append answers COORDINATOR_NOT_AVAILABLE.
 *
 * Timing: the request goes out as soon as the markers are queued; with the default 1 ms links a transaction's
 * markers and completion take a few milliseconds of virtual time (leader appends wait for acks=all).
 *
 * Left out: the marker purgatory and metrics; Kafka's send thread polls without a backoff, this one waits
 * `RETRY_BACKOFF_MS` (Kafka's `retry.backoff.ms` default) before a retry so a stuck leader is not hammered.
 */
import type { Timer } from '../../runtime/index.ts';
import { ApiKey, ErrorCode, type WriteTxnMarkersRequestWritableTxnMarkerInput } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { NO_LEADER } from '../metadata.ts';
import { InterBrokerClient } from './inter-broker-client.ts';
import { partitionKey, type TopicPartition, type TransactionMetadata, type TxnTransitMetadata } from './transaction-metadata.ts';
import type { TransactionStateManager } from './transaction-state-manager.ts';

export const RETRY_BACKOFF_MS = 100;
const WRITE_TXN_MARKERS_VERSION = 1;

interface PendingCompletion {
  readonly transactionalId: string;
  readonly coordinatorEpoch: number;
  readonly isCommit: boolean;
  readonly metadata: TransactionMetadata;
  /** The CompleteCommit/CompleteAbort transition written once every marker is. */
  readonly transit: TxnTransitMetadata;
  readonly remaining: Map<string, TopicPartition>;
  isWritingCompletion: boolean;
}

export class TransactionMarkerChannel {
  private readonly pending = new Map<string, PendingCompletion>();
  /** Per destination broker: the partitions queued per transaction. */
  private readonly queues = new Map<number, Map<PendingCompletion, Map<string, TopicPartition>>>();
  private readonly draining = new Set<number>();
  /** Partitions with no leader right now, retried on the next image or after the backoff. */
  private unresolved: Array<{ completion: PendingCompletion; tp: TopicPartition }> = [];
  private readonly timers: Timer[] = [];
  private readonly client: InterBrokerClient;
  private generation = 0;

  constructor(
    private readonly broker: Broker,
    private readonly state: TransactionStateManager,
  ) {
    this.client = new InterBrokerClient(broker, `${broker.node}-txn-marker-sender`);
  }

  /** Transactional ids whose markers are being written. */
  pendingTransactionalIds(): string[] {
    return [...this.pending.keys()];
  }

  /** Starts writing the markers of a transaction whose PrepareCommit/PrepareAbort is in the log. */
  addTxnMarkersToSend(coordinatorEpoch: number, isCommit: boolean, metadata: TransactionMetadata, transit: TxnTransitMetadata): void {
    const completion: PendingCompletion = {
      transactionalId: metadata.transactionalId,
      coordinatorEpoch,
      isCommit,
      metadata,
      transit,
      remaining: new Map(metadata.partitions().map((tp) => [partitionKey(tp), tp])),
      isWritingCompletion: false,
    };
    this.pending.set(metadata.transactionalId, completion);
    this.enqueue(completion, [...completion.remaining.values()]);
  }

  /** The coordinator gave up a `__transaction_state` partition: its transactions' markers are someone else's now. */
  removeMarkersForTxnTopicPartition(txnPartition: number): void {
    for (const [transactionalId, completion] of [...this.pending]) {
      if (this.state.partitionFor(transactionalId) === txnPartition) this.forget(completion);
    }
  }

  /** A new metadata image: partitions waiting for a leader may have one. */
  onImage(): void {
    if (this.unresolved.length === 0) return;
    const waiting = this.unresolved;
    this.unresolved = [];
    for (const { completion, tp } of waiting) if (this.isCurrent(completion)) this.enqueue(completion, [tp]);
  }

  stop(): void {
    this.generation++;
    for (const timer of this.timers.splice(0)) timer.cancel();
    this.pending.clear();
    this.queues.clear();
    this.draining.clear();
    this.unresolved = [];
    this.client.closeAll();
  }

  private isCurrent(completion: PendingCompletion): boolean {
    if (this.pending.get(completion.transactionalId) !== completion) return false;
    const lookup = this.state.getTransactionState(completion.transactionalId);
    return lookup.errorCode === ErrorCode.NONE && lookup.entry !== null && lookup.entry.coordinatorEpoch === completion.coordinatorEpoch && lookup.entry.metadata === completion.metadata;
  }

  private forget(completion: PendingCompletion): void {
    if (this.pending.get(completion.transactionalId) === completion) this.pending.delete(completion.transactionalId);
    for (const queue of this.queues.values()) queue.delete(completion);
    this.unresolved = this.unresolved.filter((u) => u.completion !== completion);
  }

  private later(delayMs: number, task: () => void): void {
    const generation = this.generation;
    const timer = this.broker.runtime.timer(
      delayMs,
      () => {
        const index = this.timers.indexOf(timer);
        if (index >= 0) this.timers.splice(index, 1);
        if (generation === this.generation) task();
      },
      `${this.broker.node}:txn-marker-retry`,
    );
    this.timers.push(timer);
  }

  /** Queues partitions for their leaders as this broker's metadata names them (Kafka's `addTxnMarkersToBrokerQueue`). */
  private enqueue(completion: PendingCompletion, partitions: readonly TopicPartition[]): void {
    const image = this.broker.image;
    const destinations = new Set<number>();
    let waitsForLeader = false;
    for (const tp of partitions) {
      const topic = image.topics.get(tp.topic);
      const registration = topic?.partitions[tp.partition];
      if (registration === undefined) {
        // Kafka: with no such partition in the metadata, the topic was likely deleted; nothing left to mark.
        this.markWritten(completion, tp);
        continue;
      }
      const leader = registration.leader === NO_LEADER ? undefined : image.brokers.get(registration.leader);
      if (leader === undefined || leader.fenced) {
        this.unresolved.push({ completion, tp });
        waitsForLeader = true;
        continue;
      }
      let queue = this.queues.get(leader.id);
      if (queue === undefined) {
        queue = new Map();
        this.queues.set(leader.id, queue);
      }
      let queued = queue.get(completion);
      if (queued === undefined) {
        queued = new Map();
        queue.set(completion, queued);
      }
      queued.set(partitionKey(tp), tp);
      destinations.add(leader.id);
    }
    if (waitsForLeader) this.later(RETRY_BACKOFF_MS, () => this.onImage());
    for (const brokerId of [...destinations].sort((a, b) => a - b)) void this.drain(brokerId);
    this.maybeWriteCompletion(completion);
  }

  private markWritten(completion: PendingCompletion, tp: TopicPartition): void {
    completion.remaining.delete(partitionKey(tp));
    completion.metadata.removePartition(tp);
  }

  /** Sends everything queued for one broker, one request at a time, until its queue is empty. */
  private async drain(brokerId: number): Promise<void> {
    if (this.draining.has(brokerId)) return;
    this.draining.add(brokerId);
    const generation = this.generation;
    try {
      for (;;) {
        const queue = this.queues.get(brokerId);
        if (queue === undefined || queue.size === 0 || generation !== this.generation) return;
        this.queues.delete(brokerId);
        const batch = [...queue].filter(([completion]) => this.isCurrent(completion));
        if (batch.length === 0) continue;
        const markers: WriteTxnMarkersRequestWritableTxnMarkerInput[] = batch.map(([completion, partitions]) => {
          const byTopic = new Map<string, number[]>();
          for (const tp of partitions.values()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
          return {
            producerId: completion.transit.producerId,
            producerEpoch: completion.transit.producerEpoch,
            transactionResult: completion.isCommit,
            coordinatorEpoch: completion.coordinatorEpoch,
            topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          };
        });
        let response;
        try {
          response = await this.client.request(brokerId, ApiKey.WriteTxnMarkers, WRITE_TXN_MARKERS_VERSION, { markers }, this.broker.config.int('request.timeout.ms'));
        } catch {
          if (generation !== this.generation) return;
          // Disconnected or timed out: every marker of the request is queued again for whoever leads then.
          this.later(RETRY_BACKOFF_MS, () => {
            for (const [completion, partitions] of batch) if (this.isCurrent(completion)) this.enqueue(completion, [...partitions.values()]);
          });
          continue;
        }
        if (generation !== this.generation) return;
        this.onResponse(batch, response.markers);
      }
    } finally {
      if (generation === this.generation) this.draining.delete(brokerId);
    }
  }

  private onResponse(
    batch: ReadonlyArray<[PendingCompletion, Map<string, TopicPartition>]>,
    results: ReadonlyArray<{ producerId: bigint; topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number; errorCode: number }> }> }>,
  ): void {
    for (const [completion, partitions] of batch) {
      if (!this.isCurrent(completion)) {
        this.forget(completion);
        continue;
      }
      const result = results.find((r) => r.producerId === completion.transit.producerId);
      const retry: TopicPartition[] = [];
      let isFenced = false;
      for (const tp of partitions.values()) {
        const answer = result?.topics.find((t) => t.name === tp.topic)?.partitions.find((p) => p.partitionIndex === tp.partition);
        const errorCode = answer?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (errorCode === ErrorCode.NONE) this.markWritten(completion, tp);
        else if (errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED) isFenced = true;
        else retry.push(tp);
      }
      if (isFenced) {
        this.forget(completion);
        continue;
      }
      if (retry.length > 0) this.later(RETRY_BACKOFF_MS, () => this.isCurrent(completion) && this.enqueue(completion, retry));
      else this.maybeWriteCompletion(completion);
    }
  }

  /** Every marker is written: CompleteCommit/CompleteAbort goes to the log (Kafka's `writeTxnCompletion`). */
  private maybeWriteCompletion(completion: PendingCompletion): void {
    if (completion.remaining.size > 0 || completion.isWritingCompletion || !this.isCurrent(completion)) return;
    completion.isWritingCompletion = true;
    const generation = this.generation;
    void this.state
      .appendTransactionToLog(completion.transactionalId, completion.coordinatorEpoch, completion.transit, (errorCode) => errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
      .then((errorCode) => {
        if (generation !== this.generation) return;
        completion.isWritingCompletion = false;
        if (errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE && this.isCurrent(completion)) {
          this.later(RETRY_BACKOFF_MS, () => this.maybeWriteCompletion(completion));
          return;
        }
        this.forget(completion);
      });
  }
}
