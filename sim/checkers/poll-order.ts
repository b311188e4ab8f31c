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
import { describeRecord } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';
import { getOrCreate, indexHistory, newMap } from './version-order.ts';

interface Position {
  offset: number;
  index: number;
  poll: OperationRecord<'poll'>;
}

export function checkPollOrder(history: History): CheckResult {
  const { logs, partitions } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  const lastRead = new Map<string, Map<number, Position>>();
  const owned = new Map<string, Set<number>>();
  const between = (id: number, from: number, to: number): string => (logs.get(id)?.offsets.slice(from + 1, to) ?? []).join(', ');
  // The known records of the poll at hand (partition id, offset, dense index), overwritten by each poll: polls
  // are many and mostly read one partition, so grouping each into a Map of lists would cost more than the check.
  const ids: number[] = [];
  const offsets: number[] = [];
  const indices: number[] = [];

  for (const record of history) {
    if (record.type !== 'ok') continue;
    if (record.f === 'crash') {
      lastRead.delete(record.process);
      owned.delete(record.process);
    } else if (record.f === 'rebalance') {
      const mine = lastRead.get(record.process);
      if (mine !== undefined) for (const tp of record.value.partitions) mine.delete(partitions.id(tp.topic, tp.partition));
    } else if (record.f === 'assign') {
      const next = new Set(record.value.partitions.map((tp) => partitions.id(tp.topic, tp.partition)));
      const previous = owned.get(record.process);
      const mine = lastRead.get(record.process);
      if (mine !== undefined) for (const id of mine.keys()) if (!next.has(id) || previous?.has(id) !== true) mine.delete(id);
      owned.set(record.process, next);
    } else if (record.f === 'poll') {
      const mine = getOrCreate(lastRead, record.process, newMap);
      const rebalanced = record.value.rebalanced === undefined ? undefined : new Set(record.value.rebalanced.map((tp) => partitions.id(tp.topic, tp.partition)));
      let count = 0;
      for (const delivered of record.value.records) {
        const id = partitions.id(delivered.topic, delivered.partition);
        const index = logs.get(id)?.indexOfOffset[delivered.offset];
        if (index === undefined) continue; // an aborted value: aborted-read's business
        ids[count] = id;
        offsets[count] = delivered.offset;
        indices[count] = index;
        count++;
      }
      // Each partition in the order it first appears in the poll, over its own records in delivery order.
      for (let first = 0; first < count; first++) {
        const id = ids[first];
        if (ids.indexOf(id) < first) continue; // not its first record
        const isRebalanced = rebalanced?.has(id) === true;
        if (isRebalanced) mine.delete(id);
        let last = first;
        for (let i = first + 1; i < count; i++) {
          if (ids[i] !== id) continue;
          const delta = indices[i] - indices[last];
          if (!isRebalanced && delta !== 1) {
            anomalies.push({
              kind: delta > 1 ? 'int-poll-skip' : 'int-nonmonotonic-poll',
              explanation:
                `${describeRecord(record)} read ${partitions.keys[id]} offset ${offsets[last]} then offset ${offsets[i]}` +
                (delta > 1 ? `, skipping known offset(s) ${between(id, indices[last], indices[i])}` : ', going back'),
              records: [record],
            });
          }
          last = i;
        }
        const previous = isRebalanced ? undefined : mine.get(id);
        const delta = previous === undefined ? 1 : indices[first] - previous.index;
        if (previous !== undefined && delta !== 1) {
          anomalies.push({
            kind: delta > 1 ? 'poll-skip' : 'nonmonotonic-poll',
            explanation:
              `${record.process} read ${partitions.keys[id]} up to offset ${previous.offset} (${describeRecord(previous.poll)}), then from offset ${offsets[first]} ` +
              `(${describeRecord(record)})` +
              (delta > 1 ? `, skipping known offset(s) ${between(id, previous.index, indices[first])}` : delta === 0 ? ', reading that record again' : ', going back'),
            records: [previous.poll, record],
          });
        }
        mine.set(id, { offset: offsets[last], index: indices[last], poll: record });
      }
    }
  }
  return result(anomalies);
}
