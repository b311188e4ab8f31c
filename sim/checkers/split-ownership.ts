/**
 * A partition has one owner per group generation (SEMANTICS.md "Rebalance protocols": eager forbids "two
 * members owning one partition in the same generation"; cooperative forbids assigning an owned partition to
 * another member in the same round). `split-ownership`: two ok `assign` records of one group and one
 * `generationId`, from different processes (or member ids), both name the same partition.
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord, partitionKey } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';

export function checkSplitOwnership(history: History): CheckResult {
  const anomalies: Anomaly[] = [];
  const owners = new Map<string, OperationRecord<'assign'>>();
  const ownerOf = (record: OperationRecord<'assign'>): string => record.value.memberId ?? record.process;
  for (const record of history) {
    if (record.f !== 'assign' || record.type !== 'ok') continue;
    const { groupId, generationId } = record.value;
    if (groupId === undefined || generationId === undefined) continue;
    for (const tp of record.value.partitions) {
      const slot = `${groupId}\u0000${generationId}\u0000${partitionKey(tp)}`;
      const first = owners.get(slot);
      if (first === undefined) {
        owners.set(slot, record);
      } else if (ownerOf(first) !== ownerOf(record)) {
        anomalies.push({
          kind: 'split-ownership',
          explanation: `${partitionKey(tp)} was assigned in group ${groupId} generation ${generationId} to both ${ownerOf(first)} (${describeRecord(first)}) and ${ownerOf(record)} (${describeRecord(record)})`,
          records: [first, record],
        });
      }
    }
  }
  return result(anomalies);
}
