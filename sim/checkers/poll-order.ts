/**
 * One consumer reads each partition it keeps in offset order, without gaps (Jepsen kafka.clj `poll-skip`,
 * `nonmonotonic-poll` and their internal variants), measured in dense indices of known offsets:
 * - `poll-skip`: two successive ok polls of one process read a partition, and the second starts more than
 *   one index past where the first ended: known records in between were never delivered to it;
 * - `nonmonotonic-poll`: the same comparison with a delta below one: it went back (0 is a re-delivery);
 * - `int-poll-skip` / `int-nonmonotonic-poll`: the same between successive records of one poll.
 * The expectation resets when the process's ownership changes: an `assign` that drops or newly gains the
 * partition, a `rebalance` that revokes or loses it, a `crash`, or a poll whose `rebalanced` list names it.
 * Jepsen could not observe rebalances and so allowed the cross-poll kinds under subscribe; we record them.
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord, partitionKey } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';
import { indexHistory } from './version-order.ts';

interface Position {
  offset: number;
  index: number;
  poll: OperationRecord<'poll'>;
}

export function checkPollOrder(history: History): CheckResult {
  const { logs } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  const lastRead = new Map<string, Map<string, Position>>();
  const owned = new Map<string, Set<string>>();
  const positions = (process: string): Map<string, Position> => {
    let map = lastRead.get(process);
    if (map === undefined) lastRead.set(process, (map = new Map()));
    return map;
  };
  const between = (key: string, from: number, to: number): string => (logs.get(key)?.offsets.slice(from + 1, to) ?? []).join(', ');

  for (const record of history) {
    if (record.type !== 'ok') continue;
    if (record.f === 'crash') {
      lastRead.delete(record.process);
      owned.delete(record.process);
    } else if (record.f === 'rebalance') {
      for (const tp of record.value.partitions) positions(record.process).delete(partitionKey(tp));
    } else if (record.f === 'assign') {
      const next = new Set(record.value.partitions.map(partitionKey));
      const previous = owned.get(record.process) ?? new Set<string>();
      for (const key of positions(record.process).keys()) if (!next.has(key) || !previous.has(key)) positions(record.process).delete(key);
      owned.set(record.process, next);
    } else if (record.f === 'poll') {
      const mine = positions(record.process);
      const rebalanced = new Set((record.value.rebalanced ?? []).map(partitionKey));
      const byPartition = new Map<string, Position[]>();
      for (const delivered of record.value.records) {
        const key = partitionKey(delivered);
        const index = logs.get(key)?.indexOfOffset.get(delivered.offset);
        if (index === undefined) continue; // an aborted value: aborted-read's business
        const list = byPartition.get(key) ?? [];
        list.push({ offset: delivered.offset, index, poll: record });
        byPartition.set(key, list);
      }
      for (const [key, read] of byPartition) {
        if (rebalanced.has(key)) {
          mine.delete(key);
        } else {
          for (let i = 1; i < read.length; i++) {
            const delta = read[i].index - read[i - 1].index;
            if (delta === 1) continue;
            anomalies.push({
              kind: delta > 1 ? 'int-poll-skip' : 'int-nonmonotonic-poll',
              explanation:
                `${describeRecord(record)} read ${key} offset ${read[i - 1].offset} then offset ${read[i].offset}` +
                (delta > 1 ? `, skipping known offset(s) ${between(key, read[i - 1].index, read[i].index)}` : ', going back'),
              records: [record],
            });
          }
          const previous = mine.get(key);
          if (previous !== undefined) {
            const delta = read[0].index - previous.index;
            if (delta !== 1) {
              anomalies.push({
                kind: delta > 1 ? 'poll-skip' : 'nonmonotonic-poll',
                explanation:
                  `${record.process} read ${key} up to offset ${previous.offset} (${describeRecord(previous.poll)}), then from offset ${read[0].offset} ` +
                  `(${describeRecord(record)})` +
                  (delta > 1 ? `, skipping known offset(s) ${between(key, previous.index, read[0].index)}` : delta === 0 ? ', reading that record again' : ', going back'),
                records: [previous.poll, record],
              });
            }
          }
        }
        mine.set(key, read[read.length - 1]);
      }
    }
  }
  return result(anomalies);
}
