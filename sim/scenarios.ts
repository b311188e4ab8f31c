/**
 * Teaching scenarios: small scripted simulations, each showing one thing Kafka users meet in production,
 * printed as a timeline by `kafkasim scenario <name> [--seed N]` and kept in docs/scenarios/ (a test checks
 * the pages against fresh output). The faults are scripted; `--seed` changes only the jitter (latencies,
 * processing times, ids), so the story stays while the details move.
 */
import { configNamed, type FaultStep, type SimulationConfig, type Workload } from './plan.ts';
import { simulate, type SimulationResult } from './simulation.ts';
import { renderTimeline } from './timeline.ts';
import type { AnomalyKind } from './checkers/anomaly.ts';

export interface Scenario {
  name: string;
  title: string;
  /** What to look for in the timeline, in a few sentences. */
  lesson: string;
  config: SimulationConfig;
  faults: FaultStep[];
  /** Anomalies the scenario exists to show (a test checks they appear with the default seed). */
  shows: readonly AnomalyKind[];
  /** Facts worth a line under the timeline. */
  summary?: (result: SimulationResult) => string[];
}

export const DEFAULT_SCENARIO_SEED = 1;

function variant(base: string, name: string, workload: Partial<Workload>, semantics: Partial<SimulationConfig['semantics']> = {}): SimulationConfig {
  const config = configNamed(base);
  return { ...config, name, workload: { ...config.workload, ...workload }, semantics: { ...config.semantics, ...semantics } };
}

/** One partition, a handful of values, slow handlers: small enough to read line by line. */
const SMALL: Partial<Workload> = { partitions: 1, messagesPerProducer: 12, recordsPerSend: 1, sendIntervalMs: 50 };

function redeliveries(result: SimulationResult): string[] {
  const counts = new Map<string, number>();
  for (const record of result.history) {
    if (record.f !== 'poll' || record.type !== 'ok' || record.process === 'reader') continue;
    for (const r of record.value.records) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
  }
  const twice = [...counts].filter(([, n]) => n > 1).map(([value, n]) => `${value} ×${n}`);
  return [`values the group received more than once: ${twice.length === 0 ? 'none' : twice.join(', ')}`];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'duplicate-after-kill',
    title: 'A consumer killed before it commits: the next member gets the same records again',
    lesson:
      'KafkaJS commits what eachMessage finished at the end of each batch. The member owning the partition is killed ' +
      '(kill -9; a Ctrl+Z that suspends it looks the same to the group until it resumes) in the middle of a batch: it leaves no commit and no LeaveGroup. The group waits for its ' +
      'session to expire (sessionTimeout, 30 s of virtual time that cost nothing), then the partition moves and the new owner ' +
      'starts at the last committed offset: everything the dead member processed since that commit is delivered again.',
    config: variant('auto-commit-kills', 'duplicate-after-kill', { ...SMALL, consumers: 2, processingMs: [400, 600], sessionTimeout: 30_000, heartbeatInterval: 3_000 }),
    faults: [{ at: 8_000, kind: 'kill-consumer', consumer: 0, ownerOf: 0, restartMs: 60_000 }],
    shows: ['redelivery'],
    summary: redeliveries,
  },
  {
    name: 'duplicate-after-slow-consumer',
    title: 'A consumer slower than its session timeout: evicted while still working, its records go to another member',
    lesson:
      'KafkaJS heartbeats only between messages. One eachMessage takes longer than sessionTimeout, so the coordinator evicts the ' +
      'member while its handler is still running; the partition moves and the new owner starts from the last commit. The slow ' +
      'member (a zombie) finishes its message, its commit is refused, it re-joins; the records after the last commit are processed twice.',
    config: variant('slow-member', 'duplicate-after-slow-consumer', { ...SMALL, consumers: 2, processingMs: [200, 300], sessionTimeout: 10_000 }),
    faults: [{ at: 7_000, kind: 'stall-consumer', consumer: 0, ownerOf: 0, ms: 15_000 }],
    shows: ['redelivery'],
    summary: redeliveries,
  },
  {
    name: 'acks1-loss-on-failover',
    title: 'acks=1: the leader acknowledges, then loses its leadership and truncates what only it had',
    lesson:
      'With acks=1 the leader answers as soon as it has appended. Here the leader is cut off from the other brokers and the ' +
      'controller, but not from the producer: it keeps acknowledging writes its followers never fetch. The controller fences it ' +
      'after broker.session.timeout.ms and elects a follower; when the old leader comes back it truncates to the new leader\'s log. ' +
      'Every write it acknowledged alone is gone (unseen by any reader) and its offsets are reused by later values.',
    config: variant('acks1-failover', 'acks1-loss-on-failover', { partitions: 1, messagesPerProducer: 30, recordsPerSend: 1, sendIntervalMs: 500, consumers: 1 }),
    faults: [{ at: 2_000, kind: 'partition-broker', broker: 1, leaderOf: 0, ms: 15_000 }],
    shows: ['unseen'],
  },
  {
    name: 'reorder-on-retry',
    title: 'Retries with several sends in flight and no idempotence: duplicates and reordering in the log',
    lesson:
      'The producer keeps up to 5 sends in flight. The broker appends the first one but its answer is lost; the producer sees a ' +
      'request timeout and retries it, while the sends after it have already landed. The retry lands last: the value sits twice ' +
      'in the log (log-duplicate) and after values sent later (nonmonotonic-send). `idempotent: true` would make the broker ' +
      'recognise the retry by its sequence number.',
    config: variant('inflight-reorder', 'reorder-on-retry', { partitions: 1, messagesPerProducer: 10, consumers: 1 }),
    faults: [{ at: 500, kind: 'drop-produce-response', broker: 1, leaderOf: 0, count: 1 }],
    shows: ['log-duplicate', 'nonmonotonic-send'],
  },
  {
    name: 'exactly-once-with-transactions',
    title: 'Transactions and read_committed: aborted writes are never delivered, even through a broker crash',
    lesson:
      'A transactional producer writes pairs of sends and commits or aborts each transaction; consumers read with ' +
      'read_committed (KafkaJS\'s default). The leader of the partition crashes mid-run. Committed values are delivered, ' +
      'aborted ones never are: the broker stops read_committed fetches at the last stable offset and the consumer drops aborted ' +
      'batches using the aborted-transaction index. No checker finds an aborted read.',
    config: variant('transactions-read-committed', 'exactly-once-with-transactions', { partitions: 1, messagesPerProducer: 16, recordsPerSend: 1, consumers: 1 }),
    faults: [{ at: 2_500, kind: 'crash-broker', broker: 1, leaderOf: 0, downMs: 12_000, loseUnflushed: false }],
    shows: [],
    summary: (result) => {
      const aborted = new Set<string>();
      const committed = new Set<string>();
      for (const r of result.history) {
        if (r.f === 'end-txn' && r.type === 'ok') (r.value.isCommit ? committed : aborted).add(r.value.transaction);
      }
      const delivered = new Set(result.history.flatMap((r) => (r.f === 'poll' && r.type === 'ok' ? r.value.records.map((x) => x.value) : [])));
      const abortedValues = result.history.flatMap((r) => (r.f === 'send' && r.type !== 'invoke' && r.value.transaction !== undefined && aborted.has(r.value.transaction) ? r.value.records.map((x) => x.value) : []));
      return [
        `transactions committed: ${[...committed].join(', ') || 'none'}; aborted: ${[...aborted].join(', ') || 'none'}`,
        `aborted values: ${abortedValues.join(', ') || 'none'}; delivered to anyone: ${abortedValues.filter((v) => delivered.has(v)).join(', ') || 'none'}`,
      ];
    },
  },
];

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`unknown scenario '${name}'; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}

export async function runScenario(scenario: Scenario, seed = DEFAULT_SCENARIO_SEED): Promise<{ result: SimulationResult; text: string }> {
  const result = await simulate({ config: scenario.config, plan: { seed, faults: scenario.faults } });
  const lines = [
    `# ${scenario.name}: ${scenario.title}`,
    '',
    ...wrap(scenario.lesson, 110),
    '',
    `configuration: ${describeConfig(scenario.config)}`,
    `seed ${seed}; replay with: npx kafkasim scenario ${scenario.name} --seed ${seed}`,
    '',
    renderTimeline(result),
    ...(scenario.summary === undefined ? [] : ['', ...scenario.summary(result)]),
    `history hash ${result.hash.slice(0, 16)}`,
  ];
  return { result, text: `${lines.join('\n')}\n` };
}

function describeConfig(config: SimulationConfig): string {
  const w = config.workload;
  const producer = w.transactions !== undefined ? 'transactional' : w.idempotent ? 'idempotent' : 'non-idempotent';
  return (
    `${w.brokers} broker(s), topic events with ${w.partitions} partition(s) RF ${w.replicationFactor}, ` +
    `${w.producers} ${producer} producer (acks ${w.acks === -1 ? 'all' : w.acks}, ${w.concurrentSends} send(s) in flight), ` +
    `${w.consumers} consumer(s) in group workers (sessionTimeout ${w.sessionTimeout} ms, ${w.readUncommitted ? 'read_uncommitted' : 'read_committed'})`
  );
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
