/**
 * One simulation run: a cluster built from a plan's seed, producers and a consumer group running through
 * the public KafkaJS-identical API, the plan's faults fired at their virtual times, then two phases as
 * TigerBeetle's VOPR runs them:
 * - safety: faults on, the workload runs, everything it sees is recorded;
 * - liveness: every fault healed (brokers restarted, links restored, killed consumers restarted), then a
 *   fresh reader must read every partition to its high watermark and the group must have finished
 *   processing every value the reader found, each within `livenessBoundMs` of virtual time.
 * The history goes to the checkers; `violations` keeps the anomalies the configuration's SEMANTICS.md row
 * forbids. Same config and plan, same history: `hash` is compared by the replay tests and printed by
 * `kafkasim simulate`.
 *
 * The recorder only watches the public API (send results, eachMessage calls, consumer events) plus one
 * packet-capture-like observer of SyncGroup answers, for the generation each assignment belongs to (KafkaJS's
 * GROUP_JOIN event does not carry it).
 */
import { createHash } from 'node:crypto';
import { createCluster, type EmbeddedCluster } from '../src/embedded/cluster.ts';
import type { Kafka } from '../src/client/kafka.ts';
import type { Consumer } from '../src/client/consumer/index.ts';
import type { KafkaMessage } from '../src/client/consumer/batch.ts';
import type { Producer } from '../src/client/producer/index.ts';
import type { Prng } from '../src/runtime/index.ts';
import type { FaultHandle } from '../src/network/link-conditions.ts';
import { HistoryRecorder, type DeliveredRecord, type History, type SentRecord, type TopicPartition } from './history.ts';
import { checkHistory, type Anomaly, type CheckResult } from './checkers/index.ts';
import { violations as forbidden } from './semantics.ts';
import { ApiKey, type ApiKeyNumber } from '../src/protocol/index.ts';
import { configNamed, describeFault, planFromSeed, type FaultApi, type FaultStep, type Plan, type SimulationConfig, type Workload } from './plan.ts';

export const TOPIC = 'events';
const GROUP = 'workers';
const READER_GROUP = 'final-reader';
const SYNC_GROUP = 14;
const PRODUCE = 0;
const API_KEYS: Record<FaultApi, ApiKeyNumber> = {
  Fetch: ApiKey.Fetch,
  Heartbeat: ApiKey.Heartbeat,
  OffsetCommit: ApiKey.OffsetCommit,
  JoinGroup: ApiKey.JoinGroup,
  SyncGroup: ApiKey.SyncGroup,
  Metadata: ApiKey.Metadata,
  InitProducerId: ApiKey.InitProducerId,
  FindCoordinator: ApiKey.FindCoordinator,
  AddPartitionsToTxn: ApiKey.AddPartitionsToTxn,
  AddOffsetsToTxn: ApiKey.AddOffsetsToTxn,
  TxnOffsetCommit: ApiKey.TxnOffsetCommit,
  EndTxn: ApiKey.EndTxn,
};

/** Something the harness did or saw that is not a client operation: a fault, a heal, a phase change. */
export interface SimEvent {
  /** Virtual ms since the run began. */
  time: number;
  text: string;
}

export interface SimulationOptions {
  config: SimulationConfig | string;
  /** The plan to run; default `planFromSeed(config, seed)`. */
  plan?: Plan;
  seed?: number;
  /** Called with the cluster before the workload starts: to watch or trace the model while debugging a seed. */
  inspect?: (cluster: EmbeddedCluster) => void;
}

export interface SimulationResult {
  config: SimulationConfig;
  plan: Plan;
  history: History;
  events: SimEvent[];
  check: CheckResult;
  /** Anomalies the configuration forbids: non-empty means a bug in kafkasim (or a checker). */
  violations: Anomaly[];
  /** Empty when the cluster healed and everything acknowledged became readable within the bound. */
  livenessProblems: string[];
  /** sha256 of the history and events: equal for equal runs (computed when first read). */
  readonly hash: string;
  stats: { virtualMs: number; sends: number; acknowledged: number; deliveries: number };
}

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const config = typeof options.config === 'string' ? configNamed(options.config) : options.config;
  const plan = options.plan ?? planFromSeed(config, options.seed ?? 1);
  const world = new World(config, plan);
  options.inspect?.(world.cluster);
  try {
    await world.run();
  } finally {
    world.close();
  }
  const history = world.recorder.history();
  const check = checkHistory(history);
  let sends = 0;
  let acknowledged = 0;
  let deliveries = 0;
  for (const r of history) {
    if (r.f === 'send') {
      if (r.type === 'invoke') sends++;
      else if (r.type === 'ok') acknowledged++;
    } else if (r.f === 'poll' && r.type === 'ok') deliveries++;
  }
  const events = world.events;
  let hash: string | undefined;
  return {
    config,
    plan,
    history,
    events,
    check,
    violations: forbidden(check, config.semantics),
    livenessProblems: world.livenessProblems,
    // Serialising and hashing 10,000 records costs as much as checking them; only replays ask for it.
    get hash(): string {
      hash ??= createHash('sha256').update(JSON.stringify(history)).update(JSON.stringify(events)).digest('hex');
      return hash;
    },
    stats: { virtualMs: world.cluster.now() - world.startedAt, sends, acknowledged, deliveries },
  };
}

/** The cluster a run of `workload` builds (exported for the benchmark's idle-cluster figure). */
export function createSimulationCluster(w: Workload, seed: number): EmbeddedCluster {
  return createCluster({
    brokers: w.brokers,
    seed,
    brokerConfig: {
      'offsets.topic.replication.factor': Math.min(3, w.brokers),
      'transaction.state.log.replication.factor': Math.min(3, w.brokers),
      'transaction.state.log.min.isr': Math.min(2, w.brokers),
      // Followers that stop fetching leave the ISR within seconds, so acks=all writes resume sooner.
      'replica.lag.time.max.ms': 10_000,
    },
    topics: [
      {
        topic: TOPIC,
        numPartitions: w.partitions,
        replicationFactor: w.replicationFactor,
        configEntries: [{ name: 'min.insync.replicas', value: String(w.minInsyncReplicas) }],
      },
    ],
  });
}

/** A one-line command that replays a run (the plan as JSON, so a shrunk plan replays as shrunk). */
export function replayCommand(config: string, plan: Plan): string {
  return `npx kafkasim simulate ${config} --plan '${JSON.stringify(plan)}'`;
}

class World {
  readonly cluster: EmbeddedCluster;
  readonly recorder: HistoryRecorder;
  readonly events: SimEvent[] = [];
  readonly livenessProblems: string[] = [];
  readonly kafka: Kafka;
  readonly random: Prng;
  readonly w: Workload;
  readonly consumers: ConsumerProcess[] = [];
  readonly producers: ProducerProcess[] = [];
  /** Generation of the last successful SyncGroup answer per client node. */
  readonly generations = new Map<string, number>();
  /**
   * Values a member of the work group finished processing (any member, any time). Received is not enough: a
   * member killed or evicted with a batch in hand received values it never handled, and the group owes them.
   */
  readonly groupProcessed = new Set<string>();
  /** Once the reader caught up: values it read that the group has not processed yet. */
  private readonly owed = new Set<string>();
  private trackOwed = false;
  private readonly downBrokers = new Set<number>();
  private readonly openFaults = new Set<FaultHandle>();
  private readonly timers: Array<{ cancel(): void }> = [];
  private healed = false;
  readonly startedAt: number;

  constructor(
    readonly config: SimulationConfig,
    readonly plan: Plan,
  ) {
    this.w = config.workload;
    const w = this.w;
    this.cluster = createSimulationCluster(w, plan.seed);
    this.startedAt = this.cluster.now();
    // Times in the history are virtual ms since the run began, so timelines and explanations read from 0.
    this.recorder = new HistoryRecorder(() => this.cluster.now() - this.startedAt);
    // KafkaJS's retry defaults change under NODE_ENV=test (vitest sets it); a history must depend on the
    // configuration and plan alone, so the clients get KafkaJS's production defaults explicitly.
    this.kafka = this.cluster.kafka({ clientId: 'sim', logLevel: 0, retry: { maxRetryTime: 30_000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 } });
    this.random = this.cluster.runtime.random.fork('sim-workload');
    this.cluster.network.intercept(
      SYNC_GROUP,
      (context) => {
        const response = context.response as { errorCode?: number } | undefined;
        const request = context.request.body as { generationId?: number };
        if (response?.errorCode === 0 && request.generationId !== undefined) this.generations.set(context.clientNode, request.generationId);
        return { action: 'pass' };
      },
      { keep: true, direction: 'response' },
    );
  }

  /** A member of the work group finished processing `value`. */
  processed(value: string): void {
    this.groupProcessed.add(value);
    if (this.trackOwed) this.owed.delete(value);
  }

  /** The reader received `value` (after it caught up, the group still owes it unless already processed). */
  readerReceived(value: string): void {
    if (this.trackOwed && !this.groupProcessed.has(value)) this.owed.add(value);
  }

  note(text: string): void {
    this.events.push({ time: this.cluster.now() - this.startedAt, text });
  }

  async run(): Promise<void> {
    const w = this.w;
    for (let i = 0; i < w.consumers; i++) this.consumers.push(new ConsumerProcess(this, `consumer-${i}`, GROUP, true));
    for (let i = 0; i < w.producers; i++) this.producers.push(new ProducerProcess(this, `producer-${i}`, i));
    for (const step of this.plan.faults) {
      this.timers.push(this.cluster.runtime.timer(step.at, () => this.inject(step), 'sim:fault'));
    }
    this.note('safety phase: workload and faults');
    for (const consumer of this.consumers) consumer.start();
    for (const producer of this.producers) producer.start();
    const sendTime = w.messagesPerProducer / w.recordsPerSend * w.sendIntervalMs;
    const safetyBound = this.config.faultWindowMs + sendTime + 600_000;
    try {
      // Every fault gets its full length inside the safety phase; the liveness phase heals what is left.
      const faultsOver = this.startedAt + Math.max(0, ...this.plan.faults.map(faultEnd)) + 1_000;
      await this.cluster.runUntil(() => this.producers.every((p) => p.done) && this.cluster.now() >= faultsOver, { maxMs: safetyBound });
    } catch {
      this.livenessProblems.push(`producers did not finish within ${safetyBound} ms of virtual time`);
      return;
    }
    await this.cluster.sleep(1_000);

    this.heal();
    this.note('liveness phase: every fault healed; a fresh reader must read everything, the group must process it');
    const reader = new ConsumerProcess(this, 'reader', READER_GROUP, false);
    this.consumers.push(reader);
    reader.start();
    const bound = w.livenessBoundMs;
    try {
      await this.cluster.runUntil(() => reader.caughtUp(), { maxMs: bound });
    } catch {
      this.livenessProblems.push(`the reader did not reach the high watermark of every partition within ${bound} ms: ${reader.lagReport()}`);
      return;
    }
    const missing = (): string[] => [...reader.received].filter((v) => !this.groupProcessed.has(v));
    // Checked before every event: a count kept as values arrive, not a scan of a thousand values each time.
    for (const value of reader.received) if (!this.groupProcessed.has(value)) this.owed.add(value);
    this.trackOwed = true;
    try {
      await this.cluster.runUntil(() => this.owed.size === 0, { maxMs: bound });
    } catch {
      this.livenessProblems.push(`the group did not process ${missing().length} value(s) within ${bound} ms: ${missing().slice(0, 10).join(', ')}`);
      return;
    }
    this.note('liveness reached: the reader read every partition, the group processed every value');
  }

  private inject(planned: FaultStep): void {
    if (this.healed) return;
    const step = this.resolveTargets(planned);
    if (step === undefined) return;
    const network = this.cluster.network;
    const heal = (ms: number, handle: FaultHandle, text: string): void => {
      this.openFaults.add(handle);
      this.timers.push(
        this.cluster.runtime.timer(ms, () => {
          if (!this.openFaults.delete(handle)) return;
          handle.heal();
          this.note(text);
        }),
      );
    };
    switch (step.kind) {
      case 'crash-broker': {
        if (this.downBrokers.has(step.broker)) return;
        this.note(`fault: ${describeFault(step)}${this.leadershipOf(step.broker, step.leaderOf !== undefined)}`);
        this.downBrokers.add(step.broker);
        this.cluster.crashBroker(step.broker, { loseUnflushed: step.loseUnflushed });
        this.timers.push(this.cluster.runtime.timer(step.downMs, () => this.restartBroker(step.broker)));
        return;
      }
      case 'kill-consumer': {
        const consumer = this.consumers[step.consumer];
        if (consumer === undefined || !consumer.running) return;
        this.note(`fault: ${describeFault(step)}${step.ownerOf === undefined ? '' : ` (consumer-${step.consumer})`}`);
        consumer.kill();
        this.timers.push(this.cluster.runtime.timer(step.restartMs, () => consumer.running || this.healed || consumer.start()));
        return;
      }
      case 'stall-consumer': {
        const consumer = this.consumers[step.consumer];
        if (consumer === undefined) return;
        this.note(`fault: ${describeFault(step)}${step.ownerOf === undefined ? '' : ` (consumer-${step.consumer})`}`);
        consumer.stallMs += step.ms;
        return;
      }
      case 'pause-consumer': {
        const consumer = this.consumers[step.consumer];
        const resume = consumer?.pause();
        if (resume === undefined) return;
        this.note(`fault: ${describeFault(step)}${step.ownerOf === undefined ? '' : ` (consumer-${step.consumer})`}`);
        heal(step.ms, { heal: resume }, `consumer-${step.consumer} resumed`);
        return;
      }
      case 'pause-producer': {
        const resume = this.producers[step.producer]?.pause();
        if (resume === undefined) return;
        this.note(`fault: ${describeFault(step)}`);
        heal(step.ms, { heal: resume }, `producer-${step.producer} resumed`);
        return;
      }
      case 'partition-consumer': {
        const consumer = this.consumers[step.consumer]?.node();
        if (consumer === undefined) return;
        this.note(`fault: ${describeFault(step)}`);
        heal(step.ms, network.partition([consumer], [`broker-${step.broker}`]), `healed: consumer-${step.consumer} reaches broker ${step.broker} again`);
        return;
      }
      case 'partition-producer': {
        const producer = this.producers[step.producer]?.node();
        if (producer === undefined) return;
        this.note(`fault: ${describeFault(step)}`);
        heal(step.ms, network.partition([producer], [`broker-${step.broker}`]), `healed: producer-${step.producer} reaches broker ${step.broker} again`);
        return;
      }
      case 'partition-broker': {
        const others = [...this.cluster.model.brokers.keys()].filter((id) => id !== step.broker).map((id) => `broker-${id}`);
        others.push('controller');
        this.note(`fault: ${describeFault(step)}${this.leadershipOf(step.broker, step.leaderOf !== undefined)}`);
        heal(step.ms, network.partition([`broker-${step.broker}`], others), `healed: broker ${step.broker} reaches the other brokers again`);
        return;
      }
      case 'partition-broker-one-way': {
        const others = [...this.cluster.model.brokers.keys()].filter((id) => id !== step.broker).map((id) => `broker-${id}`);
        others.push('controller');
        const self = [`broker-${step.broker}`];
        this.note(`fault: ${describeFault(step)}${this.leadershipOf(step.broker, step.leaderOf !== undefined)}`);
        const cut = step.inbound ? network.partitionOneWay(others, self) : network.partitionOneWay(self, others);
        heal(step.ms, cut, `healed: broker ${step.broker} and the other brokers hear each other again`);
        return;
      }
      case 'lossy-producer':
      case 'lossy-consumer': {
        const [name, client] =
          step.kind === 'lossy-producer' ? [`producer-${step.producer}`, this.producers[step.producer]?.node()] : [`consumer-${step.consumer}`, this.consumers[step.consumer]?.node()];
        if (client === undefined) return;
        const broker = `broker-${step.broker}`;
        this.note(`fault: ${describeFault(step)}`);
        network.dropProbability(client, broker, step.percent / 100);
        network.dropProbability(broker, client, step.percent / 100);
        const restore = (): void => {
          network.dropProbability(client, broker, 0);
          network.dropProbability(broker, client, 0);
        };
        heal(step.ms, { heal: restore }, `healed: ${name} and broker ${step.broker} lose nothing again`);
        return;
      }
      case 'delay-api': {
        this.note(`fault: ${describeFault(step)}`);
        const handle = network.intercept(API_KEYS[step.api], () => ({ action: 'delay', ms: step.delayMs }), {
          keep: true,
          direction: step.response ? 'response' : 'request',
          node: `broker-${step.broker}`,
        });
        heal(step.ms, { heal: () => handle.remove() }, `healed: ${step.api} at broker ${step.broker} is prompt again`);
        return;
      }
      case 'duplicate-produce':
        this.note(`fault: ${describeFault(step)}`);
        this.interceptNext(PRODUCE, step.broker, step.count, 'request', 'duplicate', `Produce requests repeated at broker ${step.broker}`);
        return;
      case 'duplicate-api':
        this.note(`fault: ${describeFault(step)}`);
        this.interceptNext(API_KEYS[step.api], step.broker, step.count, 'request', 'duplicate', `${step.api} requests repeated at broker ${step.broker}`);
        return;
      case 'drop-produce-response':
        this.note(`fault: ${describeFault(step)}`);
        this.interceptNext(PRODUCE, step.broker, step.count, 'response', 'drop', `Produce responses lost from broker ${step.broker}`);
        return;
      case 'delay-produce': {
        this.note(`fault: ${describeFault(step)}`);
        let acted = false;
        const handle = network.intercept(PRODUCE, () => ((acted = true), { action: 'delay', ms: step.ms }), { node: `broker-${step.broker}` });
        this.openFaults.add({
          heal: () => {
            handle.remove();
            if (!acted) this.note(`no Produce request reached broker ${step.broker} to be held (the fault never acted)`);
          },
        });
        return;
      }
    }
  }

  /**
   * Applies `action` to the next `count` requests (or responses) of an API at `broker`. An instant fault that
   * found fewer messages than it was drawn for says so when the run heals, so a timeline never implies a
   * loss or a repeat that did not happen.
   */
  private interceptNext(
    apiKey: ApiKeyNumber,
    broker: number,
    count: number,
    direction: 'request' | 'response',
    action: 'drop' | 'duplicate',
    what: string,
  ): void {
    let left = count;
    const handle = this.cluster.network.intercept(
      apiKey,
      () => {
        left--;
        if (left <= 0) handle.remove();
        return { action };
      },
      { keep: true, direction, node: `broker-${broker}` },
    );
    this.openFaults.add({
      heal: () => {
        handle.remove();
        if (left > 0) this.note(`${what}: ${count - left} of ${count}${left === count ? ' (the fault never acted)' : ''}`);
      },
    });
  }

  /** Turns `leaderOf` / `ownerOf` into the broker or consumer they name right now (undefined: nobody). */
  private resolveTargets(step: FaultStep): FaultStep | undefined {
    if (
      (step.kind === 'crash-broker' || step.kind === 'partition-broker' || step.kind === 'partition-broker-one-way' || step.kind === 'drop-produce-response') &&
      step.leaderOf !== undefined
    ) {
      const leader = this.cluster.partitionState(TOPIC, step.leaderOf).leader;
      return leader < 0 ? undefined : { ...step, broker: leader };
    }
    if ((step.kind === 'kill-consumer' || step.kind === 'stall-consumer' || step.kind === 'pause-consumer') && step.ownerOf !== undefined) {
      const owner = this.consumers.findIndex((c) => c.owns(step.ownerOf!));
      return owner < 0 ? undefined : { ...step, consumer: owner };
    }
    return step;
  }

  private leadershipOf(broker: number, named: boolean): string {
    const led: number[] = [];
    for (let p = 0; p < this.w.partitions; p++) if (this.cluster.partitionState(TOPIC, p).leader === broker) led.push(p);
    const parts = [...(named ? [`broker ${broker}`] : []), ...(led.length === 0 ? [] : [`leader of ${TOPIC}/${led.join(', ')}`])];
    return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
  }

  private restartBroker(id: number): void {
    if (!this.downBrokers.delete(id)) return;
    this.cluster.restartBroker(id);
    this.note(`broker ${id} restarted`);
  }

  private heal(): void {
    this.healed = true;
    for (const id of [...this.downBrokers]) this.restartBroker(id);
    for (const handle of this.openFaults) handle.heal();
    this.openFaults.clear();
    for (const consumer of this.consumers) {
      consumer.stallMs = 0;
      if (!consumer.running) consumer.start();
    }
  }

  close(): void {
    for (const timer of this.timers) timer.cancel();
    for (const consumer of this.consumers) consumer.stop();
    for (const producer of this.producers) producer.stop();
    this.cluster.close();
  }
}

/** When a fault's effect ends by itself (drops and delays end when used; they count as instants). */
function faultEnd(step: FaultStep): number {
  switch (step.kind) {
    case 'crash-broker':
      return step.at + step.downMs;
    case 'kill-consumer':
      return step.at + step.restartMs;
    case 'stall-consumer':
    case 'pause-consumer':
    case 'pause-producer':
    case 'partition-producer':
    case 'partition-consumer':
    case 'partition-broker':
    case 'partition-broker-one-way':
    case 'delay-produce':
    case 'lossy-producer':
    case 'lossy-consumer':
    case 'delay-api':
      return step.at + step.ms;
    case 'drop-produce-response':
    case 'duplicate-produce':
    case 'duplicate-api':
      return step.at;
  }
}

/** Pauses a client, giving back its resume (once; a no-op if the client was killed meanwhile). */
function pauseClient(cluster: World['cluster'], client: object | undefined): (() => void) | undefined {
  if (client === undefined) return undefined;
  cluster.pause(client);
  return () => cluster.resume(client);
}

class ProducerProcess {
  done = false;
  private producer: Producer | undefined;
  private sequence = 0;

  constructor(
    private readonly world: World,
    private readonly name: string,
    private readonly index: number,
  ) {}

  node(): string | undefined {
    return this.producer === undefined ? undefined : this.world.cluster.clientNode(this.producer);
  }

  /** Pauses the producer process; returns how to resume it (undefined: nothing to pause). */
  pause(): (() => void) | undefined {
    return pauseClient(this.world.cluster, this.producer);
  }

  start(): void {
    void this.loop().finally(() => {
      this.done = true;
    });
  }

  stop(): void {
    if (this.producer !== undefined) this.world.cluster.kill(this.producer);
  }

  private create(): Producer {
    const w = this.world.w;
    const transactional = w.transactions !== undefined;
    this.producer = this.world.kafka.producer({
      idempotent: w.idempotent,
      maxInFlightRequests: w.maxInFlightRequests,
      ...(transactional ? { transactionalId: `${this.name}-txn` } : {}),
      // An idempotent KafkaJS producer that gives up on a send reuses its sequence numbers for the next one,
      // which the broker then acknowledges as a duplicate of the failed batch (kafkajs #1005: the next send is
      // lost). Java's producer bumps its epoch instead. KafkaJS's idempotent producer gets 5 retries unless told
      // otherwise (`Kafka#producer` always passes a retry object, so the MAX_SAFE_INTEGER default never
      // applies); the workload rides faults out, as `delivery.timeout.ms` lets Java's do, rather than measure
      // that KafkaJS bug in every idempotent run. The ordering story (test/client/stories/ordering.test.ts) pins it.
      retry: { retries: w.idempotent ? Number.MAX_SAFE_INTEGER : w.retries },
    });
    return this.producer;
  }

  /** Connects, retrying through faults (a real service would restart until it gets through). */
  private async connected(): Promise<Producer> {
    for (;;) {
      const producer = this.create();
      try {
        await producer.connect();
        return producer;
      } catch {
        this.world.cluster.kill(producer);
        await this.world.cluster.sleep(1_000);
      }
    }
  }

  private nextRecords(): SentRecord[] {
    const w = this.world.w;
    const partition = Math.floor(this.sequence / w.recordsPerSend) % w.partitions;
    const records: SentRecord[] = [];
    for (let i = 0; i < w.recordsPerSend && this.sequence < w.messagesPerProducer; i++) {
      const n = this.sequence++;
      records.push({ topic: TOPIC, partition, key: `k${n}`, value: `p${this.index}-${n}` });
    }
    return records;
  }

  private async loop(): Promise<void> {
    const w = this.world.w;
    if (w.transactions !== undefined) return this.transactionalLoop(w.transactions);
    const producer = await this.connected();
    const inFlight = new Set<Promise<void>>();
    while (this.sequence < w.messagesPerProducer) {
      await this.world.cluster.sleep(w.sendIntervalMs);
      while (inFlight.size >= w.concurrentSends) await Promise.race(inFlight);
      const records = this.nextRecords();
      const op = this.world.recorder.invoke(this.name, 'send', { records });
      const sent = producer
        .send({ topic: TOPIC, acks: w.acks, messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition })) })
        .then(
          (metadata) => {
            const base = metadata.find((m) => m.partition === records[0].partition);
            const offset = base === undefined || w.acks === 0 ? undefined : Number(base.baseOffset);
            this.world.recorder.ok(op, { records: records.map((r, i) => (offset === undefined || offset < 0 ? r : at(r, offset + i))) });
          },
          (error: Error) => {
            this.world.recorder.info(op, `${error.name}: ${error.message}`);
          },
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
    await Promise.all(inFlight);
  }

  private async transactionalLoop(options: { size: number; abortPercent: number }): Promise<void> {
    const w = this.world.w;
    let producer = await this.connected();
    let count = 0;
    while (this.sequence < w.messagesPerProducer) {
      const name = `${this.name}-t${count++}`;
      let transaction;
      try {
        transaction = await producer.transaction();
      } catch {
        this.world.cluster.kill(producer);
        producer = await this.connected();
        continue;
      }
      let failed = false;
      for (let s = 0; s < options.size && this.sequence < w.messagesPerProducer && !failed; s++) {
        await this.world.cluster.sleep(w.sendIntervalMs);
        const records = this.nextRecords();
        const op = this.world.recorder.invoke(this.name, 'send', { records, transaction: name });
        try {
          const metadata = await transaction.send({ topic: TOPIC, messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition })) });
          const base = Number(metadata.find((m) => m.partition === records[0].partition)?.baseOffset ?? -1);
          this.world.recorder.ok(op, { records: records.map((r, i) => (base < 0 ? r : at(r, base + i))), transaction: name });
        } catch (error) {
          this.world.recorder.info(op, errorText(error));
          failed = true;
        }
      }
      const commit = !failed && !this.world.random.chance(options.abortPercent / 100);
      const op = this.world.recorder.invoke(this.name, 'end-txn', { transaction: name, isCommit: commit });
      try {
        if (commit) await transaction.commit();
        else await transaction.abort();
        this.world.recorder.ok(op);
      } catch (error) {
        this.world.recorder.info(op, errorText(error));
        // A producer whose transaction state is unknown is replaced: the new instance's InitProducerId fences
        // the old one and aborts whatever it left open.
        this.world.cluster.kill(producer);
        producer = await this.connected();
      }
    }
  }
}

/**
 * A sent record with the offset the broker gave it. A literal, not `{ ...record, offset }`: spread copies
 * each get a hidden class of their own, which made every checker's field read slow (and the key order is
 * part of the history's hash, so it stays topic, partition, key, value, offset).
 */
function at(record: SentRecord, offset: number): SentRecord {
  return { topic: record.topic, partition: record.partition, key: record.key, value: record.value, offset };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

class ConsumerProcess {
  running = false;
  stallMs = 0;
  readonly received = new Set<string>();
  private consumer: Consumer | undefined;
  private assignment: TopicPartition[] = [];
  /** Next offset per partition, from batches (control-only batches included) and messages. */
  private readonly positions = new Map<number, number>();

  constructor(
    private readonly world: World,
    private readonly name: string,
    private readonly groupId: string,
    private readonly isWorker: boolean,
  ) {}

  start(): void {
    const w = this.world.w;
    const recorder = this.world.recorder;
    const consumer = this.world.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: w.sessionTimeout,
      heartbeatInterval: w.heartbeatInterval,
      readUncommitted: w.readUncommitted,
    });
    this.consumer = consumer;
    this.running = true;
    this.assignment = [];
    const current = (): boolean => this.consumer === consumer;
    const isolation = w.readUncommitted ? 'read_uncommitted' : 'read_committed';
    const node = this.world.cluster.clientNode(consumer);

    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (!current()) return;
      const payload = event.payload as { memberId: string; memberAssignment: Record<string, number[]> };
      const partitions = Object.entries(payload.memberAssignment).flatMap(([topic, list]) => list.map((partition) => ({ topic, partition })));
      // KafkaJS's protocol is eager: every join starts from nothing, positions reload from committed offsets.
      // A member that re-joins after UNKNOWN_MEMBER_ID (evicted while its handler ran) emits no REBALANCING
      // event: it lost its partitions without being told, which is what Kafka calls "lost".
      if (this.assignment.length > 0) recorder.event(this.name, 'rebalance', { groupId: this.groupId, phase: 'lost', partitions: this.assignment });
      this.assignment = partitions;
      recorder.event(this.name, 'assign', { groupId: this.groupId, memberId: payload.memberId, generationId: this.world.generations.get(node), partitions });
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (!current()) return;
      recorder.event(this.name, 'rebalance', { groupId: this.groupId, phase: 'revoke', partitions: this.assignment });
      this.assignment = [];
    });
    consumer.on(consumer.events.CRASH, () => {
      if (!current()) return;
      recorder.event(this.name, 'rebalance', { groupId: this.groupId, phase: 'lost', partitions: this.assignment });
      this.assignment = [];
    });
    consumer.on(consumer.events.COMMIT_OFFSETS, (event) => {
      if (!current()) return;
      const payload = event.payload as { groupGenerationId: number; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> };
      const offsets = payload.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })));
      recorder.event(this.name, 'commit', { groupId: this.groupId, generationId: payload.groupGenerationId, offsets });
    });
    consumer.on(consumer.events.START_BATCH_PROCESS, (event) => {
      if (!current()) return;
      const payload = event.payload as { partition: number; lastOffset: string };
      this.advance(payload.partition, Number(payload.lastOffset) + 1);
    });

    const run = async (): Promise<void> => {
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
      // Each message's value is decoded from its Buffer once, here, and handed on with the record.
      const deliver = (topic: string, partition: number, messages: KafkaMessage[]): DeliveredRecord[] => {
        const records = messages.map((message) => ({ topic, partition, key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', offset: Number(message.offset) }));
        recorder.event(this.name, 'poll', { groupId: this.groupId, isolation, records });
        for (const record of records) {
          this.received.add(record.value);
          if (!this.isWorker) this.world.readerReceived(record.value);
          this.advance(partition, record.offset + 1);
        }
        return records;
      };
      const processOne = async (record: DeliveredRecord): Promise<void> => {
        const op = recorder.invoke(this.name, 'process', { topic: record.topic, partition: record.partition, offset: record.offset, value: record.value });
        if (this.isWorker) {
          const [min, max] = w.processingMs;
          const stall = this.stallMs;
          this.stallMs = 0;
          await this.world.cluster.sleep(this.world.random.range(min, max) + stall);
        }
        if (!current()) return;
        recorder.ok(op);
        if (this.isWorker) this.world.processed(record.value);
      };
      if (w.eachBatch === true) {
        await consumer.run({
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            if (!current() || batch.messages.length === 0) return;
            const records = deliver(batch.topic, batch.partition, batch.messages);
            for (let i = 0; i < records.length; i++) {
              if (!isRunning() || isStale()) break;
              await processOne(records[i]);
              resolveOffset(batch.messages[i].offset);
              await heartbeat();
            }
          },
        });
        return;
      }
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          if (!current()) return;
          await processOne(deliver(topic, partition, [message])[0]);
        },
      });
    };
    void run().catch(() => {
      // connect/subscribe failing under faults: a supervisor would restart the process.
      if (!current()) return;
      this.kill();
      this.world.cluster.runtime.timer(1_000, () => this.running || this.start());
    });
  }

  owns(partition: number): boolean {
    return this.running && this.assignment.some((tp) => tp.partition === partition);
  }

  node(): string | undefined {
    return this.consumer === undefined ? undefined : this.world.cluster.clientNode(this.consumer);
  }

  /** Pauses the running instance; returns how to resume it (undefined: nothing running). */
  pause(): (() => void) | undefined {
    return pauseClient(this.world.cluster, this.consumer);
  }

  private advance(partition: number, next: number): void {
    if (next > (this.positions.get(partition) ?? 0)) this.positions.set(partition, next);
  }

  kill(): void {
    if (this.consumer === undefined) return;
    this.world.cluster.kill(this.consumer);
    this.consumer = undefined;
    this.running = false;
    this.world.recorder.event(this.name, 'crash', {});
    this.assignment = [];
  }

  stop(): void {
    if (this.consumer !== undefined) this.world.cluster.kill(this.consumer);
    this.consumer = undefined;
    this.running = false;
  }

  /** Checked before every event of the liveness phase, so it reads only the high watermarks. */
  caughtUp(): boolean {
    for (let p = 0; p < this.world.w.partitions; p++) {
      if ((this.positions.get(p) ?? 0) < Number(this.world.cluster.model.highWatermark(TOPIC, p))) return false;
    }
    return true;
  }

  lagReport(): string {
    const parts: string[] = [];
    for (let p = 0; p < this.world.w.partitions; p++) {
      parts.push(`${TOPIC}/${p} at ${this.positions.get(p) ?? 0} of ${this.world.cluster.partitionState(TOPIC, p).highWatermark}`);
    }
    return parts.join(', ');
  }
}
