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
import { getOrCreate, indexHistory } from './version-order.ts';

/** group → partition → offset → the ok polls that delivered it. */
export type ConsumeCounts = Map<string, Map<string, Map<number, Array<OperationRecord<'poll'>>>>>;

export function consumeCounts(history: History): ConsumeCounts {
  const counts: ConsumeCounts = new Map();
  for (const record of history) {
    if (record.f !== 'poll' || record.type !== 'ok' || record.value.groupId === undefined) continue;
    const group = getOrCreate(counts, record.value.groupId, () => new Map());
    for (const delivered of record.value.records) {
      const byOffset = getOrCreate(group, `${delivered.topic}/${delivered.partition}`, () => new Map());
      getOrCreate(byOffset, delivered.offset, (): Array<OperationRecord<'poll'>> => []).push(record);
    }
  }
  return counts;
}

export function checkRedelivery(history: History): CheckResult {
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
  const { logs } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  for (const [groupId, partitions] of consumeCounts(history)) {
    for (const [key, byOffset] of partitions) {
      const log = logs.get(key);
      if (log === undefined) continue;
      const read = [...byOffset.keys()].filter((offset) => log.indexOfOffset.has(offset)).sort((a, b) => a - b);
      if (read.length === 0) continue;
      const first = read[0];
      const last = read[read.length - 1];
      const missed = log.offsets.filter((offset) => offset > first && offset < last && !byOffset.has(offset));
      if (missed.length === 0) continue;
      const firstAfter = log.offsets.find((offset) => offset > missed[0] && byOffset.has(offset))!;
      const witness = byOffset.get(firstAfter)![0];
      const values = missed.map((offset) => `${offset} ("${[...log.valuesAt.get(offset)!.keys()].join('", "')}")`);
      anomalies.push({
        kind: 'group-skip',
        explanation:
          `group ${groupId} never received offset(s) ${values.join(', ')} of ${key}, ` +
          `though it received offsets ${first}..${last} around them (offset ${firstAfter} by ${describeRecord(witness)})`,
        records: uniqueRecords([...log.valuesAt.get(missed[0])!.values()].flat().concat(witness)),
      });
    }
  }
  return result(anomalies);
}
