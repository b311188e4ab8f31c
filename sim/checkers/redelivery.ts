/**
 * What a consumer group as a whole received (Jepsen's `consume-counts`, and the group-level SKIP of
 * SEMANTICS.md "Consumer offsets"). Only polls with a `groupId` count: `assign()` consumers are free to read
 * what others read.
 * - `redelivery`: a record of a partition delivered to the group by more than one ok poll; the explanation
 *   gives each offset's consume count and the polls (process, time) that delivered it;
 * - `group-skip`: a committed record the group never received although it received records before and after
 *   it in the same partition (between the first and last offsets the group read).
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord } from '../history.ts';
import { type Anomaly, type CheckResult, result, uniqueRecords } from './anomaly.ts';
import { getOrCreate, indexHistory, newArray, newMap, valuesAt } from './version-order.ts';

/** group → partition → offset → the ok polls that delivered it. */
export type ConsumeCounts = Map<string, Map<string, Map<number, Array<OperationRecord<'poll'>>>>>;

export function consumeCounts(history: History): ConsumeCounts {
  const counts: ConsumeCounts = new Map();
  for (const record of history) {
    if (record.f !== 'poll' || record.type !== 'ok' || record.value.groupId === undefined) continue;
    const group = getOrCreate(counts, record.value.groupId, newMap);
    for (const delivered of record.value.records) {
      const byOffset = getOrCreate(group, `${delivered.topic}/${delivered.partition}`, newMap);
      getOrCreate(byOffset, delivered.offset, newArray).push(record);
    }
  }
  return counts;
}

export function checkRedelivery(history: History): CheckResult {
  // The index knows whether any offset reached a group twice; only then are all the polls behind it needed.
  if (!indexHistory(history).hasGroupRereads) return result([]);
  const anomalies: Anomaly[] = [];
  for (const [groupId, partitions] of consumeCounts(history)) {
    for (const [key, byOffset] of partitions) {
      const repeated = [...byOffset].filter(([, polls]) => polls.length > 1).sort(([a], [b]) => a - b);
      if (repeated.length === 0) continue;
      const parts = repeated.map(([offset, polls]) => `offset ${offset} ×${polls.length} (${polls.map(describeRecord).join(', ')})`);
      anomalies.push({
        kind: 'redelivery',
        explanation: `group ${groupId} received ${repeated.length} record(s) of ${key} more than once: ${parts.join('; ')}`,
        records: uniqueRecords(repeated.flatMap(([, polls]) => polls)),
      });
    }
  }
  return result(anomalies);
}

export function checkGroupSkip(history: History): CheckResult {
  const { groupReads, logs, partitions } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  for (const [groupId, byPartition] of groupReads) {
    for (const [id, byOffset] of byPartition) {
      const log = logs.get(id);
      if (log === undefined) continue;
      // The dense indices of the first and last known offsets the group read, and how many known offsets it read.
      let firstIndex = -1;
      let lastIndex = -1;
      let readCount = 0;
      for (let i = 0; i < log.offsets.length; i++) {
        if (byOffset[log.offsets[i]] === undefined) continue;
        readCount++;
        if (firstIndex === -1) firstIndex = i;
        lastIndex = i;
      }
      // Every known offset from first to last was read: nothing skipped (the common case).
      if (readCount === 0 || readCount === lastIndex - firstIndex + 1) continue;
      const first = log.offsets[firstIndex];
      const last = log.offsets[lastIndex];
      const missed = log.offsets.slice(firstIndex + 1, lastIndex).filter((offset) => byOffset[offset] === undefined);
      const firstAfter = log.offsets.find((offset) => offset > missed[0] && byOffset[offset] !== undefined)!;
      const witness = byOffset[firstAfter]!;
      const seen = valuesAt(history, id);
      const values = missed.map((offset) => `${offset} ("${[...seen.get(offset)!.keys()].join('", "')}")`);
      anomalies.push({
        kind: 'group-skip',
        explanation:
          `group ${groupId} never received offset(s) ${values.join(', ')} of ${partitions.keys[id]}, ` +
          `though it received offsets ${first}..${last} around them (offset ${firstAfter} by ${describeRecord(witness)})`,
        records: uniqueRecords([...seen.get(missed[0])!.values()].flat().concat(witness)),
      });
    }
  }
  return result(anomalies);
}
