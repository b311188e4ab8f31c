/**
 * Group coordinator tests on the handler-test cluster: every member talks through its own connection (a
 * broker answers one request per connection at a time, as Kafka's muted channels do, and JoinGroup/SyncGroup
 * wait for the rebalance), requests travel as real frames, and virtual time only moves when a test runs it.
 */
import { expect } from 'vitest';
import { OFFSETS_TOPIC, coordinatorPartition } from '../../../src/broker/internal-topics.ts';
import {
  ApiKey,
  ConsumerProtocolSubscriptionSchema,
  encodeMessage,
  ErrorCode,
  Writer,
  type ApiKeyNumber,
  type JoinGroupResponse,
  type RequestInputByKey,
  type ResponseByKey,
} from '../../../src/protocol/index.ts';
import { MiniClient } from '../support/mini-client.ts';
import { startCluster, type HandlerTestOptions } from '../handlers/support.ts';

/** A consumer-protocol subscription (ConsumerProtocolSubscription v0 with its version prefix). */
export function subscription(topics: string[]): Buffer {
  const writer = new Writer();
  writer.int16(0);
  encodeMessage(ConsumerProtocolSubscriptionSchema, 0, { topics, userData: null }, writer);
  return writer.result();
}

export interface JoinOptions {
  readonly memberId?: string;
  readonly groupInstanceId?: string | null;
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly protocolType?: string;
  readonly protocols?: Array<{ name: string; metadata: Buffer }>;
  readonly version?: number;
}

export async function startGroupCluster(options: HandlerTestOptions = {}) {
  const t = await startCluster(options);
  const clients = new Map<string, MiniClient>();
  /** One connection per member name; requests wait up to ten virtual minutes. */
  const clientFor = (name: string): MiniClient => {
    let client = clients.get(name);
    if (client === undefined) {
      client = new MiniClient(t.cluster, t.runtime, name, 600_000);
      clients.set(name, client);
    }
    return client;
  };

  /** Starts a request without running time: for requests that wait on others (JoinGroup, SyncGroup). */
  const start = <K extends ApiKeyNumber>(name: string, brokerId: number, apiKey: K, version: number, body: RequestInputByKey[K]): Promise<ResponseByKey[K]> =>
    clientFor(name).request(brokerId, apiKey, version, body);

  /** One request, running virtual time until it is answered. */
  const call = <K extends ApiKeyNumber>(name: string, brokerId: number, apiKey: K, version: number, body: RequestInputByKey[K]): Promise<ResponseByKey[K]> =>
    t.run(start(name, brokerId, apiKey, version, body));

  /** FindCoordinator (v3) against live brokers until one names the coordinator, as a client retries. */
  const findCoordinator = async (groupId: string, via?: number): Promise<number> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const brokerId = via ?? [...t.cluster.brokers.values()].find((b) => b.status === 'running')!.id;
      const response = await call('admin', brokerId, ApiKey.FindCoordinator, 3, { key: groupId, keyType: 0 });
      if (response.errorCode === ErrorCode.NONE) {
        // Let the coordinator finish loading the partition (one timer tick).
        await t.runtime.advance(1);
        return response.nodeId;
      }
      await t.runtime.advance(100);
    }
    throw new Error(`no coordinator for ${groupId}`);
  };

  const joinBody = (groupId: string, options: JoinOptions): RequestInputByKey[typeof ApiKey.JoinGroup] => ({
    groupId,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 10_000,
    memberId: options.memberId ?? '',
    groupInstanceId: options.groupInstanceId ?? null,
    protocolType: options.protocolType ?? 'consumer',
    protocols: options.protocols ?? [{ name: 'range', metadata: subscription(['orders']) }],
    reason: null,
  });

  /** Starts a JoinGroup (answered when the rebalance completes). */
  const startJoin = (name: string, coordinator: number, groupId: string, options: JoinOptions = {}): Promise<JoinGroupResponse> =>
    start(name, coordinator, ApiKey.JoinGroup, options.version ?? 7, joinBody(groupId, options));

  /** The v4+ first round: a dynamic member without id gets MEMBER_ID_REQUIRED and its id. */
  const memberIdFor = async (name: string, coordinator: number, groupId: string, options: JoinOptions = {}): Promise<string> => {
    const response = await call(name, coordinator, ApiKey.JoinGroup, options.version ?? 7, joinBody(groupId, { ...options, memberId: '' }));
    expect(response.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    return response.memberId;
  };

  const heartbeat = async (name: string, coordinator: number, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): Promise<number> =>
    (await call(name, coordinator, ApiKey.Heartbeat, 4, { groupId, memberId, generationId, groupInstanceId })).errorCode;

  const describe = async (coordinator: number, groupId: string) =>
    (await call('admin', coordinator, ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0];

  const startSync = (name: string, coordinator: number, groupId: string, memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Buffer }> = []) =>
    start(name, coordinator, ApiKey.SyncGroup, 5, { groupId, memberId, generationId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });

  const commit = async (
    name: string,
    coordinator: number,
    groupId: string,
    offsets: Array<{ topic: string; partition: number; offset: bigint; metadata?: string | null; leaderEpoch?: number }>,
    identity: { memberId?: string; generationId?: number; groupInstanceId?: string | null; version?: number } = {},
  ) => {
    const topics = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
    for (const o of offsets) {
      const list = topics.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata === undefined ? '' : o.metadata });
      topics.set(o.topic, list);
    }
    const response = await call(name, coordinator, ApiKey.OffsetCommit, identity.version ?? 8, {
      groupId,
      generationIdOrMemberEpoch: identity.generationId ?? -1,
      memberId: identity.memberId ?? '',
      groupInstanceId: identity.groupInstanceId ?? null,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    });
    return response.topics.flatMap((topic) => topic.partitions.map((p) => ({ topic: topic.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  };

  /** OffsetFetch v7 (topics null for all): [topic, partition, offset, metadata, errorCode] rows and the top-level error. */
  const fetchOffsets = async (coordinator: number, groupId: string, partitions: Array<{ topic: string; partition: number }> | null, options: { requireStable?: boolean } = {}) => {
    const topics = partitions === null ? null : [...new Set(partitions.map((p) => p.topic))].map((name) => ({ name, partitionIndexes: partitions.filter((p) => p.topic === name).map((p) => p.partition) }));
    const response = await call('admin', coordinator, ApiKey.OffsetFetch, 7, { groupId, topics, requireStable: options.requireStable ?? false });
    return {
      errorCode: response.errorCode,
      offsets: response.topics.flatMap((topic) => topic.partitions.map((p) => ({ topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata, errorCode: p.errorCode }))),
    };
  };

  /** The broker leading the group's offsets partition, per the controller. */
  const coordinatorPartitionOf = (groupId: string): number => coordinatorPartition(groupId, t.cluster.metadata.topics.get(OFFSETS_TOPIC)!.partitions.length);

  return { ...t, clientFor, start, call, findCoordinator, startJoin, memberIdFor, heartbeat, describe, startSync, commit, fetchOffsets, coordinatorPartitionOf };
}

export type GroupTestCluster = Awaited<ReturnType<typeof startGroupCluster>>;

/**
 * Two members in a stable group `groupId` (generation 1): `a` leads, both synced, assignments "A" and "B".
 * Uses rebalance timeout `rebalanceTimeoutMs` (default 3000, so the initial join is not extended).
 */
export async function stableGroup(t: GroupTestCluster, groupId: string, options: JoinOptions = {}) {
  const coordinator = await t.findCoordinator(groupId);
  const joinOptions = { rebalanceTimeoutMs: 3_000, ...options };
  const a = await t.memberIdFor('a', coordinator, groupId, joinOptions);
  const b = await t.memberIdFor('b', coordinator, groupId, joinOptions);
  const joinA = t.startJoin('a', coordinator, groupId, { ...joinOptions, memberId: a });
  const joinB = t.startJoin('b', coordinator, groupId, { ...joinOptions, memberId: b });
  const [ja, jb] = await t.run(Promise.all([joinA, joinB]));
  expect([ja.errorCode, jb.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  const syncA = t.startSync('a', coordinator, groupId, a, ja.generationId, [
    { memberId: a, assignment: Buffer.from('A') },
    { memberId: b, assignment: Buffer.from('B') },
  ]);
  const syncB = t.startSync('b', coordinator, groupId, b, jb.generationId);
  const [sa, sb] = await t.run(Promise.all([syncA, syncB]));
  expect([sa.errorCode, sb.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  return { coordinator, a, b, generationId: ja.generationId };
}
