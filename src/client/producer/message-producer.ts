/**
 * KafkaJS's `src/producer/messageProducer.js`: `send` and `sendBatch` with their validation, in KafkaJS's
 * order (topic, idempotent acks, messages array, message values, then connection status), and
 * `topicMessages` entries of the same topic merged before sending.
 */
import { KafkaJSError, KafkaJSNonRetriableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Cluster } from '../cluster.ts';
import type { Partitioner } from '../partitioners.ts';
import type { Retrier } from '../retry.ts';
import type { EosManager } from './eos-manager.ts';
import { createSendMessages } from './send-messages.ts';
import type { ProducerBatch, ProducerRecord, RecordMetadata, TopicMessages } from './types.ts';

export const ConnectionStatus = {
  CONNECTED: 'connected',
  DISCONNECTING: 'disconnecting',
  DISCONNECTED: 'disconnected',
} as const;
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];

export interface MessageProducerOptions {
  readonly logger: Logger;
  readonly cluster: Cluster;
  readonly partitioner: Partitioner;
  readonly eosManager: EosManager;
  readonly idempotent: boolean;
  readonly retrier: Retrier;
  readonly getConnectionStatus: () => ConnectionStatus;
  readonly now: () => number;
}

export interface MessageProducer {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

export function createMessageProducer(options: MessageProducerOptions): MessageProducer {
  const { logger, cluster, partitioner, eosManager, idempotent, retrier, getConnectionStatus, now } = options;
  const sendMessages = createSendMessages({ logger, cluster, retrier, partitioner, eosManager, now });

  const validateConnectionStatus = (): void => {
    switch (getConnectionStatus()) {
      case ConnectionStatus.DISCONNECTING:
        throw new KafkaJSNonRetriableError(`The producer is disconnecting; therefore, it can't safely accept messages anymore`);
      case ConnectionStatus.DISCONNECTED:
        throw new KafkaJSError('The producer is disconnected');
      default:
        break;
    }
  };

  const sendBatch = async ({ acks = -1, timeout, compression, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> => {
    if (topicMessages.some(({ topic }) => !topic)) {
      throw new KafkaJSNonRetriableError(`Invalid topic`);
    }

    if (idempotent && acks !== -1) {
      throw new KafkaJSNonRetriableError(`Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees`);
    }

    for (const { topic, messages } of topicMessages) {
      if (!messages) {
        throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      }
      const messageWithoutValue = messages.find((message) => message.value === undefined);
      if (messageWithoutValue) {
        throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(messageWithoutValue)}`);
      }
    }

    validateConnectionStatus();
    const mergedTopicMessages = topicMessages.reduce<TopicMessages[]>((merged, { topic, messages }) => {
      const index = merged.findIndex(({ topic: mergedTopic }) => topic === mergedTopic);
      if (index === -1) merged.push({ topic, messages });
      else merged[index].messages = [...merged[index].messages, ...messages];
      return merged;
    }, []);

    return await sendMessages({ acks, timeout, compression, topicMessages: mergedTopicMessages });
  };

  const send = async ({ acks, timeout, compression, topic, messages }: ProducerRecord): Promise<RecordMetadata[]> => {
    return sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] });
  };

  return { send, sendBatch };
}
