/**
 * Metadata (key 3), v0-12, answered from this broker's own metadata image (which can lag the controller's,
 * as in Kafka). Topics: null means all (v1+), an empty list means none.
 *
 * Auto topic creation as Kafka does it: when the broker has `auto.create.topics.enable` (default true) and
 * the request allows it (`allowAutoTopicCreation`, v4+; always for v0-3), a missing topic with a valid name
 * is created with `num.partitions` and `default.replication.factor`, and this answer reports it as
 * UNKNOWN_TOPIC_OR_PARTITION (a KRaft broker's answer while the controller creates it) so the client retries;
 * an invalid name gets INVALID_TOPIC_EXCEPTION.
 * Leaves out: authorized operations (reported as the "not requested" sentinel).
 */
import { ApiKey, ErrorCode, ZERO_UUID, type MetadataResponseInput, type MetadataResponseTopicInput } from '../../protocol/index.ts';
import { invalidTopicNameReason, NO_LEADER, topicById, type MetadataImage, type TopicRegistration } from '../metadata.ts';
import type { Broker } from '../broker.ts';
import { defineHandler } from './handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function describeTopic(image: MetadataImage, topic: TopicRegistration): MetadataResponseTopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.isInternal,
    partitions: topic.partitions.map((p) => ({
      errorCode: p.leader === NO_LEADER ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: p.replicas.filter((id) => image.brokers.get(id)?.fenced !== false),
    })),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

const errorTopic = (name: string | null, errorCode: number, topicId = ZERO_UUID): MetadataResponseTopicInput => ({
  errorCode,
  name,
  topicId,
  isInternal: false,
  partitions: [],
  topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
});

/** Creates a topic the way auto-creation does; returns the error code the Metadata answer should carry. */
export function autoCreateTopic(broker: Broker, name: string): number {
  if (invalidTopicNameReason(name) !== null) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  const live = [...broker.controller.current.brokers.values()].filter((b) => !b.fenced).length;
  const replicationFactor = broker.config.int('default.replication.factor');
  if (replicationFactor > live) return ErrorCode.INVALID_REPLICATION_FACTOR;
  if (!broker.controller.current.topics.has(name)) {
    broker.controller.createTopic({ name, numPartitions: broker.config.int('num.partitions'), replicationFactor });
  }
  // A KRaft broker forwards the creation to the controller and answers UNKNOWN_TOPIC_OR_PARTITION meanwhile
  // (AutoTopicCreationManager); LEADER_NOT_AVAILABLE was the ZooKeeper path's answer.
  return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

export const metadataHandler = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle: ({ broker, header }, request): MetadataResponseInput => {
    const image = broker.image;
    const allowAutoCreation = (header.apiVersion < 4 || request.allowAutoTopicCreation) && broker.config.bool('auto.create.topics.enable');
    let topics: MetadataResponseTopicInput[];
    if (request.topics === null || (header.apiVersion === 0 && request.topics.length === 0)) {
      topics = [...image.topics.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => describeTopic(image, t));
    } else {
      topics = request.topics.map((requested) => {
        const byId = requested.topicId !== ZERO_UUID ? topicById(image, requested.topicId) : undefined;
        const name = byId?.name ?? requested.name;
        // Topic names are nullable in answers only from v12; before that an unknown id is named ''.
        const unnamed = header.apiVersion >= 12 ? null : '';
        if (name === null) return errorTopic(unnamed, ErrorCode.UNKNOWN_TOPIC_ID, requested.topicId);
        const topic = image.topics.get(name);
        if (topic !== undefined) return describeTopic(image, topic);
        if (requested.topicId !== ZERO_UUID) return errorTopic(unnamed, ErrorCode.UNKNOWN_TOPIC_ID, requested.topicId);
        if (invalidTopicNameReason(name) !== null) return errorTopic(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
        if (!allowAutoCreation) return errorTopic(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        return errorTopic(name, autoCreateTopic(broker, name));
      });
    }
    const brokers = [...image.brokers.values()]
      .filter((b) => !b.fenced)
      .sort((a, b) => a.id - b.id)
      .map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }));
    return {
      throttleTimeMs: 0,
      brokers,
      clusterId: image.clusterId,
      // A KRaft broker cannot name the controller (clients never talk to it): it answers with a random live
      // broker (`getRandomAliveBrokerId`), which forwards controller requests. Stable per set of live brokers.
      controllerId: brokers.length === 0 ? -1 : brokers[broker.runtime.random.fork(`metadata-controller:${brokers.map((b) => b.nodeId).join(',')}`).int(brokers.length)].nodeId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
