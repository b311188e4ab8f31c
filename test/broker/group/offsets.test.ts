import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { stableGroup, startGroupCluster, type GroupTestCluster } from './support.ts';

async function withTopics(options: Parameters<typeof startGroupCluster>[0] = {}): Promise<GroupTestCluster> {
  const t = await startGroupCluster(options);
  t.cluster.createTopic('orders', { partitions: 3 });
  t.cluster.createTopic('other', { partitions: 1 });
  await t.settle();
  return t;
}

describe('OffsetCommit and the group state', () => {
  it('commits of the current generation are accepted while the group prepares a rebalance and refused (REBALANCE_IN_PROGRESS) once it completes one', async () => {
    const t = await withTopics();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    const c = await t.memberIdFor('c', coordinator, 'g', { rebalanceTimeoutMs: 3_000 });
    const joinC = t.startJoin('c', coordinator, 'g', { memberId: c, rebalanceTimeoutMs: 3_000 });
    await t.runtime.advance(10);
    expect((await t.describe(coordinator, 'g')).groupState).toBe('PreparingRebalance');
    // The member still owns its partitions until it rejoins: its commit must land (else the next owner re-reads).
    expect(await t.commit('a', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 42n }], { memberId: a, generationId: 1 })).toEqual([
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
    ]);
    await t.run(Promise.all([joinC, t.startJoin('a', coordinator, 'g', { memberId: a, rebalanceTimeoutMs: 3_000 }), t.startJoin('b', coordinator, 'g', { memberId: b, rebalanceTimeoutMs: 3_000 })]));
    expect((await t.describe(coordinator, 'g')).groupState).toBe('CompletingRebalance');
    const inCompleting = await t.commit('a', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 50n }], { memberId: a, generationId: 2 });
    expect(inCompleting.map((r) => r.errorCode)).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
    const stale = await t.commit('a', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 50n }], { memberId: a, generationId: 1 });
    expect(stale.map((r) => r.errorCode)).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    const unknown = await t.commit('x', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 50n }], { memberId: 'ghost', generationId: 2 });
    expect(unknown.map((r) => r.errorCode)).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect((await t.fetchOffsets(coordinator, 'g', [{ topic: 'orders', partition: 0 }])).offsets.map((o) => o.offset)).toEqual([42n]);
  });

  it('a member\'s commit counts as its heartbeat (completeAndScheduleNextHeartbeatExpiration)', async () => {
    const t = await withTopics();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    // B only commits, every 4 s, for 40 s (session 10 s); A heartbeats.
    for (let i = 0; i < 10; i++) {
      await t.runtime.advance(4_000);
      expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.NONE);
      expect((await t.commit('b', coordinator, 'g', [{ topic: 'orders', partition: 1, offset: BigInt(i) }], { memberId: b, generationId: 1 }))[0].errorCode).toBe(ErrorCode.NONE);
    }
    // Now B goes silent: 10 s later it is gone.
    await t.runtime.advance(4_000);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.NONE);
    await t.runtime.advance(4_000);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.NONE);
    await t.runtime.advance(4_000);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await t.heartbeat('b', coordinator, 'g', b, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('generation -1 commits: create the group when unknown, accepted on an Empty group, UNKNOWN_MEMBER_ID on a group with members; a generation on an unknown group is ILLEGAL_GENERATION', async () => {
    const t = await withTopics();
    const coordinator = await t.findCoordinator('simple');
    expect((await t.commit('admin', coordinator, 'simple', [{ topic: 'orders', partition: 0, offset: 7n }]))[0].errorCode).toBe(ErrorCode.NONE);
    expect((await t.commit('admin', coordinator, 'simple', [{ topic: 'orders', partition: 0, offset: 8n }], { memberId: 'whoever' }))[0].errorCode).toBe(ErrorCode.NONE);
    const described = await t.describe(coordinator, 'simple');
    expect([described.groupState, described.protocolType]).toEqual(['Empty', '']);
    const fresh = await t.findCoordinator('fresh');
    expect((await t.commit('admin', fresh, 'fresh', [{ topic: 'orders', partition: 0, offset: 1n }], { generationId: 3, memberId: 'm' }))[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const g = await stableGroup(t, 'g');
    expect((await t.commit('admin', g.coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 1n }]))[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // v0 commits (no generation at all) are generation -1 commits too.
    const v0 = await t.call('admin', coordinator, ApiKey.OffsetCommit, 0, { groupId: 'simple', topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 9n, committedMetadata: null }] }] });
    expect(v0.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect((await t.fetchOffsets(coordinator, 'simple', [{ topic: 'orders', partition: 2 }])).offsets[0]).toMatchObject({ offset: 9n, metadata: '' });
  });

  it('per partition: UNKNOWN_TOPIC_OR_PARTITION for unknown topics and partitions, OFFSET_METADATA_TOO_LARGE beyond offset.metadata.max.bytes; the rest commits', async () => {
    const t = await withTopics({ brokerConfig: { 'offset.metadata.max.bytes': 10 } });
    const coordinator = await t.findCoordinator('g');
    const answers = await t.commit('admin', coordinator, 'g', [
      { topic: 'orders', partition: 0, offset: 1n, metadata: 'short' },
      { topic: 'orders', partition: 1, offset: 2n, metadata: 'far too long metadata' },
      { topic: 'orders', partition: 9, offset: 3n },
      { topic: 'nope', partition: 0, offset: 4n },
    ]);
    expect(answers).toEqual([
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
      { topic: 'orders', partition: 1, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE },
      { topic: 'orders', partition: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
      { topic: 'nope', partition: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    const all = await t.fetchOffsets(coordinator, 'g', null);
    expect(all.offsets).toEqual([{ topic: 'orders', partition: 0, offset: 1n, metadata: 'short', errorCode: ErrorCode.NONE }]);
    const tooLarge = await t.commit('admin', coordinator, 'g', [{ topic: 'orders', partition: 1, offset: 2n, metadata: 'far too long metadata' }]);
    expect(tooLarge.map((r) => r.errorCode)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  });

  it('NOT_COORDINATOR from another broker, COORDINATOR_NOT_AVAILABLE when min.insync.replicas cannot be met, INVALID_GROUP_ID never (the empty group id is allowed)', async () => {
    const t = await withTopics({ brokers: 3 });
    const coordinator = await t.findCoordinator('g');
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    expect((await t.commit('admin', other, 'g', [{ topic: 'orders', partition: 0, offset: 1n }]))[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await t.commit('admin', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 1n }]))[0].errorCode).toBe(ErrorCode.NONE);
    const empty = await t.findCoordinator('');
    expect((await t.commit('admin', empty, '', [{ topic: 'orders', partition: 0, offset: 1n }]))[0].errorCode).toBe(ErrorCode.NONE);
    // The offsets partition's ISR drops below min.insync.replicas (3): NOT_ENOUGH_REPLICAS becomes COORDINATOR_NOT_AVAILABLE.
    t.cluster.controller.alterTopicConfigs('__consumer_offsets', new Map([...t.cluster.metadata.topics.get('__consumer_offsets')!.configs, ['min.insync.replicas', '3']]));
    await t.settle();
    const follower = t.cluster.partitionState('__consumer_offsets', t.coordinatorPartitionOf('g')).replicas.find((id) => id !== coordinator)!;
    t.cluster.crashBroker(follower);
    await t.runtime.advance(40_000);
    expect(t.cluster.partitionState('__consumer_offsets', t.coordinatorPartitionOf('g')).isr).not.toContain(follower);
    const answer = await t.commit('admin', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 2n }]);
    expect(answer.map((r) => r.errorCode)).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect((await t.fetchOffsets(coordinator, 'g', [{ topic: 'orders', partition: 0 }])).offsets[0].offset).toBe(1n);
  });
});

describe('OffsetFetch', () => {
  it('negative offsets are stored and returned verbatim (KafkaJS resetOffsets commits -1 and -2)', async () => {
    const t = await withTopics();
    const coordinator = await t.findCoordinator('g');
    await t.commit('admin', coordinator, 'g', [
      { topic: 'orders', partition: 0, offset: -1n, metadata: 'latest' },
      { topic: 'orders', partition: 1, offset: -2n },
      { topic: 'orders', partition: 2, offset: 0n, leaderEpoch: 5 },
    ]);
    const fetched = await t.call('admin', coordinator, ApiKey.OffsetFetch, 6, { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }] });
    expect(fetched.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata, p.errorCode])).toEqual([
      [0, -1n, -1, 'latest', ErrorCode.NONE],
      [1, -2n, -1, '', ErrorCode.NONE],
      [2, 0n, 5, '', ErrorCode.NONE],
    ]);
  });

  it('topics null returns every committed partition (v2-7 and v8 groups); a partition without a commit is -1 with metadata ""', async () => {
    const t = await withTopics();
    const coordinator = await t.findCoordinator('g');
    await t.commit('admin', coordinator, 'g', [
      { topic: 'other', partition: 0, offset: 3n },
      { topic: 'orders', partition: 2, offset: 2n },
      { topic: 'orders', partition: 0, offset: 1n },
    ]);
    const all = await t.fetchOffsets(coordinator, 'g', null);
    expect(all.offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ['orders', 0, 1n],
      ['orders', 2, 2n],
      ['other', 0, 3n],
    ]);
    const some = await t.fetchOffsets(coordinator, 'g', [{ topic: 'orders', partition: 1 }]);
    expect(some.offsets).toEqual([{ topic: 'orders', partition: 1, offset: -1n, metadata: '', errorCode: ErrorCode.NONE }]);
    const unknownGroup = await t.fetchOffsets(await t.findCoordinator('unknown'), 'unknown', [{ topic: 'orders', partition: 0 }]);
    expect(unknownGroup.offsets.map((o) => o.offset)).toEqual([-1n]);

    const v8 = await t.call('admin', coordinator, ApiKey.OffsetFetch, 8, {
      groups: [
        { groupId: 'g', topics: null },
        { groupId: 'g', topics: [{ name: 'other', partitionIndexes: [0] }] },
      ],
      requireStable: true,
    });
    expect(v8.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((topic) => [topic.name, topic.partitions.map((p) => p.committedOffset)])])).toEqual([
      ['g', ErrorCode.NONE, [['orders', [1n, 2n]], ['other', [3n]]]],
      ['g', ErrorCode.NONE, [['other', [3n]]]],
    ]);
  });

  it('a group-level error sits per version: every requested partition (v1), the top-level error (v2-7), the group (v8)', async () => {
    const t = await withTopics({ brokers: 3 });
    const coordinator = await t.findCoordinator('g');
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    const v1 = await t.call('admin', other, ApiKey.OffsetFetch, 1, { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] });
    expect(v1.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])).toEqual([
      [0, -1n, ErrorCode.NOT_COORDINATOR],
      [1, -1n, ErrorCode.NOT_COORDINATOR],
    ]);
    const v3 = await t.call('admin', other, ApiKey.OffsetFetch, 3, { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0] }] });
    expect([v3.errorCode, v3.topics]).toEqual([ErrorCode.NOT_COORDINATOR, []]);
    const v8 = await t.call('admin', other, ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }], requireStable: false });
    expect(v8.groups).toEqual([{ groupId: 'g', errorCode: ErrorCode.NOT_COORDINATOR, topics: [] }]);
  });
});
