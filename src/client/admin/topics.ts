/**
 * The admin's topic methods (KafkaJS's `src/admin/index.js`: listTopics, createTopics, deleteTopics,
 * createPartitions, fetchTopicMetadata, describeCluster, fetchTopicOffsets, fetchTopicOffsetsByTimestamp,
 * deleteTopicRecords), with KafkaJS's validation messages, its retry decisions (retry NOT_CONTROLLER and the
 * like, `bail` with everything else) and the response checks of its request classes
 * (`src/protocol/requests/{createTopics,deleteTopics,createPartitions,deleteRecords}`): topic answers sorted
 * by name, the first error thrown, CreateTopics errors gathered into a KafkaJSAggregateError.
 */
import { ApiKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { BrokerMetadata } from '../cluster.ts';
import {
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSCreateTopicError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSNonRetriableError,
  createErrorFromCode,
  type KafkaJSDeleteTopicRecordsErrorPartition,
  type KafkaJSError,
} from '../errors.ts';
import type { AdminScope } from './scope.ts';
import { toLong, waitFor } from './scope.ts';
import type { ITopicConfig, ITopicMetadata, ITopicPartitionConfig, SeekEntry } from './types.ts';

const NO_CONTROLLER_ID = -1;

/** KafkaJS's `staleMetadata(e)`. */
const isStaleMetadata = (e: { type?: string } | undefined): boolean =>
  e?.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e?.type === 'LEADER_NOT_AVAILABLE' || e?.type === 'NOT_LEADER_FOR_PARTITION';

const byName = <T extends { name: string | null }>(a: T, b: T): number => (a.name ?? '').localeCompare(b.name ?? '');

/** CreateTopics as KafkaJS's `broker.createTopics` sends and checks it. */
async function requestCreateTopics(broker: Broker, topics: ITopicConfig[], validateOnly = false, timeout = 5000): Promise<void> {
  const { response } = await broker.request(ApiKey.CreateTopics, () => ({
    topics: topics.map(({ topic, numPartitions = -1, replicationFactor = -1, replicaAssignment = [], configEntries = [] }) => ({
      name: topic,
      numPartitions,
      replicationFactor,
      assignments: replicaAssignment.map(({ partition, replicas }) => ({ partitionIndex: partition, brokerIds: replicas })),
      configs: configEntries.map(({ name, value }) => ({ name, value })),
    })),
    timeoutMs: timeout,
    validateOnly,
  }));
  const failed = [...response.topics].sort(byName).filter((t) => t.errorCode !== 0);
  if (failed.length > 0) {
    throw new KafkaJSAggregateError(
      'Topic creation errors',
      failed.map((t) => new KafkaJSCreateTopicError(createErrorFromCode(t.errorCode), t.name)),
    );
  }
}

async function requestDeleteTopics(broker: Broker, topics: string[], timeout = 5000): Promise<void> {
  const { response } = await broker.request(ApiKey.DeleteTopics, (version) =>
    version >= 6 ? { topics: topics.map((name) => ({ name })), timeoutMs: timeout } : { topicNames: topics, timeoutMs: timeout },
  );
  const failed = [...response.responses].sort(byName).find((t) => t.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
}

async function requestCreatePartitions(broker: Broker, topicPartitions: ITopicPartitionConfig[], validateOnly = false, timeout = 5000): Promise<void> {
  const { response } = await broker.request(ApiKey.CreatePartitions, () => ({
    topics: topicPartitions.map(({ topic, count, assignments = [] }) => ({
      name: topic,
      count,
      // KafkaJS writes an empty assignment list as a null array.
      assignments: assignments.length === 0 ? null : assignments.map((brokerIds) => ({ brokerIds })),
    })),
    timeoutMs: timeout,
    validateOnly,
  }));
  const failed = [...response.results].sort(byName).find((t) => t.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
}

/** DeleteRecords for one topic; partition errors become a KafkaJSDeleteTopicRecordsError with the requested offsets. */
async function requestDeleteRecords(broker: Broker, topic: string, partitions: SeekEntry[], timeout = 5000): Promise<void> {
  const { response } = await broker.request(ApiKey.DeleteRecords, () => ({
    topics: [{ name: topic, partitions: partitions.map(({ partition, offset }) => ({ partitionIndex: partition, offset: toLong(offset) })) }],
    timeoutMs: timeout,
  }));
  const topics = [...response.topics].sort(byName);
  const withErrors = topics.map((t) => t.partitions.filter((p) => p.errorCode !== 0)).filter((list) => list.length > 0);
  if (withErrors.length > 0) {
    throw new KafkaJSDeleteTopicRecordsError({
      topic: topics[0].name,
      partitions: withErrors[0].map((p) => ({
        partition: p.partitionIndex,
        error: createErrorFromCode(p.errorCode),
        offset: partitions.find((requested) => requested.partition === p.partitionIndex)!.offset,
      })),
    });
  }
}

export function topicMethods(scope: AdminScope) {
  const { cluster, logger } = scope;

  const listTopics = async (): Promise<string[]> => {
    const { topicMetadata } = await cluster.fetchMetadata();
    return topicMetadata.map((t) => t.topic);
  };

  const createTopics = async ({
    topics,
    validateOnly,
    timeout,
    waitForLeaders = true,
  }: {
    topics: ITopicConfig[];
    validateOnly?: boolean;
    timeout?: number;
    waitForLeaders?: boolean;
  }): Promise<boolean> => {
    if (!topics || !Array.isArray(topics)) {
      throw new KafkaJSNonRetriableError(`Invalid topics array ${topics as unknown as string}`);
    }
    if (topics.filter(({ topic }) => typeof topic !== 'string').length > 0) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string');
    }
    const topicNames = new Set(topics.map(({ topic }) => topic));
    if (topicNames.size < topics.length) {
      throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
    }
    for (const { topic, configEntries } of topics) {
      if (configEntries == null) continue;
      if (!Array.isArray(configEntries)) {
        throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}", must be an array`);
      }
      configEntries.forEach((entry: unknown, index) => {
        if (typeof entry !== 'object' || entry == null) {
          throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}". Entry ${index} must be an object`);
        }
        for (const property of ['name', 'value']) {
          if (!Object.prototype.hasOwnProperty.call(entry, property) || typeof (entry as Record<string, unknown>)[property] !== 'string') {
            throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${property}" property`);
          }
        }
      });
    }

    return scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        await cluster.refreshMetadata();
        const broker = await cluster.findControllerBroker();
        await requestCreateTopics(broker, topics, validateOnly, timeout);
        if (waitForLeaders) {
          const names = [...topicNames];
          // Polls the controller until no partition of the new topics answers LEADER_NOT_AVAILABLE.
          await waitFor(
            scope.process,
            async () => {
              try {
                return await cluster.requestMetadata(broker, names);
              } catch (e) {
                if ((e as { type?: string }).type !== 'LEADER_NOT_AVAILABLE') throw e;
                return false;
              }
            },
            { delay: 100, maxWait: timeout, timeoutMessage: 'Timed out while waiting for topic leaders' },
          );
        }
        return true;
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.type === 'NOT_CONTROLLER') {
          logger.warn('Could not create topics', { error: error.message, retryCount, retryTime });
          throw e;
        }
        if (e instanceof KafkaJSAggregateError && e.errors.every((inner) => (inner as { type?: string }).type === 'TOPIC_ALREADY_EXISTS')) {
          return false;
        }
        bail(e);
        return false;
      }
    });
  };

  const createPartitions = async ({
    topicPartitions,
    validateOnly,
    timeout,
  }: {
    topicPartitions: ITopicPartitionConfig[];
    validateOnly?: boolean;
    timeout?: number;
  }): Promise<boolean> => {
    if (!topicPartitions || !Array.isArray(topicPartitions)) {
      throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${topicPartitions as unknown as string}`);
    }
    if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError('Empty topic partitions array');
    if (topicPartitions.filter(({ topic }) => typeof topic !== 'string').length > 0) {
      throw new KafkaJSNonRetriableError('Invalid topic partitions array, the topic names have to be a valid string');
    }
    const topicNames = new Set(topicPartitions.map(({ topic }) => topic));
    if (topicNames.size < topicPartitions.length) {
      throw new KafkaJSNonRetriableError('Invalid topic partitions array, it cannot have multiple entries for the same topic');
    }

    // KafkaJS resolves with undefined although its declarations say boolean.
    return scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        await cluster.refreshMetadata();
        const broker = await cluster.findControllerBroker();
        await requestCreatePartitions(broker, topicPartitions, validateOnly, timeout);
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.type === 'NOT_CONTROLLER') {
          logger.warn('Could not create topics', { error: error.message, retryCount, retryTime });
          throw e;
        }
        bail(e);
      }
      return undefined as unknown as boolean;
    });
  };

  const deleteTopics = async ({ topics, timeout }: { topics: string[]; timeout?: number }): Promise<void> => {
    if (!topics || !Array.isArray(topics)) {
      throw new KafkaJSNonRetriableError(`Invalid topics array ${topics as unknown as string}`);
    }
    if (topics.filter((topic) => typeof topic !== 'string').length > 0) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the names must be a valid string');
    }

    return scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        await cluster.refreshMetadata();
        const broker = await cluster.findControllerBroker();
        await requestDeleteTopics(broker, topics, timeout);
        for (const topic of topics) cluster.targetTopics.delete(topic);
        await cluster.refreshMetadata();
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.type === 'NOT_CONTROLLER' || error.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
          logger.warn('Could not delete topics', { error: error.message, retryCount, retryTime });
          throw e;
        }
        if (error.type === 'REQUEST_TIMED_OUT') {
          logger.error(
            'Could not delete topics, check if "delete.topic.enable" is set to "true" (the default value is "false") or increase the timeout',
            { error: error.message, retryCount, retryTime },
          );
        }
        bail(e);
      }
    });
  };

  const fetchTopicMetadata = async ({ topics = [] }: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> => {
    if (topics) {
      topics.forEach((topic) => {
        if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic as unknown as string}`);
      });
    }
    const metadata = await cluster.fetchMetadata(topics ?? []);
    return { topics: metadata.topicMetadata.map((t) => ({ name: t.topic, partitions: t.partitionMetadata })) };
  };

  const describeCluster = async (): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string }> => {
    const { brokers, clusterId, controllerId }: BrokerMetadata = await cluster.fetchMetadata([]);
    return {
      brokers: brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
      controller: controllerId == null || controllerId === NO_CONTROLLER_ID ? null : controllerId,
      clusterId: clusterId as string,
    };
  };

  /** The partitions' high (latest) and low (earliest) offsets; `offset` is the high one. */
  const fetchTopicOffsets = async (topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> => {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic as unknown as string}`);

    return scope.retrier()(async (bail) => {
      try {
        await cluster.addTargetTopic(topic);
        await cluster.refreshMetadataIfNecessary();
        const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
        const high = await cluster.fetchTopicsOffset([{ topic, fromBeginning: false, partitions }]);
        const low = await cluster.fetchTopicsOffset([{ topic, fromBeginning: true, partitions }]);
        const highPartitions = high.pop()!.partitions;
        const lowPartitions = low.pop()!.partitions;
        return highPartitions.map(({ partition, offset }) => ({
          partition,
          offset,
          high: offset,
          low: lowPartitions.find((p) => p.partition === partition)!.offset,
        }));
      } catch (e) {
        if ((e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') {
          await cluster.refreshMetadata();
          throw e;
        }
        bail(e);
        return [];
      }
    });
  };

  /** The first offset at or after `timestamp` per partition, or the high watermark where there is none. */
  const fetchTopicOffsetsByTimestamp = async (topic: string, timestamp?: number): Promise<SeekEntry[]> => {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic as unknown as string}`);

    return scope.retrier()(async (bail) => {
      try {
        await cluster.addTargetTopic(topic);
        await cluster.refreshMetadataIfNecessary();
        const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
        const high = await cluster.fetchTopicsOffset([{ topic, fromBeginning: false, partitions }]);
        const highPartitions = high.pop()!.partitions;
        const offsets = await cluster.fetchTopicsOffset([{ topic, fromTimestamp: timestamp, partitions }]);
        const found = offsets.pop()!.partitions;
        return found.map(({ partition, offset }) => ({
          partition,
          offset: parseInt(offset, 10) >= 0 ? offset : highPartitions.find((p) => p.partition === partition)!.offset,
        }));
      } catch (e) {
        if ((e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') {
          await cluster.refreshMetadata();
          throw e;
        }
        bail(e);
        return [];
      }
    });
  };

  const deleteTopicRecords = async ({ topic, partitions }: { topic: string; partitions: SeekEntry[] }): Promise<void> => {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic "${topic as unknown as string}"`);
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');

    // Leaders come from the metadata already cached, before fetchTopicOffsets refreshes it (as in KafkaJS).
    const partitionsByBroker = cluster.findLeaderForPartitions(
      topic,
      partitions.map((p) => p.partition),
    );
    const partitionsFound = Object.values(partitionsByBroker).flat();
    const topicOffsets = await fetchTopicOffsets(topic);

    const leaderNotFoundErrors: KafkaJSDeleteTopicRecordsErrorPartition[] = [];
    partitions.forEach(({ partition, offset }) => {
      if (!partitionsFound.includes(partition)) {
        leaderNotFoundErrors.push({
          partition,
          offset,
          error: new KafkaJSBrokerNotFound('Could not find the leader for the partition', { retriable: false }),
        });
        return;
      }
      const { low } = topicOffsets.find((p) => p.partition === partition) ?? { low: undefined };
      if (parseInt(offset) < parseInt(low as string) && parseInt(offset) !== -1) {
        logger.warn('The requested offset is before the earliest offset maintained on the partition - no records will be deleted from this partition', {
          topic,
          partition,
          offset,
        });
      }
    });
    if (leaderNotFoundErrors.length > 0) {
      throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: leaderNotFoundErrors });
    }

    const pendingByBroker = new Map<string, SeekEntry[]>(
      Object.entries(partitionsByBroker).map(([nodeId, ids]) => [nodeId, partitions.filter((p) => ids.includes(p.partition))]),
    );

    return scope.retrier()(async () => {
      try {
        const partitionErrors: KafkaJSDeleteTopicRecordsErrorPartition[] = [];
        await Promise.all(
          [...pendingByBroker].map(async ([nodeId, entries]) => {
            try {
              const broker = await cluster.findBroker({ nodeId: Number(nodeId) });
              await requestDeleteRecords(broker, topic, entries);
              // A broker that succeeded is not asked again on retry.
              pendingByBroker.delete(nodeId);
            } catch (e) {
              if (!(e instanceof KafkaJSDeleteTopicRecordsError)) throw e;
              for (const { partition, offset, error } of e.partitions) partitionErrors.push({ partition, offset, error });
            }
          }),
        );
        if (partitionErrors.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: partitionErrors });
      } catch (e) {
        const error = e as KafkaJSError & { partitions?: KafkaJSDeleteTopicRecordsErrorPartition[] };
        if (error.retriable) {
          // KafkaJS reads `partitions` off any retriable error here; a network error has none, and the
          // TypeError it then throws ends the retries (wrapped as non-retriable). Kept for parity.
          if (error.partitions === undefined) throw new TypeError("Cannot read properties of undefined (reading 'some')");
          if (error.partitions.some(({ error: inner }) => isStaleMetadata(inner as { type?: string }) || inner.name === 'KafkaJSMetadataNotLoaded')) {
            await cluster.refreshMetadata();
          }
        }
        throw e;
      }
    });
  };

  return {
    listTopics,
    createTopics,
    createPartitions,
    deleteTopics,
    fetchTopicMetadata,
    describeCluster,
    fetchTopicOffsets,
    fetchTopicOffsetsByTimestamp,
    deleteTopicRecords,
  };
}
