/**
 * The history of a simulation run, as Jepsen records one (jepsen `tests/kafka.clj`): an append-only list of
 * operation records, each an `invoke` followed later by exactly one completion, `ok` (definitely happened),
 * `fail` (definitely did not) or `info` (unknown: timeout, crash, NotLeaderOrFollower per KAFKA-13574).
 * Plain data, independent of the simulator and the client, so the checkers are pure functions of it and can
 * be unit-tested on hand-written histories.
 *
 * Records Jepsen has no need for, designed here for kafkasim's consumer checks:
 * - `process` (invoke when the app starts handling one delivered record, ok when it is done) lets
 *   `committed-too-far` tell "delivered and finished" from "delivered and still being processed";
 * - `assign` carries the group's `generationId` and `memberId`, so `split-ownership` can find two owners of one
 *   partition in one generation; `rebalance` records revokes and losses (eager `onJoinPrepare`, KIP-429).
 * - `end-txn` closes a transaction named by the sends that belong to it (`transaction`), so `aborted-read`
 *   knows which values were never committed.
 *
 * Conventions: a `process` is one logical thread of one client instance (a producer's sends are ordered by
 * their invoke; a consumer polls sequentially); values are unique per partition (Jepsen's workload
 * guarantees it, and every checker leans on it); committed offsets are the *next* offset to read, as in Kafka.
 * Leaves out: Jepsen's `txn` micro-op lists (a send op carries records, a poll op carries deliveries).
 */
import { assert } from '../src/runtime/assert.ts';

export type OperationType = 'invoke' | 'ok' | 'info' | 'fail';
export type CompletionType = Exclude<OperationType, 'invoke'>;
export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One record a send op produced; `offset` is known once the broker acknowledged it (ok), absent otherwise. */
export interface SentRecord extends TopicPartition {
  key: string | null;
  value: string;
  offset?: number;
}

export interface DeliveredRecord extends TopicPartition {
  key: string | null;
  value: string;
  offset: number;
}

/** A committed position: the offset of the next record to read. */
export interface CommittedOffset extends TopicPartition {
  offset: number;
}

export interface SendBody {
  records: SentRecord[];
  /** Names the transaction the sends belong to (closed by an `end-txn` op with the same name). */
  transaction?: string;
}

export interface PollBody {
  /** Absent for `assign()`-mode consumers, which are free to read the same records as anyone else. */
  groupId?: string;
  isolation?: IsolationLevel;
  records: DeliveredRecord[];
  /** Jepsen's `:rebalance-log`: partitions whose assignment changed while this poll ran. */
  rebalanced?: TopicPartition[];
}

export interface CommitBody {
  groupId: string;
  offsets: CommittedOffset[];
  isAuto?: boolean;
  generationId?: number;
}

export interface AssignBody {
  groupId?: string;
  memberId?: string;
  generationId?: number;
  /** The full new assignment of this process (replaces the previous one). */
  partitions: TopicPartition[];
}

export interface RebalanceBody {
  groupId: string;
  generationId?: number;
  /** `revoke`: handed back politely (eager or KIP-429); `lost`: taken away after a fence or session expiry. */
  phase: 'revoke' | 'lost';
  partitions: TopicPartition[];
}

/** The application handling one delivered record (KafkaJS `eachMessage`, or one record of `eachBatch`). */
export interface ProcessBody extends TopicPartition {
  offset: number;
  value: string;
}

export interface EndTxnBody {
  transaction: string;
  isCommit: boolean;
}

/** The client instance was torn down (kill, crash); a fresh one continues under the same process id. */
export type CrashBody = Record<string, never>;

export interface Bodies {
  send: SendBody;
  poll: PollBody;
  commit: CommitBody;
  assign: AssignBody;
  rebalance: RebalanceBody;
  process: ProcessBody;
  'end-txn': EndTxnBody;
  crash: CrashBody;
}

export type OperationKind = keyof Bodies;

interface RecordBase<F extends OperationKind> {
  /** Position in the history, from 0, dense. */
  index: number;
  type: OperationType;
  f: F;
  process: string;
  /** Virtual milliseconds. */
  time: number;
  value: Bodies[F];
  /** On completions: the index of the matching invoke. */
  invokeIndex?: number;
  error?: string;
}

export type OperationRecord<F extends OperationKind = OperationKind> = F extends OperationKind ? RecordBase<F> : never;
export type History = readonly OperationRecord[];

export interface PendingOperation<F extends OperationKind> {
  readonly index: number;
  readonly f: F;
  readonly process: string;
  readonly value: Bodies[F];
}

/**
 * Builds a history. Time comes from the `now` it is given (the simulator's virtual clock), indices from a
 * counter, so two runs of one seed record identical histories.
 */
export class HistoryRecorder {
  private readonly records: OperationRecord[] = [];
  private readonly open = new Set<number>();
  private lastTime = -Infinity;

  constructor(private readonly now: () => number) {}

  invoke<F extends OperationKind>(process: string, f: F, value: Bodies[F]): PendingOperation<F> {
    const index = this.records.length;
    // Built literally rather than spread: the key order is part of the history's JSON (and so of its hash).
    this.push({ type: 'invoke', f, process, value, index, time: this.timeNow() } as RecordBase<F> as OperationRecord);
    this.open.add(index);
    return { index, f, process, value };
  }

  /** Completes an invoke; without `value`, the completion repeats the invoke's. */
  complete<F extends OperationKind>(pending: PendingOperation<F>, type: CompletionType, value?: Bodies[F], error?: string): OperationRecord<F> {
    assert(this.open.delete(pending.index), `operation #${pending.index} is completed once`);
    const index = this.records.length;
    const time = this.timeNow();
    const record = (
      error === undefined
        ? { type, f: pending.f, process: pending.process, value: value ?? pending.value, invokeIndex: pending.index, index, time }
        : { type, f: pending.f, process: pending.process, value: value ?? pending.value, invokeIndex: pending.index, error, index, time }
    ) as RecordBase<F> as OperationRecord<F>;
    this.push(record);
    return record;
  }

  ok<F extends OperationKind>(pending: PendingOperation<F>, value?: Bodies[F]): OperationRecord<F> {
    return this.complete(pending, 'ok', value);
  }

  info<F extends OperationKind>(pending: PendingOperation<F>, error?: string): OperationRecord<F> {
    return this.complete(pending, 'info', undefined, error);
  }

  fail<F extends OperationKind>(pending: PendingOperation<F>, error?: string): OperationRecord<F> {
    return this.complete(pending, 'fail', undefined, error);
  }

  /** Something that happened at one instant (an assignment, a crash): an invoke and its ok at the same time. */
  event<F extends OperationKind>(process: string, f: F, value: Bodies[F]): OperationRecord<F> {
    return this.ok(this.invoke(process, f, value));
  }

  /** Operations invoked but never completed: at the end of a run they count as `info`. */
  pending(): number[] {
    return [...this.open].sort((a, b) => a - b);
  }

  history(): History {
    return this.records.slice();
  }

  private timeNow(): number {
    const time = this.now();
    assert(time >= this.lastTime, 'virtual time never goes back within a history');
    this.lastTime = time;
    return time;
  }

  private push(record: OperationRecord): void {
    this.records.push(record);
  }
}

/** `topic/partition`: the key the checkers group by (Jepsen's integer key). */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

/** Short description of a record for anomaly explanations: `#12 consumer-2 ok poll at 1500ms`. */
export function describeRecord(record: OperationRecord): string {
  return `#${record.index} ${record.process} ${record.type} ${record.f} at ${record.time}ms`;
}

/** Completions of one kind, in history order. */
export function completions<F extends OperationKind>(history: History, f: F, types: readonly CompletionType[] = ['ok', 'info', 'fail']): Array<OperationRecord<F>> {
  return history.filter((r): r is OperationRecord<F> => r.f === f && r.type !== 'invoke' && types.includes(r.type));
}
