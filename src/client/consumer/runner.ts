/**
 * The consume loop (KafkaJS's `consumer/runner.js`): join, then fetch and hand batches to `eachMessage` or
 * `eachBatch`; heartbeat only between messages, after batches and after empty fetches (never in the
 * background); commit resolved offsets after every batch, before rethrowing a handler error, and before
 * rethrowing a rebalance error seen on a heartbeat; re-join on rebalance errors and on UNKNOWN_MEMBER_ID
 * (without committing); retry the fetch loop on other errors, and crash when retries run out.
 */
import { isKafkaJSError, isRebalancing } from '../errors.ts';
import type { InstrumentationEmitter } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { ClientProcess } from '../process.ts';
import { createRetry, type Retrier, type RetryOptions } from '../retry.ts';
import type { Batch, FetchedPartition, KafkaMessage } from './batch.ts';
import type { ConsumerGroup } from './consumer-group.ts';
import { FetchManager } from './fetch-manager.ts';
import type { Offsets } from './offset-manager.ts';

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  uncommittedOffsets(): Offsets;
  isRunning(): boolean;
  isStale(): boolean;
}

export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;

export interface RunnerOptions {
  process: ClientProcess;
  logger: Logger;
  consumerGroup: ConsumerGroup;
  instrumentation: InstrumentationEmitter;
  eachBatchAutoResolve: boolean;
  concurrency: number;
  eachBatch: EachBatchHandler | null;
  eachMessage: EachMessageHandler | null;
  heartbeatInterval: number;
  onCrash: (error: Error) => Promise<void>;
  retry: RetryOptions;
  autoCommit: boolean;
}

interface BatchProcessPayload {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string | null;
  lastOffset: string;
}

/** What a killed process's continuations wait on. */
const NEVER = new Promise<never>(() => undefined);

export class Runner {
  running = false;
  private isConsuming = false;
  private consumingStopListeners: Array<() => void> = [];
  private readonly logger: Logger;
  private readonly retrier: Retrier;
  private readonly fetchManager: FetchManager;
  private readonly consumerGroup: ConsumerGroup;

  constructor(private readonly options: RunnerOptions) {
    this.logger = options.logger.namespace('Runner');
    this.consumerGroup = options.consumerGroup;
    this.retrier = createRetry(options.process, options.retry);
    this.fetchManager = new FetchManager({
      logger: this.logger,
      getNodeIds: () => this.consumerGroup.getNodeIds(),
      fetch: (nodeId) => this.fetch(nodeId),
      handler: (batch) => this.handleBatch(batch),
      concurrency: options.concurrency,
    });
  }

  private set consuming(value: boolean) {
    if (this.isConsuming === value) return;
    this.isConsuming = value;
    if (!value) {
      const listeners = this.consumingStopListeners;
      this.consumingStopListeners = [];
      for (const listener of listeners) listener();
    }
  }

  private get consuming(): boolean {
    return this.isConsuming;
  }

  async start(): Promise<void> {
    if (this.running) return;
    try {
      await this.consumerGroup.connect();
      await this.consumerGroup.joinAndSync();
    } catch (e) {
      return this.options.onCrash(e as Error);
    }
    this.running = true;
    this.scheduleFetchManager();
  }

  private scheduleFetchManager(): void {
    const ids = () => ({ groupId: this.consumerGroup.groupId, memberId: this.consumerGroup.memberId });
    if (!this.running) {
      this.consuming = false;
      this.logger.info('consumer not running, exiting', ids());
      return;
    }
    this.consuming = true;
    this.retrier(async (bail, retryCount, retryTime) => {
      if (!this.running) return;
      try {
        await this.fetchManager.start();
      } catch (e) {
        const error = e as Error & { type?: string };
        if (isRebalancing(error)) {
          this.logger.warn('The group is rebalancing, re-joining', { ...ids(), error: error.message });
          this.options.instrumentation.emit('consumer.rebalancing', ids());
          await this.consumerGroup.joinAndSync();
          return;
        }
        if (error.type === 'UNKNOWN_MEMBER_ID') {
          this.logger.error('The coordinator is not aware of this member, re-joining the group', { ...ids(), error: error.message });
          this.consumerGroup.memberId = null;
          await this.consumerGroup.joinAndSync();
          return;
        }
        if (error.name === 'KafkaJSNotImplemented' || error.name === 'KafkaJSNoBrokerAvailableError') {
          bail(error);
          return;
        }
        this.logger.debug('Error while scheduling fetch manager, trying again...', { ...ids(), error: error.message, stack: error.stack, retryCount, retryTime });
        throw error;
      }
    }).then(
      () => this.scheduleFetchManager(),
      (e: unknown) => {
        void this.options.onCrash(e as Error);
        this.consuming = false;
        this.running = false;
      },
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.logger.debug('stop consumer group', { groupId: this.consumerGroup.groupId, memberId: this.consumerGroup.memberId });
    this.running = false;
    try {
      await this.fetchManager.stop();
      await this.waitForConsumer();
      await this.consumerGroup.leave();
    } catch {
      // KafkaJS swallows errors while stopping.
    }
  }

  private waitForConsumer(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.consuming) return resolve();
      this.logger.debug('waiting for consumer to finish...', { groupId: this.consumerGroup.groupId, memberId: this.consumerGroup.memberId });
      this.consumingStopListeners.push(resolve);
    });
  }

  async heartbeat(): Promise<void> {
    try {
      await this.consumerGroup.heartbeat({ interval: this.options.heartbeatInterval });
    } catch (e) {
      if (isRebalancing(e as { type?: string })) await this.autoCommitOffsets();
      throw e;
    }
  }

  private pauseFor(topic: string, partition: number): () => () => void {
    return () => {
      this.consumerGroup.pause([{ topic, partitions: [partition] }]);
      return () => this.consumerGroup.resume([{ topic, partitions: [partition] }]);
    };
  }

  private async processEachMessage(batch: Batch): Promise<void> {
    const { topic, partition } = batch;
    const pause = this.pauseFor(topic, partition);
    const runner = this;
    for (const message of batch.messages) {
      if (!this.running || this.consumerGroup.hasSeekOffset({ topic, partition })) break;
      try {
        // A fresh `heartbeat` per message, as KafkaJS's arrow; a method rather than an arrow because tsx
        // (esbuild's keepNames) renames every named arrow through Object.defineProperty, once per message.
        await this.options.eachMessage!({
          topic,
          partition,
          message,
          heartbeat() {
            return runner.heartbeat();
          },
          pause,
        });
      } catch (e) {
        if (this.options.process.isKilled) await NEVER;
        if (!isKafkaJSError(e)) {
          this.logger.error('Error when calling eachMessage', { topic, partition, offset: message.offset, stack: (e as Error)?.stack, error: e });
        }
        await this.autoCommitOffsets();
        throw e;
      }
      // Once the process is killed, nothing after the handler runs (a dead process observes nothing more).
      if (this.options.process.isKilled) await NEVER;
      this.consumerGroup.resolveOffset({ topic, partition, offset: message.offset });
      // Between messages the heartbeat is rarely due and interval/threshold commits are often off: skip the
      // awaits then (same behaviour, no promise per message).
      if (this.consumerGroup.isHeartbeatDue(this.options.heartbeatInterval)) await this.heartbeat();
      if (this.options.autoCommit && this.consumerGroup.hasCommitRule()) await this.consumerGroup.commitOffsetsIfNecessary();
      if (this.consumerGroup.isPaused(topic, partition)) break;
    }
  }

  private async processEachBatch(batch: Batch): Promise<void> {
    const { topic, partition } = batch;
    const lastFiltered = batch.messages[batch.messages.length - 1];
    const pause = this.pauseFor(topic, partition);
    try {
      await this.options.eachBatch!({
        batch,
        resolveOffset: (offset: string) => {
          const toResolve = lastFiltered !== undefined && BigInt(offset) === BigInt(lastFiltered.offset) ? batch.lastOffset() : offset;
          this.consumerGroup.resolveOffset({ topic, partition, offset: String(toResolve) });
        },
        heartbeat: () => this.heartbeat(),
        pause,
        commitOffsetsIfNecessary: async (offsets?: Offsets) =>
          offsets ? this.consumerGroup.commitOffsets(offsets) : this.consumerGroup.commitOffsetsIfNecessary(),
        uncommittedOffsets: () => this.consumerGroup.uncommittedOffsets(),
        isRunning: () => this.running,
        isStale: () => this.consumerGroup.hasSeekOffset({ topic, partition }),
      });
      if (this.options.process.isKilled) await NEVER;
    } catch (e) {
      if (this.options.process.isKilled) await NEVER;
      if (!isKafkaJSError(e)) {
        this.logger.error('Error when calling eachBatch', { topic, partition, offset: batch.firstOffset(), stack: (e as Error)?.stack, error: e });
      }
      await this.autoCommitOffsets();
      throw e;
    }
    if (this.options.eachBatchAutoResolve) this.consumerGroup.resolveOffset({ topic, partition, offset: batch.lastOffset() });
  }

  private async fetch(nodeId: number): Promise<FetchedPartition[]> {
    if (!this.running) {
      this.logger.debug('consumer not running, exiting', { groupId: this.consumerGroup.groupId, memberId: this.consumerGroup.memberId });
      return [];
    }
    const start = this.options.process.now();
    // KafkaJS's fetchers get their node ids from `brokerPool.getNodeIds()`, i.e. `Object.keys(this.brokers)`
    // (cluster/brokerPool.js), so the fetch events carry them as strings; its own spec expects `any(String)`.
    const eventNodeId = String(nodeId);
    this.options.instrumentation.emit('consumer.fetch_start', { nodeId: eventNodeId });
    const batches = await this.consumerGroup.fetch(nodeId);
    this.options.instrumentation.emit('consumer.fetch', { numberOfBatches: 0, duration: this.options.process.now() - start, nodeId: eventNodeId });
    if (batches.length === 0) await this.heartbeat();
    return batches;
  }

  private async handleBatch(fetched: FetchedPartition): Promise<void> {
    if (!this.running) {
      this.logger.debug('consumer not running, exiting', { groupId: this.consumerGroup.groupId, memberId: this.consumerGroup.memberId });
      return;
    }
    const start = this.options.process.now();
    const started = this.startBatch(fetched.toBatch());
    if (started === null) {
      await this.heartbeat();
      return;
    }
    const { payload, processing } = started;
    if (processing === null) {
      await this.autoCommitOffsetsIfNecessary();
      this.options.instrumentation.emit('consumer.end_batch_process', { ...payload, duration: this.options.process.now() - start });
      await this.heartbeat();
      return;
    }
    if (processing !== undefined) await processing;
    this.options.instrumentation.emit('consumer.end_batch_process', { ...payload, duration: this.options.process.now() - start });
    await this.autoCommitOffsets();
    await this.heartbeat();
  }

  /**
   * The synchronous start of `handleBatch`, kept out of it so that no suspended frame holds the batch: an async
   * function keeps its locals alive across every await, and the messages need not outlive their processing
   * through the commit and heartbeat round trips (with 1 MB fetches, thousands of objects each collection copies).
   * Null for an empty batch; `processing` null when filtering emptied it (its last offset is resolved here).
   */
  private startBatch(batch: Batch): { payload: BatchProcessPayload; processing: Promise<void> | null | undefined } | null {
    const payload: BatchProcessPayload = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.messages.length,
      firstOffset: batch.firstOffset(),
      lastOffset: batch.lastOffset(),
    };
    if (batch.isEmptyDueToFiltering()) {
      this.options.instrumentation.emit('consumer.start_batch_process', payload);
      this.consumerGroup.resolveOffset({ topic: batch.topic, partition: batch.partition, offset: batch.lastOffset() });
      return { payload, processing: null };
    }
    if (batch.isEmpty()) return null;
    this.options.instrumentation.emit('consumer.start_batch_process', payload);
    if (this.options.eachMessage) return { payload, processing: this.processEachMessage(batch) };
    if (this.options.eachBatch) return { payload, processing: this.processEachBatch(batch) };
    return { payload, processing: undefined };
  }

  private async autoCommitOffsets(): Promise<void> {
    if (this.options.autoCommit) await this.consumerGroup.commitOffsets();
  }

  private async autoCommitOffsetsIfNecessary(): Promise<void> {
    if (this.options.autoCommit) await this.consumerGroup.commitOffsetsIfNecessary();
  }

  commitOffsets(offsets: Offsets): Promise<void> | undefined {
    const ids = () => ({ groupId: this.consumerGroup.groupId, memberId: this.consumerGroup.memberId });
    if (!this.running) {
      this.logger.debug('consumer not running, exiting', { ...ids(), offsets });
      return undefined;
    }
    return this.retrier(async (bail, retryCount, retryTime) => {
      try {
        await this.consumerGroup.commitOffsets(offsets);
      } catch (e) {
        const error = e as Error;
        if (!this.running) {
          this.logger.debug('consumer not running, exiting', { error: error.message, ...ids(), offsets });
          return;
        }
        if (error.name === 'KafkaJSNotImplemented') {
          bail(error);
          return;
        }
        this.logger.debug('Error while committing offsets, trying again...', { ...ids(), error: error.message, stack: error.stack, retryCount, retryTime, offsets });
        throw error;
      }
    });
  }
}
