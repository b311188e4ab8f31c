/**
 * The log itself, as sends and polls saw it (Jepsen kafka.clj `version-orders` errors and `duplicate`):
 * - `inconsistent-offsets`: one offset of a partition seen holding two or more distinct values;
 * - `log-duplicate`: one value stored at more than one offset of a partition (a producer retry written twice),
 *   which is not the same thing as a consumer receiving a record twice (`redelivery`).
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord, partitionKey } from '../history.ts';
import { type Anomaly, type CheckResult, result, uniqueRecords } from './anomaly.ts';
import { indexHistory, valuesAt } from './version-order.ts';

function seenBy(records: OperationRecord[]): string {
  return records.map(describeRecord).join(', ');
}

export function checkInconsistentOffsets(history: History): CheckResult {
  const anomalies: Anomaly[] = [];
  for (const log of indexHistory(history).logs.values()) {
    if (!log.hasInconsistentOffsets) continue;
    const seen = valuesAt(history, log.id);
    for (const offset of log.offsets) {
      const values = seen.get(offset)!;
      if (values.size < 2) continue;
      const parts = [...values].map(([value, records]) => `"${value}" (seen by ${seenBy(records)})`);
      anomalies.push({
        kind: 'inconsistent-offsets',
        explanation: `offset ${offset} of ${partitionKey(log.tp)} holds ${values.size} different values: ${parts.join('; ')}`,
        records: uniqueRecords([...values.values()].flat()),
      });
    }
  }
  return result(anomalies);
}

export function checkLogDuplicates(history: History): CheckResult {
  const anomalies: Anomaly[] = [];
  for (const log of indexHistory(history).logs.values()) {
    for (const [value, offsets] of log.offsetsOfValue) {
      if (offsets.length < 2) continue;
      const seen = valuesAt(history, log.id);
      const observers = offsets.flatMap((offset) => seen.get(offset)!.get(value)!);
      const parts = offsets.map((offset) => `${offset} (seen by ${seenBy(seen.get(offset)!.get(value)!)})`);
      anomalies.push({
        kind: 'log-duplicate',
        explanation: `value "${value}" is stored at ${offsets.length} offsets of ${partitionKey(log.tp)}: ${parts.join('; ')}`,
        records: uniqueRecords(observers),
      });
    }
  }
  return result(anomalies);
}
