/**
 * Acknowledged writes nobody read (Jepsen kafka.clj `lost-write` and `unseen`):
 * - `lost-write`: per partition, let *bound* be the highest first-index of any value an ok poll read. A value
 *   whose last index is at or below the bound, written by a send that must have committed (ok, or info with
 *   one of its values read), yet never read by an ok poll, was lost: later records were read past it.
 * - `unseen`: per partition, the values of ok sends that must have committed (see `mustHaveCommitted`) that no
 *   ok poll read by the end of the history. Lost and merely late cannot be told apart, so run a final drain phase before checking.
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord, partitionKey } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';
import { type HistoryIndex, indexHistory, isUncommitted } from './version-order.ts';

function wasRead(writer: OperationRecord<'send'>, index: HistoryIndex): boolean {
  return writer.value.records.some((sent) => index.firstReaders.get(index.partitions.id(sent.topic, sent.partition))?.has(sent.value) === true);
}

/**
 * Jepsen's `must-have-committed?`: an ok send, or an info one with one of its values read. Inside a
 * transaction the transaction must have committed too: its commit completed ok, or one of its values was read
 * (transactions are atomic, so that proves the rest). A send acknowledged inside a transaction whose end is
 * unknown (the commit timed out, the broker expired it) may rightly never be read.
 */
export function mustHaveCommitted(writer: OperationRecord<'send'>, index: HistoryIndex): boolean {
  if (isUncommitted(writer, index.abortedTransactions)) return false;
  const transaction = writer.value.transaction;
  if (transaction !== undefined && !index.committedTransactions.has(transaction)) {
    if (!(index.transactionSends.get(transaction) ?? []).some((send) => wasRead(send, index))) return false;
  }
  return writer.type === 'ok' || wasRead(writer, index);
}

export function checkLostWrites(history: History): CheckResult {
  const index = indexHistory(history);
  const anomalies: Anomaly[] = [];
  for (const [id, log] of index.logs) {
    const read = index.firstReaders.get(id) ?? new Map<string, OperationRecord<'poll'>>();
    let bound = -1;
    let boundValue: string | undefined;
    for (const value of read.keys()) {
      // A value read but left out of the order (its send failed, its transaction aborted) bounds nothing:
      // aborted-read reports it.
      const offsets = log.offsetsOfValue.get(value);
      if (offsets === undefined) continue;
      const first = log.indexOfOffset[offsets[0]]!;
      if (first > bound) [bound, boundValue] = [first, value];
    }
    if (boundValue === undefined) continue;
    const boundPoll = read.get(boundValue)!;
    const written = index.writers.get(id);
    for (const [value, offsets] of log.offsetsOfValue) {
      if (read.has(value)) continue;
      const last = log.indexOfOffset[offsets[offsets.length - 1]]!;
      const writer = written?.get(value);
      if (last > bound || writer === undefined || !mustHaveCommitted(writer, index)) continue;
      anomalies.push({
        kind: 'lost-write',
        explanation:
          `value "${value}" written to ${index.partitions.keys[id]} at offset ${offsets.join(', ')} by ${describeRecord(writer)} was never read, ` +
          `though ${describeRecord(boundPoll)} read "${boundValue}" at offset ${log.offsets[bound]}, past it`,
        records: [writer, boundPoll].sort((a, b) => a.index - b.index),
      });
    }
  }
  return result(anomalies);
}

export function checkUnseen(history: History): CheckResult {
  const index = indexHistory(history);
  const anomalies: Anomaly[] = [];
  for (const [id, writers] of index.writers) {
    const read = index.firstReaders.get(id);
    let unread: Array<[string, OperationRecord<'send'>]> | undefined;
    for (const [value, writer] of writers) {
      // Cheapest test first: in a correct history every value was read.
      if (read?.has(value) === true || writer.type !== 'ok' || !mustHaveCommitted(writer, index)) continue;
      (unread ??= []).push([value, writer]);
    }
    if (unread === undefined) continue;
    const key = index.partitions.keys[id];
    const parts = unread.map(([value, writer]) => {
      const offset = writer.value.records.find((sent) => sent.value === value && partitionKey(sent) === key)?.offset;
      return `"${value}"${offset === undefined ? '' : ` at offset ${offset}`} (${describeRecord(writer)})`;
    });
    anomalies.push({
      kind: 'unseen',
      explanation: `${unread.length} acknowledged value(s) of ${key} were never read by an ok poll: ${parts.join('; ')}`,
      records: [...new Set(unread.map(([, writer]) => writer))].sort((a, b) => a.index - b.index),
    });
  }
  return result(anomalies);
}
