/**
 * DescribeConfigs (key 32), v0-4, as a Kafka 4.0 broker answers it from its own metadata (`ConfigHelper`):
 * - TOPIC (2): every topic config this model knows (`TOPIC_CONFIGS`) with its effective value: the topic's
 *   override, else the broker-level synonym, else Kafka's default. `configSource` (v1+) is
 *   DYNAMIC_TOPIC_CONFIG for overrides, STATIC_BROKER_CONFIG when the cluster was started with the first
 *   broker synonym, DEFAULT_CONFIG otherwise; `synonyms` (v1+, with `includeSynonyms`) list the override and
 *   the broker-level values in Kafka's order of precedence, dropping those ranked before the first synonym
 *   (so `retention.ms` over a static `log.retention.hours` reports DEFAULT_CONFIG and no synonyms, as Kafka
 *   does). Topic configs are never read-only or sensitive. An invalid name is INVALID_TOPIC_EXCEPTION; a topic
 *   missing from this broker's metadata is UNKNOWN_TOPIC_OR_PARTITION with no message;
 * - BROKER (4): the resource name must be this broker's id ("Unexpected broker id, expected 1 or empty
 *   string, but received 2" / "Broker id must be an integer, but it is: x", INVALID_REQUEST); it reports
 *   `BROKER_CONFIGS` with `broker.id` and `broker.rack` from the broker itself. The empty name (cluster-wide
 *   dynamic defaults) answers no configs, since this model has no dynamic broker configs; for the same reason
 *   every broker config is reported read-only (see alter-configs.ts);
 * - `configurationKeys` filters by name (null or empty: all; unknown names are skipped);
 * - v0 carries `isDefault` (the config comes from a default), which Kafka 4.0 leaves false; clients read it as
 *   the source, so it is set here as the Kafka versions that still spoke v0 did;
 * - v3+ carries `configType`; `documentation` is null unless requested and known.
 * A resource type Kafka does not know fails every resource with INVALID_REQUEST (Kafka's whole-request error).
 * Leaves out: authorization, BROKER_LOGGER, CLIENT_METRICS and GROUP resources (INVALID_REQUEST "Unsupported
 * resource type: ..."), and the hundreds of configs that change nothing in a simulation.
 */
import { ApiKey, ErrorCode, type DescribeConfigsResponseDescribeConfigsResultInput } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import {
  BROKER_CONFIG_BY_NAME,
  BROKER_CONFIGS,
  ConfigSource,
  TOPIC_CONFIGS,
  TopicConfig,
  type BrokerConfig,
  type ConfigDefinition,
  type ConfigType,
} from '../config.ts';
import { invalidTopicNameReason } from '../metadata.ts';
import { defineHandler } from './handler.ts';

type ResourceResult = DescribeConfigsResponseDescribeConfigsResultInput;
type ConfigEntry = ResourceResult['configs'][number];
type Synonym = NonNullable<ConfigEntry['synonyms']>[number];

/** Kafka's `ConfigResource.Type` ids. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

const RESOURCE_TYPE_NAMES = new Map<number, string>(Object.entries(ConfigResourceType).map(([name, id]) => [id, name]));

/** The name of a resource type Kafka knows, or undefined. */
export const resourceTypeName = (id: number): string | undefined => (id === 0 ? undefined : RESOURCE_TYPE_NAMES.get(id));

/** Kafka's `DescribeConfigsResponse.ConfigType` ids. */
const CONFIG_TYPE_IDS: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** Kafka's default message for INVALID_REQUEST (`Errors.INVALID_REQUEST.message()`). */
const INVALID_REQUEST_MESSAGE =
  'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.';

/** Java's `Integer.parseInt`: an optional sign and decimal digits within int32; null otherwise. */
export function parseNodeId(name: string): number | null {
  if (!/^[+-]?\d+$/.test(name)) return null;
  const id = Number(name);
  return id >= -2147483648 && id <= 2147483647 ? id : null;
}

/** Kafka's `DynamicBrokerConfig.brokerConfigSynonyms`: the broker configs that set the same thing, highest precedence first. */
function brokerSynonymNames(name: string): string[] {
  switch (name) {
    case 'log.roll.ms':
    case 'log.roll.hours':
      return ['log.roll.ms', 'log.roll.hours'];
    case 'log.flush.interval.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'];
    default:
      return [name];
  }
}

/**
 * Kafka's `ConfigHelper.configSynonyms`: static values, then defaults, over the synonym family, with
 * everything before the first entry named `name` dropped. (This model has no dynamic broker layers.)
 */
function brokerConfigSynonyms(config: BrokerConfig, name: string): Synonym[] {
  const names = brokerSynonymNames(name);
  const synonyms: Synonym[] = [];
  for (const n of names) if (config.has(n)) synonyms.push({ name: n, value: config.get(n), source: ConfigSource.STATIC_BROKER_CONFIG });
  for (const n of names) {
    const defaultValue = BROKER_CONFIG_BY_NAME.get(n)?.defaultValue ?? null;
    if (defaultValue !== null) synonyms.push({ name: n, value: defaultValue, source: ConfigSource.DEFAULT_CONFIG });
  }
  const first = synonyms.findIndex((s) => s.name === name);
  return first < 0 ? [] : synonyms.slice(first);
}

interface DescribeOptions {
  readonly apiVersion: number;
  readonly includeSynonyms: boolean;
  readonly includeDocumentation: boolean;
}

function configEntry(
  definition: ConfigDefinition,
  value: string | null,
  source: number,
  synonyms: Synonym[],
  readOnly: boolean,
  options: DescribeOptions,
): ConfigEntry {
  const isSensitive = definition.type === 'password';
  return {
    name: definition.name,
    value: isSensitive ? null : value,
    readOnly,
    // v0 only, and not ignorable: a later version must leave it unset.
    isDefault: options.apiVersion === 0 && source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive,
    synonyms: options.includeSynonyms ? synonyms.map((s) => (isSensitive ? { ...s, value: null } : s)) : [],
    configType: CONFIG_TYPE_IDS[definition.type],
    documentation: options.includeDocumentation ? (definition.documentation ?? null) : null,
  };
}

function describeTopicConfigs(broker: Broker, overrides: ReadonlyMap<string, string>, options: DescribeOptions): ConfigEntry[] {
  const config = new TopicConfig(broker.config, new Map(overrides));
  return TOPIC_CONFIGS.map((definition) => {
    const value = config.get(definition.name);
    const synonyms: Synonym[] = [];
    if (overrides.has(definition.name)) synonyms.push({ name: definition.name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    if (definition.brokerSynonym !== undefined) synonyms.push(...brokerConfigSynonyms(broker.config, definition.brokerSynonym));
    return configEntry(definition, value, config.source(definition.name), synonyms, false, options);
  });
}

function describeBrokerConfigs(broker: Broker, options: DescribeOptions): ConfigEntry[] {
  return BROKER_CONFIGS.map((definition) => {
    let value = broker.config.get(definition.name);
    let synonyms = brokerConfigSynonyms(broker.config, definition.name);
    // The shared cluster config cannot hold per-broker identity; the broker's own spec does.
    if (definition.name === 'broker.id') {
      value = String(broker.id);
      synonyms = [{ name: 'broker.id', value, source: ConfigSource.STATIC_BROKER_CONFIG }];
    } else if (definition.name === 'broker.rack') {
      value = broker.spec.rack ?? null;
      synonyms = value === null ? [] : [{ name: 'broker.rack', value, source: ConfigSource.STATIC_BROKER_CONFIG }];
    }
    return configEntry(definition, value, synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG, synonyms, true, options);
  });
}

export const describeConfigsHandler = defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle: ({ broker, header }, request) => {
    const options: DescribeOptions = {
      apiVersion: header.apiVersion,
      includeSynonyms: header.apiVersion >= 1 && request.includeSynonyms,
      includeDocumentation: header.apiVersion >= 3 && request.includeDocumentation,
    };
    if (request.resources.some((r) => resourceTypeName(r.resourceType) === undefined)) {
      return {
        throttleTimeMs: 0,
        results: request.resources.map((r) => ({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: INVALID_REQUEST_MESSAGE,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [],
        })),
      };
    }
    const results = request.resources.map((resource): ResourceResult => {
      const answer = (errorCode: number, errorMessage: string | null, configs: ConfigEntry[] = []): ResourceResult => {
        const keys = resource.configurationKeys;
        const filtered = keys === null || keys.length === 0 ? configs : configs.filter((c) => keys.includes(c.name));
        return { errorCode, errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName, configs: filtered };
      };
      switch (resource.resourceType) {
        case ConfigResourceType.TOPIC: {
          const nameProblem = invalidTopicNameReason(resource.resourceName);
          if (nameProblem !== null) return answer(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
          const topic = broker.image.topics.get(resource.resourceName);
          if (topic === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
          return answer(ErrorCode.NONE, null, describeTopicConfigs(broker, topic.configs, options));
        }
        case ConfigResourceType.BROKER: {
          if (resource.resourceName === '') return answer(ErrorCode.NONE, null);
          const id = parseNodeId(resource.resourceName);
          if (id === null) return answer(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${resource.resourceName}`);
          if (id !== broker.id) {
            return answer(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.id} or empty string, but received ${resource.resourceName}`);
          }
          return answer(ErrorCode.NONE, null, describeBrokerConfigs(broker, options));
        }
        default:
          return answer(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(resource.resourceType)}`);
      }
    });
    return { throttleTimeMs: 0, results };
  },
});
