/**
 * IncrementalAlterConfigs (key 44), v0-1 (KIP-339): per config key, SET (0) a value, DELETE (1) the override,
 * APPEND (2) to or SUBTRACT (3) from a list config, leaving the resource's other overrides alone. Validated as
 * Kafka 4.0 does it (`ConfigAdminManager.preprocess` on the broker, then `ConfigurationControlManager
 * .incrementalAlterConfigs` and `ControllerConfigurationValidator` on the controller):
 * - a resource named twice: INVALID_REQUEST "Each resource must appear at most once."; a key named twice:
 *   "Error due to duplicate config keys"; a null value with any operation but DELETE: "Null value not supported
 *   for : a, b"; an operation id outside 0-3: "Unknown operations type N";
 * - TOPIC (2): APPEND/SUBTRACT on a key that is not a list is INVALID_CONFIG "Can't APPEND to key x because its
 *   type is not LIST."; a list starts from the override, else the topic default; APPEND adds values not yet
 *   there, SUBTRACT removes them. The resulting overrides are then checked as AlterConfigs checks them (see
 *   alter-configs.ts: unknown names and bad values INVALID_CONFIG, then UNKNOWN_TOPIC_OR_PARTITION "The topic
 *   't' does not exist."). DELETE of a key that is not overridden, even an unknown one, changes nothing and
 *   succeeds, as in Kafka;
 * - BROKER (4): the same resource-name rules as AlterConfigs; the operations are applied to the broker's
 *   (empty) dynamic configs, and any config that would be stored is refused as read-only ("Cannot update these
 *   configs dynamically: Set(...)", INVALID_REQUEST), since this model's broker configs are static; DELETEs
 *   alone succeed. APPEND/SUBTRACT on a broker config that is not a list is INVALID_CONFIG "Config value append
 *   is not allowed for config key: x";
 * - any other resource type: INVALID_REQUEST "Unknown resource type N" (BROKER_LOGGER, CLIENT_METRICS and GROUP
 *   are left out this way).
 * `validateOnly` runs every check and changes nothing. Answers come in request order.
 * Leaves out: authorization, alter-config policies, BROKER_LOGGER (log4j levels).
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME } from '../config.ts';
import {
  ACCEPTED,
  brokerConfigChangeProblem,
  brokerResourceProblem,
  duplicateResourcePositions,
  hasDuplicateNames,
  resourceError,
  topicConfigsProblem,
  type ResourceError,
} from './alter-configs.ts';
import { ConfigResourceType } from './describe-configs.ts';
import { defineHandler } from './handler.ts';

const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'] as const;

interface Operation {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

/** Java's `String.split(",")`: trailing empty strings are dropped, unless nothing matched. */
function splitLikeJava(value: string): string[] {
  const parts = value.split(',');
  if (parts.length === 1) return parts;
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** A list config's items: its current value, else its default; empty items dropped (Kafka's `getParts`). */
const listItems = (value: string | null): string[] => (value === null ? [] : value.split(',').filter((item) => item !== ''));

function applyListOperation(items: string[], op: number, value: string): string {
  for (const item of splitLikeJava(value)) {
    const at = items.indexOf(item);
    if (op === OpType.APPEND && at < 0) items.push(item);
    if (op === OpType.SUBTRACT && at >= 0) items.splice(at, 1);
  }
  return items.join(',');
}

/** The topic's overrides after the operations (ConfigurationControlManager), or the error that stops them. */
function applyToTopic(current: ReadonlyMap<string, string>, operations: readonly Operation[]): Map<string, string> | ResourceError {
  const overrides = new Map(current);
  for (const op of operations) {
    if (op.configOperation === OpType.SET) overrides.set(op.name, op.value!);
    else if (op.configOperation === OpType.DELETE) overrides.delete(op.name);
    else {
      if (TOPIC_CONFIG_BY_NAME.get(op.name)?.type !== 'list') {
        return resourceError(ErrorCode.INVALID_CONFIG, `Can't ${OP_NAMES[op.configOperation]} to key ${op.name} because its type is not LIST.`);
      }
      const items = listItems(overrides.get(op.name) ?? TOPIC_CONFIG_BY_NAME.get(op.name)!.defaultValue);
      overrides.set(op.name, applyListOperation(items, op.configOperation, op.value!));
    }
  }
  return overrides;
}

/** The broker's dynamic configs after the operations (`ConfigAdminManager.prepareIncrementalConfigs`), starting from none. */
function applyToBroker(operations: readonly Operation[]): Map<string, string> | ResourceError {
  const dynamic = new Map<string, string>();
  for (const op of operations) {
    if (op.configOperation === OpType.SET) dynamic.set(op.name, op.value!);
    else if (op.configOperation === OpType.DELETE) dynamic.delete(op.name);
    else {
      const definition = BROKER_CONFIG_BY_NAME.get(op.name);
      if (definition === undefined) return resourceError(ErrorCode.INVALID_CONFIG, `Unknown config name: ${op.name}`);
      if (definition.type !== 'list') {
        const verb = op.configOperation === OpType.APPEND ? 'append' : 'subtract';
        return resourceError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${op.name}`);
      }
      const items = listItems(dynamic.get(op.name) ?? definition.defaultValue);
      dynamic.set(op.name, applyListOperation(items, op.configOperation, op.value!));
    }
  }
  return dynamic;
}

function alterResource(broker: Broker, resourceType: number, resourceName: string, operations: readonly Operation[], validateOnly: boolean): ResourceError {
  if (hasDuplicateNames(operations.map((op) => op.name))) return resourceError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
  const nullNames = operations.filter((op) => op.configOperation !== OpType.DELETE && op.value === null).map((op) => op.name);
  if (nullNames.length > 0) return resourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nullNames.join(', ')}`);
  const unknownOperation = operations.find((op) => OP_NAMES[op.configOperation] === undefined);
  switch (resourceType) {
    case ConfigResourceType.BROKER: {
      const nameProblem = brokerResourceProblem(broker, resourceName);
      if (nameProblem !== null) return nameProblem;
      if (unknownOperation !== undefined) return resourceError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${unknownOperation.configOperation}`);
      const dynamic = applyToBroker(operations);
      if (!(dynamic instanceof Map)) return dynamic;
      return brokerConfigChangeProblem([...dynamic.keys()]) ?? ACCEPTED;
    }
    case ConfigResourceType.TOPIC: {
      if (unknownOperation !== undefined) return resourceError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${unknownOperation.configOperation}`);
      const current = broker.controller.current.topics.get(resourceName)?.configs ?? new Map<string, string>();
      const overrides = applyToTopic(current, operations);
      if (!(overrides instanceof Map)) return overrides;
      const problem = topicConfigsProblem(broker, resourceName, overrides);
      if (problem !== null) return problem;
      if (!validateOnly) broker.controller.alterTopicConfigs(resourceName, overrides);
      return ACCEPTED;
    }
    default:
      return resourceError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resourceType}`);
  }
}

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  handle: ({ broker }, request) => {
    const duplicates = duplicateResourcePositions(request.resources);
    const responses = request.resources.map((resource, position) => ({
      ...(duplicates.has(position)
        ? resourceError(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.')
        : alterResource(broker, resource.resourceType, resource.resourceName, resource.configs, request.validateOnly)),
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
    }));
    broker.adoptForwardedChange();
    return { throttleTimeMs: 0, responses };
  },
});
