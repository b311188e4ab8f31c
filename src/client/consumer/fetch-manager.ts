/**
 * KafkaJS's fetch loop (`fetchManager.js`, `fetcher.js`, `worker.js`, `workerQueue.js`): one fetcher per
 * broker, `partitionsConsumedConcurrently` workers, and a fetcher that waits until every batch of its last
 * fetch is processed before fetching again, which is what keeps per-partition order. A change in the set
 * of brokers rebuilds the fetchers.
 */
import { KafkaJSFetcherRebalanceError, KafkaJSNoBrokerAvailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { FetchedPartition } from './batch.ts';

interface QueueItem {
  batch: FetchedPartition;
  resolve: () => void;
  reject: (error: unknown) => void;
}

async function settleAll(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

class WorkerQueue {
  private readonly queue: QueueItem[] = [];
  private readonly running = new Set<number>();

  constructor(
    private readonly concurrency: number,
    private readonly handler: (batch: FetchedPartition) => Promise<void>,
  ) {}

  /** Not async, and nothing here keeps `batches`: a batch handled early can be collected while the rest run. */
  push(batches: FetchedPartition[]): Promise<void> {
    const promises = batches.map((batch) => new Promise<void>((resolve, reject) => this.queue.push({ batch, resolve, reject })));
    for (let workerId = 0; workerId < this.concurrency; workerId++) this.runWorker(workerId);
    return settleAll(promises);
  }

  private runWorker(workerId: number): void {
    if (this.running.has(workerId)) return;
    this.running.add(workerId);
    void (async () => {
      for (;;) {
        const item = this.queue.shift();
        if (item === undefined) break;
        try {
          await this.handler(item.batch);
          item.resolve();
        } catch (error) {
          item.reject(error);
        }
      }
      this.running.delete(workerId);
    })();
  }
}

class Fetcher {
  private isRunning = false;
  private endListeners: Array<() => void> = [];

  constructor(
    private readonly nodeId: number,
    private readonly workerQueue: WorkerQueue,
    private readonly partitionAssignments: Map<string, number>,
    private readonly fetch: (nodeId: number) => Promise<FetchedPartition[]>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.isRunning) return;
    this.isRunning = true;
    while (this.isRunning) {
      try {
        // No local holds the batches across the await below, so each one's messages die once it is processed.
        const dispatched = this.dispatch(await this.fetch(this.nodeId));
        if (dispatched === null) continue;
        try {
          await dispatched.processed;
        } finally {
          for (const key of dispatched.keys) this.partitionAssignments.delete(key);
        }
      } catch (error) {
        this.isRunning = false;
        this.emitEnd();
        throw error;
      }
    }
    this.emitEnd();
  }

  /** Hands a fetch's batches to the workers, leaving out partitions another fetcher is still processing. */
  private dispatch(batches: FetchedPartition[]): { keys: string[]; processed: Promise<void> } | null {
    if (!this.isRunning) return null;
    const available = batches.filter((batch) => {
      const assigned = this.partitionAssignments.get(`${batch.topic}|${batch.partition}`);
      if (assigned !== undefined && assigned !== this.nodeId) {
        this.logger.info('Filtering out batch due to partition already being processed by another fetcher', {
          topic: batch.topic,
          partition: batch.partition,
          assignedFetcher: assigned,
          fetcher: this.nodeId,
        });
        return false;
      }
      return true;
    });
    if (available.length === 0) return null;
    const keys = available.map((batch) => `${batch.topic}|${batch.partition}`);
    for (const key of keys) this.partitionAssignments.set(key, this.nodeId);
    return { keys, processed: this.workerQueue.push(available) };
  }

  async stop(): Promise<void> {
    if (!this.isRunning) return;
    this.isRunning = false;
    await new Promise<void>((resolve) => this.endListeners.push(resolve));
  }

  private emitEnd(): void {
    const listeners = this.endListeners;
    this.endListeners = [];
    for (const listener of listeners) listener();
  }
}

export class FetchManager {
  private fetchers: Fetcher[] = [];
  private readonly workerQueue: WorkerQueue;
  private readonly logger: Logger;

  constructor(
    private readonly options: {
      logger: Logger;
      getNodeIds: () => number[];
      fetch: (nodeId: number) => Promise<FetchedPartition[]>;
      handler: (batch: FetchedPartition) => Promise<void>;
      concurrency: number;
    },
  ) {
    this.logger = options.logger.namespace('FetchManager');
    this.workerQueue = new WorkerQueue(Math.max(1, options.concurrency), options.handler);
  }

  private createFetchers(): Fetcher[] {
    const nodeIds = this.options.getNodeIds();
    const partitionAssignments = new Map<string, number>();
    if (nodeIds.length === 0) throw new KafkaJSNoBrokerAvailableError();
    const validateShouldRebalance = (): void => {
      const current = this.options.getNodeIds();
      const changed = nodeIds.length !== current.length || nodeIds.some((id) => !current.includes(id));
      if (changed && current.length !== 0) throw new KafkaJSFetcherRebalanceError();
    };
    const fetchers = nodeIds.map(
      (nodeId) =>
        new Fetcher(
          nodeId,
          this.workerQueue,
          partitionAssignments,
          async (id) => {
            validateShouldRebalance();
            return this.options.fetch(id);
          },
          this.options.logger.namespace(`Fetcher ${nodeId}`),
        ),
    );
    this.logger.debug(`Created ${fetchers.length} fetchers`, { nodeIds, concurrency: this.options.concurrency });
    return fetchers;
  }

  async start(): Promise<void> {
    this.logger.debug('Starting...');
    for (;;) {
      this.fetchers = this.createFetchers();
      try {
        await Promise.all(this.fetchers.map((fetcher) => fetcher.start()));
      } catch (error) {
        await this.stop();
        if (error instanceof KafkaJSFetcherRebalanceError) {
          this.logger.debug('Rebalancing fetchers...');
          continue;
        }
        throw error;
      }
      break;
    }
  }

  async stop(): Promise<void> {
    this.logger.debug('Stopping fetchers...');
    await Promise.all(this.fetchers.map((fetcher) => fetcher.stop()));
    this.logger.debug('Stopped fetchers');
  }
}
