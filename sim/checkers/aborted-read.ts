/**
 * Reads of values that were never committed (Jepsen kafka.clj `G1a`). `aborted-read`: an ok poll delivered a
 * value whose send definitely failed (any isolation level: a `fail` promises the write did not happen), or a
 * read_committed poll delivered a value of a transaction that aborted. read_uncommitted consumers may see
 * aborted transactions (ISOLATION_LEVEL_DOC), so those reads are not reported.
 */
import type { DeliveredRecord, History } from '../history.ts';
import { describeRecord, partitionKey } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';
import { indexHistory } from './version-order.ts';

export function checkAbortedReads(history: History): CheckResult {
  const { partitions, writers, abortedTransactions, hasUncommittedWrites } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  // Only values of failed sends or aborted transactions are reported: without any, no poll needs a look.
  if (!hasUncommittedWrites) return result(anomalies);
  const where = (delivered: DeliveredRecord): string => `"${delivered.value}" at offset ${delivered.offset} of ${partitionKey(delivered)}`;
  for (const record of history) {
    if (record.f !== 'poll' || record.type !== 'ok') continue;
    for (const delivered of record.value.records) {
      const writer = writers.get(partitions.id(delivered.topic, delivered.partition))?.get(delivered.value);
      if (writer === undefined) continue;
      if (writer.type === 'fail') {
        anomalies.push({
          kind: 'aborted-read',
          explanation: `${describeRecord(record)} read ${where(delivered)}, whose send definitely failed (${describeRecord(writer)}${writer.error === undefined ? '' : `: ${writer.error}`})`,
          records: [writer, record].sort((a, b) => a.index - b.index),
        });
        continue;
      }
      const transaction = writer.value.transaction;
      const abort = transaction === undefined ? undefined : abortedTransactions.get(transaction);
      if (abort === undefined || record.value.isolation !== 'read_committed') continue;
      anomalies.push({
        kind: 'aborted-read',
        explanation: `read_committed ${describeRecord(record)} read ${where(delivered)}, written by ${describeRecord(writer)} in transaction ${transaction}, which aborted (${describeRecord(abort)})`,
        records: [writer, abort, record].sort((a, b) => a.index - b.index),
      });
    }
  }
  return result(anomalies);
}
