/**
 * A group commits only records its consumer has finished processing (the rule behind jepsen-io/redpanda
 * `auto_commit.clj` `committed-too-far`: auto-commit runs inside poll() and commits the position, so it covers
 * only records returned by *previous* polls). `committed-too-far`: a commit of next-offset C for a partition,
 * invoked by a process while a record at an offset below C that this process was delivered is still unfinished.
 *
 * "Unfinished" comes from `process` records when the process has any: delivered and no ok `process` yet.
 * Without them, Kafka's contract stands in ("consume all data returned from each call to poll before any
 * subsequent calls"): a poll's records count as finished when the same process invokes its next poll.
 * Records stop being pending when the process loses the partition (assign without it, rebalance) or crashes.
 * Commits that definitely failed are ignored.
 */
import type { History, OperationRecord } from '../history.ts';
import { describeRecord, partitionKey } from '../history.ts';
import { type Anomaly, type CheckResult, result } from './anomaly.ts';
import { getOrCreate } from './version-order.ts';

interface Pending {
  offset: number;
  value: string;
  poll: OperationRecord<'poll'>;
  started?: OperationRecord<'process'>;
}

export function checkCommittedTooFar(history: History): CheckResult {
  const anomalies: Anomaly[] = [];
  const tracksProcessing = new Set(history.filter((r) => r.f === 'process').map((r) => r.process));
  const completionOf = new Map<number, OperationRecord>();
  for (const record of history) if (record.invokeIndex !== undefined) completionOf.set(record.invokeIndex, record);
  // process → partition → offset → pending record
  const pending = new Map<string, Map<string, Map<number, Pending>>>();
  const mine = (process: string): Map<string, Map<number, Pending>> => getOrCreate(pending, process, () => new Map());

  for (const record of history) {
    if (record.f === 'poll' && record.type === 'invoke' && !tracksProcessing.has(record.process)) pending.delete(record.process);
    if (record.f === 'poll' && record.type === 'ok') {
      for (const delivered of record.value.records) {
        getOrCreate(mine(record.process), partitionKey(delivered), () => new Map()).set(delivered.offset, { offset: delivered.offset, value: delivered.value, poll: record });
      }
    }
    if (record.f === 'process') {
      const entry = mine(record.process).get(partitionKey(record.value))?.get(record.value.offset);
      if (record.type === 'invoke' && entry !== undefined) entry.started = record;
      if (record.type === 'ok') mine(record.process).get(partitionKey(record.value))?.delete(record.value.offset);
    }
    if (record.type === 'ok' && record.f === 'crash') pending.delete(record.process);
    if (record.type === 'ok' && record.f === 'rebalance') for (const tp of record.value.partitions) mine(record.process).delete(partitionKey(tp));
    if (record.type === 'ok' && record.f === 'assign') {
      const kept = new Set(record.value.partitions.map(partitionKey));
      for (const key of mine(record.process).keys()) if (!kept.has(key)) mine(record.process).delete(key);
    }
    if (record.f === 'commit' && record.type === 'invoke') {
      const completion = completionOf.get(record.index);
      if (completion?.type === 'fail') continue;
      for (const committed of record.value.offsets) {
        const key = partitionKey(committed);
        const unfinished = [...(mine(record.process).get(key)?.values() ?? [])].filter((p) => p.offset < committed.offset).sort((a, b) => a.offset - b.offset);
        if (unfinished.length === 0) continue;
        const parts = unfinished.map(
          (p) => `offset ${p.offset} ("${p.value}", delivered by ${describeRecord(p.poll)}${p.started === undefined ? ', not started' : `, processing since ${p.started.time}ms`})`,
        );
        const involved: OperationRecord[] = [record, ...unfinished.map((p) => p.poll), ...unfinished.flatMap((p) => (p.started === undefined ? [] : [p.started]))];
        if (completion !== undefined) involved.push(completion);
        anomalies.push({
          kind: 'committed-too-far',
          explanation:
            `${describeRecord(record)}${completion === undefined ? '' : ` (completed ${completion.type})`} committed ${key} up to offset ${committed.offset}, ` +
            `past record(s) ${record.process} had not finished: ${parts.join('; ')}`,
          records: [...new Map(involved.map((r) => [r.index, r])).values()].sort((a, b) => a.index - b.index),
        });
      }
    }
  }
  return result(anomalies);
}
