/**
 * Helpers for the consumer tests (the intent of KafkaJS's `src/consumer/__tests__` specs, ported to the
 * simulator): a consumer of a fresh `Kafka` bound to the cluster, a recorder of instrumentation events with
 * the virtual time they fired at, the group's committed offsets read through an admin, and a log collector.
 * Records are written with raw Produce requests (`produceValues`), so these tests do not depend on the producer.
 */
import type { Consumer, ConsumerConfig, ConsumerEvents, EachMessagePayload, KafkaConfig, LogEntry } from '../../../src/index.ts';
import { logLevel } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { quiet, type SimCluster } from '../support.ts';

export { produceValues, quiet, startCluster, type SimCluster } from '../support.ts';

/** A consumer of a fresh `Kafka` (its own cluster view and instrumentation, as KafkaJS's tests build them). */
export function consumerOf(sim: SimCluster, config: ConsumerConfig, kafkaConfig: Partial<KafkaConfig> = {}): Consumer {
  return sim.kafka({ ...quiet, ...kafkaConfig }).consumer(config);
}

/** A consumer whose log entries (at `level` and above) land in `logs`. */
export function loggedConsumerOf(sim: SimCluster, config: ConsumerConfig, logs: LogEntry[], level: logLevel = logLevel.ERROR): Consumer {
  return sim.kafka({ logLevel: level, logCreator: () => (entry) => void logs.push(entry) }).consumer(config);
}

export interface RecordedEvent {
  id: unknown;
  type: string;
  timestamp: number;
  payload: Record<string, unknown>;
  /** The cluster's (virtual) time when the listener ran. */
  at: number;
}

/** Records every event in `names` fired by `consumer`, in order. */
export function recordEvents(sim: SimCluster, consumer: Consumer, names: readonly ConsumerEvents[keyof ConsumerEvents][]): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const name of names) {
    consumer.on(name, (event) => {
      events.push({ ...(event as unknown as Omit<RecordedEvent, 'at'>), at: sim.now() });
    });
  }
  return events;
}

export const ofType = (events: RecordedEvent[], type: string): RecordedEvent[] => events.filter((e) => e.type === type);

/** The group's committed offset per partition of `topic`, as `admin.fetchOffsets` answers. */
export async function committedOffsets(sim: SimCluster, groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = sim.kafka(quiet).admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(result.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: string;
  value: string;
}

/** An eachMessage that records what it was given (and then runs `then`, if given). */
export function collectInto(deliveries: Delivery[], then?: (payload: EachMessagePayload) => Promise<void> | void) {
  return async (payload: EachMessagePayload): Promise<void> => {
    const { topic, partition, message } = payload;
    deliveries.push({ topic, partition, offset: message.offset, value: message.value?.toString() ?? '' });
    await then?.(payload);
  };
}

export const valuesOf = (deliveries: Delivery[], partition?: number, topic?: string): string[] =>
  deliveries.filter((d) => (partition === undefined || d.partition === partition) && (topic === undefined || d.topic === topic)).map((d) => d.value);

export const range = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

export interface FetchWatch {
  /** Fetch requests that reached a broker. */
  requests: number;
  /** `topic/partition` of every Fetch response partition that carried records, in order. */
  withRecords: string[];
}

/**
 * Watches Fetch traffic at the brokers without changing it (interceptors that always pass): tests use it to
 * know that a fetch is in flight, and that a response really carried records the consumer then discarded.
 */
export function watchFetches(sim: SimCluster): FetchWatch {
  const watch: FetchWatch = { requests: 0, withRecords: [] };
  sim.network.intercept(ApiKey.Fetch, () => {
    watch.requests++;
    return { action: 'pass' };
  }, { keep: true });
  sim.network.intercept(ApiKey.Fetch, ({ response }) => {
    for (const topic of response?.responses ?? []) {
      for (const partition of topic.partitions) {
        const records = partition.records as Buffer | null;
        if (records !== null && records.length > 0) watch.withRecords.push(`${topic.topic}/${partition.partitionIndex}`);
      }
    }
    return { action: 'pass' };
  }, { keep: true, direction: 'response' });
  return watch;
}
