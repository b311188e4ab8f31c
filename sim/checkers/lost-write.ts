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
  return writer.value.records.some((sent) => index.readers.get(partitionKey(sent))?.has(sent.value) === true);
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
  for (const [key, log] of index.logs) {
    const read = index.readers.get(key) ?? new Map<string, Array<OperationRecord<'poll'>>>();
    let bound = -1;
    let boundValue: string | undefined;
    for (const value of read.keys()) {
      const first = log.indexOfOffset.get(log.offsetsOfValue.get(value)![0])!;
      if (first > bound) [bound, boundValue] = [first, value];
    }
    if (boundValue === undefined) continue;
    const boundPoll = read.get(boundValue)![0];
    for (const [value, offsets] of log.offsetsOfValue) {
      if (read.has(value)) continue;
      const last = log.indexOfOffset.get(offsets[offsets.length - 1])!;
      const writer = index.writers.get(key)?.get(value);
      if (last > bound || writer === undefined || !mustHaveCommitted(writer, index)) continue;
      anomalies.push({
        kind: 'lost-write',
        explanation:
          `value "${value}" written to ${key} at offset ${offsets.join(', ')} by ${describeRecord(writer)} was never read, ` +
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
  for (const [key, writers] of index.writers) {
    const unread = [...writers].filter(
      ([value, writer]) => writer.type === 'ok' && mustHaveCommitted(writer, index) && index.readers.get(key)?.has(value) !== true,
    );
    if (unread.length === 0) continue;
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
