/**
 * The consumer's instrumentation events (KafkaJS's `consumer/instrumentationEvents.js`) and their payload
 * types as KafkaJS 2.2.4's `types/index.d.ts` declares them, names included (`Unsubcribed` is KafkaJS's
 * spelling), so that listeners written against kafkajs's types compile unchanged against ours.
 *
 * The types are KafkaJS's declarations even where its runtime sends something else, and so does ours:
 * `nodeId` of the fetch events is a string (KafkaJS takes node ids from `Object.keys` of its broker pool),
 * and the `partition` of `consumer.commit_offsets` is a string (uncommitted offsets are built from object
 * keys). test/client/consumer/events.test.ts pins those runtime values against kafkajs's source.
 */
import type { InstrumentationEvent } from '../instrumentation.ts';
import type { TopicOffsets } from '../types.ts';

export const consumerEvents = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  // KafkaJS's key order (FETCH before FETCH_START): `Object.keys(consumer.events)` and the message of `on()` with an unknown name show it.
  FETCH: 'consumer.fetch',
  FETCH_START: 'consumer.fetch_start',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

export type ConsumerEvents = typeof consumerEvents;

export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
}>;

export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
  topics: TopicOffsets[];
}>;

export interface IMemberAssignment {
  [key: string]: number[];
}

export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number;
  groupId: string;
  isLeader: boolean;
  leaderId: string;
  groupProtocol: string;
  memberId: string;
  memberAssignment: IMemberAssignment;
}>;

export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>;

export type ConsumerFetchEvent = InstrumentationEvent<{
  numberOfBatches: number;
  duration: number;
  nodeId: number;
}>;

// Not exported, as in KafkaJS: users name the two event types built from it.
interface IBatchProcessEvent {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string;
  lastOffset: string;
}

export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>;

export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>;

export type ConsumerCrashEvent = InstrumentationEvent<{
  error: Error;
  groupId: string;
  restart: boolean;
}>;

export type ConsumerRebalancingEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
}>;

export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string;
  generationId: number;
  memberId: string;
  assignedTopics: string[];
  topicsSubscribed: string[];
  topicsNotSubscribed: string[];
}>;
