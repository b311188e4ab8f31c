/**
 * Derived structures every checker shares (Jepsen kafka.clj `version-orders`, `writer-of`, `readers-of`):
 * per partition, which values each offset was seen holding (from acknowledged sends and from every poll,
 * whatever its completion, since a consumer only ever returns data the log held), and a dense index over the
 * known offsets so that transaction markers and compaction gaps are not mistaken for skips.
 *
 * Values whose writer definitely failed or whose transaction aborted are left out of the order: they hold
 * offsets a read_committed consumer never sees, and `aborted-read` reports anyone who saw them.
 *
 * Built for speed, since the simulation checks every seed: partitions are small integers (`PartitionIds`)
 * rather than `partitionKey` strings, which cost a concatenation and a hash per lookup; offsets key sparse
 * arrays rather than Maps; and what only explanations need (which records saw each value, every poll behind
 * a redelivery) is left out: the checkers build it when they have an anomaly to explain, which a correct
 * history never has.
 */
import type { History, OperationRecord, TopicPartition } from '../history.ts';
import { partitionKey } from '../history.ts';

/**
 * Dense integer ids for partitions, handed out on first sight. Ids never reach an anomaly: what is keyed by
 * them is iterated in insertion order, exactly as the string-keyed maps they replace were.
 */
export class PartitionIds {
  /** id → `topic/partition`, for explanations. */
  readonly keys: string[] = [];
  private readonly idsByTopic = new Map<string, number[]>();
  // Histories mostly name one topic: remembering the last one skips the topic lookup.
  private lastTopic: string | undefined;
  private lastIds: number[] = [];

  // Takes the fields rather than the record: records come in several shapes, and reading `topic` from all of
  // them at one place in the code would make that read slow (megamorphic).
  id(topic: string, partition: number): number {
    let ids = this.lastIds;
    if (topic !== this.lastTopic) {
      ids = getOrCreate(this.idsByTopic, topic, newArray);
      this.lastTopic = topic;
      this.lastIds = ids;
    }
    // An array indexed by partition keys it by `String(partition)`, the equality `partitionKey` gives.
    let id = ids[partition];
    if (id === undefined) {
      id = this.keys.length;
      ids[partition] = id;
      this.keys.push(partitionKey({ topic, partition }));
    }
    return id;
  }
}

/** A map keyed by partition id: array lookups, iterated in insertion order as a Map is. No deletes. */
export class PartitionMap<V> {
  private readonly byId: Array<V | undefined> = [];
  private readonly ids: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  get(id: number): V | undefined {
    return this.byId[id];
  }

  set(id: number, value: V): this {
    if (this.byId[id] === undefined) this.ids.push(id);
    this.byId[id] = value;
    return this;
  }

  *[Symbol.iterator](): IterableIterator<[number, V]> {
    for (const id of this.ids) yield [id, this.byId[id]!];
  }

  *values(): IterableIterator<V> {
    for (const id of this.ids) yield this.byId[id]!;
  }
}

/**
 * Offset → T, as a sparse array. Kafka offsets are small non-negative integers, for which an array is far
 * cheaper than a Map; any other number still works (as a property), keyed by `String(offset)`, which tells
 * numbers apart exactly as a Map does.
 */
export type ByOffset<T> = Array<T | undefined>;

export interface PartitionLog {
  id: number;
  tp: TopicPartition;
  /** Known offsets, ascending; a value's dense index is its offset's position here. */
  offsets: number[];
  indexOfOffset: ByOffset<number>;
  /** value → the offsets it was seen at, ascending. */
  offsetsOfValue: Map<string, number[]>;
  /** Some offset was seen holding two or more values (`valuesAt` says which). */
  hasInconsistentOffsets: boolean;
}

export interface HistoryIndex {
  partitions: PartitionIds;
  logs: PartitionMap<PartitionLog>;
  /** partition → value → the send that wrote it (its completion, or its invoke if it never completed). */
  writers: PartitionMap<Map<string, OperationRecord<'send'>>>;
  /** partition → value → the first ok poll that delivered it. */
  firstReaders: PartitionMap<Map<string, OperationRecord<'poll'>>>;
  /** group → partition → offset → the first ok poll of that group that delivered it. */
  groupReads: Map<string, PartitionMap<ByOffset<OperationRecord<'poll'>>>>;
  /** Some group was delivered one offset by two ok polls (`consumeCounts` says which). */
  hasGroupRereads: boolean;
  /** transaction name → the end-txn completion that aborted it. */
  abortedTransactions: Map<string, OperationRecord<'end-txn'>>;
  /** Transactions whose commit completed ok. */
  committedTransactions: Set<string>;
  /** Transactions committed for sure: commit completed ok, or a poll read one of their values. */
  provenTransactions: Set<string>;
  /** transaction name → its sends. */
  transactionSends: Map<string, Array<OperationRecord<'send'>>>;
  /** Some send in `writers` definitely failed or belongs to an aborted transaction. */
  hasUncommittedWrites: boolean;
  /** invoke index → its completion (the last one, were there two). */
  completionOf: Array<OperationRecord | undefined>;
  /** Processes with `process` records anywhere in the history. */
  processesWithProcessRecords: Set<string>;
  /** `valuesAt`, once built. */
  valuesAt?: PartitionMap<Map<number, Map<string, OperationRecord[]>>>;
}

/** Checkers share one index per history (`checkHistory` hands the same array to each). */
const indexes = new WeakMap<History, HistoryIndex>();

export function indexHistory(history: History): HistoryIndex {
  let index = indexes.get(history);
  if (index === undefined) {
    index = buildIndex(history);
    indexes.set(history, index);
  }
  return index;
}

/**
 * offset → value → the records that saw that value there, in history order, for partition `id`. Explanations
 * need it; finding anomalies does not, so it is built on first use, by a second walk over the observations.
 */
export function valuesAt(history: History, id: number): Map<number, Map<string, OperationRecord[]>> {
  const index = indexHistory(history);
  if (index.valuesAt === undefined) {
    const all = new PartitionMap<Map<number, Map<string, OperationRecord[]>>>();
    forEachObservation(history, index, (log, offset, value, record) => {
      const observers = getOrCreate(getOrCreate(getOrCreate(all, log.id, newMap), offset, newMap), value, newArray);
      // Observations come in history order, so a record already listed is the last one listed.
      if (observers[observers.length - 1] !== record) observers.push(record);
    });
    index.valuesAt = all;
  }
  return index.valuesAt.get(id) ?? new Map();
}

function buildIndex(history: History): HistoryIndex {
  const index: HistoryIndex = {
    partitions: new PartitionIds(),
    logs: new PartitionMap(),
    writers: new PartitionMap(),
    firstReaders: new PartitionMap(),
    groupReads: new Map(),
    hasGroupRereads: false,
    abortedTransactions: new Map(),
    committedTransactions: new Set(),
    provenTransactions: new Set(),
    transactionSends: new Map(),
    hasUncommittedWrites: false,
    completionOf: new Array(history.length),
    processesWithProcessRecords: new Set(),
  };
  const { partitions, writers, completionOf, abortedTransactions, committedTransactions, provenTransactions, transactionSends } = index;
  for (const record of history) {
    if (record.invokeIndex !== undefined) completionOf[record.invokeIndex] = record;
    if (record.f === 'process') index.processesWithProcessRecords.add(record.process);
    if (record.f !== 'end-txn' || record.type === 'invoke') continue;
    if (record.type === 'ok' && record.value.isCommit) committedTransactions.add(record.value.transaction);
    const isAbort = (record.type === 'ok' && !record.value.isCommit) || (record.type === 'fail' && record.value.isCommit);
    if (isAbort) abortedTransactions.set(record.value.transaction, record);
  }

  for (const record of history) {
    if (record.f !== 'send') continue;
    if (record.type === 'invoke' && completionOf[record.index] !== undefined) continue;
    if (record.value.transaction !== undefined) getOrCreate(transactionSends, record.value.transaction, newArray).push(record);
    if (isUncommitted(record, abortedTransactions)) index.hasUncommittedWrites = true;
    for (const sent of record.value.records) getOrCreate(writers, partitions.id(sent.topic, sent.partition), newMap).set(sent.value, record);
  }

  // What ok polls delivered: proof that transactions committed, each value's first reader, each group's reads.
  for (const transaction of committedTransactions) provenTransactions.add(transaction);
  for (const record of history) {
    if (record.f !== 'poll' || record.type !== 'ok') continue;
    const groupReads = record.value.groupId === undefined ? undefined : getOrCreate(index.groupReads, record.value.groupId, newPartitionMap);
    for (const delivered of record.value.records) {
      const id = partitions.id(delivered.topic, delivered.partition);
      // Transactions are atomic: one value read proves the transaction committed.
      const transaction = transactionSends.size === 0 ? undefined : writers.get(id)?.get(delivered.value)?.value.transaction;
      if (transaction !== undefined) provenTransactions.add(transaction);
      const readers = getOrCreate(index.firstReaders, id, newMap);
      if (!readers.has(delivered.value)) readers.set(delivered.value, record);
      if (groupReads === undefined) continue;
      const byOffset = getOrCreate(groupReads, id, newArray);
      if (byOffset[delivered.offset] === undefined) byOffset[delivered.offset] = record;
      else index.hasGroupRereads = true;
    }
  }

  // The known offsets and the offsets of each value, from the first value seen at each offset (which also
  // tells when an offset shows a second one).
  const firstValueAt = new PartitionMap<ByOffset<string>>();
  forEachObservation(history, index, (log, offset, value) => {
    const values = getOrCreate(firstValueAt, log.id, newArray);
    const first = values[offset];
    // Seen before with this very value (every poll of an acknowledged record): `offsetsOfValue` has it.
    if (first === value) return;
    if (first === undefined) {
      values[offset] = value;
      log.offsets.push(offset);
    } else {
      log.hasInconsistentOffsets = true;
    }
    const offsets = log.offsetsOfValue.get(value);
    if (offsets === undefined) log.offsetsOfValue.set(value, [offset]);
    else if (!offsets.includes(offset)) offsets.push(offset);
  });
  for (const log of index.logs.values()) {
    log.offsets.sort((a, b) => a - b);
    for (let i = 0; i < log.offsets.length; i++) log.indexOfOffset[log.offsets[i]] = i;
    for (const offsets of log.offsetsOfValue.values()) if (offsets.length > 1) offsets.sort((a, b) => a - b);
  }
  return index;
}

/**
 * Calls `visit` for each time a record saw a value at an offset of a partition's log, in history order: acks of
 * ok sends, and deliveries of polls whatever their completion. Values that were never committed are skipped.
 */
function forEachObservation(
  history: History,
  index: HistoryIndex,
  visit: (log: PartitionLog, offset: number, value: string, record: OperationRecord) => void,
): void {
  const see = (topic: string, partition: number, offset: number, value: string, record: OperationRecord): void => {
    const id = index.partitions.id(topic, partition);
    if (index.hasUncommittedWrites) {
      const writer = index.writers.get(id)?.get(value);
      if (writer !== undefined && isUncommitted(writer, index.abortedTransactions)) return;
    }
    let log = index.logs.get(id);
    if (log === undefined) {
      log = { id, tp: { topic, partition }, offsets: [], indexOfOffset: [], offsetsOfValue: new Map(), hasInconsistentOffsets: false };
      index.logs.set(id, log);
    }
    visit(log, offset, value, record);
  };
  for (const record of history) {
    if (record.f === 'send' && record.type === 'ok') {
      // A transactional send counts as a known record of the log only once its transaction committed: an
      // acknowledged send whose transaction ended unknown (commit timed out, expired by the broker) may have
      // been aborted, and then readers rightly never see its offsets. Polls that did see it add it below.
      const transaction = record.value.transaction;
      if (transaction !== undefined && !index.provenTransactions.has(transaction)) continue;
      for (const sent of record.value.records) {
        if (sent.offset !== undefined && sent.offset >= 0) see(sent.topic, sent.partition, sent.offset, sent.value, record);
      }
    } else if (record.f === 'poll' && record.type !== 'invoke') {
      for (const delivered of record.value.records) see(delivered.topic, delivered.partition, delivered.offset, delivered.value, record);
    }
  }
}

/** A definite failure, or a send in a transaction that aborted: its values must never be read. */
export function isUncommitted(writer: OperationRecord<'send'>, abortedTransactions: Map<string, OperationRecord<'end-txn'>>): boolean {
  if (writer.type === 'fail') return true;
  return writer.value.transaction !== undefined && abortedTransactions.has(writer.value.transaction);
}

// Shared factories for `getOrCreate`: no closure allocated per lookup.
export const newMap = <K, V>(): Map<K, V> => new Map();
export const newArray = <T>(): T[] => [];
export const newPartitionMap = <V>(): PartitionMap<V> => new PartitionMap();

export function getOrCreate<K, V>(map: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, create: () => NoInfer<V>): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
