import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { stableGroup, startGroupCluster, subscription, type GroupTestCluster } from './support.ts';

async function withTopics(options: Parameters<typeof startGroupCluster>[0] = {}): Promise<GroupTestCluster> {
  const t = await startGroupCluster(options);
  t.cluster.createTopic('orders', { partitions: 2 });
  t.cluster.createTopic('other', { partitions: 1 });
  await t.settle();
  return t;
}

describe('DescribeGroups', () => {
  it('Stable groups show protocol, member metadata and assignments; rebalancing ones only the members; unknown ones are Dead; errors have no state', async () => {
    const t = await withTopics({ brokers: 3 });
    const { coordinator, a, b } = await stableGroup(t, 'g');
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    const response = await t.call('admin', coordinator, ApiKey.DescribeGroups, 5, { groups: ['g', 'unknown-here'], includeAuthorizedOperations: true });
    const [stable, unknown] = response.groups;
    expect(stable).toMatchObject({ errorCode: ErrorCode.NONE, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: 328 });
    expect(stable.members.map((m) => [m.memberId, m.groupInstanceId, m.memberMetadata.equals(subscription(['orders'])), m.memberAssignment.toString()])).toEqual([
      [a, null, true, 'A'],
      [b, null, true, 'B'],
    ]);
    // 'unknown-here' maps to some coordinator; asked at the right one it is Dead, elsewhere NOT_COORDINATOR.
    const unknownCoordinator = await t.findCoordinator('unknown-here');
    if (unknownCoordinator === coordinator) expect(unknown).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
    else expect(unknown).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, groupState: '', members: [], authorizedOperations: -2147483648 });
    const dead = await t.call('admin', unknownCoordinator, ApiKey.DescribeGroups, 0, { groups: ['unknown-here'] });
    expect(dead.groups[0]).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Dead', members: [] });

    const elsewhere = await t.call('admin', other, ApiKey.DescribeGroups, 2, { groups: ['g'] });
    expect(elsewhere.groups[0]).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, groupState: '', protocolType: '', protocolData: '', members: [] });

    const rejoin = t.startJoin('a', coordinator, 'g', { memberId: a, rebalanceTimeoutMs: 3_000 });
    await t.runtime.advance(10);
    const preparing = await t.describe(coordinator, 'g');
    expect(preparing).toMatchObject({ groupState: 'PreparingRebalance', protocolType: 'consumer', protocolData: '', authorizedOperations: -2147483648 });
    expect(preparing.members.map((m) => [m.memberId, m.memberMetadata.length, m.memberAssignment.length])).toEqual([
      [a, 0, 0],
      [b, 0, 0],
    ]);
    void rejoin;
  });
});

describe('ListGroups', () => {
  it('lists the groups of this coordinator with protocol type and (v4) state, filtered by statesFilter', async () => {
    const t = await withTopics();
    const { coordinator } = await stableGroup(t, 'g');
    await t.commit('admin', coordinator, 'simple', [{ topic: 'orders', partition: 0, offset: 1n }]);
    const v4 = await t.call('admin', coordinator, ApiKey.ListGroups, 4, { statesFilter: [] });
    expect(v4).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(v4.groups.map((g) => [g.groupId, g.protocolType, g.groupState])).toEqual([
      ['g', 'consumer', 'Stable'],
      ['simple', '', 'Empty'],
    ]);
    const stableOnly = await t.call('admin', coordinator, ApiKey.ListGroups, 4, { statesFilter: ['Stable'] });
    expect(stableOnly.groups.map((g) => g.groupId)).toEqual(['g']);
    const v0 = await t.call('admin', coordinator, ApiKey.ListGroups, 0, {});
    expect(v0.groups.map((g) => [g.groupId, g.protocolType])).toEqual([
      ['g', 'consumer'],
      ['simple', ''],
    ]);
  });
});

describe('DeleteGroups', () => {
  it('deletes Empty groups with their offsets (tombstones survive a coordinator failover); NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, NOT_COORDINATOR otherwise', async () => {
    const t = await withTopics({ brokers: 3 });
    const coordinator = await t.findCoordinator('old');
    await t.commit('admin', coordinator, 'old', [{ topic: 'orders', partition: 0, offset: 5n }]);
    const g = await stableGroup(t, 'g');
    const results = async (brokerId: number, groups: string[]) =>
      (await t.call('admin', brokerId, ApiKey.DeleteGroups, 2, { groupsNames: groups })).results.map((r) => [r.groupId, r.errorCode]);
    const notFoundCoordinator = await t.findCoordinator('never');
    expect(await results(notFoundCoordinator, ['never', 'never'])).toEqual([['never', ErrorCode.GROUP_ID_NOT_FOUND]]);
    expect(await results(g.coordinator, ['g'])).toEqual([['g', ErrorCode.NON_EMPTY_GROUP]]);
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    expect(await results(other, ['old'])).toEqual([['old', ErrorCode.NOT_COORDINATOR]]);
    expect(await results(coordinator, ['old'])).toEqual([['old', ErrorCode.NONE]]);
    expect((await t.describe(coordinator, 'old')).groupState).toBe('Dead');
    expect((await t.fetchOffsets(coordinator, 'old', null)).offsets).toEqual([]);
    expect(await results(coordinator, ['old'])).toEqual([['old', ErrorCode.GROUP_ID_NOT_FOUND]]);

    // The tombstones replicate: the next coordinator does not bring the offsets back.
    await t.runtime.advance(1_000);
    t.cluster.crashBroker(coordinator);
    let next = coordinator;
    for (let i = 0; i < 50 && next === coordinator; i++) {
      await t.runtime.advance(1_000);
      next = await t.findCoordinator('old');
    }
    expect(next).not.toBe(coordinator);
    expect((await t.fetchOffsets(next, 'old', [{ topic: 'orders', partition: 0 }])).offsets.map((o) => o.offset)).toEqual([-1n]);
    expect((await t.describe(next, 'old')).groupState).toBe('Dead');
  });
});

describe('OffsetDelete', () => {
  it('a consumer group keeps the offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC) and loses the others; an Empty group loses all', async () => {
    const t = await withTopics();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    await t.commit('a', coordinator, 'g', [
      { topic: 'orders', partition: 0, offset: 1n },
      { topic: 'other', partition: 0, offset: 2n },
    ], { memberId: a, generationId: 1 });
    const deleteOffsets = (groupId: string, topics: Array<{ name: string; partitions: number[] }>) =>
      t.call('admin', coordinator, ApiKey.OffsetDelete, 0, { groupId, topics: topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partitionIndex) => ({ partitionIndex })) })) });
    const answer = await deleteOffsets('g', [
      { name: 'orders', partitions: [0] },
      { name: 'other', partitions: [0] },
      { name: 'nope', partitions: [0] },
    ]);
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    expect(answer.topics.map((topic) => [topic.name, topic.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
      ['orders', [[0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]],
      ['other', [[0, ErrorCode.NONE]]],
      ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);
    expect((await t.fetchOffsets(coordinator, 'g', null)).offsets.map((o) => [o.topic, o.offset])).toEqual([['orders', 1n]]);

    // Everyone leaves: the group is Empty and its offsets can go.
    await t.call('a', coordinator, ApiKey.LeaveGroup, 3, { groupId: 'g', members: [{ memberId: a, groupInstanceId: null }, { memberId: b, groupInstanceId: null }] });
    expect((await t.describe(coordinator, 'g')).groupState).toBe('Empty');
    const emptied = await deleteOffsets('g', [{ name: 'orders', partitions: [0, 1] }]);
    expect(emptied.topics[0].partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect((await t.fetchOffsets(coordinator, 'g', null)).offsets).toEqual([]);

    const missing = await deleteOffsets('nothing-here', [{ name: 'orders', partitions: [0] }]);
    const missingCoordinator = await t.findCoordinator('nothing-here');
    expect([missing.errorCode, missing.topics]).toEqual([missingCoordinator === coordinator ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR, []]);
    expect((await deleteOffsets('', [])).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('a non-consumer group with members is NON_EMPTY_GROUP', async () => {
    const t = await withTopics();
    const coordinator = await t.findCoordinator('connect');
    const joined = await t.run(t.startJoin('w', coordinator, 'connect', { version: 3, protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] }));
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const answer = await t.call('admin', coordinator, ApiKey.OffsetDelete, 0, { groupId: 'connect', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
    expect([answer.errorCode, answer.topics]).toEqual([ErrorCode.NON_EMPTY_GROUP, []]);
  });
});
