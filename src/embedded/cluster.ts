/**
 * The cluster users create in process: `createCluster(options)` builds the broker model on an in-process
 * network and a runtime (virtual by default), and hands out `Kafka` objects bound to it, the clock
 * controls, introspection and the fault controls. Clusters register here so that a plain
 * `new Kafka({ brokers })` naming their addresses reaches them; addresses no cluster serves get the
 * embedded default cluster (see `defaultEnvironment`).
 */
import { Cluster as BrokerCluster, type PartitionState } from '../broker/cluster.ts';
import { InProcessNetwork } from '../network/index.ts';
import { RealRuntime, VirtualRuntime, type Runtime } from '../runtime/index.ts';
import { CLIENT_PROCESS } from '../client/context.ts';
import { ENVIRONMENT, setEnvironmentResolver, type ClientEnvironment } from '../client/environment.ts';
import { Kafka } from '../client/kafka.ts';
import type { KafkaConfig } from '../client/config.ts';
import type { ClientProcess } from '../client/process.ts';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions?: number;
  readonly replicationFactor?: number;
  readonly configEntries?: ReadonlyArray<{ name: string; value: string }>;
}

export interface CreateClusterOptions {
  /** Number of brokers (ids 1..N, ports 9092..), default 1. */
  readonly brokers?: number;
  /** Seed of every random choice (latency jitter, ids, partitioner start), default 1. */
  readonly seed?: number;
  /** 'virtual' (default): time moves only when something is awaited or advanced. 'real': the wall clock. */
  readonly clock?: 'virtual' | 'real';
  /** Broker configs with Kafka's names, e.g. `{ 'num.partitions': 3, 'min.insync.replicas': 2 }`. */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  /** Topics created before the cluster is returned: names, or KafkaJS `ITopicConfig`-like entries. */
  readonly topics?: ReadonlyArray<string | TopicSpec>;
  readonly host?: string;
  readonly basePort?: number;
}

const registry: EmbeddedCluster[] = [];

export class EmbeddedCluster {
  readonly runtime: Runtime;
  readonly network: InProcessNetwork;
  readonly model: BrokerCluster;
  private readonly environment: ClientEnvironment;
  private closed = false;

  constructor(options: CreateClusterOptions = {}) {
    const seed = options.seed ?? 1;
    this.runtime = options.clock === 'real' ? new RealRuntime({ seed }) : new VirtualRuntime({ seed, drive: 'auto' });
    this.network = new InProcessNetwork(this.runtime);
    this.model = new BrokerCluster({
      runtime: this.runtime,
      network: this.network,
      brokers: options.brokers ?? 1,
      brokerConfig: options.brokerConfig,
      host: options.host,
      basePort: options.basePort,
    });
    this.environment = { runtime: this.runtime, transport: this.network };
    for (const entry of options.topics ?? []) {
      const spec = typeof entry === 'string' ? { topic: entry } : entry;
      this.model.createTopic(spec.topic, {
        partitions: spec.numPartitions === undefined || spec.numPartitions === -1 ? undefined : spec.numPartitions,
        replicationFactor: spec.replicationFactor === undefined || spec.replicationFactor === -1 ? undefined : spec.replicationFactor,
        configs: Object.fromEntries((spec.configEntries ?? []).map((c) => [c.name, c.value])),
      });
    }
    registry.push(this);
  }

  /** A `Kafka` bound to this cluster; `brokers` defaults to the cluster's bootstrap list. */
  kafka(config: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ ...config, brokers: config.brokers ?? this.bootstrapBrokers, [ENVIRONMENT]: this.environment } as KafkaConfig);
  }

  get bootstrapBrokers(): string[] {
    return this.model.bootstrapBrokers;
  }

  now(): number {
    return this.runtime.now();
  }

  /** Settles after `ms` of the cluster's time (virtual: costs nothing); counts as awaited work. */
  sleep(ms: number): Promise<void> {
    return this.runtime.sleep(ms);
  }

  /** Moves virtual time forward by `ms`, firing everything due. */
  async advance(ms: number): Promise<void> {
    if (!(this.runtime instanceof VirtualRuntime)) throw new Error('advance() needs the virtual clock');
    await this.runtime.advance(ms);
  }

  /** Runs the cluster's time until `predicate()` holds; rejects after `maxMs` of cluster time. */
  async runUntil(predicate: () => boolean, options: { maxMs?: number } = {}): Promise<void> {
    const maxMs = options.maxMs ?? 60_000;
    if (this.runtime instanceof VirtualRuntime) {
      await this.runtime.runUntil(predicate, { maxMs });
      return;
    }
    const deadline = this.runtime.now() + maxMs;
    while (!predicate()) {
      if (this.runtime.now() >= deadline) throw new Error(`runUntil: condition not met within ${maxMs} ms`);
      await this.runtime.sleep(5);
    }
  }

  segments(topic: string, partition: number, brokerId?: number) {
    return this.model.segments(topic, partition, brokerId);
  }

  partitionState(topic: string, partition: number): PartitionState {
    return this.model.partitionState(topic, partition);
  }

  /**
   * Kills a producer, consumer or admin made by this cluster's `Kafka` like a killed process: timers
   * stop, connections drop, no LeaveGroup, no commit, its pending promises never settle.
   */
  kill(client: object): void {
    const process = (client as { [CLIENT_PROCESS]?: ClientProcess })[CLIENT_PROCESS];
    if (process === undefined) throw new TypeError('kill() takes a producer, consumer or admin made by kafka()');
    process.kill();
  }

  /**
   * Stops a producer, consumer or admin made by this cluster's `Kafka` where it stands, like SIGSTOP or a
   * long GC pause: its timers, the answers it receives and the requests it would send all wait until
   * `resume(client)`. The brokers see a silent client (no heartbeats, so a consumer's session can expire).
   */
  pause(client: object): void {
    this.processOf(client, 'pause').pause();
  }

  /** Lets a paused client run again: what came due while it was stopped runs now, in order. */
  resume(client: object): void {
    this.processOf(client, 'resume').resume();
  }

  private processOf(client: object, method: string): ClientProcess {
    const process = (client as { [CLIENT_PROCESS]?: ClientProcess })[CLIENT_PROCESS];
    if (process === undefined) throw new TypeError(`${method}() takes a producer, consumer or admin made by kafka()`);
    return process;
  }

  /**
   * The network node of a producer, consumer or admin made by this cluster's `Kafka`, for client-side
   * faults: `cluster.network.partition([cluster.clientNode(consumer)], ['broker-2'])`.
   */
  clientNode(client: object): string {
    const process = (client as { [CLIENT_PROCESS]?: ClientProcess })[CLIENT_PROCESS];
    if (process === undefined) throw new TypeError('clientNode() takes a producer, consumer or admin made by kafka()');
    return process.name;
  }

  crashBroker(id: number, options: { loseUnflushed?: boolean } = {}): void {
    this.model.crashBroker(id, options);
  }

  restartBroker(id: number): void {
    this.model.restartBroker(id);
  }

  shutdownBroker(id: number): void {
    this.model.shutdownBroker(id);
  }

  /** Stops every broker and forgets the cluster (plain `new Kafka()` no longer finds it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const broker of this.model.brokers.values()) broker.shutdown();
    const index = registry.indexOf(this);
    if (index >= 0) registry.splice(index, 1);
  }

  /** @internal the environment `Kafka` objects bound to this cluster use. */
  get clientEnvironment(): ClientEnvironment {
    return this.environment;
  }
}

export function createCluster(options: CreateClusterOptions = {}): EmbeddedCluster {
  return new EmbeddedCluster(options);
}

/**
 * The drop-in default: `new Kafka({ brokers })` with addresses no created cluster serves starts one broker
 * at the first address, on a virtual clock that runs while something is awaited and follows the wall clock
 * when nothing is (`idle: 'realtime'`). Unmodified application code thus never waits on timers it awaits
 * (a join, a retry backoff), while background work (heartbeats, a consumer's fetch loop, session timeouts)
 * keeps real-time pace as it would against a real broker.
 */
const defaults = new Map<string, ClientEnvironment>();

function resolve(brokers: readonly string[] | null): ClientEnvironment {
  const wanted = brokers ?? ['localhost:9092'];
  for (let i = registry.length - 1; i >= 0; i--) {
    const cluster = registry[i];
    if (cluster.bootstrapBrokers.some((address) => wanted.includes(address))) return cluster.clientEnvironment;
  }
  const key = [...wanted].sort().join(',');
  let environment = defaults.get(key);
  if (environment === undefined) {
    const first = wanted[0] ?? 'localhost:9092';
    const at = first.lastIndexOf(':');
    const host = at > 0 ? first.slice(0, at) : first;
    const port = at > 0 ? Number(first.slice(at + 1)) : 9092;
    const runtime = new VirtualRuntime({ seed: 1, drive: 'auto', idle: 'realtime' });
    const network = new InProcessNetwork(runtime);
    new BrokerCluster({ runtime, network, brokers: [{ id: 1, host, port: Number.isFinite(port) ? port : 9092 }] });
    environment = { runtime, transport: network };
    defaults.set(key, environment);
  }
  return environment;
}

setEnvironmentResolver(resolve);
