/**
 * The consumer (KafkaJS's `consumer/index.js`): subscribe (strings and RegExps matched once against the
 * current metadata), run (the ConsumerGroup and Runner are built synchronously, so seek/pause may follow a
 * non-awaited `run()`), stop, disconnect, commitOffsets, seek, pause/resume/paused, describeGroup, events,
 * and the crash/restart policy: a crash disconnects, emits `consumer.crash`, and restarts after the retry
 * time when the cause was retriable (and `restartOnFailure` agrees).
 */
import { ApiKey } from '../../protocol/index.ts';
import { PartitionAssigners, type PartitionAssigner } from '../assigners.ts';
import type { ConsumerConfig } from '../config.ts';
import { CLIENT_PROCESS, type ClientContext } from '../context.ts';
import { KafkaJSNonRetriableError, createErrorFromCode } from '../errors.ts';
import type {
  ConnectEvent,
  DisconnectEvent,
  InstrumentationEvent,
  RemoveInstrumentationEventListener,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  ValueOf,
} from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { ClientProcess } from '../process.ts';
import { createRetry } from '../retry.ts';
import { ConsumerGroup } from './consumer-group.ts';
import {
  consumerEvents,
  type ConsumerCommitOffsetsEvent,
  type ConsumerCrashEvent,
  type ConsumerEndBatchProcessEvent,
  type ConsumerEvents,
  type ConsumerFetchEvent,
  type ConsumerFetchStartEvent,
  type ConsumerGroupJoinEvent,
  type ConsumerHeartbeatEvent,
  type ConsumerRebalancingEvent,
  type ConsumerReceivedUnsubcribedTopicsEvent,
  type ConsumerStartBatchProcessEvent,
} from './events.ts';
import type { TopicConfiguration } from './offset-manager.ts';
import { Runner, type EachBatchHandler, type EachMessageHandler } from './runner.ts';
import type { TopicPartitions } from './subscription-state.ts';

export type { EachBatchPayload, EachMessagePayload, EachBatchHandler, EachMessageHandler } from './runner.ts';
export type { Batch, KafkaMessage } from './batch.ts';
export type { Offsets, TopicOffsets, PartitionOffset } from './offset-manager.ts';
export type { TopicPartitions } from './subscription-state.ts';

export { consumerEvents } from './events.ts';
export type {
  ConsumerEvents,
  ConsumerHeartbeatEvent,
  ConsumerCommitOffsetsEvent,
  IMemberAssignment,
  ConsumerGroupJoinEvent,
  ConsumerFetchStartEvent,
  ConsumerFetchEvent,
  ConsumerStartBatchProcessEvent,
  ConsumerEndBatchProcessEvent,
  ConsumerCrashEvent,
  ConsumerRebalancingEvent,
  ConsumerReceivedUnsubcribedTopicsEvent,
} from './events.ts';

export interface ConsumerSubscribeTopics {
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
}
/** @deprecated as in KafkaJS: use `{ topics: [...] }`. */
export interface ConsumerSubscribeTopic {
  topic: string | RegExp;
  fromBeginning?: boolean;
}

export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
}

export interface TopicPartitionOffsetAndMetadata {
  topic: string;
  partition: number;
  offset: string;
  metadata?: string | null;
}

export interface MemberDescription {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
}

export interface GroupDescription {
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: string;
  errorCode?: number;
}

export interface Consumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>;
  stop(): Promise<void>;
  run(config?: ConsumerRunConfig): Promise<void>;
  commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void>;
  seek(topicPartitionOffset: { topic: string; partition: number; offset: string }): void;
  describeGroup(): Promise<GroupDescription>;
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void;
  paused(): TopicPartitions[];
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void;
  // KafkaJS's overloads, in its order: the event name picks the listener's payload type.
  on(eventName: ConsumerEvents['HEARTBEAT'], listener: (event: ConsumerHeartbeatEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['COMMIT_OFFSETS'], listener: (event: ConsumerCommitOffsetsEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['GROUP_JOIN'], listener: (event: ConsumerGroupJoinEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['FETCH_START'], listener: (event: ConsumerFetchStartEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['FETCH'], listener: (event: ConsumerFetchEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents['START_BATCH_PROCESS'],
    listener: (event: ConsumerStartBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents['END_BATCH_PROCESS'],
    listener: (event: ConsumerEndBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['CONNECT'], listener: (event: ConnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['DISCONNECT'], listener: (event: DisconnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['STOP'], listener: (event: InstrumentationEvent<null>) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['CRASH'], listener: (event: ConsumerCrashEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['REBALANCING'], listener: (event: ConsumerRebalancingEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents['RECEIVED_UNSUBSCRIBED_TOPICS'],
    listener: (event: ConsumerReceivedUnsubcribedTopicsEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['REQUEST'], listener: (event: RequestEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ConsumerEvents['REQUEST_TIMEOUT'], listener: (event: RequestTimeoutEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents['REQUEST_QUEUE_SIZE'],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- KafkaJS declares `InstrumentationEvent<any>`
  on(eventName: ValueOf<ConsumerEvents>, listener: (event: InstrumentationEvent<any>) => void): RemoveInstrumentationEventListener<typeof eventName>;
  logger(): Logger;
  readonly events: ConsumerEvents;
  readonly [CLIENT_PROCESS]: ClientProcess;
}

const EVENT_NAMES = new Set<string>(Object.values(consumerEvents));
const EVENT_KEYS = Object.keys(consumerEvents).map((key) => `consumer.events.${key}`).join(', ');

function toLong(value: unknown, what: string): bigint {
  try {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
    if (value !== null && typeof value === 'object' && 'low' in value && 'high' in value) {
      const { low, high } = value as { low: number; high: number };
      return (BigInt(high) << 32n) | BigInt(low >>> 0);
    }
  } catch {
    // fall through
  }
  throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(value)}`);
  void what;
}

export function createConsumer(context: ClientContext, config: ConsumerConfig): Consumer {
  const { process, cluster, instrumentation } = context;
  const {
    groupId,
    partitionAssigners = [PartitionAssigners.roundRobin as PartitionAssigner],
    sessionTimeout = 30000,
    rebalanceTimeout = 60000,
    heartbeatInterval = 3000,
    maxBytesPerPartition = 1048576,
    minBytes = 1,
    maxBytes = 10485760,
    maxWaitTimeInMs = 5000,
    rackId = '',
  } = config;
  const retry = context.retry;
  const isolationLevel = config.readUncommitted === true ? 0 : 1;
  if (!groupId) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.');
  const rootLogger = context.logger;
  const logger = rootLogger.namespace('Consumer');
  const assigners = partitionAssigners.map((create) => create({ groupId, logger, cluster }));
  const topics: Record<string, TopicConfiguration> = {};
  let runner: Runner | null = null;
  let consumerGroup: ConsumerGroup | null = null;
  let restartTimer: { cancel(): void } | null = null;

  if (heartbeatInterval >= sessionTimeout) {
    throw new KafkaJSNonRetriableError(
      `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
    );
  }

  const connect = async (): Promise<void> => {
    await cluster.connect();
    instrumentation.emit(consumerEvents.CONNECT);
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        if (runner !== null) {
          await runner.stop();
          runner = null;
          consumerGroup = null;
          instrumentation.emit(consumerEvents.STOP);
        }
        restartTimer?.cancel();
        logger.info('Stopped', { groupId });
      } catch (e) {
        logger.error(`Caught error when stopping the consumer: ${(e as Error).message}`, { stack: (e as Error).stack, groupId });
        throw e;
      }
    })().finally(() => (stopping = null)));

  const disconnect = async (): Promise<void> => {
    try {
      await stop();
      logger.debug('consumer has stopped, disconnecting', { groupId });
      await cluster.disconnect();
      instrumentation.emit(consumerEvents.DISCONNECT);
    } catch (e) {
      logger.error(`Caught error when disconnecting the consumer: ${(e as Error).message}`, { stack: (e as Error).stack, groupId });
      throw e;
    }
  };

  const subscribe = async (subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> => {
    const { topic, topics: subscriptionTopics, fromBeginning = false } = subscription as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>;
    if (consumerGroup !== null) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
    if (!topic && !subscriptionTopics) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    if (subscriptionTopics != null && !Array.isArray(subscriptionTopics)) throw new KafkaJSNonRetriableError('Argument "topics" must be an array');
    const subscriptions = subscriptionTopics ?? [topic as string | RegExp];
    for (const s of subscriptions) {
      if (typeof s !== 'string' && !(s instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(s)} (${typeof s}), the topic name has to be a String or a RegExp`);
      }
    }
    const hasRegExp = subscriptions.some((s) => s instanceof RegExp);
    const metadata = hasRegExp ? await cluster.fetchMetadata() : undefined;
    const toSubscribe: string[] = [];
    for (const s of subscriptions) {
      if (s instanceof RegExp) {
        const matched = metadata!.topicMetadata.map(({ topic: name }) => name).filter((name) => s.test(name));
        logger.debug('Subscription based on RegExp', { groupId, topicRegExp: s.toString(), matchedTopics: matched });
        toSubscribe.push(...matched);
      } else {
        toSubscribe.push(s);
      }
    }
    for (const t of toSubscribe) topics[t] = { fromBeginning };
    await cluster.addMultipleTargetTopics(toSubscribe);
  };

  const run = async (runConfig: ConsumerRunConfig = {}): Promise<void> => {
    const {
      autoCommit = true,
      autoCommitInterval = null,
      autoCommitThreshold = null,
      eachBatchAutoResolve = true,
      partitionsConsumedConcurrently: concurrency = 1,
      eachBatch = null,
      eachMessage = null,
    } = runConfig;
    if (consumerGroup !== null) {
      logger.warn('consumer#run was called, but the consumer is already running', { groupId });
      return;
    }
    const start = async (onCrash: (e: Error) => Promise<void>): Promise<void> => {
      logger.info('Starting', { groupId });
      consumerGroup = new ConsumerGroup({
        process,
        logger: rootLogger,
        topics: Object.keys(topics),
        topicConfigurations: topics,
        retry,
        cluster,
        groupId,
        assigners,
        sessionTimeout,
        rebalanceTimeout,
        maxBytesPerPartition,
        minBytes,
        maxBytes,
        maxWaitTimeInMs,
        instrumentation,
        isolationLevel,
        rackId,
        autoCommit,
        autoCommitInterval,
        autoCommitThreshold,
      });
      runner = new Runner({
        process,
        logger: rootLogger,
        consumerGroup,
        instrumentation,
        heartbeatInterval,
        retry,
        autoCommit,
        eachBatchAutoResolve,
        eachBatch,
        eachMessage,
        onCrash,
        concurrency,
      });
      await runner.start();
    };
    const onCrash = async (e: Error): Promise<void> => {
      const error = e as Error & { retryCount?: number; retryTime?: number; host?: string; port?: number; cause?: unknown };
      logger.error(`Crash: ${error.name}: ${error.message}`, { groupId, retryCount: error.retryCount, stack: error.stack });
      if (error.name === 'KafkaJSConnectionClosedError') cluster.removeBroker({ host: error.host!, port: error.port! });
      await disconnect();
      const originalCause = (err: unknown): { retriable?: unknown } => {
        const cause = (err as { cause?: unknown } | null)?.cause;
        return cause ? originalCause(cause) : (err as { retriable?: unknown });
      };
      const isRetriable = error.name === 'KafkaJSNumberOfRetriesExceeded' || originalCause(error).retriable === true;
      const restartOnFailure = (retry as { restartOnFailure?: (e: Error) => Promise<boolean> }).restartOnFailure;
      const shouldRestart =
        isRetriable &&
        (restartOnFailure === undefined ||
          (await restartOnFailure(error).catch((failure: unknown) => {
            logger.error('Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.', {
              error: (failure as Error)?.message ?? failure,
              cause: error.message ?? error,
              groupId,
            });
            return true;
          })));
      instrumentation.emit(consumerEvents.CRASH, { error, groupId, restart: shouldRestart });
      if (shouldRestart) {
        // KafkaJS reads the initial retry time from its non-test defaults here (300 ms).
        const retryTime = error.retryTime || retry.initialRetryTime || 300;
        logger.error(`Restarting the consumer in ${retryTime}ms`, { retryCount: error.retryCount, retryTime, groupId });
        restartTimer = process.timer(retryTime, () => void start(onCrash), 'consumer:restart');
      }
    };
    await start(onCrash);
  };

  const on = (eventName: string, listener: (event: InstrumentationEvent<unknown>) => void): RemoveInstrumentationEventListener<string> => {
    if (!EVENT_NAMES.has(eventName)) throw new KafkaJSNonRetriableError(`Event name should be one of ${EVENT_KEYS}`);
    return instrumentation.addListener(eventName, (event) => {
      Promise.resolve()
        .then(() => listener(event))
        .catch((e: unknown) => logger.error(`Failed to execute listener: ${(e as Error).message}`, { eventName, stack: (e as Error).stack }));
    });
  };

  const commitOffsets = async (topicPartitions: TopicPartitionOffsetAndMetadata[] = []): Promise<void> => {
    const byTopic = new Map<string, Array<{ partition: number; offset: string; metadata: string | null }>>();
    for (const { topic, partition, offset, metadata = null } of topicPartitions) {
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      if (isNaN(partition)) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
      const commitOffset = toLong(offset, 'offset');
      if (commitOffset < 0n) throw new KafkaJSNonRetriableError('Offset must not be a negative number');
      if (metadata !== null && typeof metadata !== 'string') {
        throw new KafkaJSNonRetriableError(`Invalid offset metadata, expected string or null, received ${String(metadata)}`);
      }
      const list = byTopic.get(topic) ?? [];
      list.push({ partition, offset: String(commitOffset), metadata });
      byTopic.set(topic, list);
    }
    if (consumerGroup === null || runner === null) {
      throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    }
    await runner.commitOffsets({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
  };

  const seek = ({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void => {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    if (isNaN(partition)) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
    const seekOffset = toLong(offset, 'offset');
    if (seekOffset < 0n && seekOffset !== -1n && seekOffset !== -2n) throw new KafkaJSNonRetriableError('Offset must not be a negative number');
    if (consumerGroup === null) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    consumerGroup.seek({ topic, partition, offset: String(seekOffset) });
  };

  const describeGroup = async (): Promise<GroupDescription> => {
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    const retrier = createRetry(process, retry);
    return retrier(async () => {
      const { response } = await coordinator.request(ApiKey.DescribeGroups, () => ({ groups: [groupId] }));
      const group = response.groups.find((g) => g.groupId === groupId);
      if (group !== undefined && group.errorCode !== 0) throw createErrorFromCode(group.errorCode);
      return group === undefined
        ? (undefined as unknown as GroupDescription)
        : {
            errorCode: group.errorCode,
            groupId: group.groupId,
            state: group.groupState,
            protocolType: group.protocolType,
            protocol: group.protocolData,
            members: group.members.map((m) => ({
              memberId: m.memberId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.memberMetadata,
              memberAssignment: m.memberAssignment,
            })),
          };
    });
  };

  const validatePartitions = (topicPartitions: Array<{ topic: string; partitions?: number[] }>, verb: string): void => {
    for (const tp of topicPartitions) {
      if (!tp || !tp.topic) throw new KafkaJSNonRetriableError(`Invalid topic ${(tp && tp.topic) || String(tp)}`);
      if (tp.partitions !== undefined && (!Array.isArray(tp.partitions) || tp.partitions.some((p) => isNaN(p)))) {
        throw new KafkaJSNonRetriableError(`Array of valid partitions required to ${verb} specific partitions instead of ${String(tp.partitions)}`);
      }
    }
    if (consumerGroup === null) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
  };

  const consumer: Consumer = {
    connect: () => process.track(connect()),
    disconnect: () => process.track(disconnect()),
    subscribe: (s) => process.track(subscribe(s)),
    stop: () => process.track(stop()),
    run: (c) => process.track(run(c)),
    commitOffsets: (tp) => process.track(commitOffsets(tp)),
    seek,
    describeGroup: () => process.track(describeGroup()),
    pause: (tps = []) => {
      validatePartitions(tps, 'pause');
      consumerGroup!.pause(tps);
    },
    paused: () => (consumerGroup === null ? [] : consumerGroup.paused()),
    resume: (tps = []) => {
      validatePartitions(tps, 'resume');
      consumerGroup!.resume(tps);
    },
    // Each event name is emitted only with the payload its overload declares (events.test.ts checks the keys
    // against kafkajs's source); the emitter itself is untyped, so the overloads are asserted here.
    on: on as Consumer['on'],
    events: consumerEvents,
    logger: () => logger,
    [CLIENT_PROCESS]: process,
  };
  return consumer;
}
