/**
 * KafkaJS's send loop (`src/producer/sendMessages.js` with `groupMessagesPerPartition.js` and
 * `createTopicData.js`): per attempt, make the topics targets of the metadata (auto-creating them when the
 * producer allows), partition the messages, group partitions by leader, and send one Produce per leader in
 * parallel. Brokers that answered keep their answer across attempts; a retry only resends to the others.
 *
 * What a failure does, as in KafkaJS:
 * - KafkaJSConnectionClosedError removes the broker from the cluster view;
 * - a cluster with no connection left reconnects, refreshes metadata and retries;
 * - stale metadata (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_FOR_PARTITION), metadata
 *   not loaded, connection errors and retriable protocol errors refresh metadata and retry;
 * - other retriable errors retry; non-retriable ones reject unwrapped (`bail`);
 * - retries exhausted: KafkaJSNumberOfRetriesExceeded from the retrier.
 * An idempotent batch takes its partition's sequence before the request and gives it back if the request
 * fails, under the per-broker lock so that sequences reach each broker in order.
 *
 * Kept from KafkaJS:
 * - messages are partitioned again on every attempt (a null key may move);
 * - a broker that already answered is not sent partitions that moved to it meanwhile (they are dropped);
 * - the sequence is given back on any failure, also when the broker did write the batch and only the answer
 *   was lost: a send queued behind it then reuses the sequence, the broker acknowledges it as a duplicate
 *   without writing it, and the retry writes the first batch again (a silent loss; see the idempotent tests).
 */
import { ApiKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { Cluster } from '../cluster.ts';
import { KafkaJSMetadataNotLoaded } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Message, Partitioner } from '../partitioners.ts';
import type { Retrier } from '../retry.ts';
import type { PartitionMetadata } from '../types.ts';
import type { EosManager } from './eos-manager.ts';
import { buildProduceRequest, parseProduceResponse, type ProduceTopicData } from './produce-request.ts';
import type { RecordMetadata, TopicMessages } from './types.ts';

const STALE_METADATA_ERRORS = ['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION'];

export interface SendMessagesOptions {
  readonly logger: Logger;
  readonly cluster: Cluster;
  readonly partitioner: Partitioner;
  readonly eosManager: EosManager;
  readonly retrier: Retrier;
  readonly now: () => number;
}

export interface SendMessagesRequest {
  acks: number;
  timeout: number | undefined;
  compression: number | undefined;
  topicMessages: TopicMessages[];
}

type MessagesPerPartition = Record<string, Message[]>;

/** `groupMessagesPerPartition.js`: messages in call order per partition the partitioner picks. */
export function groupMessagesPerPartition(args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  messages: Message[];
  partitioner: Partitioner;
}): MessagesPerPartition {
  const { topic, partitionMetadata, messages, partitioner } = args;
  if (partitionMetadata.length === 0) return {};
  const result: MessagesPerPartition = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    // KafkaJS copies the partition's array for every message (quadratic in a large send); same result.
    (result[partition] ??= []).push(message);
  }
  return result;
}

type ErrorFields = { name?: string; type?: string; message?: string; retriable?: boolean; host?: string; port?: number };

export function createSendMessages({ logger, cluster, partitioner, eosManager, retrier, now }: SendMessagesOptions) {
  return async ({ acks, timeout, compression, topicMessages }: SendMessagesRequest): Promise<RecordMetadata[]> => {
    const responsePerBroker = new Map<Broker, RecordMetadata[] | null>();

    const createProducerRequests = async (): Promise<Array<Promise<void>>> => {
      const topicMetadata = new Map<string, { partitionsPerLeader: Record<number, number[]>; messagesPerPartition: MessagesPerPartition }>();
      await cluster.refreshMetadataIfNecessary();

      for (const { topic, messages } of topicMessages) {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) {
          logger.debug('Producing to topic without metadata', { topic, targetTopics: Array.from(cluster.targetTopics) });
          throw new KafkaJSMetadataNotLoaded('Producing to topic without metadata');
        }
        const messagesPerPartition = groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner });
        const partitions = Object.keys(messagesPerPartition) as unknown as number[];
        const partitionsPerLeader = cluster.findLeaderForPartitions(topic, partitions);
        topicMetadata.set(topic, { partitionsPerLeader, messagesPerPartition });
        for (const nodeId of Object.keys(partitionsPerLeader)) {
          const broker = await cluster.findBroker({ nodeId: nodeId as unknown as number });
          if (!responsePerBroker.has(broker)) responsePerBroker.set(broker, null);
        }
      }

      const brokersWithoutResponse = Array.from(responsePerBroker.keys()).filter((broker) => !responsePerBroker.get(broker));
      return brokersWithoutResponse.map(async (broker) => {
        const nodeId = broker.nodeId as number;
        const topicData: ProduceTopicData[] = Array.from(topicMetadata.entries())
          .filter(([, { partitionsPerLeader }]) => !!partitionsPerLeader[nodeId])
          .map(([topic, { partitionsPerLeader, messagesPerPartition }]) => ({
            topic,
            partitions: partitionsPerLeader[nodeId].map((partition) => ({ partition, messages: messagesPerPartition[partition] })),
          }));

        await eosManager.acquireBrokerLock(broker);
        try {
          if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);

          for (const { topic, partitions } of topicData) {
            for (const entry of partitions) {
              entry.firstSequence = eosManager.getSequence(topic, entry.partition);
              eosManager.updateSequence(topic, entry.partition, entry.messages.length);
            }
          }

          let formattedResponse: RecordMetadata[];
          try {
            const expectResponse = acks !== 0;
            const { version, response } = await broker.request(
              ApiKey.Produce,
              () =>
                buildProduceRequest({
                  transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
                  producerId: eosManager.getProducerId(),
                  producerEpoch: eosManager.getProducerEpoch(),
                  acks,
                  timeout,
                  compression,
                  topicData,
                  now,
                }),
              { expectResponse },
            );
            formattedResponse = expectResponse ? parseProduceResponse(version, response) : [];
          } catch (e) {
            for (const { topic, partitions } of topicData) {
              for (const entry of partitions) eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
            }
            throw e;
          }
          responsePerBroker.set(broker, formattedResponse);
        } catch (e) {
          responsePerBroker.delete(broker);
          throw e;
        } finally {
          eosManager.releaseBrokerLock(broker);
        }
      });
    };

    return retrier(async (bail, retryCount, retryTime) => {
      const topics = topicMessages.map(({ topic }) => topic);
      await cluster.addMultipleTargetTopics(topics);

      try {
        const requests = await createProducerRequests();
        await Promise.all(requests);
        return Array.from(responsePerBroker.values()).flat() as RecordMetadata[];
      } catch (e) {
        const error = (e ?? {}) as ErrorFields;
        if (error.name === 'KafkaJSConnectionClosedError') {
          cluster.removeBroker({ host: error.host as string, port: error.port as number });
        }

        if (!cluster.isConnected()) {
          logger.debug(`Cluster has disconnected, reconnecting: ${error.message}`, { retryCount, retryTime });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw e;
        }

        // The topic may have gained partitions or moved leaders since the metadata was fetched.
        if (
          (error.type !== undefined && STALE_METADATA_ERRORS.includes(error.type)) ||
          error.name === 'KafkaJSMetadataNotLoaded' ||
          error.name === 'KafkaJSConnectionError' ||
          error.name === 'KafkaJSConnectionClosedError' ||
          (error.name === 'KafkaJSProtocolError' && error.retriable)
        ) {
          logger.error(`Failed to send messages: ${error.message}`, { retryCount, retryTime });
          await cluster.refreshMetadata();
          throw e;
        }

        logger.error(`${error.message}`, { retryCount, retryTime });
        if (error.retriable) throw e;
        bail(e);
        return [];
      }
    });
  };
}
