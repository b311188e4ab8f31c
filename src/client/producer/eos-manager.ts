/**
 * KafkaJS's EOS manager (`src/producer/eosManager/index.js`): the producer id and epoch (InitProducerId),
 * per-partition sequence numbers for idempotent produce (KIP-98), a lock per broker that serializes produce
 * requests once a producer id exists, and for transactional producers the transaction itself:
 * AddPartitionsToTxn for partitions new to the transaction, AddOffsetsToTxn + TxnOffsetCommit for
 * `sendOffsets`, and EndTxn to commit or abort (none when nothing was added, KafkaJS 2.1 #1388).
 *
 * Kept from KafkaJS on purpose:
 * - Its retrier is built from `cluster.retry`, which KafkaJS's Cluster does not have: InitProducerId and
 *   TxnOffsetCommit therefore retry with the retry defaults whatever the client configured.
 * - InitProducerId retries on NOT_COORDINATOR_FOR_GROUP, GROUP_COORDINATOR_NOT_AVAILABLE,
 *   GROUP_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS only; anything else is bailed unwrapped.
 * - TxnOffsetCommit's retry lists are spelled with Kafka's names (COORDINATOR_LOAD_IN_PROGRESS,
 *   COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR) where KafkaJS's own error types use the old ones, so only
 *   UNKNOWN_TOPIC_OR_PARTITION and ECONNREFUSED ever match; other errors bail.
 * - AddPartitionsToTxn, AddOffsetsToTxn and EndTxn are sent once; a failed EndTxn leaves the state machine
 *   in COMMITTING/ABORTING, so the producer cannot begin another transaction.
 * - A non-idempotent producer sends producerId -1, epoch 0 and sequence 0.
 */
import assert from 'node:assert';
import { ApiKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { Cluster } from '../cluster.ts';
import { createErrorFromCode, KafkaJSNonRetriableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ClientRuntime } from '../process.ts';
import { createRetry, type Retrier } from '../retry.ts';
import { Lock } from './lock.ts';
import { TransactionState, TransactionStateMachine } from './transaction-state-machine.ts';
import type { TopicOffsets } from './types.ts';

const NO_PRODUCER_ID = -1n;
const SEQUENCE_START = 0;
const INT_32_MAX_VALUE = 2 ** 31 - 1;
const COORDINATOR_TYPE_GROUP = 0;
const COORDINATOR_TYPE_TRANSACTION = 1;
const BROKER_LOCK_TIMEOUT_MS = 0xffff;

const INIT_PRODUCER_RETRIABLE_PROTOCOL_ERRORS = [
  'NOT_COORDINATOR_FOR_GROUP',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  // A crashed producer may have left a transaction open; retrying lets the coordinator abort it first.
  'CONCURRENT_TRANSACTIONS',
];
const COMMIT_RETRIABLE_PROTOCOL_ERRORS = ['UNKNOWN_TOPIC_OR_PARTITION', 'COORDINATOR_LOAD_IN_PROGRESS'];
const COMMIT_STALE_COORDINATOR_PROTOCOL_ERRORS = ['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR'];

/** Partitions of one topic in a produce request, as `sendMessages` builds them. */
export interface TopicData {
  topic: string;
  partitions: Array<{ partition: number }>;
}

export interface SendOffsetsTopic {
  topic: string;
  partitions: Array<{ partition: number; offset: string | number; metadata?: string | null }>;
}

export interface EosManagerOptions {
  readonly logger: Logger;
  readonly cluster: Cluster;
  readonly runtime: ClientRuntime;
  readonly transactionTimeout?: number;
  readonly transactional: boolean;
  readonly transactionalId?: string;
}

type ErrorFields = { type?: string; code?: string; message?: string; stack?: string };

export class EosManager {
  private producerId = NO_PRODUCER_ID;
  private producerEpoch = 0;
  private producerSequence: Record<string, Record<number, number>> = {};
  private brokerMutexLocks: Record<number, Lock> = {};
  private transactionTopicPartitions: Record<string, Record<number, boolean>> = {};
  private hasOffsetsAddedToTransaction = false;
  private readonly stateMachine: TransactionStateMachine;
  private readonly retrier: Retrier;
  private readonly logger: Logger;
  private readonly cluster: Cluster;
  private readonly runtime: ClientRuntime;
  private readonly transactionTimeout: number;
  private readonly transactional: boolean;
  private readonly transactionalId: string | undefined;

  readonly initProducerId: () => Promise<void>;
  readonly beginTransaction: () => void;
  readonly addPartitionsToTransaction: (topicData: TopicData[]) => Promise<void>;
  readonly sendOffsets: (offsets: { consumerGroupId: string; topics: SendOffsetsTopic[] | TopicOffsets[] }) => Promise<void>;
  readonly commit: () => Promise<void>;
  readonly abort: () => Promise<void>;

  constructor(options: EosManagerOptions) {
    if (options.transactional && !options.transactionalId) {
      throw new KafkaJSNonRetriableError('Cannot manage transactions without a transactionalId');
    }
    this.logger = options.logger;
    this.cluster = options.cluster;
    this.runtime = options.runtime;
    this.transactionTimeout = options.transactionTimeout ?? 60000;
    this.transactional = options.transactional;
    this.transactionalId = options.transactionalId;
    this.retrier = createRetry(options.runtime, undefined);
    this.stateMachine = new TransactionStateMachine(options.logger);
    this.stateMachine.onTransition(({ to }) => {
      if (to === TransactionState.READY) {
        this.transactionTopicPartitions = {};
        this.hasOffsetsAddedToTransaction = false;
      }
    });

    const { UNINITIALIZED, READY, TRANSACTING } = TransactionState;
    const sm = this.stateMachine;
    this.initProducerId = sm.guard('initProducerId', { legalStates: [UNINITIALIZED, READY] }, () => this.doInitProducerId());
    this.beginTransaction = sm.guard('beginTransaction', { legalStates: [READY], async: false }, () => this.doBeginTransaction());
    this.addPartitionsToTransaction = sm.guard('addPartitionsToTransaction', { legalStates: [TRANSACTING] }, (topicData: TopicData[]) =>
      this.doAddPartitionsToTransaction(topicData),
    );
    this.sendOffsets = sm.guard('sendOffsets', { legalStates: [TRANSACTING] }, (offsets: { consumerGroupId: string; topics: SendOffsetsTopic[] | TopicOffsets[] }) =>
      this.doSendOffsets(offsets),
    );
    this.commit = sm.guard('commit', { legalStates: [TRANSACTING] }, () => this.endTransaction(true));
    this.abort = sm.guard('abort', { legalStates: [TRANSACTING] }, () => this.endTransaction(false));
  }

  getProducerId(): bigint {
    return this.producerId;
  }

  getProducerEpoch(): number {
    return this.producerEpoch;
  }

  getTransactionalId(): string | undefined {
    return this.transactionalId;
  }

  isInitialized(): boolean {
    return this.producerId !== NO_PRODUCER_ID;
  }

  isTransactional(): boolean {
    return this.transactional;
  }

  isInTransaction(): boolean {
    return this.stateMachine.state() === TransactionState.TRANSACTING;
  }

  /** The next sequence of a partition; 0 until the producer id exists. */
  getSequence(topic: string, partition: number): number {
    if (!this.isInitialized()) return SEQUENCE_START;
    this.producerSequence[topic] = this.producerSequence[topic] || {};
    this.producerSequence[topic][partition] = this.producerSequence[topic][partition] || SEQUENCE_START;
    return this.producerSequence[topic][partition];
  }

  /** Moves a partition's sequence by `increment` (negative to roll back); wraps to 0 at int32 max. */
  updateSequence(topic: string, partition: number, increment: number): void {
    if (!this.isInitialized()) return;
    let sequence = this.getSequence(topic, partition) + increment;
    // The batch's baseSequence is an int32; Kafka's client wraps the same way.
    if (sequence >= INT_32_MAX_VALUE) {
      this.logger.debug(`Sequence for ${topic} ${partition} exceeds max value (${sequence}). Rotating to 0.`);
      sequence = 0;
    }
    this.producerSequence[topic][partition] = sequence;
  }

  async acquireBrokerLock(broker: Broker): Promise<void> {
    if (!this.isInitialized()) return;
    const nodeId = broker.nodeId as number;
    this.brokerMutexLocks[nodeId] = this.brokerMutexLocks[nodeId] || new Lock(this.runtime, BROKER_LOCK_TIMEOUT_MS);
    await this.brokerMutexLocks[nodeId].acquire();
  }

  releaseBrokerLock(broker: Broker): void {
    if (this.isInitialized()) this.brokerMutexLocks[broker.nodeId as number].release();
  }

  private findTransactionCoordinator(): Promise<Broker> {
    return this.cluster.findGroupCoordinator({ groupId: this.transactionalId as string, coordinatorType: COORDINATOR_TYPE_TRANSACTION });
  }

  private transactionalGuard(): void {
    if (!this.transactional) throw new KafkaJSNonRetriableError('Method unavailable if non-transactional');
  }

  /** Partitions or offsets were added, so the coordinator holds an open transaction to end. */
  private isOngoing(): boolean {
    return (
      this.hasOffsetsAddedToTransaction ||
      Object.values(this.transactionTopicPartitions).some((partitions) => Object.values(partitions).some((added) => added))
    );
  }

  private doInitProducerId(): Promise<void> {
    return this.retrier(async (bail, retryCount, retryTime) => {
      try {
        await this.cluster.refreshMetadataIfNecessary();
        // Without a transactional id any broker can allocate one; KafkaJS asks the controller.
        const broker = await (this.transactional ? this.findTransactionCoordinator() : this.cluster.findControllerBroker());
        const { response } = await broker.request(ApiKey.InitProducerId, () => ({
          transactionalId: this.transactional ? (this.transactionalId as string) : null,
          transactionTimeoutMs: this.transactionTimeout,
        }));
        if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
        this.stateMachine.transitionTo(TransactionState.READY);
        this.producerId = response.producerId;
        this.producerEpoch = response.producerEpoch;
        this.producerSequence = {};
        this.brokerMutexLocks = {};
        this.logger.debug('Initialized producer id & epoch', { producerId: String(this.producerId), producerEpoch: this.producerEpoch });
      } catch (e) {
        const error = e as ErrorFields;
        if (error.type !== undefined && INIT_PRODUCER_RETRIABLE_PROTOCOL_ERRORS.includes(error.type)) {
          if (error.type === 'CONCURRENT_TRANSACTIONS') {
            this.logger.debug('There is an ongoing transaction on this transactionId, retrying', {
              error: error.message,
              stack: error.stack,
              transactionalId: this.transactionalId,
              retryCount,
              retryTime,
            });
          }
          throw e;
        }
        bail(e);
      }
    });
  }

  private doBeginTransaction(): void {
    this.transactionalGuard();
    this.stateMachine.transitionTo(TransactionState.TRANSACTING);
  }

  private async doAddPartitionsToTransaction(topicData: TopicData[]): Promise<void> {
    this.transactionalGuard();
    const newTopicPartitions: Record<string, number[]> = {};
    for (const { topic, partitions } of topicData) {
      this.transactionTopicPartitions[topic] = this.transactionTopicPartitions[topic] || {};
      for (const { partition } of partitions) {
        if (!this.transactionTopicPartitions[topic][partition]) {
          newTopicPartitions[topic] = newTopicPartitions[topic] || [];
          newTopicPartitions[topic].push(partition);
        }
      }
    }
    const topics = Object.keys(newTopicPartitions).map((topic) => ({ topic, partitions: newTopicPartitions[topic] }));
    if (topics.length > 0) {
      const broker = await this.findTransactionCoordinator();
      const { version, response } = await broker.request(ApiKey.AddPartitionsToTxn, (v) => {
        const entries = topics.map(({ topic, partitions }) => ({ name: topic, partitions }));
        const transactionalId = this.transactionalId as string;
        return v >= 4
          ? { transactions: [{ transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, verifyOnly: false, topics: entries }] }
          : { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: this.producerId, v3AndBelowProducerEpoch: this.producerEpoch, v3AndBelowTopics: entries };
      });
      if (version >= 4 && response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      const results = version >= 4 ? (response.resultsByTransaction[0]?.topicResults ?? []) : response.resultsByTopicV3AndBelow;
      const failed = results.flatMap((t) => t.resultsByPartition).find((p) => p.partitionErrorCode !== 0);
      if (failed !== undefined) throw createErrorFromCode(failed.partitionErrorCode);
    }
    for (const { topic, partitions } of topics) {
      for (const partition of partitions) this.transactionTopicPartitions[topic][partition] = true;
    }
  }

  private async endTransaction(committed: boolean): Promise<void> {
    this.transactionalGuard();
    this.stateMachine.transitionTo(committed ? TransactionState.COMMITTING : TransactionState.ABORTING);
    if (!this.isOngoing()) {
      this.logger.debug('No partitions or offsets registered, not sending EndTxn');
      this.stateMachine.transitionTo(TransactionState.READY);
      return;
    }
    const broker = await this.findTransactionCoordinator();
    const { response } = await broker.request(ApiKey.EndTxn, () => ({
      transactionalId: this.transactionalId as string,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      committed,
    }));
    if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
    this.stateMachine.transitionTo(TransactionState.READY);
  }

  private async doSendOffsets({ consumerGroupId, topics }: { consumerGroupId: string; topics: SendOffsetsTopic[] | TopicOffsets[] }): Promise<void> {
    assert(consumerGroupId, 'Missing consumerGroupId');
    assert(topics, 'Missing offset topics');
    const transactionalId = this.transactionalId as string;

    const transactionCoordinator = await this.findTransactionCoordinator();
    const { response } = await transactionCoordinator.request(ApiKey.AddOffsetsToTxn, () => ({
      transactionalId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      groupId: consumerGroupId,
    }));
    if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
    this.hasOffsetsAddedToTransaction = true;

    let groupCoordinator = await this.cluster.findGroupCoordinator({ groupId: consumerGroupId, coordinatorType: COORDINATOR_TYPE_GROUP });
    return this.retrier(async (bail, retryCount, retryTime) => {
      try {
        const { response: commit } = await groupCoordinator.request(ApiKey.TxnOffsetCommit, () => ({
          transactionalId,
          groupId: consumerGroupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          topics: (topics as SendOffsetsTopic[]).map(({ topic, partitions }) => ({
            name: topic,
            partitions: partitions.map(({ partition, offset, metadata }) => ({
              partitionIndex: Number(partition), // KafkaJS's encoder coerces numeric strings (uncommittedOffsets() gives string partitions)
              committedOffset: toInt64(offset),
              committedMetadata: metadata ?? null,
            })),
          })),
        }));
        const failed = commit.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
        if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
      } catch (e) {
        const error = e as ErrorFields;
        if (error.type !== undefined && COMMIT_RETRIABLE_PROTOCOL_ERRORS.includes(error.type)) {
          this.logger.debug('Group coordinator is not ready yet, retrying', {
            error: error.message,
            stack: error.stack,
            transactionalId,
            retryCount,
            retryTime,
          });
          throw e;
        }
        if ((error.type !== undefined && COMMIT_STALE_COORDINATOR_PROTOCOL_ERRORS.includes(error.type)) || error.code === 'ECONNREFUSED') {
          this.logger.debug('Invalid group coordinator, finding new group coordinator and retrying', {
            error: error.message,
            stack: error.stack,
            transactionalId,
            retryCount,
            retryTime,
          });
          groupCoordinator = await this.cluster.findGroupCoordinator({ groupId: consumerGroupId, coordinatorType: COORDINATOR_TYPE_GROUP });
          throw e;
        }
        bail(e);
      }
    });
  }
}

/** KafkaJS writes offsets with `Long.fromValue`: decimal strings and integral numbers. */
export function toInt64(value: string | number | bigint): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
  return BigInt(value);
}
