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
import { getOrCreate, indexHistory, newMap } from './version-order.ts';

interface Pending {
  offset: number;
  value: string;
  poll: OperationRecord<'poll'>;
  started?: OperationRecord<'process'>;
}

export function checkCommittedTooFar(history: History): CheckResult {
  const { partitions, completionOf, processesWithProcessRecords: tracksProcessing } = indexHistory(history);
  const anomalies: Anomaly[] = [];
  // process → partition → offset → pending record
  const pending = new Map<string, Map<number, Map<number, Pending>>>();
  const mine = (process: string): Map<number, Map<number, Pending>> => getOrCreate(pending, process, newMap);

  for (const record of history) {
    switch (record.f) {
      case 'poll':
        if (record.type === 'invoke' && !tracksProcessing.has(record.process)) pending.delete(record.process);
        if (record.type !== 'ok') break;
        for (const delivered of record.value.records) {
          getOrCreate(mine(record.process), partitions.id(delivered.topic, delivered.partition), newMap).set(delivered.offset, { offset: delivered.offset, value: delivered.value, poll: record });
        }
        break;
      case 'process': {
        const byOffset = pending.get(record.process)?.get(partitions.id(record.value.topic, record.value.partition));
        if (byOffset === undefined) break;
        const entry = byOffset.get(record.value.offset);
        if (record.type === 'invoke' && entry !== undefined) entry.started = record;
        if (record.type === 'ok') byOffset.delete(record.value.offset);
        break;
      }
      case 'crash':
        if (record.type === 'ok') pending.delete(record.process);
        break;
      case 'rebalance':
        if (record.type === 'ok') for (const tp of record.value.partitions) pending.get(record.process)?.delete(partitions.id(tp.topic, tp.partition));
        break;
      case 'assign': {
        const owned = pending.get(record.process);
        if (record.type !== 'ok' || owned === undefined) break;
        const kept = new Set(record.value.partitions.map((tp) => partitions.id(tp.topic, tp.partition)));
        for (const id of owned.keys()) if (!kept.has(id)) owned.delete(id);
        break;
      }
      case 'commit': {
        if (record.type !== 'invoke') break;
        const completion = completionOf[record.index];
        if (completion?.type === 'fail') break;
        for (const committed of record.value.offsets) {
          const byOffset = pending.get(record.process)?.get(partitions.id(committed.topic, committed.partition));
          if (byOffset === undefined) continue;
          let unfinished: Pending[] | undefined;
          for (const p of byOffset.values()) if (p.offset < committed.offset) (unfinished ??= []).push(p);
          if (unfinished !== undefined) anomalies.push(committedTooFar(record, completion, committed.offset, partitionKey(committed), unfinished));
        }
        break;
      }
    }
  }
  return result(anomalies);
}

function committedTooFar(commit: OperationRecord<'commit'>, completion: OperationRecord | undefined, offset: number, key: string, unfinished: Pending[]): Anomaly {
  unfinished.sort((a, b) => a.offset - b.offset);
  const parts = unfinished.map(
    (p) => `offset ${p.offset} ("${p.value}", delivered by ${describeRecord(p.poll)}${p.started === undefined ? ', not started' : `, processing since ${p.started.time}ms`})`,
  );
  const involved: OperationRecord[] = [commit, ...unfinished.map((p) => p.poll), ...unfinished.flatMap((p) => (p.started === undefined ? [] : [p.started]))];
  if (completion !== undefined) involved.push(completion);
  return {
    kind: 'committed-too-far',
    explanation:
      `${describeRecord(commit)}${completion === undefined ? '' : ` (completed ${completion.type})`} committed ${key} up to offset ${offset}, ` +
      `past record(s) ${commit.process} had not finished: ${parts.join('; ')}`,
    records: [...new Map(involved.map((r) => [r.index, r])).values()].sort((a, b) => a.index - b.index),
  };
}
