/**
 * One broker's replica of one partition (Kafka's `Partition`): its log, its role (leader or follower) at a
 * leader epoch, and, on the leader, the replication state that decides what is committed.
 *
 * From Kafka's `Partition` and `ReplicaManager`:
 * - the high watermark is the smallest log end offset over the ISR (leader included); it only moves
 *   forward within a leader epoch, and consumers read below it;
 * - a follower is caught up when it fetched up to the leader's log end offset; `lastCaughtUpTimeMs`
 *   follows Kafka's rule (a fetch reaching the end offset the leader had at the previous fetch counts
 *   from that fetch's time), and a follower not caught up for `replica.lag.time.max.ms` is removed from
 *   the ISR through AlterPartition; a follower reaching the high watermark is added back;
 * - acks=all waits until the high watermark passes the append, then answers NONE, or
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below `min.insync.replicas` meanwhile.
 * - the last stable offset (KIP-98) is the first offset of the oldest open transaction the log knows, bounded by the
 *   high watermark and raised to the log start offset; read_committed consumers read below it.
 *
 * Left out: the "maximal ISR" used while an expansion is in flight (the committed ISR is used), and
 * follower fetching from the closest replica (KIP-392).
 */
import type { Runtime, Timer } from '../runtime/index.ts';
import { assert } from '../runtime/assert.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { PartitionLog } from './log/index.ts';
import type { PartitionRegistration } from './metadata.ts';
import { ProducerStateManager } from './producer-state.ts';
import { readBatchHeader, splitBatches } from '../protocol/codec/record-batch.ts';

export interface FollowerState {
  logEndOffset: bigint;
  /** The follower's log start offset as its last fetch reported it (-1 before the first); DeleteRecords waits on it. */
  logStartOffset: bigint;
  lastCaughtUpTimeMs: number;
  lastFetchLeaderLogEndOffset: bigint;
  lastFetchTimeMs: number;
}

interface HighWatermarkWaiter {
  readonly requiredOffset: bigint;
  readonly minInsyncReplicas: number;
  readonly resolve: (errorCode: number) => void;
  readonly timer: Timer;
}

export type ReplicaRole = 'leader' | 'follower' | 'none';

export class Replica {
  role: ReplicaRole = 'none';
  leaderId = -1;
  leaderEpoch = -1;
  registration: PartitionRegistration | null = null;
  highWatermark = 0n;
  readonly followers = new Map<number, FollowerState>();
  readonly producerState = new ProducerStateManager();
  /** An AlterPartition this leader sent and has not seen answered or published yet. */
  pendingIsrChange = false;
  private waiters: HighWatermarkWaiter[] = [];
  private readonly dataListeners = new Set<() => void>();
  private readonly followerFetchListeners = new Set<() => void>();

  constructor(
    readonly brokerId: number,
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    private readonly runtime: Runtime,
  ) {
    this.rebuildProducerState();
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get isr(): readonly number[] {
    return this.registration?.isr ?? [];
  }

  /**
   * Last stable offset: below the first open transaction, never above the high watermark, never below the log start
   * offset (a transaction whose beginning was deleted does not hold it there: Kafka's `maybeIncrementFirstUnstableOffset`).
   */
  get lastStableOffset(): bigint {
    let unstable = this.log.firstUnstableOffset();
    if (unstable === null) return this.highWatermark;
    if (unstable < this.log.logStartOffset) unstable = this.log.logStartOffset;
    return unstable < this.highWatermark ? unstable : this.highWatermark;
  }

  // -------------------------------------------------------------------------------------------------------
  // Role changes (driven by the broker's metadata image)

  becomeLeader(registration: PartitionRegistration, nowMs: number): void {
    const newEpoch = registration.leaderEpoch !== this.leaderEpoch || this.role !== 'leader';
    this.registration = registration;
    if (!newEpoch) return;
    this.role = 'leader';
    this.leaderId = this.brokerId;
    this.leaderEpoch = registration.leaderEpoch;
    this.pendingIsrChange = false;
    this.log.assignEpochStartOffset(registration.leaderEpoch, this.log.logEndOffset);
    this.followers.clear();
    for (const id of registration.replicas) {
      if (id === this.brokerId) continue;
      this.followers.set(id, {
        logEndOffset: -1n,
        logStartOffset: -1n,
        // Kafka gives ISR members a fresh grace period when leadership changes.
        lastCaughtUpTimeMs: registration.isr.includes(id) ? nowMs : 0,
        lastFetchLeaderLogEndOffset: -1n,
        lastFetchTimeMs: 0,
      });
    }
    if (this.highWatermark > this.log.logEndOffset) this.highWatermark = this.log.logEndOffset;
    this.maybeIncrementHighWatermark();
  }

  becomeFollower(registration: PartitionRegistration): void {
    const changed = registration.leaderEpoch !== this.leaderEpoch || this.role !== 'follower' || registration.leader !== this.leaderId;
    this.registration = registration;
    if (!changed) return;
    this.role = 'follower';
    this.leaderId = registration.leader;
    this.leaderEpoch = registration.leaderEpoch;
    this.followers.clear();
    this.pendingIsrChange = false;
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Kafka completes the fetches parked here at once (`completeDelayedOperationsWhenNotPartitionLeader`), so a
    // consumer long-polling the old leader hears NOT_LEADER_OR_FOLLOWER now, not when its maxWait runs out.
    this.notifyData();
  }

  /** The partition is gone from this broker (deleted, reassigned) or the broker stopped. */
  stop(): void {
    this.role = 'none';
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.notifyData();
    this.dataListeners.clear();
    this.followerFetchListeners.clear();
  }

  /** Only the registration changed (e.g. the ISR) while the role and epoch stayed. */
  updateRegistration(registration: PartitionRegistration): void {
    this.registration = registration;
    this.pendingIsrChange = false;
    if (this.isLeader) {
      this.maybeIncrementHighWatermark();
      this.checkWaiters();
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Appends

  /** Called after the leader appended: the high watermark may move if the ISR is only the leader. */
  afterLeaderAppend(): void {
    this.maybeIncrementHighWatermark();
    this.notifyData();
  }

  /** Waits until the high watermark passes `requiredOffset` (acks=all). Resolves with an error code. */
  waitForHighWatermark(requiredOffset: bigint, minInsyncReplicas: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const waiter: HighWatermarkWaiter = {
        requiredOffset,
        minInsyncReplicas,
        resolve,
        timer: this.runtime.timer(
          timeoutMs,
          () => {
            this.waiters = this.waiters.filter((w) => w !== waiter);
            resolve(ErrorCode.REQUEST_TIMED_OUT);
          },
          `produce-timeout:${this.topic}-${this.partition}`,
        ),
      };
      this.waiters.push(waiter);
      this.checkWaiters();
    });
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const remaining: HighWatermarkWaiter[] = [];
    for (const waiter of this.waiters) {
      if (this.highWatermark >= waiter.requiredOffset) {
        waiter.timer.cancel();
        waiter.resolve(this.isr.length >= waiter.minInsyncReplicas ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
      } else remaining.push(waiter);
    }
    this.waiters = remaining;
  }

  private failWaiters(errorCode: number): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.timer.cancel();
      waiter.resolve(errorCode);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Replication (leader side)

  /**
   * A follower fetched from `fetchOffset` (its log end offset). Updates its state as Kafka's
   * `Replica.updateFetchStateOrThrow` does and returns whether it should join the ISR.
   */
  recordFollowerFetch(followerId: number, fetchOffset: bigint, nowMs: number, followerLogStartOffset = -1n): { shouldExpandIsr: boolean } {
    const state = this.followers.get(followerId);
    if (state === undefined) return { shouldExpandIsr: false };
    const leaderEnd = this.log.logEndOffset;
    if (fetchOffset >= leaderEnd) state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= state.lastFetchLeaderLogEndOffset) {
      state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, state.lastFetchTimeMs);
    }
    state.logEndOffset = fetchOffset;
    state.logStartOffset = followerLogStartOffset;
    state.lastFetchLeaderLogEndOffset = leaderEnd;
    state.lastFetchTimeMs = nowMs;
    const epochStart = this.log.epochStartOffset(this.leaderEpoch) ?? 0n;
    const shouldExpandIsr =
      !this.isr.includes(followerId) && fetchOffset >= this.highWatermark && fetchOffset >= epochStart && !this.pendingIsrChange;
    this.maybeIncrementHighWatermark();
    for (const listener of [...this.followerFetchListeners]) listener();
    return { shouldExpandIsr };
  }

  /** Followers in the ISR that have not caught up within `lagTimeMaxMs`. */
  outOfSyncReplicas(nowMs: number, lagTimeMaxMs: number): number[] {
    return this.isr.filter((id) => {
      if (id === this.brokerId) return false;
      const state = this.followers.get(id);
      return state === undefined || nowMs - state.lastCaughtUpTimeMs > lagTimeMaxMs;
    });
  }

  maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    let candidate = this.log.logEndOffset;
    for (const id of this.isr) {
      if (id === this.brokerId) continue;
      const state = this.followers.get(id);
      const end = state === undefined ? -1n : state.logEndOffset;
      if (end < candidate) candidate = end;
    }
    if (candidate > this.highWatermark) {
      this.highWatermark = candidate;
      this.checkWaiters();
      this.notifyData();
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Replication (follower side)

  /** Applies the leader's high watermark as a follower knows it: never above its own log end. */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): void {
    const next = leaderHighWatermark < this.log.logEndOffset ? leaderHighWatermark : this.log.logEndOffset;
    if (next > this.highWatermark) {
      this.highWatermark = next;
      this.notifyData();
    }
  }

  truncateTo(offset: bigint): void {
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset);
    if (this.highWatermark > offset) this.highWatermark = offset;
    this.rebuildProducerState();
  }

  rebuildProducerState(): void {
    this.producerState.clear();
    let offset = this.log.logStartOffset;
    while (offset < this.log.logEndOffset) {
      const read = this.log.read(offset, { maxBytes: 1 << 30, maxOffset: this.log.logEndOffset, minOneMessage: true });
      if (read.errorCode !== ErrorCode.NONE || read.records.length === 0) break;
      const { batches } = splitBatches(read.records);
      let next = offset;
      for (const batch of batches) {
        const header = readBatchHeader(batch);
        const last = header.baseOffset + BigInt(header.lastOffsetDelta);
        if (last >= offset) this.producerState.update(header, header.baseOffset, last);
        next = last + 1n;
      }
      assert(next > offset, 'reading the log must make progress');
      offset = next;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Data notifications (long-polling fetches wait on these)

  onData(listener: () => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  /** Called after every follower fetch this leader records (DeleteRecords waits on followers' log start offsets). */
  onFollowerFetch(listener: () => void): () => void {
    this.followerFetchListeners.add(listener);
    return () => this.followerFetchListeners.delete(listener);
  }

  notifyData(): void {
    for (const listener of [...this.dataListeners]) listener();
  }
}
