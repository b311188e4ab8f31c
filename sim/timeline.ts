/**
 * A simulation's history as a timeline people can read: virtual time, who did what (sends and their
 * offsets, deliveries, processing, commits, assignments with their generation, rebalances, kills), the
 * harness's faults and phases, then each anomaly the checkers flagged, allowed or forbidden. Used by
 * `kafkasim scenario`, `kafkasim simulate` and the docs pages of the scenarios.
 */
import type { OperationRecord, TopicPartition } from './history.ts';
import type { SimulationResult } from './simulation.ts';
import { allowanceReasons } from './semantics.ts';

export interface TimelineOptions {
  /** Leave out the reader of the liveness phase (its deliveries repeat the log). Default true. */
  hideReader?: boolean;
  /** Only these processes' lines (faults and phases always show). */
  processes?: readonly string[];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3).padStart(8);
}

function partitions(list: readonly TopicPartition[]): string {
  if (list.length === 0) return 'nothing';
  return list.map((tp) => `${tp.topic}/${tp.partition}`).join(', ');
}

function describe(record: OperationRecord, invoke: OperationRecord | undefined): string | undefined {
  switch (record.f) {
    case 'send': {
      if (record.type === 'invoke') return undefined;
      const values = record.value.records.map((r) => r.value).join(', ');
      const first = record.value.records[0];
      const txn = record.value.transaction === undefined ? '' : ` in ${record.value.transaction}`;
      if (record.type === 'ok') {
        const at = first?.offset === undefined ? '' : ` at ${first.topic}/${first.partition} offset ${first.offset}${record.value.records.length > 1 ? `..${first.offset + record.value.records.length - 1}` : ''}`;
        const sentAt = invoke === undefined ? '' : ` (sent at ${(invoke.time / 1000).toFixed(3)})`;
        return `send ${values}${txn}: acknowledged${at}${sentAt}`;
      }
      return `send ${values}${txn}: ${record.type === 'fail' ? 'failed' : 'outcome unknown'} (${record.error ?? 'no answer'})`;
    }
    case 'poll': {
      if (record.type === 'invoke') return undefined;
      const records = record.value.records;
      const r = records[0];
      if (r === undefined) return undefined;
      if (records.length === 1) return `received ${r.topic}/${r.partition} offset ${r.offset}: ${r.value}`;
      // A batch (eachBatch): the range and the values at its ends.
      const last = records[records.length - 1];
      return `received a batch of ${records.length} from ${r.topic}/${r.partition} offsets ${r.offset}..${last.offset}: ${r.value} .. ${last.value}`;
    }
    case 'process':
      if (record.type === 'invoke') return undefined;
      return `processed ${record.value.topic}/${record.value.partition} offset ${record.value.offset}${invoke === undefined ? '' : ` (took ${record.time - invoke.time} ms)`}`;
    case 'commit':
      if (record.type === 'invoke') return undefined;
      return `committed ${record.value.offsets.map((o) => `${o.topic}/${o.partition} → ${o.offset}`).join(', ')}${record.value.generationId === undefined ? '' : ` (generation ${record.value.generationId})`}`;
    case 'assign':
      if (record.type === 'invoke') return undefined;
      return `joined ${record.value.groupId ?? ''} generation ${record.value.generationId ?? '?'}: owns ${partitions(record.value.partitions)}`;
    case 'rebalance':
      if (record.type === 'invoke') return undefined;
      return record.value.phase === 'revoke' ? `rebalancing: gives up ${partitions(record.value.partitions)}` : `lost ${partitions(record.value.partitions)} (evicted or crashed: nothing committed on the way out)`;
    case 'end-txn':
      if (record.type === 'invoke') return undefined;
      return `${record.value.isCommit ? 'commit' : 'abort'} ${record.value.transaction}: ${record.type === 'ok' ? 'done' : `${record.type === 'fail' ? 'failed' : 'outcome unknown'} (${record.error ?? ''})`}`;
    case 'crash':
      if (record.type === 'invoke') return undefined;
      return 'KILLED (no commit, no LeaveGroup)';
  }
}

export function renderTimeline(result: SimulationResult, options: TimelineOptions = {}): string {
  const hideReader = options.hideReader ?? true;
  const start = 0;
  const byIndex = new Map(result.history.map((r) => [r.index, r]));
  const lines: Array<{ time: number; order: number; text: string }> = [];
  let order = 0;
  for (const event of result.events) {
    lines.push({ time: event.time - start, order: order++, text: `${seconds(event.time - start)}  ${'--'.padEnd(11)} ${event.text}` });
  }
  for (const record of result.history) {
    if (hideReader && record.process === 'reader') continue;
    if (options.processes !== undefined && !options.processes.includes(record.process)) continue;
    const text = describe(record, record.invokeIndex === undefined ? undefined : byIndex.get(record.invokeIndex));
    if (text === undefined) continue;
    lines.push({ time: record.time - start, order: order++, text: `${seconds(record.time - start)}  ${record.process.padEnd(11)} ${text}` });
  }
  // Stable: events of one instant keep the order they were recorded in (harness events first).
  lines.sort((a, b) => a.time - b.time || a.order - b.order);
  const out = [`${'time (s)'.padStart(8)}  ${'who'.padEnd(11)} what`, ...lines.map((l) => l.text)];
  out.push('', ...renderVerdict(result));
  return out.join('\n');
}

/** The checkers' findings, each marked allowed (with the SEMANTICS.md row) or FORBIDDEN. */
export function renderVerdict(result: SimulationResult): string[] {
  const out: string[] = [];
  const reasons = allowanceReasons(result.config.semantics);
  if (result.check.anomalies.length === 0) out.push('checkers: no anomaly');
  const seen = new Set<string>();
  for (const anomaly of result.check.anomalies) {
    const reason = reasons.get(anomaly.kind);
    const explanation = anomaly.explanation.length > 400 ? `${anomaly.explanation.slice(0, 400)}…` : anomaly.explanation;
    out.push(`${reason === undefined ? 'FORBIDDEN' : 'allowed'} ${anomaly.kind}: ${explanation}`);
    if (reason !== undefined && !seen.has(anomaly.kind)) {
      seen.add(anomaly.kind);
      out.push(`  why allowed: ${reason[0]}`);
    }
  }
  for (const problem of result.livenessProblems) out.push(`LIVENESS: ${problem}`);
  return out;
}
