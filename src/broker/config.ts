/**
 * Broker and topic configuration with Kafka's names and defaults (Kafka 4.0 `ServerConfigs`,
 * `ReplicationConfigs`, `ServerLogConfigs`, `TopicConfig`). A topic config falls back to its broker-level
 * synonym (`retention.ms` -> `log.retention.ms`), as DescribeConfigs reports with `configSource`.
 *
 * Values are kept as Kafka's strings at the edges (CreateTopics, AlterConfigs, DescribeConfigs) and read
 * through typed getters in the model. Left out: dynamic per-broker config layers beyond one level, SSL,
 * SASL, quotas, and the several hundred configs that change nothing in a simulation.
 */

export type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'class' | 'password';

export interface ConfigDefinition {
  readonly name: string;
  readonly type: ConfigType;
  readonly defaultValue: string | null;
  /** For a topic config, the broker config it falls back to. */
  readonly brokerSynonym?: string;
  readonly validValues?: readonly string[];
  readonly min?: number;
  readonly isSensitive?: boolean;
  readonly readOnly?: boolean;
  readonly documentation?: string;
}

const def = (
  name: string,
  type: ConfigType,
  defaultValue: string | null,
  extra: Omit<ConfigDefinition, 'name' | 'type' | 'defaultValue'> = {},
): ConfigDefinition => ({ name, type, defaultValue, ...extra });

/** Broker configs the model reads, with Kafka's defaults. */
export const BROKER_CONFIGS: readonly ConfigDefinition[] = [
  def('broker.id', 'int', '-1', { readOnly: true }),
  def('broker.rack', 'string', null, { readOnly: true }),
  def('num.partitions', 'int', '1', { min: 1 }),
  def('default.replication.factor', 'int', '1', { min: 1 }),
  def('auto.create.topics.enable', 'boolean', 'true'),
  def('delete.topic.enable', 'boolean', 'true'),
  def('min.insync.replicas', 'int', '1', { min: 1 }),
  def('unclean.leader.election.enable', 'boolean', 'false'),
  def('replica.lag.time.max.ms', 'long', '30000', { min: 0 }),
  def('replica.fetch.wait.max.ms', 'int', '500'),
  def('max.incremental.fetch.session.cache.slots', 'int', '1000'),
  def('min.incremental.fetch.session.eviction.ms', 'int', '120000'),
  def('replica.fetch.min.bytes', 'int', '1'),
  def('replica.fetch.max.bytes', 'int', '1048576'),
  def('replica.fetch.response.max.bytes', 'int', '10485760'),
  def('replica.fetch.backoff.ms', 'int', '1000'),
  def('message.max.bytes', 'int', '1048588', { min: 0 }),
  def('socket.request.max.bytes', 'int', '104857600', { min: 1 }),
  def('connections.max.idle.ms', 'long', '600000'),
  def('log.segment.bytes', 'int', '1073741824', { min: 14 }),
  def('log.roll.ms', 'long', null),
  def('log.roll.hours', 'int', '168'),
  def('log.retention.ms', 'long', null),
  def('log.retention.minutes', 'int', null),
  def('log.retention.hours', 'int', '168'),
  def('log.retention.bytes', 'long', '-1'),
  def('log.retention.check.interval.ms', 'long', '300000', { min: 1 }),
  def('log.cleanup.policy', 'list', 'delete', { validValues: ['compact', 'delete'] }),
  def('log.cleaner.delete.retention.ms', 'long', '86400000'),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0'),
  def('log.cleaner.backoff.ms', 'long', '15000'),
  def('log.index.interval.bytes', 'int', '4096'),
  def('log.index.size.max.bytes', 'int', '10485760'),
  def('log.message.timestamp.type', 'string', 'CreateTime', { validValues: ['CreateTime', 'LogAppendTime'] }),
  def('log.flush.interval.messages', 'long', '9223372036854775807'),
  def('log.flush.interval.ms', 'long', null),
  def('compression.type', 'string', 'producer', { validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }),
  def('compression.gzip.level', 'int', '-1', { min: -1 }),
  def('compression.lz4.level', 'int', '9', { min: 1 }),
  def('compression.zstd.level', 'int', '3', { min: -131072 }),
  def('log.local.retention.bytes', 'long', '-2', { min: -2 }),
  def('log.local.retention.ms', 'long', '-2', { min: -2 }),
  def('log.message.timestamp.after.max.ms', 'long', '9223372036854775807', { min: 0 }),
  def('log.message.timestamp.before.max.ms', 'long', '9223372036854775807', { min: 0 }),
  def('log.preallocate', 'boolean', 'false'),
  def('log.roll.jitter.ms', 'long', null),
  def('offsets.topic.num.partitions', 'int', '50', { readOnly: true }),
  def('offsets.topic.replication.factor', 'int', '3'),
  def('offsets.retention.minutes', 'int', '10080'),
  def('offsets.retention.check.interval.ms', 'long', '600000', { min: 1 }),
  def('offsets.topic.segment.bytes', 'int', '104857600', { min: 1, readOnly: true }),
  def('offsets.commit.timeout.ms', 'int', '5000', { min: 1 }),
  def('offsets.commit.required.acks', 'int', '-1'),
  def('offset.metadata.max.bytes', 'int', '4096'),
  def('group.initial.rebalance.delay.ms', 'int', '3000'),
  def('group.min.session.timeout.ms', 'int', '6000'),
  def('group.max.session.timeout.ms', 'int', '1800000'),
  def('group.max.size', 'int', '2147483647'),
  def('transaction.max.timeout.ms', 'int', '900000'),
  def('transactional.id.expiration.ms', 'int', '604800000'),
  def('transaction.state.log.replication.factor', 'int', '3'),
  def('transaction.state.log.min.isr', 'int', '2'),
  def('transaction.state.log.num.partitions', 'int', '50', { min: 1, readOnly: true }),
  def('transaction.state.log.segment.bytes', 'int', '104857600', { min: 1, readOnly: true }),
  def('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', { min: 1 }),
  def('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', { min: 1 }),
  def('transaction.partition.verification.enable', 'boolean', 'true'),
  def('request.timeout.ms', 'int', '30000', { min: 0 }),
  def('producer.id.expiration.ms', 'int', '86400000'),
  def('broker.session.timeout.ms', 'int', '9000'),
  def('broker.heartbeat.interval.ms', 'int', '2000'),
];

/**
 * Topic configs with the broker configs they default to, sorted by name as Kafka lists them. Kafka 4.0's whole
 * set (`LogConfig`): CreateTopics and AlterConfigs accept all of them and DescribeConfigs lists them, but the
 * model acts only on those `log-config.ts` reads (compression levels, timestamp bounds, throttled replicas,
 * preallocation and tiered storage are accepted and ignored). Left out: the configs Kafka 4.0
 * removed (`message.format.version`, `message.downconversion.enable`, `message.timestamp.difference.max.ms`).
 */
export const TOPIC_CONFIGS: readonly ConfigDefinition[] = [
  def('cleanup.policy', 'list', 'delete', { brokerSynonym: 'log.cleanup.policy', validValues: ['compact', 'delete'] }),
  def('compression.gzip.level', 'int', '-1', { brokerSynonym: 'compression.gzip.level', min: -1 }),
  def('compression.lz4.level', 'int', '9', { brokerSynonym: 'compression.lz4.level', min: 1 }),
  def('compression.type', 'string', 'producer', { brokerSynonym: 'compression.type', validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }),
  def('compression.zstd.level', 'int', '3', { brokerSynonym: 'compression.zstd.level', min: -131072 }),
  def('delete.retention.ms', 'long', '86400000', { brokerSynonym: 'log.cleaner.delete.retention.ms', min: 0 }),
  def('file.delete.delay.ms', 'long', '60000', { min: 0 }),
  def('flush.messages', 'long', '9223372036854775807', { brokerSynonym: 'log.flush.interval.messages', min: 1 }),
  def('flush.ms', 'long', '9223372036854775807', { brokerSynonym: 'log.flush.interval.ms', min: 0 }),
  def('follower.replication.throttled.replicas', 'list', ''),
  def('index.interval.bytes', 'int', '4096', { brokerSynonym: 'log.index.interval.bytes', min: 0 }),
  def('leader.replication.throttled.replicas', 'list', ''),
  def('local.retention.bytes', 'long', '-2', { brokerSynonym: 'log.local.retention.bytes', min: -2 }),
  def('local.retention.ms', 'long', '-2', { brokerSynonym: 'log.local.retention.ms', min: -2 }),
  def('max.compaction.lag.ms', 'long', '9223372036854775807', { min: 1 }),
  def('max.message.bytes', 'int', '1048588', { brokerSynonym: 'message.max.bytes', min: 0 }),
  def('message.timestamp.after.max.ms', 'long', '9223372036854775807', { brokerSynonym: 'log.message.timestamp.after.max.ms', min: 0 }),
  def('message.timestamp.before.max.ms', 'long', '9223372036854775807', { brokerSynonym: 'log.message.timestamp.before.max.ms', min: 0 }),
  def('message.timestamp.type', 'string', 'CreateTime', { brokerSynonym: 'log.message.timestamp.type', validValues: ['CreateTime', 'LogAppendTime'] }),
  def('min.cleanable.dirty.ratio', 'double', '0.5'),
  def('min.compaction.lag.ms', 'long', '0', { brokerSynonym: 'log.cleaner.min.compaction.lag.ms', min: 0 }),
  def('min.insync.replicas', 'int', '1', { brokerSynonym: 'min.insync.replicas', min: 1 }),
  def('preallocate', 'boolean', 'false', { brokerSynonym: 'log.preallocate' }),
  def('remote.log.copy.disable', 'boolean', 'false'),
  def('remote.log.delete.on.disable', 'boolean', 'false'),
  def('remote.storage.enable', 'boolean', 'false'),
  def('retention.bytes', 'long', '-1', { brokerSynonym: 'log.retention.bytes' }),
  def('retention.ms', 'long', '604800000', { brokerSynonym: 'log.retention.ms', min: -1 }),
  def('segment.bytes', 'int', '1073741824', { brokerSynonym: 'log.segment.bytes', min: 14 }),
  def('segment.index.bytes', 'int', '10485760', { brokerSynonym: 'log.index.size.max.bytes', min: 8 }),
  def('segment.jitter.ms', 'long', '0', { brokerSynonym: 'log.roll.jitter.ms', min: 0 }),
  def('segment.ms', 'long', '604800000', { brokerSynonym: 'log.roll.ms', min: 1 }),
  def('unclean.leader.election.enable', 'boolean', 'false', { brokerSynonym: 'unclean.leader.election.enable' }),
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, ConfigDefinition> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));
export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, ConfigDefinition> = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));

/** Why a config value is rejected (Kafka answers INVALID_CONFIG with this message). */
export function validateConfigValue(definition: ConfigDefinition, value: string | null): string | null {
  if (value === null) return null;
  switch (definition.type) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) return `Invalid value ${value} for configuration ${definition.name}: Not a number of type ${definition.type.toUpperCase()}`;
      const n = Number(value);
      if (definition.type === 'int' && (n > 2147483647 || n < -2147483648)) {
        return `Invalid value ${value} for configuration ${definition.name}: Not a number of type INT`;
      }
      if (definition.min !== undefined && n < definition.min) {
        return `Invalid value ${value} for configuration ${definition.name}: Value must be at least ${definition.min}`;
      }
      return null;
    }
    case 'double':
      return Number.isFinite(Number(value)) ? null : `Invalid value ${value} for configuration ${definition.name}: Not a number of type DOUBLE`;
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? null : `Invalid value ${value} for configuration ${definition.name}: Expected value to be either true or false`;
    case 'list':
      if (definition.validValues !== undefined) {
        for (const item of value.split(',').map((s) => s.trim())) {
          if (!definition.validValues.includes(item)) {
            return `Invalid value ${value} for configuration ${definition.name}: String must be one of: ${definition.validValues.join(', ')}`;
          }
        }
      }
      return null;
    default:
      if (definition.validValues !== undefined && !definition.validValues.includes(value)) {
        return `Invalid value ${value} for configuration ${definition.name}: String must be one of: ${definition.validValues.join(', ')}`;
      }
      return null;
  }
}

/** Kafka's `ConfigSource` as DescribeConfigs v1+ reports it. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/**
 * One broker's configuration: Kafka defaults overlaid with what the cluster was started with. The
 * derived getters mirror Kafka's precedence rules (`log.retention.ms` over minutes over hours).
 */
export class BrokerConfig {
  private readonly values = new Map<string, string>();

  constructor(overrides: Readonly<Record<string, string | number | boolean>> = {}) {
    for (const [name, value] of Object.entries(overrides)) this.values.set(name, String(value));
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The configured value, or Kafka's default; null when neither exists. */
  get(name: string): string | null {
    const value = this.values.get(name);
    if (value !== undefined) return value;
    return BROKER_CONFIG_BY_NAME.get(name)?.defaultValue ?? null;
  }

  set(name: string, value: string | null): void {
    if (value === null) this.values.delete(name);
    else this.values.set(name, value);
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'true';
  }

  entries(): Array<[string, string]> {
    return [...this.values.entries()];
  }

  /** `log.retention.ms`, else minutes, else hours, as Kafka derives it. */
  get retentionMs(): number {
    const ms = this.values.get('log.retention.ms');
    if (ms !== undefined) return Number(ms);
    const minutes = this.values.get('log.retention.minutes');
    if (minutes !== undefined) return Number(minutes) * 60_000;
    return Number(this.get('log.retention.hours')) * 3_600_000;
  }

  get segmentMs(): number {
    const ms = this.values.get('log.roll.ms');
    if (ms !== undefined) return Number(ms);
    return Number(this.get('log.roll.hours')) * 3_600_000;
  }

  /** The broker-level value a topic config inherits (its synonym's effective value). */
  topicDefault(topicConfig: string): string | null {
    const definition = TOPIC_CONFIG_BY_NAME.get(topicConfig);
    if (definition === undefined) return null;
    if (definition.brokerSynonym === 'log.retention.ms') return String(this.retentionMs);
    if (definition.brokerSynonym === 'log.roll.ms') return String(this.segmentMs);
    if (definition.brokerSynonym !== undefined && this.values.has(definition.brokerSynonym)) {
      return this.values.get(definition.brokerSynonym)!;
    }
    if (definition.brokerSynonym !== undefined) {
      const brokerDefault = BROKER_CONFIG_BY_NAME.get(definition.brokerSynonym)?.defaultValue;
      if (brokerDefault !== undefined && brokerDefault !== null) return brokerDefault;
    }
    return definition.defaultValue;
  }
}

/** A topic's effective configuration: its own overrides over the broker defaults. */
export class TopicConfig {
  constructor(
    readonly broker: BrokerConfig,
    readonly overrides: Map<string, string> = new Map(),
  ) {}

  get(name: string): string | null {
    return this.overrides.get(name) ?? this.broker.topicDefault(name);
  }

  number(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'true';
  }

  source(name: string): number {
    if (this.overrides.has(name)) return ConfigSource.DYNAMIC_TOPIC_CONFIG;
    const synonym = TOPIC_CONFIG_BY_NAME.get(name)?.brokerSynonym;
    if (synonym !== undefined && this.broker.has(synonym)) return ConfigSource.STATIC_BROKER_CONFIG;
    return ConfigSource.DEFAULT_CONFIG;
  }
}
