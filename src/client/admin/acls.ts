/**
 * ACLs and partition reassignments (KafkaJS's `src/admin/index.js`: createAcls, describeAcls, deleteAcls,
 * alterPartitionReassignments, listPartitionReassignments, and the checks of their request classes). All
 * go to the controller and retry only NOT_CONTROLLER. The simulated broker serves none of these APIs
 * (no authorizer, no reassignments), so against it every call passes KafkaJS's validation and then fails
 * as KafkaJS fails against a broker that does not advertise the API: KafkaJSServerDoesNotSupportApiKey,
 * unwrapped. The request and answer handling is complete for brokers that do serve them.
 */
import { ApiKey } from '../../protocol/index.ts';
import {
  KafkaJSAggregateError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSNonRetriableError,
  createErrorFromCode,
  type KafkaJSError,
} from '../errors.ts';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from './enums.ts';
import type { AdminScope } from './scope.ts';
import type {
  AclEntry,
  AclFilter,
  DeleteAclResponse,
  DescribeAclResponse,
  ListPartitionReassignmentsResponse,
  PartitionReassignment,
  TopicPartitions,
} from './types.ts';

const OPERATIONS: unknown[] = Object.values(AclOperationTypes);
const PATTERN_TYPES: unknown[] = Object.values(ResourcePatternTypes);
const PERMISSIONS: unknown[] = Object.values(AclPermissionTypes);
const RESOURCE_TYPES: unknown[] = Object.values(AclResourceTypes);

/** The enum checks createAcls and deleteAcls share, in KafkaJS's order. */
function validateAclTypes(entries: Array<AclEntry | AclFilter>): void {
  let invalid = entries.find((i) => !OPERATIONS.includes(i.operation));
  if (invalid) throw new KafkaJSNonRetriableError(`Invalid operation type ${invalid.operation}: ${JSON.stringify(invalid)}`);
  invalid = entries.find((i) => !PATTERN_TYPES.includes(i.resourcePatternType));
  if (invalid) throw new KafkaJSNonRetriableError(`Invalid resource pattern type ${invalid.resourcePatternType}: ${JSON.stringify(invalid)}`);
  invalid = entries.find((i) => !PERMISSIONS.includes(i.permissionType));
  if (invalid) throw new KafkaJSNonRetriableError(`Invalid permission type ${invalid.permissionType}: ${JSON.stringify(invalid)}`);
  invalid = entries.find((i) => !RESOURCE_TYPES.includes(i.resourceType));
  if (invalid) throw new KafkaJSNonRetriableError(`Invalid resource type ${invalid.resourceType}: ${JSON.stringify(invalid)}`);
}

const isOptionalString = (value: unknown): boolean => typeof value === 'string' || typeof value === 'undefined';

const filterRequest = (f: AclFilter) => ({
  resourceTypeFilter: f.resourceType,
  resourceNameFilter: f.resourceName ?? null,
  patternTypeFilter: f.resourcePatternType,
  principalFilter: f.principal ?? null,
  hostFilter: f.host ?? null,
  operation: f.operation,
  permissionType: f.permissionType,
});

export function aclMethods(scope: AdminScope) {
  const { cluster, logger } = scope;

  /** Runs `action` against the controller, retrying NOT_CONTROLLER with `warning` and bailing on anything else. */
  const onController = <T>(warning: string, action: (broker: Awaited<ReturnType<typeof cluster.findControllerBroker>>) => Promise<T>): Promise<T> =>
    scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        await cluster.refreshMetadata();
        return await action(await cluster.findControllerBroker());
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        if (error.type === 'NOT_CONTROLLER') {
          logger.warn(warning, { error: error.message, retryCount, retryTime });
          throw e;
        }
        bail(e);
        return undefined as T;
      }
    });

  const createAcls = async ({ acl }: { acl: AclEntry[] }): Promise<boolean> => {
    if (!acl || !Array.isArray(acl)) throw new KafkaJSNonRetriableError(`Invalid ACL array ${acl as unknown as string}`);
    if (acl.length === 0) throw new KafkaJSNonRetriableError('Empty ACL array');
    if (acl.some(({ principal }) => typeof principal !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid ACL array, the principals have to be a valid string');
    }
    if (acl.some(({ host }) => typeof host !== 'string')) throw new KafkaJSNonRetriableError('Invalid ACL array, the hosts have to be a valid string');
    if (acl.some(({ resourceName }) => typeof resourceName !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid ACL array, the resourceNames have to be a valid string');
    }
    validateAclTypes(acl);

    return onController('Could not create ACL', async (broker) => {
      const { response } = await broker.request(ApiKey.CreateAcls, () => ({
        creations: acl.map((a) => ({
          resourceType: a.resourceType,
          resourceName: a.resourceName,
          resourcePatternType: a.resourcePatternType,
          principal: a.principal,
          host: a.host,
          operation: a.operation,
          permissionType: a.permissionType,
        })),
      }));
      const failed = response.results.find((r) => r.errorCode !== 0);
      if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
      return true;
    });
  };

  const describeAcls = async ({ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType }: AclFilter): Promise<DescribeAclResponse> => {
    if (!isOptionalString(principal)) throw new KafkaJSNonRetriableError('Invalid principal, the principal have to be a valid string');
    if (!isOptionalString(host)) throw new KafkaJSNonRetriableError('Invalid host, the host have to be a valid string');
    if (!isOptionalString(resourceName)) throw new KafkaJSNonRetriableError('Invalid resourceName, the resourceName have to be a valid string');
    if (!OPERATIONS.includes(operation)) throw new KafkaJSNonRetriableError(`Invalid operation type ${operation}`);
    if (!PATTERN_TYPES.includes(resourcePatternType)) throw new KafkaJSNonRetriableError(`Invalid resource pattern filter type ${resourcePatternType}`);
    if (!PERMISSIONS.includes(permissionType)) throw new KafkaJSNonRetriableError(`Invalid permission type ${permissionType}`);
    if (!RESOURCE_TYPES.includes(resourceType)) throw new KafkaJSNonRetriableError(`Invalid resource type ${resourceType}`);

    return onController('Could not describe ACL', async (broker) => {
      const filter = { resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType };
      const { version, response } = await broker.request(ApiKey.DescribeAcls, () => filterRequest(filter));
      if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      const resources = response.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        ...(version >= 1 ? { resourcePatternType: r.patternType } : {}),
        acls: r.acls.map((a) => ({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })),
      }));
      // KafkaJS's runtime answers `{ resources }` only.
      return { resources } as unknown as DescribeAclResponse;
    });
  };

  const deleteAcls = async ({ filters }: { filters: AclFilter[] }): Promise<DeleteAclResponse> => {
    if (!filters || !Array.isArray(filters)) throw new KafkaJSNonRetriableError(`Invalid ACL Filter array ${filters as unknown as string}`);
    if (filters.length === 0) throw new KafkaJSNonRetriableError('Empty ACL Filter array');
    if (filters.some(({ principal }) => !isOptionalString(principal))) {
      throw new KafkaJSNonRetriableError('Invalid ACL Filter array, the principals have to be a valid string');
    }
    if (filters.some(({ host }) => !isOptionalString(host))) throw new KafkaJSNonRetriableError('Invalid ACL Filter array, the hosts have to be a valid string');
    if (filters.some(({ resourceName }) => !isOptionalString(resourceName))) {
      throw new KafkaJSNonRetriableError('Invalid ACL Filter array, the resourceNames have to be a valid string');
    }
    validateAclTypes(filters);

    return onController('Could not delete ACL', async (broker) => {
      const { version, response } = await broker.request(ApiKey.DeleteAcls, () => ({ filters: filters.map(filterRequest) }));
      const failedFilter = response.filterResults.find((f) => f.errorCode !== 0);
      if (failedFilter !== undefined) throw createErrorFromCode(failedFilter.errorCode);
      for (const result of response.filterResults) {
        const failedAcl = result.matchingAcls.find((m) => m.errorCode !== 0);
        if (failedAcl !== undefined) throw createErrorFromCode(failedAcl.errorCode);
      }
      const filterResponses = response.filterResults.map((f) => ({
        errorCode: f.errorCode,
        errorMessage: f.errorMessage,
        matchingAcls: f.matchingAcls.map((m) => ({
          errorCode: m.errorCode,
          errorMessage: m.errorMessage,
          resourceType: m.resourceType,
          resourceName: m.resourceName,
          ...(version >= 1 ? { resourcePatternType: m.patternType } : {}),
          principal: m.principal,
          host: m.host,
          operation: m.operation,
          permissionType: m.permissionType,
        })),
      }));
      // KafkaJS's runtime answers `{ filterResponses }` only.
      return { filterResponses } as unknown as DeleteAclResponse;
    });
  };

  const alterPartitionReassignments = async ({ topics, timeout }: { topics: PartitionReassignment[]; timeout?: number }): Promise<void> => {
    if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${topics as unknown as string}`);
    if (topics.filter(({ topic }) => typeof topic !== 'string').length > 0) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string');
    }
    const topicNames = new Set(topics.map(({ topic }) => topic));
    if (topicNames.size < topics.length) throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
    for (const { topic, partitionAssignment } of topics) {
      if (!partitionAssignment || !Array.isArray(partitionAssignment)) {
        throw new KafkaJSNonRetriableError(`Invalid partitions array: ${partitionAssignment as unknown as string} for topic: ${topic}`);
      }
      for (const { partition, replicas } of partitionAssignment) {
        if (partition === null || partition === undefined || typeof partition !== 'number' || partition < 0) {
          throw new KafkaJSNonRetriableError(`Invalid partitions index: ${partition as unknown as string} for topic: ${topic}`);
        }
        if (!replicas || !Array.isArray(replicas)) {
          throw new KafkaJSNonRetriableError(`Invalid replica assignment: ${replicas as unknown as string} for topic: ${topic} on partition: ${partition}`);
        }
        if (replicas.filter((replica) => typeof replica !== 'number' || replica < 0).length >= 1) {
          throw new KafkaJSNonRetriableError(
            `Invalid replica assignment: ${replicas as unknown as string} for topic: ${topic} on partition: ${partition}. Replicas must be a non negative number`,
          );
        }
      }
    }

    return onController('Could not reassign partitions', async (broker) => {
      const { response } = await broker.request(ApiKey.AlterPartitionReassignments, () => ({
        timeoutMs: timeout ?? 5000,
        topics: topics.map(({ topic, partitionAssignment }) => ({
          name: topic,
          partitions: partitionAssignment.map(({ partition, replicas }) => ({ partitionIndex: partition, replicas })),
        })),
      }));
      if (response.errorCode !== 0) throw new KafkaJSAlterPartitionReassignmentsError(createErrorFromCode(response.errorCode));
      const failed = response.responses.flatMap(({ name, partitions }) => partitions.filter((p) => p.errorCode !== 0).map((p) => ({ ...p, topic: name })));
      if (failed.length > 0) {
        throw new KafkaJSAggregateError(
          'Errors altering partition reassignments',
          failed.map(({ topic, partitionIndex, errorCode }) => new KafkaJSAlterPartitionReassignmentsError(createErrorFromCode(errorCode), topic, partitionIndex)),
        );
      }
    });
  };

  const listPartitionReassignments = async ({ topics = null, timeout }: { topics?: TopicPartitions[] | null; timeout?: number }): Promise<ListPartitionReassignmentsResponse> => {
    if (topics) {
      if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${topics as unknown as string}`);
      if (topics.filter(({ topic }) => typeof topic !== 'string').length > 0) {
        throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string');
      }
      const topicNames = new Set(topics.map(({ topic }) => topic));
      if (topicNames.size < topics.length) throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
      for (const { topic, partitions } of topics) {
        if (!partitions || !Array.isArray(partitions)) {
          throw new KafkaJSNonRetriableError(`Invalid partition array: ${partitions as unknown as string} for topic: ${topic}`);
        }
        if (partitions.filter((partition) => typeof partition !== 'number' || partition < 0).length >= 1) {
          throw new KafkaJSNonRetriableError(
            `Invalid partition array: ${partitions as unknown as string} for topic: ${topic}. The partition indices have to be a valid number greater than 0.`,
          );
        }
      }
    }

    return onController('Could not reassign partitions', async (broker) => {
      const { response } = await broker.request(ApiKey.ListPartitionReassignments, () => ({
        timeoutMs: timeout ?? 5000,
        topics: topics === null ? null : topics.map(({ topic, partitions }) => ({ name: topic, partitionIndexes: partitions })),
      }));
      if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      // KafkaJS's runtime names these `name` and `partition`, where its declarations say `topic` and `partitionIndex`.
      const answer = response.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas,
          removingReplicas: p.removingReplicas,
        })),
      }));
      return { topics: answer } as unknown as ListPartitionReassignmentsResponse;
    });
  };

  return { createAcls, describeAcls, deleteAcls, alterPartitionReassignments, listPartitionReassignments };
}
