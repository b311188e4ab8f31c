/**
 * What a simulation runs: a named configuration (cluster, workload, the SEMANTICS.md row it exercises and
 * the faults it may draw) and a plan (the faults, as plain data). A plan is drawn from a seed through
 * `drawPlan(config, draw)`, where `draw` is either the seeded prng (`planFromSeed`, for replays and the long
 * seed script) or fast-check's `gen` (the property tests), so one generator serves both and fast-check can
 * shrink a failing plan step by step. Plans are JSON: a failure prints one, `kafkasim simulate --plan` replays it.
 */
import { SeededPrng } from '../src/runtime/prng.ts';
import type { SimConfig, Fault as SemanticFault } from './semantics.ts';
import type { AnomalyKind } from './checkers/anomaly.ts';

export interface Workload {
  brokers: number;
  partitions: number;
  replicationFactor: number;
  /** `min.insync.replicas` of the topic. */
  minInsyncReplicas: number;
  producers: number;
  /** Values each producer sends (one value per record). */
  messagesPerProducer: number;
  /** Records per `send()`, all to one partition (partitions taken round-robin). */
  recordsPerSend: number;
  /** `send()` calls a producer keeps in flight at once; 1 awaits each send. */
  concurrentSends: number;
  /** Virtual ms between a producer's sends. */
  sendIntervalMs: number;
  acks: 0 | 1 | -1;
  idempotent: boolean;
  maxInFlightRequests: number;
  retries: number;
  /** Transactions of `transactionSize` sends each, aborted with probability `abortPercent`%. */
  transactions?: { size: number; abortPercent: number };
  consumers: number;
  /**
   * Consume with `eachBatch` (KafkaJS's documented loop: resolveOffset and heartbeat after each message,
   * stop when not running or stale) rather than `eachMessage`; each batch is recorded as one poll.
   */
  eachBatch?: boolean;
  readUncommitted: boolean;
  /** Virtual ms an `eachMessage` takes (the prng draws in [min, max]). */
  processingMs: readonly [number, number];
  sessionTimeout: number;
  heartbeatInterval: number;
  autoCommitThreshold?: number;
  autoCommitInterval?: number;
  /** Virtual ms the liveness phase may take before "did not stabilise" is reported. */
  livenessBoundMs: number;
}

export type FaultKind =
  | 'crash-broker'
  | 'kill-consumer'
  | 'stall-consumer'
  | 'pause-consumer'
  | 'pause-producer'
  | 'partition-producer'
  | 'partition-consumer'
  | 'partition-broker'
  | 'partition-broker-one-way'
  | 'drop-produce-response'
  | 'delay-produce'
  | 'duplicate-produce'
  | 'lossy-producer'
  | 'lossy-consumer'
  | 'delay-api'
  | 'duplicate-api';

export const FAULT_KINDS: readonly FaultKind[] = [
  'crash-broker',
  'kill-consumer',
  'stall-consumer',
  'pause-consumer',
  'pause-producer',
  'partition-producer',
  'partition-consumer',
  'partition-broker',
  'partition-broker-one-way',
  'drop-produce-response',
  'delay-produce',
  'duplicate-produce',
  'lossy-producer',
  'lossy-consumer',
  'delay-api',
  'duplicate-api',
];

/** The APIs a `delay-api` fault may hold, by the names Kafka's specs give them. */
export const DELAYABLE_APIS = ['Fetch', 'Heartbeat', 'OffsetCommit', 'JoinGroup', 'SyncGroup', 'Metadata'] as const;
export type DelayableApi = (typeof DELAYABLE_APIS)[number];
/** The transaction coordinator's APIs, drawn as well when the workload is transactional. */
export const TRANSACTION_APIS = ['InitProducerId', 'FindCoordinator', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn'] as const;
export type FaultApi = DelayableApi | (typeof TRANSACTION_APIS)[number];

export type FaultStep =
  /**
   * Broker crash (kill -9): connections reset; with `loseUnflushed` its unflushed log tail is gone. Back after
   * `downMs`. With `leaderOf`, the broker leading that partition of the topic when the fault fires.
   */
  | { at: number; kind: 'crash-broker'; broker: number; downMs: number; loseUnflushed: boolean; leaderOf?: number }
  /**
   * A consumer process killed (no commit, no LeaveGroup); a new instance starts `restartMs` later. With
   * `ownerOf`, the member that owns that partition when the fault fires.
   */
  | { at: number; kind: 'kill-consumer'; consumer: number; restartMs: number; ownerOf?: number }
  /** The consumer's next `eachMessage` takes `ms` longer (a long handler, a GC-like stall); `ownerOf` as above. */
  | { at: number; kind: 'stall-consumer'; consumer: number; ms: number; ownerOf?: number }
  /**
   * The whole consumer process stopped for `ms` (SIGSTOP, a long GC pause): no heartbeats, no fetches, no
   * commits; what came due runs on resume. `ownerOf` as above.
   */
  | { at: number; kind: 'pause-consumer'; consumer: number; ms: number; ownerOf?: number }
  /** The producer process stopped for `ms`: its sends wait, its answers wait, its timers fire on resume. */
  | { at: number; kind: 'pause-producer'; producer: number; ms: number }
  /** A producer cut off from one broker for `ms`. */
  | { at: number; kind: 'partition-producer'; producer: number; broker: number; ms: number }
  /** A consumer cut off from one broker (its coordinator, a leader it fetches from, or neither) for `ms`. */
  | { at: number; kind: 'partition-consumer'; consumer: number; broker: number; ms: number }
  /** One broker cut off from the other brokers and the controller (clients still reach it) for `ms`; `leaderOf` as above. */
  | { at: number; kind: 'partition-broker'; broker: number; ms: number; leaderOf?: number }
  /**
   * A one-way cut between a broker and the other brokers and the controller for `ms`: with `inbound`, it
   * hears nothing from them but they hear it (its heartbeats keep it registered while it cannot follow);
   * otherwise they hear nothing from it but it hears them (fenced by the controller, it may still think it
   * leads). Clients reach it both ways. `leaderOf` as above.
   */
  | { at: number; kind: 'partition-broker-one-way'; broker: number; ms: number; inbound: boolean; leaderOf?: number }
  /** The next `count` Produce responses leaving `broker` are lost (the write happened; the client times out); `leaderOf` as above. */
  | { at: number; kind: 'drop-produce-response'; broker: number; count: number; leaderOf?: number }
  /** The next Produce request to `broker` waits `ms` before the broker sees it. */
  | { at: number; kind: 'delay-produce'; broker: number; ms: number }
  /**
   * The next `count` Produce requests to `broker` reach it twice (a resend whose first attempt landed); the
   * client hears the answer to the second copy.
   */
  | { at: number; kind: 'duplicate-produce'; broker: number; count: number }
  /**
   * For `ms`, each message either way between the producer and one broker is lost with probability
   * `percent`%: requests and answers vanish and the client's request timeouts decide what happens next.
   */
  | { at: number; kind: 'lossy-producer'; producer: number; broker: number; percent: number; ms: number }
  /** The same for a consumer: its Fetch, Heartbeat, OffsetCommit, JoinGroup... requests and answers. */
  | { at: number; kind: 'lossy-consumer'; consumer: number; broker: number; percent: number; ms: number }
  /**
   * For `ms`, every `api` request to `broker` (or, with `response`, every answer leaving it) waits `delayMs`:
   * a slow coordinator, a slow leader, a congested link. Followers' Fetch requests count too.
   */
  | { at: number; kind: 'delay-api'; api: FaultApi; broker: number; delayMs: number; response: boolean; ms: number }
  /**
   * The next `count` `api` requests to `broker` reach it twice (the client hears the second answer): a
   * coordinator must treat a repeated JoinGroup, SyncGroup, Heartbeat or OffsetCommit of a member as Kafka does.
   */
  | { at: number; kind: 'duplicate-api'; api: FaultApi; broker: number; count: number };

export interface Plan {
  /** Seed of the cluster's runtime (latency jitter, ids, partitioner start, processing times). */
  seed: number;
  faults: FaultStep[];
}

export interface SimulationConfig {
  name: string;
  /** One line: what the configuration shows. */
  summary: string;
  /** The SEMANTICS.md row: what Kafka allows and forbids here (semantics.ts turns it into anomaly kinds). */
  semantics: Partial<SimConfig>;
  workload: Workload;
  /** Faults the plan draws from, and how many at most. */
  faultMenu: readonly FaultKind[];
  maxFaults: number;
  /** Faults start within this many virtual ms. */
  faultWindowMs: number;
  /** At most one broker down (crashed or cut off) at a time: Kafka's "faults within tolerance". */
  oneBrokerAtATime: boolean;
  /**
   * Allowed anomalies some seed must actually show (a model that never shows them is kinder than Kafka);
   * each entry is satisfied by any one of its kinds.
   */
  mustFind: ReadonlyArray<readonly AnomalyKind[]>;
}

const BASE: Workload = {
  brokers: 1,
  partitions: 3,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  producers: 1,
  messagesPerProducer: 60,
  recordsPerSend: 3,
  concurrentSends: 1,
  sendIntervalMs: 300,
  acks: -1,
  idempotent: false,
  maxInFlightRequests: 5,
  retries: 5,
  consumers: 3,
  readUncommitted: false,
  processingMs: [20, 200],
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  livenessBoundMs: 300_000,
};

function config(
  name: string,
  summary: string,
  workload: Partial<Workload>,
  semanticFaults: SemanticFault[],
  menu: FaultKind[],
  extra: Partial<Pick<SimulationConfig, 'maxFaults' | 'faultWindowMs' | 'oneBrokerAtATime' | 'mustFind'>> = {},
): SimulationConfig {
  const w: Workload = { ...BASE, ...workload };
  return {
    name,
    summary,
    workload: w,
    semantics: {
      acks: w.acks,
      replicationFactor: w.replicationFactor,
      minInsyncReplicas: w.minInsyncReplicas,
      idempotent: w.idempotent,
      maxInFlightRequests: w.maxInFlightRequests,
      retries: w.retries,
      transactions: w.transactions !== undefined,
      isolation: w.readUncommitted ? 'read_uncommitted' : 'read_committed',
      autoCommit: true,
      faults: semanticFaults,
    },
    faultMenu: menu,
    maxFaults: extra.maxFaults ?? 4,
    faultWindowMs: extra.faultWindowMs ?? 8_000,
    oneBrokerAtATime: extra.oneBrokerAtATime ?? true,
    mustFind: extra.mustFind ?? [],
  };
}

const REPLICATED: Partial<Workload> = { brokers: 3, replicationFactor: 3, consumers: 2 };

/** The configurations the property tests cover (issue 6), each a SEMANTICS.md row. */
export const CONFIGS: readonly SimulationConfig[] = [
  config(
    'auto-commit-kills',
    'auto-commit (KafkaJS defaults) while consumers are killed and restarted: redelivery allowed, skips forbidden',
    {},
    ['consumer-crash', 'slow-consumer'],
    ['kill-consumer', 'pause-consumer', 'partition-consumer', 'lossy-consumer', 'delay-api', 'duplicate-api'],
    { mustFind: [['redelivery']] },
  ),
  config(
    'acks-all-isr2',
    'acks=all, RF 3, min.insync.replicas 2, one broker crashing or cut off at a time: no acknowledged write is lost',
    { ...REPLICATED, minInsyncReplicas: 2 },
    ['broker-crash', 'network-partition'],
    ['crash-broker', 'partition-broker', 'partition-broker-one-way', 'partition-producer', 'pause-producer', 'duplicate-produce', 'lossy-producer', 'lossy-consumer', 'delay-api', 'duplicate-api'],
  ),
  config(
    'acks1-failover',
    'acks=1, RF 3, leaders failing: acknowledged writes can be lost (truncated by the new leader)',
    { ...REPLICATED, acks: 1, messagesPerProducer: 120 },
    ['broker-crash', 'network-partition'],
    ['crash-broker', 'partition-broker', 'partition-broker-one-way'],
    { mustFind: [['lost-write', 'unseen']] },
  ),
  config(
    'idempotent-retries',
    'idempotent producer retrying through lost answers and leader crashes: no log duplicate, no reorder',
    { ...REPLICATED, idempotent: true, maxInFlightRequests: 1, minInsyncReplicas: 2 },
    ['broker-crash', 'network-partition'],
    ['drop-produce-response', 'crash-broker', 'partition-producer', 'delay-produce', 'duplicate-produce', 'pause-producer', 'partition-broker-one-way', 'lossy-producer'],
  ),
  config(
    'inflight-reorder',
    'non-idempotent producer, 5 sends in flight, retries: log duplicates and reordering allowed (and found)',
    { ...REPLICATED, concurrentSends: 5, maxInFlightRequests: 5, recordsPerSend: 1, sendIntervalMs: 150, minInsyncReplicas: 2 },
    ['broker-crash', 'network-partition'],
    ['drop-produce-response', 'delay-produce', 'crash-broker', 'duplicate-produce', 'pause-producer', 'lossy-producer'],
    { mustFind: [['nonmonotonic-send'], ['log-duplicate']] },
  ),
  config(
    'transactions-read-committed',
    'transactional producer committing and aborting, read_committed consumers, broker crashes: no aborted read',
    { ...REPLICATED, idempotent: true, minInsyncReplicas: 2, transactions: { size: 2, abortPercent: 30 } },
    ['broker-crash'],
    ['crash-broker', 'kill-consumer', 'drop-produce-response', 'duplicate-produce', 'pause-producer', 'duplicate-api', 'delay-api'],
  ),
  config(
    'each-batch-kills',
    'eachBatch with resolveOffset per message and auto-commit while consumers are killed, paused and slowed: redelivery allowed, skips (within a batch too) forbidden',
    { eachBatch: true, recordsPerSend: 6, messagesPerProducer: 90 },
    ['consumer-crash', 'slow-consumer'],
    ['kill-consumer', 'pause-consumer', 'stall-consumer', 'delay-api', 'duplicate-api'],
    { mustFind: [['redelivery']] },
  ),
  config(
    'slow-member',
    'eager rebalances with a member slower than its session timeout: redelivery allowed, two owners in one generation forbidden',
    { sessionTimeout: 6_000 },
    ['slow-consumer'],
    ['stall-consumer', 'pause-consumer'],
    { maxFaults: 2, mustFind: [['redelivery']] },
  ),
];

export function configNamed(name: string): SimulationConfig {
  const found = CONFIGS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`unknown configuration '${name}'; known: ${CONFIGS.map((c) => c.name).join(', ')}`);
  return found;
}

/** The source of choices a plan is drawn from: an integer in [min, max]. */
export type Draw = (min: number, max: number) => number;

/** Draws a plan: the seed, then up to `maxFaults` faults from the menu, respecting one broker down at a time. */
export function drawPlan(config: SimulationConfig, draw: Draw): Plan {
  const seed = draw(1, 2 ** 31 - 1);
  const count = draw(0, config.maxFaults);
  const faults: FaultStep[] = [];
  const w = config.workload;
  const apis: readonly FaultApi[] = w.transactions === undefined ? DELAYABLE_APIS : [...DELAYABLE_APIS, ...TRANSACTION_APIS];
  for (let i = 0; i < count; i++) {
    const kind = config.faultMenu[draw(0, config.faultMenu.length - 1)];
    const at = draw(0, config.faultWindowMs);
    const broker = draw(1, w.brokers);
    switch (kind) {
      case 'crash-broker':
        faults.push({ at, kind, broker, downMs: draw(500, 15_000), loseUnflushed: draw(0, 1) === 1 });
        break;
      case 'kill-consumer':
        faults.push({ at, kind, consumer: draw(0, w.consumers - 1), restartMs: draw(0, 20_000) });
        break;
      case 'stall-consumer':
        faults.push({ at, kind, consumer: draw(0, w.consumers - 1), ms: draw(1_000, 3 * w.sessionTimeout) });
        break;
      case 'pause-consumer':
        faults.push({ at, kind, consumer: draw(0, w.consumers - 1), ms: draw(1_000, 3 * w.sessionTimeout) });
        break;
      case 'pause-producer':
        faults.push({ at, kind, producer: draw(0, w.producers - 1), ms: draw(500, 60_000) });
        break;
      case 'partition-producer':
        faults.push({ at, kind, producer: draw(0, w.producers - 1), broker, ms: draw(500, 20_000) });
        break;
      case 'partition-consumer':
        faults.push({ at, kind, consumer: draw(0, w.consumers - 1), broker, ms: draw(500, 3 * w.sessionTimeout) });
        break;
      case 'partition-broker-one-way':
        faults.push({ at, kind, broker, ms: draw(500, 20_000), inbound: draw(0, 1) === 1 });
        break;
      case 'duplicate-produce':
        faults.push({ at, kind, broker, count: draw(1, 3) });
        break;
      case 'lossy-producer':
        faults.push({ at, kind, producer: draw(0, w.producers - 1), broker, percent: draw(5, 50), ms: draw(1_000, 20_000) });
        break;
      case 'lossy-consumer':
        faults.push({ at, kind, consumer: draw(0, w.consumers - 1), broker, percent: draw(5, 50), ms: draw(1_000, 3 * w.sessionTimeout) });
        break;
      case 'duplicate-api':
        faults.push({ at, kind, api: apis[draw(0, apis.length - 1)], broker, count: draw(1, 5) });
        break;
      case 'delay-api':
        faults.push({ at, kind, api: apis[draw(0, apis.length - 1)], broker, delayMs: draw(50, 2 * w.sessionTimeout), response: draw(0, 1) === 1, ms: draw(1_000, 20_000) });
        break;
      case 'partition-broker':
        faults.push({ at, kind, broker, ms: draw(500, 20_000) });
        break;
      case 'drop-produce-response':
        faults.push({ at, kind, broker, count: draw(1, 3) });
        break;
      case 'delay-produce':
        faults.push({ at, kind, broker, ms: draw(100, 5_000) });
        break;
    }
  }
  faults.sort((a, b) => a.at - b.at);
  return { seed, faults: config.oneBrokerAtATime ? oneBrokerAtATime(faults) : faults };
}

/** When a broker-level fault ends (crash or cut-off); other faults take no broker down. */
function brokerDownUntil(step: FaultStep): number | undefined {
  if (step.kind === 'crash-broker') return step.at + step.downMs;
  if (step.kind === 'partition-broker' || step.kind === 'partition-broker-one-way') return step.at + step.ms;
  return undefined;
}

/**
 * Drops broker-down faults that would overlap one on another broker (Kafka tolerates one failure at a time
 * here); faults of the same broker may overlap (cut off, then crashed, is still one broker down).
 */
export function oneBrokerAtATime(faults: readonly FaultStep[]): FaultStep[] {
  let downUntil = Number.NEGATIVE_INFINITY;
  let downBroker = -1;
  return faults.filter((step) => {
    const until = brokerDownUntil(step);
    if (until === undefined || !('broker' in step)) return true;
    // A margin for the broker to rejoin the ISR after it is back.
    if (step.broker !== downBroker && step.at < downUntil + 5_000) return false;
    downUntil = step.broker === downBroker ? Math.max(until, downUntil) : until;
    downBroker = step.broker;
    return true;
  });
}

export function planFromSeed(config: SimulationConfig, seed: number): Plan {
  const prng = new SeededPrng(seed);
  const plan = drawPlan(config, (min, max) => prng.range(min, max));
  return { ...plan, seed };
}

/** One line, for timelines and failure reports. */
export function describeFault(step: FaultStep): string {
  const leader = (broker: number, leaderOf: number | undefined): string => (leaderOf === undefined ? `broker ${broker}` : `the leader of partition ${leaderOf}`);
  const consumer = (index: number, ownerOf: number | undefined): string => (ownerOf === undefined ? `consumer-${index}` : `the owner of partition ${ownerOf}`);
  switch (step.kind) {
    case 'crash-broker':
      return `crash ${leader(step.broker, step.leaderOf)}${step.loseUnflushed ? ' (losing its unflushed tail)' : ''} for ${step.downMs} ms`;
    case 'kill-consumer':
      return `kill ${consumer(step.consumer, step.ownerOf)} (no commit, no LeaveGroup), restart it ${step.restartMs} ms later`;
    case 'stall-consumer':
      return `${consumer(step.consumer, step.ownerOf)}: its next eachMessage takes ${step.ms} ms longer`;
    case 'pause-consumer':
      return `pause ${consumer(step.consumer, step.ownerOf)} (the whole process, like SIGSTOP) for ${step.ms} ms`;
    case 'pause-producer':
      return `pause producer-${step.producer} (the whole process, like SIGSTOP) for ${step.ms} ms`;
    case 'partition-producer':
      return `cut producer-${step.producer} off from broker ${step.broker} for ${step.ms} ms`;
    case 'partition-consumer':
      return `cut consumer-${step.consumer} off from broker ${step.broker} for ${step.ms} ms`;
    case 'partition-broker-one-way':
      return step.inbound
        ? `${leader(step.broker, step.leaderOf)} hears nothing from the other brokers and the controller (they still hear it) for ${step.ms} ms`
        : `the other brokers and the controller hear nothing from ${leader(step.broker, step.leaderOf)} (it still hears them) for ${step.ms} ms`;
    case 'partition-broker':
      return `cut ${leader(step.broker, step.leaderOf)} off from the other brokers and the controller (clients still reach it) for ${step.ms} ms`;
    case 'drop-produce-response':
      return `lose the next ${step.count} Produce response(s) from ${leader(step.broker, step.leaderOf)}`;
    case 'delay-produce':
      return `hold the next Produce request to broker ${step.broker} for ${step.ms} ms`;
    case 'duplicate-produce':
      return `deliver the next ${step.count} Produce request(s) to broker ${step.broker} twice`;
    case 'lossy-producer':
      return `lose ${step.percent}% of the messages between producer-${step.producer} and broker ${step.broker} for ${step.ms} ms`;
    case 'lossy-consumer':
      return `lose ${step.percent}% of the messages between consumer-${step.consumer} and broker ${step.broker} for ${step.ms} ms`;
    case 'duplicate-api':
      return `deliver the next ${step.count} ${step.api} request(s) to broker ${step.broker} twice`;
    case 'delay-api':
      return `hold every ${step.api} ${step.response ? 'answer from' : 'request to'} broker ${step.broker} ${step.delayMs} ms, for ${step.ms} ms`;
  }
}
