/**
 * Derived structures every checker shares (Jepsen kafka.clj `version-orders`, `writer-of`, `readers-of`):
 * per partition, which values each offset was seen holding (from acknowledged sends and from every poll,
 * whatever its completion, since a consumer only ever returns data the log held), and a dense index over the
 * known offsets so that transaction markers and compaction gaps are not mistaken for skips.
 *
 * Values whose writer definitely failed or whose transaction aborted are left out of the order: they hold
 * offsets a read_committed consumer never sees, and `aborted-read` reports anyone who saw them.
 */
import type { History, OperationRecord, TopicPartition } from '../history.ts';
import { partitionKey } from '../history.ts';

export interface PartitionLog {
  tp: TopicPartition;
  /** Known offsets, ascending; a value's dense index is its offset's position here. */
  offsets: number[];
  indexOfOffset: Map<number, number>;
  /** offset → value → the records that saw that value there. */
  valuesAt: Map<number, Map<string, OperationRecord[]>>;
  /** value → the offsets it was seen at, ascending. */
  offsetsOfValue: Map<string, number[]>;
}

export interface HistoryIndex {
  logs: Map<string, PartitionLog>;
  /** partition → value → the send that wrote it (its completion, or its invoke if it never completed). */
  writers: Map<string, Map<string, OperationRecord<'send'>>>;
  /** partition → value → the ok polls that delivered it. */
  readers: Map<string, Map<string, Array<OperationRecord<'poll'>>>>;
  /** transaction name → the end-txn completion that aborted it. */
  abortedTransactions: Map<string, OperationRecord<'end-txn'>>;
  /** Transactions whose commit completed ok. */
  committedTransactions: Set<string>;
  /** transaction name → its sends. */
  transactionSends: Map<string, Array<OperationRecord<'send'>>>;
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

function buildIndex(history: History): HistoryIndex {
  const completed = new Set<number>();
  const abortedTransactions = new Map<string, OperationRecord<'end-txn'>>();
  const committedTransactions = new Set<string>();
  for (const record of history) {
    if (record.invokeIndex !== undefined) completed.add(record.invokeIndex);
    if (record.f !== 'end-txn' || record.type === 'invoke') continue;
    if (record.type === 'ok' && record.value.isCommit) committedTransactions.add(record.value.transaction);
    const isAbort = (record.type === 'ok' && !record.value.isCommit) || (record.type === 'fail' && record.value.isCommit);
    if (isAbort) abortedTransactions.set(record.value.transaction, record);
  }

  const writers = new Map<string, Map<string, OperationRecord<'send'>>>();
  const transactionSends = new Map<string, Array<OperationRecord<'send'>>>();
  for (const record of history) {
    if (record.f !== 'send') continue;
    if (record.type === 'invoke' && completed.has(record.index)) continue;
    if (record.value.transaction !== undefined) getOrCreate(transactionSends, record.value.transaction, () => []).push(record);
    for (const sent of record.value.records) getOrCreate(writers, partitionKey(sent), () => new Map()).set(sent.value, record);
  }

  // Committed for sure: commit completed ok, or a poll read one of its values (transactions are atomic).
  const provenTransactions = new Set(committedTransactions);
  for (const record of history) {
    if (record.f !== 'poll' || record.type !== 'ok') continue;
    for (const delivered of record.value.records) {
      const transaction = writers.get(partitionKey(delivered))?.get(delivered.value)?.value.transaction;
      if (transaction !== undefined) provenTransactions.add(transaction);
    }
  }
  const logs = new Map<string, PartitionLog>();
  const readers = new Map<string, Map<string, Array<OperationRecord<'poll'>>>>();
  const observe = (tp: TopicPartition, offset: number, value: string, record: OperationRecord): void => {
    const writer = writers.get(partitionKey(tp))?.get(value);
    if (writer !== undefined && isUncommitted(writer, abortedTransactions)) return;
    const log = getOrCreate(logs, partitionKey(tp), () => ({
      tp: { topic: tp.topic, partition: tp.partition },
      offsets: [],
      indexOfOffset: new Map(),
      valuesAt: new Map(),
      offsetsOfValue: new Map(),
    }));
    const observers = getOrCreate(getOrCreate(log.valuesAt, offset, () => new Map()), value, () => []);
    if (!observers.includes(record)) observers.push(record);
    const offsets = getOrCreate(log.offsetsOfValue, value, () => []);
    if (!offsets.includes(offset)) offsets.push(offset);
  };
  for (const record of history) {
    // A transactional send counts as a known record of the log only once its transaction committed: an
    // acknowledged send whose transaction ended unknown (commit timed out, expired by the broker) may have
    // been aborted, and then readers rightly never see its offsets. Polls that did see it add it below.
    const unknownTransaction = record.f === 'send' && record.value.transaction !== undefined && !provenTransactions.has(record.value.transaction);
    if (record.f === 'send' && record.type === 'ok' && !unknownTransaction) {
      for (const sent of record.value.records) if (sent.offset !== undefined && sent.offset >= 0) observe(sent, sent.offset, sent.value, record);
    }
    if (record.f === 'poll' && record.type !== 'invoke') {
      for (const delivered of record.value.records) {
        observe(delivered, delivered.offset, delivered.value, record);
        if (record.type === 'ok') {
          const polls = getOrCreate(getOrCreate(readers, partitionKey(delivered), () => new Map()), delivered.value, () => []);
          if (!polls.includes(record)) polls.push(record);
        }
      }
    }
  }
  for (const log of logs.values()) {
    log.offsets = [...log.valuesAt.keys()].sort((a, b) => a - b);
    log.offsets.forEach((offset, index) => log.indexOfOffset.set(offset, index));
    for (const offsets of log.offsetsOfValue.values()) offsets.sort((a, b) => a - b);
  }
  return { logs, writers, readers, abortedTransactions, committedTransactions, transactionSends };
}

/** A definite failure, or a send in a transaction that aborted: its values must never be read. */
export function isUncommitted(writer: OperationRecord<'send'>, abortedTransactions: Map<string, OperationRecord<'end-txn'>>): boolean {
  if (writer.type === 'fail') return true;
  return writer.value.transaction !== undefined && abortedTransactions.has(writer.value.transaction);
}

export function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
