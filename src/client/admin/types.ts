/**
 * The admin client's argument and result shapes, named and typed as KafkaJS 2.2.4's `types/index.d.ts`
 * declares them so code written against KafkaJS type-checks unchanged. Where KafkaJS's runtime and its
 * declarations disagree, the declaration is kept (user code compiles against it) and the runtime follows
 * KafkaJS's code; the comments say where.
 */
import type { ConnectEvent, DisconnectEvent, InstrumentationEvent, RemoveInstrumentationEventListener, RequestEvent, RequestQueueSizeEvent, RequestTimeoutEvent, ValueOf } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { KafkaJSProtocolError } from '../errors.ts';
import type { PartitionMetadata } from '../types.ts';
import type {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from './enums.ts';

export interface IResourceConfigEntry {
  name: string;
  value: string;
}

export interface ReplicaAssignment {
  partition: number;
  replicas: Array<number>;
}

export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: ReplicaAssignment[];
  configEntries?: IResourceConfigEntry[];
}

export interface ITopicPartitionConfig {
  topic: string;
  count: number;
  assignments?: Array<Array<number>>;
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export interface PartitionReassignment {
  topic: string;
  partitionAssignment: Array<ReplicaAssignment>;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export type SeekEntry = PartitionOffset;
export type FetchOffsetsPartition = PartitionOffset & { metadata: string | null };
export type TopicPartitions = { topic: string; partitions: number[] };

export interface ResourceConfigQuery {
  type: ConfigResourceTypes;
  name: string;
  configNames?: string[];
}

export interface ConfigSynonyms {
  configName: string;
  configValue: string;
  configSource: ConfigSource;
}

export interface ConfigEntries {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: ConfigSynonyms[];
}

/** KafkaJS declares `throttleTime`; its runtime (and this one) answers with `resources` only. */
export interface DescribeConfigResponse {
  resources: {
    configEntries: ConfigEntries[];
    errorCode: number;
    errorMessage: string;
    resourceName: string;
    resourceType: ConfigResourceTypes;
  }[];
  throttleTime: number;
}

export interface IResourceConfig {
  type: ConfigResourceTypes;
  name: string;
  configEntries: IResourceConfigEntry[];
}

export interface AlterConfigsResource {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export type GroupOverview = {
  groupId: string;
  protocolType: string;
};

export type DeleteGroupsResult = {
  groupId: string;
  errorCode?: number;
  error?: KafkaJSProtocolError;
};

export type MemberDescription = {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
};

export type ConsumerGroupState = 'Unknown' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Empty';

/** KafkaJS's declaration omits `errorCode`, which its runtime includes (always 0: a group error throws). */
export type GroupDescription = {
  errorCode?: number;
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
};

export type GroupDescriptions = {
  groups: GroupDescription[];
};

export interface Acl {
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface AclResource {
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
}

export type AclEntry = Acl & AclResource;

export type DescribeAclResource = AclResource & {
  acls: Acl[];
};

/** KafkaJS's runtime answers `{ resources }` only. */
export interface DescribeAclResponse {
  throttleTime: number;
  errorCode: number;
  errorMessage?: string;
  resources: DescribeAclResource[];
}

export interface AclFilter {
  resourceType: AclResourceTypes;
  resourceName?: string;
  resourcePatternType: ResourcePatternTypes;
  principal?: string;
  host?: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface MatchingAcl {
  errorCode: number;
  errorMessage?: string;
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface DeleteAclFilterResponses {
  errorCode: number;
  errorMessage?: string;
  matchingAcls: MatchingAcl[];
}

/** KafkaJS's runtime answers `{ filterResponses }` only. */
export interface DeleteAclResponse {
  throttleTime: number;
  filterResponses: DeleteAclFilterResponses[];
}

export interface OngoingPartitionReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface OngoingTopicReassignment {
  topic: string;
  partitions: OngoingPartitionReassignment[];
}

/**
 * As declared. KafkaJS's runtime answers `{ topics: [{ name, partitions: [{ partition, replicas,
 * addingReplicas, removingReplicas }] }] }`, and so does this one.
 */
export interface ListPartitionReassignmentsResponse {
  topics: OngoingTopicReassignment[];
}

export type AdminEvents = {
  CONNECT: 'admin.connect';
  DISCONNECT: 'admin.disconnect';
  REQUEST: 'admin.network.request';
  REQUEST_TIMEOUT: 'admin.network.request_timeout';
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size';
};

export type { ConnectEvent, DisconnectEvent, RequestEvent, RequestTimeoutEvent, RequestQueueSizeEvent } from '../instrumentation.ts';

export type Admin = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: { validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number; topics: ITopicConfig[] }): Promise<boolean>;
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>;
  /** Declared `boolean`; KafkaJS's runtime resolves with `undefined`, and so does this one. */
  createPartitions(options: { validateOnly?: boolean; timeout?: number; topicPartitions: ITopicPartitionConfig[] }): Promise<boolean>;
  fetchTopicMetadata(options?: { topics: string[] }): Promise<{ topics: Array<ITopicMetadata> }>;
  fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>;
  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<SeekEntry>>;
  describeCluster(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string }>;
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void>;
  resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void>;
  describeConfigs(configs: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- KafkaJS declares `Promise<any>`
  alterConfigs(configs: { validateOnly?: boolean; resources: IResourceConfig[] }): Promise<any>;
  listGroups(): Promise<{ groups: GroupOverview[] }>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescriptions>;
  describeAcls(options: AclFilter): Promise<DescribeAclResponse>;
  deleteAcls(options: { filters: AclFilter[] }): Promise<DeleteAclResponse>;
  createAcls(options: { acl: AclEntry[] }): Promise<boolean>;
  deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void>;
  alterPartitionReassignments(request: { topics: PartitionReassignment[]; timeout?: number }): Promise<void>;
  listPartitionReassignments(request: { topics?: TopicPartitions[]; timeout?: number }): Promise<ListPartitionReassignmentsResponse>;
  logger(): Logger;
  on(eventName: AdminEvents['CONNECT'], listener: (event: ConnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: AdminEvents['DISCONNECT'], listener: (event: DisconnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: AdminEvents['REQUEST'], listener: (event: RequestEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: AdminEvents['REQUEST_QUEUE_SIZE'], listener: (event: RequestQueueSizeEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: AdminEvents['REQUEST_TIMEOUT'], listener: (event: RequestTimeoutEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- KafkaJS declares `InstrumentationEvent<any>`
  on(eventName: ValueOf<AdminEvents>, listener: (event: InstrumentationEvent<any>) => void): RemoveInstrumentationEventListener<typeof eventName>;
  readonly events: AdminEvents;
};
