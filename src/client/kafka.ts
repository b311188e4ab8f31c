/**
 * `Kafka`, the entry point (KafkaJS's `src/index.js`, class `Client`): one logger and one committed-offsets
 * map per instance, and per producer, consumer or admin its own cluster view, instrumentation and process
 * scope, with KafkaJS's per-client defaults (metadataMaxAge 300000 for producers and consumers,
 * allowAutoTopicCreation false for admin, consumer retry `{ retries: 5 }` over the client's).
 */
import { environmentVariable } from '../runtime/index.ts';
import { createAdmin, type Admin } from './admin/index.ts';
import { Cluster } from './cluster.ts';
import type { AdminConfig, ConsumerConfig, KafkaConfig, ProducerConfig } from './config.ts';
import { createConsumer, type Consumer } from './consumer/index.ts';
import type { ClientContext } from './context.ts';
import { ENVIRONMENT, resolveEnvironment, type ClientEnvironment } from './environment.ts';
import { InstrumentationEmitter } from './instrumentation.ts';
import { createLogger, logLevel, type Logger } from './logger.ts';
import { ClientProcess } from './process.ts';
import { createProducer, type Producer } from './producer/index.ts';
import type { RetryOptions } from './retry.ts';

const DEFAULT_METADATA_MAX_AGE = 300000;
const ISOLATION_READ_UNCOMMITTED = 0;
const ISOLATION_READ_COMMITTED = 1;

let partitionerWarningShown = false;

interface ClusterSettings {
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number | null;
  isolationLevel?: number;
}

export class Kafka {
  private readonly config: KafkaConfig;
  private readonly rootLogger: Logger;
  private readonly offsets = new Map<string, Record<string, Record<string, string>>>();
  private readonly environment: ClientEnvironment;

  constructor(config: KafkaConfig) {
    this.config = config;
    const bound = (config as KafkaConfig & { [ENVIRONMENT]?: ClientEnvironment })[ENVIRONMENT];
    this.environment = bound ?? resolveEnvironment(Array.isArray(config.brokers) ? config.brokers : null);
    this.rootLogger = createLogger({
      level: config.logLevel ?? logLevel.INFO,
      logCreator: config.logCreator,
      now: () => this.environment.runtime.now(),
    });
  }

  private context(kind: 'producer' | 'consumer' | 'admin', retry: RetryOptions, settings: ClusterSettings): ClientContext {
    const clientId = this.config.clientId ?? 'kafkajs';
    const process = new ClientProcess(this.environment.runtime, this.environment.transport, this.environment.runtime.nextId(`${clientId}-${kind}`));
    const instrumentation = new InstrumentationEmitter(() => process.now(), this.environment.runtime);
    const createCluster = (overrides: ClusterSettings): Cluster => {
      const s = { ...settings, ...overrides };
      return new Cluster({
        process,
        logger: this.rootLogger,
        brokers: this.config.brokers,
        clientId,
        connectionTimeout: this.config.connectionTimeout ?? 1000,
        requestTimeout: this.config.requestTimeout ?? 30000,
        enforceRequestTimeout: this.config.enforceRequestTimeout ?? true,
        metadataMaxAge: s.metadataMaxAge ?? 0,
        retry: this.config.retry ?? {},
        allowAutoTopicCreation: s.allowAutoTopicCreation ?? true,
        maxInFlightRequests: s.maxInFlightRequests ?? null,
        isolationLevel: s.isolationLevel ?? ISOLATION_READ_COMMITTED,
        instrumentation,
        eventNames: {
          request: `${kind}.network.request`,
          requestTimeout: `${kind}.network.request_timeout`,
          requestQueueSize: `${kind}.network.request_queue_size`,
        },
        offsets: this.offsets,
      });
    };
    return { process, cluster: createCluster({}), logger: this.rootLogger, instrumentation, retry, createCluster };
  }

  producer(config: ProducerConfig = {}): Producer {
    const context = this.context('producer', { ...this.config.retry, ...config.retry }, {
      metadataMaxAge: config.metadataMaxAge ?? DEFAULT_METADATA_MAX_AGE,
      allowAutoTopicCreation: config.allowAutoTopicCreation,
      maxInFlightRequests: config.maxInFlightRequests,
    });
    if (config.createPartitioner == null && !partitionerWarningShown) {
      partitionerWarningShown = true;
      if (environmentVariable('KAFKAJS_NO_PARTITIONER_WARNING') === undefined) {
        this.rootLogger.warn(
          'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, create the producer with the option "createPartitioner: Partitioners.LegacyPartitioner". See the migration guide at https://kafka.js.org/docs/migration-guide-v2.0.0#producer-new-default-partitioner for details. Silence this warning by setting the environment variable "KAFKAJS_NO_PARTITIONER_WARNING=1"',
        );
      }
    }
    return createProducer(context, config);
  }

  consumer(config: ConsumerConfig = {} as ConsumerConfig): Consumer {
    const retry = config.retry ?? { retries: 5 };
    const context = this.context('consumer', { ...this.config.retry, ...retry }, {
      metadataMaxAge: config.metadataMaxAge ?? DEFAULT_METADATA_MAX_AGE,
      allowAutoTopicCreation: config.allowAutoTopicCreation,
      maxInFlightRequests: config.maxInFlightRequests,
      isolationLevel: config.readUncommitted === true ? ISOLATION_READ_UNCOMMITTED : ISOLATION_READ_COMMITTED,
    });
    return createConsumer(context, { ...config, retry });
  }

  admin(config: AdminConfig = {}): Admin {
    const context = this.context('admin', { ...this.config.retry, ...config.retry }, { allowAutoTopicCreation: false });
    return createAdmin(context, config);
  }

  logger(): Logger {
    return this.rootLogger;
  }
}
