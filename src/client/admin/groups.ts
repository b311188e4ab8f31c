/**
 * The admin's consumer-group methods (KafkaJS's `src/admin/index.js`: fetchOffsets, setOffsets,
 * resetOffsets, listGroups, describeGroups, deleteGroups) and the checks of KafkaJS's OffsetFetch,
 * OffsetCommit, DescribeGroups, ListGroups and DeleteGroups request classes.
 *
 * setOffsets departs from KafkaJS's mechanism, not its outcome. KafkaJS runs a throwaway consumer in the
 * group: it subscribes (an unknown topic fails there), requires the group to be Empty or Dead, joins it,
 * seeks every partition (each seek an OffsetCommit with the member's generation) and leaves on its first
 * fetch. Here the same checks run in the same order, then one OffsetCommit with generation -1 and no member
 * id (Kafka's "simple consumer" commit) writes the same offsets, negative ones (-1/-2 from resetOffsets)
 * verbatim. What differs: no JoinGroup/SyncGroup/Fetch/LeaveGroup traffic and no consumer events; a group
 * the admin commits to for the first time exists afterwards with an empty protocol type (KafkaJS's join
 * leaves it as a 'consumer' group in a later generation); and the commit is one request instead of one
 * per partition.
 */
import { ApiKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { EARLIEST_OFFSET, LATEST_OFFSET } from '../cluster.ts';
import { KafkaJSDeleteGroupsError, KafkaJSNonRetriableError, createErrorFromCode, type KafkaJSError, type KafkaJSProtocolError } from '../errors.ts';
import type { AdminScope } from './scope.ts';
import { toLong } from './scope.ts';
import type { DeleteGroupsResult, FetchOffsetsPartition, GroupDescription, GroupOverview, SeekEntry } from './types.ts';

interface FetchedPartition {
  partition: number;
  offset: string;
  metadata: string | null;
  errorCode: number;
}

/** OffsetFetch as KafkaJS's `broker.offsetFetch` sends and checks it (v3+: no topics means all of them). */
async function requestOffsetFetch(
  broker: Broker,
  groupId: string,
  topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>,
): Promise<Array<{ topic: string; partitions: FetchedPartition[] }>> {
  const { version, response } = await broker.request(ApiKey.OffsetFetch, (v) => ({
    groupId,
    topics: v >= 3 && topics.length === 0 ? null : topics.map(({ topic, partitions }) => ({ name: topic, partitionIndexes: partitions.map((p) => p.partition) })),
  }));
  if (version >= 2 && response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
  const answers = response.topics.map((t) => ({
    topic: t.name,
    partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset), metadata: p.metadata, errorCode: p.errorCode })),
  }));
  const failed = answers.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
  return answers;
}

/** An OffsetCommit outside any generation (generation -1, no member id), as Kafka allows for a group with no members. */
async function requestOffsetCommit(broker: Broker, groupId: string, topic: string, partitions: Array<{ partition: number; offset: bigint }>): Promise<void> {
  const { response } = await broker.request(ApiKey.OffsetCommit, () => ({
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: partitions.map(({ partition, offset }) => ({ partitionIndex: partition, committedOffset: offset, committedMetadata: null })) }],
  }));
  const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
}

async function requestDescribeGroups(broker: Broker, groupIds: string[]): Promise<GroupDescription[]> {
  const { response } = await broker.request(ApiKey.DescribeGroups, () => ({ groups: groupIds, includeAuthorizedOperations: false }));
  const groups = response.groups.map((g) => ({
    errorCode: g.errorCode,
    groupId: g.groupId,
    state: g.groupState as GroupDescription['state'],
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: m.memberMetadata,
      memberAssignment: m.memberAssignment,
    })),
  }));
  const failed = groups.find((g) => g.errorCode !== 0);
  if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
  return groups;
}

async function requestListGroups(broker: Broker): Promise<GroupOverview[]> {
  const { response } = await broker.request(ApiKey.ListGroups, () => ({}));
  if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
  return response.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
}

/** DeleteGroups never throws for a group's error: each result carries its `error` (KafkaJS's decode). */
async function requestDeleteGroups(broker: Broker, groupIds: string[]): Promise<DeleteGroupsResult[]> {
  const { response } = await broker.request(ApiKey.DeleteGroups, () => ({ groupsNames: groupIds }));
  return response.results.map((r) => {
    const result: DeleteGroupsResult = { groupId: r.groupId, errorCode: r.errorCode };
    if (r.errorCode !== 0) result.error = createErrorFromCode(r.errorCode);
    return result;
  });
}

/** KafkaJS's consumer `seek` checks and normalisation of one offset; '-1' and '-2' are the only negatives allowed. */
function seekOffset(partition: unknown, offset: unknown): bigint {
  if (Number.isNaN(Number(partition))) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition as string}`);
  let value: bigint;
  try {
    value = toLong(offset);
  } catch {
    throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset as string}`);
  }
  if (value < 0n && value !== BigInt(EARLIEST_OFFSET) && value !== BigInt(LATEST_OFFSET)) {
    throw new KafkaJSNonRetriableError('Offset must not be a negative number');
  }
  return value;
}

export function groupMethods(scope: AdminScope, fetchTopicOffsets: (topic: string) => Promise<Array<SeekEntry & { high: string; low: string }>>) {
  const { cluster, logger } = scope;

  const findTopicPartitions = async (topic: string): Promise<number[]> => {
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadataIfNecessary();
    // Sorted as KafkaJS sorts them: as strings.
    return cluster
      .findTopicPartitionMetadata(topic)
      .map(({ partitionId }) => partitionId)
      .sort();
  };

  const describeGroup = async (groupId: string): Promise<GroupDescription | undefined> => {
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    return scope.retrier()(async () => {
      const groups = await requestDescribeGroups(coordinator, [groupId]);
      return groups.find((group) => group.groupId === groupId);
    });
  };

  const setOffsets = async ({ groupId, topic, partitions }: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> => {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');

    // KafkaJS's throwaway consumer subscribes first.
    if (typeof topic !== 'string' && !((topic as unknown) instanceof RegExp)) {
      throw new KafkaJSNonRetriableError(`Invalid topic ${topic as string} (${typeof topic}), the topic name has to be a String or a RegExp`);
    }
    if (typeof topic === 'string') await cluster.addMultipleTargetTopics([topic]);

    const description = await describeGroup(groupId);
    const state = description?.state;
    if (state !== 'Empty' && state !== 'Dead') {
      throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${state}`);
    }

    const offsets = new Map<number, bigint>();
    for (const { partition, offset } of partitions) offsets.set(partition, seekOffset(partition, offset));
    if (typeof topic !== 'string') return;
    // The throwaway consumer is assigned every partition of the topic; seeks to other partitions do nothing.
    const existing = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
    const commits = [...offsets].filter(([partition]) => existing.includes(partition)).map(([partition, offset]) => ({ partition, offset }));
    if (commits.length === 0) return;
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    await requestOffsetCommit(coordinator, groupId, topic, commits);
  };

  const resetOffsets = async ({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean }): Promise<void> => {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    const partitions = await findTopicPartitions(topic);
    const offset = cluster.defaultOffset({ fromBeginning: earliest });
    return setOffsets({ groupId, topic, partitions: partitions.map((partition) => ({ partition, offset: offset as unknown as string })) });
  };

  const fetchOffsets = async ({
    groupId,
    topics,
    resolveOffsets = false,
  }: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> => {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
    if (!topics) topics = [];
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError('Expected topics array to be set');

    const coordinator = await cluster.findGroupCoordinator({ groupId });
    const topicsToFetch = await Promise.all(
      topics.map(async (topic) => ({ topic, partitions: (await findTopicPartitions(topic)).map((partition) => ({ partition })) })),
    );
    let consumerOffsets = await requestOffsetFetch(coordinator, groupId, topicsToFetch);

    if (resolveOffsets) {
      consumerOffsets = await Promise.all(
        consumerOffsets.map(async ({ topic, partitions }) => {
          const watermarks = new Map((await fetchTopicOffsets(topic)).map(({ partition, high, low }) => [partition, { high, low }]));
          const resolved = partitions.map(({ offset, partition, ...rest }) => {
            let resolvedOffset = offset;
            if (Number(offset) === EARLIEST_OFFSET) resolvedOffset = watermarks.get(partition)!.low;
            if (Number(offset) === LATEST_OFFSET) resolvedOffset = watermarks.get(partition)!.high;
            return { partition, offset: resolvedOffset, ...rest };
          });
          await setOffsets({ groupId, topic, partitions: resolved });
          return { topic, partitions: resolved };
        }),
      );
    }

    return consumerOffsets.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset, metadata }) => ({ partition, offset, metadata: metadata || null })),
    }));
  };

  const listGroups = async (): Promise<{ groups: GroupOverview[] }> => {
    await cluster.refreshMetadata();
    let groups: GroupOverview[] = [];
    // KafkaJS walks its broker object's keys: node ids in ascending order.
    for (const nodeId of cluster.getNodeIds().sort((a, b) => a - b)) {
      const broker = await cluster.findBroker({ nodeId });
      groups = groups.concat(await requestListGroups(broker));
    }
    return { groups };
  };

  const describeGroups = async (groupIds: string[]): Promise<{ groups: GroupDescription[] }> => {
    const coordinators = await Promise.all(groupIds.map(async (groupId) => ({ coordinator: await cluster.findGroupCoordinator({ groupId }), groupId })));
    const byCoordinator = new Map<number, { coordinator: Broker; groupIds: string[] }>();
    for (const { coordinator, groupId } of coordinators) {
      const entry = byCoordinator.get(coordinator.nodeId!);
      if (entry === undefined) byCoordinator.set(coordinator.nodeId!, { coordinator, groupIds: [groupId] });
      else entry.groupIds.push(groupId);
    }
    // KafkaJS groups them in an object keyed by node id: ascending order.
    const ordered = [...byCoordinator].sort(([a], [b]) => a - b).map(([, entry]) => entry);
    const responses = await Promise.all(ordered.map(({ coordinator, groupIds: ids }) => scope.retrier()(() => requestDescribeGroups(coordinator, ids))));
    return { groups: responses.flat() };
  };

  const deleteGroups = async (groupIds: string[]): Promise<DeleteGroupsResult[]> => {
    if (!groupIds || !Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds as unknown as string}`);
    const invalidGroupId = groupIds.some((g) => typeof g !== 'string');
    if (invalidGroupId) throw new KafkaJSNonRetriableError(`Invalid groupId name: ${JSON.stringify(invalidGroupId)}`);

    let pending = groupIds.slice();
    return scope.retrier()(async (bail, retryCount, retryTime) => {
      try {
        if (pending.length === 0) return [];
        await cluster.refreshMetadata();
        const groupsByNode = new Map<number, string[]>();
        const brokersByNode = new Map<number, Broker>();
        for (const groupId of pending) {
          const broker = await cluster.findGroupCoordinator({ groupId });
          groupsByNode.set(broker.nodeId!, [...(groupsByNode.get(broker.nodeId!) ?? []), groupId]);
          brokersByNode.set(broker.nodeId!, broker);
        }
        const nodeIds = [...brokersByNode.keys()].sort((a, b) => a - b);
        const answers = await Promise.all(nodeIds.map((nodeId) => requestDeleteGroups(brokersByNode.get(nodeId)!, groupsByNode.get(nodeId)!)));
        const errors = answers
          .flatMap((results) => results.map(({ groupId, errorCode, error }) => ({ groupId, errorCode: errorCode!, error: error as KafkaJSProtocolError })))
          .filter(({ errorCode }) => errorCode !== 0);
        // Only the groups that failed are tried again.
        pending = errors.map(({ groupId }) => groupId);
        if (errors.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', errors);
        return answers.flat();
      } catch (e) {
        const error = e as KafkaJSError & { type?: string };
        // 'COORDINATOR_NOT_AVAILABLE' is KafkaJS's spelling; its error table calls code 15
        // GROUP_COORDINATOR_NOT_AVAILABLE, so that branch never matches there either.
        if (error.type === 'NOT_CONTROLLER' || error.type === 'COORDINATOR_NOT_AVAILABLE') {
          logger.warn('Could not delete groups', { error: error.message, retryCount, retryTime });
          throw e;
        }
        bail(e);
        return [];
      }
    });
  };

  return { fetchOffsets, setOffsets, resetOffsets, listGroups, describeGroups, deleteGroups };
}
