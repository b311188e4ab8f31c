/**
 * The producer, KafkaJS 2.2.4's `src/producer/index.js`: connect/disconnect with the connection status that
 * `send` checks, `on` for the producer's instrumentation events, `send`/`sendBatch`, the idempotent producer
 * (InitProducerId at connect) and `transaction()`. Every request goes to the brokers as a real protocol
 * message through the client core (cluster view, broker connections, retrier).
 *
 * Kept from KafkaJS on purpose:
 * - `Kafka.producer()` always passes a retry object, so the `MAX_SAFE_INTEGER` retries KafkaJS means for
 *   idempotent producers never apply: they get the retry defaults (5, or 15 under NODE_ENV=test). The
 *   'Limiting retries...' warning is logged only when a `retries` value was configured.
 * - `disconnect()` does not wait for sends that have not reached a connection yet: their retry loop finds
 *   the cluster disconnected, reconnects it and sends anyway (the producer's status stays 'disconnected').
 *   KafkaJS does wait for requests already queued on a connection; that part is the broker connection's
 *   job (src/client/broker.ts), see test/client/producer/lifecycle.test.ts.
 * - Produce's `timeout` goes into the request only; KafkaJS does not add it to the client's request
 *   timeout (only Fetch and JoinGroup raise theirs), so a Produce waiting longer than `requestTimeout`
 *   for acks=-1 times out on the client.
 * - A listener that throws synchronously makes the emitting call throw (KafkaJS only catches rejections).
 * - A producer with a `transactionalId` may still `send` outside a transaction (non-transactional, and
 *   idempotent only when `idempotent: true`).
 * - Transactions: one at a time per producer; InitProducerId happens at the first `transaction()`; the
 *   transaction object refuses every call once it has ended.
 */
import type { ProducerConfig } from '../config.ts';
import { CLIENT_PROCESS, type ClientContext } from '../context.ts';
import { KafkaJSNonRetriableError } from '../errors.ts';
import type { InstrumentationEvent } from '../instrumentation.ts';
import { instantiatePartitioner } from '../partitioners.ts';
import { createRetry } from '../retry.ts';
import { EosManager, type SendOffsetsTopic } from './eos-manager.ts';
import { ConnectionStatus, createMessageProducer } from './message-producer.ts';
import type { Offsets, Producer, ProducerBatch, ProducerEvents, ProducerRecord, Transaction } from './types.ts';

export type {
  ConnectEvent,
  DisconnectEvent,
  Offsets,
  PartitionOffset,
  Producer,
  ProducerBatch,
  ProducerEvents,
  ProducerRecord,
  RecordMetadata,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  Sender,
  TopicMessages,
  TopicOffsets,
  Transaction,
} from './types.ts';

const events: ProducerEvents = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
};

const eventNames: string[] = Object.values(events);
const eventKeys = Object.keys(events)
  .map((key) => `producer.events.${key}`)
  .join(', ');

export function createProducer(context: ClientContext, config: ProducerConfig): Producer {
  const { cluster, process, instrumentation } = context;
  const { createPartitioner, idempotent = false, transactionalId, transactionTimeout } = config;
  let connectionStatus: ConnectionStatus = ConnectionStatus.DISCONNECTED;
  const retry = context.retry ?? { retries: idempotent ? Number.MAX_SAFE_INTEGER : 5 };

  if (idempotent && (retry.retries as number) < 1) {
    throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors');
  }

  const logger = context.logger.namespace('Producer');

  if (idempotent && (retry.retries as number) < Number.MAX_SAFE_INTEGER) {
    logger.warn('Limiting retries for the idempotent producer may invalidate EoS guarantees');
  }

  const partitioner = instantiatePartitioner(createPartitioner, process.random);
  const retrier = createRetry(process, { ...retry });
  const now = (): number => process.now();
  const idempotentEosManager = new EosManager({ logger, cluster, runtime: process, transactionTimeout, transactional: false, transactionalId });

  const { send, sendBatch } = createMessageProducer({
    logger,
    cluster,
    partitioner,
    eosManager: idempotentEosManager,
    idempotent,
    retrier,
    getConnectionStatus: () => connectionStatus,
    now,
  });

  let transactionalEosManager: EosManager | undefined;

  const on = (eventName: string, listener: (event: InstrumentationEvent<unknown>) => unknown): (() => void) => {
    if (!eventNames.includes(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${eventKeys}`);
    }
    return instrumentation.addListener(eventName, (event) => {
      Promise.resolve(listener(event)).catch((e: { message?: string; stack?: string }) => {
        logger.error(`Failed to execute listener: ${e.message}`, { eventName, stack: e.stack });
      });
    });
  };

  const transaction = async (): Promise<Transaction> => {
    if (!transactionalId) {
      throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
    }

    let transactionDidEnd = false;
    const eosManager = (transactionalEosManager ??= new EosManager({
      logger,
      cluster,
      runtime: process,
      transactionTimeout,
      transactional: true,
      transactionalId,
    }));

    if (eosManager.isInTransaction()) {
      throw new KafkaJSNonRetriableError(
        'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
      );
    }

    // The producer id is initialized once per producer, at its first transaction.
    if (!eosManager.isInitialized()) await eosManager.initProducerId();
    eosManager.beginTransaction();

    const { send: sendTxn, sendBatch: sendBatchTxn } = createMessageProducer({
      logger,
      cluster,
      partitioner,
      retrier,
      eosManager,
      idempotent: true,
      getConnectionStatus: () => connectionStatus,
      now,
    });

    const isActive = (): boolean => eosManager.isInTransaction() && !transactionDidEnd;

    const transactionGuard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        if (!isActive()) return process.track(Promise.reject(new KafkaJSNonRetriableError('Cannot continue to use transaction once ended')));
        return process.track(fn(...args));
      };

    return {
      sendBatch: transactionGuard((batch: ProducerBatch) => sendBatchTxn(batch)),
      send: transactionGuard((record: ProducerRecord) => sendTxn(record)),
      abort: transactionGuard(async () => {
        await eosManager.abort();
        transactionDidEnd = true;
      }),
      commit: transactionGuard(async () => {
        await eosManager.commit();
        transactionDidEnd = true;
      }),
      sendOffsets: transactionGuard(async ({ consumerGroupId, topics }: Offsets & { consumerGroupId: string }) => {
        await eosManager.sendOffsets({ consumerGroupId, topics: topics as unknown as SendOffsetsTopic[] });
        for (const { topic, partitions } of topics) {
          for (const { partition, offset } of partitions) {
            cluster.markOffsetAsCommitted({ groupId: consumerGroupId, topic, partition, offset });
          }
        }
      }),
      isActive,
    };
  };

  const producer = {
    connect: (): Promise<void> =>
      process.track(
        (async () => {
          await cluster.connect();
          connectionStatus = ConnectionStatus.CONNECTED;
          instrumentation.emit(events.CONNECT);
          if (idempotent && !idempotentEosManager.isInitialized()) await idempotentEosManager.initProducerId();
        })(),
      ),
    disconnect: (): Promise<void> =>
      process.track(
        (async () => {
          connectionStatus = ConnectionStatus.DISCONNECTING;
          await cluster.disconnect();
          connectionStatus = ConnectionStatus.DISCONNECTED;
          instrumentation.emit(events.DISCONNECT);
        })(),
      ),
    isIdempotent: (): boolean => idempotent,
    events,
    on,
    send: (record: ProducerRecord) => process.track(send(record)),
    sendBatch: (batch: ProducerBatch) => process.track(sendBatch(batch)),
    transaction: () => process.track(transaction()),
    logger: () => logger,
  } as Producer;
  Object.defineProperty(producer, CLIENT_PROCESS, { value: process, enumerable: false });
  return producer;
}
