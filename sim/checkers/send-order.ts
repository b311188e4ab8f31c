/**
 * One producer's sends to a partition land in the order it made them (Jepsen kafka.clj `nonmonotonic-send`):
 * - `nonmonotonic-send`: a process's send op (ok or info), ordered by when it was invoked, puts its first
 *   value for a partition at a dense index at or below the last value its previous send op put there.
 *   A `crash` of the process resets the expectation (a new producer instance, a new producer id).
 * - `int-nonmonotonic-send`: inside one send op, two successive records for a partition land at indices
 *   that do not increase.
 * Jepsen's `int-send-skip` (another producer's record between two of ours) is allowed by Kafka and left out.
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';
import { getOrCreate, indexHistory, newArray } from './version-order.ts';

interface Landed {
  value: string;
  offset: number;
  index: number;
}

export function checkSendOrder(history: History): CheckResult {
  const { logs, partitions } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  const landedOf = (op: OperationRecord<'send'>): Map<number, Landed[]> => {
    const byPartition = new Map<number, Landed[]>();
    for (const sent of op.value.records) {
      if (sent.offset === undefined) continue;
      const id = partitions.id(sent.topic, sent.partition);
      const index = logs.get(id)?.indexOfOffset[sent.offset];
      if (index === undefined) continue;
      getOrCreate(byPartition, id, newArray).push({ value: sent.value, offset: sent.offset, index });
    }
    return byPartition;
  };

  // A producer's order is the order of its send() calls, so sort completions by their invoke.
  const ops: Array<OperationRecord<'send'> | OperationRecord<'crash'>> = history
    .filter((r): r is OperationRecord<'send'> | OperationRecord<'crash'> => (r.f === 'send' && (r.type === 'ok' || r.type === 'info')) || (r.f === 'crash' && r.type === 'ok'))
    .sort((a, b) => (a.invokeIndex ?? a.index) - (b.invokeIndex ?? b.index));
  const last = new Map<string, Map<number, { landed: Landed; op: OperationRecord<'send'> }>>();
  for (const op of ops) {
    if (op.f === 'crash') {
      last.delete(op.process);
      continue;
    }
    const mine = last.get(op.process) ?? new Map<number, { landed: Landed; op: OperationRecord<'send'> }>();
    last.set(op.process, mine);
    for (const [id, landed] of landedOf(op)) {
      for (let i = 1; i < landed.length; i++) {
        if (landed[i].index - landed[i - 1].index >= 1) continue;
        anomalies.push({
          kind: 'int-nonmonotonic-send',
          explanation:
            `${describeRecord(op)} sent "${landed[i - 1].value}" then "${landed[i].value}" to ${partitions.keys[id]}, ` +
            `but they landed at offsets ${landed[i - 1].offset} then ${landed[i].offset}`,
          records: [op],
        });
      }
      const previous = mine.get(id);
      if (previous !== undefined && landed[0].index - previous.landed.index < 1) {
        anomalies.push({
          kind: 'nonmonotonic-send',
          explanation:
            `${op.process} sent "${previous.landed.value}" to ${partitions.keys[id]} (${describeRecord(previous.op)}, offset ${previous.landed.offset}) ` +
            `before "${landed[0].value}" (${describeRecord(op)}), which landed earlier, at offset ${landed[0].offset}`,
          records: [previous.op, op].sort((a, b) => a.index - b.index),
        });
      }
      mine.set(id, { landed: landed[landed.length - 1], op });
    }
  }
  return result(anomalies);
}
