/**
 * kafkasim's public surface. First what KafkaJS 2.2.4 exports, under the same names, so that
 * `import { Kafka } from 'kafkasim'` replaces `import { Kafka } from 'kafkajs'`; then kafkasim's own extras:
 * `createCluster` (an in-process cluster with virtual time and fault controls), the deterministic runtime,
 * the broker model, the in-process network and the protocol layer.
 */
import './embedded/cluster.ts';

// KafkaJS's exports.
export { Kafka } from './client/kafka.ts';
export { Partitioners } from './client/partitioners.ts';
export { PartitionAssigners, AssignerProtocol } from './client/assigners.ts';
export { logLevel } from './client/logger.ts';
export { CompressionTypes, CompressionCodecs } from './client/compression.ts';
export { ConfigResourceTypes, ConfigSource, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } from './client/admin/enums.ts';
export * from './client/errors-public.ts';
export type { KafkaConfig, ProducerConfig, ConsumerConfig, AdminConfig, BrokersFunction, SASLOptions, Mechanism, ISocketFactory } from './client/config.ts';
export type { Logger, LogEntry, logCreator } from './client/logger.ts';
export type { RetryOptions } from './client/retry.ts';
export type { InstrumentationEvent, RemoveInstrumentationEventListener } from './client/instrumentation.ts';
export type { Message, IHeaders, ICustomPartitioner, Partitioner, PartitionerArgs } from './client/partitioners.ts';
export type { Assigner, PartitionAssigner, MemberMetadata, MemberAssignment, GroupMember, GroupMemberAssignment, GroupState } from './client/assigners.ts';
export type { PartitionMetadata } from './client/types.ts';
export type {
  Producer,
  Transaction,
  ProducerRecord,
  ProducerBatch,
  TopicMessages,
  RecordMetadata,
  ProducerEvents,
  ConnectEvent,
  DisconnectEvent,
  RequestEvent,
  RequestTimeoutEvent,
  RequestQueueSizeEvent,
} from './client/producer/index.ts';
export type {
  Consumer,
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
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  ConsumerSubscribeTopic,
  EachBatchPayload,
  EachMessagePayload,
  EachBatchPayload as ConsumerEachBatchPayload,
  EachMessagePayload as ConsumerEachMessagePayload,
  EachBatchHandler,
  EachMessageHandler,
  Batch,
  KafkaMessage,
  Offsets,
  TopicOffsets,
  PartitionOffset,
  TopicPartitions,
  TopicPartitionOffsetAndMetadata,
  GroupDescription,
  MemberDescription,
} from './client/consumer/index.ts';
export type {
  Admin,
  AdminEvents,
  ITopicConfig,
  ITopicPartitionConfig,
  ITopicMetadata,
  ReplicaAssignment,
  PartitionReassignment,
  IResourceConfigEntry,
  IResourceConfig,
  ResourceConfigQuery,
  ConfigEntries,
  ConfigSynonyms,
  DescribeConfigResponse,
  FetchOffsetsPartition,
  GroupOverview,
  DeleteGroupsResult,
  GroupDescriptions,
  ConsumerGroupState,
  Acl,
  AclResource,
  AclEntry,
  DescribeAclResource,
  DescribeAclResponse,
  AclFilter,
  MatchingAcl,
  DeleteAclFilterResponses,
  DeleteAclResponse,
  ListPartitionReassignmentsResponse,
  OngoingTopicReassignment,
  OngoingPartitionReassignment,
} from './client/admin/index.ts';

// kafkasim's own.
export { createKafka, isKafkaError, kafkaMode } from './adapters/index.ts';
export type { KafkaMode, KafkaModeEnvironment, KafkaErrorClassName } from './adapters/index.ts';
export { startBrokerServer, createSocketFactory, createTcpKafka, TcpTransport, SocketConnectError } from './server/index.ts';
export type { TcpKafkaOptions, TcpTransportOptions } from './server/index.ts';
export type { BrokerServer, BrokerServerOptions, BrokerListenerAddress, SocketFactory, SocketFactoryArgs, SocketFactoryOptions } from './server/index.ts';
export { createCluster, EmbeddedCluster, type CreateClusterOptions, type TopicSpec } from './embedded/cluster.ts';
export { VirtualRuntime, RealRuntime, SimulationLimitError } from './runtime/index.ts';
export type { Runtime, Timer, Prng } from './runtime/index.ts';
export { Cluster as ClusterModel } from './broker/cluster.ts';
export type { ClusterOptions as ClusterModelOptions, CreateTopicOptions, PartitionState } from './broker/cluster.ts';
export { InProcessNetwork } from './network/index.ts';
export * as protocol from './protocol/index.ts';
