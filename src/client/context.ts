/**
 * What `Kafka.producer()`, `.consumer()` and `.admin()` hand to the factories: the process scope the client
 * lives in, its own cluster view, logger, instrumentation and retry options (KafkaJS's `createProducer({
 * cluster, logger, retry, instrumentationEmitter, ... })`).
 */
import type { Cluster } from './cluster.ts';
import type { InstrumentationEmitter } from './instrumentation.ts';
import type { Logger } from './logger.ts';
import type { ClientProcess } from './process.ts';
import type { RetryOptions } from './retry.ts';

export interface ClientContext {
  readonly process: ClientProcess;
  readonly cluster: Cluster;
  readonly logger: Logger;
  readonly instrumentation: InstrumentationEmitter;
  readonly retry: RetryOptions;
  /** Makes another cluster view with the same connection settings (admin.setOffsets runs a consumer). */
  readonly createCluster: (options: { allowAutoTopicCreation?: boolean; isolationLevel?: number; metadataMaxAge?: number; maxInFlightRequests?: number | null }) => Cluster;
}

/** The process scope of a producer, consumer or admin, for `cluster.kill(client)`. */
export const CLIENT_PROCESS: unique symbol = Symbol.for('kafkasim.clientProcess');
