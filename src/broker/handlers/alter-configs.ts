/**
 * AlterConfigs (key 33), v0-2: the legacy API, where a resource's configs in the request replace all of its
 * overrides (a config left out goes back to its default). Validated as Kafka 4.0 does it in two steps, the
 * broker's preprocessing (`ConfigAdminManager.preprocess`) then the controller's (`ControllerApis`,
 * `ConfigurationControlManager.legacyAlterConfigs`, `ControllerConfigurationValidator`, `LogConfig.validate`):
 * - a resource named twice: INVALID_REQUEST "Each resource must appear at most once." for each occurrence; a
 *   config named twice: "Error due to duplicate config keys"; a null value: "Null value not supported for : a, b";
 * - TOPIC (2): the empty name is INVALID_REQUEST "Default topic resources are not allowed.", an invalid name
 *   INVALID_TOPIC_EXCEPTION, an unknown config "Unknown topic config name: x" and a bad value Kafka's
 *   "Invalid value ..." (both INVALID_CONFIG, as is min.compaction.lag.ms above max.compaction.lag.ms), then a
 *   missing topic UNKNOWN_TOPIC_OR_PARTITION "The topic 't' does not exist." (values are checked before
 *   existence, as in Kafka). Applied through the controller: this broker adopts the new image before answering
 *   (`Broker.adoptForwardedChange`), the others when it reaches them;
 * - BROKER (4): the name must be empty (cluster default) or this broker's id ("Node id must be an integer, but
 *   it is: x" / "Unexpected broker id, expected 1, but received 2", INVALID_REQUEST). This model has no dynamic
 *   broker configs: broker configs are fixed when the cluster is built (`brokerConfig`), so any change is
 *   answered as Kafka answers a change to one of its read-only configs, INVALID_REQUEST "Cannot update these
 *   configs dynamically: Set(a, b)", and DescribeConfigs reports them read-only. A change with no configs is a
 *   no-op and succeeds;
 * - any other resource type: INVALID_REQUEST "Unknown resource type N" (Kafka's answer for types it does not
 *   know; CLIENT_METRICS and GROUP, which Kafka knows, are left out the same way).
 * `validateOnly` runs every check and changes nothing. Answers come in request order, as Kafka reassembles them.
 * Leaves out: authorization, alter-config policies.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { TOPIC_CONFIG_BY_NAME, TopicConfig, validateConfigValue } from '../config.ts';
import { invalidTopicNameReason } from '../metadata.ts';
import { ConfigResourceType, parseNodeId } from './describe-configs.ts';
import { defineHandler } from './handler.ts';

export interface ResourceError {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export const resourceError = (errorCode: number, errorMessage: string | null): ResourceError => ({ errorCode, errorMessage });
export const ACCEPTED: ResourceError = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Positions of resources whose (type, name) appears more than once. */
export function duplicateResourcePositions(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): Set<number> {
  const counts = new Map<string, number>();
  const key = (r: { resourceType: number; resourceName: string }) => `${r.resourceType}:${r.resourceName}`;
  for (const r of resources) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  return new Set(resources.flatMap((r, i) => (counts.get(key(r))! > 1 ? [i] : [])));
}

export const hasDuplicateNames = (names: readonly string[]): boolean => new Set(names).size !== names.length;

/** Kafka's `ConfigAdminManager.validateResourceNameIsCurrentNodeId` (the empty name, the cluster default, is fine). */
export function brokerResourceProblem(broker: Broker, resourceName: string): ResourceError | null {
  if (resourceName === '') return null;
  const id = parseNodeId(resourceName);
  if (id === null) return resourceError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${resourceName}`);
  if (id !== broker.id) return resourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.id}, but received ${resourceName}`);
  return null;
}

/** Every broker config is static in this model: Kafka's answer for non-dynamic configs, for any it would store. */
export function brokerConfigChangeProblem(names: readonly string[]): ResourceError | null {
  if (names.length === 0) return null;
  return resourceError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${names.join(', ')})`);
}

/**
 * What Kafka's controller says about a topic's complete new set of overrides: name, config names, values,
 * cross-config rules, then existence. Null when it may be applied.
 */
export function topicConfigsProblem(broker: Broker, topicName: string, overrides: ReadonlyMap<string, string>): ResourceError | null {
  if (topicName === '') return resourceError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const nameProblem = invalidTopicNameReason(topicName);
  if (nameProblem !== null) return resourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  for (const name of overrides.keys()) {
    if (!TOPIC_CONFIG_BY_NAME.has(name)) return resourceError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  }
  for (const [name, value] of overrides) {
    const problem = validateConfigValue(TOPIC_CONFIG_BY_NAME.get(name)!, value);
    if (problem !== null) return resourceError(ErrorCode.INVALID_CONFIG, problem);
  }
  const effective = new TopicConfig(broker.config, new Map(overrides));
  const minCompactionLagMs = BigInt(effective.get('min.compaction.lag.ms') ?? '0');
  const maxCompactionLagMs = BigInt(effective.get('max.compaction.lag.ms') ?? '9223372036854775807');
  if (minCompactionLagMs > maxCompactionLagMs) {
    return resourceError(
      ErrorCode.INVALID_CONFIG,
      `conflict topic config setting min.compaction.lag.ms (${minCompactionLagMs}) > max.compaction.lag.ms (${maxCompactionLagMs})`,
    );
  }
  if (!broker.controller.current.topics.has(topicName)) {
    return resourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topicName}' does not exist.`);
  }
  return null;
}

export const alterConfigsHandler = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  handle: ({ broker }, request) => {
    const duplicates = duplicateResourcePositions(request.resources);
    const responses = request.resources.map((resource, position) => {
      const outcome = ((): ResourceError => {
        if (duplicates.has(position)) return resourceError(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.');
        const names = resource.configs.map((c) => c.name);
        if (hasDuplicateNames(names)) return resourceError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
        const nullNames = resource.configs.filter((c) => c.value === null).map((c) => c.name);
        if (nullNames.length > 0) return resourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nullNames.join(', ')}`);
        switch (resource.resourceType) {
          case ConfigResourceType.BROKER:
            return brokerResourceProblem(broker, resource.resourceName) ?? brokerConfigChangeProblem(names) ?? ACCEPTED;
          case ConfigResourceType.TOPIC: {
            const overrides = new Map(resource.configs.map((c) => [c.name, c.value!]));
            const problem = topicConfigsProblem(broker, resource.resourceName, overrides);
            if (problem !== null) return problem;
            if (!request.validateOnly) broker.controller.alterTopicConfigs(resource.resourceName, overrides);
            return ACCEPTED;
          }
          default:
            return resourceError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`);
        }
      })();
      return { ...outcome, resourceType: resource.resourceType, resourceName: resource.resourceName };
    });
    broker.adoptForwardedChange();
    return { throttleTimeMs: 0, responses };
  },
});
