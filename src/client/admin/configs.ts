/**
 * describeConfigs and alterConfigs (KafkaJS's `src/admin/index.js` and `src/protocol/requests/
 * {describeConfigs,alterConfigs}`): KafkaJS's validation messages; broker and broker-logger resources go to
 * the broker they name (Kafka serves those only there), everything else to the controller; one request per
 * broker, answers concatenated in that order; the first resource error is thrown. DescribeConfigs v0
 * answers get `configSource` worked out from `isDefault` as KafkaJS does.
 */
import { ApiKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { KafkaJSNonRetriableError, createErrorFromCode, type KafkaJSError } from '../errors.ts';
import { ConfigResourceTypes, ConfigSource } from './enums.ts';
import type { AdminScope } from './scope.ts';
import type { AlterConfigsResource, ConfigEntries, DescribeConfigResponse, IResourceConfig, ResourceConfigQuery } from './types.ts';

type DescribedResource = DescribeConfigResponse['resources'][number];

const isBrokerConfig = (type: number): boolean => type === ConfigResourceTypes.BROKER || type === ConfigResourceTypes.BROKER_LOGGER;

/** Kafka's `DescribeConfigsResponse` back-port of `config_source` for v0 answers. */
function sourceOfV0(isDefault: boolean, resourceType: number): number {
  if (isDefault) return ConfigSource.DEFAULT_CONFIG;
  if (resourceType === ConfigResourceTypes.BROKER) return ConfigSource.STATIC_BROKER_CONFIG;
  if (resourceType === ConfigResourceTypes.TOPIC) return ConfigSource.TOPIC_CONFIG;
  return ConfigSource.UNKNOWN;
}

async function requestDescribeConfigs(broker: Broker, resources: ResourceConfigQuery[], includeSynonyms = false): Promise<DescribedResource[]> {
  const { version, response } = await broker.request(ApiKey.DescribeConfigs, () => ({
    resources: resources.map(({ type, name, configNames = [] }) => ({
      resourceType: type,
      resourceName: name,
      // KafkaJS writes an empty list as a null array: every config.
      configurationKeys: configNames.length === 0 ? null : configNames,
    })),
    includeSynonyms,
  }));
  const described = response.results.map((r) => ({
    errorCode: r.errorCode,
    errorMessage: r.errorMessage as string,
    resourceType: r.resourceType as DescribedResource['resourceType'],
    resourceName: r.resourceName,
    configEntries: r.configs.map((c): ConfigEntries => {
      if (version === 0) {
        const configSource = sourceOfV0(c.isDefault, r.resourceType);
        return { configName: c.name, configValue: c.value as string, readOnly: c.readOnly, isDefault: c.isDefault, configSource, isSensitive: c.isSensitive } as ConfigEntries;
      }
      return {
        configName: c.name,
        configValue: c.value as string,
        readOnly: c.readOnly,
        isDefault: c.configSource === ConfigSource.DEFAULT_CONFIG,
        configSource: c.configSource as ConfigEntries['configSource'],
        isSensitive: c.isSensitive,
        configSynonyms: c.synonyms.map((s) => ({ configName: s.name, configValue: s.value as string, configSource: s.source as ConfigEntries['configSource'] })),
      };
    }),
  }));
  const failed = described.find((r) => r.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
  return described;
}

async function requestAlterConfigs(broker: Broker, resources: IResourceConfig[], validateOnly = false): Promise<AlterConfigsResource[]> {
  const { response } = await broker.request(ApiKey.AlterConfigs, () => ({
    resources: resources.map(({ type, name, configEntries }) => ({
      resourceType: type,
      resourceName: name,
      configs: configEntries.map(({ name: configName, value }) => ({ name: configName, value })),
    })),
    validateOnly,
  }));
  const altered = response.responses.map((r) => ({
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    resourceType: r.resourceType,
    resourceName: r.resourceName,
  }));
  const failed = altered.find((r) => r.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
  return altered;
}

/** The checks describeConfigs and alterConfigs share, in KafkaJS's order. */
function validateResources(resources: Array<{ type: unknown; name: unknown }>): void {
  if (!resources || !Array.isArray(resources)) {
    throw new KafkaJSNonRetriableError(`Invalid resources array ${resources as unknown as string}`);
  }
  if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty');
  const validTypes: unknown[] = Object.values(ConfigResourceTypes);
  const invalidType = resources.find((r) => !validTypes.includes(r.type));
  if (invalidType) {
    throw new KafkaJSNonRetriableError(`Invalid resource type ${invalidType.type as string}: ${JSON.stringify(invalidType)}`);
  }
  const invalidName = resources.find((r) => !r.name || typeof r.name !== 'string');
  if (invalidName) {
    throw new KafkaJSNonRetriableError(`Invalid resource name ${invalidName.name as string}: ${JSON.stringify(invalidName)}`);
  }
}

export function configMethods(scope: AdminScope) {
  const { cluster, logger } = scope;

  /** Resources by the broker that must answer for them, in first-seen order. */
  const groupByBroker = async <T extends { type: number; name: string }>(resources: T[], controller: Broker): Promise<Map<Broker, T[]>> => {
    const grouped = new Map<Broker, T[]>();
    for (const resource of resources) {
      // KafkaJS passes the name as is; a name that is no node id fails with KafkaJSBrokerNotFound.
      const broker = isBrokerConfig(resource.type) ? await cluster.findBroker({ nodeId: String(resource.name) as unknown as number }) : controller;
      grouped.set(broker, [...(grouped.get(broker) ?? []), resource]);
    }
    return grouped;
  };

  const describeConfigs = async ({ resources, includeSynonyms }: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse> => {
    validateResources(resources);
    const invalidConfigs = resources.find((r) => !Array.isArray(r.configNames) && r.configNames != null);
    if (invalidConfigs) {
      const { configNames } = invalidConfigs;
      throw new KafkaJSNonRetriableError(`Invalid resource configNames ${configNames as unknown as string}: ${JSON.stringify(invalidConfigs)}`);
    }

    return scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        await cluster.refreshMetadata();
        const controller = await cluster.findControllerBroker();
        const byBroker = await groupByBroker(resources, controller);
        const answers = await Promise.all([...byBroker].map(([broker, list]) => requestDescribeConfigs(broker, list, includeSynonyms)));
        // KafkaJS's runtime answers without `throttleTime`, whatever its declarations say.
        return { resources: answers.flat() } as DescribeConfigResponse;
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.type === 'NOT_CONTROLLER') {
          logger.warn('Could not describe configs', { error: error.message, retryCount, retryTime });
          throw e;
        }
        bail(e);
        return undefined as unknown as DescribeConfigResponse;
      }
    });
  };

  const alterConfigs = async ({ resources, validateOnly }: { resources: IResourceConfig[]; validateOnly?: boolean }): Promise<{ resources: AlterConfigsResource[] }> => {
    validateResources(resources);
    const invalidConfigs = resources.find((r) => !Array.isArray(r.configEntries));
    if (invalidConfigs) {
      const { configEntries } = invalidConfigs;
      throw new KafkaJSNonRetriableError(`Invalid resource configEntries ${configEntries as unknown as string}: ${JSON.stringify(invalidConfigs)}`);
    }
    const invalidConfigValue = resources.find((r) => r.configEntries.some((e) => typeof e.name !== 'string' || typeof e.value !== 'string'));
    if (invalidConfigValue) {
      throw new KafkaJSNonRetriableError(`Invalid resource config value: ${JSON.stringify(invalidConfigValue)}`);
    }

    return scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        await cluster.refreshMetadata();
        const controller = await cluster.findControllerBroker();
        const byBroker = await groupByBroker(resources, controller);
        const answers = await Promise.all([...byBroker].map(([broker, list]) => requestAlterConfigs(broker, list, !!validateOnly)));
        return { resources: answers.flat() };
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.type === 'NOT_CONTROLLER') {
          logger.warn('Could not alter configs', { error: error.message, retryCount, retryTime });
          throw e;
        }
        bail(e);
        return { resources: [] };
      }
    });
  };

  return { describeConfigs, alterConfigs };
}
