/**
 * Which anomalies Kafka allows under a configuration: the oracle of ../shared/SEMANTICS.md turned into one
 * function, in the spirit of Jepsen's `allowed-error-types`. Every rule quotes the SEMANTICS.md row it comes
 * from. Anything no rule allows is forbidden, and `violations` reports it.
 *
 * Faults are assumed to be what the rule says ("assuming unclean election off, faults within tolerance" unless
 * a fault says otherwise). Leaves out: retention, compaction, auto.offset.reset=latest, at-most-once
 * commit-before-processing and processing handed to another thread (none is a configuration here yet).
 */
import type { AnomalyKind, CheckResult, Anomaly } from './checkers/anomaly.ts';
import type { IsolationLevel } from './history.ts';

export type Fault =
  /** One broker at a time crashes (may lose its unflushed tail) or is paused, then comes back. */
  | 'broker-crash'
  /** Two or more replicas lose data at once (correlated crash of unflushed page caches). */
  | 'correlated-broker-crash'
  | 'network-partition'
  | 'unclean-leader-election'
  /** A consumer is killed and restarted (kill -9: no close(), no final commit). */
  | 'consumer-crash'
  /** A consumer's eachMessage outlasts session / max.poll.interval: it is evicted while still processing. */
  | 'slow-consumer'
  /** A producer is torn down and a new instance (new producer id) resends. */
  | 'producer-restart';

export interface SimConfig {
  /** 0, 1, or -1 (all). */
  acks: 0 | 1 | -1;
  replicationFactor: number;
  minInsyncReplicas: number;
  idempotent: boolean;
  maxInFlightRequests: number;
  retries: number;
  transactions: boolean;
  isolation: IsolationLevel;
  autoCommit: boolean;
  faults: readonly Fault[];
}

/** KafkaJS's defaults (acks -1, idempotent off, retries 5, readUncommitted false, autoCommit on), Kafka's for the rest. */
export const DEFAULT_CONFIG: SimConfig = {
  acks: -1,
  replicationFactor: 3,
  minInsyncReplicas: 1,
  idempotent: false,
  maxInFlightRequests: 5,
  retries: 5,
  transactions: false,
  isolation: 'read_committed',
  autoCommit: true,
  faults: [],
};

interface Rule {
  kinds: AnomalyKind[];
  /** The SEMANTICS.md row the rule comes from. */
  source: string;
  applies: (config: SimConfig) => boolean;
}

const LOSS: AnomalyKind[] = ['lost-write', 'unseen'];
const has = (config: SimConfig, ...faults: Fault[]): boolean => faults.some((fault) => config.faults.includes(fault));
const brokerFaults = (config: SimConfig): boolean => has(config, 'broker-crash', 'correlated-broker-crash', 'network-partition', 'unclean-leader-election');

/**
 * A leader that acknowledged records and then lost them (truncated on failover, or lost with its page cache)
 * gives their offsets to other values. The acknowledged offset then stays in the version order, so besides
 * LOSS the history shows DIVERGE between the ack and later polls, a later send of the same producer landing
 * "before" the lost one, and readers seeming to skip the lost offset.
 */
function truncationLoss(config: SimConfig): boolean {
  if (has(config, 'unclean-leader-election')) return true;
  if (config.acks === 1) return brokerFaults(config);
  if (config.acks === -1) return has(config, 'correlated-broker-crash') || (config.minInsyncReplicas < 2 && has(config, 'broker-crash'));
  return false;
}

const RULES: Rule[] = [
  {
    kinds: LOSS,
    source: 'Producer settings, `acks=0`: "LOSS (no ack exists; the returned offset is always −1)"',
    applies: (config) => config.acks === 0,
  },
  {
    kinds: [...LOSS, 'inconsistent-offsets', 'nonmonotonic-send', 'poll-skip', 'int-poll-skip', 'group-skip'],
    source:
      'Producer settings, `acks=1`: "LOSS of acked sends if the leader fails before followers replicate; DIVERGE between a send ack and later polls"; ' +
      '`acks=all` + `min.insync.replicas=1`: "LOSS if the ISR shrank to the leader and that replica\'s data is then lost"; ' +
      '`acks=all` + RF=3 + `min.insync.replicas=2`: "LOSS only if ≥2 ISR replicas lose data at once" (the other kinds follow from the reused offsets, see truncationLoss)',
    applies: truncationLoss,
  },
  {
    kinds: [...LOSS, 'inconsistent-offsets', 'redelivery', 'poll-skip', 'nonmonotonic-poll', 'group-skip'],
    source: '`unclean.leader.election.enable=true`: "LOSS of committed records; DIVERGE between readers … then consumer OffsetOutOfRange → `auto.offset.reset` → SKIP or REDELIVER"',
    applies: (config) => has(config, 'unclean-leader-election'),
  },
  {
    kinds: ['log-duplicate'],
    source: '`enable.idempotence=false`, retries>0: "LOG-DUP (a retry after a lost ack)"; `acks=0`: retries "will not take effect"',
    applies: (config) => !config.idempotent && config.retries > 0 && config.acks !== 0 && brokerFaults(config),
  },
  {
    kinds: ['log-duplicate'],
    source: '`enable.idempotence=true`: "duplicates from app-level resends (new values) or from a new producer instance (new PID)"',
    applies: (config) => has(config, 'producer-restart'),
  },
  {
    kinds: ['nonmonotonic-send', 'int-nonmonotonic-send'],
    source: '`enable.idempotence=false`, retries>0, `max.in.flight>1`: "LOG-DUP and REORDER-P (risk of message reordering after a failed send due to retries)"',
    applies: (config) => !config.idempotent && config.retries > 0 && config.maxInFlightRequests > 1 && brokerFaults(config),
  },
  {
    kinds: ['redelivery'],
    source:
      'Consumer offsets, `enable.auto.commit=true`: "REDELIVER after a consumer crash or eviction"; manual `commitSync` after processing: "REDELIVER (crash between process and commit; rebalance)"; ' +
      '`max.poll.interval.ms` exceeded / `session.timeout.ms` expiry: "REDELIVER, including concurrent double processing by the zombie"; Eager rebalance: "REDELIVER limited to records not committed before the revoke"',
    applies: (config) => has(config, 'consumer-crash', 'slow-consumer'),
  },
  {
    kinds: ['redelivery'],
    source: '`enable.auto.commit=true`: "REDELIVER of the last batch when the async commit failed" (a coordinator failure fails the commit and makes members rejoin)',
    applies: brokerFaults,
  },
];

export function withDefaults(config: Partial<SimConfig>): SimConfig {
  return { ...DEFAULT_CONFIG, ...config };
}

/** The SEMANTICS.md rows that allow each anomaly kind under `config`; kinds absent from the map are forbidden. */
export function allowanceReasons(partial: Partial<SimConfig>): Map<AnomalyKind, string[]> {
  const config = withDefaults(partial);
  // "requires acks=all, retries>0, max.in.flight ≤ 5": Kafka refuses the combination, so must we.
  if (config.idempotent && (config.acks !== -1 || config.retries <= 0 || config.maxInFlightRequests > 5)) {
    throw new Error('enable.idempotence requires acks=all, retries > 0 and max.in.flight.requests.per.connection <= 5 (Kafka rejects this configuration)');
  }
  const reasons = new Map<AnomalyKind, string[]>();
  for (const rule of RULES) {
    if (!rule.applies(config)) continue;
    for (const kind of rule.kinds) reasons.set(kind, [...(reasons.get(kind) ?? []), rule.source]);
  }
  // Forbidden whatever the configuration (no rule lists them): committed-too-far ("auto-commit never commits a
  // record the app has not finished"), aborted-read under read_committed ("AB-READ (G1a)" forbidden),
  // split-ownership ("two members owning one partition in the same generation"), int-nonmonotonic-poll
  // (CONS-REORDER: "within a partition, the consumer API returns records in offset order").
  return reasons;
}

export function allowedAnomalies(config: Partial<SimConfig>): Set<AnomalyKind> {
  return new Set(allowanceReasons(config).keys());
}

/** The anomalies of `result` that `config` forbids: a non-empty list is a simulator (or checker) bug. */
export function violations(result: CheckResult, config: Partial<SimConfig>): Anomaly[] {
  const allowed = allowedAnomalies(config);
  return result.anomalies.filter((anomaly) => !allowed.has(anomaly.kind));
}
