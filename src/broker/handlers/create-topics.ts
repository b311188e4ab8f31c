/**
 * CreateTopics (key 19), v0-7, validated as Kafka's controller does (`ReplicationControlManager.createTopics`):
 * Kafka's name rules (INVALID_TOPIC_EXCEPTION, including '.'/'_' collisions), TOPIC_ALREADY_EXISTS,
 * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR (non-positive, or more than the registered brokers),
 * INVALID_CONFIG for unknown names and bad values, INVALID_REQUEST for assignments together with counts, and one
 * INVALID_REQUEST "Duplicate topic name." (after the other answers) for a name given twice. -1 partitions or replication factor take the broker defaults. `validateOnly` checks
 * everything and creates nothing. v5+ answers with the topic's partition count, replication factor and
 * effective configs.
 * Leaves out: create-topic policies.
 */
import { ApiKey, ErrorCode, type CreateTopicsResponseCreatableTopicResultInput } from '../../protocol/index.ts';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS, TopicConfig, validateConfigValue } from '../config.ts';
import { collisionKey, invalidTopicNameReason } from '../metadata.ts';
import type { Broker } from '../broker.ts';
import { defineHandler } from './handler.ts';

type TopicResult = CreateTopicsResponseCreatableTopicResultInput;

/**
 * KRaft refuses operations generating more than 10 000 metadata records (QuorumController's
 * MAX_RECORDS_PER_USER_OP); an in-memory model must refuse a hostile count before allocating for it.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

function describeConfigs(broker: Broker, overrides: Map<string, string>) {
  const config = new TopicConfig(broker.config, overrides);
  return TOPIC_CONFIGS.map((definition) => ({
    name: definition.name,
    value: config.get(definition.name),
    readOnly: false,
    configSource: config.source(definition.name),
    isSensitive: false,
  }));
}

export const createTopicsHandler = defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle: ({ broker, header }, request) => {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const registeredBrokers = broker.controller.current.brokers.size;

    const duplicated = [...counts].filter(([, count]) => count > 1).map(([name]) => name);
    const results = request.topics.filter((topic) => counts.get(topic.name) === 1).map((topic): TopicResult => {
      const failed = (errorCode: number, errorMessage: string): TopicResult => ({
        name: topic.name,
        errorCode,
        errorMessage,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      });
      const nameProblem = invalidTopicNameReason(topic.name);
      if (nameProblem !== null) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
      const image = broker.controller.current;
      if (image.topics.has(topic.name)) return failed(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
      const colliding = [...image.topics.keys()].find((name) => collisionKey(name) === collisionKey(topic.name));
      if (colliding !== undefined) {
        return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${topic.name}' collides with existing topic: ${colliding}`);
      }
      if (topic.assignments.length > 0 && (topic.numPartitions !== -1 || topic.replicationFactor !== -1)) {
        return failed(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }

      const overrides = new Map<string, string>();
      for (const config of topic.configs) {
        const definition = TOPIC_CONFIG_BY_NAME.get(config.name);
        if (definition === undefined) return failed(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${config.name}`);
        if (config.value === null) continue;
        const problem = validateConfigValue(definition, config.value);
        if (problem !== null) return failed(ErrorCode.INVALID_CONFIG, problem);
        overrides.set(config.name, config.value);
      }

      let assignments: number[][] | undefined;
      let numPartitions: number;
      let replicationFactor: number;
      if (topic.assignments.length > 0) {
        assignments = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => [...a.brokerIds]);
        numPartitions = assignments.length;
        replicationFactor = assignments[0].length;
        if (assignments.some((replicas, i) => replicas.length === 0 || topic.assignments[i] === undefined)) {
          return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Every partition must have at least one replica');
        }
        for (const replicas of assignments) {
          if (new Set(replicas).size !== replicas.length) return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate replica assignment found: ${replicas.join(', ')}`);
          const unknown = replicas.find((id) => !image.brokers.has(id));
          if (unknown !== undefined) return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment contains unknown broker ${unknown}`);
        }
      } else {
        numPartitions = topic.numPartitions === -1 ? broker.config.int('num.partitions') : topic.numPartitions;
        replicationFactor = topic.replicationFactor === -1 ? broker.config.int('default.replication.factor') : topic.replicationFactor;
        if (numPartitions <= 0) return failed(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
        if (numPartitions > MAX_PARTITIONS_PER_REQUEST) {
          return failed(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} is above kafkasim's limit of ${MAX_PARTITIONS_PER_REQUEST} per topic.`);
        }
        if (replicationFactor <= 0) {
          return failed(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
        }
        if (replicationFactor > registeredBrokers) {
          return failed(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${registeredBrokers} broker(s) are registered.`,
          );
        }
        const placed = broker.controller.placeReplicas(numPartitions, replicationFactor);
        if (placed === null) {
          return failed(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): not enough unfenced brokers.`);
        }
        assignments = placed;
      }

      let topicId = '';
      if (!request.validateOnly) {
        topicId = broker.controller.createTopic({ name: topic.name, numPartitions, replicationFactor, assignments, configs: overrides }).topicId;
      }
      return {
        name: topic.name,
        ...(topicId !== '' ? { topicId } : {}),
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions,
        replicationFactor,
        configs: header.apiVersion >= 5 ? describeConfigs(broker, overrides) : null,
      };
    });
    // ControllerApis.createTopics: a name given twice gets one answer, after the others, and is not created.
    for (const name of duplicated) {
      results.push({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.', numPartitions: -1, replicationFactor: -1, configs: null });
    }
    broker.adoptForwardedChange();
    return { throttleTimeMs: 0, topics: results };
  },
});
