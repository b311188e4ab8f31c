/**
 * What a checker returns: a verdict and the anomalies behind it, each explaining itself with the records
 * involved. Kinds follow Jepsen's vocabulary (kafka.clj), with `log-duplicate` kept apart from consumption
 * duplicates (`redelivery`), as ../reference/simulation-notes.md §0.2 recommends.
 */
import type { OperationRecord } from '../history.ts';

export type AnomalyKind =
  | 'lost-write'
  | 'unseen'
  | 'log-duplicate'
  | 'inconsistent-offsets'
  | 'nonmonotonic-send'
  | 'int-nonmonotonic-send'
  | 'poll-skip'
  | 'nonmonotonic-poll'
  | 'int-poll-skip'
  | 'int-nonmonotonic-poll'
  | 'redelivery'
  | 'group-skip'
  | 'committed-too-far'
  | 'aborted-read'
  | 'split-ownership';

export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  'lost-write',
  'unseen',
  'log-duplicate',
  'inconsistent-offsets',
  'nonmonotonic-send',
  'int-nonmonotonic-send',
  'poll-skip',
  'nonmonotonic-poll',
  'int-poll-skip',
  'int-nonmonotonic-poll',
  'redelivery',
  'group-skip',
  'committed-too-far',
  'aborted-read',
  'split-ownership',
];

export interface Anomaly {
  kind: AnomalyKind;
  explanation: string;
  records: OperationRecord[];
}

export interface CheckResult {
  valid: boolean;
  anomalies: Anomaly[];
}

export function result(anomalies: Anomaly[]): CheckResult {
  return { valid: anomalies.length === 0, anomalies };
}

/** Records by index, without repeats, in history order. */
export function uniqueRecords(records: Iterable<OperationRecord>): OperationRecord[] {
  const byIndex = new Map<number, OperationRecord>();
  for (const record of records) byIndex.set(record.index, record);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}
